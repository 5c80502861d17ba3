"""The toolkit's indexes on service tables, for queries the reports run.

Production does not have them; the toolkit's migration adds them (revision
``20261204170000`` of each history that has any) and the models carry them,
so that ``azora-nb db check`` sees no drift. Each is there because a report
query took over a second on a million ledger rows without it; the tests check
the plans with ``EXPLAIN``.

``STATISTICS`` are PostgreSQL extended statistics on expressions the reports group
by (revision ``20261204190000``): without them the planner takes the number of
groups of ``date_trunc('month', created_at)`` for the number of distinct
timestamps, a million at a million rows, and sorts the whole ledger on disk
instead of hashing twelve months. SQLite has no such statistics and needs none:
it groups the same way whatever it estimates. The audit that found each of them
is ``docs/query-audit.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa


@dataclass(frozen=True)
class ReportIndex:
    name: str
    table: str
    columns: tuple[str, ...]
    why: str


INDEXES: dict[str, tuple[ReportIndex, ...]] = {
    "core": (
        ReportIndex(
            "idx_azora_nb_treasury_ledger_reason",
            "treasury_ledger",
            ("reason", "id", "tx_hash"),
            "rewards.ledger_without_reward: the knowledge-reward payouts in id order, read "
            "from the index alone instead of a scan of the whole ledger",
        ),
    ),
}


def for_source(source: str) -> tuple[ReportIndex, ...]:
    return INDEXES.get(source, ())


def add_to(metadata: sa.MetaData, source: str) -> None:
    """Declare ``source``'s report indexes on the tables of ``metadata``."""
    for index in for_source(source):
        table = metadata.tables[index.table]
        sa.Index(index.name, *(table.c[c] for c in index.columns))


@dataclass(frozen=True)
class ReportStatistics:
    name: str
    table: str
    expression: str
    why: str


STATISTICS: dict[str, tuple[ReportStatistics, ...]] = {
    "core": (
        ReportStatistics(
            "azora_nb_treasury_ledger_month",
            "treasury_ledger",
            "date_trunc('month', created_at)",
            "treasury.flows, net_supply, gas_spend, founder_compensation and the forecast "
            "group the ledger by month: a hash of twelve months instead of an on-disk sort "
            "of every row",
        ),
    ),
}


def statistics_for(source: str) -> tuple[ReportStatistics, ...]:
    return STATISTICS.get(source, ())
