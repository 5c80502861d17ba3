"""Re-syncing the buckets that differ, PostgreSQL to PostgreSQL, set-based.

A group of differing buckets (about ``batch_rows`` source rows) is piped from
``COPY (rows in range) TO STDOUT`` on the source into the session's staging table
on the target (binary, the column types being the same on both sides), and then
brought in by a few statements on the target, in one transaction with the run's
state, so that no row passes through Python and no key makes a round trip:

- a sample of the staged rows, joined to the target, tells whether most rows of
  the group changed;
- if so the group is *replaced*: the target rows whose key is staged are deleted
  (``DELETE … USING staging … RETURNING`` tells which of them were equal) and the
  staged rows inserted in one ``INSERT … SELECT``;
- if not it is *merged*: one ``MERGE`` (PostgreSQL 15) updates the rows whose
  values differ and inserts the new keys, touching no equal row (a third of the
  time of an ``UPDATE … FROM`` and an ``INSERT … WHERE NOT EXISTS``, and of the
  ``ON CONFLICT`` merge, which locks every row it meets);
- with ``deletes = "hard"`` the target rows of the range that the source no
  longer has are deleted by one more statement.

Only the changed rows count as written, whichever way the group went.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from azora_nb.sync.buckets import Scope
from azora_nb.sync.definitions import SyncDefinition
from azora_nb.sync.writers import SqlWriter

SAMPLE_ROWS = 512
"""Staged rows compared with the target to choose between replacing and merging."""
_PIPE_CHUNK = 1 << 18


@dataclass
class Resynced:
    read: int
    written: int
    deleted: int
    replaced: bool


def can_resync(writer: SqlWriter, definition: SyncDefinition) -> bool:
    """Whether the target takes this path: ``MERGE`` needs PostgreSQL 15; tombstones
    stay with the row-by-row merge, which clears them."""
    with writer.engine.connect() as conn:
        version = conn.dialect.server_version_info or (0,)
    return definition.deletes != "tombstone" and version >= (15,)


def pipe(
    source: sa.Connection,
    cur: Any,
    sql: str,
    params: dict[str, Any],
    into: str,
    *,
    binary: bool,
) -> int:
    """``COPY (sql) TO STDOUT`` on ``source`` into ``COPY into FROM STDIN`` on the
    target's driver cursor ``cur``; returns the rows copied."""
    driver = source.connection.driver_connection
    assert driver is not None
    options = " (FORMAT binary)" if binary else ""
    with (
        driver.cursor() as scur,
        scur.copy(f"COPY ({sql}) TO STDOUT{options}", params) as out,
        cur.copy(f"{into}{options}") as target,
    ):
        buffer = bytearray()
        for block in out:  # one block per row: write in larger chunks
            buffer += block
            if len(buffer) >= _PIPE_CHUNK:
                target.write(buffer)
                buffer = bytearray()
        if buffer:
            target.write(buffer)
    return int(cur.rowcount)


