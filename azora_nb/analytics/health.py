"""Platform health: stores, migrations, freshness, checks, alerts, API latency, breakers.

The detectors follow the contract table in ``docs/contracts.md``:

* **alert_storm** -- at least 20 alerts for one component within 10 minutes
  (the first and the 20th no more than 600 s apart). Overlapping windows form
  one storm; its keys list every alert of the component inside it.
* **component_stuck_critical** -- every ``system_health`` check of a component
  in the 24 hours before ``as_of`` has status ``critical``.
* **route_p99_degradation** -- a route whose p99 ``responseTime`` over the 7
  days before ``as_of`` is more than 3 times its p99 over the 30 days before those.
"""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa

from azora_nb.analytics import _sql as q
from azora_nb.analytics import alerts
from azora_nb.schema import compliance, core, gateway, mint
from azora_nb.types import TimestampTZ

if TYPE_CHECKING:
    from azora_nb.workspace import Workspace

STORM_ALERTS = 20
STORM_MINUTES = 10.0
STUCK_HOURS = 24.0
P99_RECENT_DAYS = 7.0
P99_BASELINE_DAYS = 30.0
P99_FACTOR = 3.0
NOT_AVAILABLE = "not available"

FRESHNESS_COLUMNS: tuple[tuple[str, sa.Column[Any]], ...] = (
    ("core", core.treasury_ledger.c.created_at),
    ("core", core.mining_sessions.c.start_time),
    ("core", core.mining_statistics.c.timestamp),
    ("core", core.crypto_prices.c.timestamp),
    ("core", core.system_health.c.timestamp),
    ("core", core.alerts.c.created_at),
    ("core", core.audit_log.c.timestamp),
    ("mint", mint.knowledge_rewards.c.createdAt),
    ("mint", mint.earnings_ledger.c.created_at),
    ("mint", mint.minting_transactions.c.created_at),
    ("gateway", gateway.api_calls.c.timestamp),
    ("gateway", gateway.audit_logs.c.timestamp),
    ("compliance", compliance.metadata.tables["ComplianceCheck"].c.timestamp),
    ("compliance", compliance.metadata.tables["AuditLog"].c.createdAt),
)
"""The time column that says how recent each table's data is."""


def stores(ws: Workspace) -> pd.DataFrame:
    """``ws.status()`` as a frame: one row per store, never raising.

    >>> health.stores(ws)[["store", "state"]]  # doctest: +SKIP
    """
    return ws.status().to_frame()


