"""A page of rows on its way from a reader to a writer: converted, checked, split
into the rows to merge and the dead letters."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from azora_nb.sync import convert

Row = tuple[Any, ...]
DeadLetter = tuple[Row | None, str, dict[str, Any]]
"""(key, or None when the key is missing; the reason; the record as JSON)."""


@dataclass
class Page:
    """Rows to merge (one per key), dead letters, the keys as read, and the encoded
    watermark to store with the page (None: the page does not move it)."""

    good: list[Row] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    raw_keys: list[Row] = field(default_factory=list)
    watermark: Any = None


def record(columns: Sequence[str], row: Row) -> dict[str, Any]:
    """A row as the JSON-safe record kept in the dead-letter table."""
    return dict(
        json.loads(json.dumps(dict(zip(columns, row, strict=False)), default=convert._json_default))
    )


class PageChecker:
    """Converts each row's values to their column kinds and keeps the last row per key;
    rows without a key or with a value that does not convert become dead letters."""

    def __init__(
        self,
        columns: Sequence[str],
        key: Sequence[str],
        converters: Sequence[tuple[int, convert.Converter]],
    ) -> None:
        self.columns = list(columns)
        self.key = tuple(key)
        self.key_idx = [self.columns.index(k) for k in key]
        self.converters = list(converters)

    def key_of(self, row: Row) -> Row:
        return tuple(row[i] for i in self.key_idx)

    def convert(self, raw: Row) -> Row:
        """``raw`` with its values converted; raises :class:`convert.BadValue`
        (its message names the column)."""
        if not self.converters:
            return raw
        values = list(raw)
        for i, fn in self.converters:
            if values[i] is not None:
                try:
                    values[i] = fn(values[i])
                except convert.BadValue as exc:
                    raise convert.BadValue(f"column {self.columns[i]}: {exc}") from None
        return tuple(values)

    def convert_key(self, key: Row) -> Row:
        """A key as read, converted like the key columns of a row."""
        values = list(key)
        for i, fn in self.converters:
            if i in self.key_idx and values[self.key_idx.index(i)] is not None:
                j = self.key_idx.index(i)
                values[j] = fn(values[j])
        return tuple(values)

    def check(self, rows: Sequence[Row]) -> Page:
        page = Page()
        by_key: dict[Row, Row] = {}
        for raw in rows:
            key = self.key_of(raw)
            if any(v is None for v in key):
                missing = [k for k, v in zip(self.key, key, strict=True) if v is None]
                page.dead.append(
                    (None, f"missing key {', '.join(missing)}", record(self.columns, raw))
                )
                continue
            try:
                row = self.convert(raw)
            except convert.BadValue as exc:
                page.dead.append((key, str(exc), record(self.columns, raw)))
                continue
            page.raw_keys.append(key)
            by_key[self.key_of(row)] = row
        page.good = list(by_key.values())
        return page
