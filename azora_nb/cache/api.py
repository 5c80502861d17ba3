"""The cache as an analyst calls it: :func:`invalidate`, :func:`stats`, :func:`clear`
and the :func:`cached` decorator; :func:`remember` for the library's own computations
that are not one query.

Each takes the object that holds the cache (a workspace, or anything with a
``cache`` attribute) only to reach its :class:`~azora_nb.cache.core.QueryCache`;
nothing here imports the workspace.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

import pandas as pd

from azora_nb.cache.core import CacheStats, Lookup, QueryCache
from azora_nb.cache.keys import encode_params
from azora_nb.cache.observe import Observation

log = logging.getLogger("azora_nb")
F = TypeVar("F", bound=Callable[..., pd.DataFrame])
Tables = Sequence[str] | Mapping[str, Sequence[str]]


class HoldsCache(Protocol):
    """Anything with a query cache and a way to observe its sources, such as a workspace."""

    @property
    def cache(self) -> QueryCache: ...

    def observe(self, source: str, tables: list[str] | None) -> Observation: ...


def invalidate(holder: HoldsCache, source: str, tables: Iterable[str]) -> None:
    """Mark ``tables`` of ``source`` as changed: cached results that read them are never
    served again. (:meth:`QueryCache.tables_changed`, which every writer calls.)

    >>> invalidate(ws, "core", ["treasury_ledger"])   # doctest: +SKIP
    """
    holder.cache.tables_changed(source, tables)


def cached(
    holder: HoldsCache,
    *,
    tables: Tables | None,
    source: str = "core",
    ttl: float | None = None,
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
            return _through(
                holder,
                text=f"{name}:{code}",
                arguments=(args, kwargs),
                per_source=per_source,
                source=source,
                run=lambda: fn(*args, **kwargs),
                ttl=ttl,
                refresh=refresh,
            )

        return wrapper  # type: ignore[return-value]

    return decorate


def remember(
    holder: HoldsCache,
    name: str,
    run: Callable[[], pd.DataFrame],
    *,
    params: Mapping[str, Any],
    tables: Mapping[str, Sequence[str]],
    code: str,
    ttl: float | None = None,
    refresh: bool = False,
) -> pd.DataFrame:
    """``run()``'s frame, cached like a query that reads ``tables`` (``{source: [tables]}``,
    possibly of several sources): for library computations that are not one statement,
    such as a reconciliation across two databases. ``name``, ``params`` and ``code`` (a
    fingerprint of the code that computes it) make the key, with each source's database
    and role; a write to any of ``tables`` makes the next call recompute.

    >>> remember(ws, "payouts.reconcile", lambda: ..., params={"tolerance": "0.005"},
    ...          tables={"core": ["treasury_ledger"], "mint": ["knowledge_rewards"]},
    ...          code=fingerprint)                               # doctest: +SKIP
    """
    per_source = {src: tuple(names) for src, names in tables.items()}
    return _through(
        holder,
        text=f"{name}:{code}",
        arguments=((), dict(params)),
        per_source=per_source,
        source=next(iter(per_source)),
        run=run,
        ttl=ttl,
        refresh=refresh,
    )


def _through(
    holder: HoldsCache,
    *,
    text: str,
    arguments: tuple[Sequence[Any], Mapping[str, Any]],
    per_source: dict[str, tuple[str, ...]] | None,
    source: str,
    run: Callable[[], pd.DataFrame],
    ttl: float | None,
    refresh: bool,
) -> pd.DataFrame:
    """One computation through the cache: keyed by ``text`` and ``arguments`` in the scope
    of every source it reads (database and role), stamped with their tables' versions and
    change markers."""
    cache = holder.cache
    args, kwargs = arguments
    try:
        encoded = encode_params(
            {
                "args": [_argument(a, holder) for a in args],
                "kwargs": {k: _argument(v, holder) for k, v in kwargs.items()},
            }
        )
    except TypeError as exc:
        log.info("cache: %s run uncached: %s", text.split(":", 1)[0], exc)
        return run()
    versioned = (
        None
        if per_source is None
        else tuple(
            sorted(n for src, names in per_source.items() for n in cache.version_names(src, names))
        )
    )
    scopes = sorted({source, *(per_source or {})})
    seen = {
        s: holder.observe(s, None if per_source is None else list(per_source.get(s, ())))
        for s in scopes
    }
    if not all(o.readable for o in seen.values()):
        return run()  # the database says why, not the cache
    markers = [o.markers for o in seen.values()]
    lookup = Lookup(
        label=source,
        scope="|".join(f"{cache.database(s)}|{seen[s].identity}" for s in scopes),
        text=text,
        params=encoded,
        versioned=versioned,
        namespace="function",
        markers=None
        if any(m is None for m in markers)
        else tuple(x for m in markers for x in m or ()),
        freshness=_weakest(o.method for o in seen.values()),
    )
    return cache.fetch(lookup, run, ttl=ttl, refresh=refresh)


def stats(holder: HoldsCache) -> CacheStats:
    """Hits, misses, hit rate, entries, bytes and time saved, per source and in total."""
    return holder.cache.stats()


def clear(
    holder: HoldsCache, source: str | None = None, tables: Iterable[str] | None = None
) -> int:
    """Without ``tables``: delete the entries of ``source`` (every source when ``None``) and
    return how many. With ``tables``: invalidate them in ``source`` (or every source)."""
    cache = holder.cache
    if tables is not None:
        names = list(tables)
        for name in [source] if source else cache.sources:
            cache.tables_changed(name, names)
        return 0
    if source is not None:
        cache.database(source)  # an unknown source is an error, not "0 deleted"
    return cache.clear(source)


def _weakest(methods: Iterable[str]) -> str:
    """The least certain of several ways freshness was established."""
    order = ("age", "not readable", "counters", "file", "triggers")
    found = set(methods)
    return next((m for m in order if m in found), "triggers")


def _per_source(tables: Tables | None, source: str) -> dict[str, tuple[str, ...]] | None:
    if tables is None:
        return None
    if isinstance(tables, str):
        raise TypeError("tables must be a list of table names, not one string")
    if isinstance(tables, Mapping):
        return {src: tuple(names) for src, names in tables.items()}
    return {source: tuple(tables)}


def _argument(value: Any, holder: HoldsCache) -> Any:
    # The holder itself is identified by the decorator's own scope.
    if value is holder:
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
