"""Whole-table reconciliation: both sides compared bucket by bucket.

Each side gives a digest per key-range bucket (:mod:`azora_nb.sync.buckets`): its
row count and a hash of every row's values, over the whole table, not just the
keys one run read. So a late row older than the lag window, a value changed in
place and a row deleted at the source all show as a bucket that differs.

Where both sides are PostgreSQL tables whose columns have the same types, the
databases compute the digests (only a few numbers per bucket travel) and do it
at the same time. Otherwise rows are streamed, brought to their column's kind
and hashed as :func:`azora_nb.sync.convert.canonical` spells them, so that a
MongoDB document and a SQLite row with the same values hash alike. Records in
the dead-letter table are left out on both sides.

The bucket bounds are kept with each run's reconciliation, so that the next run
and ``sync repair`` name the same buckets; they are taken again from the target's
keys when there are none yet or when the buckets have grown far from
``bucket_rows``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from typing import Any

from azora_nb.sync import convert
from azora_nb.sync.buckets import (
    MOD,
    Buckets,
    Digest,
    DigestBuilder,
    Scope,
    differing,
    record_hashable,
    row_hash,
    sql_digest,
)
from azora_nb.sync.definitions import SyncDefinition
from azora_nb.sync.page import PageChecker
from azora_nb.sync.sources import Reader, SqlReader
from azora_nb.sync.sqlite_compare import AttachedCompare, can_compare
from azora_nb.sync.state import key_text
from azora_nb.sync.writers import SqlWriter, Writer

Row = tuple[Any, ...]
MAX_LISTED = 200
"""Differing buckets listed one by one in a run's record (the count is always kept)."""


