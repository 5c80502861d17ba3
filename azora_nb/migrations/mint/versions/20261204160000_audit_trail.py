"""mint: the audit trail table (azora_nb_audit). The body is shared by every source's history.

Revision ID: 20261204160000
Revises: 20261128080000
Create Date: 2026-12-04 16:00:00
"""

from __future__ import annotations

from shared_revisions import audit_table

revision = "20261204160000"
down_revision = "20261128080000"
branch_labels = None
depends_on = None


def upgrade() -> None:
    audit_table.upgrade()


def downgrade() -> None:
    audit_table.downgrade()
