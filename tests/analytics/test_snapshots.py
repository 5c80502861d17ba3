"""Metric snapshots: stored, replaced, read back and pruned."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
import sqlalchemy as sa

from azora_nb.analytics import snapshots
from azora_nb.schema import toolkit
from azora_nb.workspace import Workspace

from .handmade import AS_OF


@pytest.fixture(autouse=True)
def no_snapshots(ws: Workspace) -> Iterator[None]:
    """The loaded workspace is shared: start and leave its snapshot table empty."""

    def clear() -> None:
        with ws.engine("core").begin() as conn:
            conn.execute(sa.delete(toolkit.metric_snapshots))

    clear()
    yield
    clear()


def test_take_stores_every_headline_and_replaces_the_same_day(ws: Workspace) -> None:
    taken = snapshots.take(ws, as_of=AS_OF)
    assert taken["metric"].tolist() == list(snapshots.HEADLINES)
    snapshots.take(ws, as_of=AS_OF)
    history = snapshots.history(ws)
    assert len(history) == len(snapshots.HEADLINES)
    values = history.set_index("metric")["value"]
    assert values["health.open_alerts"] == 11
    assert values["rewards.pending"] == 3  # r6, r7 and r22
    assert values["treasury.supply_azr"] > 0


def test_history_and_retention(ws: Workspace) -> None:
    days = [AS_OF - pd.Timedelta(days=d) for d in (3, 2, 1, 0)]
    for day in days:
        snapshots.take(ws, as_of=day, metrics=["rewards.pending", "health.open_alerts"])
    pending = snapshots.history(ws, metrics=["rewards.pending"])
    assert pending["as_of"].tolist() == [pd.Timestamp(d) for d in days]
    since = snapshots.history(ws, since=days[2])
    assert len(since) == 4
    assert snapshots.prune(ws, keep=2) == 4
    assert snapshots.history(ws, metrics=["rewards.pending"])["as_of"].tolist() == [
        pd.Timestamp(d) for d in days[2:]
    ]
    assert snapshots.prune(ws, before=days[3]) == 2
    assert len(snapshots.history(ws)) == 2
    snapshots.take(ws, as_of=days[0], metrics=["rewards.pending"], keep=1)
    assert len(snapshots.history(ws, metrics=["rewards.pending"])) == 1


def test_bad_arguments(ws: Workspace) -> None:
    with pytest.raises(ValueError, match="unknown metrics"):
        snapshots.take(ws, as_of=AS_OF, metrics=["no.such"])
    with pytest.raises(ValueError, match="say what to keep"):
        snapshots.prune(ws)


def test_trend_forecasts_from_history(ws: Workspace) -> None:
    days = [AS_OF - pd.Timedelta(days=d) for d in (9, 7, 6, 4, 3, 1, 0)]
    for day in days:
        snapshots.take(ws, as_of=day, metrics=["rewards.pending"])
    fc = snapshots.trend(ws, "rewards.pending", as_of=AS_OF, ahead_days=7).iloc[0]
    assert fc["at"] == pd.Timestamp(AS_OF) + pd.Timedelta(days=7)
    assert fc["snapshots"] == 7
    assert fc["lower"] <= fc["forecast"] <= fc["upper"]
    with pytest.raises(ValueError, match="a trend needs at least 8"):
        snapshots.trend(ws, "rewards.pending", as_of=AS_OF, min_snapshots=8)
