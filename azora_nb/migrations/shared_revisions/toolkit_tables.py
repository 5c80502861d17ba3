"""The toolkit's own tables (``azora_nb_*``), created in every source's database.

Used by ``azora_nb/migrations/<source>/versions/20261128080000_toolkit_tables.py``. The model is
``azora_nb/schema/toolkit.py``; keep the two equal (the drift test checks).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from azora_nb.schema._portable import BigSerial, now_default
from azora_nb.types import JSONB, TimestampTZ

TABLES = (
    "azora_nb_sync_state",
    "azora_nb_sync_runs",
    "azora_nb_dead_letters",
    "azora_nb_metric_snapshots",
    "azora_nb_report_runs",
)


def _now(name: str) -> sa.Column:
    return sa.Column(name, TimestampTZ(), nullable=False, server_default=now_default())


def _count(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger, nullable=False, server_default=sa.text("0"))


def upgrade() -> None:
    op.create_table(
        "azora_nb_sync_state",
        sa.Column("sync_name", sa.Text, nullable=False),
        sa.Column("watermark", JSONB()),
        _now("updated_at"),
        sa.Column("last_run_id", sa.Text),
        sa.PrimaryKeyConstraint("sync_name", name="azora_nb_sync_state_pkey"),
        comment="Where each sync stopped: its watermark and last run.",
    )
    op.create_table(
        "azora_nb_sync_runs",
        sa.Column("run_id", sa.Text, nullable=False),
        sa.Column("sync_name", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        _now("started_at"),
        sa.Column("finished_at", TimestampTZ()),
        _count("rows_read"),
        _count("rows_written"),
        _count("rows_dead"),
        sa.Column("watermark_before", JSONB()),
        sa.Column("watermark_after", JSONB()),
        sa.Column("reconciliation", JSONB()),
        sa.Column("error", sa.Text),
        sa.PrimaryKeyConstraint("run_id", name="azora_nb_sync_runs_pkey"),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'failed', 'cancelled')",
            name="azora_nb_sync_runs_status_check",
        ),
        comment="One row per sync run: the job log.",
    )
    op.create_index(
        "idx_azora_nb_sync_runs_sync_name_started_at",
        "azora_nb_sync_runs",
        ["sync_name", "started_at"],
    )
    op.create_table(
        "azora_nb_dead_letters",
        sa.Column("id", BigSerial(), nullable=False, autoincrement=True),
        sa.Column("sync_name", sa.Text, nullable=False),
        sa.Column("run_id", sa.Text),
        sa.Column("record_key", sa.Text),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("record", JSONB()),
        _now("created_at"),
        sa.Column("replayed_at", TimestampTZ()),
        sa.Column("status", sa.Text, nullable=False, server_default=sa.text("'dead'")),
        sa.PrimaryKeyConstraint("id", name="azora_nb_dead_letters_pkey"),
        comment="Records a sync could not write, kept for inspection and replay.",
    )
    op.create_index(
        "idx_azora_nb_dead_letters_sync_name_status",
        "azora_nb_dead_letters",
        ["sync_name", "status"],
    )
    op.create_table(
        "azora_nb_metric_snapshots",
        sa.Column("id", BigSerial(), nullable=False, autoincrement=True),
        _now("taken_at"),
        sa.Column("as_of", TimestampTZ(), nullable=False),
        sa.Column("metric", sa.Text, nullable=False),
        sa.Column("dims", JSONB()),
        sa.Column("value", sa.Double()),
        sa.PrimaryKeyConstraint("id", name="azora_nb_metric_snapshots_pkey"),
        comment="Computed metric values over time, for trends and forecasts.",
    )
    op.create_index(
        "idx_azora_nb_metric_snapshots_metric_as_of",
        "azora_nb_metric_snapshots",
        ["metric", "as_of"],
    )
    op.create_table(
        "azora_nb_report_runs",
        sa.Column("run_id", sa.Text, nullable=False),
        sa.Column("report", sa.Text, nullable=False),
        sa.Column("parameters", JSONB()),
        sa.Column("status", sa.Text, nullable=False),
        _now("started_at"),
        sa.Column("finished_at", TimestampTZ()),
        sa.Column("notebook_path", sa.Text),
        sa.Column("html_path", sa.Text),
        sa.Column("error", sa.Text),
        sa.PrimaryKeyConstraint("run_id", name="azora_nb_report_runs_pkey"),
        comment="One row per report run: parameters, outputs and outcome.",
    )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
