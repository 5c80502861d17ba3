"""Mining performance: output, efficiency, reliability and the rigs that stand out.

Everything reads ``core.mining_sessions``, ``core.mining_statistics`` and
``core.crypto_prices``. A *rig* is a ``mining_sessions.user_id``. Sessions are
placed in time by ``start_time``; ``as_of`` excludes everything that started at
or after it.

Definitions the detectors use (the demo generator plants exactly these, see
``docs/contracts.md``):

* **rig_overheating** -- the median ``temperature_celsius`` over a rig's sessions
  is above 85 °C.
* **rig_underperforming** -- a rig's hashrate (the median ``total_hashrate_mhs``
  of its sessions) has a modified z-score below -3.5 among the rigs of the same
  algorithm: ``z = 0.6745 * (x - median) / MAD`` (Iglewicz and Hoaglin); an
  algorithm whose MAD is 0 flags nothing.
* **session_impossible_earnings** -- "what its hashrate could earn" is
  ``total_hashrate_mhs * hours * rate``, where ``hours`` is the session's
  duration (``end_time - start_time``) and ``rate`` is the median, over the
  completed sessions of the same algorithm, of ``total_earnings_usd /
  (total_hashrate_mhs * hours)``. A completed session with a positive
  duration whose ``total_earnings_usd`` exceeds 10 times that is flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from azora_nb.analytics import _sql as q
from azora_nb.analytics import sessions
from azora_nb.schema import core

if TYPE_CHECKING:
    from azora_nb.workspace import Workspace

OVERHEAT_CELSIUS = 85.0
UNDERPERFORM_Z = -3.5
IMPOSSIBLE_FACTOR = 10.0

_sessions = core.mining_sessions
_stats = core.mining_statistics
_GROUPS = {"algorithm": _sessions.c.algorithm, "pool": _sessions.c.pool_name}


def _group_columns(by: Sequence[str]) -> list[sa.ColumnElement[str]]:
    unknown = [name for name in by if name not in _GROUPS]
    if unknown:
        raise ValueError(f"cannot group by {unknown}: choose from {sorted(_GROUPS)}")
    return [_GROUPS[name].label(name) for name in by]


def daily(
    ws: Workspace,
    *,
    as_of: datetime | str | None = None,
    days: float | None = 30,
    by: Sequence[str] = ("algorithm", "pool"),
    cache: bool = True,
) -> pd.DataFrame:
    """Hashrate, earnings and AZR minted per day and per ``by`` (algorithm, pool).

    >>> mining.daily(ws, as_of="2026-10-31", days=7, by=["algorithm"]).head()  # doctest: +SKIP
    """
    start, end = q.window(q.as_timestamp(as_of), days)
    groups = _group_columns(by)
    bucket = q.day(_sessions.c.start_time).label("day")
    stmt = (
        sa.select(
            bucket,
            *groups,
            sa.func.count().label("sessions"),
            q.favg(_sessions.c.total_hashrate_mhs).label("avg_hashrate_mhs"),
            q.fsum(_sessions.c.total_earnings_usd).label("earnings_usd"),
            q.fsum(_sessions.c.azr_minted).label("azr_minted"),
        )
        .where(q.within(_sessions.c.start_time, start, end))
        .group_by(bucket, *groups)
        .order_by(bucket, *(sa.nulls_last(g) for g in groups))  # NULL last on both backends
    )
    return q.run(ws, stmt, "core", cache=cache)


def _hours() -> sa.ColumnElement[float]:
    return q.seconds(_sessions.c.start_time, _sessions.c.end_time) / 3600.0


def efficiency(
    ws: Workspace,
    *,
    as_of: datetime | str | None = None,
    days: float | None = 30,
    include_impossible: bool = False,
    cache: bool = True,
) -> pd.DataFrame:
    """Per algorithm: energy used, earnings per kWh and MH/s per watt, over completed sessions.

    Energy is ``power_consumption_watts * duration`` of each session. Sessions that
    :func:`impossible_earnings` flags are left out of every figure (their count is
    ``impossible_excluded``), so one impossible session cannot make an algorithm look
    efficient; ``include_impossible=True`` keeps them (``impossible_excluded`` is then 0).

    >>> mining.efficiency(ws, as_of="2026-10-31", days=30)  # doctest: +SKIP
    """
    clock = q.as_timestamp(as_of)
    start, end = q.window(clock, days)
    s = _sessions.c
    flagged = _impossible_select(clock, IMPOSSIBLE_FACTOR).subquery("flagged")
    is_flagged = flagged.c.session_id.is_not(None)
    kept = sa.true() if include_impossible else sa.not_(is_flagged)

    def only_kept(expr: Any) -> Any:
        return sa.case((kept, expr))

    kwh = s.power_consumption_watts * _hours() / 1000.0
    earnings = only_kept(s.total_earnings_usd)
    stmt = (
        sa.select(
            s.algorithm,
            q.count_if(kept).label("sessions"),
            q.fsum(only_kept(kwh)).label("energy_kwh"),
            q.fsum(earnings).label("earnings_usd"),
            q.ratio(sa.func.sum(earnings), sa.func.sum(only_kept(kwh))).label("usd_per_kwh"),
            q.favg(only_kept(q.ratio(s.total_hashrate_mhs, s.power_consumption_watts))).label(
                "mhs_per_watt"
            ),
            q.count_if(sa.and_(is_flagged, sa.not_(kept))).label("impossible_excluded"),
        )
        .join_from(_sessions, flagged, flagged.c.session_id == s.id, isouter=True)
        .where(q.within(s.start_time, start, end), s.status == "completed", s.end_time.is_not(None))
        .group_by(s.algorithm)
        .order_by(s.algorithm)
    )
    return q.run(ws, stmt, "core", cache=cache)


def share_rejection(
    ws: Workspace,
    *,
    as_of: datetime | str | None = None,
    days: float | None = 30,
    cache: bool = True,
) -> pd.DataFrame:
    """Accepted and rejected shares and the rejection rate per algorithm and pool.

    >>> mining.share_rejection(ws, as_of="2026-10-31")  # doctest: +SKIP
    """
    start, end = q.window(q.as_timestamp(as_of), days)
    t = _stats.c
    accepted = sa.func.coalesce(sa.func.sum(t.shares_accepted), 0)
    rejected = sa.func.coalesce(sa.func.sum(t.shares_rejected), 0)
    stmt = (
        sa.select(
            t.algorithm,
            t.pool,
            sa.cast(accepted, sa.BigInteger).label("shares_accepted"),
            sa.cast(rejected, sa.BigInteger).label("shares_rejected"),
            q.ratio(rejected, accepted + rejected).label("rejection_rate"),
        )
        .where(q.within(t.timestamp, start, end))
        .group_by(t.algorithm, t.pool)
        .order_by(t.algorithm, t.pool)
    )
    return q.run(ws, stmt, "core", cache=cache)


def session_outcomes(
    ws: Workspace,
    *,
    as_of: datetime | str | None = None,
    days: float | None = 30,
    cache: bool = True,
) -> pd.DataFrame:
    """Sessions per algorithm with the share that failed or were interrupted.

    >>> mining.session_outcomes(ws, as_of="2026-10-31")  # doctest: +SKIP
    """
    start, end = q.window(q.as_timestamp(as_of), days)
    s = _sessions.c
    stmt = (
        sa.select(
            s.algorithm,
            sa.func.count().label("sessions"),
            q.count_if(s.status == "completed").label("completed"),
            q.count_if(s.status == "failed").label("failed"),
            q.count_if(s.status == "interrupted").label("interrupted"),
            q.ratio(q.count_if(s.status == "failed"), sa.func.count()).label("failed_rate"),
            q.ratio(q.count_if(s.status == "interrupted"), sa.func.count()).label(
                "interrupted_rate"
            ),
        )
        .where(q.within(s.start_time, start, end))
        .group_by(s.algorithm)
        .order_by(s.algorithm)
    )
    return q.run(ws, stmt, "core", cache=cache)


def overheating(
    ws: Workspace,
    *,
    as_of: datetime | str | None = None,
    threshold: float = OVERHEAT_CELSIUS,
    cache: bool = True,
) -> pd.DataFrame:
    """Rigs whose median session temperature is above ``threshold`` °C, hottest first.

    >>> mining.overheating(ws, as_of="2026-10-31")  # doctest: +SKIP
    """
    end = q.as_timestamp(as_of)
    s = _sessions.c
    median = q.percentile(s.temperature_celsius, 0.5)
    stmt = (
        sa.select(s.user_id, sa.func.count().label("sessions"), median.label("median_temperature"))
        .where(
            s.start_time < q.ts_param(None, end),
            s.user_id.is_not(None),
            s.temperature_celsius.is_not(None),
        )
        .group_by(s.user_id)
        .having(median > threshold)
        .order_by(median.desc(), s.user_id)
    )
    return q.run(ws, stmt, "core", cache=cache)


def rig_scores(
    ws: Workspace, *, as_of: datetime | str | None = None, cache: bool = True
) -> pd.DataFrame:
    """Each rig's median hashrate per algorithm and its modified z-score among that
    algorithm's rigs (robust: median and MAD, not mean and standard deviation).

    The database reduces the sessions to one row per rig and algorithm; the
    score is computed on that reduced frame.

    >>> mining.rig_scores(ws, as_of="2026-10-31").nsmallest(5, "modified_z")  # doctest: +SKIP
    """
    end = q.as_timestamp(as_of)
    s = _sessions.c
    stmt = (
        sa.select(
            s.algorithm,
            s.user_id,
            sa.func.count().label("sessions"),
            q.percentile(s.total_hashrate_mhs, 0.5).label("median_hashrate_mhs"),
        )
        .where(
            s.start_time < q.ts_param(None, end),
            s.user_id.is_not(None),
            s.total_hashrate_mhs.is_not(None),
        )
        .group_by(s.algorithm, s.user_id)
        .order_by(s.algorithm, s.user_id)
    )
    rigs = q.run(ws, stmt, "core", cache=cache)
    rigs["modified_z"] = pd.Series(np.nan, index=rigs.index, dtype="float64")
    for _, group in rigs.groupby("algorithm", sort=True):
        rigs.loc[group.index, "modified_z"] = modified_z(group["median_hashrate_mhs"])
    return rigs


def modified_z(values: pd.Series) -> pd.Series:
    """Iglewicz-Hoaglin modified z-scores; NaN when the MAD is 0.

    >>> modified_z(pd.Series([10.0, 11.0, 9.0, 10.0, 1.0])).round(2).tolist()
    [0.0, 0.67, -0.67, 0.0, -6.07]
    """
    x = values.astype("float64")
    median = x.median()
    mad = (x - median).abs().median()
    if not mad or np.isnan(mad):
        return pd.Series(np.nan, index=x.index, dtype="float64")
    return 0.6745 * (x - median) / mad


def underperforming(
    ws: Workspace,
    *,
    as_of: datetime | str | None = None,
    threshold: float = UNDERPERFORM_Z,
    cache: bool = True,
) -> pd.DataFrame:
    """Rigs whose modified z-score is below ``threshold`` within their algorithm.

    >>> mining.underperforming(ws, as_of="2026-10-31")  # doctest: +SKIP
    """
    scores = rig_scores(ws, as_of=as_of, cache=cache)
    flagged = scores[scores["modified_z"] < threshold]
    return flagged.sort_values(["modified_z", "user_id"]).reset_index(drop=True)


def impossible_earnings(
    ws: Workspace,
    *,
    as_of: datetime | str | None = None,
    factor: float = IMPOSSIBLE_FACTOR,
    cache: bool = True,
) -> pd.DataFrame:
    """Completed sessions that earned more than ``factor`` times what their hashrate could
    (see the module docstring for the definition).

    >>> mining.impossible_earnings(ws, as_of="2026-10-31")  # doctest: +SKIP
    """
    stmt = _impossible_select(q.as_timestamp(as_of), factor)
    return q.run(ws, stmt, "core", cache=cache)


def _impossible_select(end: datetime, factor: float) -> sa.Select[Any]:
    s = _sessions.c
    hours = _hours()
    eligible = sa.and_(
        s.status == "completed",
        s.start_time < q.ts_param(None, end),
        s.end_time.is_not(None),
        hours > 0,
        s.total_hashrate_mhs.is_not(None),
    )
    rates = (
        sa.select(
            s.algorithm.label("algorithm"),
            q.percentile(q.ratio(s.total_earnings_usd, s.total_hashrate_mhs * hours), 0.5).label(
                "usd_per_mh_hour"
            ),
        )
        .where(eligible)
        .group_by(s.algorithm)
        .subquery("rates")
    )
    could_earn = s.total_hashrate_mhs * hours * rates.c.usd_per_mh_hour
    return (
        sa.select(
            s.id.label("session_id"),
            s.user_id,
            s.algorithm,
            sa.cast(s.total_hashrate_mhs, sa.Float).label("hashrate_mhs"),
            sa.cast(hours, sa.Float).label("hours"),
            sa.cast(s.total_earnings_usd, sa.Float).label("earnings_usd"),
            sa.cast(could_earn, sa.Float).label("could_earn_usd"),
        )
        .join_from(_sessions, rates, rates.c.algorithm == s.algorithm)
        .where(eligible, s.total_earnings_usd > factor * could_earn)
        .order_by(s.id)
    )


def earnings_vs_prices(
    ws: Workspace,
    *,
    as_of: datetime | str | None = None,
    days: float | None = 90,
    symbols: Sequence[str] | None = None,
    cache: bool = True,
) -> pd.DataFrame:
    """Daily mining earnings beside the daily average price of each crypto symbol.

    One row per day and symbol: ``day``, ``symbol``, ``price_usd``, ``earnings_usd``.

    >>> df = mining.earnings_vs_prices(ws, as_of="2026-10-31", symbols=["BTC"])  # doctest: +SKIP
    >>> df[["price_usd", "earnings_usd"]].corr()  # doctest: +SKIP
    """
    start, end = q.window(q.as_timestamp(as_of), days)
    p = core.crypto_prices.c
    price_day = q.day(p.timestamp).label("day")
    prices = sa.select(price_day, p.symbol, q.favg(p.price_usd).label("price_usd")).where(
        q.within(p.timestamp, start, end)
    )
    if symbols is not None:
        prices = prices.where(p.symbol.in_(list(symbols)))
    prices = prices.group_by(price_day, p.symbol).order_by(price_day, p.symbol)
    s = _sessions.c
    earn_day = q.day(s.start_time).label("day")
    earnings = (
        sa.select(earn_day, q.fsum(s.total_earnings_usd).label("earnings_usd"))
        .where(q.within(s.start_time, start, end), s.status == "completed")
        .group_by(earn_day)
        .order_by(earn_day)
    )
    left = q.run(ws, prices, "core", cache=cache)
    right = q.run(ws, earnings, "core", cache=cache)
    if left.empty:
        return left.assign(earnings_usd=pd.Series(dtype="float64"))
    merged = left.merge(right, on="day", how="left")
    return merged.sort_values(["day", "symbol"]).reset_index(drop=True)


def anomalies(
    ws: Workspace, *, as_of: datetime | str | None = None, cache: bool = True
) -> pd.DataFrame:
    """The mining findings (``kind``, ``keys``, ``detail``), keyed as in the demo manifest:
    the rigs and sessions that stand out, and sessions whose pool or minted AZR do not
    match (:mod:`azora_nb.analytics.sessions`).

    >>> mining.anomalies(ws, as_of="2026-10-31").kind.value_counts()  # doctest: +SKIP
    """
    hot = overheating(ws, as_of=as_of, cache=cache)
    references = sessions.anomalies(ws, cache=cache)
    slow = underperforming(ws, as_of=as_of, cache=cache)
    rich = impossible_earnings(ws, as_of=as_of, cache=cache)
    slow_rigs = slow.drop_duplicates("user_id")
    parts = [
        q.findings(
            "rig_overheating",
            ({"user_id": u} for u in hot["user_id"]),
            (
                f"median temperature {t:.1f} °C over {n} sessions"
                for t, n in zip(hot["median_temperature"], hot["sessions"], strict=True)
            ),
        ),
        q.findings(
            "rig_underperforming",
            ({"user_id": u} for u in slow_rigs["user_id"]),
            (
                f"{a}: median {h:.2f} MH/s, modified z {z:.1f}"
                for a, h, z in zip(
                    slow_rigs["algorithm"],
                    slow_rigs["median_hashrate_mhs"],
                    slow_rigs["modified_z"],
                    strict=True,
                )
            ),
        ),
        q.findings(
            "session_impossible_earnings",
            ({"session_id": sid} for sid in rich["session_id"]),
            (
                f"earned {e:.2f} USD, hashrate could earn {c:.2f}"
                for e, c in zip(rich["earnings_usd"], rich["could_earn_usd"], strict=True)
            ),
        ),
        references,
    ]
    return pd.concat(parts, ignore_index=True)
