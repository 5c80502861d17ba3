"""core: the production schema of database/schema.sql (2025-10-27).

Deviations from schema.sql (see azora_nb/migrations/README.md): the allocation defaults sum
to 1; the RLS policies read their settings with missing_ok, so a session without
the setting sees no rows instead of failing; the seed insert into
ceremonial_events (12 values for 8 columns) is not reproduced.

Revision ID: 20251027000000
Revises:
Create Date: 2025-10-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from azora_nb.schema._portable import now_default, uuid_default
from azora_nb.schema.views import view_sql
from azora_nb.types import JSONB, UUID, Date, Inet, Numeric, TextArray, TimestampTZ

revision = "20251027000000"
down_revision = None
branch_labels = None
depends_on = None

RLS_TABLES = ("users", "treasury_ledger", "founder_compensation")
UPDATED_AT_TABLES = ("users", "founder_compensation")


def _id() -> sa.Column:
    return sa.Column("id", UUID(), server_default=uuid_default(), nullable=False)


def _now(name: str) -> sa.Column:
    return sa.Column(name, TimestampTZ(), server_default=now_default())


def _text(value: str) -> sa.TextClause:
    return sa.text(f"'{value}'")


def _in(column: str, *values: str) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _pk(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("id", name=f"{table}_pkey")


def _fk_user(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["users.id"], name=f"{table}_{column}_fkey")


def _indexes(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(f"idx_{table}_{column}", table, [column])


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute('CREATE EXTENSION IF NOT EXISTS "uuid-ossp"')
        op.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto")

    op.create_table(
        "users",
        _id(),
        sa.Column("wallet_address", sa.String(255), nullable=False),
        sa.Column("reputation_score", Numeric(5, 2), server_default=sa.text("0.00")),
        sa.Column("jurisdiction", sa.String(100)),
        sa.Column("kyc_status", sa.String(50), server_default=_text("pending")),
        _now("created_at"),
        _now("updated_at"),
        _pk("users"),
        sa.UniqueConstraint("wallet_address", name="users_wallet_address_key"),
        comment="Platform users, identified by wallet address.",
    )
    allocation_sum = (
        "treasury_allocation + founder_allocation + burn_allocation + circulation_allocation"
    )
    op.create_table(
        "treasury_ledger",
        _id(),
        sa.Column("tx_hash", sa.String(255)),
        sa.Column("transaction_type", sa.String(50), nullable=False),
        sa.Column("amount_azr", Numeric(30, 8), nullable=False),
        sa.Column("amount_usd", Numeric(20, 8), nullable=False),
        # Fixed: schema.sql's 0.2390 made the defaults sum to 1.099.
        sa.Column("treasury_allocation", Numeric(5, 4), server_default=sa.text("0.7000")),
        sa.Column("founder_allocation", Numeric(5, 4), server_default=sa.text("0.1100")),
        sa.Column("burn_allocation", Numeric(5, 4), server_default=sa.text("0.0500")),
        sa.Column("circulation_allocation", Numeric(5, 4), server_default=sa.text("0.1400")),
        sa.Column("recipient_address", sa.String(255)),
        sa.Column("sender_address", sa.String(255)),
        sa.Column("gas_used", sa.BigInteger),
        sa.Column("gas_price_wei", Numeric(30, 0)),
        sa.Column("blockchain_status", sa.String(50), server_default=_text("pending")),
        sa.Column("reason", sa.Text),
        _now("created_at"),
        sa.Column("confirmed_at", TimestampTZ()),
        sa.Column("processed_at", TimestampTZ()),
        _pk("treasury_ledger"),
        sa.UniqueConstraint("tx_hash", name="treasury_ledger_tx_hash_key"),
        sa.CheckConstraint(
            _in("transaction_type", "mint", "burn", "withdrawal", "deposit", "transfer"),
            name="treasury_ledger_transaction_type_check",
        ),
        sa.CheckConstraint("amount_azr = amount_usd", name="constitutional_valuation_check"),
        # SQLite stores NUMERIC as a binary float: 0.7 + 0.11 + 0.05 + 0.14 is not exactly 1.
        sa.CheckConstraint(
            f"({allocation_sum}) = 1.0000" if postgres else f"round({allocation_sum}, 4) = 1.0000",
            name="treasury_allocation_check",
        ),
        comment="Every treasury movement of AZR, with its allocation split.",
    )
    _indexes("treasury_ledger", "tx_hash", "transaction_type", "blockchain_status", "created_at")

    op.create_table(
        "mining_sessions",
        _id(),
        sa.Column("session_id", sa.String(255), nullable=False),
        sa.Column("user_id", UUID()),
        _now("start_time"),
        sa.Column("end_time", TimestampTZ()),
        sa.Column("algorithm", sa.String(100), nullable=False),
        sa.Column("total_hashrate_mhs", Numeric(10, 2)),
        sa.Column("total_earnings_usd", Numeric(20, 8), server_default=sa.text("0")),
        sa.Column("azr_minted", Numeric(30, 8), server_default=sa.text("0")),
        sa.Column("power_consumption_watts", sa.Integer, server_default=sa.text("35")),
        sa.Column("temperature_celsius", Numeric(5, 2), server_default=sa.text("65.0")),
        sa.Column("pool_name", sa.String(255)),
        sa.Column("pool_url", sa.String(500)),
        sa.Column("status", sa.String(50), server_default=_text("active")),
        _now("created_at"),
        _pk("mining_sessions"),
        sa.UniqueConstraint("session_id", name="mining_sessions_session_id_key"),
        _fk_user("mining_sessions", "user_id"),
        sa.CheckConstraint(
            _in("status", "active", "completed", "failed", "interrupted"),
            name="mining_sessions_status_check",
        ),
        comment="Mining sessions run by users' rigs, with their totals.",
    )
    _indexes("mining_sessions", "user_id", "status", "created_at")

    op.create_table(
        "mining_statistics",
        _id(),
        sa.Column("session_id", UUID()),
        _now("timestamp"),
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
        _pk("mining_statistics"),
        sa.ForeignKeyConstraint(
            ["session_id"], ["mining_sessions.id"], name="mining_statistics_session_id_fkey"
        ),
        comment="Periodic measurements taken during mining sessions.",
    )
    _indexes("mining_statistics", "session_id", "timestamp")

    op.create_table(
        "founder_compensation",
        _id(),
        sa.Column("founder_id", UUID()),
        sa.Column("founder_name", sa.String(255), nullable=False),
        sa.Column("amount_azr", Numeric(30, 8), nullable=False),
        sa.Column("amount_usd", Numeric(20, 8), nullable=False),
        sa.Column("month", Date(), nullable=False),
        sa.Column("compensation_type", sa.String(50), server_default=_text("monthly")),
        sa.Column("status", sa.String(50), server_default=_text("pending")),
        sa.Column("tx_hash", sa.String(255)),
        sa.Column("payment_date", TimestampTZ()),
        sa.Column("notes", sa.Text),
        _now("created_at"),
        _now("updated_at"),
        _pk("founder_compensation"),
        _fk_user("founder_compensation", "founder_id"),
        sa.CheckConstraint(
            _in("compensation_type", "monthly", "bonus", "equity", "special"),
            name="founder_compensation_compensation_type_check",
        ),
        sa.CheckConstraint(
            _in("status", "pending", "approved", "paid", "cancelled"),
            name="founder_compensation_status_check",
        ),
        comment="Monthly and special payments to the founders.",
    )
    _indexes("founder_compensation", "founder_id", "month", "status")

    op.create_table(
        "ceremonial_events",
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
        sa.Column("status", sa.String(50), server_default=_text("scheduled")),
        sa.Column("officiant", sa.String(255)),
        sa.Column("witnesses", TextArray()),
        sa.Column("documentation_url", sa.String(500)),
        sa.Column("blockchain_tx_hash", sa.String(255)),
        _now("created_at"),
        sa.Column("completed_at", TimestampTZ()),
        _pk("ceremonial_events"),
        sa.CheckConstraint(
            _in(
                "event_type",
                "burn_ritual",
                "treasury_report",
                "founder_payment",
                "constitutional_amendment",
                "sovereignty_declaration",
                "embassy_establishment",
            ),
            name="ceremonial_events_event_type_check",
        ),
        sa.CheckConstraint(
            _in("treasury_impact", "neutral", "positive", "negative"),
            name="ceremonial_events_treasury_impact_check",
        ),
        sa.CheckConstraint(
            _in("status", "scheduled", "in_progress", "completed", "cancelled"),
            name="ceremonial_events_status_check",
        ),
        comment="Governance ceremonies: burns, reports, payments and declarations.",
    )
    _indexes("ceremonial_events", "event_type", "status", "ceremony_date")

    op.create_table(
        "crypto_prices",
        _id(),
        sa.Column("symbol", sa.String(20), nullable=False),
        sa.Column("price_usd", Numeric(20, 8), nullable=False),
        sa.Column("market_cap_usd", Numeric(30, 2)),
        sa.Column("volume_24h_usd", Numeric(30, 2)),
        sa.Column("price_change_24h", Numeric(10, 4)),
        sa.Column("source", sa.String(50), server_default=_text("coingecko")),
        _now("timestamp"),
        _pk("crypto_prices"),
        comment="Market prices of cryptocurrencies over time.",
    )
    _indexes("crypto_prices", "symbol", "timestamp")

    op.create_table(
        "mining_pool_stats",
        _id(),
        sa.Column("pool_name", sa.String(255), nullable=False),
        sa.Column("algorithm", sa.String(100), nullable=False),
        sa.Column("hashrate_th", Numeric(15, 2)),
        sa.Column("miners_count", sa.Integer),
        sa.Column("fee_percentage", Numeric(5, 2)),
        sa.Column("payout_scheme", sa.String(50)),
        sa.Column("status", sa.String(50), server_default=_text("active")),
        _now("last_updated"),
        _pk("mining_pool_stats"),
        comment="Statistics of the external mining pools.",
    )

    op.create_table(
        "audit_log",
        _id(),
        sa.Column("user_id", UUID()),
        sa.Column("action", sa.String(255), nullable=False),
        sa.Column("resource_type", sa.String(100)),
        sa.Column("resource_id", UUID()),
        sa.Column("old_values", JSONB()),
        sa.Column("new_values", JSONB()),
        sa.Column("ip_address", Inet()),
        sa.Column("user_agent", sa.Text),
        _now("timestamp"),
        _pk("audit_log"),
        _fk_user("audit_log", "user_id"),
        comment="Who changed what and when, with the values before and after.",
    )
    _indexes("audit_log", "user_id", "timestamp")

    op.create_table(
        "compliance_reports",
        _id(),
        sa.Column("report_type", sa.String(100), nullable=False),
        sa.Column("report_period_start", Date()),
        sa.Column("report_period_end", Date()),
        sa.Column("total_transactions", sa.Integer),
        sa.Column("total_volume_azr", Numeric(30, 8)),
        sa.Column("total_volume_usd", Numeric(30, 8)),
        sa.Column("treasury_balance_azr", Numeric(30, 8)),
        sa.Column("treasury_balance_usd", Numeric(30, 8)),
        sa.Column("compliance_status", sa.String(50), server_default=_text("compliant")),
        sa.Column("findings", JSONB()),
        sa.Column("recommendations", sa.Text),
        _now("generated_at"),
        sa.Column("generated_by", UUID()),
        _pk("compliance_reports"),
        _fk_user("compliance_reports", "generated_by"),
        comment="Periodic regulatory reports on transaction volume and treasury balance.",
    )
    op.create_index(
        "idx_compliance_reports_period",
        "compliance_reports",
        ["report_period_start", "report_period_end"],
    )

    op.create_table(
        "system_health",
        _id(),
        sa.Column("component", sa.String(100), nullable=False),
        sa.Column("status", sa.String(50), nullable=False),
        sa.Column("metric_name", sa.String(255)),
        sa.Column("metric_value", Numeric(20, 8)),
        sa.Column("threshold_warning", Numeric(20, 8)),
        sa.Column("threshold_critical", Numeric(20, 8)),
        sa.Column("message", sa.Text),
        _now("timestamp"),
        _pk("system_health"),
        sa.CheckConstraint(
            _in("status", "healthy", "warning", "critical", "offline"),
            name="system_health_status_check",
        ),
        comment="Health checks of the platform's components.",
    )
    _indexes("system_health", "component", "timestamp")

    op.create_table(
        "alerts",
        _id(),
        sa.Column("alert_type", sa.String(100), nullable=False),
        sa.Column("severity", sa.String(50), server_default=_text("info")),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("message", sa.Text),
        sa.Column("component", sa.String(100)),
        sa.Column("resolved", sa.Boolean, server_default=sa.text("false")),
        sa.Column("resolved_at", TimestampTZ()),
        sa.Column("resolved_by", UUID()),
        _now("created_at"),
        _pk("alerts"),
        _fk_user("alerts", "resolved_by"),
        sa.CheckConstraint(
            _in("severity", "info", "warning", "error", "critical"), name="alerts_severity_check"
        ),
        comment="Operational alerts raised by the platform, and their resolution.",
    )
    _indexes("alerts", "alert_type", "severity", "resolved")

    for name, select in view_sql("core", op.get_bind().dialect.name).items():
        op.execute(f"CREATE VIEW {name} AS {select}")

    if postgres:
        _postgres_only()


def _postgres_only() -> None:
    op.execute("""