class Reconciler:
    def __init__(
        self,
        definition: SyncDefinition,
        reader: Reader,
        writer: Writer,
        checker: PageChecker,
        dead: set[str],
        previous: dict[str, Any] | None,
    ) -> None:
        self.d = definition
        self.reader = reader
        self.writer = writer
        self.checker = checker
        self.dead = dead
        self.buckets = self._buckets(previous)
        self.in_database = self._in_database()
        self.by_record = self.in_database and self._record_hashable()
        self.raw = not self.in_database and self._raw()
        self.attached = self.raw and can_compare(
            reader, writer, self.buckets, definition.types, dead
        )

    def _buckets(self, previous: dict[str, Any] | None) -> Buckets:
        if previous and previous.get("bounds") is not None:
            stored = Buckets.from_json(previous["bounds"])
            rows = int(previous.get("target_count") or 0)
            per_bucket = rows / stored.count
            if self.d.bucket_rows / 4 <= per_bucket <= self.d.bucket_rows * 4 or (
                rows <= self.d.bucket_rows and stored.count == 1
            ):
                return stored
        return self.writer.bucket_bounds(self.d.bucket_rows)

    def _in_database(self) -> bool:
        reader, writer = self.reader, self.writer
        if not (
            isinstance(reader, SqlReader)
            and isinstance(writer, SqlWriter)
            and reader.engine.dialect.name == writer.dialect == "postgresql"
            and not self.d.types
            and not self.dead
        ):
            return False
        source_types = reader.column_types()
        target_types = writer.column_types()
        return source_types is not None and all(
            source_types.get(c) == target_types.get(c) for c in writer.columns
        )

    def _record_hashable(self) -> bool:
        assert isinstance(self.reader, SqlReader) and isinstance(self.writer, SqlWriter)
        relation, _, src_cols = self.reader.digest_parts()
        table, _, tgt_cols, _ = self.writer.digest_parts()
        return record_hashable(self.reader.engine, relation, src_cols) and record_hashable(
            self.writer.engine, table, tgt_cols
        )

    def _raw(self) -> bool:
        """SQLite on both sides with the same declared types and no conversion: the
        values are compared as stored, hashed by Python (both digests are made in
        this process), with no conversion to Python types or canonical spelling."""
        reader, writer = self.reader, self.writer
        if not (
            isinstance(reader, SqlReader)
            and isinstance(writer, SqlWriter)
            and reader.engine.dialect.name == writer.dialect == "sqlite"
            and not self.d.types
        ):
            return False
        source_types = reader.column_types()
        target_types = writer.column_types()
        return source_types is not None and all(
            source_types.get(c) == target_types.get(c) for c in writer.columns
        )

    # -- digests --------------------------------------------------------------------
    def digests(
        self, wanted: Iterable[int] | None = None, *, known: Digest | None = None
    ) -> tuple[Digest, Digest]:
        """Source and target digests (of the ``wanted`` buckets, else all); ``known``:
        the target's, already known (:meth:`maintained_target`)."""
        scope = None if wanted is None else Scope(self.buckets, frozenset(wanted))
        if known is not None and scope is None:
            return self._source_digest(None), known
        if self.attached:
            assert isinstance(self.reader, SqlReader) and isinstance(self.writer, SqlWriter)
            return AttachedCompare(self.reader, self.writer, self.buckets).digests(scope)
        with ThreadPoolExecutor(2) as pool:
            source = pool.submit(self._source_digest, scope)
            target = pool.submit(self._target_digest, scope)
            return source.result(), target.result()

    def _source_digest(self, scope: Scope | None) -> Digest:
        if self.in_database:
            assert isinstance(self.reader, SqlReader)
            relation, first, columns = self.reader.digest_parts()
            where = self.reader.in_scope(scope) if scope else None
            return sql_digest(
                self.reader.engine,
                relation,
                first,
                columns,
                self.buckets,
                where,
                self.reader.ordering,
                self.by_record,
            )
        if self.raw:
            assert isinstance(self.reader, SqlReader)
            return self._raw_digest(self.reader.scan(scope, raw=True))
        builder = DigestBuilder(self.buckets)
        normal = self._normalisers()
        first = self.checker.key_idx[0]
        for raw in self.reader.scan(scope):
            key = self.checker.key_of(raw)
            if any(v is None for v in key) or (self.dead and key_text(key) in self.dead):
                continue
            try:
                row = self.checker.convert(raw)
            except convert.BadValue:
                continue  # a dead letter
            builder.add(row[first], _normalised(row, normal))
        return builder.result()

    def maintained_target(self, stored: dict[str, Any] | None) -> Digest | None:
        """The target's digest from the previous run's (``stored``) and the changes
        this run's Mongo writer journalled, without reading the collection; None
        when that cannot be trusted (no journal, other bounds, dead letters)."""
        journal = getattr(self.writer, "journal", None)
        if stored is None or journal is None or self.dead or self.in_database or self.raw:
            return None
        slots = {int(b): [int(c), int(h)] for b, (c, h) in stored.items()}
        normal = self._normalisers()
        first = self.checker.key_idx[0]
        for old, new in journal:
            for row, sign in ((old, -1), (new, 1)):
                if row is None:
                    continue
                slot = slots.setdefault(self.buckets.index(row[first]), [0, 0])
                slot[0] += sign
                slot[1] += sign * row_hash(_normalised(row, normal))
        if any(c < 0 for c, _ in slots.values()):
            return None
        return {b: (c, h % MOD) for b, (c, h) in slots.items() if c}

    def _target_digest(self, scope: Scope | None) -> Digest:
        if self.in_database:
            assert isinstance(self.writer, SqlWriter)
            table, first, columns, live = self.writer.digest_parts()
            conds = [
                c for c in (live, self.writer.in_scope(scope) if scope else None) if c is not None
            ]
            where = conds[0] if len(conds) == 1 else (conds[0] & conds[1]) if conds else None
            return sql_digest(
                self.writer.engine,
                table,
                first,
                columns,
                self.buckets,
                where,
                self.writer.ordering,
                self.by_record,
            )
        if self.raw:
            assert isinstance(self.writer, SqlWriter)
            return self._raw_digest(self.writer.scan(scope, raw=True))
        builder = DigestBuilder(self.buckets)
        normal = self._normalisers()
        first = self.checker.key_idx[0]
        for row in self.writer.scan(scope):
            if self.dead and key_text(self.checker.key_of(row)) in self.dead:
                continue
            builder.add(row[first], _normalised(row, normal))
        return builder.result()

    def _raw_digest(self, rows: Iterable[Row]) -> Digest:
        index = self.buckets.index
        first = self.checker.key_idx[0]
        dead = self.dead
        key_of = self.checker.key_of
        counts: dict[int, list[int]] = {}
        for row in rows:
            if dead and key_text(key_of(row)) in dead:
                continue
            slot = counts.get(b := index(row[first]))
            if slot is None:
                slot = counts[b] = [0, 0]
            slot[0] += 1
            try:
                slot[1] += hash(row)
            except TypeError:  # a JSON column the driver parsed to a dict or list
                slot[1] += hash(tuple(_hashable(v) for v in row))
        return {b: (c, s % MOD) for b, (c, s) in counts.items()}

    def _normalisers(self) -> list[convert.Converter | None]:
        """Each column's converter to its kind, applied on both sides: a value stored as
        text (a timestamp some Mongo servers return as a string) or as another number
        type compares as what it means."""
        return [
            convert.converter(kind) if (kind := self.reader.kinds.get(c)) else None
            for c in self.writer.columns
        ]

    # -- the report ------------------------------------------------------------------
    def report(self, source: Digest, target: Digest) -> dict[str, Any]:
        differ = differing(source, target)
        src_rows = sum(c for c, _ in source.values())
        tgt_rows = sum(c for c, _ in target.values())
        listed = [
            {
                "bucket": b,
                "range": self.buckets.describe(b),
                "source_count": source.get(b, (0, 0))[0],
                "target_count": target.get(b, (0, 0))[0],
            }
            for b in differ[:MAX_LISTED]
        ]
        kept = (
            {"target_digest": {str(b): [c, str(h)] for b, (c, h) in target.items()}}
            if getattr(self.writer, "journal", None) is not None and not self.dead
            else {}
        )
        return {
            **kept,
            "checked": True,
            "ok": not differ,
            "source_count": src_rows,
            "target_count": tgt_rows,
            "checksum_match": not differ,
            "buckets": self.buckets.count,
            "buckets_differing": len(differ),
            "differ": listed,
            "bounds": self.buckets.to_json(),
            "computed_in": "database"
            if self.in_database
            else "database, source file attached"
            if self.attached
            else "python, values as stored"
            if self.raw
            else "python",
        }


def _hashable(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    return value


def _normalised(row: Row, normal: Sequence[convert.Converter | None]) -> list[Any]:
    out = []
    for value, fn in zip(row, normal, strict=True):
        if value is not None and fn is not None:
            with suppress(convert.BadValue):  # compared as stored
                value = fn(value)
        out.append(value)
    return out


def patched(before: Digest, after: Digest, redone: Iterable[int]) -> Digest:
    """``before`` with the buckets ``redone`` replaced by their digests in ``after``."""
    out = {b: v for b, v in before.items() if b not in set(redone)}
    out.update(after)
    return out
