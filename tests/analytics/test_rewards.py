"""The reward audit on the hand-built data: exactly the planted findings, on both backends."""

from __future__ import annotations

import pandas as pd

from azora_nb.analytics import rewards
from azora_nb.workspace import Workspace

from .handmade import AS_OF, EXPECTED_AUDIT, as_set


def test_audit_finds_exactly_the_planted_anomalies(ws: Workspace) -> None:
    findings = rewards.audit(ws, as_of=AS_OF)
    assert list(findings.columns) == ["kind", "keys", "detail"]
    assert as_set(findings) == EXPECTED_AUDIT
    assert findings["detail"].str.len().min() > 0


def test_audit_orders_findings_by_kind(ws: Workspace) -> None:
    kinds = rewards.audit(ws, as_of=AS_OF)["kind"].tolist()
    assert kinds == sorted(kinds, key=rewards.KINDS.index)


def test_each_check_alone(ws: Workspace) -> None:
    assert set(rewards.paid_without_ledger(ws)["keys"].map(lambda k: k["reward_id"])) == {
        "r3",
        "r4",
    }
    assert rewards.amount_mismatches(ws)["keys"].tolist() == [
        {"reward_id": "r2", "ledger_id": rewards.amount_mismatches(ws)["keys"][0]["ledger_id"]}
    ]
    assert [k["tx_hash"] for k in rewards.ledger_without_reward(ws)["keys"]] == ["h99"]
    assert rewards.near_duplicates(ws)["keys"].tolist() == [{"reward_ids": ["r10", "r9"]}]


def test_stuck_pending_depends_on_as_of(ws: Workspace) -> None:
    later = AS_OF + pd.Timedelta(days=2)
    assert [k["reward_id"] for k in rewards.stuck_pending(ws, as_of=AS_OF)["keys"]] == ["r6"]
    assert [k["reward_id"] for k in rewards.stuck_pending(ws, as_of=later)["keys"]] == ["r6", "r7"]


def test_a_wider_tolerance_hides_the_mismatch(ws: Workspace) -> None:
    assert rewards.amount_mismatches(ws, tolerance=0.2).empty


def test_balance_roll_forward(ws: Workspace) -> None:
    row = rewards.balance_roll_forward(ws).iloc[0]
    assert row["accounts"] == 6
    assert abs(row["balance_azr"] - (15.5 + 10 + 4 + 8.004 + 5 + 0)) < 1e-9
    assert abs(row["paid_rewards_azr"] - (10 + 5.5 + 7 + 3 + 4 + 8 + 3)) < 1e-9
    assert row["mismatched_accounts"] == 1


def test_reconciliation_batches_give_the_same_answer(ws: Workspace, monkeypatch) -> None:
    whole = rewards.reconcile(ws)
    monkeypatch.setattr(rewards.q, "BATCH_ROWS", 2)
    assert as_set(rewards.reconcile(ws)) == as_set(whole)


def test_audit_thresholds_reach_every_check(ws: Workspace) -> None:
    wide = as_set(rewards.audit(ws, as_of=AS_OF, stuck_after_days=6, duplicate_hours=48))
    assert ("reward_stuck_pending", (("reward_id", "r7"),)) in wide
    assert ("reward_near_duplicate", (("reward_ids", ("r10", "r11")),)) in wide
