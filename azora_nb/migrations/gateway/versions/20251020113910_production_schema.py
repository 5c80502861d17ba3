"""gateway: Prisma migration 20251020113910_init of the api-gateway (PostgreSQL).

Revision ID: 20251020113910
Revises:
Create Date: 2025-10-20 11:39:10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from azora_nb.schema._portable import prisma_now
from azora_nb.types import JSONB, Timestamp

revision = "20251020113910"
down_revision = None
branch_labels = None
depends_on = None


def _ts3(name: str, *, default: bool = False, nullable: bool = False) -> sa.Column:
    return sa.Column(
        name, Timestamp(3), nullable=nullable, server_default=prisma_now() if default else None
    )


def upgrade() -> None:
    op.create_table(
        "service_routes",
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("serviceName", sa.Text, nullable=False),
        sa.Column("route", sa.Text, nullable=False),
        sa.Column("targetUrl", sa.Text, nullable=False),
        sa.Column("method", sa.Text, nullable=False),
        sa.Column("isActive", sa.Boolean, nullable=False, server_default=sa.text("true")),
        _ts3("createdAt", default=True),
        _ts3("updatedAt"),
        sa.PrimaryKeyConstraint("id", name="service_routes_pkey"),
    )
    op.create_table(
        "api_calls",
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("routeId", sa.Text),
        sa.Column("method", sa.Text, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("userId", sa.Text),
        sa.Column("ipAddress", sa.Text, nullable=False),
        sa.Column("userAgent", sa.Text),
        sa.Column("statusCode", sa.Integer, nullable=False),
        sa.Column("responseTime", sa.Integer, nullable=False),  # milliseconds
        sa.Column("requestSize", sa.Integer),
        sa.Column("responseSize", sa.Integer),
        _ts3("timestamp", default=True),
        sa.PrimaryKeyConstraint("id", name="api_calls_pkey"),
        sa.ForeignKeyConstraint(
            ["routeId"],
            ["service_routes.id"],
            name="api_calls_routeId_fkey",
            ondelete="SET NULL",
            onupdate="CASCADE",
        ),
    )
    op.create_table(
        "circuit_breakers",
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("serviceName", sa.Text, nullable=False),
        sa.Column("failureCount", sa.Integer, nullable=False, server_default=sa.text("0")),
        _ts3("lastFailure", nullable=True),
        sa.Column("state", sa.Text, nullable=False, server_default=sa.text("'closed'")),
        sa.Column("timeout", sa.Integer, nullable=False, server_default=sa.text("60000")),
        _ts3("createdAt", default=True),
        _ts3("updatedAt"),
        sa.PrimaryKeyConstraint("id", name="circuit_breakers_pkey"),
    )
    op.create_index(
        "circuit_breakers_serviceName_key", "circuit_breakers", ["serviceName"], unique=True
    )
    op.create_table(
        "audit_logs",
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("entityId", sa.Text, nullable=False),
        sa.Column("entityType", sa.Text, nullable=False),
        sa.Column("userId", sa.Text),
        sa.Column("details", JSONB(), nullable=False),
        _ts3("timestamp", default=True),
        sa.PrimaryKeyConstraint("id", name="audit_logs_pkey"),
    )


def downgrade() -> None:
    for table in ("audit_logs", "circuit_breakers", "api_calls", "service_routes"):
        op.drop_table(table)
