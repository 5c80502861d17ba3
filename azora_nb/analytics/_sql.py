"""SQL that reads the same on SQLite and PostgreSQL.

The analytics build every query with SQLAlchemy Core. The few operations
whose spelling differs between the two backends are the elements here, each
compiled per dialect:

====================  =================================  ===================================
element               PostgreSQL                         SQLite
====================  =================================  ===================================
``month(ts)``         ``date_trunc('month', ts)``        ``substr(ts, 1, 7) || '-01 00:00…'``
``day(ts)``           ``date_trunc('day', ts)``          ``substr(ts, 1, 10) || ' 00:00…'``
``seconds(a, b)``     ``extract(epoch from b - a)``      ``strftime('%s', b)`` - … + fractions
``percentile(x, q)``  ``percentile_cont(q) within group`` the ``percentile(x, q)`` aggregate
====================  =================================  ===================================

SQLite timestamps are stored as UTC text ``YYYY-MM-DD HH:MM:SS.ffffff`` (see
:mod:`azora_nb.types`): truncation cuts a prefix, and ``strftime('%s')`` reads them.
"""

from __future__ import annotations

import functools
import hashlib
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from azora_nb.types import TimestampTZ, parse_ts, to_utc

if TYPE_CHECKING:
    from azora_nb.workspace import Workspace

#: Rows per batch when one side of a cross-source join is looked up in the other.
BATCH_ROWS = 2_000


# -- dialect-portable elements ------------------------------------------------


class _Trunc(FunctionElement[datetime]):
    inherit_cache = True
    type = TimestampTZ()
    unit = ""


class month(_Trunc):
    """The first instant of the month of a timestamp column."""

    name = "az_month"
    inherit_cache = True
    unit = "month"


class day(_Trunc):
    """Midnight (UTC) of the day of a timestamp column."""

    name = "az_day"
    inherit_cache = True
    unit = "day"


# The storage format starts with YYYY-MM-DD, so truncation is a prefix: cutting text
# is about twice as fast as strftime() re-parsing every timestamp.
_SQLITE_TRUNC = {"month": (7, "-01 00:00:00.000000"), "day": (10, " 00:00:00.000000")}


@compiles(_Trunc, "postgresql")
def _trunc_pg(element: _Trunc, compiler: Any, **kw: Any) -> str:
    (column,) = list(element.clauses)
    return f"date_trunc('{element.unit}', {compiler.process(column, **kw)})"


@compiles(_Trunc, "sqlite")
def _trunc_sqlite(element: _Trunc, compiler: Any, **kw: Any) -> str:
    (column,) = list(element.clauses)
    length, suffix = _SQLITE_TRUNC[element.unit]
    return f"(substr({compiler.process(column, **kw)}, 1, {length}) || '{suffix}')"


class seconds(FunctionElement[float]):
    """``seconds(start, end)``: seconds from ``start`` to ``end`` as a float."""

    name = "az_seconds"
    inherit_cache = True
    type = sa.Float()


@compiles(seconds, "postgresql")
def _seconds_pg(element: seconds, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS DOUBLE PRECISION)"


@compiles(seconds, "sqlite")
def _seconds_sqlite(element: seconds, compiler: Any, **kw: Any) -> str:
    # julianday() is a float of about 2.46e6 days: its differences are off by up to a
    # millisecond. Whole seconds from strftime('%s') plus the stored fraction
    # (characters 20- of the storage format) are exact to the microsecond.
    start, end = (compiler.process(c, **kw) for c in element.clauses)

    def epoch(ts: str) -> str:
        return f"(CAST(strftime('%s', {ts}) AS INTEGER) + CAST(substr({ts}, 20) AS REAL))"

    return f"({epoch(end)} - {epoch(start)})"


class percentile(FunctionElement[float]):
    """``percentile(x, q)``: the continuous ``q``-quantile of ``x`` (an aggregate).

    ``q`` must be a Python float; NULL values of ``x`` are ignored on both backends,
    so ``percentile(case(...), q)`` computes a filtered quantile.
    """

    name = "az_percentile"
    inherit_cache = True
    type = sa.Float()

    def __init__(self, expr: Any, q: float) -> None:
        if not 0.0 <= float(q) <= 1.0:
            raise ValueError(f"a quantile is between 0 and 1, not {q}")
        super().__init__(expr, sa.literal(float(q), sa.Float()))


@compiles(percentile, "postgresql")
def _percentile_pg(element: percentile, compiler: Any, **kw: Any) -> str:
    expr, q = element.clauses
    return (
        f"percentile_cont({compiler.process(q, **kw)}) WITHIN GROUP "
        f"(ORDER BY {compiler.process(expr, **kw)})"
    )


@compiles(percentile, "sqlite")
def _percentile_sqlite(element: percentile, compiler: Any, **kw: Any) -> str:
    expr, q = element.clauses
    return f"percentile({compiler.process(expr, **kw)}, {compiler.process(q, **kw)})"


def fsum(expr: Any) -> Any:
    """``SUM`` read as a float (NUMERIC sums are exact in the database, then converted)."""
    return sa.cast(sa.func.sum(expr), sa.Float())


def favg(expr: Any) -> Any:
    return sa.cast(sa.func.avg(expr), sa.Float())


def ratio(numerator: Any, denominator: Any) -> Any:
    """``numerator / denominator`` as a float, NULL when the denominator is 0."""
    return sa.cast(numerator, sa.Float()) / sa.func.nullif(sa.cast(denominator, sa.Float()), 0.0)


