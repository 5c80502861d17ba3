"""Mining sessions against pool stats and minted AZR, alerts against health checks, on the
hand-built data: each invariant's planted violation is found, its near misses are not."""

from __future__ import annotations

import pandas as pd
import pytest

from azora_nb.analytics import alerts, health, mining, sessions
from azora_nb.workspace import Workspace

from .handmade import AS_OF, EXPECTED_HEALTH, EXPECTED_MINING, NEAR_MISSES, as_set

CHECKS = {
    "session_unknown_pool": (sessions.unknown_pools, EXPECTED_MINING),
    "minting_session_mismatch": (sessions.minting_mismatches, EXPECTED_MINING),
    "alert_unknown_component": (alerts.unknown_components, EXPECTED_HEALTH),
    "alert_resolution_out_of_order": (alerts.resolution_out_of_order, EXPECTED_HEALTH),
}


@pytest.mark.parametrize("kind", sorted(CHECKS))
def test_each_invariant_finds_its_violation_and_not_its_near_misses(
    kind: str, ws: Workspace
) -> None:
    check, expected = CHECKS[kind]
    found = check(ws)
    planted = {k for k in expected if k[0] == kind}
    assert planted and as_set(found) == planted
    for key, value in NEAR_MISSES[kind]:
        assert all(keys.get(key) != value for keys in found["keys"]), (kind, key, value)


def test_the_reports_findings_include_them(ws: Workspace) -> None:
    assert {k[0] for k in as_set(mining.anomalies(ws, as_of=AS_OF))} >= {
        "session_unknown_pool",
        "minting_session_mismatch",
    }
    assert {k[0] for k in as_set(health.anomalies(ws, as_of=AS_OF))} >= {
        "alert_unknown_component",
        "alert_resolution_out_of_order",
    }


def test_minting_details_show_both_amounts(ws: Workspace) -> None:
    details = sessions.minting_mismatches(ws).set_index(
        sessions.minting_mismatches(ws)["keys"].map(lambda k: k["minting_id"])
    )["detail"]
    assert details["mt4"] == "minted 1.48 AZR, session s-sha256-0-2 says 0.98 AZR"
    assert "not in core" in details["mt3"]


def test_efficiency_leaves_impossible_sessions_out(ws: Workspace) -> None:
    kept = mining.efficiency(ws, as_of=AS_OF, days=30).set_index("algorithm")
    every = mining.efficiency(ws, as_of=AS_OF, days=30, include_impossible=True).set_index(
        "algorithm"
    )
    flagged = mining.impossible_earnings(ws, as_of=AS_OF)
    assert flagged["algorithm"].tolist() == ["sha256"]
    assert kept.loc["sha256", "impossible_excluded"] == 1
    assert every.loc["sha256", "impossible_excluded"] == 0
    assert kept.loc["sha256", "sessions"] == every.loc["sha256", "sessions"] - 1
    removed = float(flagged["earnings_usd"].iloc[0])
    assert kept.loc["sha256", "earnings_usd"] == pytest.approx(
        every.loc["sha256", "earnings_usd"] - removed
    )
    assert kept.loc["sha256", "usd_per_kwh"] < every.loc["sha256", "usd_per_kwh"]
    pd.testing.assert_series_equal(kept.loc["ethash"], every.loc["ethash"])
