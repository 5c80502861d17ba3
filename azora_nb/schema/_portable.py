"""Server defaults and column types that render per dialect, so that one model
builds the same table on PostgreSQL and SQLite.

The defaults are SQL expressions compiled with :func:`sqlalchemy.ext.compiler.compiles`:
PostgreSQL gets what production has (``uuid_generate_v4()``, ``now()``,
``CURRENT_TIMESTAMP``); SQLite gets an expression that produces the same value in
the storage format of :mod:`azora_nb.types` (a random v4 UUID as text, UTC time
as ``YYYY-MM-DD HH:MM:SS.ffffff``).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement

# SQLite: 8-4-4-4-12 hex digits, version nibble 4, variant nibble in 8..b.
_SQLITE_UUID4 = (
    "(lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || "
    "substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || "
    "substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))))"
)
# strftime's %f is SS.SSS; three zeros make the six fractional digits of the format.
_SQLITE_NOW = "(strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')"


class NewUUID(ColumnElement[Any]):
    """Server default: ``uuid_generate_v4()`` (uuid-ossp) on PostgreSQL."""

    inherit_cache = True


class Now(ColumnElement[Any]):
    """Server default: the current time. ``spelling`` is how PostgreSQL writes it:
    ``now()`` in the hand-written schema.sql files, ``CURRENT_TIMESTAMP`` in Prisma's."""

    inherit_cache = False

    def __init__(self, spelling: str = "now()") -> None:
        self.spelling = spelling


@compiles(NewUUID)
def _uuid_pg(element: NewUUID, compiler: SQLCompiler, **kw: Any) -> str:
    return "uuid_generate_v4()"


@compiles(NewUUID, "sqlite")
def _uuid_sqlite(element: NewUUID, compiler: SQLCompiler, **kw: Any) -> str:
    return _SQLITE_UUID4


@compiles(Now)
def _now_pg(element: Now, compiler: SQLCompiler, **kw: Any) -> str:
    return element.spelling


@compiles(Now, "sqlite")
def _now_sqlite(element: Now, compiler: SQLCompiler, **kw: Any) -> str:
    return _SQLITE_NOW


def uuid_default() -> NewUUID:
    return NewUUID()


def now_default() -> Now:
    return Now("now()")


def prisma_now() -> Now:
    return Now("CURRENT_TIMESTAMP")


def Real() -> sa.types.TypeEngine[float]:
    """Prisma's ``Float``: REAL in its SQLite migration, DOUBLE PRECISION on PostgreSQL.

    PostgreSQL's ``real`` is float4 (about 7 significant digits), which would lose
    cents on amounts above 100,000; Prisma itself maps ``Float`` to DOUBLE PRECISION.
    """
    return sa.Double().with_variant(sa.REAL(), "sqlite")


def BigSerial() -> sa.types.TypeEngine[int]:
    """bigint on PostgreSQL; INTEGER on SQLite, the only type SQLite auto-increments."""
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


NAMING_CONVENTION: dict[str, str] = {
    # PostgreSQL's own default names, which is what production databases carry.
    "pk": "%(table_name)s_pkey",
    "uq": "%(table_name)s_%(column_0_N_name)s_key",
    "fk": "%(table_name)s_%(column_0_N_name)s_fkey",
    "ix": "idx_%(table_name)s_%(column_0_N_name)s",
}


def new_metadata() -> sa.MetaData:
    return sa.MetaData(naming_convention=NAMING_CONVENTION)


def enum_check(table: str, column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    """``column IN (...)``, named as PostgreSQL names an inline column CHECK."""
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({quoted})", name=f"{table}_{column}_check")
