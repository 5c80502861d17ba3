"""The reporting views, as SQL per dialect.

PostgreSQL gets production's definitions (``date_trunc``). SQLite gets a rendering
that yields the same rows: the truncated timestamps are text in the storage format
of :mod:`azora_nb.types` (``YYYY-MM-DD HH:MM:SS.ffffff``, UTC), which the view
tables in :mod:`azora_nb.schema.core` and :mod:`azora_nb.schema.mint` read back as
datetimes.
"""

from __future__ import annotations

_TRUNC = {
    "postgresql": {"month": "date_trunc('month', {col})", "day": "date_trunc('day', {col})"},
    "sqlite": {
        "month": "strftime('%Y-%m-01 00:00:00.000000', {col})",
        "day": "strftime('%Y-%m-%d 00:00:00.000000', {col})",
    },
}


def _trunc(dialect: str, unit: str, column: str) -> str:
    return _TRUNC["postgresql" if dialect == "postgresql" else "sqlite"][unit].format(col=column)


def _core(dialect: str) -> dict[str, str]:
    month = _trunc(dialect, "month", "created_at")
    day = _trunc(dialect, "day", "created_at")
    pay_month = _trunc(dialect, "month", "month")
    return {
        "treasury_summary": f"""
SELECT {month} AS month,
       transaction_type,
       COUNT(*) AS transaction_count,
       SUM(amount_azr) AS total_azr,
       SUM(amount_usd) AS total_usd,
       AVG(treasury_allocation) AS avg_treasury_allocation,
       AVG(founder_allocation) AS avg_founder_allocation,
       AVG(burn_allocation) AS avg_burn_allocation,
       AVG(circulation_allocation) AS avg_circulation_allocation
FROM treasury_ledger
WHERE blockchain_status = 'confirmed'
GROUP BY {month}, transaction_type""",
        "mining_performance": f"""
SELECT {day} AS date,
       algorithm,
       COUNT(DISTINCT id) AS session_count,
       AVG(total_hashrate_mhs) AS avg_hashrate,
       SUM(total_earnings_usd) AS total_earnings,
       SUM(azr_minted) AS total_azr_minted,
       AVG(power_consumption_watts) AS avg_power_consumption,
       AVG(temperature_celsius) AS avg_temperature
FROM mining_sessions
WHERE status = 'completed'
GROUP BY {day}, algorithm""",
        "founder_compensation_summary": f"""
SELECT founder_name,
       {pay_month} AS month,
       SUM(amount_azr) AS total_azr,
       SUM(amount_usd) AS total_usd,
       COUNT(*) AS payment_count,
       AVG(amount_usd) AS avg_payment_usd
FROM founder_compensation
WHERE status = 'paid'
GROUP BY founder_name, {pay_month}""",
    }


# Category, the earnings_ledger.user_type it counts, and its fixed cap in AZR.
ALLOCATION_CAPS = (
    ("Enterprise", "enterprise", 600000),
    ("Business", "business", 200000),
    ("Student", "student", 100000),
)


def _mint(dialect: str) -> dict[str, str]:
    parts = [
        f"""SELECT '{label}' AS category,
       {cap} AS cap,
       COALESCE(SUM(amount), 0) AS minted,
       {cap} - COALESCE(SUM(amount), 0) AS remaining,
       ROUND(COALESCE(SUM(amount), 0) * 100.0 / {cap}, 2) AS percent_used
FROM earnings_ledger
WHERE user_type = '{user_type}'"""
        for label, user_type, cap in ALLOCATION_CAPS
    ]
    return {"allocation_status": "\n" + "\nUNION ALL\n".join(parts)}


def view_sql(source: str, dialect: str) -> dict[str, str]:
    """``{view name: SELECT ...}`` for ``source`` on ``dialect``, in creation order."""
    if source == "core":
        return _core(dialect)
    if source == "mint":
        return _mint(dialect)
    return {}
