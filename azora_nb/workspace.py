"""One workspace over every store: the object an analyst holds.

>>> import azora_nb as az
>>> with az.connect() as ws:                    # doctest: +SKIP
...     ws.sql("select count(*) as n from treasury_ledger")
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine

from azora_nb import catalog, frames, interrupt, pgread, sqliteread, statements
from azora_nb.engine_errors import translate_connect_errors
from azora_nb.exceptions import (
    AzoraError,
    ConfigError,
    MissingDependency,
    QueryError,
    SourceMissing,
    StoreUnavailable,
    connection_failure,
)
from azora_nb.pgoptions import merged_options, split_url_options
from azora_nb.settings import SOURCES, Settings, SourceSettings, mask_secrets, mask_url
from azora_nb.sqlite import create_sqlite_engine
from azora_nb.status import StoreStatus, WorkspaceStatus, not_created, timed_probe

if TYPE_CHECKING:
    import pymongo
    import pymongo.database

    from azora_nb.cache import QueryCache
    from azora_nb.cache.observe import Observation
    from azora_nb.redis_client import RedisClient

log = logging.getLogger("azora_nb")

Query = str | sa.sql.ClauseElement


class Workspace:
    """Engines for the service databases, plus the Mongo and Redis clients.

    Everything connects lazily, on first use. Use it as a context manager, or
    call :meth:`close`.
    """

    def __init__(self, settings: Settings, *, create_databases: bool = True) -> None:
        if not isinstance(settings, Settings):
            raise ConfigError("Workspace needs a Settings; build one with Settings.load()")
        self.settings = settings
        self.create_databases = create_databases
        """Whether queries may create an embedded source's missing SQLite file; reports
        turn this off, so that reading a source never leaves an empty database behind."""
        self._engines: dict[str, Engine] = {}
        self._paths: dict[str, Path | None] = {}
        self._redis: RedisClient | None = None
        self._mongo: pymongo.MongoClient[Any] | None = None
        self._cache: QueryCache | None = None
        self._lock = threading.Lock()
        self._closed = False
        self.progress = settings.progress
        """Show a progress indicator for reads longer than about 2 s (``AZORA_PROGRESS``)."""

    # -- lifecycle -----------------------------------------------------------
    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Dispose of every engine and client this workspace opened."""
        with self._lock:
            if self._cache is not None:
                self._cache.close()
                self._cache = None
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()
            if self._redis is not None:
                self._redis.close()
                self._redis = None
            if self._mongo is not None:
                self._mongo.close()
                self._mongo = None
            self._closed = True

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{name}={'embedded' if s.embedded else mask_url(s.url)}"
            for name, s in self.settings.sources.items()
        )
        return f"<Workspace home={self.settings.home} {parts}>"

    # -- stores --------------------------------------------------------------
    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(self.settings.sources)

    @property
    def home(self) -> Path:
        return self.settings.home

    def database_exists(self, source: str) -> bool:
        """Whether ``source`` has a database to read: always for a server, and for SQLite
        (the embedded default or a configured file) once its file exists."""
        path = self._sqlite_path(source)
        return path is None or path.exists()

    def _sqlite_path(self, source: str) -> Path | None:
        """The SQLite file ``source`` names (``None`` for a server), parsed once."""
        if source not in self._paths:
            url = self.settings.source(source).sqlalchemy_url(self.settings.home)
            path = _sqlite_file(url) if url.startswith("sqlite") else None
            self._paths[source] = path.expanduser() if path is not None else None
        return self._paths[source]

    def engine(self, source: str = "core", *, create: bool | None = None) -> Engine:
        """The SQLAlchemy engine of ``source``, created on first use.

        With ``create=False`` (the default of a report's workspace, see
        ``create_databases``), an embedded source whose SQLite file does not exist raises
        :class:`SourceMissing` instead of creating an empty file."""
        cfg = self.settings.source(source)
        create = self.create_databases if create is None else create
        if not create and not self.database_exists(source):
            named = None if cfg.embedded else str(self._sqlite_path(source))
            raise SourceMissing(source, cfg.setting, named)
        with self._lock:
            engine = self._engines.get(source)
            if engine is None:
                path = self._sqlite_path(source)
                if not cfg.embedded and path is not None and not path.parent.is_dir():
                    # A typo in a configured path would otherwise become a new, empty database.
                    raise ConfigError(
                        f"{cfg.setting} names {path}, whose directory does not exist: check "
                        "the path, or create the directory to start a new database there",
                        setting=cfg.setting,
                    )
                self._closed = False
                analysis = self.settings.home / "analysis.sqlite"
                attach = (
                    {"analysis": analysis}
                    if source == "core" and cfg.embedded and (create or analysis.exists())
                    else None
                )
                engine = _create_engine(
                    cfg.sqlalchemy_url(self.settings.home), cfg.limits, attach, cfg
                )
                translate_connect_errors(engine, source, cfg.setting, self.settings.secrets())
                self._engines[source] = engine
            return engine

    @property
    def redis(self) -> RedisClient:
        """The Redis client (``AZORA_REDIS_URL``), a cluster client for a Redis Cluster;
        raises :class:`StoreUnavailable` when unset, or when it must be asked whether it is
        a cluster and cannot be reached."""
        url = self.settings.redis.url
        if url is None:
            raise StoreUnavailable(
                "redis", "AZORA_REDIS_URL", "no Redis URL is set", configured=False
            )
        from azora_nb import redis_client

        try:
            return self._redis_client()
        except redis_client.failures() as exc:
            detail = mask_secrets(str(exc), self.settings.secrets())
            raise StoreUnavailable("redis", "AZORA_REDIS_URL", detail) from None

    def _redis_client(self) -> RedisClient:
        """The Redis client, made on first use; raises redis-py's errors (the cache retries)."""
        from azora_nb import redis_client

        with self._lock:
            if self._redis is not None:
                return self._redis
        made = redis_client.connect(self.settings.redis)  # may ask the server: not under the lock
        with self._lock:
            if self._redis is None:
                self._redis = made
                return made
        made.close()
        return self._redis

    @property
    def cache(self) -> QueryCache:
        """The query-result cache (:mod:`azora_nb.cache`), opened on first use."""
        if self._cache is None:
            from azora_nb.cache import open_cache

            redis = self._redis_client if self.settings.redis.url else None
            built = open_cache(self.settings, redis)  # connects on first use, retries after
            with self._lock:
                if self._cache is None:
                    self._cache = built
                else:
                    built.close()
        return self._cache

    @property
    def mongo_client(self) -> pymongo.MongoClient[Any]:
        url = self.settings.mongo.url
        if url is None:
            raise StoreUnavailable(
                "mongo", "AZORA_MONGO_URL", "no MongoDB URL is set", configured=False
            )
        with self._lock:
            if self._mongo is None:
                try:
                    import pymongo
                except ImportError as exc:  # pragma: no cover - a core dependency
                    raise MissingDependency("pymongo", "MongoDB access") from exc
                limits = self.settings.mongo.limits
                timeout_ms = int(limits.connect_timeout * 1000)
                statement_ms = (
                    int(limits.statement_timeout * 1000) if limits.statement_timeout else None
                )
                self._mongo = pymongo.MongoClient(
                    url,
                    serverSelectionTimeoutMS=timeout_ms,
                    connectTimeoutMS=timeout_ms,
                    socketTimeoutMS=statement_ms,
                    maxPoolSize=max(limits.pool_size, 1),
                    tz_aware=True,
                )
            return self._mongo

    @property
    def mongo(self) -> pymongo.database.Database[Any]:
        """The document database (``AZORA_MONGO_URL``, ``AZORA_MONGO_DB``)."""
        return self.mongo_client[self.settings.mongo.database]

    # -- queries ---------------------------------------------------------------
    def sql(
        self,
        query: Query,
        params: Mapping[str, Any] | None = None,
        source: str = "core",
        *,
        cache: bool = False,
        ttl: float | None = None,
        refresh: bool = False,
        tables: list[str] | None = None,
    ) -> pd.DataFrame:
        """Run a query on ``source`` and return a DataFrame that follows the dtype policy
        (see :mod:`azora_nb.frames`).

        ``query`` is SQL text with ``:name`` placeholders, or a SQLAlchemy Core
        statement. Values in ``params`` are bound, never formatted into the SQL.

        >>> ws.sql("select * from alerts where severity = :s", {"s": "critical"})  # doctest: +SKIP

        With ``cache=True`` the result comes from, or goes to, the query cache
        (:mod:`azora_nb.cache`) for ``ttl`` seconds; ``refresh=True`` re-runs and
        overwrites; ``tables`` declares what the query reads when it cannot be parsed.
        """
        stmt = _statement(query, params, source)
        engine = self.engine(source)
        if cache or refresh:
            from azora_nb.cache import sql_lookup

            # Keyed only once a connection of this workspace has authenticated, by who
            # it is and its session settings, and never for a table it may not read.
            with self._connection(source, engine) as conn, self._errors(source):
                lookup = sql_lookup(
                    conn,
                    stmt,
                    params,
                    source=source,
                    database=self.cache.database(source),
                    tables=tables,
                    watched=self.cache.watched(source),
                )
            run = lambda: self.sql(stmt, params, source)  # noqa: E731
            if lookup is None:
                return run()
            return self.cache.fetch(lookup, run, ttl=ttl, refresh=refresh)
        declared = frames.kinds_from_statement(stmt)

        def read(handle: interrupt.ReadHandle) -> pd.DataFrame:
            with self._read_connection(source, engine, handle, stmt) as conn:
                if engine.dialect.name == "postgresql":
                    sql, bound = _compile(stmt, engine, params)
                    fast = pgread.read_frame(conn, sql, bound, declared, handle)
                    if fast is not None:
                        return fast
                else:
                    timeout = self.settings.source(source).limits.statement_timeout
                    frame = sqliteread.read(conn, stmt, params, declared, handle, timeout)
                    if frame is None:
                        conn.commit()
                        return pd.DataFrame()
                    return frame
                result = conn.execute(stmt, dict(params or {}))
                if not result.returns_rows:
                    conn.commit()
                    return pd.DataFrame()
                columns = list(result.keys())
                rows = result.fetchall()
                handle.rows = len(rows)
                kinds = _result_kinds(result, columns, declared, engine)
                return frames.rows_to_frame(columns, rows, kinds)

        from azora_nb.cache.provenance import Provenance, attach

        started, clock = time.time(), time.perf_counter()
        frame = interrupt.run(read, progress=self.progress)
        seconds = time.perf_counter() - clock
        fresh = Provenance(
            source=source,
            cached=False,
            created_at=started,
            elapsed=seconds,
            seconds=seconds,
            rows=len(frame),
        )
        return attach(frame, fresh)

    def observe(self, source: str, tables: list[str] | None) -> Observation:
        """Who this workspace is on ``source`` and the change markers of ``tables``
        (:func:`azora_nb.cache.observe.observe`), on an authenticated connection."""
        from azora_nb.cache.observe import observe

        engine = self.engine(source)
        with self._connection(source, engine) as conn, self._errors(source):
            return observe(conn, tables, self.cache.watched(source))

    def sql_chunks(
        self,
        query: Query,
        params: Mapping[str, Any] | None = None,
        source: str = "core",
        chunk_rows: int = 100_000,
    ) -> Iterator[pd.DataFrame]:
        """Like :meth:`sql`, but yield DataFrames of at most ``chunk_rows`` rows, streaming
        from a server-side cursor so that memory stays flat however large the result."""
        if chunk_rows < 1:
            raise ValueError("chunk_rows must be at least 1")
        stmt = _statement(query, params, source)
        engine = self.engine(source)
        declared = frames.kinds_from_statement(stmt)

        timeout = self.settings.source(source).limits.statement_timeout

        def produce(handle: interrupt.ReadHandle) -> Iterator[pd.DataFrame]:
            with (
                self._read_connection(source, engine, handle, stmt) as conn,
                sqliteread.time_limit(conn, timeout) as deadline,
            ):
                result = conn.execution_options(stream_results=True, yield_per=chunk_rows).execute(
                    stmt, dict(params or {})
                )
                columns = list(result.keys())
                kinds: dict[str, frames.Kind | None] = dict(
                    _result_kinds(result, columns, declared, engine)
                )
                for rows in result.partitions(chunk_rows):
                    # Kinds stick from the first chunk that says something, so every
                    # chunk of one column has the same dtype.
                    for index, name in enumerate(columns):
                        if kinds.get(name) is None:
                            kinds[name] = frames.infer_kind(row[index] for row in rows)
                    handle.rows += len(rows)
                    yield frames.rows_to_frame(columns, rows, kinds)
                    if deadline is not None:
                        deadline.restart()

        return interrupt.stream(produce, progress=self.progress)

    def execute(
        self, query: Query, params: Mapping[str, Any] | None = None, source: str = "core"
    ) -> int:
        """Run a statement that changes data, in its own transaction; return the row count."""
        stmt = _statement(query, params, source)
        engine = self.engine(source)
        with self._connection(source, engine) as conn, self._errors(source, stmt):
            result = conn.execute(stmt, dict(params or {}))
            conn.commit()
            return int(result.rowcount or 0)

    @contextmanager
    def _read_connection(
        self, source: str, engine: Engine, handle: interrupt.ReadHandle, stmt: Any = None
    ) -> Iterator[sa.Connection]:
        """A connection for one read on the worker thread, cancellable through ``handle``,
        with database errors translated."""
        with self._connection(source, engine) as conn, self._errors(source, stmt):
            handle.on_cancel(interrupt.cancel_function(conn.connection.driver_connection))
            try:
                yield conn
            finally:
                handle.on_cancel(None)

    def _connection(self, source: str, engine: Engine) -> sa.Connection:
        try:
            return engine.connect()
        except sa_exc.DBAPIError as exc:
            cfg = self.settings.source(source)
            detail = mask_secrets(_first_line(exc.orig or exc), self.settings.secrets())
            raise connection_failure(source, cfg.setting, detail) from None

    @contextmanager
    def _errors(self, source: str, stmt: Any = None) -> Iterator[None]:
        """Turn database errors (through SQLAlchemy, or raw from the COPY path's driver)
        into :class:`StoreUnavailable` or :class:`QueryError` with secrets masked."""
        try:
            yield
        except sa_exc.DBAPIError as exc:
            raise self._translate(source, exc, stmt) from None
        except Exception as exc:
            if _is_driver_error(exc):
                raise self._translate(source, exc, stmt) from None
            raise

    def _translate(self, source: str, exc: BaseException, stmt: Any = None) -> Exception:
        cfg = self.settings.source(source)
        orig = getattr(exc, "orig", None) or exc
        detail = mask_secrets(_first_line(orig), self.settings.secrets())
        if getattr(exc, "connection_invalidated", False) or _is_disconnect(orig):
            return connection_failure(source, cfg.setting, detail)
        hint = self._hint(source, detail, _sql_text(stmt))
        return QueryError(source, detail, hint=hint)

    # -- schema ----------------------------------------------------------------
    def tables(self, source: str | None = None) -> pd.DataFrame:
        """The tables and views each source holds, as ``source, table`` rows.

        A source that cannot be read is one row saying why; an embedded database that
        was never built is not created by looking.

        >>> ws.tables("mint")  # doctest: +SKIP
        """
        names = (source,) if source is not None else self.sources
        listing: dict[str, list[str] | str] = {}
        for name in names:
            try:
                listing[name] = self._table_names(name)
            except AzoraError as exc:
                listing[name] = str(exc)
        return catalog.tables_frame(listing)

    def columns(self, table: str, source: str | None = None) -> pd.DataFrame:
        """The columns of ``table``: name, type, nullable, default, primary key.

        Without ``source``, every source holding a table of that name is listed, with a
        ``source`` column (``users`` lives in both core and mint).

        >>> ws.columns("treasury_ledger")  # doctest: +SKIP
        """
        candidates = (source,) if source is not None else self.sources
        found: list[pd.DataFrame] = []
        for name in candidates:
            try:
                held = self._table_names(name)
            except AzoraError:
                if source is not None:
                    raise
                continue
            if table in held:
                frame = catalog.column_frame(self.engine(name), table)
                frame.insert(0, "source", name)
                found.append(frame)
        if not found:
            everywhere = [t for n in candidates for t in self._safe_tables(n)]
            guesses = catalog.closest(table, everywhere)
            hint = f"did you mean {' or '.join(map(repr, guesses))}?" if guesses else None
            raise QueryError(
                source or ", ".join(candidates),
                f"no table named {table!r}",
                hint=hint or "list the tables with ws.tables()",
            )
        return pd.concat(found, ignore_index=True)

    def _table_names(self, source: str) -> list[str]:
        engine = self.engine(source, create=False)
        with self._errors(source):
            return catalog.table_names(engine)

    def _safe_tables(self, source: str) -> list[str]:
        try:
            return self._table_names(source)
        except AzoraError:
            return []

    def _hint(self, source: str, detail: str, sql: str) -> str | None:
        def columns_of(src: str, table: str) -> list[str]:
            return list(catalog.column_frame(self.engine(src), table)["column"])

        return catalog.hint_for(
            detail, source, self._safe_tables, self.sources, columns_of=columns_of, sql=sql
        )

    # -- health ----------------------------------------------------------------
    def status(self) -> WorkspaceStatus:
        """Probe every store. Never raises: absent or failing stores are reported."""
        stores: list[StoreStatus] = [self._probe_source(name) for name in self.sources]
        stores.append(self._probe_cache())
        stores.append(self._probe_mongo())
        return WorkspaceStatus(stores=tuple(stores), sql_stores=self.sources)

    def _probe_source(self, name: str) -> StoreStatus:
        cfg = self.settings.source(name)
        url = cfg.sqlalchemy_url(self.settings.home)
        backend = "sqlite" if url.startswith("sqlite") else "postgresql"
        note = "embedded" if cfg.embedded else None
        path = _sqlite_file(url) if backend == "sqlite" else None
        if path is not None and not path.exists():  # looking must not create it
            fix = "run `azora-nb db upgrade --all` or `azora-nb demo`"
            return not_created(name, backend, cfg.setting, mask_url(url), fix)

        def probe() -> str:
            with self.engine(name).connect() as conn:
                query = "select sqlite_version()" if backend == "sqlite" else "show server_version"
                return str(conn.exec_driver_sql(query).scalar())

        status = timed_probe(name, backend, cfg.setting, mask_url(url), probe, note)
        return _masked(status, self.settings)

    def _probe_cache(self) -> StoreStatus:
        if not self.settings.cache.enabled:
            return StoreStatus(
                store="cache",
                backend="none",
                configured=False,
                reachable=None,
                setting="AZORA_CACHE",
                note="disabled",
            )
        if self.settings.redis.url is None:
            directory = self.settings.home / "cache"
            note = "local disk cache (set AZORA_REDIS_URL to share one)"
            if not directory.exists():  # looking must not create it
                fix = "made by the first cached read"
                return not_created("cache", "disk", "AZORA_REDIS_URL", str(directory), fix)

            def probe_disk() -> str:
                nonlocal note
                backend = self.cache.backend  # opening it rebuilds a damaged one
                version = backend.probe()
                rebuilt = getattr(backend, "last_rebuild", lambda: None)()
                note = f"{note}; {rebuilt}" if rebuilt else note
                return version

            found = timed_probe("cache", "disk", "AZORA_REDIS_URL", str(directory), probe_disk)
            return dataclasses.replace(found, note=note)

        # Through the cache itself: it answering PING is not enough, its operations must work.
        backend = self.cache.backend
        status = timed_probe(
            "cache", "redis", "AZORA_REDIS_URL", mask_url(self.settings.redis.url), backend.probe
        )
        problem = backend.health() if status.reachable else None
        if problem is not None:
            status = dataclasses.replace(status, degraded=True, error=problem)
        return _masked(status, self.settings)

    def _probe_mongo(self) -> StoreStatus:
        if self.settings.mongo.url is None:
            return StoreStatus(
                store="mongo",
                backend="mongodb",
                configured=False,
                reachable=None,
                setting="AZORA_MONGO_URL",
                note="document features are off",
            )

        def probe() -> str:
            info = self.mongo_client.server_info()
            return str(info.get("version", "?"))

        status = timed_probe(
            "mongo",
            "mongodb",
            "AZORA_MONGO_URL",
            mask_url(self.settings.mongo.url),
            probe,
            note=f"database {self.settings.mongo.database}",
        )
        return _masked(status, self.settings)


