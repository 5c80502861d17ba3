"""Every error azora-nb raises on purpose.

Each subclass carries structured fields (``store``, ``source``, ``table``,
``revision``...) and a message that names the problem and what to do next.
The CLI turns any :class:`AzoraError` into that message and a non-zero exit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence


class AzoraError(Exception):
    """Base class of every azora-nb error."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(AzoraError):
    """A setting is missing, malformed or contradicts another one."""

    def __init__(self, message: str, *, setting: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting


class UnknownSource(ConfigError):
    """A source name that is not one of the configured sources."""

    def __init__(self, source: str, known: tuple[str, ...]) -> None:
        super().__init__(
            f"unknown source {source!r}; choose one of: {', '.join(known)}",
            setting=None,
        )
        self.source = source
        self.known = known


class StoreUnavailable(AzoraError):
    """A store is not configured, or is configured but cannot be reached."""

    def __init__(self, store: str, setting: str, detail: str, *, configured: bool = True) -> None:
        if configured:
            message = (
                f"{store} is unreachable: {detail}. Check that the server is running, "
                f"or point {setting} at one that is."
            )
        else:
            message = f"{store} is not configured: {detail}. Set {setting} to use it."
        super().__init__(message)
        self.store = store
        self.setting = setting
        self.detail = detail
        self.configured = configured


class SourceMissing(StoreUnavailable):
    """A SQLite source (the embedded default, or a configured file) whose database file
    does not exist yet.

    Reads never create it: a report on a fresh home must not leave empty
    database files behind."""

    def __init__(self, store: str, setting: str, path: str | None = None) -> None:
        where = (
            f"no {store}.sqlite in the azora-nb home"
            if path is None
            else f"{setting} names {path}, which does not exist: check the path"
        )
        AzoraError.__init__(
            self,
            f"{store} has no database yet ({where}). "
            f"Run `azora-nb db upgrade --source {store}` (or `azora-nb demo seed`), "
            f"or point {setting} at the service's database.",
        )
        self.store = store
        self.setting = setting
        self.detail = "no database file"
        self.configured = False


class VisibilityLimited(AzoraError):
    """A check that compares two sides refuses to run because the database role
    cannot see every row of a table it reads (row-level security or no SELECT)."""

    def __init__(self, check: str, limits: Sequence[str]) -> None:
        super().__init__(
            f"{check} was not run: {'; '.join(limits)}. Comparing would report rows as "
            "missing that are only hidden from this role. Run it as the tables' owner or a "
            "role with BYPASSRLS and SELECT on them."
        )
        self.check = check
        self.limits = tuple(limits)


class AuthenticationFailed(StoreUnavailable):
    """The server is up but refused the role's credentials."""

    def __init__(self, store: str, setting: str, role: str) -> None:
        super().__init__(store, setting, f"authentication failed for role {role}")
        self.message = (
            f"{store}: authentication failed for role {role!r}. Check the user name and "
            f"password in {setting} (the server is reachable)."
        )
        self.role = role


class DatabaseMissing(StoreUnavailable):
    """The server is up but has no database of the configured name."""

    def __init__(self, store: str, setting: str, database: str) -> None:
        super().__init__(store, setting, f"database {database!r} does not exist")
        self.message = (
            f"{store}: the server has no database {database!r} (the server is reachable). "
            f"Create it (createdb {database}) or point {setting} at one that exists."
        )
        self.database = database


_NO_DATABASE = re.compile(r'database "(?P<database>[^"]*)" does not exist')

_AUTH_FAILED = re.compile(
    r'(?:password|ident|peer|SCRAM|md5)?\s*authentication failed for user "(?P<role>[^"]*)"',
    re.IGNORECASE,
)


def connection_failure(store: str, setting: str, detail: str) -> StoreUnavailable:
    """The error for a failed connection: :class:`AuthenticationFailed` when the server
    refused the credentials, :class:`StoreUnavailable` otherwise."""
    match = _AUTH_FAILED.search(detail)
    if match:
        return AuthenticationFailed(store, setting, match.group("role"))
    if "no password supplied" in detail or "password authentication failed" in detail:
        return AuthenticationFailed(store, setting, "?")
    missing = _NO_DATABASE.search(detail)
    if missing:
        return DatabaseMissing(store, setting, missing.group("database"))
    return StoreUnavailable(store, setting, detail)


class MissingDependency(AzoraError):
    """An optional package needed for a feature is not installed."""

    def __init__(self, package: str, feature: str, extra: str | None = None) -> None:
        hint = f"pip install 'azora-nb[{extra}]'" if extra else f"pip install {package}"
        super().__init__(f"{feature} needs the {package!r} package: {hint}")
        self.package = package
        self.feature = feature


class QueryError(AzoraError):
    """The database rejected a query (syntax, missing table, bad parameter...)."""

    def __init__(self, source: str, detail: str, *, hint: str | None = None) -> None:
        message = f"query on {source} failed: {detail}"
        if hint:
            message += f". {hint}"
        super().__init__(message)
        self.source = source
        self.detail = detail


class SchemaError(AzoraError):
    """A database's schema is missing, out of date or differs from the models."""

    def __init__(
        self, message: str, *, source: str | None = None, revision: str | None = None
    ) -> None:
        super().__init__(message)
        self.source = source
        self.revision = revision


class SchemaMismatch(SchemaError):
    """A database does not hold what a revision describes; ``differences`` says how."""

    def __init__(self, source: str, revision: str, differences: Sequence[object]) -> None:
        listing = "\n".join(f"  - {d}" for d in differences)
        super().__init__(
            f"the {source} database does not match revision {revision}, so it was not "
            f"stamped ({len(differences)} difference(s)):\n{listing}\nFix the database, or "
            "point the source at the right one.",
            source=source,
            revision=revision,
        )
        self.differences = list(differences)


class ReportFailed(AzoraError):
    """A cell of a report notebook raised; the executed notebook was kept for reading."""

    def __init__(
        self,
        *,
        report: str,
        cell_index: int,
        execution_count: int | None,
        first_line: str,
        ename: str,
        evalue: str,
        notebook: object,
    ) -> None:
        where = f"cell {cell_index}" + (f" (In [{execution_count}])" if execution_count else "")
        super().__init__(
            f"report {report!r} failed in {where}, which starts {first_line!r}: "
            f"{ename}: {evalue.rstrip('.')}. The executed notebook, with the traceback, is kept at "
            f"{notebook}"
        )
        self.report = report
        self.cell_index = cell_index
        self.execution_count = execution_count
        self.first_line = first_line
        self.ename = ename
        self.evalue = evalue
        self.notebook = notebook


class SyncError(AzoraError):
    """A sync cannot run as asked."""

    def __init__(self, message: str, *, sync: str | None = None) -> None:
        super().__init__(message)
        self.sync = sync


class UnknownSync(SyncError):
    """A sync name that no definition carries."""

    def __init__(self, sync: str, known: tuple[str, ...]) -> None:
        super().__init__(
            f"no sync named {sync!r}; known: {', '.join(known) or '(none)'}. "
            "See azora-nb sync list.",
            sync=sync,
        )
        self.known = known


class SyncBusy(SyncError):
    """Another run of the same sync holds its lock."""

    def __init__(self, sync: str) -> None:
        super().__init__(
            f"sync {sync!r} is already running elsewhere; wait for it to finish "
            f"or cancel it (azora-nb sync cancel {sync})",
            sync=sync,
        )


class SeedConflict(AzoraError):
    """Demo data is already in a source, from another run (or of unknown origin)."""

    def __init__(self, source: str, detail: str) -> None:
        super().__init__(
            f"{source} already holds data {detail}; nothing was written. "
            "Rerun with --reset (reset=True) to replace it."
        )
        self.source = source


class DestructiveActionRefused(AzoraError):
    """A command would destroy data and was not confirmed (or may never be run here).

    ``losses`` lists what would go, as ``(what, rows)`` pairs."""

    def __init__(
        self,
        action: str,
        losses: Sequence[tuple[str, int]],
        *,
        hint: str | None = None,
        unit: str = "rows",
    ) -> None:
        listing = ", ".join(f"{what} ({rows:,} {unit})" for what, rows in losses)
        super().__init__(
            f"{action} would destroy {listing}; nothing was changed. "
            + (hint or "Rerun with --yes (confirm=True) to go ahead, or --dry-run to list it.")
        )
        self.action = action
        self.losses = list(losses)
