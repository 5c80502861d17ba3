"""Migrations: one Alembic history per source, driven through a workspace's engines.

>>> import azora_nb as az
>>> from azora_nb import migrate
>>> with az.connect() as ws:                                 # doctest: +SKIP
...     migrate.upgrade(ws, "core")
...     migrate.check(ws, "core")                            # [] when models and DB agree
[]

The histories ship inside the package, in ``azora_nb/migrations/<source>/versions/``,
read through :mod:`importlib.resources`; the shared ``azora_nb/migrations/env.py``
runs them on the connection passed in. Each source keeps its revision in its own
table, ``alembic_version_<source>``.
"""

from __future__ import annotations

import atexit
import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from azora_nb.cache import tracking
from azora_nb.exceptions import (
    AzoraError,
    DestructiveActionRefused,
    SchemaError,
    SchemaMismatch,
    connection_failure,
)
from azora_nb.schema import metadata_for, service_tables, toolkit
from azora_nb.schema.compare import (
    Difference,
    TypeComparator,
    changed_tables,
    shape_differences,
    table_shapes,
)
from azora_nb.settings import SOURCES, mask_secrets
from azora_nb.workspace import Workspace

log = logging.getLogger("azora_nb")

IGNORED_TABLES = frozenset({"_prisma_migrations", "treasury_ledger_legacy"})
"""Tables that are no part of the models: the services' own tools keep
``_prisma_migrations``; the demo's legacy flavour keeps its constitution-breaking
ledger rows in ``treasury_ledger_legacy`` where the CHECKs would refuse them."""


@dataclass(frozen=True)
class MigrationResult:
    """What an upgrade or downgrade did (or, with ``dry_run``, would do) to one source."""

    source: str
    before: str | None
    after: str | None
    changed: tuple[str, ...]
    dropped: tuple[tuple[str, int], ...] = ()
    """Tables dropped, with the rows they held."""
    dry_run: bool = False

    def __str__(self) -> str:
        if self.before == self.after:
            return f"{self.source}: already at {self.after or 'base'}"
        text = f"{self.source}: {self.before or 'base'} -> {self.after or 'base'}"
        if self.dry_run:
            text += " (dry run: nothing was changed)"
        if self.dropped:
            listing = ", ".join(f"{t} ({n:,} rows)" for t, n in self.dropped)
            text += f"; {'would drop' if self.dry_run else 'dropped'} {listing}"
        return text


@dataclass(frozen=True)
class Revision:
    revision: str
    down_revision: str | None
    message: str
    is_head: bool


TOOLKIT_REVISION = "20261128080000"
"""The revision that added the toolkit's tables (before the audit trail's)."""


def version_table(source: str) -> str:
    return f"alembic_version_{source}"


MIGRATIONS = ("azora_nb", "migrations")
"""Package and directory holding the histories (package data, shipped in the wheel)."""

_extracted = ExitStack()
atexit.register(_extracted.close)


def migrations_dir() -> Path:
    """The ``azora_nb/migrations`` directory as a real path, which Alembic needs.

    Installed as plain files (the usual case) this is the directory itself; from a
    zipped install :func:`importlib.resources.as_file` extracts it for the process.
    """
    package, name = MIGRATIONS
    root = resources.files(package).joinpath(name)
    if not root.joinpath("env.py").is_file():
        raise SchemaError(
            f"the migrations were not found in the {package} package ({name}/env.py is "
            "missing): the installation is incomplete. Reinstall it with "
            "`pip install --force-reinstall azora-nb` (or `pip install -e .` in a checkout)."
        )
    return _extracted.enter_context(resources.as_file(root))


def alembic_config(source: str, connection: Connection | None = None) -> Config:
    """An Alembic config for ``source``'s history, running on ``connection``."""
    _check_source(source)
    root = migrations_dir()
    versions = root / source / "versions"
    if not versions.is_dir():
        raise SchemaError(f"no migration history for {source!r} at {versions}", source=source)
    cfg = Config()
    cfg.set_main_option("script_location", str(root))
    cfg.set_main_option("version_locations", str(versions))
    cfg.set_main_option("prepend_sys_path", str(root))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["source"] = source
    cfg.attributes["connection"] = connection
    return cfg


