"""Key-range buckets: the unit in which source and target are compared and repaired.

The buckets split the range of the first key column at sorted *bounds*: bucket 0
holds the keys below ``bounds[0]``, bucket ``i`` those from ``bounds[i-1]`` up to
(not including) ``bounds[i]``, the last one everything from the last bound up.
Text keys compare byte by byte (PostgreSQL's ``"C"`` collation, SQLite's default,
Python's ``str`` order), so that a key falls in the same bucket on every backend.

A bucket's *digest* is its row count and the sum, modulo 2**64, of a 64-bit hash
of each row's values: equal digests mean the same rows with the same values (up
to a hash collision), whatever their order.
"""

from __future__ import annotations

import bisect
import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from azora_nb.sync import convert

MOD = 2**64
Digest = dict[int, tuple[int, int]]
"""bucket → (rows, sum of row hashes mod 2**64); empty buckets are left out."""


BYTES = "bytes"
COLLATE_C = "collate-c"


def text_ordering(engine: sa.Engine) -> str:
    """How text compares byte by byte in this database: natively (SQLite; PostgreSQL
    with a C collation, whose key index then serves bucket ranges) or only with
    ``COLLATE "C"``."""
    if engine.dialect.name != "postgresql":
        return BYTES
    with engine.connect() as conn:
        collation = conn.execute(
            sa.text("SELECT datcollate FROM pg_database WHERE datname = current_database()")
        ).scalar()
    return BYTES if str(collation).split(".")[0] in ("C", "POSIX", "ucs_basic") else COLLATE_C


def key_order(value: Any) -> Any:
    """A first-key value as buckets compare it: numbers and timestamps as themselves,
    anything else (text, an ObjectId, a UUID) as its text."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime):
        return convert.floor_ms(value)
    return str(value)


@dataclass(frozen=True)
class Buckets:
    bounds: tuple[Any, ...] = ()

    @property
    def count(self) -> int:
        return len(self.bounds) + 1

    @property
    def textual(self) -> bool:
        return bool(self.bounds) and isinstance(self.bounds[0], str)

    def index(self, value: Any) -> int:
        return bisect.bisect_right(self.bounds, key_order(value))

    def describe(self, i: int) -> str:
        lo = convert.canonical(self.bounds[i - 1]) if i > 0 else "start"
        hi = convert.canonical(self.bounds[i]) if i < len(self.bounds) else "end"
        return f"#{i} [{lo} .. {hi})"

    # -- SQL --------------------------------------------------------------------------
    def _sql_type(self) -> sa.types.TypeEngine[Any]:
        first = self.bounds[0] if self.bounds else ""
        if isinstance(first, int):
            return sa.BigInteger()
        if isinstance(first, float | Decimal):
            return sa.Numeric()
        if isinstance(first, datetime):
            return sa.DateTime(timezone=True)
        return sa.Text()

    def _ordered(self, column: Any, ordering: str) -> Any:
        """``column`` cast to the bounds' type; text compared byte by byte (with
        ``COLLATE "C"`` where the database's own order is another)."""
        expr = sa.cast(column, self._sql_type())
        return expr.collate("C") if self.textual and ordering == COLLATE_C else expr

    def bucket_of(self, column: Any, ordering: str) -> Any:
        """A SQL expression for the bucket of ``column`` (PostgreSQL). Text compares
        with ``COLLATE "C"`` even where that is the database's order: a collation
        named otherwise ("C.UTF-8") is compared through ``strcoll``, slower."""
        if not self.bounds:
            return sa.literal(0)
        array = sa.literal(list(self.bounds), postgresql.ARRAY(self._sql_type()))
        expr = self._ordered(column, ordering)
        if self.textual and ordering != COLLATE_C:
            expr = expr.collate("C")
        return sa.func.width_bucket(expr, array)

    def condition(self, column: Any, ordering: str, buckets: Iterable[int]) -> Any:
        """``column`` lies in one of ``buckets`` (adjacent ones merged into one range)."""
        wanted = sorted(set(buckets))
        if len(wanted) >= self.count:
            return sa.true()
        expr = self._ordered(column, ordering)
        ranges: list[list[int]] = []
        for i in wanted:
            if ranges and ranges[-1][1] == i - 1:
                ranges[-1][1] = i
            else:
                ranges.append([i, i])
        parts = []
        for first, last in ranges:
            conds = []
            if first > 0:
                conds.append(expr >= self.bounds[first - 1])
            if last < len(self.bounds):
                conds.append(expr < self.bounds[last])
            parts.append(sa.and_(*conds) if conds else sa.true())
        return sa.or_(*parts) if parts else sa.false()

    # -- storing ------------------------------------------------------------------------
    def to_json(self) -> list[Any]:
        return [convert.encode_watermark(b) for b in self.bounds]

    @classmethod
    def from_json(cls, raw: Sequence[Any]) -> Buckets:
        return cls(tuple(convert.decode_watermark(b) for b in raw))

    @classmethod
    def from_keys(cls, keys: Iterable[Any], bucket_rows: int) -> Buckets:
        """Bounds every ``bucket_rows`` keys of the sorted ``keys``."""
        ordered = sorted(key_order(k) for k in keys)
        return cls.from_sorted(ordered, bucket_rows)

    @classmethod
    def from_sorted(cls, ordered: Sequence[Any], bucket_rows: int) -> Buckets:
        n = math.ceil(len(ordered) / bucket_rows)
        if n <= 1:
            return cls()
        step = len(ordered) / n
        bounds: list[Any] = []
        for i in range(1, n):
            value = ordered[int(i * step)]
            if not bounds or value > bounds[-1]:
                bounds.append(value)
        return cls(tuple(bounds))


