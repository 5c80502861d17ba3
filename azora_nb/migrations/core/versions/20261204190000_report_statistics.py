"""core: planner statistics for the reports' monthly aggregations
(azora_nb.schema.report_indexes.STATISTICS).

azora_nb_treasury_ledger_month on date_trunc('month', created_at): with it the planner
knows the ledger holds a dozen months, not a million distinct ones, and hashes the
groups instead of sorting the whole ledger on disk (treasury.flows: 1.1 s -> 0.34 s at
1M rows; docs/query-audit.md).

PostgreSQL 14 or later only (statistics on expressions); nothing on SQLite or older
servers. IF NOT EXISTS, so a database where an operator created it already upgrades.
CREATE STATISTICS takes a SHARE UPDATE EXCLUSIVE lock (writes go on), and the ANALYZE
that fills it reads a fixed-size sample, so neither is long on a production ledger.

Revision ID: 20261204190000
Revises: 20261204170000
Create Date: 2026-12-04 19:00:00
"""

from __future__ import annotations

from alembic import op

revision = "20261204190000"
down_revision = "20261204170000"
branch_labels = None
depends_on = None


# Spelled out, not read from report_indexes.STATISTICS: a revision does what it did when
# it was written (the test checks the two agree).
NAME = "azora_nb_treasury_ledger_month"
TABLE = "treasury_ledger"
EXPRESSION = "date_trunc('month', created_at)"


def _supported() -> bool:
    bind = op.get_bind()
    version = bind.dialect.server_version_info or (0,)
    return bind.dialect.name == "postgresql" and version >= (14,)


def upgrade() -> None:
    if not _supported():
        return
    op.execute(f"CREATE STATISTICS IF NOT EXISTS {NAME} ON ({EXPRESSION}) FROM {TABLE}")
    # A statistics object is empty until ANALYZE; autovacuum would fill it only after a
    # tenth of the table changes, which on a large, settled ledger can take weeks.
    op.execute(f"ANALYZE {TABLE}")


def downgrade() -> None:
    if not _supported():
        return
    op.execute(f"DROP STATISTICS IF EXISTS {NAME}")
