"""Column kinds, value conversion, portable target types and the reconciliation hash.

A *kind* names what a target column holds, independently of the backend:
``text``, ``integer``, ``float``, ``numeric``, ``boolean``, ``timestamp``
(aware UTC), ``date``, ``json``, ``uuid``. SQL → SQL syncs take the kinds
from the source table's columns; Mongo sources take them from the
definition's ``types`` or infer them from the first batch of documents.
A value that cannot be converted to its column's kind raises
:class:`BadValue`, which sends the record to the dead-letter table.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from azora_nb import types as az_types
from azora_nb.exceptions import ConfigError

KINDS = ("text", "integer", "float", "numeric", "boolean", "timestamp", "date", "json", "uuid")

Converter = Callable[[Any], Any]


class BadValue(ValueError):
    """A value that does not convert to its column's kind."""


def _to_text(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, default=str, sort_keys=True)
    if isinstance(value, datetime):
        return az_types.to_utc(value).isoformat()
    return str(value)


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal) and value == int(value):
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+\s*", value):
        return int(value)
    raise BadValue(f"{value!r} is not an integer")


def _to_float(value: Any) -> float:
    if isinstance(value, bool):
        raise BadValue(f"{value!r} is a boolean, not a number")
    if hasattr(value, "to_decimal"):  # bson Decimal128
        return float(value.to_decimal())
    try:
        return float(value)
    except (TypeError, ValueError):
        raise BadValue(f"{value!r} is not a number") from None


_TRUE = {"true", "t", "yes", "1"}
_FALSE = {"false", "f", "no", "0"}


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise BadValue(f"{value!r} is not a boolean")


def _to_timestamp(value: Any) -> datetime:
    if isinstance(value, datetime):
        return az_types.to_utc(value)
    if isinstance(value, str):
        try:
            return az_types.parse_ts(value)
        except ValueError:
            pass
    raise BadValue(f"{value!r} is not a timestamp")


def _to_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            pass
    raise BadValue(f"{value!r} is not a date")


def _to_json(value: Any) -> Any:
    try:
        return json.loads(json.dumps(value, default=_json_default))
    except (TypeError, ValueError) as exc:
        raise BadValue(f"{value!r} is not JSON: {exc}") from None


def _to_uuid(value: Any) -> str:
    try:
        return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
    except ValueError:
        raise BadValue(f"{value!r} is not a UUID") from None


CONVERTERS: dict[str, Converter] = {
    "text": _to_text,
    "integer": _to_int,
    "float": _to_float,
    "numeric": _to_float,
    "boolean": _to_bool,
    "timestamp": _to_timestamp,
    "date": _to_date,
    "json": _to_json,
    "uuid": _to_uuid,
}


def converter(kind: str) -> Converter:
    try:
        return CONVERTERS[kind]
    except KeyError:
        raise ConfigError(f"unknown column type {kind!r}; use one of {', '.join(KINDS)}") from None


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return az_types.to_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "to_decimal"):
        return float(value.to_decimal())
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)  # ObjectId, UUID


def to_jsonable(value: Any) -> Any:
    """``value`` made JSON-safe (for dead-letter records and JSON columns)."""
    return json.loads(json.dumps(value, default=_json_default))


def infer_kind(values: list[Any]) -> str:
    """The kind of a Mongo field, from its non-null values."""
    for value in values:
        if value is None:
            continue
        if isinstance(value, bool):
            return "boolean"
        if isinstance(value, int):
            return "integer"
        if isinstance(value, float | Decimal) or hasattr(value, "to_decimal"):
            return "float"
        if isinstance(value, datetime):
            return "timestamp"
        if isinstance(value, dict | list):
            return "json"
        return "text"
    return "text"


def sa_type(kind: str) -> sa.types.TypeEngine[Any]:
    """The portable SQLAlchemy type of a kind."""
    types: dict[str, sa.types.TypeEngine[Any]] = {
        "text": sa.Text(),
        "integer": sa.BigInteger(),
        "float": sa.Double(),
        "numeric": az_types.Numeric(),
        "boolean": sa.Boolean(),
        "timestamp": az_types.TimestampTZ(),
        "date": az_types.Date(),
        "json": az_types.JSONB(),
        "uuid": az_types.UUID(),
    }
    return types[kind]


def portable_from_pg(col_type: sa.types.TypeEngine[Any]) -> tuple[sa.types.TypeEngine[Any], str]:
    """Portable type and kind for a type reflected from PostgreSQL."""
    if isinstance(col_type, postgresql.UUID):
        return az_types.UUID(), "uuid"
    if isinstance(col_type, sa.DateTime):
        if col_type.timezone:
            return az_types.TimestampTZ(), "timestamp"
        return az_types.Timestamp(getattr(col_type, "precision", None)), "timestamp"
    if isinstance(col_type, sa.Date):
        return az_types.Date(), "date"
    if isinstance(col_type, sa.JSON | postgresql.JSONB):
        return az_types.JSONB(), "json"
    if isinstance(col_type, postgresql.ARRAY):
        return az_types.TextArray(), "json"
    if isinstance(col_type, postgresql.INET):
        return az_types.Inet(), "text"
    if isinstance(col_type, sa.Boolean):
        return sa.Boolean(), "boolean"
    if isinstance(col_type, sa.Integer):
        return sa.BigInteger(), "integer"
    if isinstance(col_type, sa.Float):
        return sa.Double(), "float"
    if isinstance(col_type, sa.Numeric):
        return az_types.Numeric(col_type.precision, col_type.scale), "numeric"
    return sa.Text(), "text"