def count_if(condition: Any) -> Any:
    """Rows for which ``condition`` holds (portable ``count(*) filter (where ...)``)."""
    return sa.cast(sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0), sa.Integer())


# -- time ------------------------------------------------------------------------


def as_timestamp(value: datetime | str | pd.Timestamp | None) -> datetime:
    """``as_of`` as an aware UTC datetime; ``None`` means now."""
    if value is None:
        return datetime.now(UTC)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, str):
        value = parse_ts(value)
    return to_utc(value)


def ts_param(name: str | None, value: datetime) -> sa.BindParameter[datetime]:
    """A bound timestamp that compares correctly with stored timestamps on both backends."""
    return sa.bindparam(name, value, type_=TimestampTZ())


def window(as_of: datetime, days: float | None) -> tuple[datetime | None, datetime]:
    """``(start, end)`` of the ``days`` before ``as_of``; ``start`` is None for all history."""
    return (None if days is None else as_of - timedelta(days=days)), as_of


def within(column: Any, start: datetime | None, end: datetime) -> Any:
    """``start <= column < end`` (``column < end`` when ``start`` is None)."""
    upper = column < ts_param(None, end)
    if start is None:
        return upper
    return sa.and_(column >= ts_param(None, start), upper)


# -- running queries -----------------------------------------------------------


def materialized(cte: sa.CTE) -> sa.CTE:
    """``cte`` computed on its own before the query that reads it (``AS MATERIALIZED``):
    a fence the planner cannot push an ``ORDER BY ... LIMIT`` through. SQLite older than
    3.35 has no such hint; there the CTE is inlined as before."""
    cte = cte.prefix_with("MATERIALIZED", dialect="postgresql")
    if sqlite3.sqlite_version_info >= (3, 35):
        cte = cte.prefix_with("MATERIALIZED", dialect="sqlite")
    return cte


def run(
    ws: Workspace,
    stmt: Any,
    source: str,
    *,
    cache: bool = True,
    params: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """``ws.sql`` with the analytics' cache choice."""
    return ws.sql(stmt, params, source=source, cache=cache)


def remembered(
    ws: Workspace,
    name: str,
    compute: Callable[[], pd.DataFrame],
    *,
    params: Mapping[str, Any],
    tables: Mapping[str, Sequence[str]],
    cache: bool = True,
) -> pd.DataFrame:
    """``compute()``, a check that is not one query (it reads several sources and compares
    them in Python), through the query cache when ``cache``: like a query's result, it
    is served again until one of ``tables`` changes, only to the same role on the same
    databases, and recomputed when the analytics' code changes."""
    if not cache:
        return compute()
    from azora_nb.cache.api import remember

    return remember(
        ws,
        f"azora_nb.analytics.{name}",
        compute,
        params=params,
        tables=tables,
        code=_analytics_fingerprint(),
    )


@functools.cache
def _analytics_fingerprint() -> str:
    """A hash of the analytics' source: a cached computation made by other code is
    not served."""
    from pathlib import Path

    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def has_table(ws: Workspace, source: str, name: str) -> bool:
    """Whether ``source`` holds a table (or view) called ``name``."""
    if not ws.database_exists(source):  # inspecting would create an empty SQLite file
        return False
    inspector = sa.inspect(ws.engine(source))
    return bool(inspector.has_table(name) or name in inspector.get_view_names())


def batched(values: Iterable[Any], size: int = BATCH_ROWS) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for value in values:
        batch.append(value)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def lookup(
    ws: Workspace, stmt: sa.Select[Any], column: Any, keys: Sequence[str], source: str
) -> pd.DataFrame:
    """``stmt`` where ``column`` is one of ``keys`` (text), run for bounded batches of the
    keys; the results concatenated.

    Used to look one side of a cross-source join up in the other database without
    shipping either table whole. On PostgreSQL a batch is one array parameter
    (``column = ANY(:keys)``), which the server plans once and the client sends as one
    value; an ``IN`` list of 2,000 parameters cost a third more per batch at 10M rows.
    """
    array = ws.engine(source).dialect.name == "postgresql"
    frames = []
    for batch in batched(dict.fromkeys(k for k in keys if k is not None)):
        among = (
            column == sa.func.any(sa.bindparam("keys", batch, type_=pg.ARRAY(sa.Text)))
            if array
            else column.in_(batch)
        )
        frames.append(run(ws, stmt.where(among), source, cache=False))
    frames = [f for f in frames if len(f.columns)]
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def findings(kind: str, keys: Iterable[dict[str, Any]], details: Iterable[str]) -> pd.DataFrame:
    """A findings frame (``kind``, ``keys``, ``detail``) from parallel key dicts and details."""
    rows = [{"kind": kind, "keys": k, "detail": d} for k, d in zip(keys, details, strict=True)]
    return findings_frame(rows)


def findings_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=["kind", "keys", "detail"])
    frame["kind"] = frame["kind"].astype("str")
    frame["detail"] = frame["detail"].astype("str")
    frame["keys"] = frame["keys"].astype(object)
    return frame


__all__ = [
    "as_timestamp",
    "count_if",
    "day",
    "favg",
    "findings",
    "fsum",
    "lookup",
    "month",
    "percentile",
    "ratio",
    "run",
    "seconds",
    "ts_param",
    "window",
    "within",
]
