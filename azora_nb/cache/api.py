"""The cache as the rest of azora-nb sees it: ``ws.sql(..., cache=True)``,
:func:`invalidate`, the :func:`cached` decorator, stats and clearing.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd
import sqlalchemy as sa

from azora_nb.cache.backends import NullBackend
from azora_nb.cache.core import CacheStats, Lookup, QueryCache
from azora_nb.cache.disk_store import DiskBackend
from azora_nb.cache.keys import (
    compile_statement,
    encode_params,
    identity_digest,
    normalise_sql,
    normalise_table,
    source_identity,
)
from azora_nb.cache.redis_store import RedisBackend
from azora_nb.cache.tables import NotCacheable, tables_read
from azora_nb.settings import mask_url

if TYPE_CHECKING:
    from azora_nb.workspace import Workspace

log = logging.getLogger("azora_nb")
F = TypeVar("F", bound=Callable[..., pd.DataFrame])
Tables = Sequence[str] | Mapping[str, Sequence[str]]


def open_cache(ws: Workspace) -> QueryCache:
    """Build the cache ``ws.settings`` asks for: Redis when ``AZORA_REDIS_URL`` is set,
    else a disk cache under ``<home>/cache``; nothing when ``AZORA_CACHE=0``."""
    settings = ws.settings
    if not settings.cache.enabled:
        return QueryCache(NullBackend(), settings.cache)
    if settings.redis.url is not None:
        backend = RedisBackend(
            ws.redis, settings.cache.prefix, location=mask_url(settings.redis.url) or "redis"
        )
        # Entries cross the network and share the server's memory: compress them.
        return QueryCache(backend, settings.cache, compression="zstd")
    # Local files are read at memory speed, where zstd would cost more than it saves
    # (benchmarks/cache.py: 1M ledger rows decode in ~50 ms plain, ~1 s from zstd).
    disk = DiskBackend(settings.home / "cache", size_limit=settings.cache.disk_size_limit)
    return QueryCache(disk, settings.cache, compression=None)


def version_names(ws: Workspace, source: str, tables: Iterable[str]) -> tuple[str, ...]:
    """The backend names of the versions of ``tables`` in ``source``'s database."""
    digest = identity_digest(source_identity(ws.settings, source))
    return tuple(sorted({f"{digest}:{normalise_table(t)}" for t in tables}))


def invalidate(ws: Workspace, source: str, tables: Iterable[str]) -> None:
    """Mark ``tables`` of ``source`` as changed: cached results that read them are never
    served again. Seeding, sync and migrations call this after they write.

    >>> invalidate(ws, "core", ["treasury_ledger"])   # doctest: +SKIP
    """
    if isinstance(tables, str):
        raise TypeError("tables must be a list of table names, not one string")
    names = list(tables)
    if names:
        ws.cache.invalidate(version_names(ws, source, names))


def cached_sql(
    ws: Workspace,
    query: str | sa.sql.ClauseElement,
    params: Mapping[str, Any] | None,
    source: str,
    *,
    ttl: float | None,
    refresh: bool,
    tables: Iterable[str] | None,
    run: Callable[[], pd.DataFrame],
) -> pd.DataFrame:
    """``ws.sql`` through the cache; ``run`` executes the query uncached."""
    stmt = sa.text(query) if isinstance(query, str) else query
    if isinstance(tables, str):
        raise TypeError("tables must be a list of table names, not one string")
    dialect = ws.engine(source).dialect
    try:
        found = tables_read(stmt, dialect.name)
        text, bound = compile_statement(stmt, dialect, params)
        if isinstance(stmt, sa.TextClause):
            text = normalise_sql(stmt.text, dialect.name)
        encoded = encode_params(bound)
    except NotCacheable:
        return run()
    except (TypeError, sa.exc.SQLAlchemyError) as exc:
        log.info("cache: query on %s run uncached: %s", source, exc)
        return run()
    read = found if tables is None else frozenset(tables)
    if read is None:
        log.warning(
            "cache: cannot tell which tables this query on %s reads, so writes will "
            "not invalidate it; it is cached for its TTL only. Pass tables=[...] "
            "to ws.sql to fix this.",
            source,
        )
    lookup = Lookup(
        label=source,
        scope=source_identity(ws.settings, source),
        text=text,
        params=encoded,
        versioned=None if read is None else version_names(ws, source, read),
    )
    return ws.cache.fetch(lookup, run, ttl=ttl, refresh=refresh)


