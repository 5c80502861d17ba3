"""What the database says before a cached lookup: who is asking, and has anything changed.

A lookup happens only after this ran on an authenticated connection, the one
the query would use. It yields an :class:`Observation`:

- ``identity``: the role and every session setting that can change what a query
  sees. PostgreSQL: ``current_user``, ``session_user``, ``search_path``,
  ``role``, and every setting whose source is the session, the client, the role
  or the database (this covers ``AZORA_<SOURCE>_SESSION`` settings and RLS
  settings such as ``app.tenant``, however they are applied). SQLite has no
  users: the file is the identity.
- ``markers``: one change marker per table read, compared with those stamped in
  the entry. PostgreSQL: the version row bumped by the change-tracking triggers
  (:mod:`azora_nb.cache.tracking`; exact), else the catalog's per-table counters
  (``pg_stat_user_tables`` and the relation's file node; bounded, see
  :data:`COUNTER_DELAY`). SQLite: the file header's change counter and the
  sizes and times of the database and WAL files (exact, any writer).
- ``readable``: the role may SELECT every table read. When it may not, the cache
  is not consulted at all and the database gives its own error.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from azora_nb.cache.tracking import SCHEMA, VERSIONS

COUNTER_DELAY = 60.0
"""Upper bound, in seconds, on how long PostgreSQL takes to publish a committed write
in ``pg_stat_user_tables``: normally under a second (when the writing session
commits and goes idle), at most 60 s when the server is busy (``PGSTAT_MAX_INTERVAL``)."""

EXACT = "exact"


@dataclass(frozen=True)
class Observation:
    """``identity`` goes into the key; ``markers`` are stamped in the entry (``None``:
    some table's changes cannot be observed, so only age bounds staleness);
    ``method`` says how freshness was established, for provenance."""

    identity: str
    markers: tuple[str, ...] | None
    method: str
    exact: bool
    readable: bool = True


_PG_IDENTITY = """
select current_user, session_user, current_database(),
       current_setting('search_path'), current_setting('role'),
       coalesce((select json_agg(json_build_array(name, setting) order by name)
                 from pg_settings
                 where source in ('session', 'client', 'user', 'database', 'database user')
                   and name not in ('application_name')), '[]'::json)::text,
       to_regclass('{schema}.{table}') is not null,
       coalesce((select json_agg(json_build_array(w, current_setting(w, true)) order by w)
                 from unnest(cast(:watched as text[])) as w), '[]'::json)::text
"""

_PG_MARKERS = """
select t.name, c.oid is not null,
       c.oid is not null and has_table_privilege(c.oid, 'SELECT'),
       {version},
       c.relfilenode,
       s.n_tup_ins + s.n_tup_upd + s.n_tup_del
from unnest(cast(:names as text[])) as t(name)
left join pg_class c on c.oid = to_regclass(t.name)
left join pg_stat_user_tables s on s.relid = c.oid
{join}
order by t.name
"""


def observe(
    conn: sa.Connection, tables: Sequence[str] | None, watched: Sequence[str] = ()
) -> Observation:
    """Identity and change markers of ``tables`` (``None``: unknown tables) on ``conn``.

    ``watched`` names session settings to read besides those PostgreSQL lists in
    ``pg_settings``: custom ones (``app.tenant``) set through the connection's options
    or ``AZORA_<SOURCE>_SESSION`` are not listed there, but RLS policies read them.
    """
    try:
        if conn.dialect.name == "postgresql":
            return _observe_postgres(conn, tables, watched)
        if conn.dialect.name == "sqlite":
            return _observe_sqlite(conn, tables)
        return Observation(identity=conn.dialect.name, markers=None, method="age", exact=False)
    finally:
        # End the read-only transaction, so the query itself runs as it would uncached
        # (a function that writes commits as usual).
        conn.rollback()


def _observe_postgres(
    conn: sa.Connection, tables: Sequence[str] | None, watched: Sequence[str]
) -> Observation:
    row = conn.execute(
        sa.text(_PG_IDENTITY.format(schema=SCHEMA, table=VERSIONS)), {"watched": list(watched)}
    ).one()
    user, session_user, database, search_path, role, settings, tracked, custom = row
    identity = json.dumps(
        {
            "user": user,
            "session_user": session_user,
            "database": database,
            "search_path": search_path,
            "role": role,
            "settings": json.loads(settings),
            "watched": json.loads(custom),
        },
        sort_keys=True,
    )
    if tables is None:
        return Observation(identity, None, "age", exact=False)
    if not tables:
        return Observation(identity, (), EXACT, exact=True)
    version = "v.version" if tracked else "null::bigint"
    join = f"left join {SCHEMA}.{VERSIONS} v on v.table_oid = c.oid" if tracked else ""
    rows = conn.execute(
        sa.text(_PG_MARKERS.format(version=version, join=join)), {"names": list(tables)}
    ).all()
    markers: list[str] = []
    methods: set[str] = set()
    for name, exists, allowed, version_value, filenode, counters in rows:
        if not exists or not allowed:
            return Observation(identity, None, "not readable", exact=False, readable=False)
        if version_value is not None:
            markers.append(f"{name}=v{version_value}")
            methods.add("triggers")
        elif counters is not None:
            markers.append(f"{name}=c{filenode}:{counters}")
            methods.add("counters")
        else:  # a view, a foreign table: its changes cannot be observed here
            return Observation(identity, None, "age", exact=False)
    method = "counters" if "counters" in methods else "triggers"
    return Observation(identity, tuple(markers), method, exact=method == "triggers")


def _observe_sqlite(conn: sa.Connection, tables: Sequence[str] | None) -> Observation:
    if tables is None:
        return Observation("sqlite", None, "age", exact=False)
    # The main file, plus attached files whose schema a table name is qualified with.
    schemas = {"main"} | {t.split(".", 1)[0] for t in tables if "." in t}
    files = [
        str(file)
        for _, schema, file in conn.exec_driver_sql("PRAGMA database_list").all()
        if file and schema in schemas
    ]
    return Observation("sqlite", tuple(_file_marker(f) for f in files), "file", exact=True)


def _file_marker(path: str) -> str:
    """The header change counter (bytes 24-27, bumped by every commit in rollback-journal
    mode) plus size and mtime of the file and its WAL (which grows with every commit in
    WAL mode, where the header counter may not move)."""
    parts: list[Any] = [path]
    try:
        with open(path, "rb") as handle:
            header = handle.read(100)
        parts.append(header[24:28].hex() if len(header) >= 28 else "-")
    except OSError:
        parts.append("?")
    for candidate in (path, f"{path}-wal"):
        try:
            st = os.stat(candidate)
            # An empty WAL holds nothing: the same as none (opening a file creates one).
            parts.append(f"{st.st_size}:{st.st_mtime_ns}" if st.st_size else "-")
        except OSError:
            parts.append("-")
    return "|".join(str(p) for p in parts)


__all__ = ["COUNTER_DELAY", "Observation", "observe"]
