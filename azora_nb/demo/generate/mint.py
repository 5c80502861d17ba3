"""The mint service: users with their KYC state, subscriptions and invoices,
balances, knowledge rewards, earnings by pool, and the AZR minted for mining.

Prisma tables keep times at the millisecond (``TIMESTAMP(3)``); the service's
own schema.sql tables use plain ``timestamp`` at the microsecond.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from azora_nb.demo import values as v
from azora_nb.demo.generate import TableSpec, chunked, single
from azora_nb.demo.generate.mining import ALGORITHMS, POOLS, rigs, session_chunk
from azora_nb.demo.generate.people import (
    KYC,
    azr_balances,
    mint_wallets,
    missing_balances,
    rewards,
    users,
)
from azora_nb.demo.manifest import Anomaly
from azora_nb.demo.plan import US_PER_DAY, US_PER_HOUR, US_PER_SECOND, Plan

TIERS = (
    ("free_citizen", 0.0, 0.70),
    ("scholar", 9.99, 0.18),
    ("builder", 29.0, 0.09),
    ("enterprise", 199.0, 0.03),
)
POOL_TYPES = ("student", "enterprise", "business", "governance")
POOL_TYPE_P = (0.6, 0.1, 0.2, 0.1)
POOL_CAPS = np.array([100_000.0, 600_000.0, 200_000.0, 50_000.0])
"""Allocation caps (the allocation_status view); governance has none, 50k is its budget."""
EARNING_SOURCES = ("knowledge_reward", "mining", "staking", "referral", "governance_grant")
MINT_ACTIONS = (
    "user_registered",
    "kyc_submitted",
    "kyc_reviewed",
    "reward_processed",
    "subscription_changed",
    "invoice_paid",
    "balance_adjusted",
)


def _ms(us: np.ndarray) -> np.ndarray:
    return np.asarray(us, dtype=np.int64) // 1_000 * 1_000


def users_table(plan: Plan) -> pa.Table:
    people = users(plan)
    m = plan.mint_users
    rng = plan.rng("mint-users")
    created = people.created_us[:m]
    return pa.table(
        {
            "id": v.text(people.mint_ids),
            "azoraId": pa.array([f"AZ-{100_000 + i:07d}" for i in rng.permutation(m).tolist()]),
            "walletAddress": v.text(mint_wallets(plan)[0]),
            "kycStatus": v.pick(KYC, people.kyc),
            "createdAt": v.ts(created, zone=False, ms=True),
            "updatedAt": v.ts(
                created + (rng.random(m) * (plan.end_us - created)).astype(np.int64),
                zone=False,
                ms=True,
            ),
        }
    )


def _tiers(plan: Plan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = plan.rng("subscriptions")
    m = plan.mint_users
    tier = rng.choice(len(TIERS), size=m, p=[t[2] for t in TIERS])
    born = users(plan).created_us[:m]
    since = born + (rng.random(m) * 0.2 * (plan.end_us - born)).astype(np.int64)
    status = np.where(
        rng.random(m) < 0.08, "cancelled", np.where(rng.random(m) < 0.03, "past_due", "active")
    )
    return tier, _ms(since), status


def subscriptions_table(plan: Plan) -> pa.Table:
    tier, since, status = _tiers(plan)
    rng = plan.rng("subscription-ids")
    m = len(tier)
    return pa.table(
        {
            "id": v.text(v.uuids(rng, m)),
            "userId": v.text(users(plan).mint_ids),
            "tier": v.pick([t[0] for t in TIERS], tier),
            "status": v.text(status.astype(object)),
            "createdAt": v.ts(since, zone=False),
            "updatedAt": v.ts(
                since + (rng.random(m) * (plan.end_us - since)).astype(np.int64),
                zone=False,
                ms=True,
            ),
        }
    )


def invoices_table(plan: Plan) -> pa.Table:
    """One invoice a month (every 30 days) for each paying subscription."""
    tier, since, status = _tiers(plan)
    rng = plan.rng("invoices")
    paying = np.flatnonzero(tier > 0)
    months = ((plan.end_us - since[paying]) // (30 * US_PER_DAY)).astype(np.int64) + 1
    who = np.repeat(paying, months)
    nth = np.arange(len(who)) - np.repeat(np.cumsum(months) - months, months)
    at = since[who] + nth * 30 * US_PER_DAY
    n = len(who)
    last = nth == months[np.searchsorted(paying, who)] - 1
    state = np.where(rng.random(n) < 0.03, "failed", "paid")
    state = np.where(
        last & (status[who] == "past_due"),
        "overdue",
        np.where(last & (rng.random(n) < 0.3), "pending", state),
    )
    return pa.table(
        {
            "id": v.text(v.uuids(rng, n)),
            "userId": v.text(users(plan).mint_ids[who]),
            "amount": v.num(np.array([t[1] for t in TIERS])[tier[who]], 2),
            "status": v.text(state.astype(object)),
            "createdAt": v.ts(at, zone=False, ms=True),
        }
    )


def audit_table(plan: Plan, index: int, lo: int, hi: int) -> pa.Table:
    rng = plan.rng("mint-audit", index)
    n = hi - lo
    at = v.times_at(v.row_quantiles(rng, lo, hi, plan.audit_rows), v.activity_cdf(plan))
    action = rng.integers(0, len(MINT_ACTIONS), n)
    who = rng.integers(0, plan.mint_users, n)
    ids = users(plan).mint_ids
    details = [
        json.dumps(
            {"userId": ids[u].decode(), "actor": "mint-service", "requestId": f"req_{r:08x}"}
        )
        for u, r in zip(who.tolist(), rng.integers(0, 2**32, n).tolist(), strict=True)
    ]
    return pa.table(
        {
            "id": v.text(v.uuids(rng, n)),
            "action": v.pick(MINT_ACTIONS, action),
            "details": pa.array(details),
            "timestamp": v.ts(at, zone=False, ms=True),
        }
    )


def balances_table(plan: Plan) -> pa.Table:
    rng = plan.rng("balances")
    m = plan.mint_users
    azr, _ = azr_balances(plan)
    usd = rng.random(m) < 0.6
    eth = rng.random(m) < 0.15
    holds = np.setdiff1d(np.arange(m), missing_balances(plan)[0])
    user = np.concatenate([holds, np.flatnonzero(usd), np.flatnonzero(eth)])
    code = np.concatenate(
        [np.zeros(len(holds), int), np.ones(usd.sum(), int), np.full(eth.sum(), 2)]
    )
    amount = np.concatenate(
        [
            azr[holds],
            np.round(rng.lognormal(np.log(120), 1.2, usd.sum()), 2),
            np.round(rng.lognormal(np.log(0.3), 1.0, eth.sum()), 6),
        ]
    )
    return pa.table(
        {
            "id": v.text(v.uuids(rng, len(user))),
            "userId": v.text(users(plan).mint_ids[user]),
            "currencyCode": v.pick(("AZR", "USD", "ETH"), code),
            "amount": pa.array(amount),
        }
    )


def rewards_table(plan: Plan) -> pa.Table:
    r = rewards(plan)
    return pa.table(
        {
            "id": v.text(r.ids),
            "userId": v.text(users(plan).mint_ids[r.user]),
            "rewardAmount": pa.array(r.amount),
            "currencyCode": pa.array(["AZR"] * len(r.ids)),
            "sourceTrxId": v.text(r.source_trx),
            "achievement": pa.array(r.achievement.astype(object), type=pa.string()),
            "transactionHash": v.text(r.tx_hash, mask=r.tx_hash == b""),
            "status": pa.array(r.status.astype(object), type=pa.string()),
            "createdAt": v.ts(r.created_us, zone=False, ms=True),
            "processedAt": v.ts(r.processed_us, zone=False, ms=True, mask=r.processed_us < 0),
        }
    )


def _earnings(
    plan: Plan, index: int, lo: int, hi: int
) -> tuple[np.random.Generator, np.ndarray, np.ndarray, np.ndarray]:
    rng = plan.rng("earnings", index)
    n = hi - lo
    kind = rng.choice(len(POOL_TYPES), size=n, p=POOL_TYPE_P)
    mean = POOL_CAPS[kind] * 0.55 / (plan.earnings_rows * np.array(POOL_TYPE_P)[kind])
    amount = np.round(mean * rng.lognormal(-0.32, 0.8, n), 6)
    at = v.times_at(v.row_quantiles(rng, lo, hi, plan.earnings_rows), v.activity_cdf(plan))
    return rng, kind, amount, at


def earnings_tables(plan: Plan) -> Iterator[pa.Table]:
    ids = users(plan).mint_ids
    for index, (lo, hi) in enumerate(plan.chunks(plan.earnings_rows)):
        rng, kind, amount, at = _earnings(plan, index, lo, hi)
        n = hi - lo
        reinvest = np.round(amount * rng.uniform(0.1, 0.3, n), 6)
        yield pa.table(
            {
                "id": v.text(v.hexes(rng, n, 12, b"earn_")),
                "user_id": v.text(ids[rng.integers(0, len(ids), n)]),
                "user_type": v.pick(POOL_TYPES, kind),
                "amount": v.num(amount, 6),
                "net_amount": v.num(amount - reinvest, 6),
                "reinvest_amount": v.num(reinvest, 6),
                "source": v.pick(EARNING_SOURCES, rng.integers(0, len(EARNING_SOURCES), n)),
                "created_at": v.ts(at, zone=False),
            }
        )


def pool_statistics_table(plan: Plan) -> pa.Table:
    totals = np.zeros(len(POOL_TYPES) + 1)
    last_amount = np.zeros(len(POOL_TYPES) + 1)
    last_at = np.full(len(POOL_TYPES) + 1, plan.start_us)
    for index, (lo, hi) in enumerate(plan.chunks(plan.earnings_rows)):
        _, kind, amount, at = _earnings(plan, index, lo, hi)
        totals[:-1] += np.bincount(kind, weights=amount, minlength=len(POOL_TYPES))
        for k in range(len(POOL_TYPES)):
            mine = np.flatnonzero(kind == k)
            if len(mine):
                last_amount[k], last_at[k] = amount[mine[-1]], at[mine[-1]]
    rng = plan.rng("pool-statistics")
    totals[-1] = round(totals.sum() * 0.05, 6)  # the AI treasury takes 5% on top
    last_amount[-1], last_at[-1] = round(totals[-1] / 365, 6), plan.end_us - US_PER_DAY
    return pa.table(
        {
            "pool_type": pa.array([*POOL_TYPES, "ai_treasury"]),
            "total_minted": v.num(totals, 6),
            "last_mint_amount": v.num(last_amount, 6),
            "last_mint_user": v.text(users(plan).mint_ids[rng.integers(0, plan.mint_users, 5)]),
            "updated_at": v.ts(last_at, zone=False),
        }
    )


MINTING_PLANTED = ("minting_session_mismatch", "minting_session_mismatch")
"""Two rows of the first chunk: one names a session core does not have, one mints
0.5 AZR more than its session."""


def _minting_chunk(plan: Plan, index: int) -> tuple[pa.Table, list[str]]:
    """One chunk of minting_transactions, and the ids of its planted rows."""
    r = rigs(plan)
    owners = users(plan).core_ids
    s = session_chunk(plan, index)
    rng = plan.rng("minting", index)
    done = np.flatnonzero(s.end >= 0)
    n = len(done)
    at = s.end[done] + rng.integers(US_PER_SECOND, 10 * 60 * US_PER_SECOND, n)
    confirm = at + rng.integers(5 * US_PER_SECOND, 5 * 60 * US_PER_SECOND, n)
    state = np.where(
        confirm >= plan.end_us, "pending", np.where(rng.random(n) < 0.01, "failed", "confirmed")
    )
    ids = v.hexes(rng, n, 12, b"mint_")
    keys = s.session_key[done].copy()
    amount = s.earnings[done].copy()
    planted: list[str] = []
    if index == 0:
        where = plan.rng("minting-planted")
        unknown, off = (int(i) for i in where.choice(n, size=2, replace=False))
        keys[unknown] = v.hexes(where, 1, 10, b"sess_")[0]
        amount[off] = amount[off] + 0.5
        planted = [ids[unknown].decode(), ids[off].decode()]
    table = pa.table(
        {
            "id": v.text(ids),
            "mining_session_id": v.text(keys),
            "user_id": v.text(owners[r.user[s.rig[done]]]),
            "amount_azr": v.num(amount, 6),
            "amount_usd": v.num(amount, 6),
            "transaction_hash": v.text(v.hexes(rng, n, 32), mask=state == "pending"),
            "blockchain_status": v.text(state.astype(object)),
            "gas_used": v.num(rng.integers(48_000, 70_000, n), 6),
            "gas_price": v.num(rng.lognormal(np.log(22), 0.4, n), 6),
            "created_at": v.ts(np.minimum(at, plan.end_us - US_PER_SECOND), zone=False),
            "confirmed_at": v.ts(confirm, zone=False, mask=state != "confirmed"),
        }
    )
    return table, planted


def minting_tables(plan: Plan) -> Iterator[pa.Table]:
    """AZR minted for each finished session (1 AZR per USD earned)."""
    for index in range(len(plan.chunks(plan.sessions))):
        yield _minting_chunk(plan, index)[0]


def minting_anomalies(plan: Plan) -> list[Anomaly]:
    _, planted = _minting_chunk(plan, 0)
    return [
        Anomaly(kind, "mint", "minting_transactions", {"minting_id": i})
        for kind, i in zip(MINTING_PLANTED, planted, strict=True)
    ]


def minting_count(plan: Plan) -> int:
    return sum(
        int((session_chunk(plan, i).end >= 0).sum()) for i in range(len(plan.chunks(plan.sessions)))
    )


def pools_table(plan: Plan) -> pa.Table:
    rng = plan.rng("mining-pools")
    k = len(POOLS)
    algorithms = [a[0] for a in ALGORITHMS]
    return pa.table(
        {
            "id": pa.array([f"pool-{p[0]}" for p in POOLS]),
            "name": pa.array([p[0] for p in POOLS]),
            "url": pa.array([p[2] for p in POOLS]),
            "algorithm": pa.array([p[1] for p in POOLS]),
            "priority": v.ints(
                np.array([1 + sum(q[1] == p[1] for q in POOLS[:i]) for i, p in enumerate(POOLS)])
            ),
            "is_active": v.bools(
                np.array([p[1] in algorithms for p in POOLS]) & (rng.random(k) < 0.95)
            ),
            "created_at": v.ts(
                plan.start_us
                - rng.integers(1, 90, k) * US_PER_DAY
                + rng.integers(0, US_PER_HOUR, k),
                zone=False,
            ),
        }
    )


def specs(plan: Plan) -> list[TableSpec]:
    _, balance_anomalies = azr_balances(plan)
    return [
        TableSpec("mint", "users", plan.mint_users, single(users_table, plan)),
        TableSpec("mint", "subscription", plan.mint_users, single(subscriptions_table, plan)),
        TableSpec("mint", "invoice", len(invoices_table(plan)), single(invoices_table, plan)),
        TableSpec(
            "mint", "audit_log", plan.audit_rows, chunked(audit_table, plan, plan.audit_rows)
        ),
        TableSpec(
            "mint",
            "user_balances",
            len(balances_table(plan)),
            single(balances_table, plan),
            anomalies=lambda: balance_anomalies + list(missing_balances(plan)[1]),
        ),
        TableSpec(
            "mint",
            "knowledge_rewards",
            len(rewards(plan).ids),
            single(rewards_table, plan),
            anomalies=lambda: list(rewards(plan).anomalies) + list(mint_wallets(plan)[1]),
        ),
        TableSpec("mint", "earnings_ledger", plan.earnings_rows, lambda: earnings_tables(plan)),
        TableSpec(
            "mint", "pool_statistics", len(POOL_TYPES) + 1, single(pool_statistics_table, plan)
        ),
        TableSpec(
            "mint",
            "minting_transactions",
            minting_count(plan),
            lambda: minting_tables(plan),
            anomalies=lambda: minting_anomalies(plan),
        ),
        TableSpec("mint", "mining_pools", len(POOLS), single(pools_table, plan)),
    ]
