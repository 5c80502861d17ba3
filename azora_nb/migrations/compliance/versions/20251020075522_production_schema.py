"""compliance: Prisma migration 20251020075522_init of the compliance service (PostgreSQL).

Revision ID: 20251020075522
Revises:
Create Date: 2025-10-20 07:55:22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from azora_nb.schema._portable import prisma_now
from azora_nb.types import JSONB, Timestamp

revision = "20251020075522"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ComplianceCheck",
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("userId", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("compliant", sa.Boolean, nullable=False),
        sa.Column("risk", sa.Text, nullable=False),
        sa.Column("timestamp", Timestamp(3), nullable=False, server_default=prisma_now()),
        sa.Column("metadata", JSONB()),
        sa.PrimaryKeyConstraint("id", name="ComplianceCheck_pkey"),
    )
    op.create_table(
        "AuditLog",
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("eventType", sa.Text, nullable=False),
        sa.Column("details", JSONB(), nullable=False),
        sa.Column("createdAt", Timestamp(3), nullable=False, server_default=prisma_now()),
        sa.Column("userId", sa.Text),
        sa.PrimaryKeyConstraint("id", name="AuditLog_pkey"),
    )


def downgrade() -> None:
    op.drop_table("AuditLog")
    op.drop_table("ComplianceCheck")