class StagedGroup:
    """The statements that bring the staged rows of one scope into the target."""

    def __init__(self, writer: SqlWriter, scope: Scope) -> None:
        self.writer = writer
        self.key = list(writer.definition.key)
        self.columns = list(writer.columns)
        self.table = writer.table
        self.stage = sa.table(writer.staging, *[sa.column(c) for c in self.columns])
        self.in_range = writer.in_scope(scope)

    def _matches(self, stage: Any) -> Any:
        return sa.and_(*[self.table.c[k] == stage.c[k] for k in self.key])

    def _differs(self, stage: Any) -> Any:
        return sa.tuple_(*[self.table.c[c] for c in self.columns]).is_distinct_from(
            sa.tuple_(*[stage.c[c] for c in self.columns])
        )

    def mostly_changed(self, conn: sa.Connection, staged: int) -> bool:
        """Whether more than half of a random sample of the staged rows are new or
        differ from the target's."""
        fraction = min(1.0, SAMPLE_ROWS / max(staged, 1))
        sample = (
            sa.select(*[self.stage.c[c] for c in self.columns])
            .where(sa.func.random() < fraction)
            .subquery("sample")
        )
        joined = sample.outerjoin(self.table, self._matches(sample))
        stmt = sa.select(
            sa.func.count(),
            sa.func.count().filter(self._differs(sample)),
        ).select_from(joined)
        row = conn.execute(stmt).one()
        return bool(row[1] * 2 > row[0])

    def replace(self, conn: sa.Connection, staged: int, *, hard_deletes: bool) -> tuple[int, int]:
        """Delete the target rows whose key is staged (and, with ``hard_deletes``, the
        rest of the range), insert the staged rows; returns how many of them were new
        or different, and how many target rows went for good. (Copying the same COPY
        data again straight into the table measured no faster: the time goes to the
        key index, which still holds the deleted rows' entries.)"""
        deleted = (
            sa.delete(self.table)
            .where(self._matches(self.stage), self.in_range)
            .returning(sa.not_(self._differs(self.stage)).label("same"))
            .cte("deleted")
        )
        same = conn.execute(
            sa.select(sa.func.count()).select_from(deleted).where(deleted.c.same)
        ).scalar_one()
        gone = self._count(conn, sa.delete(self.table).where(self.in_range)) if hard_deletes else 0
        select = sa.select(*[self.stage.c[c] for c in self.columns])
        conn.execute(sa.insert(self.table).from_select(self.columns, select))
        return staged - int(same), gone

    def merge(self, conn: sa.Connection) -> int:
        """Update the rows whose values differ, insert the new keys, in one ``MERGE``
        (one join; SQLAlchemy has no construct for it); returns how many."""
        prep = conn.dialect.identifier_preparer
        on, params = _driver_sql(conn, sa.and_(self._matches(self.stage), self.in_range))
        differs, _ = _driver_sql(conn, self._differs(self.stage))
        stage = prep.quote(self.writer.staging)
        others = [c for c in self.columns if c not in self.key]
        update = (
            f"WHEN MATCHED AND {differs} THEN UPDATE SET "
            + ", ".join(f"{prep.quote(c)} = {stage}.{prep.quote(c)}" for c in others)
            if others
            else ""
        )
        sql = (
            f"MERGE INTO {prep.format_table(self.table)} USING {stage} ON {on} {update} "
            f"WHEN NOT MATCHED THEN INSERT ({', '.join(prep.quote(c) for c in self.columns)}) "
            f"VALUES ({', '.join(f'{stage}.{prep.quote(c)}' for c in self.columns)})"
        )
        return int(conn.exec_driver_sql(sql, params).rowcount or 0)

    def delete_gone(self, conn: sa.Connection) -> int:
        """Delete the target rows of the range whose key is not staged."""
        gone = sa.delete(self.table).where(
            self.in_range, ~sa.exists().where(self._matches(self.stage))
        )
        return self._count(conn, gone)

    @staticmethod
    def _count(conn: sa.Connection, stmt: Any) -> int:
        result = conn.execute(stmt.execution_options(preserve_rowcount=True))
        return int(result.rowcount or 0)


def _driver_sql(conn: sa.Connection, expr: Any) -> tuple[str, dict[str, Any]]:
    """``expr`` as SQL text and its parameters for the driver."""
    dialect = conn.dialect
    compiled = expr.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    params = dict(compiled.construct_params() or {})
    for name, bind in compiled.binds.items():
        if name in params:
            processor = bind.type.bind_processor(dialect)
            if processor is not None:
                params[name] = processor(params[name])
    return str(compiled), params


def resync_scope(
    writer: SqlWriter,
    conn: sa.Connection,
    source: sa.Connection,
    sql: str,
    params: dict[str, Any],
    scope: Scope,
    *,
    hard_deletes: bool,
    binary: bool,
) -> Resynced:
    """Bring the target's rows in ``scope`` to the source's (``sql``: the source's
    rows in that scope), in the caller's transaction on ``conn``."""
    prep = writer.engine.dialect.identifier_preparer
    cols = ", ".join(prep.quote(c) for c in writer.columns)
    with writer.stage_cursor(conn) as cur:
        staged = pipe(
            source,
            cur,
            sql,
            params,
            f"COPY {prep.quote(writer.staging)} ({cols}) FROM STDIN",
            binary=binary,
        )
    group = StagedGroup(writer, scope)
    if staged and group.mostly_changed(conn, staged):
        written, deleted = group.replace(conn, staged, hard_deletes=hard_deletes)
        return Resynced(staged, written, deleted, True)
    written = group.merge(conn) if staged else 0
    deleted = group.delete_gone(conn) if hard_deletes else 0
    return Resynced(staged, written, deleted, False)
