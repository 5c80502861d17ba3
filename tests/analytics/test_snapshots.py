"""Metric snapshots: stored, replaced, read back and pruned."""

from __future__ import annotations

import pandas as pd
import pytest

from azora_nb.analytics import snapshots
from azora_nb.workspace import Workspace

from .handmade import AS_OF


def test_take_stores_every_headline_and_replaces_the_same_day(fresh_ws: Workspace) -> None:
    taken = snapshots.take(fresh_ws, as_of=AS_OF)
    assert taken["metric"].tolist() == list(snapshots.HEADLINES)
    snapshots.take(fresh_ws, as_of=AS_OF)
    history = snapshots.history(fresh_ws)
    assert len(history) == len(snapshots.HEADLINES)
    values = history.set_index("metric")["value"]
    assert values["health.open_alerts"] == 11
    assert values["rewards.pending"] == 2
    assert values["treasury.supply_azr"] > 0


def test_history_and_retention(fresh_ws: Workspace) -> None:
    days = [AS_OF - pd.Timedelta(days=d) for d in (3, 2, 1, 0)]
    for day in days:
        snapshots.take(fresh_ws, as_of=day, metrics=["rewards.pending", "health.open_alerts"])
    pending = snapshots.history(fresh_ws, metrics=["rewards.pending"])
    assert pending["as_of"].tolist() == [pd.Timestamp(d) for d in days]
    since = snapshots.history(fresh_ws, since=days[2])
    assert len(since) == 4
    assert snapshots.prune(fresh_ws, keep=2) == 4
    assert snapshots.history(fresh_ws, metrics=["rewards.pending"])["as_of"].tolist() \
        == [pd.Timestamp(d) for d in days[2:]]
    assert snapshots.prune(fresh_ws, before=days[3]) == 2
    assert len(snapshots.history(fresh_ws)) == 2
    snapshots.take(fresh_ws, as_of=days[0], metrics=["rewards.pending"], keep=1)
    assert len(snapshots.history(fresh_ws, metrics=["rewards.pending"])) == 1


def test_bad_arguments(fresh_ws: Workspace) -> None:
    with pytest.raises(ValueError, match="unknown metrics"):
        snapshots.take(fresh_ws, as_of=AS_OF, metrics=["no.such"])
    with pytest.raises(ValueError, match="say what to keep"):
        snapshots.prune(fresh_ws)
