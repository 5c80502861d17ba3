"""Treasury analytics on the hand-built data."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from azora_nb.analytics import treasury
from azora_nb.workspace import Workspace

from .handmade import AS_OF, CONFIRMED_PAYOUTS, EXPECTED_LEDGER, NEAR_MISSES, PAYOUTS, _id, as_set


def test_month_start() -> None:
    assert treasury.month_start(AS_OF, 12) == datetime(2025, 11, 1, tzinfo=UTC)
    assert treasury.month_start(datetime(2026, 1, 15, tzinfo=UTC), 2) == datetime(
        2025, 12, 1, tzinfo=UTC
    )
    with pytest.raises(ValueError):
        treasury.month_start(AS_OF, 0)


def test_flows_by_month_and_type(ws: Workspace) -> None:
    flows = treasury.flows(ws, as_of=AS_OF, months=12)
    march = flows[flows["month"] == pd.Timestamp("2026-03-01", tz="UTC")].set_index(
        "transaction_type"
    )
    assert march.loc["mint", "amount_azr"] == pytest.approx(1300.0)
    assert march.loc["burn", "amount_usd"] == pytest.approx(53.0)
    october = flows[flows["month"] == pd.Timestamp("2026-10-01", tz="UTC")]
    confirmed = sum(status == "confirmed" for *_, status in PAYOUTS)
    assert october.set_index("transaction_type").loc["mint", "transactions"] == 1 + confirmed
    assert set(flows["transaction_type"]) == {"mint", "burn", "transfer"}
    every = treasury.flows(ws, as_of=AS_OF, months=12, statuses=None)
    not_confirmed = len(PAYOUTS) - confirmed
    assert every["transactions"].sum() == flows["transactions"].sum() + 3 + not_confirmed


def test_net_supply_carries_the_opening_balance(ws: Workspace) -> None:
    supply = treasury.net_supply(ws, as_of=AS_OF, months=12)
    assert len(supply) == 12
    assert supply["net_azr"].iloc[0] == 0.0
    assert supply["supply_azr"].iloc[0] == pytest.approx(500.0)
    minted = sum(1000 + 100 * m for m in range(1, 11)) + CONFIRMED_PAYOUTS
    burned = sum(50 + m for m in range(1, 11)) + 1.5  # and the burn with a reward's hash
    assert supply["supply_azr"].iloc[-1] == pytest.approx(500.0 + minted - burned)
    assert supply["period"].tolist() == ["full"] * 11 + ["partial"]


def test_allocation_split(ws: Workspace) -> None:
    split = treasury.allocation_split(ws, as_of=AS_OF).set_index("allocation")
    total = 15_500.0 + CONFIRMED_PAYOUTS
    assert split.loc["founder", "amount_azr"] == pytest.approx(0.11 * total)
    assert split["share"].sum() == pytest.approx(1.0)


def test_compliance_checks_the_legacy_copy_too(ws: Workspace) -> None:
    summary = treasury.compliance(ws).set_index(["table", "check"])["violations"]
    assert summary.loc[("treasury_ledger", "legacy_allocation_sum")] == 0
    assert summary.loc[("treasury_ledger_legacy", "legacy_allocation_sum")] == 1
    assert summary.loc[("treasury_ledger_legacy", "legacy_valuation")] == 1
    found = as_set(treasury.compliance_violations(ws))
    assert (
        found
        == {
            ("legacy_allocation_sum", (("ledger_id", _id("legacy_sum")),)),
            ("legacy_valuation", (("ledger_id", _id("legacy_val")),)),
        }
        | EXPECTED_LEDGER
    )


@pytest.mark.parametrize("kind", ["ledger_amount_not_positive", "ledger_times_out_of_order"])
def test_ledger_row_rules_find_their_violation_and_not_their_near_misses(
    kind: str, ws: Workspace
) -> None:
    found = treasury.compliance_violations(ws)
    mine = found[found["kind"] == kind]
    assert as_set(mine) == {k for k in EXPECTED_LEDGER if k[0] == kind}
    for key, value in NEAR_MISSES[kind]:
        assert all(keys.get(key) != value for keys in mine["keys"])


def test_confirmation_ageing(ws: Workspace) -> None:
    ageing = treasury.confirmation_ageing(ws, as_of=AS_OF)
    assert list(zip(ageing["blockchain_status"], ageing["age"], strict=True)) == [
        ("failed", "1-7 d"),
        ("failed", "> 30 d"),
        ("pending", "< 1 h"),
        ("pending", "1-7 d"),
    ]
    assert ageing["oldest_days"].iloc[3] == pytest.approx(5.0)  # the pending payout h18


def test_gas_spend(ws: Workspace) -> None:
    gas = treasury.gas_spend(ws, as_of=AS_OF).set_index("month")
    march = gas.loc[pd.Timestamp("2026-03-01", tz="UTC")]
    assert march["gas_used"] == 2 * 21_000
    assert march["gas_cost_eth"] == pytest.approx(2 * 21_000 * 2e9 / 1e18)


def test_founder_compensation_against_the_allocation(ws: Workspace) -> None:
    comp = treasury.founder_compensation(ws, as_of=AS_OF).set_index("month")
    march = comp.loc[pd.Timestamp("2026-03-01", tz="UTC")]
    assert march["paid_azr"] == pytest.approx(103.0)
    assert march["founder_share_azr"] == pytest.approx(0.11 * 1300.0)
    assert march["paid_vs_share"] == pytest.approx(103.0 / 143.0)
    assert comp.loc[pd.Timestamp("2025-11-01", tz="UTC"), "payments"] == 0


def test_allocation_caps(ws: Workspace) -> None:
    caps = treasury.allocation_caps(ws).set_index("category")
    assert caps.loc["Enterprise", "minted"] == pytest.approx(1500.0)
    assert caps.loc["Enterprise", "percent_used"] == pytest.approx(0.25)
    assert caps.loc["Business", "remaining"] == pytest.approx(200_000.0)
    assert list(caps.index) == ["Enterprise", "Business", "Student"]
