"""Treasury: flows, supply, allocation, constitutional compliance, confirmations and gas.

Reads ``core.treasury_ledger`` (and ``treasury_ledger_legacy`` when a database
holds one), ``core.founder_compensation`` and ``mint.earnings_ledger``. Monthly
windows start on the first day of a month: ``months=12`` is the month of
``as_of`` and the eleven before it, up to ``as_of``.

Net supply is AZR minted minus AZR burned (confirmed rows by default); the
other transaction types move existing AZR. The forecast is in
:mod:`azora_nb.analytics.forecast`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa

from azora_nb.analytics import _money as money
from azora_nb.analytics import _sql as q
from azora_nb.schema import core, mint

if TYPE_CHECKING:
    from azora_nb.workspace import Workspace

ALLOCATIONS = ("treasury", "founder", "burn", "circulation")
FOUNDER_SHARE = 0.11
ALLOCATION_CAPS = {"enterprise": 600_000.0, "business": 200_000.0, "student": 100_000.0}
"""The fixed caps of the mint service's allocation_status view, by earnings_ledger.user_type."""
LEGACY_TABLE = "treasury_ledger_legacy"
ALLOCATION_TOLERANCE = "0.00005"
"""Half a unit of NUMERIC(5,4): a sum that rounds to 1.0000 passes (exact, as NUMERIC)."""
VALUATION_TOLERANCE = "0.000000005"
"""Half a unit of NUMERIC(20,8) (exact, as NUMERIC)."""
AGE_BUCKETS = (
    (3600.0, "< 1 h"),
    (86400.0, "1-24 h"),
    (7 * 86400.0, "1-7 d"),
    (30 * 86400.0, "7-30 d"),
)

_ledger = core.treasury_ledger
_legacy = _ledger.to_metadata(sa.MetaData(), name=LEGACY_TABLE)


def month_start(as_of: datetime, months: int) -> datetime:
    """The first instant of the month ``months - 1`` months before ``as_of``'s month.

    >>> month_start(datetime(2026, 10, 31, tzinfo=UTC), 12).isoformat()
    '2025-11-01T00:00:00+00:00'
    """
    if months < 1:
        raise ValueError("months must be at least 1")
    index = as_of.year * 12 + as_of.month - 1 - (months - 1)
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def _status_filter(column: Any, statuses: Sequence[str] | None) -> Any:
    return sa.true() if statuses is None else column.in_(list(statuses))


def flows(
    ws: Workspace,
    *,
    as_of: datetime | str | None = None,
    months: int = 12,
    statuses: Sequence[str] | None = ("confirmed",),
    cache: bool = True,
) -> pd.DataFrame:
    """Ledger flows per month and transaction type, in AZR and USD.

    >>> treasury.flows(ws, as_of="2026-10-31", months=6)  # doctest: +SKIP
    """
    end = q.as_timestamp(as_of)
    t = _ledger.c
    bucket = q.month(t.created_at).label("month")
    stmt = (
        sa.select(
            bucket,
            t.transaction_type,
            sa.func.count().label("transactions"),
            q.fsum(t.amount_azr).label("amount_azr"),
            q.fsum(t.amount_usd).label("amount_usd"),
        )
        .where(
            q.within(t.created_at, month_start(end, months), end),
            _status_filter(t.blockchain_status, statuses),
        )
        .group_by(bucket, t.transaction_type)
        .order_by(bucket, t.transaction_type)
    )
    return q.run(ws, stmt, "core", cache=cache)


def _minted_burned() -> tuple[Any, Any]:
    t = _ledger.c
    minted = sa.func.coalesce(
        sa.func.sum(sa.case((t.transaction_type == "mint", t.amount_azr), else_=0)), 0
    )
    burned = sa.func.coalesce(
        sa.func.sum(sa.case((t.transaction_type == "burn", t.amount_azr), else_=0)), 0
    )
    return minted, burned


