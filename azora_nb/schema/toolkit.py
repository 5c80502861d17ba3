"""The toolkit's own tables, prefixed ``azora_nb_``, present in every source's database.

They are defined once here and copied into each source's metadata by :func:`add_to`.
The migration that creates them is the second revision of every history
(``azora_nb/migrations/<source>/versions/*_toolkit_tables.py``). To add a column, edit the
table here *and* that revision (while unreleased) or add a revision; the drift test
(``tests/migrations``) fails until both agree.
"""

from __future__ import annotations

import sqlalchemy as sa

from azora_nb.schema._portable import BigSerial, new_metadata, now_default
from azora_nb.types import JSONB, TimestampTZ

metadata = new_metadata()

PREFIX = "azora_nb_"

SYNC_RUN_STATUSES = ("running", "succeeded", "failed", "cancelled")

sync_state = sa.Table(
    "azora_nb_sync_state",
    metadata,
    sa.Column("sync_name", sa.Text, primary_key=True),
    sa.Column("watermark", JSONB),
    sa.Column("updated_at", TimestampTZ(), nullable=False, server_default=now_default()),
    sa.Column("last_run_id", sa.Text),
    comment="Where each sync stopped: its watermark and last run.",
)

sync_runs = sa.Table(
    "azora_nb_sync_runs",
    metadata,
    sa.Column("run_id", sa.Text, primary_key=True),
    sa.Column("sync_name", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("started_at", TimestampTZ(), nullable=False, server_default=now_default()),
    sa.Column("finished_at", TimestampTZ()),
    sa.Column("rows_read", sa.BigInteger, nullable=False, server_default=sa.text("0")),
    sa.Column("rows_written", sa.BigInteger, nullable=False, server_default=sa.text("0")),
    sa.Column("rows_dead", sa.BigInteger, nullable=False, server_default=sa.text("0")),
    sa.Column("watermark_before", JSONB),
    sa.Column("watermark_after", JSONB),
    sa.Column("reconciliation", JSONB),
    sa.Column("error", sa.Text),
    sa.CheckConstraint(
        "status IN ('running', 'succeeded', 'failed', 'cancelled')",
        name="azora_nb_sync_runs_status_check",
    ),
    sa.Index("idx_azora_nb_sync_runs_sync_name_started_at", "sync_name", "started_at"),
    comment="One row per sync run: the job log.",
)

dead_letters = sa.Table(
    "azora_nb_dead_letters",
    metadata,
    sa.Column("id", BigSerial(), primary_key=True, autoincrement=True),
    sa.Column("sync_name", sa.Text, nullable=False),
    sa.Column("run_id", sa.Text),
    sa.Column("record_key", sa.Text),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("record", JSONB),
    sa.Column("created_at", TimestampTZ(), nullable=False, server_default=now_default()),
    sa.Column("replayed_at", TimestampTZ()),
    sa.Column("status", sa.Text, nullable=False, server_default=sa.text("'dead'")),
    sa.Index("idx_azora_nb_dead_letters_sync_name_status", "sync_name", "status"),
    comment="Records a sync could not write, kept for inspection and replay.",
)

metric_snapshots = sa.Table(
    "azora_nb_metric_snapshots",
    metadata,
    sa.Column("id", BigSerial(), primary_key=True, autoincrement=True),
    sa.Column("taken_at", TimestampTZ(), nullable=False, server_default=now_default()),
    sa.Column("as_of", TimestampTZ(), nullable=False),
    sa.Column("metric", sa.Text, nullable=False),
    sa.Column("dims", JSONB),
    sa.Column("value", sa.Double),
    sa.Index("idx_azora_nb_metric_snapshots_metric_as_of", "metric", "as_of"),
    comment="Computed metric values over time, for trends and forecasts.",
)

report_runs = sa.Table(
    "azora_nb_report_runs",
    metadata,
    sa.Column("run_id", sa.Text, primary_key=True),
    sa.Column("report", sa.Text, nullable=False),
    sa.Column("parameters", JSONB),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("started_at", TimestampTZ(), nullable=False, server_default=now_default()),
    sa.Column("finished_at", TimestampTZ()),
    sa.Column("notebook_path", sa.Text),
    sa.Column("html_path", sa.Text),
    sa.Column("error", sa.Text),
    comment="One row per report run: parameters, outputs and outcome.",
)

audit = sa.Table(
    "azora_nb_audit",
    metadata,
    sa.Column("id", BigSerial(), primary_key=True, autoincrement=True),
    sa.Column("started_at", TimestampTZ(), nullable=False, server_default=now_default()),
    sa.Column("finished_at", TimestampTZ()),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("target", sa.Text),
    sa.Column("parameters", JSONB),
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("rows_affected", sa.BigInteger),
    sa.Column("db_role", sa.Text),
    sa.Column("os_user", sa.Text),
    sa.Column("host", sa.Text),
    sa.Index("idx_azora_nb_audit_started_at", "started_at"),
    comment="The audit trail: who ran what on this database, when, and how it ended.",
)


def add_to(target: sa.MetaData) -> None:
    """Copy every toolkit table into ``target`` (a source's metadata)."""
    for table in metadata.sorted_tables:
        table.to_metadata(target)


def is_toolkit_table(name: str | None) -> bool:
    return bool(name) and str(name).startswith(PREFIX)