def cached(
    ws: Workspace, *, tables: Tables | None, source: str = "core", ttl: float | None = None
) -> Callable[[F], F]:
    """Cache an analyst's function that returns a DataFrame.

    ``tables`` lists what the function reads, in ``source`` (or as a mapping
    ``{source: [tables]}`` when it reads several): writes to them, announced by
    :func:`invalidate`, make the next call recompute. The key covers the
    function's source code and its arguments. Call with ``refresh=True`` to
    recompute and overwrite.

    >>> @cached(ws, tables=["treasury_ledger"], ttl=600)        # doctest: +SKIP
    ... def daily(ws, day):
    ...     return ws.sql("select ...", {"day": day})
    """
    per_source = _per_source(tables, source)

    def decorate(fn: F) -> F:
        code = _code_fingerprint(fn)
        name = f"{fn.__module__}.{fn.__qualname__}"
        if per_source is None:
            log.warning("cache: %s declares no tables; it is cached for its TTL only", name)

        @functools.wraps(fn)
        def wrapper(*args: Any, refresh: bool = False, **kwargs: Any) -> pd.DataFrame:
            try:
                encoded = encode_params(
                    {
                        "args": [_argument(a, ws) for a in args],
                        "kwargs": {k: _argument(v, ws) for k, v in kwargs.items()},
                    }
                )
            except TypeError as exc:
                log.info("cache: %s run uncached: %s", name, exc)
                return fn(*args, **kwargs)
            versioned = (
                None
                if per_source is None
                else tuple(
                    sorted(
                        n
                        for src, names in per_source.items()
                        for n in version_names(ws, src, names)
                    )
                )
            )
            scopes = sorted({source, *(per_source or {})})
            lookup = Lookup(
                label=source,
                scope="|".join(source_identity(ws.settings, s) for s in scopes),
                text=f"{name}:{code}",
                params=encoded,
                versioned=versioned,
                namespace="function",
            )
            return ws.cache.fetch(lookup, lambda: fn(*args, **kwargs), ttl=ttl, refresh=refresh)

        return wrapper  # type: ignore[return-value]

    return decorate


def stats(ws: Workspace) -> CacheStats:
    """Hits, misses, hit rate, entries, bytes and time saved, per source and in total."""
    return ws.cache.stats()


def clear(ws: Workspace, source: str | None = None, tables: Iterable[str] | None = None) -> int:
    """Without ``tables``: delete the entries of ``source`` (every source when ``None``) and
    return how many. With ``tables``: invalidate them in ``source`` (or every source)."""
    if tables is not None:
        names = list(tables)
        for name in [source] if source else ws.sources:
            invalidate(ws, name, names)
        return 0
    if source is not None:
        ws.settings.source(source)
    return ws.cache.clear(source)


def _per_source(tables: Tables | None, source: str) -> dict[str, tuple[str, ...]] | None:
    if tables is None:
        return None
    if isinstance(tables, str):
        raise TypeError("tables must be a list of table names, not one string")
    if isinstance(tables, Mapping):
        return {src: tuple(names) for src, names in tables.items()}
    return {source: tuple(tables)}


def _argument(value: Any, ws: Workspace) -> Any:
    # The workspace itself is identified by the decorator's own scope.
    if value is ws:
        return "<workspace>"
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def _code_fingerprint(fn: Callable[..., Any]) -> str:
    try:
        text = inspect.getsource(fn)
    except (OSError, TypeError):
        code = getattr(fn, "__code__", None)
        text = repr((code.co_code, code.co_consts)) if code is not None else repr(fn)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
