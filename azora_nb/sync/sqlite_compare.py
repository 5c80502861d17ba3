"""Reconciliation of a SQLite target with a SQLite source file, inside SQLite.

The source file is attached to the target's connection and each key-range bucket
is compared by one query: every source row of the bucket is looked up by key in
the target, and the rows that are missing there or whose values differ
(``IS NOT``, as the merge compares them) are counted; the target's live rows in the
bucket are counted apart. Equal counts and no differing row mean the same rows with
the same values. No value becomes a Python object and nothing is hashed, so the
comparison is exact and costs about one indexed read of each side.

The result is given in the shape of two digests (:data:`Digest`), so that the
report, the repair and the next run treat it like any other: the source's bucket
is ``(rows, 0)``, the target's ``(rows, 0)`` when every source row matched and
``(rows, 1)`` otherwise.

Taken when both sides are SQLite with the same declared types, the source is a
table of a file whose primary key is the definition's single-column key, no value
is converted (``types``), no record is in the dead-letter table, and the bucket
bounds are text or integers (compared as stored, the key index serving each range).
"""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlalchemy as sa

from azora_nb.sync.buckets import Buckets, Digest, Scope
from azora_nb.sync.sources import SqlReader, raw_column
from azora_nb.sync.writers import SqlWriter

ALIAS = "azora_cmp_src"


def can_compare(reader: Any, writer: Any, buckets: Buckets, types: Any, dead: set[str]) -> bool:
    """Whether :class:`AttachedCompare` applies (see the module's docstring)."""
    if not (
        isinstance(reader, SqlReader)
        and isinstance(writer, SqlWriter)
        and reader.engine.dialect.name == writer.dialect == "sqlite"
        and not types
        and not dead
        and len(writer.definition.key) == 1
        and reader.engine.url.database not in (None, "", ":memory:")
        and all(isinstance(b, int | str) and not isinstance(b, bool) for b in buckets.bounds)
        and len({type(b) for b in buckets.bounds}) <= 1
    ):
        return False
    return reader.key_is_primary_key()


class AttachedCompare:
    def __init__(self, reader: SqlReader, writer: SqlWriter, buckets: Buckets) -> None:
        self.reader = reader.in_schema(ALIAS)
        self.path = str(reader.engine.url.database)
        self.writer = writer
        self.buckets = buckets

    @functools.cache  # noqa: B019 - one comparer per reconciliation
    def _statements(self, low: bool, high: bool) -> tuple[Any, Any]:
        """The two counts of a bucket, bounded below by ``:lo`` and above by ``:hi``
        where asked (the first and last buckets are open)."""
        key = self.writer.definition.key[0]
        s = self.reader.relation.alias("s")
        t = self.writer.table.alias("t")
        src = {c: raw_column(s.c[str(self.reader.column(c).key)]) for c in self.writer.columns}
        tgt = {c: raw_column(t.c[c]) for c in self.writer.columns}
        on = tgt[key] == src[key]
        tomb = self.writer.tombstone
        if tomb:  # a tombstoned target row counts as missing
            on = on & t.c[tomb].is_(None)
        differs = sa.or_(
            tgt[key].is_(None),
            *[tgt[c].is_distinct_from(src[c]) for c in self.writer.columns if c != key],
        )

        def in_range(column: Any) -> list[Any]:
            return [
                *([column >= sa.bindparam("lo")] if low else []),
                *([column < sa.bindparam("hi")] if high else []),
            ]

        source = (
            sa.select(sa.func.count(), sa.func.sum(sa.case((differs, 1), else_=0)))
            .select_from(s.outerjoin(t, on))
            .where(sa.true(), *in_range(src[key]))
        )
        target = (
            sa.select(sa.func.count())
            .select_from(t)
            .where(sa.true(), *in_range(tgt[key]), *([t.c[tomb].is_(None)] if tomb else []))
        )
        return source, target

    def digests(self, scope: Scope | None) -> tuple[Digest, Digest]:
        """Both digests, the buckets shared between two connections (two cores)."""
        wanted = list(range(self.buckets.count) if scope is None else sorted(scope.wanted))
        source: Digest = {}
        target: Digest = {}
        with ThreadPoolExecutor(2) as pool:
            for part in pool.map(self._compare, [wanted[0::2], wanted[1::2]]):
                source.update(part[0])
                target.update(part[1])
        return source, target

    def _compare(self, wanted: list[int]) -> tuple[Digest, Digest]:
        source: Digest = {}
        target: Digest = {}
        if not wanted:
            return source, target
        bounds = self.buckets.bounds
        with self.writer.engine.connect() as conn:
            conn.exec_driver_sql(f"ATTACH DATABASE ? AS {ALIAS}", (self.path,))
            try:
                for bucket in wanted:
                    low, high = bucket > 0, bucket < len(bounds)
                    params = {
                        **({"lo": bounds[bucket - 1]} if low else {}),
                        **({"hi": bounds[bucket]} if high else {}),
                    }
                    src_stmt, tgt_stmt = self._statements(low, high)
                    rows, differ = conn.execute(src_stmt, params).one()
                    live = int(conn.execute(tgt_stmt, params).scalar() or 0)
                    if rows:
                        source[bucket] = (int(rows), 0)
                    if live:
                        target[bucket] = (live, 0 if not differ else 1)
            finally:
                conn.rollback()
                conn.exec_driver_sql(f"DETACH DATABASE {ALIAS}")
                conn.commit()
        return source, target
