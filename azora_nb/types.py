"""Portable column types: one metadata that builds on PostgreSQL and SQLite.

On PostgreSQL each type is the native one (uuid, timestamptz, jsonb, inet,
text[]...). On SQLite each is stored as text in a documented format and
declared with a type name that :mod:`azora_nb.sqlite` registers a converter
for, so that plain ``SELECT`` queries return the same Python values as on
PostgreSQL:

=================  ====================  ===================================
type               SQLite declaration    SQLite storage
=================  ====================  ===================================
``UUID``           ``CHAR(36)``          lower-case canonical text
``TimestampTZ``    ``TIMESTAMPTZ``       ``YYYY-MM-DD HH:MM:SS.ffffff``, UTC
``Timestamp``      ``TIMESTAMP``         same; naive values are taken as UTC
``Date``           ``DATE``              ``YYYY-MM-DD``
``JSONB``          ``JSONB``             JSON text
``TextArray``      ``TEXTARRAY``         JSON array text
``Inet``           ``INET``              text
``Numeric``        ``NUMERIC(p, s)``     REAL; read back as float
``Boolean``        ``BOOLEAN``           0 / 1
=================  ====================  ===================================

The timestamp text sorts in time order and is what SQLite's own
``datetime()`` and ``strftime()`` read, so comparisons and grouping work in
SQL on both backends.
"""

from __future__ import annotations

import json
import uuid as _uuid
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, UserDefinedType

SQLITE_TS_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


class _SQLiteNamed(UserDefinedType[Any]):
    """A bare SQLite column declaration; the name selects the read converter."""

    cache_ok = True

    def __init__(self, spec: str) -> None:
        self.spec = spec

    def get_col_spec(self, **kw: Any) -> str:
        return self.spec


def to_utc(value: datetime) -> datetime:
    """Aware UTC datetime; naive values are taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_sqlite_ts(value: datetime) -> str:
    return to_utc(value).strftime(SQLITE_TS_FORMAT)


def parse_ts(value: str | bytes) -> datetime:
    """Parse the SQLite storage text (or any ISO 8601 text) to an aware UTC datetime."""
    text = value.decode() if isinstance(value, bytes) else value
    if len(text) == 26:  # the storage format itself: UTC without a zone suffix
        # Appending the offset is several times faster than .replace(tzinfo=UTC).
        return datetime.fromisoformat(text + "+00:00")
    return to_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


class UUID(TypeDecorator[str]):
    """uuid on PostgreSQL, canonical text on SQLite; always read as ``str``."""

    impl = sa.String(36)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.UUID(as_uuid=False))
        return dialect.type_descriptor(sa.CHAR(36))

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return str(value if isinstance(value, _uuid.UUID) else _uuid.UUID(str(value)))

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else str(value)


class TimestampTZ(TypeDecorator[datetime]):
    """timestamptz on PostgreSQL (or timestamp(p) without zone when ``timezone=False``);
    UTC text on SQLite. Always read as an aware UTC datetime."""

    impl = sa.DateTime
    cache_ok = True

    def __init__(self, timezone: bool = True, precision: int | None = None) -> None:
        super().__init__()
        self.timezone = timezone
        self.precision = precision

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            # Not through type_descriptor: psycopg's adapted timestamp type has no
            # precision, so TIMESTAMP(3) would be created as plain TIMESTAMP.
            return postgresql.TIMESTAMP(timezone=self.timezone, precision=self.precision)
        return dialect.type_descriptor(
            _SQLiteNamed("TIMESTAMPTZ" if self.timezone else "TIMESTAMP")
        )

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            value = parse_ts(value)
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if dialect.name == "postgresql":
            return to_utc(value) if self.timezone else to_utc(value).replace(tzinfo=None)
        return format_sqlite_ts(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            return to_utc(value)
        return parse_ts(value)


def Timestamp(precision: int | None = 3) -> TimestampTZ:
    """Prisma's ``TIMESTAMP(3)``: no zone on PostgreSQL; values are UTC by convention."""
    return TimestampTZ(timezone=False, precision=precision)


class Date(TypeDecorator[date]):
    impl = sa.Date
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(sa.Date())
        return dialect.type_descriptor(_SQLiteNamed("DATE"))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, str):
            value = date.fromisoformat(value)
        return value if dialect.name == "postgresql" else value.isoformat()

    def process_result_value(self, value: Any, dialect: Dialect) -> date | None:
        if value is None or isinstance(value, date):
            return value
        return date.fromisoformat(value.decode() if isinstance(value, bytes) else value)


class JSONB(TypeDecorator[Any]):
    """jsonb on PostgreSQL, JSON text on SQLite; read as Python objects."""

    impl = sa.JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.JSONB())
        return dialect.type_descriptor(_SQLiteNamed("JSONB"))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return json.dumps(value, separators=(",", ":"), default=str)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, str | bytes):
            return json.loads(value)
        return value


class TextArray(TypeDecorator[list[str]]):
    """text[] on PostgreSQL, a JSON array on SQLite; read as a list of str."""

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(sa.Text()))
        return dialect.type_descriptor(_SQLiteNamed("TEXTARRAY"))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return None if value is None else list(value)
        return json.dumps(list(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> list[str] | None:
        if isinstance(value, str | bytes):
            return list(json.loads(value))
        return None if value is None else list(value)


class Inet(TypeDecorator[str]):
    """inet on PostgreSQL, text on SQLite; read as ``str`` (without a /32 suffix)."""

    impl = sa.String(45)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.INET())
        return dialect.type_descriptor(_SQLiteNamed("INET"))

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else str(value)


def Numeric(precision: int | None = None, scale: int | None = None) -> sa.Numeric[float]:
    """NUMERIC(p, s), read as float64 on both backends (the dtype policy)."""
    return sa.Numeric(precision, scale, asdecimal=False)


Boolean = sa.Boolean
"""boolean on PostgreSQL, 0/1 on SQLite; read as ``bool``."""

__all__ = [
    "JSONB",
    "SQLITE_TS_FORMAT",
    "UUID",
    "Boolean",
    "Date",
    "Inet",
    "Numeric",
    "TextArray",
    "Timestamp",
    "TimestampTZ",
    "format_sqlite_ts",
    "parse_ts",
    "to_utc",
]
