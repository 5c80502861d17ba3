"""core: indexes for the reports' slow queries (azora_nb.schema.report_indexes).

idx_azora_nb_treasury_ledger_reason (reason, id, tx_hash): rewards.ledger_without_reward
reads the knowledge-reward payouts in id order; without it, a scan of the whole ledger.

Revision ID: 20261204170000
Revises: 20261204160000
Create Date: 2026-12-04 17:00:00
"""

from __future__ import annotations

from alembic import op

revision = "20261204170000"
down_revision = "20261204160000"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # IF NOT EXISTS: a production database where an operator built it already (by this
    # name) upgrades instead of failing.
    op.create_index(
        "idx_azora_nb_treasury_ledger_reason",
        "treasury_ledger",
        ["reason", "id", "tx_hash"],
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index(
        "idx_azora_nb_treasury_ledger_reason", table_name="treasury_ledger", if_exists=True
    )
