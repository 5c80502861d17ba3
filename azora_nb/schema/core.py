"""Source ``core``: the platform database (database/schema.sql, PostgreSQL, 2025-10-27).

Tables, constraints and indexes carry the names PostgreSQL gave them in
production. Two deliberate differences from schema.sql, both listed in
``azora_nb/migrations/README.md``: the allocation defaults sum to 1 (circulation 0.1400,
not 0.2390), and the CHECK on that sum is rounded to 4 places on SQLite, where
NUMERIC is stored as a binary float.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement

from azora_nb.schema import report_indexes, toolkit
from azora_nb.schema._portable import enum_check, new_metadata, now_default, uuid_default
from azora_nb.types import JSONB, UUID, Date, Inet, Numeric, TextArray, TimestampTZ

metadata = new_metadata()
views = sa.MetaData()
"""Column descriptions of the reporting views, for querying (never created as tables)."""

ALLOCATION_DEFAULTS = {
    "treasury_allocation": "0.7000",
    "founder_allocation": "0.1100",
    "burn_allocation": "0.0500",
    "circulation_allocation": "0.1400",
}
"""Production's schema.sql has circulation 0.2390, so its defaults sum to 1.099 and
violate treasury_allocation_check; these sum to exactly 1."""

TRANSACTION_TYPES = ("mint", "burn", "withdrawal", "deposit", "transfer")
SESSION_STATUSES = ("active", "completed", "failed", "interrupted")
COMPENSATION_TYPES = ("monthly", "bonus", "equity", "special")
COMPENSATION_STATUSES = ("pending", "approved", "paid", "cancelled")
EVENT_TYPES = (
    "burn_ritual",
    "treasury_report",
    "founder_payment",
    "constitutional_amendment",
    "sovereignty_declaration",
    "embassy_establishment",
)
TREASURY_IMPACTS = ("neutral", "positive", "negative")
EVENT_STATUSES = ("scheduled", "in_progress", "completed", "cancelled")
HEALTH_STATUSES = ("healthy", "warning", "critical", "offline")
SEVERITIES = ("info", "warning", "error", "critical")


class AllocationSum(ColumnElement[bool]):
    """The treasury_allocation_check condition: the four allocations sum to 1.0000."""

    inherit_cache = True


@compiles(AllocationSum)
def _allocation_sum(element: AllocationSum, compiler: SQLCompiler, **kw: object) -> str:
    return (
        "(treasury_allocation + founder_allocation + burn_allocation"
        " + circulation_allocation) = 1.0000"
    )


@compiles(AllocationSum, "sqlite")
def _allocation_sum_sqlite(element: AllocationSum, compiler: SQLCompiler, **kw: object) -> str:
    return (
        "round(treasury_allocation + founder_allocation + burn_allocation"
        " + circulation_allocation, 4) = 1.0000"
    )


def _id() -> sa.Column[str]:
    return sa.Column("id", UUID(), primary_key=True, server_default=uuid_default())


def _created_at(name: str = "created_at") -> sa.Column[object]:
    return sa.Column(name, TimestampTZ(), server_default=now_default())


def _text_default(value: str) -> sa.TextClause:
    return sa.text("'" + value.replace("'", "''") + "'")


users = sa.Table(
    "users",
    metadata,
    _id(),
    sa.Column("wallet_address", sa.String(255), nullable=False, unique=True),
    sa.Column("reputation_score", Numeric(5, 2), server_default=sa.text("0.00")),
    sa.Column("jurisdiction", sa.String(100)),
    sa.Column("kyc_status", sa.String(50), server_default=_text_default("pending")),
    _created_at(),
    _created_at("updated_at"),
    comment="Platform users, identified by wallet address.",
)

treasury_ledger = sa.Table(
    "treasury_ledger",
    metadata,
    _id(),
    sa.Column("tx_hash", sa.String(255), unique=True),
    sa.Column("transaction_type", sa.String(50), nullable=False),
    sa.Column("amount_azr", Numeric(30, 8), nullable=False),
    sa.Column("amount_usd", Numeric(20, 8), nullable=False),
    *(
        sa.Column(name, Numeric(5, 4), server_default=sa.text(value))
        for name, value in ALLOCATION_DEFAULTS.items()
    ),
    sa.Column("recipient_address", sa.String(255)),
    sa.Column("sender_address", sa.String(255)),
    sa.Column("gas_used", sa.BigInteger),
    sa.Column("gas_price_wei", Numeric(30, 0)),
    sa.Column("blockchain_status", sa.String(50), server_default=_text_default("pending")),
    sa.Column("reason", sa.Text),
    _created_at(),
    sa.Column("confirmed_at", TimestampTZ()),
    sa.Column("processed_at", TimestampTZ()),
    enum_check("treasury_ledger", "transaction_type", TRANSACTION_TYPES),
    sa.CheckConstraint(
        sa.column("amount_azr") == sa.column("amount_usd"), name="constitutional_valuation_check"
    ),
    sa.CheckConstraint(AllocationSum(), name="treasury_allocation_check"),
    sa.Index(None, "tx_hash"),
    sa.Index(None, "transaction_type"),
    sa.Index(None, "blockchain_status"),
    sa.Index(None, "created_at"),
    comment="Every treasury movement of AZR, with its allocation split.",
)

mining_sessions = sa.Table(
    "mining_sessions",
    metadata,
    _id(),
    sa.Column("session_id", sa.String(255), nullable=False, unique=True),
    sa.Column("user_id", UUID(), sa.ForeignKey("users.id")),
    _created_at("start_time"),
    sa.Column("end_time", TimestampTZ()),
    sa.Column("algorithm", sa.String(100), nullable=False),
    sa.Column("total_hashrate_mhs", Numeric(10, 2)),
    sa.Column("total_earnings_usd", Numeric(20, 8), server_default=sa.text("0")),
    sa.Column("azr_minted", Numeric(30, 8), server_default=sa.text("0")),
    sa.Column("power_consumption_watts", sa.Integer, server_default=sa.text("35")),
    sa.Column("temperature_celsius", Numeric(5, 2), server_default=sa.text("65.0")),
    sa.Column("pool_name", sa.String(255)),
    sa.Column("pool_url", sa.String(500)),
    sa.Column("status", sa.String(50), server_default=_text_default("active")),
    _created_at(),
    enum_check("mining_sessions", "status", SESSION_STATUSES),
    sa.Index(None, "user_id"),
    sa.Index(None, "status"),
    sa.Index(None, "created_at"),
    comment="Mining sessions run by users' rigs, with their totals.",
)

mining_statistics = sa.Table(
    "mining_statistics",
    metadata,
    _id(),
    sa.Column("session_id", UUID(), sa.ForeignKey("mining_sessions.id")),
    _created_at("timestamp"),
    sa.Column("algorithm", sa.String(100)),
    sa.Column("hashrate_mhs", Numeric(10, 2)),
    sa.Column("pool", sa.String(255)),
    sa.Column("earnings_usd", Numeric(20, 8), server_default=sa.text("0")),
    sa.Column("power_consumption_watts", sa.Integer),
    sa.Column("temperature_celsius", Numeric(5, 2)),
    sa.Column("shares_accepted", sa.Integer, server_default=sa.text("0")),
    sa.Column("shares_rejected", sa.Integer, server_default=sa.text("0")),
    sa.Column("difficulty", Numeric(20, 8)),
    sa.Column("network_hashrate", Numeric(20, 2)),
    sa.Index(None, "session_id"),
    sa.Index(None, "timestamp"),
    comment="Periodic measurements taken during mining sessions.",
)

founder_compensation = sa.Table(
    "founder_compensation",
    metadata,
    _id(),
    sa.Column("founder_id", UUID(), sa.ForeignKey("users.id")),
    sa.Column("founder_name", sa.String(255), nullable=False),
    sa.Column("amount_azr", Numeric(30, 8), nullable=False),
    sa.Column("amount_usd", Numeric(20, 8), nullable=False),
    sa.Column("month", Date(), nullable=False),
    sa.Column("compensation_type", sa.String(50), server_default=_text_default("monthly")),
    sa.Column("status", sa.String(50), server_default=_text_default("pending")),
    sa.Column("tx_hash", sa.String(255)),
    sa.Column("payment_date", TimestampTZ()),
    sa.Column("notes", sa.Text),
    _created_at(),
    _created_at("updated_at"),
    enum_check("founder_compensation", "compensation_type", COMPENSATION_TYPES),
    enum_check("founder_compensation", "status", COMPENSATION_STATUSES),
    sa.Index(None, "founder_id"),
    sa.Index(None, "month"),
    sa.Index(None, "status"),
    comment="Monthly and special payments to the founders.",
)

ceremonial_events = sa.Table(
    "ceremonial_events",
    metadata,
    _id(),
    sa.Column("event_type", sa.String(100), nullable=False),
    sa.Column("event_title", sa.String(500), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("azr_amount", Numeric(30, 8)),
    sa.Column("usd_value", Numeric(20, 8)),
    sa.Column("treasury_impact", sa.String(50)),
    sa.Column("constitutional_reference", sa.String(255)),
    sa.Column("ceremony_date", TimestampTZ()),
    sa.Column("execution_date", TimestampTZ()),
    sa.Column("status", sa.String(50), server_default=_text_default("scheduled")),
    sa.Column("officiant", sa.String(255)),
    sa.Column("witnesses", TextArray()),
    sa.Column("documentation_url", sa.String(500)),
    sa.Column("blockchain_tx_hash", sa.String(255)),
    _created_at(),
    sa.Column("completed_at", TimestampTZ()),
    enum_check("ceremonial_events", "event_type", EVENT_TYPES),
    enum_check("ceremonial_events", "treasury_impact", TREASURY_IMPACTS),
    enum_check("ceremonial_events", "status", EVENT_STATUSES),
    sa.Index(None, "event_type"),
    sa.Index(None, "status"),
    sa.Index(None, "ceremony_date"),
    comment="Governance ceremonies: burns, reports, payments and declarations.",
)

crypto_prices = sa.Table(
    "crypto_prices",
    metadata,
    _id(),
    sa.Column("symbol", sa.String(20), nullable=False),
    sa.Column("price_usd", Numeric(20, 8), nullable=False),
    sa.Column("market_cap_usd", Numeric(30, 2)),
    sa.Column("volume_24h_usd", Numeric(30, 2)),
    sa.Column("price_change_24h", Numeric(10, 4)),
    sa.Column("source", sa.String(50), server_default=_text_default("coingecko")),
    _created_at("timestamp"),
    sa.Index(None, "symbol"),
    sa.Index(None, "timestamp"),
    comment="Market prices of cryptocurrencies over time.",
)

mining_pool_stats = sa.Table(
    "mining_pool_stats",
    metadata,
    _id(),
    sa.Column("pool_name", sa.String(255), nullable=False),
    sa.Column("algorithm", sa.String(100), nullable=False),
    sa.Column("hashrate_th", Numeric(15, 2)),
    sa.Column("miners_count", sa.Integer),
    sa.Column("fee_percentage", Numeric(5, 2)),
    sa.Column("payout_scheme", sa.String(50)),
    sa.Column("status", sa.String(50), server_default=_text_default("active")),
    _created_at("last_updated"),
    comment="Statistics of the external mining pools.",
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    _id(),
    sa.Column("user_id", UUID(), sa.ForeignKey("users.id")),
    sa.Column("action", sa.String(255), nullable=False),
    sa.Column("resource_type", sa.String(100)),
    sa.Column("resource_id", UUID()),
    sa.Column("old_values", JSONB()),
    sa.Column("new_values", JSONB()),
    sa.Column("ip_address", Inet()),
    sa.Column("user_agent", sa.Text),
    _created_at("timestamp"),
    sa.Index(None, "user_id"),
    sa.Index(None, "timestamp"),
    comment="Who changed what and when, with the values before and after.",
)

compliance_reports = sa.Table(
    "compliance_reports",
    metadata,
    _id(),
    sa.Column("report_type", sa.String(100), nullable=False),
    sa.Column("report_period_start", Date()),
    sa.Column("report_period_end", Date()),
    sa.Column("total_transactions", sa.Integer),
    sa.Column("total_volume_azr", Numeric(30, 8)),
    sa.Column("total_volume_usd", Numeric(30, 8)),
    sa.Column("treasury_balance_azr", Numeric(30, 8)),
    sa.Column("treasury_balance_usd", Numeric(30, 8)),
    sa.Column("compliance_status", sa.String(50), server_default=_text_default("compliant")),
    sa.Column("findings", JSONB()),
    sa.Column("recommendations", sa.Text),
    _created_at("generated_at"),
    sa.Column("generated_by", UUID(), sa.ForeignKey("users.id")),
    sa.Index("idx_compliance_reports_period", "report_period_start", "report_period_end"),
    comment="Periodic regulatory reports on transaction volume and treasury balance.",
)

system_health = sa.Table(
    "system_health",
    metadata,
    _id(),
    sa.Column("component", sa.String(100), nullable=False),
    sa.Column("status", sa.String(50), nullable=False),
    sa.Column("metric_name", sa.String(255)),
    sa.Column("metric_value", Numeric(20, 8)),
    sa.Column("threshold_warning", Numeric(20, 8)),
    sa.Column("threshold_critical", Numeric(20, 8)),
    sa.Column("message", sa.Text),
    _created_at("timestamp"),
    enum_check("system_health", "status", HEALTH_STATUSES),
    sa.Index(None, "component"),
    sa.Index(None, "timestamp"),
    comment="Health checks of the platform's components.",
)

alerts = sa.Table(
    "alerts",
    metadata,
    _id(),
    sa.Column("alert_type", sa.String(100), nullable=False),
    sa.Column("severity", sa.String(50), server_default=_text_default("info")),
    sa.Column("title", sa.String(255), nullable=False),
    sa.Column("message", sa.Text),
    sa.Column("component", sa.String(100)),
    sa.Column("resolved", sa.Boolean, server_default=sa.text("false")),
    sa.Column("resolved_at", TimestampTZ()),
    sa.Column("resolved_by", UUID(), sa.ForeignKey("users.id")),
    _created_at(),
    enum_check("alerts", "severity", SEVERITIES),
    sa.Index(None, "alert_type"),
    sa.Index(None, "severity"),
    sa.Index(None, "resolved"),
    comment="Operational alerts raised by the platform, and their resolution.",
)

# -- views ---------------------------------------------------------------------

treasury_summary = sa.Table(
    "treasury_summary",
    views,
    sa.Column("month", TimestampTZ()),
    sa.Column("transaction_type", sa.String(50)),
    sa.Column("transaction_count", sa.BigInteger),
    sa.Column("total_azr", Numeric()),
    sa.Column("total_usd", Numeric()),
    sa.Column("avg_treasury_allocation", Numeric()),
    sa.Column("avg_founder_allocation", Numeric()),
    sa.Column("avg_burn_allocation", Numeric()),
    sa.Column("avg_circulation_allocation", Numeric()),
)

mining_performance = sa.Table(
    "mining_performance",
    views,
    sa.Column("date", TimestampTZ()),
    sa.Column("algorithm", sa.String(100)),
    sa.Column("session_count", sa.BigInteger),
    sa.Column("avg_hashrate", Numeric()),
    sa.Column("total_earnings", Numeric()),
    sa.Column("total_azr_minted", Numeric()),
    sa.Column("avg_power_consumption", Numeric()),
    sa.Column("avg_temperature", Numeric()),
)

founder_compensation_summary = sa.Table(
    "founder_compensation_summary",
    views,
    sa.Column("founder_name", sa.String(255)),
    sa.Column("month", TimestampTZ()),
    sa.Column("total_azr", Numeric()),
    sa.Column("total_usd", Numeric()),
    sa.Column("payment_count", sa.BigInteger),
    sa.Column("avg_payment_usd", Numeric()),
)

toolkit.add_to(metadata)
report_indexes.add_to(metadata, "core")
