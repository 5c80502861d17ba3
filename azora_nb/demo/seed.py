"""``seed()``: generate the demo data and load it into the four sources."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from itertools import chain

from tqdm.auto import tqdm

from azora_nb import audit
from azora_nb.demo.generate import (
    TableSpec,
    compliance,
    core,
    gateway,
    health,
    ledger,
    mining,
    mint,
)
from azora_nb.demo.load import LEGACY_SUFFIX, Writer
from azora_nb.demo.manifest import Anomaly, Manifest, manifest_path, read_manifest
from azora_nb.demo.plan import (
    DEFAULT_AS_OF,
    DEFAULT_SCALE,
    DEFAULT_SEED,
    AnomalyRates,
    Plan,
)
from azora_nb.exceptions import DestructiveActionRefused, SeedConflict
from azora_nb.settings import SOURCES
from azora_nb.types import to_utc
from azora_nb.workspace import Workspace

log = logging.getLogger("azora_nb")

PRESEEDED = {("mint", "pool_statistics")}
"""Tables the migrations fill with reference rows (pool_statistics: one row per pool
at 0, as the service's schema.sql does); seeding replaces those rows."""


def table_specs(plan: Plan, sources: Iterable[str] = SOURCES) -> list[TableSpec]:
    """Every table's generator for ``sources``, parents before children."""
    wanted = set(sources)
    specs = (
        core.specs(plan)[:1]
        + ledger.specs(plan)
        + mining.specs(plan)
        + health.specs(plan)
        + core.specs(plan)[1:]
        + mint.specs(plan)
        + gateway.specs(plan)
        + compliance.specs(plan)
    )
    return [s for s in specs if s.source in wanted]


def seed(
    ws: Workspace,
    scale: int = DEFAULT_SCALE,
    seed: int = DEFAULT_SEED,
    as_of: datetime | date | str = DEFAULT_AS_OF,
    sources: Iterable[str] | None = None,
    reset: bool = False,
    flavour: str = "standard",
    *,
    rates: AnomalyRates | None = None,
    progress: bool = True,
    confirm: bool = False,
) -> Manifest:
    """Fill the sources with deterministic demo data and write the manifest.

    The same ``(scale, seed, as_of, flavour)`` gives the same rows on SQLite and
    PostgreSQL. A source that already holds this very run is left alone; one
    that holds anything else makes it refuse (:class:`SeedConflict`) unless
    ``reset`` clears the service tables first. A source still empty is filled,
    which tops up a partial seed.

    >>> manifest = seed(ws, scale=5_000)                      # doctest: +SKIP
    >>> manifest.of_kind("reward_stuck_pending")[0].keys      # doctest: +SKIP
    {'reward_id': '...'}
    """
    chosen = tuple(sources) if sources is not None else SOURCES
    for source in chosen:
        ws.settings.source(source)  # raises UnknownSource
    plan = Plan(
        scale=scale, seed=seed, as_of=_moment(as_of), flavour=flavour, rates=rates or AnomalyRates()
    )
    previous = read_manifest(ws.home)
    manifest = Manifest(plan.scale, plan.seed, plan.as_of, plan.flavour)
    if previous is not None and not manifest.same_run(previous):
        stale = [s for s in previous.counts if s not in chosen]
        if stale:
            # Sources of two different runs would not reconcile (rewards vs ledger).
            raise SeedConflict(
                stale[0],
                f"of another demo run (scale {previous.scale}, seed "
                f"{previous.seed}, as_of {previous.as_of.date()}); seed every "
                "source of that run again, or use the same parameters",
            )
    if previous is not None and manifest.same_run(previous) and not reset:
        manifest.counts = {s: c for s, c in previous.counts.items() if s not in chosen}
        manifest.anomalies = [a for a in previous.anomalies if a.source not in chosen]
    specs = table_specs(plan, chosen)
    path = manifest_path(ws.home)
    # Decide for every source before writing to any, so a refusal leaves nothing half done.
    todo = [src for src in chosen if _prepare(ws, src, specs, previous, manifest, reset, confirm)]
    bar = tqdm(
        total=sum(s.rows for s in specs if s.source in todo),
        unit="rows",
        unit_scale=True,
        desc="demo seed",
        disable=not progress,
    )
    try:
        for source in todo:
            if not reset:
                _load(ws, source, [s for s in specs if s.source == source], manifest, reset, bar)
                continue
            params = {"scale": scale, "seed": seed, "as_of": str(as_of), "flavour": flavour}
            with audit.action(ws, source, "demo.reset", params=params) as entry:
                _load(ws, source, [s for s in specs if s.source == source], manifest, reset, bar)
                entry.rows = sum(manifest.counts.get(source, {}).values())
            _sorted(manifest).write(path)  # after each source: a killed run says what is there
    finally:
        bar.close()
    _sorted(manifest).write(path)
    manifest.outcome = {
        src: ("reset and seeded" if reset else "seeded") if src in todo else "already seeded"
        for src in chosen
    }
    return manifest


def _moment(value: datetime | date | str) -> datetime:
    """as_of as an aware UTC datetime; dates and naive times are taken as UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return to_utc(value)


def _sorted(manifest: Manifest) -> Manifest:
    manifest.anomalies.sort(key=lambda a: (a.kind, a.source, json.dumps(a.keys, sort_keys=True)))
    return manifest


def _prepare(
    ws: Workspace,
    source: str,
    specs: list[TableSpec],
    previous: Manifest | None,
    manifest: Manifest,
    reset: bool,
    confirm: bool = False,
) -> bool:
    """Check ``source`` and say whether to load it: False when it already holds this
    run; raises :class:`SeedConflict` when it holds anything else (without reset).
    A reset of rows that no demo run wrote needs ``confirm``."""
    with Writer(ws.engine(source), source) as writer:
        writer.require_tables(dict.fromkeys(s.name for s in specs if s.source == source))
        filled = {
            t: n
            for t in writer.demo_tables()
            if (source, t) not in PRESEEDED and (n := writer.count(t))
        }
    if reset:
        demo_rows = previous is not None and (
            _without_preseeded(source, previous.counts.get(source)) == filled
        )
        if filled and not demo_rows and not confirm:
            raise DestructiveActionRefused(
                f"demo seed --reset of {source}",
                sorted(filled.items()),
                hint="Those rows were not written by the last demo seed. Rerun with --yes "
                "(confirm=True) to replace them.",
            )
        return True
    if not filled:
        return True
    if (
        previous is not None
        and manifest.same_run(previous)
        and _without_preseeded(source, previous.counts.get(source)) == filled
    ):
        manifest.counts[source] = previous.counts[source]
        manifest.anomalies += [a for a in previous.anomalies if a.source == source]
        log.info("%s already holds this demo run; left as it is", source)
        return False
    detail = (
        "from another demo run"
        if previous is not None and source in previous.counts
        else "not seeded by this toolkit"
    )
    raise SeedConflict(source, f"({sum(filled.values()):,} rows {detail})")


def _load(
    ws: Workspace, source: str, specs: list[TableSpec], manifest: Manifest, reset: bool, bar: tqdm
) -> None:
    with Writer(ws.engine(source), source) as writer:
        tables = writer.demo_tables()
        writer.truncate(tables if reset else [t for t in tables if (source, t) in PRESEEDED])
        targets: dict[str, list[TableSpec]] = defaultdict(list)
        for spec in specs:
            legacy = spec.legacy and writer.has_constitutional_checks(spec.name)
            targets[writer.legacy_table(spec.name) if legacy else spec.name].append(spec)
        counts: dict[str, int] = {}
        for target, parts in targets.items():
            # One write (one transaction) per table, whatever the number of generators.
            chunks = chain.from_iterable(part.chunks() for part in parts)
            counts[target] = writer.write(target, chunks, bar.update)
            for part in parts:
                manifest.anomalies += [_placed(a, target) for a in part.anomalies()]
        manifest.counts[source] = dict(counts)
    ws.cache.tables_changed(source, sorted(counts))
    log.info("seeded %s: %s rows", source, f"{sum(counts.values()):,}")


def _without_preseeded(source: str, counts: dict[str, int] | None) -> dict[str, int] | None:
    if counts is None:
        return None
    return {t: n for t, n in counts.items() if (source, t) not in PRESEEDED}


def _placed(anomaly: Anomaly, table: str) -> Anomaly:
    if anomaly.table + LEGACY_SUFFIX == table:
        return Anomaly(anomaly.kind, anomaly.source, table, anomaly.keys)
    return anomaly
