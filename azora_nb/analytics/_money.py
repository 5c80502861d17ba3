"""Exact amounts: compared in the database, shown with every digit that differs.

PostgreSQL holds money as NUMERIC, which a float cannot carry: 1,000,000,000,000.00000001
and 1,000,000,000,000.00000000 are the same double. So checks compare NUMERIC
columns in SQL against NUMERIC tolerances (:func:`tolerance`), and read the
amounts they report as text (:func:`exact`), turned into :class:`~decimal.Decimal`
here. SQLite stores NUMERIC as REAL (see :mod:`azora_nb.types`), and Prisma's ``Float``
columns are REAL everywhere; a float is read to :data:`FLOAT_PLACES` decimals.

:func:`amounts` formats a set of amounts with one precision, the fewest decimals
(at least 2) that show every one of them exactly, with thousands separators, so
that two amounts that differ never print alike.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

MIN_PLACES = 2
FLOAT_PLACES = 8


class exact(FunctionElement[str]):
    """A NUMERIC column read without a float in between: text on PostgreSQL, the
    stored REAL on SQLite (read back by :func:`to_decimal` either way)."""

    name = "az_exact"
    inherit_cache = True
    type = sa.Text()


@compiles(exact, "postgresql")
def _exact_pg(element: exact, compiler: Any, **kw: Any) -> str:
    (column,) = list(element.clauses)
    return f"CAST({compiler.process(column, **kw)} AS TEXT)"


@compiles(exact, "sqlite")
def _exact_sqlite(element: exact, compiler: Any, **kw: Any) -> str:
    (column,) = list(element.clauses)
    return f"({compiler.process(column, **kw)})"


def tolerance(value: str) -> sa.BindParameter[Decimal]:
    """A tolerance bound as NUMERIC, so ``abs(a - b) > tolerance`` stays exact on PostgreSQL
    (a float parameter would turn the comparison into double precision)."""
    return sa.literal(Decimal(value), sa.Numeric(38, 18))


def to_decimal(value: Any) -> Decimal | None:
    """A value read through :func:`exact` (text, float or int) as a Decimal; None for NULL."""
    if value is None:
        return None
    if isinstance(value, float):
        if value != value:  # NaN is how a missing value reaches a float column
            return None
        # A float (a REAL column, or a sum of them) carries about 15 significant digits,
        # and sums pick up noise in the last ones (18.560000000000002), which differs
        # between backends: 8 decimals are what a NUMERIC(30,8) amount holds.
        return round(Decimal(repr(value)), FLOAT_PLACES)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def places(*values: Decimal | None) -> int:
    """The fewest decimals (at least 2) that show every value exactly."""
    exponents = [
        -v.normalize().as_tuple().exponent  # type: ignore[operator]
        for v in values
        if v is not None and v.is_finite()
    ]
    return max([MIN_PLACES, *exponents])


def amounts(*values: Decimal | float | None) -> list[str]:
    """Format amounts alike: one precision for all, thousands separators.

    >>> amounts(Decimal("1000000000000.00000001"), Decimal("1000000000000"))
    ['1,000,000,000,000.00000001', '1,000,000,000,000.00000000']
    >>> amounts(40.49, Decimal("55.84000000"))
    ['40.49', '55.84']
    """
    exact_values = [v if isinstance(v, Decimal) or v is None else to_decimal(v) for v in values]
    digits = places(*exact_values)
    return ["NULL" if v is None else f"{v:,.{digits}f}" for v in exact_values]


def difference(a: Decimal | float | None, b: Decimal | float | None, unit: str) -> str:
    """``"a vs b (b - a = d)"`` with one precision, e.g. for a finding's detail."""
    x = a if isinstance(a, Decimal) or a is None else to_decimal(a)
    y = b if isinstance(b, Decimal) or b is None else to_decimal(b)
    if x is None or y is None:
        left, right = amounts(x, y)
        return f"{left} vs {right} {unit}"
    left, right, delta = amounts(x, y, y - x)
    return f"{left} vs {right} {unit} (difference {delta})"
