"""Running a sync: pages in, dead letters out, state committed with the data.

One run: take the lock; close runs left behind by a dead process; read the
watermark; read pages from ``watermark - lag`` (everything on ``full`` runs);
for each page convert the values, send the bad records to the dead-letter
table, merge the rest and, in the same transaction where the target is SQL,
store the dead letters, the run's counters and the new watermark; then check
for a cancel request. After the last page: reconcile, bump the cache
versions of the tables written. Killing a run anywhere loses nothing: the
next one starts from the last committed watermark and merges are idempotent.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from azora_nb.sync import convert, state
from azora_nb.sync.definitions import MongoTarget, SqlSource, SqlTarget, SyncDefinition
from azora_nb.sync.notices import Notifier
from azora_nb.sync.reconcile import reconcile
from azora_nb.sync.sources import MongoReader, SqlReader, make_reader, record
from azora_nb.sync.writers import KeyCollision, MongoWriter, SqlWriter
from azora_nb.types import to_utc
from azora_nb.workspace import Workspace

log = logging.getLogger("azora_nb")

Row = tuple[Any, ...]
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


@dataclass
class _Page:
    good: list[Row]
    dead: list[tuple[Row | None, str, dict[str, Any]]]
    raw_keys: list[Row]


class _Run:
    def __init__(
        self,
        ws: Workspace,
        definition: SyncDefinition,
        *,
        full: bool,
        progress: bool,
        hook: Hook | None,
    ) -> None:
        self.ws = ws
        self.d = definition
        self.full = full
        self.progress = progress
        self.hook = hook
        self.result = RunResult(definition.name, uuid.uuid4().hex)
        self.state_engine = ws.engine(definition.state_source)
        self.reader: SqlReader | MongoReader = make_reader(ws, definition)
        self.writer: SqlWriter | MongoWriter | None = None
        self.converters: list[tuple[int, convert.Converter]] = []
        self.direct = False
        self.src_range: list[Row] = []
        self.tgt_range: list[Row] = []
        self._adopt_target_columns()
        self.notifier = (
            Notifier(ws, definition.target.channel_type, definition.name, self.result.run_id)
            if isinstance(definition.target, MongoTarget)
            else None
        )

    def _adopt_target_columns(self) -> None:
        """A Mongo source without declared columns keeps the columns of the table its
        first run created; what is new since goes to ``extra``."""
        reader = self.reader
        target = self.d.target
        if not (
            isinstance(reader, MongoReader) and reader.discovered and isinstance(target, SqlTarget)
        ):
            return
        engine = self.ws.engine(target.source)
        inspector = sa.inspect(engine)
        if not inspector.has_table(target.table, schema=target.schema):
            return
        reflected = SqlReader.reflect_types(engine, target.table, target.schema)
        reader.columns = list(reflected)
        reader.kinds = {c: kind for c, (_, kind) in reflected.items()}

    # -- setup, once the first page has fixed the columns -------------------------------
    def _prepare(self, first: list[Row] | None = None) -> None:
        """Make the writer (and the target table). Columns of unknown kind (a query's,
        when ``types`` does not name them) take the kind of their first page's values."""
        columns = self.reader.columns
        kinds = self.reader.kinds
        for i, c in enumerate(columns):
            if kinds.get(c) is None and first:
                kinds[c] = convert.infer_kind([row[i] for row in first])
        if isinstance(self.d.target, MongoTarget):
            self.writer = MongoWriter(self.ws, self.d, columns)
        else:
            types = dict(getattr(self.reader, "types", {}))
            for c in columns:
                if c not in types:
                    types[c] = convert.sa_type(kinds.get(c) or "text")
            self.writer = SqlWriter(self.ws, self.d, columns, types)
        self.writer.ensure_table()
        declared = set(self.d.types)
        native = isinstance(self.d.source, SqlSource)
        for i, c in enumerate(columns):
            if native and c not in declared:
                continue  # the source column already holds this kind
            self.converters.append((i, convert.converter(kinds.get(c) or "text")))

    def _check(self, rows: list[Row]) -> _Page:
        columns = self.reader.columns
        key_idx = [columns.index(k) for k in self.d.key]
        page = _Page([], [], [])
        by_key: dict[Row, Row] = {}
        for raw in rows:
            key = tuple(raw[i] for i in key_idx)
            if any(v is None for v in key):
                missing = [k for k, v in zip(self.d.key, key, strict=True) if v is None]
                page.dead.append((None, f"missing key {', '.join(missing)}", record(columns, raw)))
                continue
            row = raw
            if self.converters:
                values = list(raw)
                try:
                    for i, fn in self.converters:
                        if values[i] is not None:
                            values[i] = fn(values[i])
                except convert.BadValue as exc:
                    page.dead.append((key, f"column {columns[i]}: {exc}", record(columns, raw)))
                    continue
                row = tuple(values)
            page.raw_keys.append(key)
            by_key[tuple(row[i] for i in key_idx)] = row
        page.good = list(by_key.values())
        return page

    # -- pages ----------------------------------------------------------------------------
    def _phases(self, watermark: Any) -> Iterator[tuple[str, Any]]:
        if not self.d.incremental:
            yield "all", None
            return
        lower = None if self.full else convert.lower_bound(watermark, self.d.lag)
        yield "cursor", lower
        if self.full or self.d.include_null_cursor:
            yield "null", None

    def _commit_page(self, conn: sa.Connection, page: _Page, watermark: Any) -> None:
        r = self.result
        assert self.writer is not None
        wm_json = convert.encode_watermark(watermark)
        if isinstance(self.writer, MongoWriter):
            good, too_big = self.writer.screen(page.good)
            key_idx = [self.reader.columns.index(k) for k in self.d.key]
            page.dead.extend(
                (tuple(row[i] for i in key_idx), reason, record(self.reader.columns, row))
                for row, reason in too_big
            )
            changed = self.writer.write(good)
            r.rows_written += len(changed)
            self._call("written")
            with conn.begin():
                self._save(conn, page, wm_json)
            if self.notifier is not None:
                self.notifier.publish(changed)
            return
        if self.writer.commits_with_state:
            with conn.begin():
                r.rows_written += self.writer.write(conn, page.good)
                self._call("written")
                self._save(conn, page, wm_json)
            return
        with conn.begin():
            r.rows_written += self.writer.write(conn, page.good)
            self._call("written")
        self._call("data-committed")
        with conn.begin():
            self._save(conn, page, wm_json)

    def _save(self, conn: sa.Connection, page: _Page, wm_json: Any) -> None:
        r = self.result
        r.rows_dead += len(page.dead)
        state.add_dead(conn, self.d.name, r.run_id, page.dead)
        if wm_json is not None:
            state.set_watermark(conn, self.d.name, wm_json, r.run_id)
        state.progress(
            conn,
            r.run_id,
            r.rows_read,
            r.rows_written,
            r.rows_dead,
            wm_json if wm_json is not None else r.watermark_before,
        )

    def _call(self, stage: str) -> None:
        if self.hook is not None:
            self.hook(stage, self.result.pages)

    def _track(self, page: _Page) -> None:
        if not page.good:
            return
        key_idx = [self.reader.columns.index(k) for k in self.d.key]
        keys = [tuple(row[i] for i in key_idx) for row in page.good]
        self._widen(min(page.raw_keys), max(page.raw_keys), min(keys), max(keys))

    def _after_page(self, conn: sa.Connection, rows: int, update: Callable[[int], Any]) -> bool:
        """Hook, progress and the cancel check after a committed page; True to stop."""
        r = self.result
        self._call("committed")
        r.pages += 1
        update(rows)
        cancelled = state.cancel_requested(conn, r.run_id)
        conn.rollback()
        if cancelled:
            r.status = "cancelled"
        return cancelled

    def _phase_rows(
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
            if self.writer is None:
                self._prepare(rows)
            if self.d.cursor and phase == "cursor":
                cursor_idx = self.reader.columns.index(self.d.cursor)
            self.result.rows_read += len(rows)
            page = self._check(rows)
            if cursor_idx is not None:
                watermark = _later(watermark, rows[-1][cursor_idx])
            self._commit_page(conn, page, watermark if phase == "cursor" else None)
            self._track(page)
            if self._after_page(conn, len(rows), update):
                break
        return watermark

    def _can_pipe(self) -> bool:
        """PostgreSQL to PostgreSQL, a table keyed by its primary key, no conversions and
        the same collation on both sides (the page's last key is found in the target)."""
        reader = self.reader
        if not (
            isinstance(reader, SqlReader)
            and isinstance(self.d.target, SqlTarget)
            and not self.d.types
            and reader.engine.dialect.name == "postgresql"
            and self.ws.engine(self.d.target.source).dialect.name == "postgresql"
            and reader.key_is_primary_key()
        ):
            return False
        query = sa.text("SELECT datcollate FROM pg_database WHERE datname = current_database()")
        collations = set()
        for engine in (reader.engine, self.ws.engine(self.d.target.source)):
            with engine.connect() as c:
                collations.add(c.execute(query).scalar())
        return len(collations) == 1

    def _phase_piped(
        self,
        conn: sa.Connection,
        phase: str,
        lower: Any,
        watermark: Any,
        update: Callable[[int], Any],
    ) -> Any:
        """Pages piped from COPY to COPY; values never become Python objects. Into an
        empty target the pages are copied straight in (a first load); otherwise, or
        when a key comes twice, through the staging table and the merge."""
        assert isinstance(self.reader, SqlReader)
        if self.writer is None:
            self._prepare()
            assert isinstance(self.writer, SqlWriter)
            self.direct = self.writer.is_empty()
        writer = self.writer
        assert isinstance(writer, SqlWriter)
        r = self.result
        order = self.reader.order(phase)
        last: Row | None = None
        with self.reader.engine.connect() as source:
            while True:
                sql, params = self.reader.driver_sql(
                    self.reader.page_statement(phase, lower, self.d.batch_rows, last)
                )
                try:
                    with conn.begin():
                        page = writer.pipe_page(
                            conn, source, sql, params, order, direct=self.direct
                        )
                        source.rollback()
                        if not page.rows:
                            break
                        if page.last_line is not None:
                            page.last = self.reader.position_from_copy_line(page.last_line, order)
                        r.rows_read += page.rows
                        r.rows_written += page.written
                        self._call("written")
                        if phase == "cursor" and page.last is not None:
                            watermark = _later(watermark, page.last[0])
                        self._save(
                            conn,
                            _Page([], [], []),
                            convert.encode_watermark(watermark) if phase == "cursor" else None,
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
                if page.lo is not None and page.hi is not None:
                    self._widen(page.lo, page.hi, page.lo, page.hi)
                if self._after_page(conn, page.rows, update) or page.rows < self.d.batch_rows:
                    break
        if self.direct:
            bounds = writer.key_bounds()
            if bounds is not None:
                self._widen(*bounds, *bounds)
        return watermark

    def _widen(self, src_lo: Row, src_hi: Row, tgt_lo: Row, tgt_hi: Row) -> None:
        for bounds, lo, hi in ((self.src_range, src_lo, src_hi), (self.tgt_range, tgt_lo, tgt_hi)):
            if not bounds:
                bounds.extend([lo, hi])
            else:
                bounds[0], bounds[1] = min(bounds[0], lo), max(bounds[1], hi)

    # -- the run ----------------------------------------------------------------------------
    def execute(self) -> RunResult:
        from tqdm.auto import tqdm

        r = self.result
        started = time.monotonic()
        state.check_tables(self.state_engine, self.d.state_source)
        with self.state_engine.connect() as conn:
            with conn.begin():
                state.mark_abandoned(conn, self.d.name)
                raw_wm = state.get_watermark(conn, self.d.name)
                state.start_run(conn, self.d.name, r.run_id, raw_wm)
            r.watermark_before = raw_wm
            watermark = convert.decode_watermark(raw_wm)
            bar = tqdm(
                desc=f"sync {self.d.name}", unit="rows", disable=not self.progress, leave=False
            )
            try:
                step = self._phase_piped if self._can_pipe() else self._phase_rows
                for phase, lower in self._phases(watermark):
                    watermark = step(conn, phase, lower, watermark, bar.update)
                    if r.status == "cancelled":
                        break
                r.watermark_after = convert.encode_watermark(watermark)
                if r.status != "cancelled":
                    r.status = "succeeded"
                    if self.d.reconcile and self.writer is not None:
                        with self.state_engine.connect() as c2:
                            dead = state.dead_keys(c2, self.d.name)
                        r.reconciliation = reconcile(
                            self.reader,
                            self.writer,
                            tuple(self.src_range) if self.src_range else None,  # type: ignore[arg-type]
                            tuple(self.tgt_range) if self.tgt_range else None,  # type: ignore[arg-type]
                            dead,
                        )
                with conn.begin():
                    state.finish_run(conn, r.run_id, r.status, reconciliation=r.reconciliation)
            except BaseException as exc:
                self._record_failure(conn, exc)
                raise
            finally:
                bar.close()
                r.seconds = time.monotonic() - started
                r.notices = self.notifier.published if self.notifier else 0
        return self._after_run()

    def replay(self) -> RunResult:
        """Re-read the records of the dead letters from the source, by key, and merge
        those that now convert; the others stay dead with their new reason."""
        r = self.result
        started = time.monotonic()
        state.check_tables(self.state_engine, self.d.state_source)
        with self.state_engine.connect() as conn:
            with conn.begin():
                state.mark_abandoned(conn, self.d.name)
                letters = state.list_dead(conn, self.d.name)
                state.start_run(conn, self.d.name, r.run_id, None)
            keys = [
                tuple(json.loads(x["record_key"])) for x in letters if x["record_key"] is not None
            ]
            try:
                rows = self.reader.by_keys(keys)
                r.rows_read = len(rows)
                if rows:
                    self._prepare(rows)
                    page = self._check(rows)
                    self._commit_page(conn, page, None)
                    with conn.begin():
                        state.mark_replayed(
                            conn, self.d.name, [state.key_text(k) for k in page.raw_keys]
                        )
                    r.pages = 1
                with conn.begin():
                    state.finish_run(conn, r.run_id, "succeeded")
                r.status = "succeeded"
            except BaseException as exc:
                self._record_failure(conn, exc)
                raise
            finally:
                r.seconds = time.monotonic() - started
        return self._after_run()

    def _record_failure(self, conn: sa.Connection, exc: BaseException) -> None:
        """Close this run's history row as failed (the page in flight is rolled back)."""
        self.result.status = "failed"
        conn.rollback()
        with conn.begin():
            state.finish_run(
                conn, self.result.run_id, "failed", error=f"{type(exc).__name__}: {exc}"[:2000]
            )

    def _after_run(self) -> RunResult:
        """Invalidate cached results of the SQL table written, if any row was."""
        r = self.result
        if self.writer is None or not r.rows_written:
            return r
        r.tables_written = [self.writer.name]
        if not isinstance(self.d.target, MongoTarget):
            self.ws.cache.tables_changed(self.d.target.source, [self.writer.name])
        return r


def _later(current: Any, new: Any) -> Any:
    """The later of two cursor values (the watermark never moves back)."""
    if new is None:
        return current
    if isinstance(new, datetime):
        new = to_utc(new)  # a driver's naive timestamp(3) is UTC by convention
    if current is None:
        return new
    return new if new > current else current


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
        job = _Run(ws, definition, full=full, progress=progress, hook=hook)
        result = job.execute()
    log.info(
        "sync %s %s: read %d, wrote %d, dead %d in %.1fs",
        definition.name,
        result.status,
        result.rows_read,
        result.rows_written,
        result.rows_dead,
        result.seconds,
    )
    return result