def context_options(source: str) -> dict[str, Any]:
    """The ``context.configure`` options every run of ``source``'s history uses."""
    return {
        "target_metadata": metadata_for(source),
        "version_table": version_table(source),
        "compare_type": TypeComparator(),
        "compare_server_default": False,
        "include_name": _include_name,
    }


def _include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    if type_ == "table":
        return not (name in IGNORED_TABLES or str(name).startswith("alembic_version"))
    return True


def _check_source(source: str) -> None:
    if source not in SOURCES:
        from azora_nb.exceptions import UnknownSource

        raise UnknownSource(source, SOURCES)


def _script(source: str) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(source))


# -- reading -----------------------------------------------------------------------


def heads(source: str) -> tuple[str, ...]:
    """The head revision(s) of ``source``'s history (one, unless someone branched it)."""
    return tuple(_script(source).get_heads())


def base_revision(source: str) -> str:
    """The first revision: the production schema, which :func:`adopt` stamps."""
    bases = _script(source).get_bases()
    if len(bases) != 1:
        raise SchemaError(f"{source} has {len(bases)} base revisions, expected one", source=source)
    return str(bases[0])


def history(source: str) -> list[Revision]:
    """Every revision of ``source``, newest first."""
    script = _script(source)
    head_set = set(script.get_heads())
    return [
        Revision(
            str(s.revision), _first(s.down_revision), (s.doc or "").strip(), s.revision in head_set
        )
        for s in script.walk_revisions()
    ]


