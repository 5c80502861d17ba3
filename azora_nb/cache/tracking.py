"""Change tracking in PostgreSQL: writes by anyone (services, ``psql``) bump a version
row that cached lookups compare, so an outside write is seen by the next lookup.

Everything lives in the schema ``azora_nb_cache``: the table
``table_versions(table_oid, version)`` and the function ``bump()``, which
statement-level triggers named ``azora_nb_cache_changes`` call after every
INSERT, UPDATE, DELETE and TRUNCATE on each tracked table. The version row is
written in the writer's own transaction, so it becomes visible exactly when
the data does. ``bump()`` is ``SECURITY DEFINER``: writing roles need no grant
on the version table; every role may read it.

:func:`install` runs from ``azora-nb db upgrade`` and ``db adopt`` where the
connected role may create triggers (it owns the tables); otherwise lookups fall
back to the catalog's counters (:mod:`azora_nb.cache.observe`). :func:`remove`
(``azora-nb cache untrack``) drops the schema, and with it every trigger.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

log = logging.getLogger("azora_nb")

SCHEMA = "azora_nb_cache"
VERSIONS = "table_versions"
TRIGGER = "azora_nb_cache_changes"

_SETUP = f"""
create schema if not exists {SCHEMA};
create table if not exists {SCHEMA}.{VERSIONS} (
    table_oid oid primary key,
    version bigint not null default 0
);
create or replace function {SCHEMA}.bump() returns trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
begin
    insert into {SCHEMA}.{VERSIONS} as v (table_oid, version) values (TG_RELID, 1)
    on conflict (table_oid) do update set version = v.version + 1;
    return null;
end
$$;
grant usage on schema {SCHEMA} to public;
grant select on {SCHEMA}.{VERSIONS} to public;
revoke all on function {SCHEMA}.bump() from public;
"""

_OWNED_TABLES = """
select c.oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname)
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p') and n.nspname = any(current_schemas(false))
  and n.nspname <> :schema and pg_has_role(c.relowner, 'USAGE')
order by 2
"""


def install(conn: sa.Connection) -> list[str]:
    """Track every table the connected role owns in its search path; return their names.

    Idempotent. Run inside the caller's transaction (a migration's).
    """
    if conn.dialect.name != "postgresql":
        return []
    for statement in _statements(_SETUP):
        conn.exec_driver_sql(statement)
    rows = conn.execute(sa.text(_OWNED_TABLES), {"schema": SCHEMA}).all()
    for oid, qualified in rows:
        conn.exec_driver_sql(
            f"create or replace trigger {TRIGGER} after insert or update or delete or "
            f"truncate on {qualified} for each statement execute function {SCHEMA}.bump()"
        )
        conn.execute(
            sa.text(
                f"insert into {SCHEMA}.{VERSIONS} (table_oid, version) values (:oid, 0) "
                "on conflict do nothing"
            ),
            {"oid": oid},
        )
    return [str(q) for _, q in rows]


def install_if_permitted(conn: sa.Connection, source: str) -> list[str]:
    """:func:`install` in a savepoint; a role without the rights is told, not failed."""
    if conn.dialect.name != "postgresql":
        return []
    try:
        with conn.begin_nested():
            tracked = install(conn)
    except sa.exc.DBAPIError as exc:
        first = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        log.warning(
            "cache: could not install change tracking on %s (%s); cached lookups use the "
            "catalog's counters instead (seen within about a second, at most 60 s)",
            source,
            first,
        )
        return []
    log.info("cache: change tracking on %d tables of %s", len(tracked), source)
    return tracked


def remove(conn: sa.Connection) -> bool:
    """Drop the tracking schema, its function and every trigger that calls it."""
    if conn.dialect.name != "postgresql":
        return False
    exists = conn.exec_driver_sql(f"select to_regnamespace('{SCHEMA}') is not null").scalar()
    if not exists:
        return False
    conn.exec_driver_sql(f"drop schema {SCHEMA} cascade")
    return True


def _statements(script: str) -> list[str]:
    # Split on the statement terminators outside the $$-quoted function body.
    out, current, quoted = [], [], False
    for line in script.strip().splitlines():
        current.append(line)
        quoted ^= line.count("$$") % 2 == 1
        if not quoted and line.rstrip().endswith(";"):
            out.append("\n".join(current))
            current = []
    return out
