"""The audit trail table (``azora_nb_audit``), added to every source's database.

Used by ``azora_nb/migrations/<source>/versions/20261204160000_audit_trail.py``. The model is
``azora_nb.schema.toolkit.audit``; keep the two equal (the drift test checks).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from azora_nb.schema._portable import BigSerial, now_default
from azora_nb.types import JSONB, TimestampTZ


def upgrade() -> None:
    op.create_table(
        "azora_nb_audit",
        sa.Column("id", BigSerial(), nullable=False, autoincrement=True),
        sa.Column("started_at", TimestampTZ(), nullable=False, server_default=now_default()),
        sa.Column("finished_at", TimestampTZ()),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("target", sa.Text),
        sa.Column("parameters", JSONB()),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("rows_affected", sa.BigInteger),
        sa.Column("db_role", sa.Text),
        sa.Column("os_user", sa.Text),
        sa.Column("host", sa.Text),
        sa.PrimaryKeyConstraint("id", name="azora_nb_audit_pkey"),
        comment="The audit trail: who ran what on this database, when, and how it ended.",
    )
    op.create_index("idx_azora_nb_audit_started_at", "azora_nb_audit", ["started_at"])


def downgrade() -> None:
    op.drop_index("idx_azora_nb_audit_started_at", table_name="azora_nb_audit")
    op.drop_table("azora_nb_audit")
