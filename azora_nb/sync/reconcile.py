"""Reconciliation after a run: counts and a checksum over the run's key range.

The range is from the smallest to the largest key the run read. On each side,
every record in the range contributes the hash of its key and cursor value
(spelled by :func:`azora_nb.sync.convert.canonical`, so that a timestamp on
PostgreSQL, SQLite and MongoDB hashes alike); the checksum is their sum modulo
2**64, which does not depend on order. Records still in the dead-letter table
are left out of the source side. A mismatch does not fail the run: it is
stored with it and reported, since it means rows changed outside the window
(for example a row committed later than the lag allows, or a NULL cursor not
included), which a ``--full`` run repairs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from azora_nb.sync import convert
from azora_nb.sync.state import key_text

Row = tuple[Any, ...]
_MOD = 2**64


def _digest(rows: Iterable[Row], skip: set[str], nkey: int) -> tuple[int, int]:
    count = 0
    total = 0
    for row in rows:
        if skip and key_text(tuple(row[:nkey])) in skip:
            continue
        count += 1
        total = (total + convert.row_hash(tuple(row))) % _MOD
    return count, total


def _both_postgres(reader: Any, writer: Any) -> bool:
    engines = [getattr(reader, "engine", None), getattr(writer, "engine", None)]
    return all(e is not None and e.dialect.name == "postgresql" for e in engines)


def _pg_digest(engine: sa.Engine, cols: list[Any], cond: Any) -> tuple[int, int]:
    """Count and checksum computed by PostgreSQL, when both sides are PostgreSQL with
    the same column types: md5 of the columns' text, first 64 bits, summed. Nothing
    but two numbers travels, whatever the size of the range."""
    text = sa.func.concat_ws("|", *[sa.cast(c, sa.Text) for c in cols])
    bits = sa.cast(sa.literal("x") + sa.func.left(sa.func.md5(text), 16), postgresql.BIT(64))
    stmt = sa.select(
        sa.func.count(), sa.func.coalesce(sa.func.sum(sa.cast(bits, sa.BigInteger)), 0)
    ).where(cond)
    with engine.connect() as conn:
        row = conn.execute(stmt).one()
    return int(row[0]), int(row[1]) % _MOD


def reconcile(
    reader: Any,
    writer: Any,
    source_range: tuple[Row, Row] | None,
    target_range: tuple[Row, Row] | None,
    dead: set[str],
) -> dict[str, Any]:
    """Compare source and target over the run's key range (as each side spells the
    keys: a Mongo ObjectId is text in a SQL target); ``dead`` are key texts to skip."""
    if source_range is None or target_range is None:
        return {"checked": False, "reason": "no rows written"}
    lo, hi = target_range
    nkey = len(lo)
    if not dead and _both_postgres(reader, writer):
        src_count, src_sum = _pg_digest(reader.engine, *reader.key_range(*source_range))
        tgt_count, tgt_sum = _pg_digest(writer.engine, *writer.key_range(lo, hi))
    else:
        src_count, src_sum = _digest(reader.key_cursor_rows(*source_range), dead, nkey)
        tgt_count, tgt_sum = _digest(writer.key_cursor_rows(lo, hi), set(), nkey)
    return {
        "checked": True,
        "key_range": [convert.canonical(v) for v in (*lo, *hi)],
        "source_count": src_count,
        "target_count": tgt_count,
        "checksum_match": src_sum == tgt_sum,
        "ok": src_count == tgt_count and src_sum == tgt_sum,
    }