def _first(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return ", ".join(value)


def current(ws: Workspace, source: str) -> str | None:
    """The revision ``source``'s database is at; ``None`` when it is not managed."""
    with _connect(ws, source) as conn:
        return _current(conn, source)


def is_managed(ws: Workspace, source: str) -> bool:
    """Whether ``source``'s database has its version table (at base, it is empty)."""
    with _connect(ws, source) as conn:
        return _is_managed(conn, source)


def _current(conn: Connection, source: str) -> str | None:
    context = MigrationContext.configure(conn, opts={"version_table": version_table(source)})
    found = context.get_current_heads()
    return ", ".join(found) if found else None


def _is_managed(conn: Connection, source: str) -> bool:
    return sa.inspect(conn).has_table(version_table(source))


def _user_tables(conn: Connection) -> list[str]:
    inspector = sa.inspect(conn)
    names = list(inspector.get_table_names()) + list(inspector.get_view_names())
    return sorted(n for n in names if not n.startswith("alembic_version"))


# -- changing ------------------------------------------------------------------------


@contextmanager
def _connect(ws: Workspace, source: str) -> Iterator[Connection]:
    """A connection to ``source``; an unreachable server is a :class:`StoreUnavailable`."""
    try:
        conn = ws.engine(source).connect()
    except sa.exc.OperationalError as exc:
        cfg = ws.settings.source(source)
        detail = mask_secrets(str(exc.orig or exc).strip().splitlines()[0], ws.settings.secrets())
        raise connection_failure(source, cfg.setting, detail) from None
    with conn:
        yield conn


@contextmanager
def _transaction(ws: Workspace, source: str) -> Iterator[Connection]:
    """One transaction around a whole migration run, on both backends."""
    with _connect(ws, source) as conn, conn.begin():
        if conn.dialect.name == "sqlite":
            # pysqlite opens transactions only before DML; begin one so that DDL is
            # atomic too and a failed revision leaves nothing half-built.
            conn.exec_driver_sql("BEGIN")
        yield conn


def upgrade(ws: Workspace, source: str, to: str = "head") -> MigrationResult:
    """Upgrade ``source``'s database to revision ``to`` (default: the head).

    Refuses a database that holds tables but is not under management: that is a
    database the services made, which :func:`adopt` takes over.
    """
    from azora_nb import audit

    cfg = alembic_config(source)
    with (
        audit.action(ws, source, "migrate.upgrade", target=to, params={"to": to}),
        _transaction(ws, source) as conn,
    ):
        if not _is_managed(conn, source):
            existing = _user_tables(conn)
            if existing:
                shown = ", ".join(existing[:6]) + (", ..." if len(existing) > 6 else "")
                raise SchemaError(
                    f"the {source} database is not empty ({shown}) but has no "
                    f"{version_table(source)} table, so azora-nb did not build it. Run "
                    f"`azora-nb db adopt --source {source}` to check it against the models "
                    "and take it over.",
                    source=source,
                )
        result = _run(cfg, conn, source, lambda c: command.upgrade(c, to))
        tracking.install_if_permitted(conn, source)
    ws.cache.tables_changed(source, result.changed)
    return result


def downgrade(
    ws: Workspace, source: str, to: str, *, confirm: bool = False, dry_run: bool = False
) -> MigrationResult:
    """Downgrade ``source``'s database to revision ``to`` (``base`` removes everything).

    The downgrade runs in one transaction. When it would drop tables holding rows it
    is rolled back and :class:`DestructiveActionRefused` lists them, unless ``confirm``;
    ``dry_run`` always rolls back and returns what would happen. On an adopted
    database (one the services built), going below the production schema is refused
    whatever ``confirm`` says: the toolkit did not build those tables.
    """
    from azora_nb import audit, guards

    cfg = alembic_config(source)
    params = {"to": to, "confirm": confirm, "dry_run": dry_run}
    with audit.action(ws, source, "migrate.downgrade", target=to, params=params) as entry:
        with _connect(ws, source) as conn:
            trans = conn.begin()
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN")
            try:
                if not _is_managed(conn, source):
                    raise SchemaError(
                        f"the {source} database is not under management; nothing to downgrade",
                        source=source,
                    )
                adopted = guards.is_adopted(conn, source)
                rows_before = guards.row_counts(conn)
                trail = audit.read_table(conn, source) if rows_before.get(audit.TABLE) else []
                result = _run(cfg, conn, source, lambda c: command.downgrade(c, to))
                dropped = guards.dropped(rows_before, guards.row_counts(conn))
                if adopted and result.after is None:
                    raise DestructiveActionRefused(
                        f"downgrading the adopted {source} database to base",
                        dropped or [("the production schema", 0)],
                        hint="The services built those tables; azora-nb never drops them. "
                        f"Downgrade no further than {base_revision(source)}.",
                    )
                # The audit trail is not data to confirm: its rows move to the local file.
                held = [(t, n) for t, n in dropped if n and t != audit.TABLE]
                if held and not (confirm or dry_run):
                    raise DestructiveActionRefused(
                        f"downgrading {source} to {to}",
                        held,
                        hint=f"Rerun with --yes (confirm=True) to drop them, or --dry-run "
                        f"to list everything `azora-nb db downgrade --source {source} --to {to}` "
                        "would do.",
                    )
                result = MigrationResult(
                    source, result.before, result.after, result.changed, tuple(dropped), dry_run
                )
            except BaseException:
                trans.rollback()
                raise
            if dry_run:
                trans.rollback()
                entry.outcome = "dry run"
                return result
            trans.commit()
            if audit.TABLE in dict(result.dropped):
                audit.keep_locally(ws, trail)
        entry.rows = sum(n for _, n in result.dropped)
    ws.cache.tables_changed(source, result.changed)
    return result


def _run(cfg: Config, conn: Connection, source: str, action: Any) -> MigrationResult:
    cfg.attributes["connection"] = conn
    before_rev = _current(conn, source)
    before = table_shapes(conn)
    try:
        action(cfg)
    except AzoraError:
        raise
    except Exception as exc:  # alembic's CommandError, database errors: say which source
        raise SchemaError(f"migrating {source} failed: {exc}", source=source) from exc
    after_rev = _current(conn, source)
    changed = changed_tables(before, table_shapes(conn))
    log.info("migrated %s from %s to %s; changed %s", source, before_rev, after_rev, changed)
    return MigrationResult(source, before_rev, after_rev, tuple(changed))


# -- drift and adoption --------------------------------------------------------------


def check(ws: Workspace, source: str) -> list[Difference]:
    """How ``source``'s live database differs from the models; empty when they agree."""
    _check_source(source)
    with _connect(ws, source) as conn:
        if not _is_managed(conn, source) and not _user_tables(conn):
            return [
                Difference("not built", "*", None, f"run azora-nb db upgrade --source {source}")
            ]
        context = MigrationContext.configure(conn, opts=context_options(source))
        diffs = compare_metadata(context, metadata_for(source))
    return [_difference(d) for d in _flatten(diffs)]


def _flatten(diffs: list[Any]) -> Iterator[tuple[Any, ...]]:
    for diff in diffs:
        if isinstance(diff, list):
            yield from diff
        else:
            yield diff


def _difference(diff: tuple[Any, ...]) -> Difference:
    kind = str(diff[0])
    if kind in ("add_table", "remove_table"):
        table = diff[1]
        text = "missing table" if kind == "add_table" else "extra table"
        return Difference(text, table.name)
    if kind in ("add_column", "remove_column"):
        text = "missing column" if kind == "add_column" else "extra column"
        return Difference(text, diff[2], diff[3].name)
    if kind.startswith("modify_"):
        _, _, table, column, _, old, new = diff
        what = kind.removeprefix("modify_")
        return Difference(what, table, column, f"database has {old}, models have {new}")
    if kind in ("add_index", "remove_index"):
        index = diff[1]
        text = "missing index" if kind == "add_index" else "extra index"
        cols = ", ".join(c.name for c in index.columns)
        return Difference(text, index.table.name, None, f"{index.name} on ({cols})")
    if kind in ("add_constraint", "remove_constraint", "add_fk", "remove_fk"):
        constraint = diff[1]
        text = ("missing " if kind.startswith("add") else "extra ") + (
            "foreign key" if kind.endswith("fk") else "constraint"
        )
        return Difference(text, constraint.table.name, None, str(constraint.name))
    if kind in ("add_table_comment", "remove_table_comment"):
        return Difference("table comment", diff[1].name, None, repr(diff[1].comment))
    return Difference(kind, "?", None, repr(diff[1:]))


def adopt(ws: Workspace, source: str) -> str:
    """Take over a database the services built: check that it holds every table and
    column of the production-schema revision with the right types, then stamp it.

    Never creates or alters a table. Returns the stamped revision; run
    :func:`upgrade` afterwards to add the toolkit's own tables. Raises
    :class:`SchemaMismatch`, listing the differences, when the database does not match.
    """
    from azora_nb import audit, guards

    cfg = alembic_config(source)
    base = base_revision(source)
    with audit.action(ws, source, "migrate.adopt") as entry, _transaction(ws, source) as conn:
        if _is_managed(conn, source):
            raise SchemaError(
                f"the {source} database is already managed (at "
                f"{_current(conn, source) or 'base'}); nothing to adopt",
                source=source,
            )
        if not _user_tables(conn):
            raise SchemaError(
                f"the {source} database is empty; build it with "
                f"`azora-nb db upgrade --source {source}` instead",
                source=source,
            )
        differences = shape_differences(conn, service_tables(source))
        target = base
        tool_tables = [
            t for t in metadata_for(source).sorted_tables if toolkit.is_toolkit_table(t.name)
        ]
        tool_diffs = shape_differences(conn, tool_tables)
        absent = [d for d in tool_diffs if d.kind == "missing table"]
        if not tool_diffs:
            target = "heads"  # a database that already holds the toolkit's tables too
        elif all(d.kind == "missing table" and d.table == toolkit.audit.name for d in tool_diffs):
            target = TOOLKIT_REVISION  # the toolkit's tables from before the audit trail
        elif len(absent) < len(tool_tables):
            differences += tool_diffs  # half a toolkit: neither revision describes it
        if differences:
            raise SchemaMismatch(source, base, differences)
        cfg.attributes["connection"] = conn
        command.stamp(cfg, target)
        guards.mark_adopted(conn, source)
        stamped = _current(conn, source) or base
        entry.target = stamped
        tracking.install_if_permitted(conn, source)
    log.info("adopted %s at %s", source, stamped)
    return stamped


__all__ = [
    "Difference",
    "MigrationResult",
    "Revision",
    "adopt",
    "alembic_config",
    "base_revision",
    "check",
    "current",
    "downgrade",
    "heads",
    "history",
    "is_managed",
    "migrations_dir",
    "upgrade",
    "version_table",
]
