"""The data holds exactly the planted anomalies: each one is there, by its keys,
and the clean rows never meet any definition."""

from __future__ import annotations

from collections import Counter

import pytest

from azora_nb import demo
from azora_nb.analytics import contracts
from azora_nb.demo.plan import AnomalyRates
from azora_nb.workspace import Workspace
from tests.demo import definitions
from tests.demo.conftest import SMALL

KINDS = contracts.kinds()
"""Every invariant of docs/contracts.md (standard flavour)."""


def planted(manifest: demo.Manifest) -> set[definitions.Finding]:
    return {definitions.key(a.kind, a.keys) for a in manifest.anomalies}


def test_every_kind_is_planted_at_the_smallest_scale(sqlite_ws: Workspace) -> None:
    manifest = demo.seed(sqlite_ws, scale=SMALL, progress=False)
    assert set(Counter(a.kind for a in manifest.anomalies)) == KINDS


@pytest.mark.parametrize("seed", [42, 7])
def test_sqlite_holds_exactly_the_planted_anomalies(sqlite_ws: Workspace, seed: int) -> None:
    manifest = demo.seed(sqlite_ws, scale=3_000, seed=seed, progress=False)
    assert definitions.everything(sqlite_ws, manifest.as_of) == planted(manifest)


def test_higher_rates_plant_more_and_still_nothing_else(sqlite_ws: Workspace) -> None:
    rates = AnomalyRates(reward=0.02, balance=0.03, rig=0.08, session=0.01, alert_storms=4)
    manifest = demo.seed(sqlite_ws, scale=SMALL, seed=3, rates=rates, progress=False)
    kinds = Counter(a.kind for a in manifest.anomalies)
    assert kinds["alert_storm"] == 4 and kinds["reward_stuck_pending"] > 1
    assert definitions.everything(sqlite_ws, manifest.as_of) == planted(manifest)


@pytest.mark.postgres
def test_postgres_holds_exactly_the_planted_anomalies(pg_ws: Workspace) -> None:
    manifest = demo.seed(pg_ws, scale=SMALL, seed=11, progress=False)
    assert definitions.everything(pg_ws, manifest.as_of) == planted(manifest)


def test_the_analytics_audit_finds_the_planted_reward_anomalies(sqlite_ws: Workspace) -> None:
    from azora_nb.analytics import rewards

    manifest = demo.seed(sqlite_ws, scale=SMALL, progress=False)
    findings = rewards.audit(sqlite_ws, as_of=manifest.as_of, cache=False)
    found = {
        definitions.key(k, keys) for k, keys in zip(findings.kind, findings["keys"], strict=True)
    }
    expected = {p for p in planted(manifest) if p[0] in rewards.KINDS}
    assert found == expected
