"""A corpus of database states the curated reports must run on.

Each state is built into a workspace from the hand-made analytics dataset
(``tests/analytics/handmade.py``) by a transformation: nothing configured, empty
sources, one day of data, kinds of rows missing, optional columns all NULL,
data newer than ``as_of``, a source not migrated, and so on. ``generated``
states come from hypothesis (fixed seed, bounded examples): random subsets of
the tables, shifted in time, with optional columns nulled at random.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from azora_nb import migrate
from azora_nb.schema import core, gateway, mint
from azora_nb.workspace import Workspace
from tests.analytics import handmade

Data = dict[str, dict[str, list[dict[str, Any]]]]
TABLES: Mapping[str, Mapping[str, sa.Table]] = {
    "core": core.metadata.tables,
    "mint": mint.metadata.tables,
    "gateway": gateway.metadata.tables,
}
SOURCES = ("core", "mint", "gateway", "compliance")
PARENTS = frozenset({("core", "users"), ("mint", "users"), ("gateway", "service_routes")})
"""Tables other rows point at: derived states keep them whole, so foreign keys hold."""


def handmade_data() -> Data:
    return {
        "core": handmade.core_rows(),
        "mint": handmade.mint_rows(),
        "gateway": handmade.gateway_rows(),
    }


@dataclass(frozen=True)
class State:
    """A named state: which sources get a migrated schema, which get an empty file
    (not migrated), and the rows inserted."""

    name: str
    data: Callable[[], Data] = lambda: {}
    migrated: tuple[str, ...] = SOURCES
    unmigrated: tuple[str, ...] = ()
    postgres: bool = False
    """Part of the representative subset also run on PostgreSQL."""
    notes: str = field(default="", compare=False)

    def build(self, ws: Workspace) -> None:
        for source in self.migrated:
            migrate.upgrade(ws, source)
        for source in self.unmigrated:
            if ws.settings.source(source).embedded:
                sqlite3.connect(ws.home / f"{source}.sqlite").close()
        for source, tables in self.data().items():
            if source not in self.migrated:
                continue
            insert(ws, source, tables)


def insert(ws: Workspace, source: str, tables: Mapping[str, list[dict[str, Any]]]) -> None:
    with ws.engine(source).begin() as conn:
        for name, rows in tables.items():
            if not rows:
                continue
            keys = {k for row in rows for k in row}
            conn.execute(
                sa.insert(TABLES[source][name]), [{k: row.get(k) for k in keys} for row in rows]
            )


# -- transformations --------------------------------------------------------------------------


def _map_rows(
    data: Data, change: Callable[[str, str, dict[str, Any]], dict[str, Any] | None]
) -> Data:
    out: Data = {}
    for source, tables in data.items():
        out[source] = {}
        for name, rows in tables.items():
            kept = [changed for row in rows if (changed := change(source, name, dict(row)))]
            out[source][name] = kept
    return out


def _timestamps(row: Mapping[str, Any]) -> list[str]:
    return [k for k, v in row.items() if isinstance(v, datetime)]


def consistent(data: Data) -> Data:
    """Drop rows whose foreign keys point at rows the state left out (tables are
    inserted in the order given, parents first)."""
    out: Data = {}
    for source, tables in data.items():
        kept: dict[tuple[str, str], set[Any]] = {}
        out[source] = {}
        for name, rows in tables.items():
            table = TABLES[source][name]
            links = [
                (column.name, fk.column.table.name, fk.column.name)
                for column in table.columns
                for fk in column.foreign_keys
            ]
            good = [
                row
                for row in rows
                if all(
                    row.get(col) is None or row[col] in kept.get((target, tcol), set())
                    for col, target, tcol in links
                )
            ]
            out[source][name] = good
            for column in table.columns:
                kept[(name, column.name)] = {row.get(column.name) for row in good}
    return out


def shifted(data: Data, delta: timedelta) -> Data:
    """Every timestamp moved by ``delta``."""

    def change(_s: str, _t: str, row: dict[str, Any]) -> dict[str, Any]:
        for key in _timestamps(row):
            row[key] = row[key] + delta
        return row

    return _map_rows(data, change)


def one_day(data: Data) -> Data:
    """Only the rows of one day (the latest day with a ledger row); rows without a
    timestamp (users, routes) stay."""
    latest = max(r["created_at"] for r in data["core"]["treasury_ledger"])
    day = latest.date()

    def change(source: str, table: str, row: dict[str, Any]) -> dict[str, Any] | None:
        stamps = [row[k] for k in _timestamps(row)]
        keep = (source, table) in PARENTS or not stamps or stamps[0].date() == day
        return row if keep else None

    return consistent(_map_rows(data, change))


def without(data: Data, drop: Callable[[str, str, dict[str, Any]], bool]) -> Data:
    return _map_rows(data, lambda s, t, r: None if drop(s, t, r) else r)


def nulled_optionals(data: Data) -> Data:
    """Every nullable column without a default set to NULL."""

    def change(source: str, name: str, row: dict[str, Any]) -> dict[str, Any]:
        table = TABLES[source][name]
        for column in table.columns:
            if (
                column.nullable
                and not column.primary_key
                and not column.foreign_keys
                and column.name in row
            ):
                row[column.name] = None
        return row

    return _map_rows(data, change)


def _nothing_confirmed(source: str, table: str, row: dict[str, Any]) -> dict[str, Any] | None:
    if table == "treasury_ledger":
        if row["transaction_type"] == "mint":
            return None
        row["blockchain_status"] = "pending"
    if table in ("alerts", "mining_sessions", "mining_statistics", "minting_transactions"):
        return None
    return row


STATES: tuple[State, ...] = (
    State("nothing_configured", migrated=(), notes="a fresh home: no source exists"),
    State("empty", postgres=True, notes="every source migrated, no rows"),
    State("handmade", handmade_data, postgres=True, notes="the analytics' hand-made dataset"),
    State("one_day", lambda: one_day(handmade_data())),
    State(
        "nothing_confirmed",
        lambda: consistent(_map_rows(handmade_data(), _nothing_confirmed)),
        notes="no mints, nothing confirmed, no alerts, no sessions",
    ),
    State("null_optionals", lambda: nulled_optionals(handmade_data()), postgres=True),
    State(
        "newer_than_as_of",
        lambda: shifted(handmade_data(), timedelta(days=400)),
        notes="rows dated after today, so after any default as_of",
    ),
    State(
        "core_only",
        lambda: {"core": handmade.core_rows()},
        migrated=("core",),
        notes="mint, gateway and compliance not configured (no files)",
    ),
    State(
        "mint_unmigrated",
        handmade_data,
        migrated=("core", "gateway", "compliance"),
        unmigrated=("mint",),
        notes="mint exists but has no tables (never upgraded)",
    ),
)


def generated_state(draw: Callable[[Any], Any], label: str) -> State:
    """A state drawn by hypothesis: for every table, all, none or a random subset of
    its rows; timestamps shifted; optional columns nulled or not."""
    from hypothesis import strategies as st

    base = handmade_data()
    shift = timedelta(days=draw(st.integers(min_value=-60, max_value=500)))
    null = draw(st.booleans())
    picked: Data = {}
    for source, tables in base.items():
        picked[source] = {}
        for name, rows in tables.items():
            if (source, name) in PARENTS:
                picked[source][name] = rows
                continue
            mode = draw(st.sampled_from(["all", "none", "some"]))
            if mode == "some":
                keep = draw(st.lists(st.booleans(), min_size=len(rows), max_size=len(rows)))
                rows = [r for r, k in zip(rows, keep, strict=True) if k]
            picked[source][name] = rows if mode != "none" else []
    data = consistent(shifted(picked, shift))
    if null:
        data = nulled_optionals(data)
    return State(f"generated_{label}", lambda: data, notes=f"shift {shift.days} days, null {null}")
