"""Health analytics on the hand-built data."""

from __future__ import annotations

import pandas as pd
import pytest

from azora_nb.analytics import health
from azora_nb.workspace import Workspace

from .handmade import AS_OF, EXPECTED_HEALTH, as_set


def test_detectors_find_exactly_the_planted_anomalies(ws: Workspace) -> None:
    assert as_set(health.anomalies(ws, as_of=AS_OF)) == EXPECTED_HEALTH


def test_a_lower_storm_threshold_catches_the_slower_burst(ws: Workspace) -> None:
    # db's alerts come every 34.7 s: 18 of them span 590 s, 19 span 625 s.
    storms = health.alert_storms(ws, as_of=AS_OF, threshold=18)
    by_component = {k["component"]: k["alert_ids"] for k in storms["keys"]}
    assert sorted(by_component) == ["api", "db"]
    assert len(by_component["db"]) == 20
    assert health.alert_storms(ws, as_of=AS_OF, threshold=18, minutes=9.5)["keys"].map(
        lambda k: k["component"]
    ).tolist() == ["api"]


def test_stuck_critical_looks_only_at_the_last_day(ws: Workspace) -> None:
    assert health.stuck_critical(ws, as_of=AS_OF, hours=6)["keys"].tolist() == [
        {"component": "db"},
        {"component": "queue"},
    ]
    assert health.stuck_critical(ws, as_of=AS_OF - pd.Timedelta(days=2)).empty


def test_api_latency_percentiles_and_error_rates(ws: Workspace) -> None:
    lat = health.api_latency(ws, as_of=AS_OF, days=7).set_index("route_id")
    assert lat.loc["rt-c", "calls"] == 20
    assert lat.loc["rt-c", "error_rate"] == pytest.approx(2 / 20)
    assert lat.loc["rt-c", "client_error_rate"] == pytest.approx(2 / 20)
    values = pd.Series([80 + i % 7 for i in range(20)], dtype="float64")
    assert lat.loc["rt-c", "p50_ms"] == pytest.approx(values.quantile(0.5))
    assert lat.loc["rt-c", "p99_ms"] == pytest.approx(values.quantile(0.99))
    assert lat.loc["rt-a", "service"] == "mint"


def test_breaches_and_open_alerts(ws: Workspace) -> None:
    br = health.breaches(ws, as_of=AS_OF, days=7).set_index("component")
    assert br.loc["db", "critical"] == 4 and br.loc["db", "healthy"] == 4
    assert br.index[0] == "queue"
    alerts = health.open_alerts(ws, as_of=AS_OF).set_index("severity")
    assert alerts.loc["critical", "open"] == 1
    assert alerts.loc["critical", "oldest_open_hours"] == pytest.approx(5.0)
    assert alerts.loc["warning", "open"] == 10
    assert alerts.loc["error", "median_hours_to_resolve"] == pytest.approx(
        pd.Series([2 - 25 * i / 3600 for i in range(20)]).median()
    )


def test_circuit_breakers_open_first(ws: Workspace) -> None:
    cb = health.circuit_breakers(ws)
    assert cb["service"].tolist() == ["mint", "core"]
    assert cb["state"].tolist() == ["open", "closed"]


def test_freshness_reports_each_table(ws: Workspace) -> None:
    fresh = health.freshness(ws, as_of=AS_OF).set_index("table")
    assert fresh.loc["alerts", "age_hours"] == pytest.approx(5.0)
    assert pd.isna(fresh.loc["ComplianceCheck", "latest"])
    assert str(fresh["latest"].dtype) == "datetime64[ns, UTC]"


def test_stores_migrations_cache_and_sync(ws: Workspace) -> None:
    assert set(health.stores(ws)["store"]) >= set(ws.sources)
    mig = health.migrations(ws)
    assert mig["up_to_date"].all()
    lag = health.sync_lag(ws)
    assert len(lag) >= 1 and lag["lag_hours"].isna().all()  # defined, never run
    stats = health.cache_stats(ws)
    assert "hits" in stats.columns
