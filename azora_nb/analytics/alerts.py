"""Alerts against the health checks that raise them (``core``).

* **alert_unknown_component** -- an alert's ``component`` is a component that
  ``system_health`` checks (alerts without a component are platform-wide).
* **alert_resolution_out_of_order** -- an alert's resolution is consistent:
  ``resolved`` is true exactly when ``resolved_at`` is set, and ``resolved_at`` is
  not earlier than ``created_at``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import sqlalchemy as sa

from azora_nb.analytics import _sql as q
from azora_nb.schema import core

if TYPE_CHECKING:
    from azora_nb.workspace import Workspace

_alerts = core.alerts
_checks = core.system_health


def unknown_components(ws: Workspace, *, cache: bool = True) -> pd.DataFrame:
    """Alerts whose component no ``system_health`` check reports on.

    >>> alerts.unknown_components(ws)  # doctest: +SKIP
    """
    a, h = _alerts.c, _checks.c
    known = sa.select(h.component).distinct().subquery("known")
    stmt = (
        sa.select(a.id.label("alert_id"), a.component)
        .join_from(_alerts, known, known.c.component == a.component, isouter=True)
        .where(a.component.is_not(None), known.c.component.is_(None))
        .order_by(a.id)
    )
    found = q.run(ws, stmt, "core", cache=cache)
    return q.findings(
        "alert_unknown_component",
        ({"alert_id": i} for i in found["alert_id"]),
        (f"component {c} has no health checks" for c in found["component"]),
    )


def resolution_out_of_order(ws: Workspace, *, cache: bool = True) -> pd.DataFrame:
    """Alerts resolved before they were raised, or whose ``resolved`` flag and
    ``resolved_at`` disagree.

    >>> alerts.resolution_out_of_order(ws)  # doctest: +SKIP
    """
    a = _alerts.c
    resolved = sa.func.coalesce(a.resolved, sa.false())
    early = a.resolved_at < a.created_at
    flag_without_time = sa.and_(resolved, a.resolved_at.is_(None))
    time_without_flag = sa.and_(sa.not_(resolved), a.resolved_at.is_not(None))
    stmt = (
        sa.select(
            a.id.label("alert_id"),
            sa.cast(q.seconds(a.resolved_at, a.created_at) / 60.0, sa.Float).label("minutes"),
            q.count_if(early).label("early"),
            q.count_if(flag_without_time).label("no_time"),
        )
        .where(sa.or_(early, flag_without_time, time_without_flag))
        .group_by(a.id, a.resolved_at, a.created_at)
        .order_by(a.id)
    )
    found = q.run(ws, stmt, "core", cache=cache)
    details = []
    for minutes, early_row, no_time in zip(
        found["minutes"], found["early"], found["no_time"], strict=True
    ):
        if early_row:
            details.append(f"resolved {minutes:,.1f} min before it was raised")
        elif no_time:
            details.append("marked resolved without a resolution time")
        else:
            details.append("has a resolution time but is not marked resolved")
    return q.findings(
        "alert_resolution_out_of_order", ({"alert_id": i} for i in found["alert_id"]), details
    )


def anomalies(ws: Workspace, *, cache: bool = True) -> pd.DataFrame:
    """Both alert checks as one findings frame.

    >>> alerts.anomalies(ws).kind.value_counts()  # doctest: +SKIP
    """
    return pd.concat(
        [unknown_components(ws, cache=cache), resolution_out_of_order(ws, cache=cache)],
        ignore_index=True,
    )