_SQLITE_DECLARED: list[tuple[str, Callable[[str], tuple[sa.types.TypeEngine[Any], str]]]] = [
    ("TIMESTAMPTZ", lambda d: (az_types.TimestampTZ(), "timestamp")),
    ("TIMESTAMP", lambda d: (az_types.Timestamp(), "timestamp")),
    ("DATETIME", lambda d: (az_types.Timestamp(), "timestamp")),
    ("DATE", lambda d: (az_types.Date(), "date")),
    ("JSONB", lambda d: (az_types.JSONB(), "json")),
    ("TEXTARRAY", lambda d: (az_types.TextArray(), "json")),
    ("INET", lambda d: (az_types.Inet(), "text")),
    ("BOOL", lambda d: (sa.Boolean(), "boolean")),
    ("INT", lambda d: (sa.BigInteger(), "integer")),
    ("NUMERIC", lambda d: (_sqlite_numeric(d), "numeric")),
    ("DECIMAL", lambda d: (_sqlite_numeric(d), "numeric")),
    ("REAL", lambda d: (sa.Double(), "float")),
    ("FLOA", lambda d: (sa.Double(), "float")),
    ("DOUB", lambda d: (sa.Double(), "float")),
]


def _sqlite_numeric(declared: str) -> sa.types.TypeEngine[Any]:
    match = re.search(r"\((\d+)\s*,\s*(\d+)\)", declared)
    if match:
        return az_types.Numeric(int(match.group(1)), int(match.group(2)))
    return az_types.Numeric()


def portable_from_sqlite(declared: str) -> tuple[sa.types.TypeEngine[Any], str]:
    """Portable type and kind for a SQLite declared type (``PRAGMA table_info``)."""
    upper = declared.upper()
    for prefix, make in _SQLITE_DECLARED:
        if upper.startswith(prefix) or (prefix == "INT" and "INT" in upper):
            return make(upper)
    return sa.Text(), "text"


# -- watermarks and reconciliation --------------------------------------------


def floor_ms(value: datetime) -> datetime:
    """Truncate to the millisecond: MongoDB keeps no finer time."""
    value = az_types.to_utc(value)
    return value.replace(microsecond=value.microsecond - value.microsecond % 1000)


def encode_watermark(value: Any) -> dict[str, Any] | None:
    """A cursor value as JSON with its type, for ``azora_nb_sync_state.watermark``."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return {"type": "timestamp", "value": floor_ms(value).isoformat()}
    if isinstance(value, bool):
        raise ConfigError("a boolean column cannot be a sync cursor")
    if isinstance(value, int):
        return {"type": "integer", "value": value}
    if isinstance(value, float | Decimal):
        return {"type": "float", "value": float(value)}
    return {"type": "text", "value": str(value)}


def decode_watermark(raw: Any) -> Any:
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = json.loads(raw)
    kind, value = raw["type"], raw["value"]
    if kind == "timestamp":
        return az_types.parse_ts(value)
    return value


def lower_bound(watermark: Any, lag: float) -> Any:
    """Where an incremental run starts reading: ``watermark - lag``, inclusive."""
    if watermark is None or not lag:
        return watermark
    if isinstance(watermark, datetime):
        return floor_ms(watermark - timedelta(seconds=lag))
    if isinstance(watermark, int | float):
        return watermark - lag
    raise ConfigError("a lag window needs a timestamp or numeric cursor, not a text one")


def later(current: Any, new: Any) -> Any:
    """The later of two cursor values (the watermark never moves back)."""
    if new is None:
        return current
    if isinstance(new, datetime):
        new = az_types.to_utc(new)  # a driver's naive timestamp(3) is UTC by convention
    if current is None:
        return new
    return new if new > current else current


def canonical(value: Any) -> str:
    """One spelling of a value on every backend, for the reconciliation checksum:
    timestamps to the millisecond in UTC (MongoDB's precision), numbers to 6
    decimals, booleans as 0/1 (the Mongo test server returns them as ints)."""
    if value is None:
        return "\x00"
    if isinstance(value, datetime):
        return floor_ms(value).isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal) or hasattr(value, "to_decimal"):
        number = float(value.to_decimal()) if hasattr(value, "to_decimal") else float(value)
        return str(int(number)) if number == int(number) else f"{number:.6f}"
    if isinstance(value, dict | list):
        return json.dumps(value, default=_json_default, sort_keys=True)
    return str(value)


def utcnow() -> datetime:
    return datetime.now(UTC)
