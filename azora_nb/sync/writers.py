"""Writers: idempotent merges of a page of rows into the target.

- PostgreSQL: ``COPY`` into a temporary staging table, then one
  ``INSERT … SELECT … ON CONFLICT (key) DO UPDATE … WHERE (row) IS DISTINCT FROM``,
  so that only rows whose values differ are touched and a re-run writes nothing.
- SQLite: the same ``INSERT … ON CONFLICT DO UPDATE … WHERE`` upsert, executemany.
- MongoDB: ``bulk_write`` of ``UpdateOne(upsert=True)`` for the records whose content
  hash differs from the stored ``syncHash``; each such write sets ``syncedAt`` and
  increments ``version``, so unchanged records keep both.

Every writer has :meth:`Writer.write_page`: it merges a page and has the run's
state saved with it, in the same transaction where the target can share one with
the state tables (a SQL target), else right after the rows are committed.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from azora_nb.exceptions import SchemaError
from azora_nb.sync import convert
from azora_nb.sync.buckets import Buckets, Scope, key_order, text_ordering
from azora_nb.sync.definitions import MongoTarget, SqlTarget, SyncDefinition
from azora_nb.sync.notices import Notifier
from azora_nb.sync.page import Page, record
from azora_nb.sync.runstate import RunState
from azora_nb.workspace import Workspace

Row = tuple[Any, ...]


class Writer(Protocol):
    """Where a sync writes: a SQL table or a Mongo collection."""

    columns: list[str]

    @property
    def name(self) -> str:
        """The table or collection, as reported in ``tables_written``."""
        ...

    def ensure_table(self) -> None:
        """Create the target when missing; check that it has every column."""
        ...

    def write_page(self, conn: sa.Connection, page: Page, run: RunState) -> int:
        """Merge ``page.good`` (one row per key) and have ``run.save`` store the page's
        state on ``conn`` (the state source); return how many rows were inserted or
        changed. Rows that the target refuses join ``page.dead`` before the save."""
        ...

    def is_empty(self) -> bool: ...

    def scan(self, scope: Scope | None = None) -> Iterator[Row]:
        """Every live row (in ``scope``; tombstoned ones left out), in :attr:`columns`."""
        ...

    def keys(self, scope: Scope | None = None) -> Iterator[Row]:
        """Every live key (in ``scope``)."""
        ...

    def bucket_bounds(self, bucket_rows: int) -> Buckets:
        """Buckets of about ``bucket_rows`` of the stored keys."""
        ...

    def remove(self, keys: list[Row]) -> int:
        """Delete (or tombstone, as the definition says) the records with these keys."""
        ...

    def tell_cache(self, ws: Workspace) -> None:
        """Invalidate cached results that read what this run wrote."""
        ...

    @property
    def notices(self) -> int:
        """Change notices published so far."""
        ...


def make_writer(
    ws: Workspace,
    definition: SyncDefinition,
    columns: list[str],
    types: Mapping[str, Any],
    run_id: str,
) -> SqlWriter | MongoWriter:
    if isinstance(definition.target, MongoTarget):
        return MongoWriter(ws, definition, columns, run_id)
    return SqlWriter(ws, definition, columns, types)


def target_has_rows(ws: Workspace, definition: SyncDefinition) -> bool:
    """Whether the target exists and holds at least one record (live or not)."""
    target = definition.target
    if isinstance(target, MongoTarget):
        return ws.mongo[target.collection].find_one({}, {"_id": 1}) is not None
    engine = ws.engine(target.source)
    if not sa.inspect(engine).has_table(target.table, schema=target.schema):
        return False
    table = sa.table(target.table, schema=target.schema)
    with engine.connect() as conn:
        return (
            conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first() is not None
        )


def existing_columns(ws: Workspace, definition: SyncDefinition) -> dict[str, tuple[Any, str]]:
    """Type and kind of each column of the SQL target table, when it exists already."""
    target = definition.target
    if not isinstance(target, SqlTarget):
        return {}
    from azora_nb.sync.sources import reflect_types

    engine = ws.engine(target.source)
    if not sa.inspect(engine).has_table(target.table, schema=target.schema):
        return {}
    return reflect_types(engine, target.table, target.schema)


class SqlWriter:
    """Merge pages into a table of a SQL source, creating it on first use."""

    def __init__(
        self,
        ws: Workspace,
        definition: SyncDefinition,
        columns: list[str],
        types: Mapping[str, Any],
    ) -> None:
        assert isinstance(definition.target, SqlTarget)
        self.definition = definition
        self.spec: SqlTarget = definition.target
        self.engine = ws.engine(self.spec.source)
        self.dialect = self.engine.dialect.name
        self.columns = columns
        schema = self.spec.schema
        if self.dialect == "sqlite" and schema is not None and schema != "analysis":
            raise SchemaError(
                f"sync {definition.name}: on SQLite the only target schema is "
                "'analysis' (attached to core); use schema = \"analysis\" or none"
            )
        self.tombstone = definition.tombstone_column if definition.deletes == "tombstone" else None
        extra: list[sa.Column[Any]] = (
            [sa.Column(self.tombstone, convert.az_types.TimestampTZ())] if self.tombstone else []
        )
        self.table = sa.Table(
            self.spec.table,
            sa.MetaData(),
            *[sa.Column(c, types[c], primary_key=c in definition.key) for c in columns],
            *extra,
            schema=schema,
        )
        self._json = [
            i
            for i, c in enumerate(columns)
            if isinstance(self.table.c[c].type, convert.az_types.JSONB)
        ]

    @property
    def name(self) -> str:
        return f"{self.spec.schema}.{self.spec.table}" if self.spec.schema else self.spec.table

    @property
    def commits_with_state(self) -> bool:
        """Whether target rows and the sync state can share one transaction. Not for an
        attached SQLite file: in WAL mode a commit over several files is atomic per file
        only, so the rows are committed first and the watermark after them."""
        return not (self.dialect == "sqlite" and self.spec.schema is not None)

    def ensure_table(self) -> None:
        with self.engine.begin() as conn:
            if self.dialect == "postgresql" and self.spec.schema:
                conn.execute(sa.schema.CreateSchema(self.spec.schema, if_not_exists=True))
            inspector = sa.inspect(conn)
            if not inspector.has_table(self.spec.table, schema=self.spec.schema):
                self.table.create(conn)
                return
            present = {
                c["name"] for c in inspector.get_columns(self.spec.table, schema=self.spec.schema)
            }
            if self.tombstone and self.tombstone not in present:
                column = self.table.c[self.tombstone]
                conn.exec_driver_sql(
                    f"ALTER TABLE {self._prep.format_table(self.table)} ADD COLUMN "
                    f"{self._prep.quote(self.tombstone)} "
                    f"{column.type.compile(dialect=self.engine.dialect)}"
                )
        missing = [c for c in self.columns if c not in present]
        if missing:
            raise SchemaError(
                f"sync {self.definition.name}: target {self.name} has no column "
                f"{', '.join(missing)}; add it, or drop the table to let the sync recreate it",
                source=self.spec.source,
            )

    @property
    def notices(self) -> int:
        return 0

    def write_page(self, conn: sa.Connection, page: Page, run: RunState) -> int:
        if self.commits_with_state:
            with conn.begin():
                written = self.write(conn, page.good)
                run.result.rows_written += written
                run.stage("written")
                run.save(conn, page)
            return written
        with conn.begin():
            written = self.write(conn, page.good)
            run.result.rows_written += written
            run.stage("written")
        run.stage("data-committed")
        with conn.begin():
            run.save(conn, page)
        return written

    def tell_cache(self, ws: Workspace) -> None:
        ws.cache.tables_changed(self.spec.source, [self.name])

    def write(self, conn: sa.Connection, rows: list[Row]) -> int:
        """Merge ``rows`` (one per key) and return how many were inserted or changed."""
        if not rows:
            return 0
        if self.dialect == "postgresql":
            return self._write_pg(conn, rows)
        return self._write_sqlite(conn, rows)

    @property
    def _prep(self) -> Any:
        return self.engine.dialect.identifier_preparer

    def _changed(self, excluded: Any) -> sa.ColumnElement[bool]:
        others = [c for c in self.columns if c not in self.definition.key]
        changes = [self.table.c[c].is_distinct_from(excluded[c]) for c in others]
        if self.tombstone:  # a row back at the source comes back to life
            changes.append(self.table.c[self.tombstone].is_not(None))
        return sa.or_(*changes) if changes else sa.false()

    def _upsert(self, insert: Any) -> Any:
        others = [c for c in self.columns if c not in self.definition.key]
        set_: dict[str, Any] = {c: insert.excluded[c] for c in others}
        if self.tombstone:
            set_[self.tombstone] = None
        if not set_:
            return insert.on_conflict_do_nothing(index_elements=list(self.definition.key))
        return insert.on_conflict_do_update(
            index_elements=list(self.definition.key),
            set_=set_,
            where=self._changed(insert.excluded),
        )

    # -- reconciling and deletes ----------------------------------------------------
    def _live(self, stmt: sa.Select[Any], scope: Scope | None) -> sa.Select[Any]:
        if self.tombstone:
            stmt = stmt.where(self.table.c[self.tombstone].is_(None))
        if scope is not None and not scope.everything:
            stmt = stmt.where(self.in_scope(scope))
        return stmt

    def in_scope(self, scope: Scope) -> Any:
        return scope.sql(self.table.c[self.definition.key[0]], self.ordering)

    @functools.cached_property
    def ordering(self) -> str:
        return text_ordering(self.engine)

    def _stream(self, stmt: sa.Select[Any]) -> Iterator[Row]:
        with self.engine.connect() as conn:
            for row in conn.execution_options(yield_per=20_000).execute(stmt):
                yield tuple(row)

    def scan(self, scope: Scope | None = None, *, raw: bool = False) -> Iterator[Row]:
        from azora_nb.sync.sources import raw_column

        cols = [self.table.c[c] for c in self.columns]
        if raw:
            cols = [raw_column(c) for c in cols]
        return self._stream(self._live(sa.select(*cols), scope))

    def keys(self, scope: Scope | None = None) -> Iterator[Row]:
        cols = [self.table.c[k] for k in self.definition.key]
        return self._stream(self._live(sa.select(*cols), scope))

    def digest_parts(self) -> tuple[Any, Any, list[Any], Any]:
        """(table, first key column, columns, live-row condition) for a digest in SQL."""
        live = self.table.c[self.tombstone].is_(None) if self.tombstone else None
        return (
            self.table,
            self.table.c[self.definition.key[0]],
            [self.table.c[c] for c in self.columns],
            live,
        )

    def column_types(self) -> dict[str, str]:
        from azora_nb.sync.sources import database_types

        return database_types(self.engine, self.spec.table, self.spec.schema)

    def bucket_bounds(self, bucket_rows: int) -> Buckets:
        first = self.table.c[self.definition.key[0]]
        if self.dialect != "postgresql" and self._steps_by_index():
            return self._stepped_bounds(bucket_rows)
        if self.dialect != "postgresql":
            stmt = self._live(sa.select(first), None)
            with self.engine.connect() as conn:
                return Buckets.from_keys(conn.execute(stmt).scalars(), bucket_rows)
        with self.engine.connect() as conn:
            count = sa.select(sa.func.count()).select_from(self.table)
            total = conn.execute(self._live(count, None)).scalar() or 0
            n = -(-total // bucket_rows)
            if n <= 1:
                return Buckets()
            probe = Buckets((conn.execute(sa.select(first).limit(1)).scalar(),))
            ordered = probe._ordered(first, self.ordering)
            fractions = [i / n for i in range(1, n)]
            stmt = self._live(
                sa.select(
                    sa.func.percentile_disc(
                        sa.literal(fractions, postgresql.ARRAY(sa.Double))
                    ).within_group(ordered)
                ),
                None,
            )
            bounds = conn.execute(stmt).scalar() or []
        return Buckets.from_sorted(bounds, 1)

    def _steps_by_index(self) -> bool:
        """Whether SQLite can step through the key's index for the bounds: a single
        key column of text or integers, whose values sort as :func:`key_order` does."""
        if len(self.definition.key) != 1:
            return False
        type_ = self.table.c[self.definition.key[0]].type
        return isinstance(type_, sa.String | sa.Integer) and not isinstance(
            type_, sa.types.TypeDecorator | sa.Enum
        )

    def _stepped_bounds(self, bucket_rows: int) -> Buckets:
        """The bounds :meth:`Buckets.from_sorted` takes, read by stepping through the
        key index (``LIMIT 1 OFFSET step`` from the previous bound) rather than
        sorting every key in Python."""
        first = sa.type_coerce(self.table.c[self.definition.key[0]], sa.types.NULLTYPE)
        with self.engine.connect() as conn:
            count = sa.select(sa.func.count()).select_from(self.table)
            total = int(conn.execute(self._live(count, None)).scalar() or 0)
            n = -(-total // bucket_rows)
            if n <= 1:
                return Buckets()
            step = total / n
            ordered = self._live(sa.select(first), None).order_by(first).limit(1)
            value = conn.execute(ordered).scalar()
            position = 0
            bounds: list[Any] = []
            for i in range(1, n):
                target = int(i * step)
                value = conn.execute(
                    ordered.where(first >= sa.literal(value)).offset(target - position)
                ).scalar()
                position = target
                if value is None:
                    break
                if not bounds or value > bounds[-1]:
                    bounds.append(value)
        values = [key_order(v) for v in bounds]
        return Buckets(tuple(values))

    def remove(self, keys: list[Row]) -> int:
        cols = [self.table.c[k] for k in self.definition.key]
        done = 0
        with self.engine.begin() as conn:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                cond = (
                    cols[0].in_([k[0] for k in chunk])
                    if len(cols) == 1
                    else sa.tuple_(*cols).in_([tuple(k) for k in chunk])
                )
                if self.tombstone:
                    stmt: Any = (
                        sa.update(self.table)
                        .where(cond, self.table.c[self.tombstone].is_(None))
                        .values({self.tombstone: convert.utcnow()})
                    )
                else:
                    stmt = sa.delete(self.table).where(cond)
                done += int(conn.execute(stmt).rowcount or 0)
        return done

    def upsert_from(self, select: sa.Select[Any]) -> Any:
        """The merge of ``select``'s rows (in :attr:`columns` order) into the table."""
        insert = (postgresql if self.dialect == "postgresql" else sqlite).insert(self.table)
        return self._upsert(insert.from_select(self.columns, select))

    def _write_sqlite(self, conn: sa.Connection, rows: list[Row]) -> int:
        stmt = self._upsert(sqlite.insert(self.table))
        result = conn.execute(stmt, [dict(zip(self.columns, r, strict=True)) for r in rows])
        return int(result.rowcount or 0)

    # -- PostgreSQL: COPY into a staging table, then one merge --------------------
    @property
    def staging(self) -> str:
        digest = hashlib.blake2b(f"{self.name}:{self.columns}".encode(), digest_size=6)
        return "azora_nb_stage_" + digest.hexdigest()

    def stage_cursor(self, conn: sa.Connection) -> Any:
        """A driver cursor on ``conn`` with the session's staging table in place: a temp
        table shaped like the target without its constraints, emptied at each commit."""
        prep = self.engine.dialect.identifier_preparer
        cols = ", ".join(prep.quote(c) for c in self.columns)
        driver = conn.connection.driver_connection
        assert driver is not None
        cur = driver.cursor()
        cur.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {prep.quote(self.staging)} "
            f"ON COMMIT DELETE ROWS AS SELECT {cols} "
            f"FROM {prep.format_table(self.table)} WITH NO DATA"
        )
        return cur

    def _copy_sql(self) -> str:
        prep = self.engine.dialect.identifier_preparer
        cols = ", ".join(prep.quote(c) for c in self.columns)
        return f"COPY {prep.quote(self.staging)} ({cols}) FROM STDIN"

    def merge_stage(self, conn: sa.Connection) -> int:
        stage = sa.table(self.staging, *[sa.column(c) for c in self.columns])
        insert = postgresql.insert(self.table).from_select(
            self.columns, sa.select(*[stage.c[c] for c in self.columns])
        )
        result = conn.execute(self._upsert(insert).execution_options(preserve_rowcount=True))
        return int(result.rowcount or 0)

    def _write_pg(self, conn: sa.Connection, rows: list[Row]) -> int:
        from psycopg.types.json import Jsonb

        with self.stage_cursor(conn) as cur, cur.copy(self._copy_sql()) as copy:
            if self._json:
                for row in rows:
                    values = list(row)
                    for i in self._json:
                        if values[i] is not None:
                            values[i] = Jsonb(values[i])
                    copy.write_row(values)
            else:
                for row in rows:
                    copy.write_row(row)
        return self.merge_stage(conn)

    def is_empty(self) -> bool:
        with self.engine.connect() as conn:
            return (
                conn.execute(sa.select(sa.literal(1)).select_from(self.table).limit(1)).first()
                is None
            )


