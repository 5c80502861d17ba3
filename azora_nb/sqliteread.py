"""The fast read path on SQLite: the ADBC SQLite driver hands whole columns to Arrow.

Python's ``sqlite3`` builds a Python object per value, and the read converters
of :mod:`azora_nb.sqlite` parse every timestamp and number in Python: about
5 s per million ledger rows. The ADBC driver (``adbc-driver-sqlite``) reads
the same file in C into Arrow arrays, and the dtype policy is then applied to
whole columns: timestamps parsed by Arrow's cast, NUMERIC as float64, BOOLEAN
from 0/1.

What the converters learn from the declared types, this path learns from a
temporary view of the query on the workspace's own connection (``PRAGMA
table_info`` of a view gives each result column's declared type, exactly as
``sqlite3_column_decltype``). Columns without a declared type take the kind
of their Arrow type, as :func:`azora_nb.frames.infer_kind` does for values.

The driver opens the file read-only, with the same databases attached. Anything
it cannot do exactly returns ``None`` and the caller takes the DB-API path:
statements that are not a ``SELECT``, duplicate column names, empty results, the
workspace's own SQL functions (``percentile``...), a column whose values change
storage class after the first batch, bound values other than text and numbers,
in-memory databases, or the driver not being installed.

The driver cannot be interrupted: its cancel is not implemented and its copy of
SQLite is out of reach. So :func:`read` starts every statement on the
workspace's sqlite3 connection, which ``interrupt()`` (and the statement timeout's
progress handler) stop at any point. Only a result whose first rows come at once
is read again through the driver, in batches sized to take a fraction of a
second, and the read stops between two batches. A result that takes long to
start (an aggregate, a sort) has done that work in sqlite3 and is read there to
its end: no work the driver cannot stop is ever started.
"""

from __future__ import annotations

import atexit
import itertools
import json
import logging
import os
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from azora_nb import frames
from azora_nb.frames import Kind

log = logging.getLogger("azora_nb")

BATCH_ROWS = 65_536
"""Rows per Arrow batch. The driver infers a column's type from its first batch,
so large batches also make a fallback (a column NULL for the whole first batch,
then text) rarer."""

_DECLARED_KINDS: dict[str, Kind] = {
    "TIMESTAMPTZ": "timestamp",
    "TIMESTAMP": "timestamp",
    "DATE": "date",
    "JSONB": "json",
    "TEXTARRAY": "json",
    "NUMERIC": "float",
    "DECIMAL": "float",
    "BOOLEAN": "bool",
}
"""Declared types with a read converter in :mod:`azora_nb.sqlite`, by first word."""

PROBE_ROWS = 1024
"""Rows read on the sqlite3 connection first, to learn whether the result streams."""

PROBE_SECONDS = 0.25
"""A result whose first :data:`PROBE_ROWS` rows take longer than this did its work
before its rows (a sort, an aggregate): it is read on sqlite3 to its end, since the
driver could not be stopped while it did that work again."""

BATCH_SECONDS = 0.2
"""About how long one driver batch may take, judged from the probe's rate: the read
checks for an interrupt and the statement timeout between batches."""

TIMEOUT = "canceling statement due to statement timeout"

_PROGRESS_OPS = 10_000
"""SQLite virtual machine instructions between two checks of the statement timeout."""

_views = itertools.count()


class _NotExact(Exception):
    """This result cannot be converted exactly here: use the DB-API path."""


def available() -> bool:
    try:
        import adbc_driver_sqlite.dbapi  # noqa: F401
    except ImportError:
        return False
    return True


