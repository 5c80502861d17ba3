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
from azora_nb.sync.attach_path import AttachPhase, can_attach
from azora_nb.sync.buckets import Digest, Scope, differing
from azora_nb.sync.copy_path import CopyPhase, can_pipe
from azora_nb.sync.definitions import SyncDefinition
from azora_nb.sync.page import PageChecker
from azora_nb.sync.reconcile import Reconciler, patched
from azora_nb.sync.resync import can_resync
from azora_nb.sync.runstate import Hook, RunResult, RunState
from azora_nb.sync.sources import Reader, SqlReader, make_reader
from azora_nb.sync.writers import (
    SqlWriter,
    Writer,
    existing_columns,
    make_writer,
    target_has_rows,
)
from azora_nb.workspace import Workspace

log = logging.getLogger("azora_nb")

Row = tuple[Any, ...]
Step = Callable[[sa.Connection, str, Any, Any, Callable[[int], Any], Scope | None], Any]

__all__ = ["Hook", "RunResult", "repair_definition", "replay_definition", "run_definition"]


class Run:
    """One run of one definition, under its lock (taken by the caller)."""

    def __init__(self, ws: Workspace, definition: SyncDefinition, hook: Hook | None) -> None:
        self.ws = ws
        self.d = definition
        self.state = RunState(definition, hook)
        self.result = self.state.result
        self.state_engine = ws.engine(definition.state_source)
        self.reader: Reader = make_reader(ws, definition)
        self.existing = existing_columns(ws, definition)
        self.reader.adopt(self.existing)
        self.writer: Writer | None = None
        self.checker: PageChecker | None = None

    # -- setup, once the first page has fixed the columns -------------------------------
    def prepare(self, first: list[Row] | None = None) -> Writer:
        """Make the writer (and the target table). Columns of unknown kind (a query's,
        when ``types`` does not name them) take the kind of their first page's values."""
        columns = self.reader.columns
        kinds = self.reader.kinds
        for i, c in enumerate(columns):
            if kinds.get(c) is None and c in self.existing:
                kinds[c] = self.existing[c][1]
            elif kinds.get(c) is None and first:
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
        scope: Scope | None = None,
    ) -> Any:
        """Pages as Python rows: converted, checked, merged by the writer."""
        cursor_idx = None
        for rows in self.reader.pages(phase, lower, self.d.batch_rows, scope):
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
            update(len(rows))
            if self.state.page_done(conn):
                break
        return watermark

    def step(self) -> Step:
        """How pages move: piped by COPY (PostgreSQL) or inside SQLite where both sides
        allow, else as rows."""
        if can_pipe(self.ws, self.d, self.reader):
            assert isinstance(self.reader, SqlReader)
            writer = self.prepare()
            assert isinstance(writer, SqlWriter)
            return CopyPhase(self.d, self.reader, writer, self.state)
        if can_attach(self.ws, self.d, self.reader):
            assert isinstance(self.reader, SqlReader)
            writer = self.prepare()
            assert isinstance(writer, SqlWriter)
            return AttachPhase(self.d, self.reader, writer, self.state)
        return self.rows_phase

    # -- the run ----------------------------------------------------------------------------
    def execute(self, *, full: bool, progress: bool) -> RunResult:
        """Incremental runs read from the watermark, then compare the whole table.
        Full runs, and every run of a definition without a cursor, compare first and
        re-sync only the buckets that differ (all of them into an empty target)."""
        from tqdm.auto import tqdm

        r = self.result
        state.check_tables(self.state_engine, self.d.state_source)
        with self.state_engine.connect() as conn:
            watermark = convert.decode_watermark(self.state.open(conn))
            bar = tqdm(desc=f"sync {self.d.name}", unit="rows", disable=not progress, leave=False)
            try:
                step = self.step()
                if (full or not self.d.incremental) and target_has_rows(self.ws, self.d):
                    self.by_buckets(conn, step, bar.update)
                    if r.status != "cancelled" and self.d.cursor:
                        watermark = convert.later(watermark, self.reader.max_cursor())
                        self.state.save_watermark(conn, convert.encode_watermark(watermark))
                else:
                    for phase, lower in self.phases(watermark, full):
                        watermark = step(conn, phase, lower, watermark, bar.update, None)
                        if r.status == "cancelled":
                            break
                    if r.status != "cancelled" and self.d.reconcile and self.writer is not None:
                        rec = self.reconciler()
                        kept = rec.maintained_target(self.kept_target_digest(conn, rec))
                        r.reconciliation = rec.report(*rec.digests(known=kept))
                        r.reconciliation["target_read"] = kept is None
                r.watermark_after = convert.encode_watermark(watermark)
                self.state.finish(conn, "cancelled" if r.status == "cancelled" else "succeeded")
            except BaseException as exc:
                self.state.fail(conn, exc)
                raise
            finally:
                bar.close()
                self.state.stop_clock()
                r.notices = self.writer.notices if self.writer else 0
        return self.after_run()

    def reconciler(self) -> Reconciler:
        writer = self.writer or self.prepare()
        assert self.checker is not None
        with self.state_engine.connect() as conn:
            dead = state.dead_keys(conn, self.d.name)
            previous = state.last_reconciliation(conn, self.d.name)
        return Reconciler(self.d, self.reader, writer, self.checker, dead, previous)

    def kept_target_digest(self, conn: sa.Connection, rec: Reconciler) -> dict[str, Any] | None:
        """The target digest the previous run kept, when that run succeeded and no
        run came between (a failed or cancelled run may have written unjournalled)."""
        previous = state.last_reconciliation(conn, self.d.name)
        before = state.previous_run(conn, self.d.name, self.result.run_id)
        conn.rollback()
        if not previous or not before or "target_digest" not in previous:
            return None
        if before["run_id"] != previous["run_id"] or before["status"] != "succeeded":
            return None
        if previous.get("bounds") != rec.buckets.to_json():
            return None
        digest: dict[str, Any] = previous["target_digest"]
        return digest

    def by_buckets(self, conn: sa.Connection, step: Step, update: Callable[[int], Any]) -> None:
        """Compare the digests of every bucket; re-sync those that differ (deleting or
        tombstoning target rows gone from the source, when the definition asks); then
        compare those buckets again."""
        rec = self.reconciler()
        source, target = rec.digests()
        redo = differing(source, target)
        if redo:
            merge = redo
            if isinstance(step, CopyPhase) and rec.by_record and can_resync(step.writer, self.d):
                self.resync_buckets(conn, rec, redo, (source, target), step, update)
                merge = []
            if merge and self.result.status != "cancelled":
                scope = Scope(rec.buckets, frozenset(merge))
                step(conn, "all", None, None, update, scope)
            if self.result.status == "cancelled":
                return
            if merge:
                self.propagate_deletes(Scope(rec.buckets, frozenset(merge)))
            again = rec.digests(redo)
            source, target = patched(source, again[0], redo), patched(target, again[1], redo)
        report = rec.report(source, target)
        report["buckets_resynced"] = len(redo)
        self.result.reconciliation = report

    def resync_buckets(
        self,
        conn: sa.Connection,
        rec: Reconciler,
        redo: list[int],
        digests: tuple[Digest, Digest],
        step: CopyPhase,
        update: Callable[[int], Any],
    ) -> None:
        """Re-sync the differing buckets in groups of about ``batch_rows`` rows, each
        staged on the target and brought in set-based (PostgreSQL to PostgreSQL, the
        columns of the same types on both sides: :mod:`azora_nb.sync.resync`)."""
        groups: list[list[int]] = []
        rows = 0
        for bucket in redo:
            size = max(d.get(bucket, (0, 0))[0] for d in digests)
            if not groups or (rows + size > self.d.batch_rows and groups[-1]):
                groups.append([])
                rows = 0
            groups[-1].append(bucket)
            rows += size
        for group in groups:
            done = step.resync(conn, Scope(rec.buckets, frozenset(group)), binary=True)
            update(done.read)
            if self.result.status == "cancelled":
                break

    def propagate_deletes(self, scope: Scope) -> None:
        if self.d.deletes == "keep":
            return
        assert self.writer is not None and self.checker is not None
        present = {self.checker.convert_key(k) for k in self.reader.keys(scope)}
        gone = [k for k in self.writer.keys(scope) if k not in present]
        if gone:
            self.result.rows_deleted += self.writer.remove(gone)
            log.info(
                "sync %s: %s %d rows gone from the source", self.d.name, self.d.deletes, len(gone)
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
        if self.writer is None or not (r.rows_written or r.rows_deleted):
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


def repair_definition(
    ws: Workspace, definition: SyncDefinition, *, progress: bool = True
) -> RunResult:
    """Re-sync the buckets that differ; see :func:`azora_nb.sync.repair`."""
    with state.lock(ws, definition):
        result = Run(ws, definition, None).execute(full=True, progress=progress)
    return _logged(definition, result, "repair")


def replay_definition(ws: Workspace, definition: SyncDefinition) -> RunResult:
    """Replay one sync's dead letters under its lock; see :func:`azora_nb.sync.replay`."""
    with state.lock(ws, definition):
        result = Run(ws, definition, None).replay()
    return _logged(definition, result, "replay")
