"""The COPY fast path, PostgreSQL to PostgreSQL: pages piped from ``COPY (page query)
TO STDOUT`` on the source into ``COPY … FROM STDIN`` on the target, so that values
never become Python objects.

Into an empty target the pages are copied straight in (a first load, where pages
of one run cannot collide); otherwise, or when a key comes twice, through the
writer's staging table and its merge. Each page commits with the run's state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from azora_nb.sync import convert
from azora_nb.sync.buckets import Scope
from azora_nb.sync.definitions import SqlTarget, SyncDefinition
from azora_nb.sync.page import Page
from azora_nb.sync.resync import Resynced, resync_scope
from azora_nb.sync.runstate import RunState
from azora_nb.sync.sources import Reader, SqlReader
from azora_nb.sync.writers import SqlWriter
from azora_nb.workspace import Workspace

log = logging.getLogger("azora_nb")

Row = tuple[Any, ...]
_PIPE_CHUNK = 1 << 20


class KeyCollision(Exception):
    """A key already in the target during a first load: go back to merging."""


@dataclass
class PipedPage:
    rows: int
    written: int
    last: Row | None = None
    last_line: bytes | None = None


def can_pipe(ws: Workspace, definition: SyncDefinition, reader: Reader) -> bool:
    """PostgreSQL to PostgreSQL, a table keyed by its primary key, no conversions and
    the same collation on both sides (the page's last key is found in the target)."""
    target = definition.target
    if not (
        isinstance(reader, SqlReader)
        and isinstance(target, SqlTarget)
        and not definition.types
        and reader.engine.dialect.name == "postgresql"
        and ws.engine(target.source).dialect.name == "postgresql"
        and reader.key_is_primary_key()
    ):
        return False
    query = sa.text("SELECT datcollate FROM pg_database WHERE datname = current_database()")
    collations = set()
    for engine in (reader.engine, ws.engine(target.source)):
        with engine.connect() as c:
            collations.add(c.execute(query).scalar())
    return len(collations) == 1


class CopyPhase:
    """Runs the phases of one run through COPY; ``widen`` tracks the key range written."""

    def __init__(
        self,
        definition: SyncDefinition,
        reader: SqlReader,
        writer: SqlWriter,
        run: RunState,
    ) -> None:
        self.d = definition
        self.reader = reader
        self.writer = writer
        self.run = run
        self.direct = writer.is_empty()

    def __call__(
        self,
        conn: sa.Connection,
        phase: str,
        lower: Any,
        watermark: Any,
        update: Callable[[int], Any],
        scope: Scope | None = None,
    ) -> Any:
        r = self.run.result
        order = self.reader.order(phase)
        last: Row | None = None
        with self.reader.engine.connect() as source:
            while True:
                sql, params = self.reader.driver_sql(
                    self.reader.page_statement(phase, lower, self.d.batch_rows, last, scope)
                )
                try:
                    with conn.begin():
                        page = pipe_page(
                            self.writer, conn, source, sql, params, order, direct=self.direct
                        )
                        source.rollback()
                        if not page.rows:
                            break
                        if page.last_line is not None:
                            page.last = self.reader.position_from_copy_line(page.last_line, order)
                        r.rows_read += page.rows
                        r.rows_written += page.written
                        self.run.stage("written")
                        if phase == "cursor" and page.last is not None:
                            watermark = convert.later(watermark, page.last[0])
                        self.run.save(
                            conn,
                            Page(
                                watermark=convert.encode_watermark(watermark)
                                if phase == "cursor"
                                else None
                            ),
                        )
                except KeyCollision:
                    log.info(
                        "sync %s: a key came twice during the first load; merging from here on",
                        self.d.name,
                    )
                    source.rollback()
                    self.direct = False
                    continue
                last = page.last
                update(page.rows)
                if self.run.page_done(conn) or page.rows < self.d.batch_rows:
                    break
        return watermark

    def resync(self, conn: sa.Connection, scope: Scope, *, binary: bool) -> Resynced:
        """Bring the target's rows in ``scope`` to the source's, set-based on the
        target (:mod:`azora_nb.sync.resync`), in one transaction with the run's
        state. ``binary``: the columns have the same types on both sides."""
        r = self.run.result
        stmt = self.reader.page_statement("all", None, 1, None, scope).limit(None).order_by(None)
        sql, params = self.reader.driver_sql(stmt)
        with self.reader.engine.connect() as source:
            try:
                with conn.begin():
                    done = resync_scope(
                        self.writer,
                        conn,
                        source,
                        sql,
                        params,
                        scope,
                        hard_deletes=self.d.deletes == "hard",
                        binary=binary,
                    )
                    r.rows_read += done.read
                    r.rows_written += done.written
                    r.rows_deleted += done.deleted
                    self.run.stage("written")
                    self.run.save(conn, Page())
            finally:
                source.rollback()
        self.run.page_done(conn)
        return done


def pipe_page(
    writer: SqlWriter,
    conn: sa.Connection,
    source: sa.Connection,
    sql: str,
    params: dict[str, Any],
    order: list[str],
    *,
    direct: bool = False,
) -> PipedPage:
    """PostgreSQL to PostgreSQL without Python values: ``COPY (page query) TO STDOUT``
    on the source piped into ``COPY staging FROM STDIN``, then the merge.

    ``direct`` copies into the target itself, for the first load into an empty
    table, where pages of one run cannot collide (a key read twice because it
    changed during the run raises a unique violation: the caller then goes back
    to staging). The page's last position then comes from its last COPY line."""
    src_driver = source.connection.driver_connection
    assert src_driver is not None
    prep = writer.engine.dialect.identifier_preparer
    into_table = prep.format_table(writer.table) if direct else prep.quote(writer.staging)
    cols = ", ".join(prep.quote(c) for c in writer.columns)
    from psycopg.errors import UniqueViolation

    with writer.stage_cursor(conn) as cur:
        try:
            with (
                src_driver.cursor() as scur,
                scur.copy(f"COPY ({sql}) TO STDOUT", params) as out,
                cur.copy(f"COPY {into_table} ({cols}) FROM STDIN") as into,
            ):
                buffer = bytearray()
                block: Any = b""
                for block in out:  # one block per row: write in larger chunks
                    buffer += block
                    if len(buffer) >= _PIPE_CHUNK:
                        into.write(buffer)
                        buffer = bytearray()
                if buffer:
                    into.write(buffer)
        except UniqueViolation as exc:
            if direct:
                raise KeyCollision(str(exc)) from exc
            raise
        n = cur.rowcount
        if not n:
            return PipedPage(0, 0)
        if direct:
            return PipedPage(n, n, last_line=bytes(block))
        stage = prep.quote(writer.staging)

        def ordered(names: list[str], direction: str) -> Row:
            by = ", ".join(f"{prep.quote(c)} {direction}" for c in names)
            cur.execute(
                f"SELECT {', '.join(prep.quote(c) for c in names)} FROM {stage} "
                f"ORDER BY {by} LIMIT 1"
            )
            return tuple(cur.fetchone())

        last = ordered(order, "DESC")
    return PipedPage(n, writer.merge_stage(conn), last)
