"""The sync engine: incremental, idempotent, resumable moves between SQL sources and
MongoDB, with dead letters, reconciliation and change notices.

Directions: SQL → SQL (consolidation into the ``analysis`` schema next to core),
MongoDB → SQL, SQL → MongoDB. Definitions come from :mod:`azora_nb.sync.definitions`:
the ones shipped with azora-nb (``builtin.toml``), plus ``azora-sync.toml`` (or
``.yaml``) in the project directory, plus any :class:`SyncDefinition` built in Python.

>>> import azora_nb as az
>>> from azora_nb import sync
>>> with az.connect() as ws:                                  # doctest: +SKIP
...     result = sync.run(ws, "mint_knowledge_rewards")
...     print(result.status, result.rows_written, result.reconciliation["ok"])
...     if not result.reconciliation["ok"]:                    # buckets that differ
...         sync.repair(ws, "mint_knowledge_rewards")
succeeded 20000 True
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa

from azora_nb import audit
from azora_nb.exceptions import AzoraError, UnknownSync
from azora_nb.sync import state
from azora_nb.sync.definitions import (
    PROJECT_FILES,
    MongoSource,
    MongoTarget,
    SqlSource,
    SqlTarget,
    SyncDefinition,
    builtin,
    load_file,
)
from azora_nb.sync.runner import (
    Hook,
    RunResult,
    repair_definition,
    replay_definition,
    run_definition,
)
from azora_nb.workspace import Workspace


def definitions(ws: Workspace) -> dict[str, SyncDefinition]:
    """Every sync this workspace knows: the shipped ones, then the project file's
    (which may redefine a shipped name). Mongo-sourced ones are left out when no
    MongoDB is configured."""
    found = dict(builtin())
    project = ws.settings.project_dir
    if project is not None:
        for name in PROJECT_FILES:
            path = project / name
            if path.is_file():
                found.update(load_file(path))
                break
    if ws.settings.mongo.url is None:
        found = {n: d for n, d in found.items() if d.direction == "sql->sql"}
    return found


def get(ws: Workspace, name: str | SyncDefinition) -> SyncDefinition:
    if isinstance(name, SyncDefinition):
        return name
    known = definitions(ws)
    try:
        return known[name]
    except KeyError:
        raise UnknownSync(name, tuple(sorted(known))) from None


def run(
    ws: Workspace,
    name: str | SyncDefinition,
    *,
    full: bool = False,
    progress: bool = True,
    hook: Hook | None = None,
) -> RunResult:
    """Run a sync: incremental from its watermark, or everything with ``full=True``.

    Raises :class:`~azora_nb.exceptions.SyncBusy` when another run holds the lock.
    Bad records do not stop the run: they are counted in ``rows_dead`` and kept in
    the dead-letter table (:func:`dead_letters`, :func:`replay`).
    """
    definition = get(ws, name)
    with _audited(ws, definition, "sync.run", {"full": full}) as entry:
        result = run_definition(ws, definition, full=full, progress=progress, hook=hook)
        _outcome(entry, result)
    return result


def repair(ws: Workspace, name: str | SyncDefinition, *, progress: bool = True) -> RunResult:
    """Compare source and target bucket by bucket and re-sync only the buckets that
    differ: rows missing or changed are merged, and rows gone from the source are
    deleted or tombstoned when the definition's ``deletes`` asks for it. Its
    ``reconciliation`` says what still differs (``ok`` when nothing)."""
    definition = get(ws, name)
    with _audited(ws, definition, "sync.repair", {}) as entry:
        result = repair_definition(ws, definition, progress=progress)
        _outcome(entry, result)
    return result


def replay(ws: Workspace, name: str | SyncDefinition) -> RunResult:
    """Retry the sync's dead letters: re-read those records from the source by key and
    merge the ones that now convert. The others stay dead, with their new reason."""
    definition = get(ws, name)
    with _audited(ws, definition, "sync.replay", {}) as entry:
        result = replay_definition(ws, definition)
        _outcome(entry, result)
    return result


def _audited(
    ws: Workspace, definition: SyncDefinition, action: str, params: dict[str, Any]
) -> AbstractContextManager[audit.Entry]:
    """The audit entry of a run, in the database it writes (its state source)."""
    params = {
        "source": definition.source.describe(),
        "target": definition.target.describe(),
        **params,
    }
    return audit.action(ws, definition.state_source, action, target=definition.name, params=params)


def _outcome(entry: audit.Entry, result: RunResult) -> None:
    entry.rows = result.rows_written + result.rows_deleted
    if result.status == "cancelled":
        entry.outcome = "cancelled"


def dead_letters(
    ws: Workspace, name: str | SyncDefinition, *, status: str | None = "dead"
) -> list[dict[str, Any]]:
    """The sync's dead letters (``status=None`` for every one, replayed included)."""
    definition = get(ws, name)
    with ws.engine(definition.state_source).connect() as conn:
        return state.list_dead(conn, definition.name, status)


def cancel(ws: Workspace, name: str | SyncDefinition) -> int:
    """Ask the running run of a sync to stop after its current page (from any process).
    Returns the number of runs asked (0 when none was running)."""
    definition = get(ws, name)
    with ws.engine(definition.state_source).begin() as conn:
        return state.request_cancel(conn, definition.name)


def history(ws: Workspace, name: str | SyncDefinition, limit: int = 20) -> list[dict[str, Any]]:
    """The latest runs of a sync, newest first."""
    definition = get(ws, name)
    with ws.engine(definition.state_source).connect() as conn:
        return state.runs(conn, definition.name, limit)


def status(ws: Workspace) -> list[dict[str, Any]]:
    """One row per known sync: direction, watermark, last run and open dead letters.
    A sync whose state tables are missing or unreachable shows the error instead."""
    rows = []
    for name, d in sorted(definitions(ws).items()):
        row: dict[str, Any] = {
            "name": name,
            "direction": d.direction,
            "source": d.source.describe(),
            "target": d.target.describe(),
        }
        try:
            with ws.engine(d.state_source).connect() as conn:
                last = state.runs(conn, name, 1)
                row["watermark"] = state.get_watermark(conn, name)
                row["dead_letters"] = len(state.list_dead(conn, name))
        except (AzoraError, sa.exc.SQLAlchemyError) as exc:  # report it: status only looks
            row["error"] = str(exc).splitlines()[0]
            rows.append(row)
            continue
        if last:
            run_row = last[0]
            row.update(
                last_status=run_row["status"],
                last_started=run_row["started_at"],
                last_finished=run_row["finished_at"],
                rows_read=run_row["rows_read"],
                rows_written=run_row["rows_written"],
                rows_dead=run_row["rows_dead"],
                reconciled=(run_row["reconciliation"] or {}).get("ok"),
            )
        rows.append(row)
    return rows


__all__ = [
    "MongoSource",
    "MongoTarget",
    "RunResult",
    "SqlSource",
    "SqlTarget",
    "SyncDefinition",
    "cancel",
    "dead_letters",
    "definitions",
    "get",
    "history",
    "load_file",
    "repair",
    "replay",
    "run",
    "status",
]
