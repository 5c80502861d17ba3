"""Headline totals against an independent plain-SQL computation, on database states
where rows are missing on one side or the other (empty, one-sided, sparse).

Each state is written into freshly migrated databases on SQLite and PostgreSQL;
the analytics run uncached, and every headline must equal what a few lines of
plain SQL, written without the analytics' help, say.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from azora_nb import migrate
from azora_nb.analytics import rewards, treasury
from azora_nb.schema import core, mint
from azora_nb.workspace import Workspace

from .conftest import BACKENDS, _open
from .handmade import AS_OF, _ledger_row, ago

T0 = AS_OF - timedelta(days=20)


def _user(uid: str, wallet: str) -> dict[str, Any]:
    return {
        "id": uid,
        "azoraId": f"az-{uid}",
        "walletAddress": wallet,
        "kycStatus": "VERIFIED",
        "createdAt": T0,
        "updatedAt": T0,
    }


def _reward(rid: str, user: str, amount: float, tx: str | None, status: str = "PAID") -> dict:
    return {
        "id": rid,
        "userId": user,
        "rewardAmount": amount,
        "currencyCode": "AZR",
        "sourceTrxId": f"src-{rid}",
        "achievement": None,
        "transactionHash": tx,
        "status": status,
        "createdAt": T0,
        "processedAt": T0 + timedelta(hours=1),
    }


def _balance(user: str, amount: float, currency: str = "AZR") -> dict[str, Any]:
    return {
        "id": f"b-{user}-{currency}",
        "userId": user,
        "currencyCode": currency,
        "amount": amount,
    }


def _payout(name: str, amount: float, recipient: str, status: str = "confirmed") -> dict:
    return _ledger_row(
        name,
        "mint",
        amount,
        ago(days=3),
        status=status,
        reason="knowledge_reward",
        tx_hash=name,
        recipient=recipient,
    )


STATES: dict[str, dict[str, dict[Any, list[dict[str, Any]]]]] = {
    "empty": {"core": {}, "mint": {}},
    "mint only": {
        "core": {},
        "mint": {
            mint.users: [_user("u1", "w1"), _user("u2", "w2"), _user("u3", "w3")],
            mint.knowledge_rewards: [
                _reward("r1", "u1", 10.25, "h1"),
                _reward("r2", "u2", 4.5, "h2"),  # u2 has no balance row
                _reward("r3", "u1", 3.0, None, "FAILED"),
            ],
            mint.user_balances: [
                _balance("u1", 10.25),
                _balance("u3", 7.0),
                _balance("u3", 1, "USD"),
            ],
        },
    },
    "core only": {
        "core": {
            core.users: [{"id": "00000000-0000-0000-0000-000000000001", "wallet_address": "w1"}],
            core.treasury_ledger: [
                _ledger_row("m1", "mint", 100.0, ago(days=40)),
                _ledger_row("b1", "burn", 30.5, ago(days=10)),
                _ledger_row("m2", "mint", 5.0, ago(days=1), status="pending"),
                _ledger_row("old", "mint", 12.0, AS_OF - timedelta(days=800)),
                _payout("hz", 2.0, "w-nobody"),
            ],
        },
        "mint": {},
    },
    "sparse": {
        "core": {
            core.users: [{"id": "00000000-0000-0000-0000-000000000002", "wallet_address": "w1"}],
            core.treasury_ledger: [_payout("h1", 10.25, "w1"), _payout("h9", 1.0, "w1", "failed")],
        },
        "mint": {
            mint.users: [_user("u1", "w1"), _user("u4", "w4")],
            mint.knowledge_rewards: [_reward("r1", "u1", 10.25, "h1")],
            mint.user_balances: [_balance("u4", 0.0)],
        },
    },
}


@pytest.fixture(scope="module", params=BACKENDS)
def blank(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Workspace]:
    """A migrated workspace whose service tables each test fills with one state."""
    home: Path = tmp_path_factory.mktemp(f"headlines-{request.param}")
    ws = _open(request, request.param, home)
    for source in ("core", "mint"):
        migrate.upgrade(ws, source)
    yield ws
    ws.close()


def _load(ws: Workspace, state: str) -> None:
    for source, tables in STATES[state].items():
        metadata = core.metadata if source == "core" else mint.metadata
        with ws.engine(source).begin() as conn:
            for table in reversed(metadata.sorted_tables):
                if not table.name.startswith("azora_nb_"):
                    conn.execute(sa.delete(table))
            for table, rows in tables.items():
                keys = {k for row in rows for k in row}
                conn.execute(sa.insert(table), [{k: r.get(k) for k in keys} for r in rows])


def _one(ws: Workspace, sql: str, source: str, **params: Any) -> float:
    with ws.engine(source).connect() as conn:
        value = conn.execute(sa.text(sql), params).scalar()
    return float(value or 0)


def _column(ws: Workspace, sql: str, source: str) -> set[Any]:
    with ws.engine(source).connect() as conn:
        return {row[0] for row in conn.execute(sa.text(sql))}


@pytest.mark.parametrize("state", sorted(STATES))
def test_roll_forward_headline_against_plain_sql(blank: Workspace, state: str) -> None:
    _load(blank, state)
    row = rewards.balance_roll_forward(blank, cache=False).iloc[0]
    paid_users = _column(
        blank,
        'select "userId" from knowledge_rewards'
        " where status = 'PAID' and \"currencyCode\" = 'AZR'",
        "mint",
    )
    held_users = _column(
        blank, 'select "userId" from user_balances where "currencyCode" = \'AZR\'', "mint"
    )
    balance = _one(
        blank, "select sum(amount) from user_balances where \"currencyCode\" = 'AZR'", "mint"
    )
    paid = _one(
        blank,
        'select sum("rewardAmount") from knowledge_rewards'
        " where status = 'PAID' and \"currencyCode\" = 'AZR'",
        "mint",
    )
    assert row["accounts"] == len(paid_users | held_users)
    assert row["balance_azr"] == pytest.approx(balance, abs=1e-9)
    assert row["paid_rewards_azr"] == pytest.approx(paid, abs=1e-9)
    assert row["difference_azr"] == pytest.approx(balance - paid, abs=1e-9)
    assert row["missing_balance_rows"] == len(paid_users - held_users)


@pytest.mark.parametrize("state", sorted(STATES))
def test_supply_headline_against_plain_sql(blank: Workspace, state: str) -> None:
    _load(blank, state)
    supply = treasury.net_supply(blank, as_of=AS_OF, months=12, cache=False)
    expected = _one(
        blank,
        "select sum(case transaction_type when 'mint' then amount_azr"
        " when 'burn' then -amount_azr else 0 end) from treasury_ledger"
        " where blockchain_status = 'confirmed' and created_at < :end",
        "core",
        end=AS_OF.strftime("%Y-%m-%d %H:%M:%S"),
    )
    assert supply["supply_azr"].iloc[-1] == pytest.approx(expected, abs=1e-9)
    assert len(supply) == 12 and supply["period"].iloc[-1] == "partial"


@pytest.mark.parametrize("state", sorted(STATES))
def test_reconciliation_counts_against_plain_sql(blank: Workspace, state: str) -> None:
    _load(blank, state)
    found = rewards.audit(blank, as_of=AS_OF, cache=False)
    counts = found["kind"].value_counts()
    ledger_hashes = _column(blank, "select tx_hash from treasury_ledger", "core")
    reward_hashes = _column(
        blank,
        'select "transactionHash" from knowledge_rewards where "transactionHash" is not null',
        "mint",
    )
    paid = _column(
        blank,
        "select coalesce(\"transactionHash\", '') || '|' || id from knowledge_rewards"
        " where status = 'PAID'",
        "mint",
    )
    without_ledger = sum(1 for v in paid if v.split("|")[0] not in ledger_hashes)
    payouts = _column(
        blank, "select tx_hash from treasury_ledger where reason = 'knowledge_reward'", "core"
    )
    wallets = _column(blank, "select wallet_address from users", "core") | _column(
        blank, 'select "walletAddress" from users', "mint"
    )
    recipients = _column(
        blank,
        "select coalesce(recipient_address, '') || '|' || id from treasury_ledger"
        " where reason = 'knowledge_reward'",
        "core",
    )
    assert counts.get("reward_paid_without_ledger", 0) == without_ledger
    assert counts.get("ledger_payout_without_reward", 0) == len(payouts - reward_hashes)
    assert counts.get("payout_wallet_unknown", 0) == sum(
        1 for v in recipients if v.split("|")[0] not in wallets
    )
    assert (
        counts.get("balance_mismatch", 0)
        == rewards.balance_roll_forward(blank, cache=False).iloc[0]["mismatched_accounts"]
    )