def read(
    conn: sa.Connection,
    stmt: Any,
    params: Mapping[str, Any] | None,
    declared: Mapping[str, Kind],
    handle: Any,
    timeout: float | None = None,
) -> pd.DataFrame | None:
    """Read ``stmt`` on ``conn`` (SQLite) into a frame that follows the dtype policy;
    ``None`` when it returns no rows. An interrupt (``handle``) or ``timeout`` seconds
    stop the statement wherever it is: the timeout raises ``sqlite3.OperationalError``
    saying ``statement timeout``."""
    with time_limit(conn, timeout) as deadline:
        bound = dict(params or {})
        started = time.monotonic()
        result = conn.execute(stmt, bound)
        if not result.returns_rows:
            return None
        columns = list(result.keys())
        rows = list(result.fetchmany(PROBE_ROWS))
        took = time.monotonic() - started
        if len(rows) == PROBE_ROWS and took <= PROBE_SECONDS:
            result.close()
            batch_rows = _batch_rows(PROBE_ROWS / max(took, 1e-6))
            at = deadline.at if deadline is not None else None
            frame = read_frame(conn, stmt, params, declared, handle, batch_rows, at)
            if frame is not None:
                return frame
            result = conn.execute(stmt, bound)
            rows = []
        rows.extend(result.fetchall())
    handle.rows = len(rows)
    return frames.rows_to_frame(columns, rows, {c: declared.get(c) for c in columns})


def _batch_rows(rows_per_second: float) -> int:
    return int(min(max(rows_per_second * BATCH_SECONDS, PROBE_ROWS), BATCH_ROWS))


