"""What the sources hold: tables and columns, and "did you mean" for names that are not there.

The workspace lists the schema with :meth:`Workspace.tables` and
:meth:`Workspace.columns`; when the database rejects a query over an unknown
table or column, :func:`explain_missing` turns the database's message into a
hint: the closest names, and which other source holds a table of that name.

>>> closest("treasury_ledgr", ["treasury_ledger", "alerts", "health_checks"])
['treasury_ledger']
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

# Schemas whose tables an analyst reads: the default one, and the sync target.
_PG_SCHEMAS = ("public", "analysis")


@dataclass(frozen=True)
class MissingName:
    """A table or column named in a query that the database does not know."""

    kind: str  # "table" or "column"
    name: str


# The wording of "not there" errors on the two backends (psycopg and sqlite3).
_PATTERNS = (
    (re.compile(r'relation "(?:[\w]+\.)?([^"]+)" does not exist'), "table"),
    (re.compile(r"no such table: (?:\w+\.)?([\w$]+)"), "table"),
    (re.compile(r'column "?(?:[\w]+\.)?([^" ]+)"? does not exist'), "column"),
    (re.compile(r"no such column: (?:\w+\.)?([\w$]+)"), "column"),
)


def missing_name(message: str) -> MissingName | None:
    """The unknown table or column a database error message names, if it names one.

    >>> missing_name('relation "treasury_ledgr" does not exist')
    MissingName(kind='table', name='treasury_ledgr')
    >>> missing_name("no such column: amout")
    MissingName(kind='column', name='amout')
    """
    for pattern, kind in _PATTERNS:
        match = pattern.search(message)
        if match:
            return MissingName(kind, match.group(1))
    return None


def closest(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Up to ``n`` candidates that look like ``name``, best first (case-insensitive)."""
    pool = {c.lower(): c for c in candidates}
    return [pool[m] for m in difflib.get_close_matches(name.lower(), list(pool), n=n, cutoff=0.6)]


def table_names(engine: Engine) -> list[str]:
    """The tables and views of one source that a query can name, sorted.

    Tables outside the default schema are listed qualified (``analysis.ledger_daily``).
    """
    inspector = sa.inspect(engine)
    if engine.dialect.name == "postgresql":
        schemas = [s for s in inspector.get_schema_names() if s in _PG_SCHEMAS]
    else:
        schemas = [s for s in inspector.get_schema_names() if s in ("main", "analysis")]
    names: list[str] = []
    for schema in schemas:
        qualified = schema not in ("public", "main")
        for name in [*inspector.get_table_names(schema), *inspector.get_view_names(schema)]:
            names.append(f"{schema}.{name}" if qualified else name)
    return sorted(set(names))


def column_frame(engine: Engine, table: str) -> pd.DataFrame:
    """One row per column of ``table``: name, type, nullable, default, primary key."""
    schema, _, name = table.rpartition(".")
    inspector = sa.inspect(engine)
    columns = inspector.get_columns(name, schema=schema or None)
    keys = set(inspector.get_pk_constraint(name, schema=schema or None).get("constrained_columns"))
    return pd.DataFrame(
        {
            "column": [c["name"] for c in columns],
            "type": [str(c["type"]).lower() for c in columns],
            "nullable": pd.array([bool(c["nullable"]) for c in columns], dtype="boolean"),
            "default": [None if c.get("default") is None else str(c["default"]) for c in columns],
            "primary_key": pd.array([c["name"] in keys for c in columns], dtype="boolean"),
        }
    )


def hint_for(
    message: str,
    source: str,
    tables_of: Callable[[str], list[str]],
    sources: Iterable[str],
    columns_of: Callable[[str, str], list[str]] | None = None,
    sql: str = "",
) -> str | None:
    """A "did you mean" hint for a database error about an unknown table or column.

    ``tables_of(source)`` lists a source's tables (it may raise when that source is
    unreachable; such a source is skipped). ``columns_of(source, table)`` lists a
    table's columns, used to suggest column names for the tables the query mentions.
    """
    missing = missing_name(message)
    if missing is None:
        return None
    if missing.kind == "table":
        return _table_hint(missing.name, source, tables_of, sources)
    if columns_of is None:
        return None
    here = _safe(tables_of, source)
    mentioned = [t for t in here if re.search(rf"\b{re.escape(t)}\b", sql, re.IGNORECASE)]
    names: list[str] = []
    for table in mentioned:
        try:
            names.extend(columns_of(source, table))
        except Exception:  # a hint must never replace the real error
            continue
    guesses = closest(missing.name, names)
    if guesses:
        return f"did you mean {_quoted(guesses)}?"
    return None


def _table_hint(
    name: str, source: str, tables_of: Callable[[str], list[str]], sources: Iterable[str]
) -> str | None:
    bare = name.rpartition(".")[2].lower()
    holders = [
        other
        for other in sources
        if other != source
        and any(t.rpartition(".")[2].lower() == bare for t in _safe(tables_of, other))
    ]
    parts: list[str] = []
    guesses = closest(name, _safe(tables_of, source))
    if guesses:
        parts.append(f"did you mean {_quoted(guesses)}?")
    if holders:
        where = " and ".join(holders)
        parts.append(
            f"a table named {bare!r} is in {where}: pass source={holders[0]!r}"
            f" (or --source {holders[0]} on the command line)"
        )
    if not parts:
        parts.append("list the tables with ws.tables() (or %sql --tables)")
    return "; ".join(parts)


def _safe(tables_of: Callable[[str], list[str]], source: str) -> list[str]:
    try:
        return tables_of(source)
    except Exception:  # an unreachable source gives no suggestion
        return []


def _quoted(names: list[str]) -> str:
    return " or ".join(repr(n) for n in names)


def tables_frame(listing: Mapping[str, list[str] | str]) -> pd.DataFrame:
    """A frame of ``source, table`` from a per-source listing; an unreachable source
    (given as its error text) is one row with the reason."""
    rows: list[dict[str, str]] = []
    for source, tables in listing.items():
        if isinstance(tables, str):
            rows.append({"source": source, "table": f"(unavailable: {tables})"})
            continue
        rows.extend({"source": source, "table": t} for t in tables)
    return pd.DataFrame(rows, columns=["source", "table"])
