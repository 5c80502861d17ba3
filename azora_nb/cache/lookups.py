"""From a ``ws.sql`` call to a :class:`~azora_nb.cache.core.Lookup`: the key's parts.

``Workspace.sql`` calls :func:`sql_lookup` and hands the result to
:meth:`~azora_nb.cache.core.QueryCache.fetch`; this module knows statements,
dialects and parameters, never the workspace.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from azora_nb.cache.core import Lookup
from azora_nb.cache.keys import compile_statement, encode_params, normalise_sql, version_names
from azora_nb.cache.observe import observe
from azora_nb.cache.tables import NotCacheable, tables_read

log = logging.getLogger("azora_nb")


def sql_lookup(
    conn: sa.Connection,
    stmt: Any,
    params: Mapping[str, Any] | None,
    *,
    source: str,
    database: str,
    tables: Iterable[str] | None,
    watched: Sequence[str] = (),
) -> Lookup | None:
    """The lookup for ``stmt`` with ``params`` on ``source`` (whose database is
    ``database``), or ``None`` when the statement must run uncached: it writes, its
    parameters cannot be keyed, or the role on ``conn`` (already authenticated) may not
    read a table it names. ``watched`` names custom session settings to key on
    (:func:`~azora_nb.cache.observe.observe`).

    The key holds who asks and the session settings (:func:`observe`); the entry is
    stamped with the tables' change markers."""
    dialect = conn.dialect
    if isinstance(tables, str):
        raise TypeError("tables must be a list of table names, not one string")
    try:
        found = tables_read(stmt, dialect.name)
        text, bound = compile_statement(stmt, dialect, params)
        if isinstance(stmt, sa.TextClause):
            text = normalise_sql(stmt.text, dialect.name)
        encoded = encode_params(bound)
    except NotCacheable:
        return None
    except (TypeError, sa.exc.SQLAlchemyError) as exc:
        log.info("cache: query on %s run uncached: %s", source, exc)
        return None
    read = found if tables is None else frozenset(tables)
    if read is None:
        log.warning(
            "cache: cannot tell which tables this query on %s reads, so writes will "
            "not invalidate it; it is cached for its TTL only. Pass tables=[...] "
            "to ws.sql to fix this.",
            source,
        )
    seen = observe(conn, None if read is None else sorted(read), watched)
    if not seen.readable:
        return None
    return Lookup(
        label=source,
        scope=f"{database}|{seen.identity}",
        text=text,
        params=encoded,
        versioned=None if read is None else version_names(database, read),
        markers=seen.markers,
        freshness=seen.method,
    )
