"""Mining analytics on the hand-built data."""

from __future__ import annotations

import pandas as pd
import pytest

from azora_nb.analytics import mining
from azora_nb.workspace import Workspace

from .handmade import AS_OF, EXPECTED_MINING, _id, as_set, core_rows


def _sessions() -> pd.DataFrame:
    return pd.DataFrame(core_rows()["mining_sessions"])


def test_detectors_find_exactly_the_planted_rigs_and_sessions(ws: Workspace) -> None:
    assert as_set(mining.anomalies(ws, as_of=AS_OF)) == EXPECTED_MINING


def test_a_median_of_exactly_85_is_not_overheating(ws: Workspace) -> None:
    hot = mining.overheating(ws, as_of=AS_OF)
    assert _id("rig7") not in set(hot["user_id"])
    assert set(mining.overheating(ws, as_of=AS_OF, threshold=84.9)["user_id"]) >= {
        _id("rig7"),
        _id("rig16"),
        _id("rig12"),
    }


def test_rig_scores_are_robust_z_within_algorithm(ws: Workspace) -> None:
    scores = mining.rig_scores(ws, as_of=AS_OF)
    assert len(scores) == 18
    slow = scores.set_index("user_id").loc[_id("rig8")]
    # sha256 medians 98..102 and 20: median 99, MAD 1.
    assert slow["modified_z"] == pytest.approx(0.6745 * (20 - 99) / 1.0)
    assert mining.underperforming(ws, as_of=AS_OF)["user_id"].tolist() == [_id("rig8")]


def test_modified_z_with_zero_mad_flags_nothing() -> None:
    assert mining.modified_z(pd.Series([5.0, 5.0, 5.0, 1.0])).isna().all()


def test_impossible_earnings_uses_ten_times_the_algorithm_rate(ws: Workspace) -> None:
    found = mining.impossible_earnings(ws, as_of=AS_OF)
    assert found["session_id"].tolist() == [_id("session-sha256-1-4")]
    row = found.iloc[0]
    assert row["could_earn_usd"] == pytest.approx(99.0 * 2 * 0.01)
    assert row["hours"] == pytest.approx(2.0)
    assert mining.impossible_earnings(ws, as_of=AS_OF, factor=9.0)["session_id"].tolist() == sorted(
        [_id("session-sha256-1-4"), _id("session-ethash-4-4")]
    )


def test_daily_totals_match_the_rows(ws: Workspace) -> None:
    daily = mining.daily(ws, as_of=AS_OF, days=30, by=["algorithm"])
    rows = _sessions()
    assert daily["sessions"].sum() == len(rows)
    assert daily["earnings_usd"].sum() == pytest.approx(rows["total_earnings_usd"].sum())
    assert str(daily["day"].dtype) == "datetime64[ns, UTC]"
    assert (daily["day"] == daily["day"].dt.normalize()).all()
    with pytest.raises(ValueError, match="cannot group by"):
        mining.daily(ws, as_of=AS_OF, by=["colour"])


def test_efficiency_is_earnings_per_kwh(ws: Workspace) -> None:
    eff = mining.efficiency(ws, as_of=AS_OF).set_index("algorithm")
    rows = _sessions()
    done = rows[(rows["status"] == "completed") & (rows["algorithm"] == "ethash")]
    kwh = (done["power_consumption_watts"] * 2 / 1000).sum()
    assert eff.loc["ethash", "energy_kwh"] == pytest.approx(kwh)
    assert eff.loc["ethash", "usd_per_kwh"] == pytest.approx(done["total_earnings_usd"].sum() / kwh)
    assert eff.loc["ethash", "mhs_per_watt"] == pytest.approx(
        (done["total_hashrate_mhs"] / done["power_consumption_watts"]).mean()
    )


def test_outcomes_and_share_rejection(ws: Workspace) -> None:
    outcomes = mining.session_outcomes(ws, as_of=AS_OF).set_index("algorithm")
    assert outcomes.loc["sha256", "failed"] == 1
    assert outcomes.loc["sha256", "interrupted"] == 1
    assert outcomes.loc["sha256", "failed_rate"] == pytest.approx(1 / 45)
    shares = mining.share_rejection(ws, as_of=AS_OF)
    assert set(shares["pool"]) == {
        "sha256-pool-0",
        "sha256-pool-1",
        "ethash-pool-0",
        "ethash-pool-1",
    }
    one = shares.set_index("pool").loc["sha256-pool-0"]
    assert one["rejection_rate"] == pytest.approx(
        one["shares_rejected"] / (one["shares_accepted"] + one["shares_rejected"])
    )


def test_earnings_against_prices(ws: Workspace) -> None:
    frame = mining.earnings_vs_prices(ws, as_of=AS_OF, days=30, symbols=["BTC"])
    assert set(frame["symbol"]) == {"BTC"}
    assert len(frame) == 12
    assert frame["earnings_usd"].notna().sum() >= 5