@dataclass(frozen=True)
class Scope:
    """The buckets a run (or a repair) re-syncs."""

    buckets: Buckets
    wanted: frozenset[int]

    def sql(self, column: Any, ordering: str) -> Any:
        return self.buckets.condition(column, ordering, self.wanted)

    def contains(self, first_key: Any) -> bool:
        return self.buckets.index(first_key) in self.wanted

    @property
    def everything(self) -> bool:
        return len(self.wanted) >= self.buckets.count


def row_hash(values: Sequence[Any]) -> int:
    """A 64-bit hash of one row's values as :func:`convert.canonical` spells them."""
    text = "\x1f".join(convert.canonical(v) for v in values)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


class DigestBuilder:
    """Accumulates a digest row by row (the Python side of a comparison)."""

    def __init__(self, buckets: Buckets) -> None:
        self.buckets = buckets
        self.digest: dict[int, list[int]] = {}

    def add(self, first_key: Any, values: Sequence[Any]) -> None:
        slot = self.digest.setdefault(self.buckets.index(first_key), [0, 0])
        slot[0] += 1
        slot[1] = (slot[1] + row_hash(values)) % MOD

    def result(self) -> Digest:
        return {b: (c, s) for b, (c, s) in self.digest.items()}


def sql_digest(
    engine: sa.Engine,
    relation: Any,
    first_key: Any,
    columns: Sequence[Any],
    buckets: Buckets,
    where: Any = None,
    ordering: str = COLLATE_C,
    by_record: bool = True,
) -> Digest:
    """A digest computed by PostgreSQL: the bucket by ``width_bucket``, the row hash by
    ``hash_record_extended`` (each column's own hash function), or of the row's text
    where a column type has none. Comparable only with another PostgreSQL digest of
    columns of the same types, hashed the same way."""
    bucket = buckets.bucket_of(first_key, ordering).label("b")
    stmt = (
        sa.select(bucket, sa.func.count(), sa.func.sum(pg_row_hash(columns, by_record)))
        .select_from(relation)
        .group_by(sa.literal_column("b"))
    )
    if where is not None:
        stmt = stmt.where(where)
    with engine.connect() as conn:
        # the planner expects as many buckets as rows and would sort every row by
        # bucket (on disk); there are only a few hundred, which a hash table holds
        conn.exec_driver_sql("SET LOCAL enable_sort = off")
        return {int(b): (int(c), int(s) % MOD) for b, c, s in conn.execute(stmt)}


def differing(source: Digest, target: Digest) -> list[int]:
    return sorted(b for b in set(source) | set(target) if source.get(b) != target.get(b))


def pg_row_hash(columns: Sequence[Any], by_record: bool) -> Any:
    if by_record:
        return sa.func.hash_record_extended(sa.func.row(*columns), 0)
    return sa.func.hashtextextended(sa.cast(sa.func.row(*columns), sa.Text), 0)


def record_hashable(engine: sa.Engine, relation: Any, columns: Sequence[Any]) -> bool:
    """Whether every column's type has a hash function (``json`` has none)."""
    stmt = sa.select(pg_row_hash(columns, True)).select_from(relation).limit(1)
    try:
        with engine.connect() as conn:
            conn.execute(stmt).all()
    except sa.exc.DBAPIError:
        return False
    return True