CREATE FUNCTION update_updated_at_column() RETURNS trigger AS $$
BEGIN
    NEW.updated_at = now();
    RETURN NEW;
END;
$$ LANGUAGE plpgsql""")
    for table in UPDATED_AT_TABLES:
        op.execute(
            f"CREATE TRIGGER update_{table}_updated_at BEFORE UPDATE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION update_updated_at_column()"
        )
    for table in RLS_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    # missing_ok (the second argument) makes an absent setting NULL, so the policy
    # matches no rows instead of raising; NULLIF covers a setting reset to ''.
    op.execute(
        "CREATE POLICY users_own_data ON users FOR ALL USING "
        "(id = NULLIF(current_setting('app.current_user_id', true), '')::uuid)"
    )
    op.execute(
        "CREATE POLICY treasury_user_access ON treasury_ledger FOR SELECT USING "
        "(recipient_address = current_setting('app.current_user_wallet', true) "
        "OR sender_address = current_setting('app.current_user_wallet', true))"
    )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name in reversed(list(view_sql("core", op.get_bind().dialect.name))):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    for table in (
        "alerts",
        "system_health",
        "compliance_reports",
        "audit_log",
        "mining_pool_stats",
        "crypto_prices",
        "ceremonial_events",
        "founder_compensation",
        "mining_statistics",
        "mining_sessions",
        "treasury_ledger",
        "users",
    ):
        op.drop_table(table)
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS update_updated_at_column()")
        op.execute("DROP EXTENSION IF EXISTS pgcrypto")
        op.execute('DROP EXTENSION IF EXISTS "uuid-ossp"')
