"""The README's main job, ``azora-nb demo``: from nothing to four HTML reports.

1. build every source's database (``migrate.upgrade``),
2. seed the demo data, unless the same demo is already there,
3. run the SQL sync definitions into ``analysis``,
4. run the four curated notebooks and write their HTML,
5. summarise the headline findings.

Every step is safe to repeat: upgrades are no-ops at head, seeding is skipped
when the manifest says the same data is in place, the sync is incremental and
reports are overwritten.

>>> from azora_nb.mainjob import run_main_job   # doctest: +SKIP
>>> with az.connect() as ws:                     # doctest: +SKIP
...     result = run_main_job(ws)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from azora_nb.reports import MAIN_REPORTS, ReportResult, run_report
from azora_nb.workspace import Workspace

log = logging.getLogger("azora_nb")

Echo = Callable[[str], None]


@dataclass
class MainJobResult:
    """What ``azora-nb demo`` did."""

    seeded: bool
    synced: list[str]
    reports: list[ReportResult] = field(default_factory=list)
    headlines: list[str] = field(default_factory=list)
    seconds: float = 0.0


def prepare(
    ws: Workspace,
    *,
    scale: int | None = None,
    seed: int | None = None,
    echo: Echo = log.info,
    progress: bool = False,
) -> bool:
    """Migrate every source to head and seed the demo data; ``True`` when it seeded.

    The demo generator leaves a source alone when it already holds the same run
    and fills one that is empty; a home seeded by an earlier demo with another
    scale or seed is reset, while a database holding anything else is refused.
    """
    from azora_nb import demo, migrate

    for source in ws.sources:
        clock = time.perf_counter()
        migrate.upgrade(ws, source)
        echo(f"{source}: schema at head ({time.perf_counter() - clock:.1f} s)")
    scale = demo.DEFAULT_SCALE if scale is None else scale
    seed = demo.DEFAULT_SEED if seed is None else seed
    previous = demo.read_manifest(ws.home)
    same = previous is not None and (previous.scale, previous.seed) == (scale, seed)
    echo("[2/5] demo data")
    if same:
        echo(f"demo data in place (scale {scale:,}, seed {seed}); checking every source")
    else:
        echo(
            f"seeding demo data (scale {scale:,}, seed {seed})"
            + (", replacing an earlier demo" if previous is not None else "")
        )
    clock = time.perf_counter()
    demo.seed(
        ws, scale=scale, seed=seed, reset=previous is not None and not same, progress=progress
    )
    echo(f"demo data ready ({time.perf_counter() - clock:.1f} s)")
    return not same


def sync_all(ws: Workspace, echo: Echo = log.info) -> list[str]:
    """Run every SQL → SQL sync definition into ``analysis``; the names that ran.

    With MongoDB configured, the demo documents are written there first (the same
    documents every time) and the MongoDB → SQL definitions run too.
    """
    from azora_nb import sync

    wanted = {"sql->sql"}
    if ws.settings.mongo.url is not None:
        from azora_nb.sync.demo_docs import write_demo_documents

        counts = write_demo_documents(ws)
        echo(
            "demo documents in MongoDB: "
            + ", ".join(f"{n:,} {name}" for name, n in sorted(counts.items()))
        )
        wanted.add("mongo->sql")
    ran = []
    for name, definition in sorted(sync.definitions(ws).items()):
        if definition.direction not in wanted:
            continue
        result = sync.run(ws, definition, progress=False)
        echo(f"sync {name}: {result.status}, {result.rows_written:,} rows written")
        ran.append(name)
    return ran


def run_main_job(
    ws: Workspace,
    *,
    scale: int | None = None,
    seed: int | None = None,
    out_dir: Path | None = None,
    reports: Sequence[str] = MAIN_REPORTS,
    echo: Echo = log.info,
    workers: int = 2,
    progress: bool = False,
) -> MainJobResult:
    """Build, seed, sync, run the reports (``workers`` at a time); see the module
    docstring. Every step says when it starts and ends through ``echo``; with
    ``progress`` the seeding also draws progress bars."""
    clock = time.perf_counter()
    echo("[1/5] building the databases")
    seeded = prepare(ws, scale=scale, seed=seed, echo=echo, progress=progress)
    echo("[3/5] syncing into analysis")
    result = MainJobResult(seeded=seeded, synced=sync_all(ws, echo))
    echo(f"[4/5] running {len(reports)} reports, {workers} at a time: {', '.join(reports)}")
    result.reports = run_reports(ws, reports, out_dir, echo, workers)
    echo("[5/5] headline findings")
    result.headlines = headlines(ws)
    result.seconds = time.perf_counter() - clock
    return result


def run_reports(
    ws: Workspace, reports: Sequence[str], out_dir: Path | None, echo: Echo, workers: int
) -> list[ReportResult]:
    """Run ``reports``, ``workers`` at a time, saying when each starts and finishes;
    results in the order asked."""
    started: dict[str, float] = {}

    def one(name: str) -> ReportResult:
        started[name] = time.perf_counter()
        echo(f"report {name}: running")
        return run_report(ws, name, {}, out_dir)

    done: dict[str, ReportResult] = {}
    # Each report is a kernel of its own that mostly waits on its database, so two
    # at a time finish sooner even on a two-core laptop.
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {pool.submit(one, name): name for name in reports}
        for count, future in enumerate(as_completed(futures), start=1):
            name = futures[future]
            done[name] = future.result()
            seconds = time.perf_counter() - started[name]
            echo(f"report {name}: done in {seconds:.0f} s ({count}/{len(reports)})")
    return [done[name] for name in reports]


def headlines(ws: Workspace) -> list[str]:
    """One line per subject, from the analytics library at the demo data's ``as_of``."""
    from azora_nb import demo
    from azora_nb.analytics import health, mining, rewards, treasury

    manifest = demo.read_manifest(ws.home)
    as_of = manifest.as_of if manifest is not None else demo.DEFAULT_AS_OF
    supply = treasury.net_supply(ws, as_of=as_of)
    broken = treasury.compliance_violations(ws)
    audit = rewards.audit(ws, as_of=as_of)
    rigs = mining.anomalies(ws, as_of=as_of)
    platform = health.anomalies(ws, as_of=as_of)
    return [
        f"treasury: net supply {supply['supply_azr'].iloc[-1]:,.0f} AZR; "
        f"{len(broken)} ledger rows break a constitutional rule",
        f"reward audit: {len(audit)} findings ({_by_kind(audit)})",
        f"mining: {len(rigs)} findings ({_by_kind(rigs)})",
        f"health: {len(platform)} findings ({_by_kind(platform)})",
    ]


def _by_kind(findings: Any) -> str:
    if len(findings) == 0:
        return "none"
    counts = findings["kind"].value_counts().sort_index()
    return ", ".join(f"{n} {kind}" for kind, n in counts.items())
