"""The audit trail: who did what to which database, when, with what outcome.

Every command that changes a database's data or schema (sync runs, report
runs, migrations, cache clears, demo resets) records one entry in that
database's ``azora_nb_audit`` table: the database role, OS user and host, the
action and its target, the parameters with secrets masked, start and end,
the outcome and the rows affected.

>>> from azora_nb import audit
>>> with audit.action(ws, "core", "sync.run", target="ledger") as entry:  # doctest: +SKIP
...     entry.rows = copy_rows()

Recording never fails the work it records. When the database cannot take
the entry (a read-only role, a database without the toolkit's tables, a
server that went away), it goes to ``$AZORA_HOME/audit.jsonl`` with a warning.
``azora-nb log`` shows both.
"""

from __future__ import annotations

import getpass
import json
import logging
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from azora_nb.settings import mask_secrets, mask_url

if TYPE_CHECKING:
    from azora_nb.workspace import Workspace

log = logging.getLogger("azora_nb")

TABLE = "azora_nb_audit"
LOCAL_FILE = "audit.jsonl"
_SECRET_WORDS = ("password", "passwd", "pwd", "secret", "token", "key", "credential")


@dataclass
class Entry:
    """One audit record; ``rows`` and ``outcome`` are filled in as the work goes."""

    source: str
    action: str
    target: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    outcome: str = "ok"
    error: str | None = None
    rows: int | None = None
    db_role: str | None = None
    os_user: str = field(default_factory=lambda: _os_user())
    host: str = field(default_factory=socket.gethostname)
    stored: str = "database"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("started_at", "finished_at"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        return data


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return "?"


def mask_parameters(params: Mapping[str, Any], secrets: tuple[str, ...] = ()) -> dict[str, Any]:
    """Parameters as recorded: values of secret-looking names become ``***``, URLs lose
    their passwords, and known secrets are masked anywhere.

    >>> mask_parameters({"db_password": "x", "url": "postgresql://a:b@h/d", "n": 3})
    {'db_password': '***', 'url': 'postgresql://a:***@h/d', 'n': 3}
    """
    masked: dict[str, Any] = {}
    for name, value in params.items():
        if any(word in name.lower() for word in _SECRET_WORDS):
            masked[name] = "***"
        elif isinstance(value, str):
            masked[name] = mask_secrets(mask_url(value) or "", secrets)
        elif isinstance(value, list | tuple):
            masked[name] = [
                mask_secrets(mask_url(v) or "", secrets) if isinstance(v, str) else v for v in value
            ]
        elif isinstance(value, int | float | bool) or value is None:
            masked[name] = value
        else:
            masked[name] = mask_secrets(str(value), secrets)
    return masked


@contextmanager
def action(
    ws: Workspace,
    source: str,
    name: str,
    *,
    target: str | None = None,
    params: Mapping[str, Any] | None = None,
) -> Iterator[Entry]:
    """Record the work done inside the ``with`` block as action ``name`` on ``source``.

    The outcome is ``ok``, ``failed`` (with the error's message) or ``interrupted``;
    the exception, if any, propagates unchanged.
    """
    entry = Entry(
        source=source,
        action=name,
        target=target,
        parameters=mask_parameters(params or {}, ws.settings.secrets()),
    )
    try:
        yield entry
    except KeyboardInterrupt:
        entry.outcome = "interrupted"
        _finish(ws, entry)
        raise
    except BaseException as exc:
        entry.outcome = "failed"
        entry.error = mask_secrets(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        _finish(ws, entry)
        raise
    _finish(ws, entry)


def record(
    ws: Workspace,
    source: str,
    name: str,
    *,
    target: str | None = None,
    params: Mapping[str, Any] | None = None,
    outcome: str = "ok",
    error: str | None = None,
    rows: int | None = None,
    started_at: datetime | None = None,
) -> Entry:
    """Record an action that has already happened (one call, no ``with`` block)."""
    entry = Entry(
        source=source,
        action=name,
        target=target,
        parameters=mask_parameters(params or {}, ws.settings.secrets()),
        outcome=outcome,
        error=mask_secrets(error, ws.settings.secrets()) if error else None,
        rows=rows,
    )
    if started_at is not None:
        entry.started_at = started_at
    _finish(ws, entry)
    return entry


class _NoTable(Exception):
    """The database has no audit table (not built yet, or downgraded below it)."""


def _finish(ws: Workspace, entry: Entry) -> None:
    entry.finished_at = datetime.now(UTC)
    quiet = False
    try:
        _store_in_database(ws, entry)
        return
    except _NoTable:
        quiet, reason = True, f"it has no {TABLE} table"
    except Exception as exc:  # read-only role, server gone: keep it locally
        reason = str(getattr(exc, "orig", None) or exc) or repr(exc)
        reason = mask_secrets(reason.strip().splitlines()[0], ws.settings.secrets())
    entry.stored = "local"
    path = ws.home / LOCAL_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(entry.to_dict(), default=str) + "\n")
    except OSError as exc:
        log.warning(
            "the audit entry for %s on %s was lost: %s could not take it (%s), nor %s (%s)",
            entry.action,
            entry.source,
            entry.source,
            reason,
            path,
            exc,
        )
        return
    (log.info if quiet else log.warning)(
        "%s could not record the audit entry for %s (%s); kept it in %s instead",
        entry.source,
        entry.action,
        reason,
        path,
    )


def _store_in_database(ws: Workspace, entry: Entry) -> None:
    from azora_nb.schema.toolkit import audit as table

    engine = ws.engine(entry.source)
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(TABLE):
            raise _NoTable(TABLE)
        if conn.dialect.name == "postgresql":
            entry.db_role = str(conn.exec_driver_sql("select current_user").scalar())
        values = {
            "started_at": entry.started_at,
            "finished_at": entry.finished_at,
            "action": entry.action,
            "target": entry.target,
            "parameters": entry.parameters,
            "outcome": entry.outcome,
            "error": entry.error,
            "rows_affected": entry.rows,
            "db_role": entry.db_role,
            "os_user": entry.os_user,
            "host": entry.host,
        }
        conn.execute(sa.insert(table).values(**values))
        conn.commit()


def read_table(conn: sa.Connection, source: str) -> list[Entry]:
    """Every entry of ``source``'s audit table, read on ``conn``."""
    from azora_nb.schema.toolkit import audit as table

    rows = conn.execute(sa.select(table).order_by(table.c.id)).mappings()
    return [_from_row(source, dict(row)) for row in rows]


def keep_locally(ws: Workspace, kept: list[Entry]) -> None:
    """Append entries to the local file: the trail of a database whose audit table is
    being dropped (a downgrade) survives it."""
    if not kept:
        return
    path = ws.home / LOCAL_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        for entry in kept:
            entry.stored = "local"
            out.write(json.dumps(entry.to_dict(), default=str) + "\n")
    log.info("kept %d audit entries of %s in %s", len(kept), kept[0].source, path)


def entries(ws: Workspace, sources: tuple[str, ...] | None = None, limit: int = 20) -> list[Entry]:
    """The newest ``limit`` entries of ``sources`` (default: every source), from the
    databases and the local file, newest first. A database that cannot be read is
    skipped with a warning."""
    from azora_nb.schema.toolkit import audit as table

    chosen = sources or ws.sources
    found: list[Entry] = []
    for source in chosen:
        try:
            with ws.engine(source).connect() as conn:
                if not sa.inspect(conn).has_table(TABLE):
                    continue
                rows = conn.execute(
                    sa.select(table).order_by(table.c.started_at.desc()).limit(limit)
                ).mappings()
                found.extend(_from_row(source, dict(row)) for row in rows)
        except sa.exc.DBAPIError as exc:
            detail = mask_secrets(
                str(exc.orig or exc).strip().splitlines()[0], ws.settings.secrets()
            )
            log.warning("could not read the audit trail of %s: %s", source, detail)
    found.extend(e for e in _local_entries(ws.home) if e.source in chosen)
    found.sort(key=lambda e: e.started_at, reverse=True)
    return found[:limit]


def _from_row(source: str, row: Mapping[str, Any]) -> Entry:
    return Entry(
        source=source,
        action=row["action"],
        target=row["target"],
        parameters=dict(row["parameters"] or {}),
        started_at=_utc(row["started_at"]),
        finished_at=_utc(row["finished_at"]) if row["finished_at"] else None,
        outcome=row["outcome"],
        error=row["error"],
        rows=row["rows_affected"],
        db_role=row["db_role"],
        os_user=row["os_user"] or "?",
        host=row["host"] or "?",
    )


def _local_entries(home: Path) -> Iterator[Entry]:
    path = home / LOCAL_FILE
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            data = json.loads(line)
            data["started_at"] = _utc(datetime.fromisoformat(data["started_at"]))
            if data.get("finished_at"):
                data["finished_at"] = _utc(datetime.fromisoformat(data["finished_at"]))
            yield Entry(**data)
        except (ValueError, TypeError, KeyError):
            log.warning("skipped an unreadable line in %s", path)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


__all__ = ["Entry", "action", "entries", "mask_parameters", "record"]
