"""The dtype policy: the same data gives the same DataFrame on every backend.

=============================  =================================  ==========
SQL type                       pandas dtype                       kind
=============================  =================================  ==========
smallint, integer, bigint      ``Int64`` (nullable)               ``int``
numeric, real, double          ``float64`` (NULL is NaN)          ``float``
boolean                        ``boolean`` (nullable)             ``bool``
timestamptz, timestamp         ``datetime64[ns, UTC]``            ``timestamp``
date                           ``datetime64[ns]`` (midnight)      ``date``
text, varchar, uuid, inet      ``str`` (pandas' string dtype)      ``text``
json, jsonb, arrays            ``object`` holding dict/list       ``json``
interval                       ``float64`` seconds                ``float``
=============================  =================================  ==========

NUMERIC is float64 because analysts aggregate, plot and model with it;
exact decimal sums are done in the database (``SUM`` over NUMERIC) before
the result is converted. Timestamps without a zone (Prisma's
``TIMESTAMP(3)``) hold UTC by convention and are read as UTC.

Kinds come from the best source available: the SQLAlchemy types of a Core
statement, then PostgreSQL's type OIDs, then the Python values themselves
(SQLite, where :mod:`azora_nb.sqlite` converts declared columns).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

import numpy as np
import pandas as pd
import sqlalchemy as sa

from azora_nb import types as az_types

Kind = Literal["int", "float", "bool", "timestamp", "date", "text", "json", "bytes"]
KINDS: tuple[Kind, ...] = ("int", "float", "bool", "timestamp", "date", "text", "json", "bytes")

_TS_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([+-]\d{2}:?\d{2}|Z)?$")

# PostgreSQL type OIDs, from pg_type.
_PG_OID_KINDS: dict[int, Kind] = {
    16: "bool",
    20: "int",
    21: "int",
    23: "int",
    26: "int",
    700: "float",
    701: "float",
    1700: "float",
    1186: "float",
    1082: "date",
    1114: "timestamp",
    1184: "timestamp",
    114: "json",
    3802: "json",
    17: "bytes",
}
PG_ARRAY_OIDS = frozenset(
    {
        1000,
        1005,
        1007,
        1016,
        1021,
        1022,
        1231,
        1009,
        1015,
        1014,
        2951,
        1115,
        1185,
        1182,
        199,
        3807,
        1041,
    }
)


def kind_from_pg_oid(oid: int) -> Kind:
    if oid in PG_ARRAY_OIDS:
        return "json"
    return _PG_OID_KINDS.get(oid, "text")


def kind_from_sqla(type_: sa.types.TypeEngine[Any]) -> Kind | None:
    """The kind a SQLAlchemy type stands for, or ``None`` when it says nothing."""
    if isinstance(type_, az_types.TimestampTZ | sa.DateTime):
        return "timestamp"
    if isinstance(type_, az_types.Date | sa.Date):
        return "date"
    if isinstance(type_, az_types.JSONB | az_types.TextArray | sa.JSON | sa.ARRAY):
        return "json"
    if isinstance(type_, az_types.UUID | az_types.Inet | sa.String | sa.Uuid):
        return "text"
    if isinstance(type_, sa.Boolean):
        return "bool"
    if isinstance(type_, sa.Integer):
        return "int"
    if isinstance(type_, sa.Numeric | sa.Float | sa.Interval):
        return "float"
    if isinstance(type_, sa.LargeBinary):
        return "bytes"
    return None


def kinds_from_statement(stmt: Any) -> dict[str, Kind]:
    """Kinds declared by a Core ``SELECT``'s columns (empty for text SQL)."""
    columns = getattr(stmt, "selected_columns", None)
    if columns is None:
        return {}
    out: dict[str, Kind] = {}
    for col in columns:
        kind = kind_from_sqla(col.type)
        name = getattr(col, "key", None) or getattr(col, "name", None)
        if kind is not None and name:
            out[str(name)] = kind
    return out