def migrations(ws: Workspace) -> pd.DataFrame:
    """Per source: the schema revision applied, the head of its history, up to date or not.

    >>> health.migrations(ws)  # doctest: +SKIP
    """
    try:
        migrate: Any = importlib.import_module("azora_nb.migrate")
    except ImportError:
        migrate = None
    rows = []
    for source in ws.sources:
        row: dict[str, Any] = {
            "source": source,
            "current": None,
            "head": None,
            "up_to_date": None,
            "note": None,
        }
        if migrate is None:
            row["note"] = NOT_AVAILABLE
        else:
            try:
                current, heads = migrate.current(ws, source), tuple(migrate.heads(source))
                row.update(
                    current=current,
                    head=", ".join(heads),
                    up_to_date=current is not None and current in heads,
                )
            except Exception as exc:  # reported per source: a health page never raises
                row["note"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
        rows.append(row)
    return pd.DataFrame(rows).astype(
        {"source": "str", "current": "str", "head": "str", "up_to_date": "boolean", "note": "str"}
    )


def freshness(
    ws: Workspace, *, as_of: datetime | str | None = None, cache: bool = True
) -> pd.DataFrame:
    """The newest row of each table and its age at ``as_of`` in hours.

    Only ``max(column)`` is asked of each table (an index lookup where one exists).

    >>> health.freshness(ws, as_of="2026-10-31")  # doctest: +SKIP
    """
    end = q.as_timestamp(as_of)
    rows = []
    for source, column in FRESHNESS_COLUMNS:
        row: dict[str, Any] = {
            "source": source,
            "table": column.table.name,
            "column": column.name,
            "latest": pd.NaT,
            "note": None,
        }
        if source in ws.sources:
            try:
                stmt = sa.select(sa.func.max(column).label("latest"))
                row["latest"] = q.run(ws, stmt, source, cache=cache)["latest"].iloc[0]
            except Exception as exc:  # an absent table or store is reported, not raised
                row["note"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["latest"] = pd.to_datetime(frame["latest"], utc=True).astype("datetime64[ns, UTC]")
    frame["age_hours"] = (pd.Timestamp(end) - frame["latest"]).dt.total_seconds() / 3600.0
    return frame.astype({"source": "str", "table": "str", "column": "str", "note": "str"})


def breaches(
    ws: Workspace, *, as_of: datetime | str | None = None, days: float = 7, cache: bool = True
) -> pd.DataFrame:
    """``system_health`` checks per component by status over the window, worst first.

    >>> health.breaches(ws, as_of="2026-10-31", days=7)  # doctest: +SKIP
    """
    start, end = q.window(q.as_timestamp(as_of), days)
    h = core.system_health.c
    stmt = (
        sa.select(
            h.component,
            sa.func.count().label("checks"),
            *(
                q.count_if(h.status == s).label(s)
                for s in ("healthy", "warning", "critical", "offline")
            ),
            q.ratio(q.count_if(h.status != "healthy"), sa.func.count()).label("breach_rate"),
            sa.func.max(h.timestamp).label("last_check"),
        )
        .where(q.within(h.timestamp, start, end))
        .group_by(h.component)
    )
    frame = q.run(ws, stmt, "core", cache=cache)
    return frame.sort_values(["breach_rate", "component"], ascending=[False, True]).reset_index(
        drop=True
    )


def stuck_critical(
    ws: Workspace,
    *,
    as_of: datetime | str | None = None,
    hours: float = STUCK_HOURS,
    cache: bool = True,
) -> pd.DataFrame:
    """Components critical in every check of the last ``hours`` (findings frame).

    >>> health.stuck_critical(ws, as_of="2026-10-31")  # doctest: +SKIP
    """
    start, end = q.window(q.as_timestamp(as_of), hours / 24.0)
    h = core.system_health.c
    stmt = (
        sa.select(h.component, sa.func.count().label("checks"))
        .where(q.within(h.timestamp, start, end))
        .group_by(h.component)
        .having(q.count_if(h.status == "critical") == sa.func.count())
        .order_by(h.component)
    )
    found = q.run(ws, stmt, "core", cache=cache)
    return q.findings(
        "component_stuck_critical",
        ({"component": c} for c in found["component"]),
        (f"critical in all {n} checks of the last {hours:g} h" for n in found["checks"]),
    )


def open_alerts(
    ws: Workspace, *, as_of: datetime | str | None = None, days: float = 30, cache: bool = True
) -> pd.DataFrame:
    """Per severity: alerts open at ``as_of`` and the oldest one's age; of the alerts
    raised in the window and resolved, the median and p95 time to resolve (hours).

    >>> health.open_alerts(ws, as_of="2026-10-31")  # doctest: +SKIP
    """
    clock = q.as_timestamp(as_of)
    start, end = q.window(clock, days)
    a = core.alerts.c
    unresolved = sa.not_(sa.func.coalesce(a.resolved, sa.false()))
    is_open = sa.or_(unresolved, a.resolved_at >= q.ts_param(None, clock))
    age = q.seconds(a.created_at, q.ts_param(None, clock)) / 3600.0
    to_resolve = sa.case(
        (
            sa.and_(sa.not_(is_open), q.within(a.created_at, start, end)),
            q.seconds(a.created_at, a.resolved_at) / 3600.0,
        )
    )
    stmt = (
        sa.select(
            a.severity,
            q.count_if(is_open).label("open"),
            sa.cast(sa.func.max(sa.case((is_open, age))), sa.Float).label("oldest_open_hours"),
            q.count_if(to_resolve.is_not(None)).label("resolved_in_window"),
            q.percentile(to_resolve, 0.5).label("median_hours_to_resolve"),
            q.percentile(to_resolve, 0.95).label("p95_hours_to_resolve"),
        )
        .where(a.created_at < q.ts_param(None, clock))
        .group_by(a.severity)
    )
    frame = q.run(ws, stmt, "core", cache=cache)
    order = {s: i for i, s in enumerate(core.SEVERITIES[::-1])}
    frame = frame.assign(_o=frame["severity"].map(lambda s: order.get(s, len(order))))
    return frame.sort_values("_o").drop(columns="_o").reset_index(drop=True)


def alert_storms(
    ws: Workspace,
    *,
    as_of: datetime | str | None = None,
    threshold: int = STORM_ALERTS,
    minutes: float = STORM_MINUTES,
    cache: bool = True,
) -> pd.DataFrame:
    """Bursts of at least ``threshold`` alerts for one component within ``minutes``
    (findings frame; keys: component and the sorted ids of the storm's alerts).

    The database finds the alerts that open a burst (``lead(created_at, threshold - 1)``
    over each component); only the alerts inside bursts are then fetched.

    >>> health.alert_storms(ws, as_of="2026-10-31")  # doctest: +SKIP
    """
    clock = q.as_timestamp(as_of)
    a = core.alerts.c
    later = sa.func.lead(a.created_at, threshold - 1).over(
        partition_by=a.component, order_by=(a.created_at, a.id)
    )
    ranked = (
        sa.select(a.component, a.created_at, later.label("later"))
        .where(a.component.is_not(None), a.created_at < q.ts_param(None, clock))
        .subquery("ranked")
    )
    span = q.seconds(ranked.c.created_at, ranked.c.later)
    anchors = q.run(
        ws,
        sa.select(
            ranked.c.component,
            ranked.c.created_at,
            sa.type_coerce(ranked.c.later, TimestampTZ()).label("later"),
        )
        .where(ranked.c.later.is_not(None), span <= minutes * 60.0)
        .order_by(ranked.c.component, ranked.c.created_at),
        "core",
        cache=cache,
    )
    rows = []
    for component, start, stop in _merge_windows(anchors):
        stmt = (
            sa.select(a.id)
            .where(
                a.component == component,
                a.created_at >= q.ts_param(None, start),
                a.created_at <= q.ts_param(None, stop),
            )
            .order_by(a.id)
        )
        ids = sorted(q.run(ws, stmt, "core", cache=cache)["id"].tolist())
        rows.append(
            {
                "kind": "alert_storm",
                "keys": {"component": component, "alert_ids": ids},
                "detail": f"{len(ids)} alerts from {start:%Y-%m-%d %H:%M:%S} to {stop:%H:%M:%S}",
            }
        )
    return q.findings_frame(rows)


def _merge_windows(anchors: pd.DataFrame) -> list[tuple[str, datetime, datetime]]:
    windows: list[tuple[str, datetime, datetime]] = []
    columns = (anchors[c].tolist() for c in ("component", "created_at", "later"))
    for component, created_at, later in zip(*columns, strict=True):
        start: datetime = created_at.to_pydatetime()
        stop: datetime = later.to_pydatetime()
        if windows and windows[-1][0] == component and start <= windows[-1][2]:
            windows[-1] = (component, windows[-1][1], max(stop, windows[-1][2]))
        else:
            windows.append((str(component), start, stop))
    return windows


def api_latency(
    ws: Workspace, *, as_of: datetime | str | None = None, days: float = 7, cache: bool = True
) -> pd.DataFrame:
    """Per service and route: calls, error rate (status >= 500), client error rate
    (4xx), and p50/p95/p99 response time in ms.

    >>> health.api_latency(ws, as_of="2026-10-31", days=7)  # doctest: +SKIP
    """
    start, end = q.window(q.as_timestamp(as_of), days)
    c, r = gateway.api_calls.c, gateway.service_routes.c
    stmt = (
        sa.select(
            r.serviceName.label("service"),
            r.route,
            r.id.label("route_id"),
            sa.func.count().label("calls"),
            q.ratio(q.count_if(c.statusCode >= 500), sa.func.count()).label("error_rate"),
            q.ratio(
                q.count_if(sa.and_(c.statusCode >= 400, c.statusCode < 500)), sa.func.count()
            ).label("client_error_rate"),
            *(q.percentile(c.responseTime, p / 100).label(f"p{p}_ms") for p in (50, 95, 99)),
        )
        .join_from(gateway.api_calls, gateway.service_routes, r.id == c.routeId)
        .where(q.within(c.timestamp, start, end))
        .group_by(r.serviceName, r.route, r.id)
        .order_by(r.serviceName, r.route, r.id)
    )
    return q.run(ws, stmt, "gateway", cache=cache)


def route_degradation(
    ws: Workspace,
    *,
    as_of: datetime | str | None = None,
    factor: float = P99_FACTOR,
    cache: bool = True,
) -> pd.DataFrame:
    """Routes whose recent p99 latency is more than ``factor`` times their baseline p99
    (findings frame; see the module docstring).

    >>> health.route_degradation(ws, as_of="2026-10-31")  # doctest: +SKIP
    """
    clock = q.as_timestamp(as_of)
    split = clock - timedelta(days=P99_RECENT_DAYS)
    first = split - timedelta(days=P99_BASELINE_DAYS)
    c = gateway.api_calls.c
    recent_window = c.timestamp >= q.ts_param(None, split)
    recent = q.percentile(sa.case((recent_window, c.responseTime)), 0.99)
    baseline = q.percentile(sa.case((sa.not_(recent_window), c.responseTime)), 0.99)
    stmt = (
        sa.select(
            c.routeId.label("route_id"),
            recent.label("recent_p99_ms"),
            baseline.label("baseline_p99_ms"),
        )
        .where(c.routeId.is_not(None), q.within(c.timestamp, first, clock))
        .group_by(c.routeId)
        .having(recent > factor * baseline)
        .order_by(c.routeId)
    )
    found = q.run(ws, stmt, "gateway", cache=cache)
    return q.findings(
        "route_p99_degradation",
        ({"route_id": r} for r in found["route_id"]),
        (
            f"p99 {n:.0f} ms in the last {P99_RECENT_DAYS:g} days, {b:.0f} ms before"
            for n, b in zip(found["recent_p99_ms"], found["baseline_p99_ms"], strict=True)
        ),
    )


def circuit_breakers(ws: Workspace, *, cache: bool = True) -> pd.DataFrame:
    """Every circuit breaker with its state, failures and last failure, open ones first.

    >>> health.circuit_breakers(ws)  # doctest: +SKIP
    """
    b = gateway.circuit_breakers.c
    opened = sa.case((b.state == "open", 0), (b.state == "half_open", 1), else_=2)
    stmt = sa.select(
        b.serviceName.label("service"), b.state, b.failureCount, b.lastFailure, b.timeout
    ).order_by(opened, b.serviceName)
    return q.run(ws, stmt, "gateway", cache=cache)


def cache_stats(ws: Workspace) -> pd.DataFrame:
    """Cache hits, misses and hit rate per source, or one "not available" row when the
    workspace has no query cache.

    >>> health.cache_stats(ws)  # doctest: +SKIP
    """
    try:
        cache_api: Any = importlib.import_module("azora_nb.cache")
        frame: pd.DataFrame = cache_api.stats(ws).to_frame()
        return frame
    except (ImportError, AttributeError):
        return pd.DataFrame(
            {
                "source": pd.Series(["all"], dtype="str"),
                "note": pd.Series([NOT_AVAILABLE], dtype="str"),
            }
        )


def sync_lag(ws: Workspace, *, as_of: datetime | str | None = None) -> pd.DataFrame:
    """Per sync (``azora_nb.sync.status``): direction, last run, open dead letters, and
    how far the copy lags its source *in data time*: ``lag_hours`` is the newest
    cursor value in the source (``source_latest``) minus the newest in the target
    (``synced_latest``), 0 when the copy is level. Wall-clock times play no part, so
    a report on old data (``as_of`` in the past) shows the real lag; ``last_finished``
    (when the last run ended, by the clock) is shown for information only. Syncs
    without a cursor, or with a Mongo side, have no lag (NaN) and say why in ``note``.
    ``as_of`` is accepted for a uniform signature; the lag compares data with data.

    >>> health.sync_lag(ws)  # doctest: +SKIP
    """
    del as_of
    try:
        sync: Any = importlib.import_module("azora_nb.sync")
        rows = sync.status(ws)
        defined = sync.definitions(ws)
    except (ImportError, AttributeError):
        rows, defined = [], {}
    if not rows:
        return pd.DataFrame(
            {
                "sync_name": pd.Series(["all"], dtype="str"),
                "note": pd.Series([NOT_AVAILABLE], dtype="str"),
            }
        )
    records = []
    for r in rows:
        source_latest, synced_latest, note = _data_times(ws, defined.get(r["name"]))
        records.append(
            {
                "sync_name": r["name"],
                "direction": r.get("direction"),
                "last_status": r.get("last_status"),
                "last_finished": r.get("last_finished"),
                "rows_written": r.get("rows_written"),
                "dead_letters": r.get("dead_letters"),
                "source_latest": source_latest,
                "synced_latest": synced_latest,
                "note": r.get("error") or note,
            }
        )
    frame = pd.DataFrame(records)
    for name in ("last_finished", "source_latest", "synced_latest"):
        frame[name] = pd.to_datetime(frame[name], utc=True).astype("datetime64[ns, UTC]")
    behind = (frame["source_latest"] - frame["synced_latest"]).dt.total_seconds() / 3600.0
    frame["lag_hours"] = behind.clip(lower=0.0)
    return frame.astype(
        {
            "sync_name": "str",
            "direction": "str",
            "last_status": "str",
            "rows_written": "Int64",
            "dead_letters": "Int64",
            "note": "str",
        }
    )


def _data_times(ws: Workspace, definition: Any) -> tuple[Any, Any, str | None]:
    """(newest source cursor, newest target cursor, note) of a SQL -> SQL sync."""
    if definition is None:
        return None, None, "definition not found"
    source, target, cursor = definition.source, definition.target, definition.cursor
    if not cursor:
        return None, None, "no cursor: no data-time lag"
    if getattr(source, "table", None) is None or not hasattr(target, "schema"):
        return None, None, "lag in data time is measured for SQL -> SQL syncs only"

    def newest(src: str, table: str, schema: str | None) -> Any:
        stmt: sa.Select[Any] = sa.select(
            sa.func.max(sa.column(cursor)).label("latest")
        ).select_from(sa.table(table, schema=schema))
        return ws.sql(stmt, source=src)["latest"].iloc[0]

    try:
        latest = newest(source.source, source.table, source.schema)
    except Exception as exc:  # reported per sync: a health page never raises
        return None, None, f"source: {type(exc).__name__}: {exc}".splitlines()[0]
    try:
        synced = newest(target.source, target.table, target.schema)
    except Exception:  # the target is made by the first run
        return latest, None, "not synced yet"
    return latest, synced, None


def anomalies(
    ws: Workspace, *, as_of: datetime | str | None = None, cache: bool = True
) -> pd.DataFrame:
    """The health findings (``kind``, ``keys``, ``detail``), keyed as in the demo manifest.

    >>> health.anomalies(ws, as_of="2026-10-31")  # doctest: +SKIP
    """
    return pd.concat(
        [
            alert_storms(ws, as_of=as_of, cache=cache),
            stuck_critical(ws, as_of=as_of, cache=cache),
            route_degradation(ws, as_of=as_of, cache=cache),
            alerts.anomalies(ws, cache=cache),
        ],
        ignore_index=True,
    )
