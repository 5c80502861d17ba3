"""The SQLite fast path: the source file attached to the target's connection, so that
each page moves by one ``INSERT … SELECT … ON CONFLICT DO UPDATE`` inside SQLite and
values never become Python objects.

Taken when both sides are SQLite, the source is a table keyed by its primary key with
no NULL keys, and no column is converted (``types``). A page's last position is read
first from the source's ordering index (``LIMIT 1 OFFSET batch_rows - 1``), then the
page moves bounded by it, so no row is copied twice; the merge writes only rows whose
values differ, like the other writers. The rows
commit, then the page's state (an attached target file commits apart from core's).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from azora_nb.sync import convert
from azora_nb.sync.buckets import Scope
from azora_nb.sync.definitions import SqlTarget, SyncDefinition
from azora_nb.sync.page import Page
from azora_nb.sync.runstate import RunState
from azora_nb.sync.sources import Reader, SqlReader
from azora_nb.sync.writers import SqlWriter
from azora_nb.workspace import Workspace

ALIAS = "azora_sync_src"


def can_attach(ws: Workspace, definition: SyncDefinition, reader: Reader) -> bool:
    target = definition.target
    if not (
        isinstance(reader, SqlReader)
        and isinstance(target, SqlTarget)
        and not definition.types
        and reader.engine.dialect.name == "sqlite"
        and ws.engine(target.source).dialect.name == "sqlite"
        and reader.engine.url.database not in (None, "", ":memory:")
        and reader.key_is_primary_key()
    ):
        return False
    keys = [reader.relation.c[k] for k in definition.key]
    stmt = sa.select(sa.literal(1)).where(sa.or_(*[k.is_(None) for k in keys])).limit(1)
    with reader.engine.connect() as conn:
        return conn.execute(stmt).first() is None


class AttachPhase:
    """Runs the phases of one run inside SQLite."""

    def __init__(
        self, definition: SyncDefinition, reader: SqlReader, writer: SqlWriter, run: RunState
    ) -> None:
        self.d = definition
        self.reader = reader.in_schema(ALIAS)
        self.path = str(reader.engine.url.database)
        self.writer = writer
        self.run = run

    def __call__(
        self,
        conn: sa.Connection,
        phase: str,
        lower: Any,
        watermark: Any,
        update: Callable[[int], Any],
        scope: Scope | None = None,
    ) -> Any:
        conn.exec_driver_sql(f"ATTACH DATABASE ? AS {ALIAS}", (self.path,))
        conn.commit()
        try:
            return self._pages(conn, phase, lower, watermark, update, scope)
        finally:
            conn.rollback()
            conn.exec_driver_sql(f"DETACH DATABASE {ALIAS}")
            conn.commit()

    def _pages(
        self,
        conn: sa.Connection,
        phase: str,
        lower: Any,
        watermark: Any,
        update: Callable[[int], Any],
        scope: Scope | None,
    ) -> Any:
        """Each page is one ``INSERT … SELECT`` from the attached source, bounded by
        its last position, which the ordering index gives before the page is read."""
        r = self.run.result
        order = [self.reader.column(c) for c in self.reader.order(phase)]
        batch = self.d.batch_rows
        last: tuple[Any, ...] | None = None
        while True:
            with conn.begin():
                end = conn.execute(self.reader.page_end(phase, lower, batch, last, scope)).first()
                page = self.reader.page_statement(
                    phase, lower, None, last, scope, upto=None if end is None else tuple(end)
                )
                if end is None:  # the last page: fewer rows than a page
                    tail = conn.execute(page.with_only_columns(*order)).all()
                    if not tail:
                        break
                    rows, position = len(tail), tuple(tail[-1])
                else:
                    rows, position = batch, tuple(end)
                merge = self.writer.upsert_from(page.where(sa.true()))
                r.rows_read += rows
                r.rows_written += int(conn.execute(merge).rowcount or 0)
                self.run.stage("written")
            self.run.stage("data-committed")
            last = position
            if phase == "cursor":
                watermark = convert.later(watermark, self._typed_cursor(last[0]))
            with conn.begin():
                self.run.save(
                    conn,
                    Page(
                        watermark=convert.encode_watermark(watermark) if phase == "cursor" else None
                    ),
                )
            update(rows)
            if self.run.page_done(conn) or end is None:
                break
        return watermark

    def _typed_cursor(self, raw: Any) -> Any:
        """The cursor value as stored (text for a timestamp) made a Python value."""
        assert self.d.cursor is not None
        kind = self.reader.kinds.get(self.d.cursor)
        if isinstance(raw, str) and kind in ("timestamp", "date"):
            return convert.converter(kind)(raw)
        return raw
