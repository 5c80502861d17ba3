"""mint: the toolkit's own tables (sync state and runs, dead letters, metric
snapshots, report runs). The body is shared by every source's history.

Revision ID: 20261128080000
Revises: 20251027215234
Create Date: 2026-11-28 08:00:00
"""

from __future__ import annotations

from shared_revisions import toolkit_tables

revision = "20261128080000"
down_revision = "20251027215234"
branch_labels = None
depends_on = None


def upgrade() -> None:
    toolkit_tables.upgrade()


def downgrade() -> None:
    toolkit_tables.downgrade()