JOURNAL_MAX = 200_000
"""Changed documents a Mongo writer journals for the bucket digests; a run that
changes more reads the collection again to reconcile."""


class MongoWriter:
    """Upsert pages into a collection: ``_id`` is the key (a sub-document for
    composite keys), fields are the columns, plus ``version``, ``syncedAt`` and
    ``syncHash`` (the content hash that makes re-runs write nothing)."""

    def __init__(
        self, ws: Workspace, definition: SyncDefinition, columns: list[str], run_id: str
    ) -> None:
        assert isinstance(definition.target, MongoTarget)
        self.definition = definition
        self.spec: MongoTarget = definition.target
        self.collection = ws.mongo[self.spec.collection]
        self.columns = columns
        self._key_idx = [columns.index(k) for k in definition.key]
        self.notifier = Notifier(ws, self.spec.channel_type, definition.name, run_id)
        self.journal: list[tuple[Row | None, Row]] | None = []
        """Each document this run changed: (its live values before, or None; its values
        as a read will return them), for the reconciliation to update the target's
        bucket digests without reading the collection again. None once it would hold
        more than :data:`JOURNAL_MAX` entries or after deletes."""

    @property
    def notices(self) -> int:
        return self.notifier.published

    def write_page(self, conn: sa.Connection, page: Page, run: RunState) -> int:
        """Documents are written first (MongoDB shares no transaction with the state
        tables); a crash before the save re-reads the page, whose re-write changes
        nothing. Notices go out once the page is saved."""
        good, too_big = self.screen(page.good)
        page.dead.extend(
            (tuple(row[i] for i in self._key_idx), reason, record(self.columns, row))
            for row, reason in too_big
        )
        changed = self.write(good)
        run.result.rows_written += len(changed)
        run.stage("written")
        with conn.begin():
            run.save(conn, page)
        self.notifier.publish(changed)
        return len(changed)

    def tell_cache(self, ws: Workspace) -> None:
        """No SQL table was written: no cached result read it."""

    @property
    def tombstone(self) -> str | None:
        d = self.definition
        return d.tombstone_column if d.deletes == "tombstone" else None

    def _live(self) -> dict[str, Any]:
        return {self.tombstone: None} if self.tombstone else {}

    def is_empty(self) -> bool:
        return self.collection.find_one({}, {"_id": 1}) is None

    def _key(self, doc_id: Any) -> Row:
        if len(self._key_idx) == 1:
            return (doc_id,)
        return tuple(doc_id.get(k) for k in self.definition.key)

    def scan(self, scope: Scope | None = None) -> Iterator[Row]:
        for doc in self.collection.find(self._live(), {c: 1 for c in self.columns}):
            row = tuple(doc.get(c) for c in self.columns)
            if scope is None or scope.contains(row[self._key_idx[0]]):
                yield row

    def keys(self, scope: Scope | None = None) -> Iterator[Row]:
        for doc in self.collection.find(self._live(), {"_id": 1}):
            key = self._key(doc["_id"])
            if scope is None or scope.contains(key[0]):
                yield key

    def bucket_bounds(self, bucket_rows: int) -> Buckets:
        return Buckets.from_keys((k[0] for k in self.keys()), bucket_rows)

    def _note(self, old: dict[str, Any] | None, fields: dict[str, Any]) -> None:
        """Journal one changed document: its live values before (None when it was
        missing or tombstoned) and the values a read of what was written returns."""
        import bson

        assert self.journal is not None
        if len(self.journal) >= JOURNAL_MAX:
            self.journal = None
            return
        if old is not None and self.tombstone and old.get(self.tombstone) is not None:
            old = None
        written = {c: fields[c] for c in self.columns}
        back = bson.decode(bson.encode(written), codec_options=self.collection.codec_options)
        self.journal.append(
            (
                None if old is None else tuple(old.get(c) for c in self.columns),
                tuple(back.get(c) for c in self.columns),
            )
        )

    def remove(self, keys: list[Row]) -> int:
        if not keys:
            return 0
        self.journal = None  # deletes are not journalled: the next digest reads
        ids = [self.doc_id(self._padded(k)) for k in keys]
        if self.tombstone:
            done = self.collection.update_many(
                {"_id": {"$in": ids}, **self._live()},
                {
                    "$set": {self.tombstone: convert.floor_ms(convert.utcnow())},
                    "$unset": {"syncHash": ""},
                },
            )
            return int(done.modified_count)
        return int(self.collection.delete_many({"_id": {"$in": ids}}).deleted_count)

    def _padded(self, key: Row) -> Row:
        """A row holding just ``key`` at the key columns (for :meth:`doc_id`)."""
        values: list[Any] = [None] * len(self.columns)
        for i, v in zip(self._key_idx, key, strict=True):
            values[i] = v
        return tuple(values)

    @property
    def name(self) -> str:
        return self.spec.collection

    def ensure_table(self) -> None:
        """Nothing to create: ``_id`` is the key and always unique."""

    def doc_id(self, row: Row) -> Any:
        if len(self._key_idx) == 1:
            return _bson_value(row[self._key_idx[0]], self.spec.decimals)
        return {
            self.definition.key[n]: _bson_value(row[i], self.spec.decimals)
            for n, i in enumerate(self._key_idx)
        }

    def document(self, row: Row) -> dict[str, Any]:
        return {
            c: _bson_value(v, self.spec.decimals) for c, v in zip(self.columns, row, strict=True)
        }

    def too_large(self, doc: dict[str, Any]) -> int | None:
        """The BSON size of ``doc`` when over the limit, else None."""
        import bson

        size = len(bson.encode(doc))
        return size if size > self.spec.max_document_bytes else None

    def screen(self, rows: list[Row]) -> tuple[list[Row], list[tuple[Row, str]]]:
        """Split off the rows whose document would exceed the size limit."""
        good: list[Row] = []
        bad: list[tuple[Row, str]] = []
        for row in rows:
            size = self.too_large(self.document(row))
            if size is None:
                good.append(row)
            else:
                bad.append(
                    (row, f"document too large: {size} bytes > {self.spec.max_document_bytes}")
                )
        return good, bad

    def write(self, rows: list[Row]) -> list[Any]:
        """Upsert the rows whose content changed; return their ids."""
        from pymongo import UpdateOne

        if not rows:
            return []
        hashes = {}
        for row in rows:
            hashes[_id_key(self.doc_id(row))] = (row, content_hash(row))
        ids = [self.doc_id(r) for r, _ in hashes.values()]
        projection = {"syncHash": 1}
        if self.journal is not None:  # the values before, for the bucket digests
            projection.update({c: 1 for c in self.columns})
            if self.tombstone:
                projection[self.tombstone] = 1
        before = {
            _id_key(d["_id"]): d for d in self.collection.find({"_id": {"$in": ids}}, projection)
        }
        stored = {ident: d.get("syncHash") for ident, d in before.items()}
        now = convert.floor_ms(convert.utcnow())
        ops = []
        changed = []
        for ident, (row, digest) in hashes.items():
            if stored.get(ident) == digest:
                continue
            doc_id = self.doc_id(row)
            fields = self.document(row)
            fields.update(syncedAt=now, syncHash=digest)
            update: dict[str, Any] = {"$set": fields, "$inc": {"version": 1}}
            if self.tombstone:
                update["$unset"] = {self.tombstone: ""}
            ops.append(UpdateOne({"_id": doc_id}, update, upsert=True))
            changed.append(doc_id)
            if self.journal is not None:
                self._note(before.get(ident), fields)
        if ops:
            self.collection.bulk_write(ops, ordered=False)
        return changed


def content_hash(row: Row) -> str:
    text = "\x1f".join(convert.canonical(v) for v in row)
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _id_key(value: Any) -> Any:
    return tuple(sorted(value.items())) if isinstance(value, dict) else value


def _bson_value(value: Any, decimals: str) -> Any:
    if isinstance(value, Decimal):
        if decimals == "float":
            return float(value)
        from bson.decimal128 import Decimal128

        return Decimal128(value)
    if isinstance(value, datetime):
        return convert.floor_ms(value)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=UTC)
    return value
