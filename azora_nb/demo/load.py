"""Writing generated chunks into a source's database, fast.

PostgreSQL: each table is written with ``COPY ... FROM STDIN (FORMAT csv)`` in
one transaction; pyarrow's CSV writer formats a whole chunk in C, and the
server parses it. SQLite: each chunk is bound with ``executemany`` into an in-memory
staging table and moved with one ``INSERT ... SELECT``, all in one transaction, with
``synchronous=OFF`` and a large page cache for the load. Foreign keys stay on in
both, so a load is also a check of the data.

Legacy rows (which break the constitutional CHECKs) go into the ledger itself
when the database has no such CHECKs, as production databases built without
the final ALTERs; otherwise into ``treasury_ledger_legacy``, a copy of the
ledger's columns without the CHECKs, which the treasury analytics also read.
"""

from __future__ import annotations

import io
import json
import queue
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from azora_nb.demo.values import timestamp_text
from azora_nb.exceptions import SchemaError
from azora_nb.schema import metadata_for, service_tables

LEGACY_SUFFIX = "_legacy"
CONSTITUTIONAL_CHECKS = ("constitutional_valuation_check", "treasury_allocation_check")
Payload = tuple[list[str], int, Any]
"""(column names, row count, CSV bytes or Python columns) of one chunk, ready to send."""
_CSV = pacsv.WriteOptions(include_header=False, batch_size=8192)
_STAGE = "azora_demo_load"
SQLITE_LOAD_CACHE_KIB = 1 << 20
"""SQLite's page cache while loading (1 GiB; pages are taken as needed, and released
when the load ends). The primary key and UNIQUE indexes (uuids, hashes) take each row
in a random place and cannot be deferred: with 64 MiB they stopped fitting at a few
hundred thousand rows, pages were spilled to the WAL and read back (a fifth of the
load's CPU time was the kernel copying them), and each index build read the table
back the same way. 1M ledger rows (790 MB): 15-20% less CPU time, peak RSS 1.3 GB."""

_PLAIN_INDEXES = """
select i.indexname, i.indexdef from pg_indexes i
where i.schemaname = current_schema() and i.tablename = %s
  and not exists (select 1 from pg_constraint c
    where c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)
"""
# Foreign keys first, then the keys no other table's foreign key or view needs.
_DEFERRABLE_CONSTRAINTS = """
select c.conname, pg_get_constraintdef(c.oid) from pg_constraint c
where c.conrelid = (quote_ident(current_schema()) || '.' || quote_ident(%s))::regclass
  and (c.contype = 'f' or c.contype in ('p', 'u')
    and not exists (select 1 from pg_constraint r
      where r.contype = 'f' and r.conindid = c.conindid and r.conrelid <> c.conrelid)
    and not exists (select 1 from pg_depend d
      where d.refclassid = 'pg_constraint'::regclass and d.refobjid = c.oid
        and d.deptype = 'n'))
order by c.contype = 'f' desc, c.conname
"""


def _pg_array(values: list[str] | None) -> str | None:
    if values is None:
        return None
    quoted = ('"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"' for s in values)
    return "{" + ",".join(quoted) + "}"


def for_postgres(table: pa.Table) -> pa.Table:
    """Columns as PostgreSQL's CSV input reads them: arrays as ``{...}`` literals,
    times as text (all UTC; ``+00`` on the zoned ones)."""
    for i, field in enumerate(table.schema):
        if pa.types.is_list(field.type):
            literal = pa.array([_pg_array(x) for x in table.column(i).to_pylist()], pa.string())
            table = table.set_column(i, field.name, literal)
        elif pa.types.is_timestamp(field.type):
            zone = b"+00" if field.type.tz is not None else b""
            table = table.set_column(i, field.name, timestamp_text(table.column(i), zone))
    return table


