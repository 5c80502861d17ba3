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


def reconcile(reader: Any, writer: Any, source_range: tuple[Row, Row] | None,
              target_range: tuple[Row, Row] | None, dead: set[str]) -> dict[str, Any]:
    """Compare source and target over the run's key range (as each side spells the
    keys: a Mongo ObjectId is text in a SQL target); ``dead`` are key texts to skip."""
    if source_range is None or target_range is None:
        return {"checked": False, "reason": "no rows written"}
    lo, hi = target_range
    nkey = len(lo)
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
