"""The run loop: pages in, dead letters out, state committed with the data.

One run: take the lock; close runs left behind by a dead process; read the
watermark; read pages from ``watermark - lag`` (everything on ``full`` runs);
for each page convert the values, send the bad records to the dead-letter
table, merge the rest and, in the same transaction where the target is SQL,
store the dead letters, the run's counters and the new watermark; then check
for a cancel request. After the last page: reconcile, tell the cache about
the tables written. Killing a run anywhere loses nothing: the next one starts
from the last committed watermark and merges are idempotent.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa

from azora_nb.sync import convert, state
from azora_nb.sync.copy_path import CopyPhase, can_pipe
from azora_nb.sync.definitions import SyncDefinition
from azora_nb.sync.page import PageChecker
from azora_nb.sync.reconcile import reconcile
from azora_nb.sync.runstate import Hook, RunResult, RunState
from azora_nb.sync.sources import Reader, SqlReader, make_reader
from azora_nb.sync.writers import SqlWriter, Writer, existing_columns, make_writer
from azora_nb.workspace import Workspace

log = logging.getLogger("azora_nb")

Row = tuple[Any, ...]
Step = Callable[[sa.Connection, str, Any, Any, Callable[[int], Any]], Any]

__all__ = ["Hook", "RunResult", "replay_definition", "run_definition"]


class Run:
    """One run of one definition, under its lock (taken by the caller)."""

    def __init__(self, ws: Workspace, definition: SyncDefinition, hook: Hook | None) -> None:
        self.ws = ws
        self.d = definition
        self.state = RunState(definition, hook)
        self.result = self.state.result
        self.state_engine = ws.engine(definition.state_source)
        self.reader: Reader = make_reader(ws, definition)
        self.reader.adopt(existing_columns(ws, definition))
        self.writer: Writer | None = None
        self.checker: PageChecker | None = None
        self.src_range: list[Row] = []
        self.tgt_range: list[Row] = []

    # -- setup, once the first page has fixed the columns -------------------------------
    def prepare(self, first: list[Row] | None = None) -> Writer:
        """Make the writer (and the target table). Columns of unknown kind (a query's,
        when ``types`` does not name them) take the kind of their first page's values."""
        columns = self.reader.columns
        kinds = self.reader.kinds
        for i, c in enumerate(columns):
            if kinds.get(c) is None and first:
                kinds[c] = convert.infer_kind([row[i] for row in first])
        types = dict(self.reader.types)
        for c in columns:
            if c not in types:
                types[c] = convert.sa_type(kinds.get(c) or "text")
        writer = make_writer(self.ws, self.d, columns, types, self.result.run_id)
        writer.ensure_table()
        declared = set(self.d.types)
        converters = [
            (i, convert.converter(kinds.get(c) or "text"))
            for i, c in enumerate(columns)
            if not (self.reader.native and c not in declared)  # already of its kind
        ]
        self.checker = PageChecker(columns, self.d.key, converters)
        self.writer = writer
        return writer

    # -- pages ----------------------------------------------------------------------------
    def phases(self, watermark: Any, full: bool) -> Iterator[tuple[str, Any]]:
        if not self.d.incremental:
            yield "all", None
            return
        yield "cursor", None if full else convert.lower_bound(watermark, self.d.lag)
        if full or self.d.include_null_cursor:
            yield "null", None

    def rows_phase(
        self,
        conn: sa.Connection,
        phase: str,
        lower: Any,
        watermark: Any,
        update: Callable[[int], Any],
    ) -> Any:
        """Pages as Python rows: converted, checked, merged by the writer."""
        cursor_idx = None
        for rows in self.reader.pages(phase, lower, self.d.batch_rows):
            writer = self.writer or self.prepare(rows)
            assert self.checker is not None
            if self.d.cursor and phase == "cursor":
                cursor_idx = self.reader.columns.index(self.d.cursor)
            self.result.rows_read += len(rows)
            page = self.checker.check(rows)
            if cursor_idx is not None:
                watermark = convert.later(watermark, rows[-1][cursor_idx])
                page.watermark = convert.encode_watermark(watermark)
            writer.write_page(conn, page, self.state)
            if page.good:
                keys = [self.checker.key_of(row) for row in page.good]
                self.widen(min(page.raw_keys), max(page.raw_keys), min(keys), max(keys))
            update(len(rows))
            if self.state.page_done(conn):
                break
        return watermark

    def widen(self, src_lo: Row, src_hi: Row, tgt_lo: Row, tgt_hi: Row) -> None:
        for bounds, lo, hi in ((self.src_range, src_lo, src_hi), (self.tgt_range, tgt_lo, tgt_hi)):
            if not bounds:
                bounds.extend([lo, hi])
            else:
                bounds[0], bounds[1] = min(bounds[0], lo), max(bounds[1], hi)

    def step(self) -> Step:
        """How pages move: piped by COPY where both sides allow, else as rows."""
        if can_pipe(self.ws, self.d, self.reader):
            assert isinstance(self.reader, SqlReader)
            writer = self.prepare()
            assert isinstance(writer, SqlWriter)
            return CopyPhase(self.d, self.reader, writer, self.state, self.widen)
        return self.rows_phase

    # -- the run ----------------------------------------------------------------------------
    def execute(self, *, full: bool, progress: bool) -> RunResult:
        from tqdm.auto import tqdm

        r = self.result
        state.check_tables(self.state_engine, self.d.state_source)
        with self.state_engine.connect() as conn:
            watermark = convert.decode_watermark(self.state.open(conn))
            bar = tqdm(desc=f"sync {self.d.name}", unit="rows", disable=not progress, leave=False)
            try:
                step = self.step()
                for phase, lower in self.phases(watermark, full):
                    watermark = step(conn, phase, lower, watermark, bar.update)
                    if r.status == "cancelled":
                        break
                r.watermark_after = convert.encode_watermark(watermark)
                if r.status != "cancelled":
                    self.reconcile()
                self.state.finish(conn, "cancelled" if r.status == "cancelled" else "succeeded")
            except BaseException as exc:
                self.state.fail(conn, exc)
                raise
            finally:
                bar.close()
                self.state.stop_clock()
                r.notices = self.writer.notices if self.writer else 0
        return self.after_run()

    def reconcile(self) -> None:
        if not (self.d.reconcile and self.writer is not None):
            return
        with self.state_engine.connect() as c2:
            dead = state.dead_keys(c2, self.d.name)
        self.result.reconciliation = reconcile(
            self.reader,
            self.writer,
            (self.src_range[0], self.src_range[1]) if self.src_range else None,
            (self.tgt_range[0], self.tgt_range[1]) if self.tgt_range else None,
            dead,
        )

    def replay(self) -> RunResult:
        """Re-read the records of the dead letters from the source, by key, and merge
        those that now convert; the others stay dead with their new reason."""
        state.check_tables(self.state_engine, self.d.state_source)
        with self.state_engine.connect() as conn:
            self.state.open(conn, with_watermark=False)
            with conn.begin():
                letters = state.list_dead(conn, self.d.name)
            keys = [
                tuple(json.loads(x["record_key"])) for x in letters if x["record_key"] is not None
            ]
            try:
                rows = self.reader.by_keys(keys)
                self.result.rows_read = len(rows)
                if rows:
                    writer = self.prepare(rows)
                    assert self.checker is not None
                    page = self.checker.check(rows)
                    writer.write_page(conn, page, self.state)
                    with conn.begin():
                        state.mark_replayed(
                            conn, self.d.name, [state.key_text(k) for k in page.raw_keys]
                        )
                    self.result.pages = 1
                self.state.finish(conn, "succeeded")
            except BaseException as exc:
                self.state.fail(conn, exc)
                raise
            finally:
                self.state.stop_clock()
        return self.after_run()

    def after_run(self) -> RunResult:
        """Tell the cache about the table written, if any row was."""
        r = self.result
        if self.writer is None or not r.rows_written:
            return r
        r.tables_written = [self.writer.name]
        self.writer.tell_cache(self.ws)
        return r


def _logged(definition: SyncDefinition, result: RunResult, what: str) -> RunResult:
    log.info(
        "sync %s %s %s: read %d, wrote %d, dead %d in %.1fs",
        definition.name,
        what,
        result.status,
        result.rows_read,
        result.rows_written,
        result.rows_dead,
        result.seconds,
    )
    return result


def run_definition(
    ws: Workspace,
    definition: SyncDefinition,
    *,
    full: bool = False,
    progress: bool = True,
    hook: Hook | None = None,
) -> RunResult:
    """Run one sync under its lock; see :func:`azora_nb.sync.run`."""
    with state.lock(ws, definition):
        result = Run(ws, definition, hook).execute(full=full, progress=progress)
    return _logged(definition, result, "run")


def replay_definition(ws: Workspace, definition: SyncDefinition) -> RunResult:
    """Replay one sync's dead letters under its lock; see :func:`azora_nb.sync.replay`."""
    with state.lock(ws, definition):
        result = Run(ws, definition, None).replay()
    return _logged(definition, result, "replay")