def for_sqlite(table: pa.Table) -> list[list[Any]]:
    """Columns as Python lists in the storage formats of :mod:`azora_nb.types`."""
    columns = []
    for i, field in enumerate(table.schema):
        col = table.column(i)
        if pa.types.is_timestamp(field.type):
            col = timestamp_text(col)
        elif pa.types.is_date(field.type):
            col = col.cast(pa.string())
        elif pa.types.is_boolean(field.type):
            col = col.cast(pa.int8())
        elif pa.types.is_list(field.type):
            columns.append([None if x is None else json.dumps(x) for x in col.to_pylist()])
            continue
        columns.append(col.to_pylist())
    return columns


class Writer:
    """Loads tables of one source; use as a context manager."""

    def __init__(self, engine: Engine, source: str) -> None:
        self.engine = engine
        self.source = source
        self.postgres = engine.dialect.name == "postgresql"
        self.metadata = metadata_for(source)
        self._conn: sa.Connection | None = None
        self._staged: list[str] | None = None  # columns of the SQLite staging table

    def __enter__(self) -> Writer:
        self._conn = self.engine.connect()
        if not self.postgres:
            self._raw().execute("PRAGMA synchronous=OFF")
            self._raw().execute(f"PRAGMA cache_size=-{SQLITE_LOAD_CACHE_KIB}")
            self._raw().execute("PRAGMA temp_store=MEMORY")  # the staging table, see _insert
        return self

    def __exit__(self, *exc: object) -> None:
        if self._conn is not None:
            if not self.postgres:
                self._raw().execute("PRAGMA synchronous=NORMAL")  # as azora_nb.sqlite sets it
                self._raw().execute("PRAGMA cache_size=-2000")  # SQLite's default
                self._raw().execute("PRAGMA temp_store=DEFAULT")
            self._conn.close()
            self._conn = None

    def _raw(self) -> Any:
        assert self._conn is not None, "use Writer as a context manager"
        return self._conn.connection.driver_connection

    # -- schema ----------------------------------------------------------------------
    def require_tables(self, names: Iterable[str]) -> None:
        present = set(sa.inspect(self.engine).get_table_names())
        missing = sorted(set(names) - present)
        if missing:
            raise SchemaError(
                f"{self.source} has no table {', '.join(missing)}: run "
                f"`azora-nb db upgrade --source {self.source}` before seeding",
                source=self.source,
            )

    def has_constitutional_checks(self, table: str = "treasury_ledger") -> bool:
        raw = self._raw()
        if self.postgres:
            with raw.cursor() as cur:
                cur.execute(
                    "select count(*) from pg_constraint where conrelid = %s::regclass"
                    " and conname = any(%s)",
                    (table, list(CONSTITUTIONAL_CHECKS)),
                )
                found = bool(cur.fetchone()[0])
            raw.commit()
            return found
        row = raw.execute(
            "select sql from sqlite_master where type = 'table' and name = ?", (table,)
        ).fetchone()
        return row is not None and any(name in row[0] for name in CONSTITUTIONAL_CHECKS)

    def legacy_table(self, name: str) -> str:
        """Create (if needed) the CHECK-free copy of ``name`` and return its name."""
        source = self.metadata.tables[name]
        copy = sa.Table(
            name + LEGACY_SUFFIX,
            sa.MetaData(),
            *(
                sa.Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
                for c in source.columns
            ),
            comment=f"Rows of {name} that break its constitutional CHECKs (demo legacy flavour).",
        )
        assert self._conn is not None
        copy.create(self._conn, checkfirst=True)
        self._conn.commit()
        return copy.name

    def demo_tables(self) -> list[str]:
        """The service tables, in dependency order, plus any legacy copy present."""
        names = [t.name for t in service_tables(self.source)]
        present = set(sa.inspect(self.engine).get_table_names())
        return names + sorted(
            n for n in present if n.endswith(LEGACY_SUFFIX) and n[: -len(LEGACY_SUFFIX)] in names
        )

    # -- rows ----------------------------------------------------------------------
    def count(self, table: str, *, in_transaction: bool = False) -> int:
        raw = self._raw()
        if self.postgres:
            from psycopg import sql

            with raw.cursor() as cur:
                cur.execute(sql.SQL("select count(*) from {}").format(sql.Identifier(table)))
                n = int(cur.fetchone()[0])
            if not in_transaction:
                raw.commit()
            return n
        return int(raw.execute(f'select count(*) from "{table}"').fetchone()[0])

    def truncate(self, tables: list[str]) -> None:
        present = set(sa.inspect(self.engine).get_table_names())
        tables = [t for t in tables if t in present]
        if not tables:
            return
        raw = self._raw()
        if self.postgres:
            from psycopg import sql

            with raw.cursor() as cur:
                cur.execute(
                    sql.SQL("TRUNCATE {}").format(
                        sql.SQL(", ").join(sql.Identifier(t) for t in tables)
                    )
                )
            raw.commit()
            return
        for name in reversed(tables):
            raw.execute(f'DELETE FROM "{name}"')  # names come from the models, not users
        raw.commit()

    def write(self, table: str, chunks: Iterable[pa.Table], on_rows: Any = None) -> int:
        """Write every chunk into ``table`` in one transaction; returns the row count.

        Into an empty table, the plain (non-constraint) indexes are dropped and built
        again after the rows are in, inside the same transaction: one sort per index
        instead of a b-tree insert per row. On PostgreSQL the table is then analyzed.
        """
        known = self.metadata.tables.get(table.removesuffix(LEGACY_SUFFIX))
        total = 0
        with self._transaction(), self._indexes_deferred(table), self._staging():
            for names, n, payload in self._prepared(chunks):
                if known is not None:
                    unknown = [c for c in names if c not in known.c]
                    if unknown:
                        raise SchemaError(
                            f"{self.source}.{table} has no column {unknown}", source=self.source
                        )
                if self.postgres:
                    self._copy(table, names, payload)
                else:
                    self._insert(table, names, payload)
                total += n
                if on_rows is not None:
                    on_rows(n)
            if self.postgres:
                # Planner statistics now, not when autovacuum gets round to it (never,
                # where it is off): with the defaults, report queries on a freshly seeded
                # 10M-row ledger took 4x to 60x longer. ANALYZE samples, so it is seconds.
                with self._raw().cursor() as cur:
                    cur.execute(f'ANALYZE "{table}"')  # names come from the models
        return total

    def _payload(self, chunk: pa.Table) -> Payload:
        """What the database is sent for a chunk: CSV bytes, or columns of Python values."""
        if self.postgres:
            buffer = io.BytesIO()
            pacsv.write_csv(for_postgres(chunk), buffer, _CSV)
            return chunk.column_names, len(chunk), buffer.getvalue()
        return chunk.column_names, len(chunk), for_sqlite(chunk)

    def _prepared(self, chunks: Iterable[pa.Table]) -> Iterator[Payload]:
        """Generate and format the next chunk in a thread while the current one is
        written: numpy and pyarrow release the GIL, so that work overlaps the
        database's."""
        ahead: queue.Queue[Payload | BaseException | None] = queue.Queue(maxsize=1)
        stop = threading.Event()

        def produce() -> None:
            try:
                for chunk in chunks:
                    if stop.is_set():
                        return
                    ahead.put(self._payload(chunk))
                ahead.put(None)
            except BaseException as exc:  # handed to the consumer, raised there
                ahead.put(exc)

        worker = threading.Thread(target=produce, name="azora-demo-generate", daemon=True)
        worker.start()
        try:
            while (item := ahead.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            while worker.is_alive():
                try:
                    ahead.get_nowait()
                except queue.Empty:
                    worker.join(0.05)

    @contextmanager
    def _indexes_deferred(self, table: str) -> Iterator[None]:
        """Into an empty table: drop the plain indexes and, on PostgreSQL, the primary
        key, unique and foreign-key constraints, and build them again after the rows are
        in, in the same transaction. A b-tree built from a sort is many times faster
        than one insert per row into random keys (uuids, hashes), and a foreign key
        added to a full table is checked by one join instead of a trigger per row: the
        rows are checked all the same, and a violation fails the whole load."""
        raw = self._raw()
        if self.count(table, in_transaction=True):
            yield
            return
        if self.postgres:
            with raw.cursor() as cur:
                cur.execute(_PLAIN_INDEXES, (table,))
                indexes = cur.fetchall()
                for name, _ in indexes:
                    cur.execute(f'DROP INDEX "{name}"')  # names read from the catalog
                cur.execute(_DEFERRABLE_CONSTRAINTS, (table,))
                constraints = cur.fetchall()
                for name, _ in constraints:
                    cur.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        else:
            indexes = raw.execute(
                "select name, sql from sqlite_master where type = 'index' and tbl_name = ?"
                " and sql is not null",
                (table,),
            ).fetchall()
            constraints = []
            for name, _ in indexes:
                raw.execute(f'DROP INDEX "{name}"')
        yield
        if self.postgres:
            with raw.cursor() as cur:
                for name, definition in reversed(constraints):  # keys before foreign keys
                    cur.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
                for _, definition in indexes:
                    cur.execute(definition)
        else:
            for _, definition in indexes:
                raw.execute(definition)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        raw = self._raw()
        if not self.postgres:
            raw.execute("BEGIN")
        try:
            yield
        except BaseException:
            raw.rollback()
            raise
        raw.commit()

    def _copy(self, table: str, names: list[str], data: Any) -> None:
        from psycopg import sql

        stmt = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
            sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in names)
        )
        with self._raw().cursor() as cur, cur.copy(stmt) as copy:
            copy.write(data)

    @contextmanager
    def _staging(self) -> Iterator[None]:
        """Drops the staging table after a load; after a failure, the rollback does."""
        try:
            yield
        except BaseException:
            self._staged = None
            raise
        if self._staged is not None:
            self._raw().execute(f"DROP TABLE temp.{_STAGE}")
            self._staged = None

    def _insert(self, table: str, names: list[str], columns: list[list[Any]]) -> None:
        """A chunk goes through a keyless in-memory staging table, then into ``table``
        with one ``INSERT ... SELECT``. Each ``executemany`` step gives up the GIL and
        waits to get it back, up to Python's 5 ms switch interval while the thread
        generating the next chunk holds it: that thread ran nearly alone, and the two
        overlapped little. Binding rows into the staging table is cheap; the costly
        part, the random inserts into the primary key and UNIQUE indexes, is then
        one statement that runs without the GIL, beside the generation of the next
        chunk (1M ledger rows: 17-18 s instead of 19.7 s, at load 1.5-2.3). Rows reach
        ``table`` in the same order, with the same values (the staging columns have
        no type, so nothing is converted before ``table``'s)."""
        raw = self._raw()
        listed = ", ".join(f'"{c}"' for c in names)  # names come from the models
        if self._staged != names:
            raw.execute(f"DROP TABLE IF EXISTS temp.{_STAGE}")
            raw.execute(f"CREATE TEMP TABLE {_STAGE} ({listed})")
            self._staged = names
        marks = ", ".join("?" for _ in names)
        # Rows made one at a time as SQLite binds them: each tuple is freed (and its
        # memory reused) at once. A list of a chunk's 50k tuples, built in the
        # generating thread, set off garbage collections that walked them all: zipping
        # took 2-3x as long with the collector on as off.
        raw.executemany(f"INSERT INTO temp.{_STAGE} VALUES ({marks})", zip(*columns, strict=True))
        raw.execute(
            f'INSERT INTO main."{table}" ({listed})'
            f" SELECT {listed} FROM temp.{_STAGE} ORDER BY rowid"
        )
        raw.execute(f"DELETE FROM temp.{_STAGE}")
