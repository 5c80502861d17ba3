"""The embedded backend: SQLite files under ``AZORA_HOME``.

Engines are opened with ``PARSE_DECLTYPES`` so that columns declared by
:mod:`azora_nb.types` come back as the same Python values PostgreSQL gives
(datetimes, dicts, lists, floats, bools). Connections get WAL, foreign keys
and a busy timeout, so that several notebook kernels can share one file.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from azora_nb.types import parse_ts


def _to_bool(raw: bytes) -> bool:
    return raw not in (b"0", b"0.0", b"", b"false", b"f")


def _to_date(raw: bytes) -> date:
    return date.fromisoformat(raw.decode()[:10])


_CONVERTERS: dict[str, Callable[[bytes], Any]] = {
    "TIMESTAMPTZ": parse_ts,
    "TIMESTAMP": parse_ts,
    "DATE": _to_date,
    "JSONB": json.loads,
    "TEXTARRAY": json.loads,
    "NUMERIC": float,
    "DECIMAL": float,
    "BOOLEAN": _to_bool,
}


def register_converters() -> None:
    """Register the read converters (idempotent; sqlite3 keeps them per process)."""
    for name, func in _CONVERTERS.items():
        sqlite3.register_converter(name, func)


class _Percentile:
    """``percentile(x, q)`` aggregate: linear interpolation, as PostgreSQL's
    ``percentile_cont``, so quantiles agree on both backends."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.q: float | None = None

    def step(self, value: Any, q: Any) -> None:
        if value is not None:
            self.values.append(float(value))
        self.q = float(q)

    def finalize(self) -> float | None:
        if not self.values or self.q is None:
            return None
        data = sorted(self.values)
        pos = self.q * (len(data) - 1)
        low = math.floor(pos)
        high = min(low + 1, len(data) - 1)
        return data[low] + (data[high] - data[low]) * (pos - low)


class _Stdev:
    """Sample standard deviation, as PostgreSQL's ``stddev_samp``."""

    def __init__(self) -> None:
        self.n = 0
        self.mean = 0.0
        self.m2 = 0.0

    def step(self, value: Any) -> None:
        if value is None:
            return
        self.n += 1
        delta = float(value) - self.mean
        self.mean += delta / self.n
        self.m2 += delta * (float(value) - self.mean)

    def finalize(self) -> float | None:
        return math.sqrt(self.m2 / (self.n - 1)) if self.n > 1 else None


def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    dbapi_conn.create_aggregate("percentile", 2, _Percentile)  # type: ignore[arg-type]
    dbapi_conn.create_aggregate("stddev_samp", 1, _Stdev)  # type: ignore[arg-type]
    dbapi_conn.create_function(
        "ln", 1, lambda x: None if x is None or x <= 0 else math.log(x), deterministic=True
    )
    dbapi_conn.create_function(
        "sqrt", 1, lambda x: None if x is None or x < 0 else math.sqrt(x), deterministic=True
    )
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _attacher(attach: Mapping[str, Path]) -> Any:
    def on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        for alias, path in attach.items():
            dbapi_conn.execute("ATTACH DATABASE ? AS " + alias, (str(path),))
            dbapi_conn.execute(f"PRAGMA {alias}.journal_mode=WAL")

    return on_connect


def create_sqlite_engine(
    url: str, *, busy_timeout: float = 30.0, attach: Mapping[str, Path] | None = None
) -> Engine:
    """An engine on a SQLite file, its directory created if needed. ``attach`` maps
    schema names to further files attached on every connection (core gets
    ``analysis``, the sync engine's consolidation area)."""
    register_converters()
    parsed = sa.engine.make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url,
        connect_args={"detect_types": sqlite3.PARSE_DECLTYPES, "timeout": busy_timeout},
    )
    sa.event.listen(engine, "connect", _on_connect)
    if attach:
        sa.event.listen(engine, "connect", _attacher(attach))
    return engine