def connect(
    settings: Settings | None = None, *, create_databases: bool = True, **overrides: str
) -> Workspace:
    """Open a workspace from the environment, ``.env`` and ``azora.toml``.

    ``overrides`` are settings by environment-variable name, applied on top,
    for example ``connect(AZORA_HOME="/tmp/demo")``. With ``create_databases=False``
    (what reports use), querying an embedded source whose SQLite file does not exist
    raises :class:`SourceMissing` instead of creating an empty file.

    >>> import azora_nb as az
    >>> with az.connect() as ws:                 # doctest: +SKIP
    ...     print(ws.status().overall)
    """
    if settings is not None and overrides:
        raise ConfigError("pass either settings or overrides to connect(), not both")
    if settings is None:
        if overrides:
            import os

            settings = Settings.load(env={**os.environ, **overrides})
        else:
            settings = Settings.load()
    return Workspace(settings, create_databases=create_databases)


# -- helpers -----------------------------------------------------------------


def _create_engine(
    url: str,
    limits: Any,
    attach: Mapping[str, Path] | None = None,
    cfg: SourceSettings | None = None,
) -> Engine:
    if url.startswith("sqlite"):
        return create_sqlite_engine(
            url, busy_timeout=max(limits.connect_timeout, 30.0), attach=attach
        )
    if not url.startswith("postgresql"):
        raise ConfigError(f"unsupported database URL {mask_url(url)}: use PostgreSQL or SQLite")
    # One options string from PGOPTIONS, the URL's options= and the session settings:
    # passing our own would otherwise make libpq drop the other two.
    bare_url, url_options = split_url_options(url)
    options = merged_options(
        cfg.pgoptions if cfg else "",
        url_options,
        cfg.session if cfg else {},
        timeout_ms=int(limits.statement_timeout * 1000) if limits.statement_timeout else None,
    )
    return sa.create_engine(
        bare_url,
        pool_size=max(limits.pool_size, 1),
        max_overflow=max(limits.pool_size, 1),
        pool_pre_ping=True,
        connect_args={
            "connect_timeout": max(round(limits.connect_timeout), 1),
            "options": options,
            "application_name": "azora-nb",
        },
    )


