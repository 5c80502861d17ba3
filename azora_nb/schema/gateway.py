"""Source ``gateway``: the api-gateway (Prisma migration ``20251020113910_init``, PostgreSQL)."""

from __future__ import annotations

import sqlalchemy as sa

from azora_nb.schema import toolkit
from azora_nb.schema._portable import new_metadata, prisma_now
from azora_nb.types import JSONB, Timestamp

metadata = new_metadata()
views = sa.MetaData()


def _text_default(value: str) -> sa.TextClause:
    return sa.text("'" + value.replace("'", "''") + "'")


service_routes = sa.Table(
    "service_routes",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("serviceName", sa.Text, nullable=False),
    sa.Column("route", sa.Text, nullable=False),
    sa.Column("targetUrl", sa.Text, nullable=False),
    sa.Column("method", sa.Text, nullable=False),
    sa.Column("isActive", sa.Boolean, nullable=False, server_default=sa.text("true")),
    sa.Column("createdAt", Timestamp(3), nullable=False, server_default=prisma_now()),
    sa.Column("updatedAt", Timestamp(3), nullable=False),
)

api_calls = sa.Table(
    "api_calls",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column(
        "routeId",
        sa.Text,
        sa.ForeignKey("service_routes.id", ondelete="SET NULL", onupdate="CASCADE"),
    ),
    sa.Column("method", sa.Text, nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("userId", sa.Text),
    sa.Column("ipAddress", sa.Text, nullable=False),
    sa.Column("userAgent", sa.Text),
    sa.Column("statusCode", sa.Integer, nullable=False),
    sa.Column("responseTime", sa.Integer, nullable=False),  # milliseconds
    sa.Column("requestSize", sa.Integer),
    sa.Column("responseSize", sa.Integer),
    sa.Column("timestamp", Timestamp(3), nullable=False, server_default=prisma_now()),
)

circuit_breakers = sa.Table(
    "circuit_breakers",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("serviceName", sa.Text, nullable=False),
    sa.Column("failureCount", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("lastFailure", Timestamp(3)),
    sa.Column("state", sa.Text, nullable=False, server_default=_text_default("closed")),
    sa.Column("timeout", sa.Integer, nullable=False, server_default=sa.text("60000")),
    sa.Column("createdAt", Timestamp(3), nullable=False, server_default=prisma_now()),
    sa.Column("updatedAt", Timestamp(3), nullable=False),
    sa.Index("circuit_breakers_serviceName_key", "serviceName", unique=True),
)

audit_logs = sa.Table(
    "audit_logs",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("entityId", sa.Text, nullable=False),
    sa.Column("entityType", sa.Text, nullable=False),
    sa.Column("userId", sa.Text),
    sa.Column("details", JSONB(), nullable=False),
    sa.Column("timestamp", Timestamp(3), nullable=False, server_default=prisma_now()),
)

toolkit.add_to(metadata)
