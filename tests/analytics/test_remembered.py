"""The cross-database checks through the query cache: the reward reconciliation and the
minting check read two databases in full and compare them in Python; a report asks for
them more than once, so they are cached like a query. Served again only while neither
database's tables change, recomputed after a write by anyone to either side, and equal
to the same check run without the cache."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

import azora_nb as az
from azora_nb.analytics import payouts, rewards, sessions
from azora_nb.schema import core, mint
from azora_nb.workspace import Workspace

from . import handmade
from .conftest import BACKENDS, _open


@pytest.fixture(params=BACKENDS)
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workspace]:
    """A workspace of its own with the hand-built data (these tests write to it)."""
    ws = _open(request, request.param, tmp_path / "home")
    handmade.load(ws)
    yield ws
    ws.cache.clear()
    ws.close()


def _same(left: pd.DataFrame, right: pd.DataFrame) -> None:
    def canon(frame: pd.DataFrame) -> list[tuple[str, str, str]]:
        return sorted(
            (k, repr(sorted(keys.items())), d)
            for k, keys, d in zip(frame["kind"], frame["keys"], frame["detail"], strict=True)
        )

    assert canon(left) == canon(right)


def _copy_row(
    ws: Workspace, source: str, table: sa.Table, where: Any, **changes: Any
) -> dict[str, Any]:
    """Insert a copy of the first row of ``table`` matching ``where``, with ``changes``, as
    another writer would (straight into the database, nothing announced); the original."""
    with ws.engine(source).begin() as conn:
        row = dict(conn.execute(sa.select(table).where(where).limit(1)).mappings().one())
        conn.execute(sa.insert(table), [{**row, **changes}])
    return row


def test_the_reconciliation_is_served_until_either_side_changes(fresh: Workspace) -> None:
    ws = fresh
    first = payouts.reconcile(ws)
    assert not az.provenance(first).cached
    again = payouts.reconcile(ws)
    assert az.provenance(again).cached
    _same(again, first)
    _same(again, payouts.reconcile(ws, cache=False))
    assert len(first) > 5  # the hand-built data plants every kind

    # A payout without a reward, written behind the toolkit's back in core...
    ledger = core.treasury_ledger
    payout = _copy_row(
        ws, "core", ledger, ledger.c.tx_hash == "h99", id=uuid.uuid4(), tx_hash="h99-late"
    )
    after_core = payouts.reconcile(ws)
    assert not az.provenance(after_core).cached
    late = after_core[after_core["keys"].map(lambda k: k.get("tx_hash") == "h99-late")]
    assert list(late["kind"]) == ["ledger_payout_without_reward"]
    _same(after_core, payouts.reconcile(ws, cache=False))

    # ... then its reward, written in mint: the finding goes away.
    _copy_row(
        ws,
        "mint",
        mint.knowledge_rewards,
        sa.true(),
        id="r-late",
        sourceTrxId="src-late",
        transactionHash="h99-late",
        rewardAmount=float(payout["amount_azr"]),
        status="PAID",
    )
    after_mint = payouts.reconcile(ws)
    assert not az.provenance(after_mint).cached
    unmatched = after_mint[after_mint["kind"] == "ledger_payout_without_reward"]
    assert not unmatched["keys"].map(lambda k: k.get("tx_hash") == "h99-late").any()
    _same(after_mint, payouts.reconcile(ws, cache=False))


def test_a_different_tolerance_is_a_different_result(fresh: Workspace) -> None:
    ws = fresh
    strict = rewards.reconcile(ws, tolerance=0.0)
    loose = rewards.reconcile(ws, tolerance=1000.0)
    assert not az.provenance(loose).cached
    mismatches = {
        name: int((frame["kind"] == "reward_amount_mismatch").sum())
        for name, frame in (("strict", strict), ("loose", loose))
    }
    assert mismatches["strict"] > mismatches["loose"] == 0


def test_the_audit_takes_a_reconciliation_it_is_given(fresh: Workspace) -> None:
    ws = fresh
    reconciled = rewards.reconcile(ws, cache=False)
    given = rewards.audit(ws, as_of="2026-10-31", reconciled=reconciled, cache=False)
    computed = rewards.audit(ws, as_of="2026-10-31", cache=False)
    pd.testing.assert_frame_equal(given, computed)


def test_the_minting_check_is_served_until_either_side_changes(fresh: Workspace) -> None:
    ws = fresh
    first = sessions.minting_mismatches(ws)
    assert az.provenance(sessions.minting_mismatches(ws)).cached
    _same(first, sessions.minting_mismatches(ws, cache=False))
    _copy_row(
        ws,
        "mint",
        mint.minting_transactions,
        sa.true(),
        id="minting-late",
        mining_session_id="no-such-session",
    )
    after = sessions.minting_mismatches(ws)
    assert not az.provenance(after).cached
    assert len(after) == len(first) + 1
    assert after["detail"].str.contains("session no-such-session is not in core").sum() == 1
    _same(after, sessions.minting_mismatches(ws, cache=False))
