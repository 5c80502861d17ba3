"""Comparing a live database with the models: column types and table shapes.

The models use portable types (:mod:`azora_nb.types`), which alembic's own type
comparison does not understand: a ``TimestampTZ`` is ``TIMESTAMPTZ`` on SQLite and
``TIMESTAMP WITH TIME ZONE`` on PostgreSQL. Here both sides are compiled to the
DDL type the dialect would write, and those strings are compared. On SQLite the
live side is the declared type from ``PRAGMA table_info``, because SQLite's
reflection maps names it does not know (``TIMESTAMPTZ``, ``JSONB``) to NUMERIC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

_SPACES = re.compile(r"\s+")
# Spellings that mean the same type on PostgreSQL.
_PG_SYNONYMS = {
    "TIMESTAMPWITHOUTTIMEZONE": "TIMESTAMP",
    "TIMESTAMP(6)WITHOUTTIMEZONE": "TIMESTAMP",
    "TIMESTAMP(6)WITHTIMEZONE": "TIMESTAMPWITHTIMEZONE",
    "TIMESTAMPTZ": "TIMESTAMPWITHTIMEZONE",
    "INT": "INTEGER",
    "INT4": "INTEGER",
    "INT8": "BIGINT",
    "FLOAT8": "DOUBLEPRECISION",
    "FLOAT(53)": "DOUBLEPRECISION",
    "CHARACTERVARYING": "VARCHAR",
    "DECIMAL": "NUMERIC",
    "BOOL": "BOOLEAN",
}


def canonical(type_text: str, dialect_name: str) -> str:
    """Upper case without spaces, synonyms folded: ``numeric(5, 2)`` -> ``NUMERIC(5,2)``."""
    text = _SPACES.sub("", type_text.upper())
    if dialect_name == "postgresql":
        text = _PG_SYNONYMS.get(text, text)
        text = re.sub(r"^CHARACTERVARYING", "VARCHAR", text)
    return text


def ddl_type(type_: sa.types.TypeEngine[Any], dialect: Dialect) -> str:
    """The type as ``dialect`` writes it in CREATE TABLE (portable types resolved)."""
    return str(type_.compile(dialect=dialect))


def sqlite_declared_types(conn: Connection, table: str) -> dict[str, str]:
    """``{column: declared type}`` of a SQLite table, exactly as written in its DDL."""
    rows = conn.exec_driver_sql("SELECT name, type FROM pragma_table_info(?)", (table,)).fetchall()
    return {str(name): str(type_) for name, type_ in rows}


class TypeComparator:
    """The ``compare_type`` hook for alembic, and the type check of ``adopt``.

    Keeps the declared SQLite types per table, read once per comparison run.
    """

    def __init__(self) -> None:
        self._sqlite_types: dict[str, dict[str, str]] = {}

    def live_type(
        self, conn: Connection, table: str, column: str, reflected: sa.types.TypeEngine[Any]
    ) -> str:
        if conn.dialect.name == "sqlite":
            if table not in self._sqlite_types:
                self._sqlite_types[table] = sqlite_declared_types(conn, table)
            return self._sqlite_types[table].get(column, "")
        return ddl_type(reflected, conn.dialect)

    def differs(
        self,
        conn: Connection,
        table: str,
        column: str,
        reflected: sa.types.TypeEngine[Any],
        model: sa.types.TypeEngine[Any],
    ) -> bool:
        live = canonical(self.live_type(conn, table, column, reflected), conn.dialect.name)
        expected = canonical(ddl_type(model, conn.dialect), conn.dialect.name)
        return live != expected

    def __call__(
        self,
        context: Any,
        inspected_column: sa.Column[Any],
        metadata_column: sa.Column[Any],
        inspected_type: sa.types.TypeEngine[Any],
        metadata_type: sa.types.TypeEngine[Any],
    ) -> bool:
        table = metadata_column.table.name
        return self.differs(
            context.connection, table, metadata_column.name, inspected_type, metadata_type
        )


@dataclass(frozen=True)
class Difference:
    """One way a live database differs from the models."""

    kind: str
    """``missing table``, ``missing column``, ``type``, ``extra table``, ``index``..."""
    table: str
    column: str | None = None
    detail: str = ""

    def __str__(self) -> str:
        where = self.table + (f".{self.column}" if self.column else "")
        return f"{self.kind}: {where}" + (f" ({self.detail})" if self.detail else "")


def shape_differences(conn: Connection, tables: list[sa.Table]) -> list[Difference]:
    """What keeps ``conn``'s database from holding ``tables``: missing tables, missing
    columns and columns of another type. Extra tables and columns are allowed."""
    inspector = sa.inspect(conn)
    existing = set(inspector.get_table_names())
    comparator = TypeComparator()
    found: list[Difference] = []
    for table in tables:
        if table.name not in existing:
            found.append(Difference("missing table", table.name))
            continue
        live = {c["name"]: c for c in inspector.get_columns(table.name)}
        for column in table.columns:
            reflected = live.get(column.name)
            if reflected is None:
                found.append(
                    Difference(
                        "missing column",
                        table.name,
                        column.name,
                        ddl_type(column.type, conn.dialect),
                    )
                )
            elif comparator.differs(conn, table.name, column.name, reflected["type"], column.type):
                have = comparator.live_type(conn, table.name, column.name, reflected["type"])
                want = ddl_type(column.type, conn.dialect)
                found.append(
                    Difference(
                        "type", table.name, column.name, f"database has {have}, expected {want}"
                    )
                )
    return found


def table_shapes(conn: Connection) -> dict[str, tuple[tuple[str, str], ...]]:
    """``{table or view: ((column, type), ...)}``, to see what a migration changed."""
    inspector = sa.inspect(conn)
    names = list(inspector.get_table_names()) + list(inspector.get_view_names())
    shapes: dict[str, tuple[tuple[str, str], ...]] = {}
    for name in names:
        shapes[name] = tuple((c["name"], str(c["type"])) for c in inspector.get_columns(name))
    return shapes


def changed_tables(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Names created, dropped or altered between two :func:`table_shapes`."""
    return sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))
