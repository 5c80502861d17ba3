"""mint: Prisma migration 20251027215234_init plus the service's schema.sql tables.

Prisma wrote the migration for SQLite (DATETIME, REAL); this revision uses the
portable timestamp type on SQLite and, on PostgreSQL, what Prisma maps the same
model to: TIMESTAMP(3) and DOUBLE PRECISION (see azora_nb/migrations/README.md).

Revision ID: 20251027215234
Revises:
Create Date: 2025-10-27 21:52:34
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from azora_nb.schema._portable import Real, now_default, prisma_now
from azora_nb.schema.views import view_sql
from azora_nb.types import JSONB, UUID, Numeric, Timestamp

revision = "20251027215234"
down_revision = None
branch_labels = None
depends_on = None

POOL_TYPES = ("student", "enterprise", "business", "governance", "ai_treasury")


def _ts3(name: str, *, default: bool = False, nullable: bool = False) -> sa.Column:
    return sa.Column(
        name, Timestamp(3), nullable=nullable, server_default=prisma_now() if default else None
    )


def _text(value: str) -> sa.TextClause:
    return sa.text(f"'{value}'")


def _pk(table: str, column: str = "id") -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(column, name=f"{table}_pkey")


def _in(column: str, *values: str) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["userId"],
        ["users.id"],
        name=f"{table}_userId_fkey",
        ondelete="CASCADE",
        onupdate="CASCADE",
    )


def upgrade() -> None:
    # -- Prisma: 20251027215234_init ------------------------------------------
    op.create_table(
        "subscription",
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("userId", sa.Text, nullable=False),
        sa.Column("tier", sa.Text, nullable=False, server_default=_text("free_citizen")),
        sa.Column("status", sa.Text, nullable=False, server_default=_text("active")),
        _ts3("createdAt", default=True),
        _ts3("updatedAt"),
        _pk("subscription"),
    )
    op.create_table(
        "invoice",
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("userId", sa.Text, nullable=False),
        sa.Column("amount", Real(), nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default=_text("pending")),
        _ts3("createdAt", default=True),
        _pk("invoice"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("details", JSONB(), nullable=False),
        _ts3("timestamp", default=True),
        _pk("audit_log"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("azoraId", sa.Text, nullable=False),
        sa.Column("walletAddress", sa.Text, nullable=False),
        sa.Column("kycStatus", sa.Text, nullable=False, server_default=_text("PENDING")),
        _ts3("createdAt", default=True),
        _ts3("updatedAt"),
        _pk("users"),
    )
    op.create_index("users_azoraId_key", "users", ["azoraId"], unique=True)
    op.create_index("users_walletAddress_key", "users", ["walletAddress"], unique=True)
    op.create_table(
        "user_balances",
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("userId", sa.Text, nullable=False),
        sa.Column("currencyCode", sa.Text, nullable=False),
        sa.Column("amount", Real(), nullable=False),
        _pk("user_balances"),
        _user_fk("user_balances"),
    )
    op.create_index(
        "user_balances_userId_currencyCode_key",
        "user_balances",
        ["userId", "currencyCode"],
        unique=True,
    )
    op.create_table(
        "knowledge_rewards",
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("userId", sa.Text, nullable=False),
        sa.Column("rewardAmount", Real(), nullable=False),
        sa.Column("currencyCode", sa.Text, nullable=False),
        sa.Column("sourceTrxId", sa.Text, nullable=False),
        sa.Column("achievement", sa.Text),
        sa.Column("transactionHash", sa.Text),
        sa.Column("status", sa.Text, nullable=False, server_default=_text("PENDING")),
        _ts3("createdAt", default=True),
        _ts3("processedAt", nullable=True),
        _pk("knowledge_rewards"),
        _user_fk("knowledge_rewards"),
    )
    op.create_index(
        "knowledge_rewards_sourceTrxId_key", "knowledge_rewards", ["sourceTrxId"], unique=True
    )

    # -- the service's schema.sql ---------------------------------------------
    op.create_table(
        "earnings_ledger",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("user_id", UUID(), nullable=False),
        sa.Column("user_type", sa.String(20), nullable=False),
        sa.Column("amount", Numeric(20, 6), nullable=False),
        sa.Column("net_amount", Numeric(20, 6), nullable=False),
        sa.Column("reinvest_amount", Numeric(20, 6), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("created_at", Timestamp(None), server_default=now_default()),
        _pk("earnings_ledger"),
        sa.CheckConstraint(
            _in("user_type", "student", "enterprise", "business", "governance"),
            name="earnings_ledger_user_type_check",
        ),
    )
    pool_statistics = op.create_table(
        "pool_statistics",
        sa.Column("pool_type", sa.String(20), nullable=False),
        sa.Column("total_minted", Numeric(20, 6), server_default=sa.text("0")),
        sa.Column("last_mint_amount", Numeric(20, 6)),
        sa.Column("last_mint_user", UUID()),
        sa.Column("updated_at", Timestamp(None), server_default=now_default()),
        _pk("pool_statistics", "pool_type"),
        sa.CheckConstraint(_in("pool_type", *POOL_TYPES), name="pool_statistics_pool_type_check"),
    )
    op.create_table(
        "minting_transactions",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("mining_session_id", sa.String(100)),
        sa.Column("user_id", UUID(), nullable=False),
        sa.Column("amount_azr", Numeric(20, 6), nullable=False),
        sa.Column("amount_usd", Numeric(20, 6), nullable=False),
        sa.Column("transaction_hash", sa.String(255)),
        sa.Column("blockchain_status", sa.String(20), server_default=_text("pending")),
        sa.Column("gas_used", Numeric(20, 6)),
        sa.Column("gas_price", Numeric(20, 6)),
        sa.Column("created_at", Timestamp(None), server_default=now_default()),
        sa.Column("confirmed_at", Timestamp(None)),
        _pk("minting_transactions"),
        sa.CheckConstraint(
            _in("blockchain_status", "pending", "confirmed", "failed"),
            name="minting_transactions_blockchain_status_check",
        ),
    )
    op.create_table(
        "mining_pools",
        sa.Column("id", sa.String(50), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("url", sa.String(255), nullable=False),
        sa.Column("algorithm", sa.String(50), nullable=False),
        sa.Column("priority", sa.Integer, server_default=sa.text("1")),
        sa.Column("is_active", sa.Boolean, server_default=sa.text("true")),
        sa.Column("created_at", Timestamp(None), server_default=now_default()),
        _pk("mining_pools"),
    )
    # schema.sql seeds one row per pool at zero; the service updates them in place.
    op.bulk_insert(pool_statistics, [{"pool_type": p, "total_minted": 0} for p in POOL_TYPES])

    for name, select in view_sql("mint", op.get_bind().dialect.name).items():
        op.execute(f"CREATE VIEW {name} AS {select}")


def downgrade() -> None:
    for name in reversed(list(view_sql("mint", op.get_bind().dialect.name))):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    for table in (
        "mining_pools",
        "minting_transactions",
        "pool_statistics",
        "earnings_ledger",
        "knowledge_rewards",
        "user_balances",
        "users",
        "audit_log",
        "invoice",
        "subscription",
    ):
        op.drop_table(table)
