"""Guards for commands that destroy data: what a change would drop, and whether a
database is the services' own (adopted), where the toolkit never drops their tables.

A database is marked as adopted when :func:`azora_nb.migrate.adopt` stamps it: on
PostgreSQL in the comment of its ``alembic_version_<source>`` table, on SQLite in
the file's ``user_version`` (which the toolkit uses for nothing else).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

ADOPTED_MARK = "azora-nb: adopted"
_SQLITE_ADOPTED = 0x417A4164  # "AzAd": user_version of an adopted SQLite file


def _quote(conn: Connection, name: str) -> str:
    return str(conn.dialect.identifier_preparer.quote(name))


def row_counts(conn: Connection) -> dict[str, int]:
    """Rows in every table of the database (views and Alembic's tables left out)."""
    names = [n for n in sa.inspect(conn).get_table_names() if not n.startswith("alembic_version")]
    return {
        name: int(conn.exec_driver_sql(f"SELECT count(*) FROM {_quote(conn, name)}").scalar() or 0)
        for name in sorted(names)
    }


def dropped(before: dict[str, int], after: dict[str, int]) -> list[tuple[str, int]]:
    """The tables in ``before`` that are gone from ``after``, with the rows they held."""
    return [(name, rows) for name, rows in before.items() if name not in after]


def mark_adopted(conn: Connection, source: str) -> None:
    """Remember that ``source``'s database was adopted (inside the adopting transaction)."""
    table = f"alembic_version_{source}"
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"COMMENT ON TABLE {_quote(conn, table)} IS '{ADOPTED_MARK}'")
    elif conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA user_version = {_SQLITE_ADOPTED}")


def is_adopted(conn: Connection, source: str) -> bool:
    """Whether ``source``'s database was adopted rather than built by the toolkit."""
    table = f"alembic_version_{source}"
    if conn.dialect.name == "postgresql":
        comment = conn.execute(
            sa.text("SELECT obj_description(to_regclass(:t), 'pg_class')"), {"t": table}
        ).scalar()
        return bool(comment) and str(comment).startswith(ADOPTED_MARK)
    if conn.dialect.name == "sqlite":
        return conn.exec_driver_sql("PRAGMA user_version").scalar() == _SQLITE_ADOPTED
    return False