def net_supply(
    ws: Workspace,
    *,
    as_of: datetime | str | None = None,
    months: int = 12,
    statuses: Sequence[str] | None = ("confirmed",),
    cache: bool = True,
) -> pd.DataFrame:
    """AZR minted, burned and net per month, and the supply at each month's end.

    Every month of the window has a row (0 when nothing happened); the supply
    starts from everything minted and burned before the window. ``period`` is
    ``"partial"`` for the month of ``as_of`` (observed only up to ``as_of``) and
    ``"full"`` for the others; the last row's ``supply_azr`` is the supply at ``as_of``.

    >>> supply = treasury.net_supply(ws, as_of="2026-10-31")  # doctest: +SKIP
    >>> supply[["month", "net_azr", "supply_azr"]]  # doctest: +SKIP
    """
    end = q.as_timestamp(as_of)
    start = month_start(end, months)
    t = _ledger.c
    minted, burned = _minted_burned()
    status = _status_filter(t.blockchain_status, statuses)
    bucket = q.month(t.created_at).label("month")
    monthly = (
        sa.select(
            bucket,
            sa.cast(minted, sa.Float).label("minted_azr"),
            sa.cast(burned, sa.Float).label("burned_azr"),
        )
        .where(q.within(t.created_at, start, end), status)
        .group_by(bucket)
        .order_by(bucket)
    )
    opening = sa.select(sa.cast(minted - burned, sa.Float).label("opening")).where(
        t.created_at < q.ts_param(None, start), status
    )
    found = q.run(ws, monthly, "core", cache=cache)
    before = q.run(ws, opening, "core", cache=cache)["opening"].fillna(0.0)
    calendar = pd.DataFrame(
        {
            "month": pd.date_range(start, periods=months, freq="MS", tz="UTC").astype(
                "datetime64[ns, UTC]"
            )
        }
    )
    frame = calendar.merge(found, on="month", how="left").fillna(
        {"minted_azr": 0.0, "burned_azr": 0.0}
    )
    frame["net_azr"] = frame["minted_azr"] - frame["burned_azr"]
    frame["supply_azr"] = float(before.iloc[0]) + frame["net_azr"].cumsum()
    # The window ends inside as_of's month, so its last month is never observed whole.
    frame["period"] = pd.Series(["full"] * (months - 1) + ["partial"], dtype="str")
    return frame


def allocation_split(
    ws: Workspace, *, as_of: datetime | str | None = None, months: int = 12, cache: bool = True
) -> pd.DataFrame:
    """How confirmed mints divide between treasury, founder, burn and circulation.

    >>> treasury.allocation_split(ws, as_of="2026-10-31")  # doctest: +SKIP
    """
    end = q.as_timestamp(as_of)
    t = _ledger.c
    stmt = sa.select(
        *(q.fsum(t.amount_azr * t[f"{name}_allocation"]).label(name) for name in ALLOCATIONS)
    ).where(
        q.within(t.created_at, month_start(end, months), end),
        t.transaction_type == "mint",
        t.blockchain_status == "confirmed",
    )
    row = q.run(ws, stmt, "core", cache=cache).fillna(0.0).iloc[0]
    amounts = [float(row[name]) for name in ALLOCATIONS]
    total = sum(amounts)
    return pd.DataFrame(
        {
            "allocation": pd.Series(ALLOCATIONS, dtype="str"),
            "amount_azr": amounts,
            "share": [a / total if total else float("nan") for a in amounts],
        }
    )


def ledger_tables(ws: Workspace) -> list[sa.Table]:
    """The ledger tables present: ``treasury_ledger`` and, if there, the legacy copy.

    >>> [t.name for t in treasury.ledger_tables(ws)]  # doctest: +SKIP
    ['treasury_ledger', 'treasury_ledger_legacy']
    """
    tables = [_ledger]
    if q.has_table(ws, "core", LEGACY_TABLE):
        tables.append(_legacy)
    return tables


def _allocation_total(table: sa.Table) -> Any:
    t = table.c
    return sum((t[f"{name}_allocation"] for name in ALLOCATIONS[1:]), t.treasury_allocation)


def _checks(table: sa.Table) -> dict[str, Any]:
    """Row rules of a ledger table, compared in SQL: NUMERIC against NUMERIC tolerances
    on PostgreSQL, so no float rounding hides a difference."""
    t = table.c
    created = t.created_at
    return {
        "legacy_allocation_sum": sa.func.abs(_allocation_total(table) - 1)
        > money.tolerance(ALLOCATION_TOLERANCE),
        "legacy_valuation": sa.func.abs(t.amount_azr - t.amount_usd)
        > money.tolerance(VALUATION_TOLERANCE),
        "ledger_amount_not_positive": sa.or_(t.amount_azr <= 0, t.amount_usd <= 0),
        "ledger_times_out_of_order": sa.or_(
            t.confirmed_at < created,
            t.processed_at < created,
            t.processed_at < t.confirmed_at,
        ),
    }


