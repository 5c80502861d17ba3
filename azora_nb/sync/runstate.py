"""A run's record in the state tables: opened under the lock, updated with each
committed page (counters, dead letters, watermark), closed as succeeded, cancelled
or failed. The test hook is called from here at each stage of a page."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa

from azora_nb.sync import convert, state
from azora_nb.sync.definitions import SyncDefinition
from azora_nb.sync.page import Page

Hook = Callable[[str, int], None]
"""Test hook: called as ``hook(stage, page)`` with stage ``written`` (page merged, not
yet committed), ``data-committed`` (rows committed, watermark not yet: only where they
commit apart) and ``committed``; raising in it simulates a crash at that point."""


@dataclass
class RunResult:
    """What a run did. ``status`` is succeeded, cancelled or failed."""

    name: str
    run_id: str
    status: str = "running"
    rows_read: int = 0
    rows_written: int = 0
    rows_deleted: int = 0
    rows_dead: int = 0
    pages: int = 0
    watermark_before: Any = None
    watermark_after: Any = None
    reconciliation: dict[str, Any] | None = None
    tables_written: list[str] = field(default_factory=list)
    notices: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dict(convert.to_jsonable(asdict(self)))


class RunState:
    """The state side of one run; ``result`` holds its counters."""

    def __init__(self, definition: SyncDefinition, hook: Hook | None = None) -> None:
        self.definition = definition
        self.hook = hook
        self.result = RunResult(definition.name, uuid.uuid4().hex)
        self.started = time.monotonic()

    @property
    def run_id(self) -> str:
        return self.result.run_id

    def open(self, conn: sa.Connection, *, with_watermark: bool = True) -> Any:
        """Close runs a dead process left open, record this one as running and
        return the stored watermark (encoded)."""
        name = self.definition.name
        with conn.begin():
            state.mark_abandoned(conn, name)
            raw = state.get_watermark(conn, name) if with_watermark else None
            state.start_run(conn, name, self.run_id, raw)
        self.result.watermark_before = raw
        return raw

    def stage(self, stage: str) -> None:
        if self.hook is not None:
            self.hook(stage, self.result.pages)

    def save(self, conn: sa.Connection, page: Page) -> None:
        """Store the page's dead letters, the run's counters and the new watermark,
        in the caller's transaction."""
        r = self.result
        r.rows_dead += len(page.dead)
        state.add_dead(conn, self.definition.name, self.run_id, page.dead)
        if page.watermark is not None:
            state.set_watermark(conn, self.definition.name, page.watermark, self.run_id)
        state.progress(
            conn,
            self.run_id,
            r.rows_read,
            r.rows_written,
            r.rows_dead,
            page.watermark if page.watermark is not None else r.watermark_before,
        )

    def save_watermark(self, conn: sa.Connection, watermark: Any) -> None:
        if watermark is None:
            return
        with conn.begin():
            state.set_watermark(conn, self.definition.name, watermark, self.run_id)

    def page_done(self, conn: sa.Connection) -> bool:
        """Hook, page count and the cancel check after a committed page; True to stop."""
        self.stage("committed")
        self.result.pages += 1
        cancelled = state.cancel_requested(conn, self.run_id)
        conn.rollback()
        if cancelled:
            self.result.status = "cancelled"
        return cancelled

    def finish(self, conn: sa.Connection, status: str) -> None:
        self.result.status = status
        with conn.begin():
            state.finish_run(conn, self.run_id, status, reconciliation=self.result.reconciliation)

    def fail(self, conn: sa.Connection, exc: BaseException) -> None:
        """Close this run's history row as failed (the page in flight is rolled back)."""
        self.result.status = "failed"
        conn.rollback()
        with conn.begin():
            state.finish_run(
                conn, self.run_id, "failed", error=f"{type(exc).__name__}: {exc}"[:2000]
            )

    def stop_clock(self) -> None:
        self.result.seconds = time.monotonic() - self.started
