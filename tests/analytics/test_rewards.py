"""The reward audit on the hand-built data: exactly the planted findings, on both backends.

Every invariant is tested twice: its planted violation is found, and its near
misses (rows that come close without breaking it) are not.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from azora_nb.analytics import rewards
from azora_nb.workspace import Workspace

from .handmade import AS_OF, BALANCES, EXPECTED_AUDIT, NEAR_MISSES, PAID_BY_USER, as_set


def test_audit_finds_exactly_the_planted_anomalies(ws: Workspace) -> None:
    findings = rewards.audit(ws, as_of=AS_OF)
    assert list(findings.columns) == ["kind", "keys", "detail"]
    assert as_set(findings) == EXPECTED_AUDIT
    assert findings["detail"].str.len().min() > 0


def _holds(keys: dict[str, Any], key: str, value: Any) -> bool:
    found = keys.get(key)
    return sorted(found) == sorted(value) if isinstance(value, list) else found == value


@pytest.mark.parametrize("kind", rewards.KINDS)
def test_each_invariant_finds_its_violation_and_not_its_near_misses(
    kind: str, ws: Workspace
) -> None:
    findings = rewards.audit(ws, as_of=AS_OF)
    mine = findings[findings["kind"] == kind]
    planted = {k for k in EXPECTED_AUDIT if k[0] == kind}
    assert planted, f"no planted violation of {kind}"
    assert as_set(mine) == planted
    for key, value in NEAR_MISSES[kind]:
        assert not any(_holds(keys, key, value) for keys in mine["keys"]), (kind, key, value)


def test_audit_orders_findings_by_kind(ws: Workspace) -> None:
    kinds = rewards.audit(ws, as_of=AS_OF)["kind"].tolist()
    assert kinds == sorted(kinds, key=rewards.KINDS.index)


def test_each_check_alone(ws: Workspace) -> None:
    assert set(rewards.paid_without_ledger(ws)["keys"].map(lambda k: k["reward_id"])) == {
        "r3",
        "r4",
    }
    assert [k["reward_id"] for k in rewards.amount_mismatches(ws)["keys"]] == ["r2"]
    assert [k["tx_hash"] for k in rewards.ledger_without_reward(ws)["keys"]] == ["h99"]
    assert rewards.near_duplicates(ws)["keys"].tolist() == [
        {"reward_ids": ["r10", "r9"]},
        {"reward_ids": ["r25", "r26"]},
    ]
    assert set(rewards.reconcile(ws)["kind"]) == set(rewards.RECONCILE_KINDS)


def test_amounts_are_shown_with_one_precision(ws: Workspace) -> None:
    (detail,) = rewards.amount_mismatches(ws)["detail"]
    assert detail == "reward 5.50 AZR, ledger 5.60 AZR (ledger - reward 0.10)"
    details = rewards.balance_mismatches(ws).set_index(
        rewards.balance_mismatches(ws)["keys"].map(lambda k: k["user_id"])
    )["detail"]
    assert details["u5"] == "balance 5.00 AZR, paid rewards 3.00 AZR"
    assert details["u8"] == "no AZR balance row, paid rewards 9.00 AZR"


def test_stuck_pending_depends_on_as_of(ws: Workspace) -> None:
    later = AS_OF + pd.Timedelta(days=2)
    assert [k["reward_id"] for k in rewards.stuck_pending(ws, as_of=AS_OF)["keys"]] == ["r6"]
    assert [k["reward_id"] for k in rewards.stuck_pending(ws, as_of=later)["keys"]] == ["r6", "r7"]


def test_a_wider_tolerance_hides_the_mismatch(ws: Workspace) -> None:
    assert rewards.amount_mismatches(ws, tolerance=0.2).empty


def test_balance_roll_forward_counts_users_without_a_balance_row(ws: Workspace) -> None:
    row = rewards.balance_roll_forward(ws).iloc[0]
    assert row["accounts"] == len(set(BALANCES) | set(PAID_BY_USER))
    assert row["balance_azr"] == pytest.approx(sum(BALANCES.values()), abs=1e-9)
    assert row["paid_rewards_azr"] == pytest.approx(sum(PAID_BY_USER.values()), abs=1e-9)
    assert row["difference_azr"] == pytest.approx(row["balance_azr"] - row["paid_rewards_azr"])
    assert row["mismatched_accounts"] == 2  # u5, and u8 who has no balance row
    assert row["missing_balance_rows"] == 1


def test_reconciliation_batches_give_the_same_answer(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = rewards.reconcile(ws)
    monkeypatch.setattr(rewards.q, "BATCH_ROWS", 2)
    assert as_set(rewards.reconcile(ws)) == as_set(whole)


def test_audit_thresholds_reach_every_check(ws: Workspace) -> None:
    wide = as_set(rewards.audit(ws, as_of=AS_OF, stuck_after_days=6, duplicate_hours=48))
    assert ("reward_stuck_pending", (("reward_id", "r7"),)) in wide
    assert ("reward_near_duplicate", (("reward_ids", ("r10", "r11")),)) in wide