def compliance(ws: Workspace, *, cache: bool = True) -> pd.DataFrame:
    """Row rules per ledger table: the constitution's two (allocations sum to 1; 1 AZR =
    1 USD), positive amounts, and created <= confirmed <= processed.

    One row per table and check, with the rows checked and the violations.

    >>> treasury.compliance(ws)  # doctest: +SKIP
    """
    rows = []
    for table in ledger_tables(ws):
        checks = _checks(table)
        stmt = sa.select(
            sa.func.count().label("rows"),
            *(q.count_if(cond).label(kind) for kind, cond in checks.items()),
        )
        stmt = stmt.select_from(table)
        counts = q.run(ws, stmt, "core", cache=cache).iloc[0]
        for kind in checks:
            rows.append(
                {
                    "table": table.name,
                    "check": kind,
                    "rows_checked": int(counts["rows"]),
                    "violations": int(counts[kind]),
                }
            )
    frame = pd.DataFrame(rows)
    return frame.astype(
        {"table": "str", "check": "str", "rows_checked": "Int64", "violations": "Int64"}
    )


def _detail(kind: str, table: str, row: dict[str, Any]) -> str:
    if kind == "legacy_allocation_sum":
        (total,) = money.amounts(money.to_decimal(row["allocation_sum"]))
        return f"{table}: allocations sum to {total}, not 1"
    if kind in ("legacy_valuation", "ledger_amount_not_positive"):
        azr, usd = money.amounts(
            money.to_decimal(row["amount_azr"]), money.to_decimal(row["amount_usd"])
        )
        return f"{table}: {azr} AZR vs {usd} USD"
    times = (row["created_at"], row["confirmed_at"], row["processed_at"])
    shown = ", ".join(
        f"{label} {'NULL' if pd.isna(at) else pd.Timestamp(at).strftime('%Y-%m-%d %H:%M:%S')}"
        for label, at in zip(("created", "confirmed", "processed"), times, strict=True)
    )
    return f"{table}: {shown}"


def compliance_violations(
    ws: Workspace, *, limit: int | None = 10_000, cache: bool = True
) -> pd.DataFrame:
    """The offending ledger rows as findings (``kind``, ``keys``, ``detail``), at most
    ``limit`` per table and check. Amounts are shown exactly (every digit that differs).

    >>> treasury.compliance_violations(ws, limit=100)  # doctest: +SKIP
    """
    parts = []
    for table in ledger_tables(ws):
        t = table.c
        for kind, cond in _checks(table).items():
            offending = q.materialized(
                sa.select(
                    t.id.label("ledger_id"),
                    money.exact(_allocation_total(table)).label("allocation_sum"),
                    money.exact(t.amount_azr).label("amount_azr"),
                    money.exact(t.amount_usd).label("amount_usd"),
                    t.created_at,
                    t.confirmed_at,
                    t.processed_at,
                )
                .where(cond)
                .cte(f"{kind}_rows")
            )
            # The planner cannot estimate how rare a violation is (it guesses one row in
            # three), so with ORDER BY id LIMIT it walks the primary key and filters: the
            # whole ledger in index order when violations are rare (4 s at 1M rows, on
            # SQLite too). Filtering first, in a materialized CTE, makes it one scan and a
            # small sort (0.5 s); docs/query-audit.md.
            stmt = sa.select(offending).order_by(offending.c.ledger_id).limit(limit)
            found = q.run(ws, stmt, "core", cache=cache)
            rows: list[dict[str, Any]] = found.to_dict("records")  # type: ignore[assignment]
            parts.append(
                q.findings(
                    kind,
                    ({"ledger_id": r["ledger_id"]} for r in rows),
                    (_detail(kind, table.name, r) for r in rows),
                )
            )
    return pd.concat(parts, ignore_index=True)


def confirmation_ageing(
    ws: Workspace, *, as_of: datetime | str | None = None, cache: bool = True
) -> pd.DataFrame:
    """Pending and failed ledger rows by age (time since ``created_at`` at ``as_of``).

    >>> treasury.confirmation_ageing(ws, as_of="2026-10-31")  # doctest: +SKIP
    """
    end = q.as_timestamp(as_of)
    t = _ledger.c
    age = q.seconds(t.created_at, q.ts_param(None, end))
    bucket = sa.case(*((age < limit, label) for limit, label in AGE_BUCKETS), else_="> 30 d").label(
        "age"
    )
    stmt = (
        sa.select(
            t.blockchain_status,
            bucket,
            sa.func.count().label("transactions"),
            q.fsum(t.amount_azr).label("amount_azr"),
            sa.cast(sa.func.max(age) / 86400.0, sa.Float).label("oldest_days"),
        )
        .where(t.blockchain_status.in_(["pending", "failed"]), t.created_at < q.ts_param(None, end))
        .group_by(t.blockchain_status, bucket)
    )
    frame = q.run(ws, stmt, "core", cache=cache)
    order = {label: i for i, (_, label) in enumerate(AGE_BUCKETS)}
    frame = frame.assign(_o=frame["age"].map(lambda a: order.get(a, len(order))))
    return frame.sort_values(["blockchain_status", "_o"]).drop(columns="_o").reset_index(drop=True)


