"""The dialect-portable SQL elements give the same values on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from azora_nb.analytics import _sql as q
from azora_nb.schema import gateway
from azora_nb.workspace import Workspace

from .handmade import gateway_rows

STAMP = datetime(2026, 3, 17, 13, 45, 30, 123456, tzinfo=UTC)


def test_truncation_and_seconds(ws: Workspace) -> None:
    start = q.ts_param(None, datetime(2026, 3, 17, 12, 0, 0, 250000, tzinfo=UTC))
    stamp = q.ts_param(None, STAMP)
    row = q.run(
        ws,
        sa.select(
            q.month(stamp).label("month"),
            q.day(stamp).label("day"),
            q.seconds(start, stamp).label("seconds"),
        ),
        "core",
        cache=False,
    ).iloc[0]
    assert row["month"] == pd.Timestamp("2026-03-01", tz="UTC")
    assert row["day"] == pd.Timestamp("2026-03-17", tz="UTC")
    assert row["seconds"] == pytest.approx(6329.873456, abs=1e-6)


@pytest.mark.parametrize("quantile", [0.0, 0.5, 0.95, 0.99, 1.0])
def test_percentile_is_percentile_cont(ws: Workspace, quantile: float) -> None:
    calls = gateway.api_calls.c
    got = q.run(
        ws,
        sa.select(q.percentile(calls.responseTime, quantile).label("p")).where(
            calls.routeId == "rt-b"
        ),
        "gateway",
        cache=False,
    )["p"].iloc[0]
    times = pd.Series(
        [c["responseTime"] for c in gateway_rows()["api_calls"] if c["routeId"] == "rt-b"],
        dtype="float64",
    )
    assert got == pytest.approx(times.quantile(quantile))


def test_percentile_checks_its_quantile() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        q.percentile(sa.literal(1), 95)


def test_count_if_and_ratio_are_zero_safe(ws: Workspace) -> None:
    calls = gateway.api_calls.c
    row = q.run(
        ws,
        sa.select(
            q.count_if(calls.statusCode >= 600).label("n"),
            q.ratio(q.count_if(calls.statusCode >= 600), q.count_if(calls.statusCode >= 700)).label(
                "r"
            ),
        ),
        "gateway",
        cache=False,
    ).iloc[0]
    assert row["n"] == 0
    assert pd.isna(row["r"])