class Deadline:
    """When a statement must have ended (``time.monotonic()``); :meth:`restart` gives
    the next fetch of a stream its own allowance, as PostgreSQL does for each FETCH."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = 0.0
        self.restart()

    def restart(self) -> None:
        self.at = time.monotonic() + self.seconds

    def passed(self) -> bool:
        return time.monotonic() > self.at


@contextmanager
def time_limit(conn: sa.Connection, seconds: float | None) -> Iterator[Deadline | None]:
    """Stop what ``conn`` (SQLite through sqlite3) runs once ``seconds`` have passed,
    with ``sqlite3.OperationalError`` saying ``statement timeout`` (SQLite has no
    statement timeout of its own: a progress handler checks the clock)."""
    raw = conn.connection.driver_connection
    if not seconds or not isinstance(raw, sqlite3.Connection):
        yield None
        return
    deadline = Deadline(seconds)
    raw.set_progress_handler(deadline.passed, _PROGRESS_OPS)
    try:
        yield deadline
    except Exception as exc:
        orig = getattr(exc, "orig", None) or exc  # SQLAlchemy wraps the driver's error
        stopped = isinstance(orig, sqlite3.OperationalError) and "interrupted" in str(orig)
        if stopped and deadline.passed():
            raise sqlite3.OperationalError(TIMEOUT) from None
        raise
    finally:
        raw.set_progress_handler(None, 0)


class _Stopped(Exception):
    """The read was interrupted between two driver batches."""


def read_frame(
    conn: sa.Connection,
    stmt: Any,
    params: Mapping[str, Any] | None,
    declared: Mapping[str, Kind],
    handle: Any = None,
    batch_rows: int | None = None,
    deadline: float | None = None,
) -> pd.DataFrame | None:
    """Run ``stmt`` on ``conn``'s database through ADBC and return a frame that follows
    the dtype policy, or ``None`` when this path does not apply (nothing has been read
    then, and the caller runs the statement itself). ``handle`` is the read's
    :class:`azora_nb.interrupt.ReadHandle`: the read stops between two batches of
    ``batch_rows`` once it is interrupted or ``deadline`` (monotonic) has passed, and it
    counts the rows. Call it through :func:`read`, which sizes the batches."""
    if not available():
        return None
    raw = conn.connection.driver_connection
    if not isinstance(raw, sqlite3.Connection):
        return None
    try:
        sql, values = _compile(stmt, conn.dialect, params)
        body = sql.strip().rstrip(";").strip()
        if not body.lower().startswith(("select", "with", "values")):
            return None
        files = _attached_files(raw)
        if files is None:
            return None
        names, decltypes = _describe(raw, body, values)
        kinds = [
            declared.get(n) or _DECLARED_KINDS.get(_first_word(d))
            for n, d in zip(names, decltypes, strict=True)
        ]
        sql = _projected(body, names, kinds)
        table = _fetch(files, sql, values, handle, batch_rows or BATCH_ROWS, deadline)
        if table.num_rows == 0:
            return None
        columns = {
            name: _to_series(table.column(i), kind)
            for i, (name, kind) in enumerate(zip(names, kinds, strict=True))
        }
    except _NotExact as exc:
        log.debug("SQLite fast read path not taken: %s", exc)
        return None
    except Exception as exc:
        if isinstance(exc, _Stopped) or (handle is not None and handle.interrupted.is_set()):
            raise
        if isinstance(exc, sqlite3.OperationalError) and str(exc) == TIMEOUT:
            raise
        log.debug("SQLite fast read path failed (%s); reading through sqlite3", exc)
        return None
    frame = pd.DataFrame(columns)
    frame.columns = names
    return frame


# -- statement -----------------------------------------------------------------------


def _compile(
    stmt: Any, dialect: sa.Dialect, params: Mapping[str, Any] | None
) -> tuple[str, tuple[Any, ...]]:
    """SQL with ``?`` placeholders and its values, as SQLAlchemy would send them."""
    compiled = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    named = dict(compiled.construct_params(dict(params or {})) or {})
    for name, bind in compiled.binds.items():
        if name in named:
            processor = bind.type.bind_processor(dialect)
            if processor is not None:
                named[name] = processor(named[name])
    order = compiled.positiontup or []
    values = tuple(named[name] for name in order)
    for value in values:
        if value is not None and not isinstance(value, str | int | float | bytes):
            raise _NotExact(f"bound value of type {type(value).__name__}")
    return str(compiled), values


def _attached_files(raw: sqlite3.Connection) -> dict[str, str] | None:
    """Schema name -> file of every database on the connection; ``None`` for memory."""
    files = {name: path for _, name, path in raw.execute("PRAGMA database_list") if name != "temp"}
    if not all(files.values()):
        return None
    return files


def _describe(
    raw: sqlite3.Connection, body: str, values: Sequence[Any]
) -> tuple[list[str], list[str]]:
    """The result's column names and declared types (``""`` for expressions)."""
    cur = raw.execute(f"SELECT * FROM ({body}\n) LIMIT 0", tuple(values))
    names = [d[0] for d in cur.description or ()]
    cur.close()
    # A subquery renames a repeated name "x" to "x:1": the frame needs the names as given.
    if not names or any(n.rpartition(":")[0] in names for n in names if ":" in n):
        raise _NotExact("no or duplicate column names")
    # Views take no bound values; the types do not depend on them.
    view = f"_azora_describe_{next(_views)}"
    raw.execute(f'CREATE TEMP VIEW "{view}" AS {_unbound(body)}\n')
    try:
        decltypes = [row[2] or "" for row in raw.execute(f'PRAGMA temp.table_info("{view}")')]
    finally:
        raw.execute(f'DROP VIEW temp."{view}"')
    if len(decltypes) != len(names):
        raise _NotExact("the view does not describe the result")
    return names, decltypes


def _unbound(sql: str) -> str:
    """``sql`` with every ``?`` placeholder outside quotes and comments made ``NULL``."""
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"`[":
            close = "]" if ch == "[" else ch
            end = sql.find(close, i + 1)
            while end != -1 and close != "]" and sql[end + 1 : end + 2] == close:
                end = sql.find(close, end + 2)  # doubled quote: an escaped one
            end = n - 1 if end == -1 else end
            out.append(sql[i : end + 1])
            i = end + 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end == -1 else end
            out.append(sql[i:end])
            i = end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            end = n if end == -1 else end + 2
            out.append(sql[i:end])
            i = end
        elif ch == "?":
            out.append("NULL")
            i += 1
            while i < n and sql[i].isdigit():  # ?NNN
                i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _first_word(decltype: str) -> str:
    return decltype.split("(")[0].strip().split(" ")[0].upper() if decltype else ""