def gas_spend(
    ws: Workspace, *, as_of: datetime | str | None = None, months: int = 12, cache: bool = True
) -> pd.DataFrame:
    """Gas used and its cost in ETH (gas_used × gas_price_wei / 1e18) per month.

    >>> treasury.gas_spend(ws, as_of="2026-10-31")  # doctest: +SKIP
    """
    end = q.as_timestamp(as_of)
    t = _ledger.c
    bucket = q.month(t.created_at).label("month")
    stmt = (
        sa.select(
            bucket,
            sa.func.count(t.gas_used).label("transactions"),
            sa.cast(sa.func.sum(t.gas_used), sa.BigInteger).label("gas_used"),
            # In floating point: wei totals overflow SQLite's 64-bit integers.
            sa.cast(
                sa.func.sum(sa.cast(t.gas_used, sa.Float) * t.gas_price_wei) / 1e18, sa.Float
            ).label("gas_cost_eth"),
        )
        .where(q.within(t.created_at, month_start(end, months), end))
        .group_by(bucket)
        .order_by(bucket)
    )
    return q.run(ws, stmt, "core", cache=cache)


def founder_compensation(
    ws: Workspace, *, as_of: datetime | str | None = None, months: int = 12, cache: bool = True
) -> pd.DataFrame:
    """Paid founder compensation per month against the founder allocation of that month's
    confirmed mints (``founder_allocation``, 11% by the constitution).

    >>> treasury.founder_compensation(ws, as_of="2026-10-31")  # doctest: +SKIP
    """
    end = q.as_timestamp(as_of)
    start = month_start(end, months)
    f = core.founder_compensation.c
    paid_month = q.month(f.month).label("month")
    paid = (
        sa.select(
            paid_month, q.fsum(f.amount_azr).label("paid_azr"), sa.func.count().label("payments")
        )
        .where(
            f.status == "paid",
            f.month >= sa.bindparam(None, start.date(), type_=f.month.type),
            f.month <= sa.bindparam(None, end.date(), type_=f.month.type),
        )
        .group_by(paid_month)
    )
    t = _ledger.c
    mint_month = q.month(t.created_at).label("month")
    allocated = (
        sa.select(
            mint_month,
            q.fsum(t.amount_azr).label("minted_azr"),
            q.fsum(t.amount_azr * t.founder_allocation).label("founder_share_azr"),
        )
        .where(
            q.within(t.created_at, start, end),
            t.transaction_type == "mint",
            t.blockchain_status == "confirmed",
        )
        .group_by(mint_month)
    )
    left = q.run(ws, allocated, "core", cache=cache)
    right = q.run(ws, paid, "core", cache=cache)
    calendar = pd.DataFrame(
        {
            "month": pd.date_range(start, periods=months, freq="MS", tz="UTC").astype(
                "datetime64[ns, UTC]"
            )
        }
    )
    frame = calendar.merge(left, on="month", how="left").merge(right, on="month", how="left")
    frame = frame.fillna({"minted_azr": 0.0, "founder_share_azr": 0.0, "paid_azr": 0.0})
    frame["payments"] = frame["payments"].fillna(0).astype("Int64")
    frame["paid_vs_share"] = frame["paid_azr"] / frame["founder_share_azr"].where(
        frame["founder_share_azr"] != 0
    )
    frame["paid_vs_minted"] = frame["paid_azr"] / frame["minted_azr"].where(
        frame["minted_azr"] != 0
    )
    return frame


def allocation_caps(ws: Workspace, *, cache: bool = True) -> pd.DataFrame:
    """The mint service's allocation caps: cap, minted, remaining and percent used per
    category (the allocation_status view, computed from ``earnings_ledger``).

    >>> treasury.allocation_caps(ws)  # doctest: +SKIP
    """
    e = mint.earnings_ledger.c
    stmt = (
        sa.select(e.user_type, q.fsum(e.amount).label("minted"))
        .where(e.user_type.in_(list(ALLOCATION_CAPS)))
        .group_by(e.user_type)
    )
    minted = q.run(ws, stmt, "mint", cache=cache)
    by_type = dict(zip(minted["user_type"], minted["minted"], strict=True))
    rows = []
    for category, cap in ALLOCATION_CAPS.items():
        used = float(by_type.get(category, 0.0))
        rows.append(
            {
                "category": category.capitalize(),
                "cap": cap,
                "minted": used,
                "remaining": cap - used,
                "percent_used": 100.0 * used / cap,
            }
        )
    return pd.DataFrame(rows).astype({"category": "str"})