def _statement(query: Query, params: Mapping[str, Any] | None, source: str) -> Any:
    if isinstance(query, str):
        text = sa.text(query)
        statements.check_text(query, params, source, list(text._bindparams))
        return text
    if isinstance(query, sa.sql.ClauseElement):
        return query
    raise TypeError(f"query must be SQL text or a SQLAlchemy statement, not {type(query).__name__}")


def _compile(
    stmt: Any, engine: Engine, params: Mapping[str, Any] | None
) -> tuple[str, dict[str, Any]]:
    compiled = stmt.compile(dialect=engine.dialect, compile_kwargs={"render_postcompile": True})
    bound = dict(compiled.construct_params(dict(params or {})) or {})
    for name, bind in compiled.binds.items():
        if name in bound:
            processor = bind.type.bind_processor(engine.dialect)
            if processor is not None:
                bound[name] = processor(bound[name])
    return str(compiled), bound


def _result_kinds(
    result: Any, columns: list[str], declared: Mapping[str, frames.Kind], engine: Engine
) -> dict[str, frames.Kind | None]:
    kinds: dict[str, frames.Kind | None] = {c: declared.get(c) for c in columns}
    if engine.dialect.name == "postgresql":
        description = result.cursor.description if result.cursor is not None else None
        for column, desc in zip(columns, description or (), strict=False):
            if kinds.get(column) is None:
                kinds[column] = frames.kind_from_pg_oid(desc[1])
    return kinds


def _sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names; ``None`` for an in-memory database."""
    database = sa.engine.make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _sql_text(stmt: Any) -> str:
    """The statement as text for hints; constructs that only compile for a dialect
    (percentile, seconds...) give no text rather than a second error."""
    if stmt is None:
        return ""
    try:
        return str(stmt)
    except sa_exc.CompileError:
        return ""


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _is_driver_error(exc: BaseException) -> bool:
    module = type(exc).__module__
    return module.startswith(("psycopg", "sqlite3"))


def _is_disconnect(exc: BaseException) -> bool:
    text = str(exc).lower()
    markers = (
        "connection refused",
        "could not connect",
        "server closed the connection",
        "terminating connection",
        "connection is closed",
        "connection timeout",
        "not currently accepting connections",
        "the database system is",
        "consuming input failed",
        "connection failed",
    )
    return any(m in text for m in markers)


def _masked(status: StoreStatus, settings: Settings) -> StoreStatus:
    if status.error is None:
        return status
    from dataclasses import replace

    return replace(status, error=mask_secrets(status.error, settings.secrets()))


__all__ = ["SOURCES", "Workspace", "connect"]
