"""Which tables a query reads, so that writes to them invalidate it.

Text SQL is parsed with sqlglot; Core statements are walked for their
``Table`` objects. ``None`` means "could not tell": the caller falls back to
TTL-only caching and says so. Statements that write are never cached.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import sqlalchemy as sa
import sqlglot
from sqlalchemy.sql import visitors
from sqlglot import exp

from azora_nb.cache.keys import _sqlglot_dialect, normalise_table

_READS = (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Values)
_WRITES = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.Command,
    exp.TruncateTable,
)


# Placeholders of expanding IN lists; only table names are wanted from this text.
_POSTCOMPILE = re.compile(r"__\[POSTCOMPILE_\w+\]")


class NotCacheable(ValueError):
    """A statement that changes data (or cannot be proven not to)."""


def tables_read(stmt: Any, dialect: str) -> frozenset[str] | None:
    """Normalised names of the tables ``stmt`` reads, or ``None`` when unknown.

    Raises :class:`NotCacheable` for statements that write.

    >>> sorted(tables_read(sa.text("select * from a join public.b using (id)"), "postgresql"))
    ['a', 'b']
    """
    if isinstance(stmt, sa.TextClause):
        return _tables_in_text(stmt.text, dialect)
    if isinstance(stmt, sa.sql.expression.UpdateBase):
        raise NotCacheable("INSERT, UPDATE and DELETE statements are not cached")
    found: set[str] = set()
    has_text = False
    for element in visitors.iterate(stmt):
        if isinstance(element, sa.TableClause):
            schema = getattr(element, "schema", None)
            found.add(normalise_table(f"{schema}.{element.name}" if schema else element.name))
        elif isinstance(element, sa.TextClause | sa.sql.expression.TextualSelect):
            has_text = True
    if has_text:
        # Text fragments inside a Core statement may name tables of their own.
        sql = _POSTCOMPILE.sub("NULL", str(stmt.compile()))
        from_text = _tables_in_text(sql, dialect)
        return None if from_text is None else frozenset(found | from_text)
    return frozenset(found)


@functools.lru_cache(maxsize=1024)
def _tables_in_text(sql: str, dialect: str) -> frozenset[str] | None:
    try:
        statements = sqlglot.parse(sql, read=_sqlglot_dialect(dialect))
    except sqlglot.errors.SqlglotError:
        return None
    if len(statements) != 1 or statements[0] is None:
        return None
    tree = statements[0]
    if isinstance(tree, _WRITES) or any(tree.find_all(*_WRITES)):
        raise NotCacheable("statements that write are not cached")
    if not isinstance(tree, _READS) and not isinstance(tree, exp.Subquery):
        return None
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    names: set[str] = set()
    for table in tree.find_all(exp.Table):
        if not table.name:
            return None  # a table function or something sqlglot could not name
        if not table.db and table.name.lower() in ctes:
            continue
        qualified = f"{table.db}.{table.name}" if table.db else table.name
        names.add(normalise_table(qualified))
    return frozenset(names)