def _projected(body: str, names: list[str], kinds: list[Kind | None]) -> str:
    """Wrap ``body`` so that NUMERIC columns come as REAL: SQLite stores a whole
    NUMERIC value as an integer, and the driver types a column by its first batch."""
    if "float" not in kinds:
        return body
    parts = []
    for name, kind in zip(names, kinds, strict=True):
        ident = '"' + name.replace('"', '""') + '"'
        parts.append(f"CAST({ident} AS REAL) AS {ident}" if kind == "float" else ident)
    return f"SELECT {', '.join(parts)} FROM ({body}\n)"


# -- reading -------------------------------------------------------------------------


def _fetch(
    files: Mapping[str, str],
    sql: str,
    values: Sequence[Any],
    handle: Any,
    batch_rows: int,
    deadline: float | None,
) -> pa.Table:
    """Read ``sql`` through ADBC, checking ``handle`` and ``deadline`` between batches
    (the driver's own cancel is not implemented)."""
    with _lease(files) as conn, conn.cursor() as cur:
        cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(batch_rows)})
        cur.execute(sql, tuple(values) if values else None)
        reader = cur.fetch_record_batch()
        try:
            batches = []
            for batch in reader:
                if handle is not None and handle.interrupted.is_set():
                    raise _Stopped("interrupted")
                if deadline is not None and time.monotonic() > deadline:
                    raise sqlite3.OperationalError(TIMEOUT)
                batches.append(batch)
                if handle is not None:
                    handle.rows += batch.num_rows
            return pa.Table.from_batches(batches, schema=reader.schema)
        finally:
            reader.close()


# The driver links its own copy of SQLite. POSIX file locks belong to the process, so
# when one copy closes a file, the locks the other copy (Python's sqlite3) holds on it
# are released too (https://sqlite.org/howtocorrupt.html, "multiple copies of SQLite").
# So driver connections are opened once per set of files and kept, not closed after
# each read; only the least recently used beyond KEPT_CONNECTIONS are closed.
KEPT_CONNECTIONS = 8
_kept: OrderedDict[tuple[tuple[str, str], ...], tuple[Any, threading.Lock, Any]] = OrderedDict()
_kept_lock = threading.Lock()
_kept_pid = os.getpid()


def _close_kept() -> None:
    """At exit: every connection of this process is going away anyway."""
    with _kept_lock:
        if _kept_pid == os.getpid():
            for conn, _, _ in _kept.values():
                conn.close()
        _kept.clear()


atexit.register(_close_kept)


@contextmanager
def _lease(files: Mapping[str, str]) -> Iterator[Any]:
    """A kept read-only driver connection on ``files`` (schema name -> path), for one read."""
    global _kept_pid
    key = tuple(sorted(files.items()))
    with _kept_lock:
        if _kept_pid != os.getpid():  # a forked child: never use the parent's connections
            _kept.clear()
            _kept_pid = os.getpid()
        identity = _identity(files)
        entry = _kept.get(key)
        if entry is not None and entry[2] != identity:  # a file replaced since: reopen
            del _kept[key]
            with entry[1]:
                entry[0].close()  # the old file's locks only: harmless to the new one
            entry = None
        if entry is None:
            entry = (_connect(files), threading.Lock(), identity)
            _kept[key] = entry
        _kept.move_to_end(key)
        for old in list(_kept)[: max(len(_kept) - KEPT_CONNECTIONS, 0)]:
            conn, lock, _ = _kept[old]
            if lock.acquire(blocking=False):
                del _kept[old]
                conn.close()
                lock.release()
    conn, lock, _ = entry
    with lock:
        yield conn