def _kind_of_type(cls: type) -> Kind:
    if issubclass(cls, bool | np.bool_):
        return "bool"
    if issubclass(cls, int | np.integer):
        return "int"
    if issubclass(cls, float | Decimal | np.floating | timedelta):
        return "float"
    if issubclass(cls, datetime):
        return "timestamp"
    if issubclass(cls, date):
        return "date"
    if issubclass(cls, dict | list):
        return "json"
    if issubclass(cls, bytes | memoryview):
        return "bytes"
    return "text"


def infer_kind(values: Iterable[Any]) -> Kind | None:
    """Infer a kind from Python values; ``None`` when every value is NULL."""
    values = values if isinstance(values, list | tuple) else list(values)
    # The set of types is built at C speed; only its few members are classified.
    seen: set[Kind] = {_kind_of_type(cls) for cls in set(map(type, values)) - {type(None)}}
    if not seen:
        return None
    strings = [v for v in values[:4096] if isinstance(v, str)] if seen == {"text"} else []
    if seen <= {"int", "float", "bool"} and len(seen) > 1:
        return "float" if "float" in seen else "int"
    if len(seen) == 1:
        only = next(iter(seen))
        # An expression over a SQLite timestamp column (min, max...) loses its
        # declared type and comes back as the storage text: recognise it.
        if only == "text" and strings and all(_TS_TEXT.match(s) for s in strings):
            return "timestamp"
        return only
    return "text" if "text" in seen else "json"


def column_to_series(name: str, values: Sequence[Any], kind: Kind | None) -> pd.Series:
    """Build one column of the policy's dtype from Python values."""
    if kind is None:
        return pd.Series(list(values), dtype=object, name=name)
    if kind == "int":
        try:
            return pd.Series(pd.array(values, dtype="Int64"), name=name)
        except (TypeError, ValueError):
            return pd.Series(
                pd.array([None if v is None else int(v) for v in values], dtype="Int64"), name=name
            )
    if kind == "float":
        try:
            return pd.Series(np.array(values, dtype="float64"), name=name)
        except (TypeError, ValueError):
            return pd.Series(np.array([_to_float(v) for v in values], dtype="float64"), name=name)
    if kind == "bool":
        return pd.Series(
            pd.array([None if v is None else bool(v) for v in values], dtype="boolean"), name=name
        )
    if kind == "timestamp":
        if any(isinstance(v, str) for v in values):
            values = [v.isoformat() if isinstance(v, datetime) else v for v in values]
            stamps = pd.to_datetime(values, utc=True, format="ISO8601")
        else:
            stamps = pd.to_datetime(values, utc=True)
        return pd.Series(stamps, name=name).astype("datetime64[ns, UTC]")
    if kind == "date":
        dates: list[Any] = [
            None if v is None else (v if isinstance(v, date) else date.fromisoformat(str(v)))
            for v in values
        ]
        return pd.Series(pd.to_datetime(dates), name=name).astype("datetime64[ns]")
    if kind == "json":
        return pd.Series(
            [json.loads(v) if isinstance(v, str | bytes) else v for v in values],
            dtype=object,
            name=name,
        )
    if kind == "bytes":
        return pd.Series([None if v is None else bytes(v) for v in values], dtype=object, name=name)
    return pd.Series([None if v is None else str(v) for v in values], dtype="str", name=name)


def _to_float(value: Any) -> float:
    if value is None:
        return float("nan")
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


def rows_to_frame(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    kinds: Mapping[str, Kind | None] | None = None,
) -> pd.DataFrame:
    """Turn DB-API rows into a DataFrame that follows the dtype policy.

    ``kinds`` gives known kinds by column name; the others are inferred.
    """
    kinds = kinds or {}
    series = []
    transposed = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    for name, column in zip(columns, transposed, strict=True):
        values = list(column)
        kind = kinds.get(name) or infer_kind(values)
        series.append(column_to_series(name, values, kind))
    if not series:
        return pd.DataFrame(index=range(len(rows)))
    frame = pd.concat(series, axis=1) if rows else pd.DataFrame({s.name: s for s in series})
    frame.columns = list(columns)
    return frame
