"""The default ``as_of`` of a report: taken from the data, never a fixed date.

``as_of`` is an instant; the analytics read the date ``"2026-10-31"`` as its
midnight (UTC), so windows end with 30 October. The default is the end of the
latest *complete* day found in the report's clock table: the midnight after the
newest row's day when that midnight has passed, else the midnight that began
today (rows of today, or of the future, are newer than ``as_of``). With no rows,
or no reachable table, it is today's midnight.

>>> default_as_of(ws, "treasury")                 # doctest: +SKIP
'2026-10-31'
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa

from azora_nb.exceptions import AzoraError
from azora_nb.schema import core, gateway, mint

if TYPE_CHECKING:
    from azora_nb.workspace import Workspace

CLOCKS: Mapping[str, tuple[tuple[str, sa.Column[Any]], ...]] = {
    "treasury": (("core", core.treasury_ledger.c.created_at),),
    "mining": (("core", core.mining_sessions.c.start_time),),
    "rewards": (("mint", mint.knowledge_rewards.c.createdAt),),
    "health": (
        ("core", core.system_health.c.timestamp),
        ("core", core.alerts.c.created_at),
        ("gateway", gateway.api_calls.c.timestamp),
    ),
}
"""Per report, the ``(source, column)`` whose newest value dates the data; with
several, the newest of them."""


def latest_complete_day_end(newest: datetime | None, now: datetime | None = None) -> date:
    """The date whose midnight ends the latest complete day that holds ``newest``.

    >>> now = datetime(2026, 12, 4, 10, tzinfo=UTC)
    >>> latest_complete_day_end(datetime(2026, 10, 30, 13, tzinfo=UTC), now)
    datetime.date(2026, 10, 31)
    >>> latest_complete_day_end(datetime(2026, 12, 4, 9, tzinfo=UTC), now)
    datetime.date(2026, 12, 4)
    """
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    if newest is None:
        return today
    following = newest.astimezone(UTC).date() + timedelta(days=1)
    return min(following, today)


def newest_row(ws: Workspace, source: str, column: sa.Column[Any]) -> datetime | None:
    """The newest value of ``column`` on ``source``; ``None`` when there is none or the
    source or table cannot be read."""
    stmt = sa.select(sa.func.max(column).label("newest"))
    try:
        frame = ws.sql(stmt, source=source)
    except AzoraError:
        return None
    if frame.empty:
        return None
    value = frame["newest"].iloc[0]
    if value is None or pd.isna(value):
        return None
    stamp = pd.Timestamp(value)
    return (stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp).to_pydatetime()


def default_as_of(ws: Workspace, report: str, now: datetime | None = None) -> str:
    """The default ``as_of`` of ``report`` (an ISO date, see the module docstring)."""
    newest = [
        found for clock in CLOCKS.get(report, ()) if (found := newest_row(ws, *clock)) is not None
    ]
    return latest_complete_day_end(max(newest, default=None), now).isoformat()


def resolve_as_of(ws: Workspace, report: str, as_of: str | None) -> str:
    """``as_of`` as given, or the default from the data when it is empty or ``None``."""
    return as_of if as_of else default_as_of(ws, report)
