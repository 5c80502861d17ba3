"""What the database role can see of the tables a report reads, from the catalog.

A role under row-level security reads fewer rows without any error, and a
role without ``SELECT`` gets an error only when the query runs. Reports state
both up front, and checks that compare two sides refuse to run on a partial
view (:func:`require_full_view`): a row hidden on one side is not a row missing.

A table's rows are limited by row-level security when RLS is enabled on it and
the role is not a superuser, has no ``BYPASSRLS``, and is not the table's
owner (or the owner, when the table FORCEs row security). SQLite has neither
roles nor RLS: everything that exists is visible.

>>> view = check(ws, {"core": ["treasury_ledger"], "mint": ["knowledge_rewards"]})  # doctest: +SKIP
>>> view.limits()                                                                 # doctest: +SKIP
['core.treasury_ledger: row-level security is on and role analyst is not exempt']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from azora_nb.exceptions import AzoraError, VisibilityLimited

if TYPE_CHECKING:
    from azora_nb.workspace import Workspace

_ROLE = sa.text(
    "select current_user as role, r.rolsuper or r.rolbypassrls as exempt "
    "from pg_roles r where r.rolname = current_user"
)
_TABLES = sa.text(
    "select c.relname as name, c.relrowsecurity as rls, c.relforcerowsecurity as forced, "
    "pg_has_role(c.relowner, 'USAGE') as owner, "
    "has_table_privilege(c.oid, 'SELECT') as can_select "
    "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
    "where n.nspname = any(current_schemas(false)) and c.relkind in ('r', 'p', 'v', 'm', 'f') "
    "and c.relname in :names"
).bindparams(sa.bindparam("names", expanding=True))


@dataclass(frozen=True)
class TableView:
    """What the role sees of one table."""

    source: str
    table: str
    exists: bool
    row_security: bool
    """Row-level security applies to this role: it may see only some rows."""
    can_select: bool

    @property
    def limited(self) -> bool:
        return self.exists and (self.row_security or not self.can_select)

    def describe(self, role: str | None) -> str:
        who = f"role {role}" if role else "this role"
        if not self.can_select:
            return f"{self.source}.{self.table}: {who} has no SELECT on it"
        return f"{self.source}.{self.table}: row-level security is on and {who} is not exempt"


@dataclass(frozen=True)
class SourceView:
    """The role on one source and what it sees of the tables asked about."""

    source: str
    backend: str
    role: str | None
    tables: tuple[TableView, ...]
    error: str | None = None
    """Why the source could not be inspected (missing, unreachable)."""

    def limits(self) -> list[str]:
        return [t.describe(self.role) for t in self.tables if t.limited]


@dataclass(frozen=True)
class Visibility:
    """:func:`check`'s answer over several sources."""

    sources: tuple[SourceView, ...]

    def source(self, name: str) -> SourceView | None:
        return next((s for s in self.sources if s.source == name), None)

    def limits(self) -> list[str]:
        """One sentence per table the role cannot fully see, ``source.table: why``."""
        return [line for s in self.sources for line in s.limits()]

    @property
    def complete(self) -> bool:
        """Every table that exists is fully visible (missing sources do not count)."""
        return not self.limits()

    def roles(self) -> dict[str, str]:
        """``source -> role`` for the PostgreSQL sources that answered."""
        return {s.source: s.role for s in self.sources if s.role}


def inspect_source(ws: Workspace, source: str, tables: Iterable[str]) -> SourceView:
    """What the role on ``source`` sees of ``tables``. Never raises for a store that is
    missing or unreachable: that is recorded in ``error``."""
    names = sorted(set(tables))
    try:
        engine = ws.engine(source, create=False)
        backend = engine.dialect.name
        if backend != "postgresql":
            present = set(sa.inspect(engine).get_table_names())
            views = tuple(TableView(source, t, t in present, False, True) for t in names)
            return SourceView(source, backend, None, views)
        with engine.connect() as conn:
            role_row = conn.execute(_ROLE).one()
            rows = conn.execute(_TABLES, {"names": names}).mappings().all() if names else []
    except (AzoraError, sa.exc.SQLAlchemyError) as exc:
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return SourceView(source, "unknown", None, (), error=first[0] if first else "error")
    exempt = bool(role_row.exempt)
    found = {r["name"]: r for r in rows}
    views = tuple(
        TableView(
            source=source,
            table=name,
            exists=name in found,
            row_security=bool(
                name in found
                and found[name]["rls"]
                and not exempt
                and (found[name]["forced"] or not found[name]["owner"])
            ),
            can_select=bool(found[name]["can_select"]) if name in found else False,
        )
        for name in names
    )
    return SourceView(source, backend, str(role_row.role), views)


def check(ws: Workspace, tables: Mapping[str, Iterable[str]]) -> Visibility:
    """What the role sees of ``tables`` (``{source: [table, ...]}``) on each source."""
    return Visibility(tuple(inspect_source(ws, src, names) for src, names in tables.items()))


def require_full_view(ws: Workspace, tables: Mapping[str, Iterable[str]], check_name: str) -> None:
    """Raise :class:`VisibilityLimited` when the role cannot see every row of one of
    ``tables``: a cross-database comparison would report hidden rows as missing."""
    limits = check(ws, tables).limits()
    if limits:
        raise VisibilityLimited(check_name, limits)
