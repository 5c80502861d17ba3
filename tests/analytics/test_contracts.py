"""The invariants in docs/contracts.md and in azora_nb.analytics.contracts are one list,
and each names a check that exists and reports its kind."""

from __future__ import annotations

import re
from pathlib import Path

from azora_nb.analytics import contracts, health, mining, rewards, treasury

DOC = Path(__file__).resolve().parents[2] / "docs" / "contracts.md"
MODULES = {"rewards": rewards, "treasury": treasury, "mining": mining, "health": health}


def test_the_document_numbers_every_invariant_in_order() -> None:
    listed = re.findall(r"^\s*(\d+)\. \*\*(\w+) (\w+)", DOC.read_text(), re.MULTILINE)
    frame = contracts.invariants()
    assert [(i, k) for _, i, k in listed] == list(zip(frame["id"], frame["kind"], strict=True))
    assert [int(n) for n, _, _ in listed] == list(range(1, len(listed) + 1))


def test_every_invariant_names_a_check_that_exists() -> None:
    for invariant in contracts.INVARIANTS:
        module, name = invariant.check.split(".")
        assert callable(getattr(MODULES[module], name)), invariant
        assert invariant.statement and invariant.reads and invariant.tolerance


def test_kinds_are_unique_and_cover_the_reward_audit() -> None:
    frame = contracts.invariants()
    assert frame["kind"].is_unique and frame["id"].is_unique
    assert set(rewards.KINDS) <= contracts.kinds()
    assert contracts.kinds() < contracts.kinds("legacy")
