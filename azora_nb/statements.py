"""Checks on SQL text before it reaches a driver: one statement at a time, and a
value for every ``:name`` placeholder.

``ws.sql("select 1; insert ...")`` used to run both statements on PostgreSQL and
roll the insert back, while ``"insert ...; select 1"`` committed and lost the
select's output. azora-nb refuses more than one statement (a trailing ``;`` is
fine): run them one at a time, ``ws.execute`` for the ones that change data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from azora_nb.exceptions import QueryError

_DOLLAR_TAG = re.compile(r"\$[A-Za-z_][A-Za-z0-9_]*\$|\$\$")


def statements(sql: str) -> list[str]:
    """Split ``sql`` at the semicolons outside quotes, dollar quotes and comments;
    empty statements are dropped.

    >>> statements("select ';' as a; -- no ; here\\n select 2;")
    ["select ';' as a", '-- no ; here\\n select 2']
    """
    parts: list[str] = []
    start = i = 0
    n = len(sql)
    while i < n:
        ch = sql[i]
        if ch in ("'", '"'):
            i = _after_quote(sql, i, ch)
            continue
        if sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        if sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        if ch == "$":
            tag = _DOLLAR_TAG.match(sql, i)
            if tag:
                end = sql.find(tag.group(), tag.end())
                i = n if end < 0 else end + len(tag.group())
                continue
        if ch == ";":
            parts.append(sql[start:i])
            start = i + 1
        i += 1
    parts.append(sql[start:])
    return [p.strip() for p in parts if _has_code(p)]


def _after_quote(sql: str, i: int, quote: str) -> int:
    j = i + 1
    while j < len(sql):
        if sql[j] == quote:
            if sql.startswith(quote * 2, j):  # doubled quote: an escaped one
                j += 2
                continue
            return j + 1
        j += 1
    return j


def _has_code(part: str) -> bool:
    without_comments = re.sub(r"--[^\n]*|/\*.*?\*/", "", part, flags=re.DOTALL)
    return bool(without_comments.strip())


def check_text(sql: str, params: Mapping[str, Any] | None, source: str, names: list[str]) -> None:
    """Raise :class:`QueryError` when ``sql`` holds several statements, or when a
    placeholder in ``names`` has no value in ``params``."""
    found = statements(sql)
    if len(found) > 1:
        raise QueryError(
            source,
            f"the query holds {len(found)} statements; azora-nb runs one at a time",
            hint="Send them one by one (ws.execute for those that change data), so "
            "that each result and each commit is yours to see",
        )
    missing = [name for name in names if name not in (params or {})]
    if missing:
        listed = ", ".join(f":{name}" for name in missing)
        flags = " ".join(f"-p {name}=VALUE" for name in missing)
        raise QueryError(
            source,
            f"no value for {listed}",
            hint=f"Pass it in params (on the command line: {flags})",
        )
