"""Dated snapshots of the headline metrics, kept in ``azora_nb_metric_snapshots``.

A snapshot is one row per metric for one ``as_of``: taking a snapshot again for
the same ``as_of`` replaces it. :func:`history` reads them back for trends;
:func:`prune` applies retention (keep the newest N per metric, drop those older
than a cutoff, or both). Snapshots live in the ``core`` database.

Every headline metric is a single aggregate query computed in the database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa

from azora_nb.analytics import _sql as q
from azora_nb.analytics import forecast
from azora_nb.schema import core, gateway, mint, toolkit

if TYPE_CHECKING:
    from azora_nb.workspace import Workspace

SOURCE = "core"
_snap = toolkit.metric_snapshots


def _scalar(ws: Workspace, stmt: Any, source: str) -> float:
    value: Any = q.run(ws, stmt, source, cache=False).iloc[0, 0]
    return float("nan") if pd.isna(value) else float(value)


def _days(column: Any, as_of: datetime, days: int | None) -> Any:
    """Rows of the ``days`` days before ``as_of``; with ``days=None``, every row before it."""
    return q.within(column, None if days is None else as_of - timedelta(days=days), as_of)


def _supply(as_of: datetime) -> Any:
    t = core.treasury_ledger.c
    signed = sa.case(
        (t.transaction_type == "mint", t.amount_azr),
        (t.transaction_type == "burn", -t.amount_azr),
        else_=0,
    )
    return sa.select(q.fsum(signed)).where(
        t.blockchain_status == "confirmed", _days(t.created_at, as_of, None)
    )


def _minted_30d(as_of: datetime) -> Any:
    t = core.treasury_ledger.c
    confirmed_mint = sa.and_(t.transaction_type == "mint", t.blockchain_status == "confirmed")
    return sa.select(q.fsum(t.amount_azr)).where(confirmed_mint, _days(t.created_at, as_of, 30))


def _rewards_paid_30d(as_of: datetime) -> Any:
    r = mint.knowledge_rewards.c
    return sa.select(q.fsum(r.rewardAmount)).where(
        r.status == "PAID", _days(r.createdAt, as_of, 30)
    )


def _rewards_pending(as_of: datetime) -> Any:
    r = mint.knowledge_rewards.c
    return sa.select(sa.func.count()).where(r.status == "PENDING", _days(r.createdAt, as_of, None))


def _hashrate_7d(as_of: datetime) -> Any:
    s = core.mining_sessions.c
    return sa.select(q.favg(s.total_hashrate_mhs)).where(_days(s.start_time, as_of, 7))


def _earnings_30d(as_of: datetime) -> Any:
    s = core.mining_sessions.c
    return sa.select(q.fsum(s.total_earnings_usd)).where(_days(s.start_time, as_of, 30))


def _api_error_rate_7d(as_of: datetime) -> Any:
    c = gateway.api_calls.c
    errors = q.ratio(q.count_if(c.statusCode >= 500), sa.func.count())
    return sa.select(errors).where(_days(c.timestamp, as_of, 7))


def _open_alerts(as_of: datetime) -> Any:
    a = core.alerts.c
    unresolved = sa.not_(sa.func.coalesce(a.resolved, sa.false()))
    return sa.select(sa.func.count()).where(
        _days(a.created_at, as_of, None),
        sa.or_(unresolved, a.resolved_at >= q.ts_param(None, as_of)),
    )


HEADLINES: dict[str, tuple[str, Callable[[datetime], Any]]] = {
    "treasury.supply_azr": ("core", _supply),
    "treasury.minted_30d_azr": ("core", _minted_30d),
    "rewards.paid_30d_azr": ("mint", _rewards_paid_30d),
    "rewards.pending": ("mint", _rewards_pending),
    "mining.avg_hashrate_7d_mhs": ("core", _hashrate_7d),
    "mining.earnings_30d_usd": ("core", _earnings_30d),
    "health.api_error_rate_7d": ("gateway", _api_error_rate_7d),
    "health.open_alerts": ("core", _open_alerts),
}
"""The headline metrics by name: the source each is read from, and its query (one
aggregate row) at an ``as_of``."""


def _value(ws: Workspace, metric: str, as_of: datetime) -> float:
    source, query = HEADLINES[metric]
    return _scalar(ws, query(as_of), source)


def _names(metrics: Sequence[str] | None) -> list[str]:
    names = list(HEADLINES) if metrics is None else list(metrics)
    unknown = sorted(set(names) - set(HEADLINES))
    if unknown:
        raise ValueError(f"unknown metrics {unknown}: choose from {sorted(HEADLINES)}")
    return names


def headline_metrics(
    ws: Workspace, *, as_of: datetime | str | None = None, metrics: Sequence[str] | None = None
) -> pd.DataFrame:
    """The headline metrics at ``as_of``: one row per metric (``metric``, ``value``).

    >>> snapshots.headline_metrics(ws, as_of="2026-10-31")  # doctest: +SKIP
    """
    clock = q.as_timestamp(as_of)
    names = _names(metrics)
    return pd.DataFrame(
        {
            "metric": pd.Series(names, dtype="str"),
            "value": [_value(ws, name, clock) for name in names],
        }
    )


def take(
    ws: Workspace,
    *,
    as_of: datetime | str | None = None,
    metrics: Sequence[str] | None = None,
    keep: int | None = None,
) -> pd.DataFrame:
    """Compute the headline metrics at ``as_of`` and store them, replacing any snapshot
    already stored for that ``as_of``; with ``keep``, then prune to the newest ``keep``
    snapshots per metric. Returns the metrics stored.

    >>> snapshots.take(ws, as_of="2026-10-31", keep=400)  # doctest: +SKIP
    """
    clock = q.as_timestamp(as_of)
    values = headline_metrics(ws, as_of=clock, metrics=metrics)
    names = values["metric"].tolist()
    rows = [
        {"as_of": clock, "metric": m, "dims": None, "value": None if pd.isna(v) else float(v)}
        for m, v in zip(names, values["value"], strict=True)
    ]
    with ws.engine(SOURCE).begin() as conn:
        conn.execute(
            sa.delete(_snap).where(
                _snap.c.as_of == q.ts_param(None, clock), _snap.c.metric.in_(names)
            )
        )
        conn.execute(sa.insert(_snap), rows)
    ws.cache.tables_changed(SOURCE, [_snap.name])
    if keep is not None:
        prune(ws, keep=keep)
    return values.assign(as_of=pd.Timestamp(clock).as_unit("ns"))


def history(
    ws: Workspace,
    *,
    metrics: Sequence[str] | None = None,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    cache: bool = False,
) -> pd.DataFrame:
    """Stored snapshots, oldest first: ``as_of``, ``metric``, ``value``, ``taken_at``.

    >>> h = snapshots.history(ws, metrics=["treasury.supply_azr"])  # doctest: +SKIP
    >>> h.pivot(index="as_of", columns="metric", values="value")  # doctest: +SKIP
    """
    s = _snap.c
    stmt = sa.select(s.as_of, s.metric, s.value, s.taken_at)
    if metrics is not None:
        stmt = stmt.where(s.metric.in_(list(metrics)))
    if since is not None:
        stmt = stmt.where(s.as_of >= q.ts_param(None, q.as_timestamp(since)))
    if until is not None:
        stmt = stmt.where(s.as_of <= q.ts_param(None, q.as_timestamp(until)))
    return q.run(ws, stmt.order_by(s.as_of, s.metric, s.id), SOURCE, cache=cache)


def trend(
    ws: Workspace,
    metric: str,
    *,
    as_of: datetime | str | None = None,
    window_days: float = 90,
    ahead_days: float = 7,
    level: float = 0.95,
    min_snapshots: int = 7,
) -> pd.DataFrame:
    """Forecast ``metric`` ``ahead_days`` after ``as_of`` from its snapshots of the last
    ``window_days``: an OLS trend over time with a ``level`` prediction interval (see
    :func:`azora_nb.analytics.forecast.trend`). Needs ``min_snapshots`` snapshots.

    >>> snapshots.trend(ws, "treasury.supply_azr", as_of="2026-10-31")  # doctest: +SKIP
    """
    clock = q.as_timestamp(as_of)
    past = history(ws, metrics=[metric], since=clock - timedelta(days=window_days), until=clock)
    past = past.dropna(subset=["value"])
    if len(past) < max(min_snapshots, 3):
        raise ValueError(
            f"{metric} has {len(past)} snapshots in the {window_days:g} days "
            f"before {clock:%Y-%m-%d}; a trend needs at least {min_snapshots}"
        )
    ahead = pd.Timestamp(clock + timedelta(days=ahead_days))
    frame = forecast.trend(past["as_of"], past["value"], [ahead], level)
    return frame.assign(metric=metric, snapshots=len(past))


def prune(ws: Workspace, *, keep: int | None = None, before: datetime | str | None = None) -> int:
    """Apply retention: keep the newest ``keep`` snapshots of each metric and/or drop
    those whose ``as_of`` is before ``before``. Returns the rows deleted.

    >>> snapshots.prune(ws, keep=365)  # doctest: +SKIP
    """
    if keep is None and before is None:
        raise ValueError("say what to keep: pass keep=N, before=<date>, or both")
    s = _snap.c
    deleted = 0
    with ws.engine(SOURCE).begin() as conn:
        if before is not None:
            cutoff = q.ts_param(None, q.as_timestamp(before))
            deleted += conn.execute(sa.delete(_snap).where(s.as_of < cutoff)).rowcount or 0
        if keep is not None:
            if keep < 0:
                raise ValueError("keep must be 0 or more")
            rank = sa.func.row_number().over(
                partition_by=s.metric, order_by=(s.as_of.desc(), s.id.desc())
            )
            ranked = sa.select(s.id, rank.label("rank")).subquery("ranked")
            stale = sa.select(ranked.c.id).where(ranked.c.rank > keep)
            deleted += conn.execute(sa.delete(_snap).where(s.id.in_(stale))).rowcount or 0
    if deleted:
        ws.cache.tables_changed(SOURCE, [_snap.name])
    return int(deleted)
