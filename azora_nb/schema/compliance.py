"""Source ``compliance``: the compliance service (Prisma migration ``20251020075522_init``,
PostgreSQL). Prisma kept the model names, so the tables are ``"ComplianceCheck"`` and
``"AuditLog"`` and must be double-quoted in SQL."""

from __future__ import annotations

import sqlalchemy as sa

from azora_nb.schema import toolkit
from azora_nb.schema._portable import new_metadata, prisma_now
from azora_nb.types import JSONB, Timestamp

metadata = new_metadata()
views = sa.MetaData()

ComplianceCheck = sa.Table(
    "ComplianceCheck",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("userId", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("compliant", sa.Boolean, nullable=False),
    sa.Column("risk", sa.Text, nullable=False),
    sa.Column("timestamp", Timestamp(3), nullable=False, server_default=prisma_now()),
    sa.Column("metadata", JSONB()),
)

AuditLog = sa.Table(
    "AuditLog",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("eventType", sa.Text, nullable=False),
    sa.Column("details", JSONB(), nullable=False),
    sa.Column("createdAt", Timestamp(3), nullable=False, server_default=prisma_now()),
    sa.Column("userId", sa.Text),
)

compliance_check = ComplianceCheck
audit_log = AuditLog

toolkit.add_to(metadata)