def _identity(files: Mapping[str, str]) -> tuple[tuple[int, int], ...]:
    """(device, inode) of every file: a file deleted and created again is another file."""
    stats = [os.stat(path) for _, path in sorted(files.items())]
    return tuple((st.st_dev, st.st_ino) for st in stats)


def _connect(files: Mapping[str, str]) -> Any:
    import adbc_driver_sqlite.dbapi as adbc

    conn = adbc.connect(_uri(files["main"]), autocommit=True)
    with conn.cursor() as cur:
        for name, path in files.items():
            if name != "main":
                cur.execute(f"ATTACH DATABASE '{_uri(path)}' AS \"{name}\"")
        cur.execute("PRAGMA busy_timeout = 30000")
    return conn


def _uri(path: str) -> str:
    """A read-only URI filename (so that a read never creates or changes a file)."""
    from urllib.parse import quote

    return "file:" + quote(path) + "?mode=ro"


# -- the dtype policy on whole columns -------------------------------------------------


def _to_series(col: pa.ChunkedArray, kind: Kind | None) -> pd.Series:
    typ = col.type
    if col.null_count == len(col):
        # A column NULL throughout: the driver calls it int64; the policy follows the kind.
        return frames.column_to_series("", [None] * len(col), kind).rename(None)
    if kind is None:
        kind = _kind_of_arrow(col)
    numeric = pa.types.is_integer(typ) or pa.types.is_floating(typ)
    if kind == "int" and pa.types.is_integer(typ):
        return col.to_pandas(types_mapper={typ: pd.Int64Dtype()}.get)
    if kind == "float" and numeric:
        return col.cast(pa.float64()).to_pandas()
    if kind == "bool" and numeric:
        flags = pc.not_equal(col, pa.scalar(0, typ))
        return flags.to_pandas(types_mapper={pa.bool_(): pd.BooleanDtype()}.get)
    if kind == "timestamp" and pa.types.is_string(typ):
        return _timestamps(col)
    if kind == "date" and pa.types.is_string(typ):
        days = pc.utf8_slice_codeunits(col, 0, 10).cast(pa.date32())
        return days.cast(pa.timestamp("us")).to_pandas().astype("datetime64[ns]")
    if kind == "json" and pa.types.is_string(typ):
        loads = json.loads
        return pd.Series([None if v is None else loads(v) for v in col.to_pylist()], dtype=object)
    if kind == "text" and (pa.types.is_string(typ) or pa.types.is_integer(typ)):
        return col.cast(pa.string()).to_pandas().astype("str")
    if kind == "bytes" and pa.types.is_binary(typ):
        return pd.Series(col.to_pylist(), dtype=object)
    raise _NotExact(f"a {typ} column read as {kind}")


def _kind_of_arrow(col: pa.ChunkedArray) -> Kind:
    typ = col.type
    if pa.types.is_integer(typ):
        return "int"
    if pa.types.is_floating(typ):
        return "float"
    if pa.types.is_binary(typ):
        return "bytes"
    if pa.types.is_string(typ):
        # As frames.infer_kind: text that is all timestamps (an expression over a
        # timestamp column, such as min(created_at)) is a timestamp.
        head = [v for v in col.slice(0, 4096).to_pylist() if v is not None]
        if head and all(frames._TS_TEXT.match(v) for v in head):
            return "timestamp"
        return "text"
    raise _NotExact(f"Arrow type {typ}")


def _timestamps(col: pa.ChunkedArray) -> pd.Series:
    """Timestamp text as UTC: the storage format (naive, UTC) is parsed by Arrow; text
    with a zone, or anything Arrow refuses, by pandas' ISO 8601 parser, as before."""
    try:
        stamps = col.cast(pa.timestamp("us")).to_pandas()
        return stamps.dt.tz_localize("UTC").astype("datetime64[ns, UTC]")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        parsed = pd.to_datetime(col.to_pandas().astype(object), utc=True, format="ISO8601")
        return pd.Series(parsed).astype("datetime64[ns, UTC]")
