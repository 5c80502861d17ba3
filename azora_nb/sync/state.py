"""Sync state in the toolkit tables, and the lock that keeps runs from overlapping.

The tables (:mod:`azora_nb.schema.toolkit`) live in the definition's *state
source*: the target database for SQL targets, so that a page of rows, its
dead letters, the run's counters and the new watermark commit in one
transaction; the source database for SQL → Mongo.

- ``azora_nb_sync_state``: the watermark (JSON ``{"type", "value"}``) per sync.
- ``azora_nb_sync_runs``: one row per run. A cancel request sets a running
  row's status to ``cancelled`` with no ``finished_at``; the run sees it
  between pages, stops, and sets ``finished_at``.
- ``azora_nb_dead_letters``: records that could not be written, status
  ``dead`` until a replay writes them (``replayed``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from azora_nb.exceptions import SchemaError, SyncBusy
from azora_nb.schema.toolkit import dead_letters, sync_runs, sync_state
from azora_nb.sync.convert import utcnow
from azora_nb.sync.definitions import SyncDefinition
from azora_nb.workspace import Workspace

TABLES = (sync_state, sync_runs, dead_letters)


def check_tables(engine: sa.Engine, source: str) -> None:
    inspector = sa.inspect(engine)
    missing = [t.name for t in TABLES if not inspector.has_table(t.name)]
    if missing:
        raise SchemaError(
            f"the sync tables {', '.join(missing)} are missing in {source}; "
            f"run azora-nb db upgrade",
            source=source,
        )


# -- watermark -----------------------------------------------------------------


def get_watermark(conn: sa.Connection, name: str) -> Any:
    row = conn.execute(
        sa.select(sync_state.c.watermark).where(sync_state.c.sync_name == name)
    ).first()
    return None if row is None else row[0]


def set_watermark(conn: sa.Connection, name: str, watermark: Any, run_id: str) -> None:
    values = {"watermark": watermark, "updated_at": utcnow(), "last_run_id": run_id}
    done = conn.execute(
        sa.update(sync_state).where(sync_state.c.sync_name == name).values(**values)
    )
    if not done.rowcount:
        conn.execute(sa.insert(sync_state).values(sync_name=name, **values))


def reset(conn: sa.Connection, name: str) -> None:
    conn.execute(sa.delete(sync_state).where(sync_state.c.sync_name == name))


# -- runs ------------------------------------------------------------------------


def start_run(conn: sa.Connection, name: str, run_id: str, watermark: Any) -> None:
    conn.execute(
        sa.insert(sync_runs).values(
            run_id=run_id,
            sync_name=name,
            status="running",
            started_at=utcnow(),
            watermark_before=watermark,
        )
    )


def mark_abandoned(conn: sa.Connection, name: str) -> int:
    """Close the runs of ``name`` left 'running' by a process that died. Only called
    while holding the lock, so none of them can still be alive."""
    result = conn.execute(
        sa.update(sync_runs)
        .where(sync_runs.c.sync_name == name, sync_runs.c.finished_at.is_(None))
        .values(
            status=sa.case((sync_runs.c.status == "running", "failed"), else_=sync_runs.c.status),
            finished_at=utcnow(),
            error=sa.func.coalesce(
                sync_runs.c.error,
                "the process ended before the run finished; the next run resumed it",
            ),
        )
    )
    return int(result.rowcount or 0)


def progress(
    conn: sa.Connection, run_id: str, read: int, written: int, dead: int, watermark: Any
) -> None:
    conn.execute(
        sa.update(sync_runs)
        .where(sync_runs.c.run_id == run_id)
        .values(rows_read=read, rows_written=written, rows_dead=dead, watermark_after=watermark)
    )


def cancel_requested(conn: sa.Connection, run_id: str) -> bool:
    status = conn.execute(
        sa.select(sync_runs.c.status).where(sync_runs.c.run_id == run_id)
    ).scalar()
    return status == "cancelled"


def request_cancel(conn: sa.Connection, name: str) -> int:
    result = conn.execute(
        sa.update(sync_runs)
        .where(
            sync_runs.c.sync_name == name,
            sync_runs.c.status == "running",
            sync_runs.c.finished_at.is_(None),
        )
        .values(status="cancelled")
    )
    return int(result.rowcount or 0)


def finish_run(
    conn: sa.Connection,
    run_id: str,
    status: str,
    *,
    reconciliation: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    conn.execute(
        sa.update(sync_runs)
        .where(sync_runs.c.run_id == run_id)
        .values(status=status, finished_at=utcnow(), reconciliation=reconciliation, error=error)
    )


def runs(conn: sa.Connection, name: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    stmt = sa.select(sync_runs).order_by(sync_runs.c.started_at.desc()).limit(limit)
    if name is not None:
        stmt = stmt.where(sync_runs.c.sync_name == name)
    return [dict(r._mapping) for r in conn.execute(stmt)]


def last_reconciliation(conn: sa.Connection, name: str) -> dict[str, Any] | None:
    """The reconciliation record of the latest run of ``name`` that has bucket bounds."""
    stmt = (
        sa.select(sync_runs.c.run_id, sync_runs.c.reconciliation)
        .where(sync_runs.c.sync_name == name, sync_runs.c.reconciliation.is_not(None))
        .order_by(sync_runs.c.started_at.desc())
        .limit(20)
    )
    for run_id, record in conn.execute(stmt):
        if isinstance(record, str):
            record = json.loads(record)
        if isinstance(record, dict) and "bounds" in record:
            return {**record, "run_id": run_id}
    return None


def previous_run(conn: sa.Connection, name: str, run_id: str) -> dict[str, Any] | None:
    """The run of ``name`` just before ``run_id`` (None when there is none, or when two
    runs started at the same instant, so that which came last is unknown)."""
    stmt = (
        sa.select(sync_runs.c.run_id, sync_runs.c.status, sync_runs.c.started_at)
        .where(sync_runs.c.sync_name == name, sync_runs.c.run_id != run_id)
        .order_by(sync_runs.c.started_at.desc())
        .limit(2)
    )
    rows = [dict(r._mapping) for r in conn.execute(stmt)]
    if not rows or (len(rows) == 2 and rows[0]["started_at"] == rows[1]["started_at"]):
        return None
    return rows[0]


# -- dead letters ------------------------------------------------------------------


def key_text(key: tuple[Any, ...]) -> str:
    return json.dumps(list(key), default=str)


def add_dead(
    conn: sa.Connection,
    name: str,
    run_id: str,
    items: list[tuple[tuple[Any, ...] | None, str, dict[str, Any]]],
) -> None:
    """Record dead letters: (key or None when the key is missing, reason, record).
    A key already dead for this sync gets its reason and record refreshed."""
    if not items:
        return
    keyed = [key_text(k) for k, _, _ in items if k is not None]
    if keyed:
        conn.execute(
            sa.delete(dead_letters).where(
                dead_letters.c.sync_name == name,
                dead_letters.c.status == "dead",
                dead_letters.c.record_key.in_(keyed),
            )
        )
    conn.execute(
        sa.insert(dead_letters),
        [
            {
                "sync_name": name,
                "run_id": run_id,
                "record_key": None if k is None else key_text(k),
                "reason": reason,
                "record": record,
                "created_at": utcnow(),
                "status": "dead",
            }
            for k, reason, record in items
        ],
    )


def list_dead(conn: sa.Connection, name: str, status: str | None = "dead") -> list[dict[str, Any]]:
    stmt = (
        sa.select(dead_letters).where(dead_letters.c.sync_name == name).order_by(dead_letters.c.id)
    )
    if status is not None:
        stmt = stmt.where(dead_letters.c.status == status)
    return [dict(r._mapping) for r in conn.execute(stmt)]


def mark_replayed(conn: sa.Connection, name: str, keys: list[str]) -> None:
    if keys:
        conn.execute(
            sa.update(dead_letters)
            .where(
                dead_letters.c.sync_name == name,
                dead_letters.c.status == "dead",
                dead_letters.c.record_key.in_(keys),
            )
            .values(status="replayed", replayed_at=utcnow())
        )


def dead_keys(conn: sa.Connection, name: str) -> set[str]:
    return {
        r[0]
        for r in conn.execute(
            sa.select(dead_letters.c.record_key).where(
                dead_letters.c.sync_name == name,
                dead_letters.c.status == "dead",
                dead_letters.c.record_key.is_not(None),
            )
        )
    }


# -- lock ----------------------------------------------------------------------------


def _lock_id(name: str) -> int:
    digest = hashlib.blake2b(f"azora_nb.sync:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def lock(ws: Workspace, definition: SyncDefinition) -> Iterator[None]:
    """Hold the sync's lock for the duration, or raise :class:`SyncBusy` at once.

    PostgreSQL: ``pg_try_advisory_lock`` on a connection kept open for the run (the
    server frees it if the process dies). SQLite: a lock file under ``<home>/locks``
    (the OS frees it if the process dies)."""
    engine = ws.engine(definition.state_source)
    if engine.dialect.name == "postgresql":
        key = _lock_id(definition.name)
        with engine.connect() as conn:
            got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            conn.commit()
            if not got:
                raise SyncBusy(definition.name)
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
        return
    from filelock import FileLock, Timeout

    directory = ws.home / "locks"
    directory.mkdir(parents=True, exist_ok=True)
    file_lock = FileLock(str(directory / f"sync-{definition.name}.lock"))
    try:
        file_lock.acquire(timeout=0)
    except Timeout:
        raise SyncBusy(definition.name) from None
    try:
        yield
    finally:
        file_lock.release()
