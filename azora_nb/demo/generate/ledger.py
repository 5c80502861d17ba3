"""The treasury ledger: everyday movements, knowledge-reward payouts and (legacy
flavour) rows that break the constitutional rules.

Everyday rows follow the platform's activity curve (growth over the year,
afternoon peaks, quiet weekends). Each moves 1 AZR = 1 USD and splits by the
constitutional allocation; it is pending until confirmed on chain, with a
confirmation delay of tens of seconds, or it fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

import numpy as np
import pyarrow as pa

from azora_nb.demo import values as v
from azora_nb.demo.generate import TableSpec
from azora_nb.demo.generate.people import (
    PAYOUT_BURN,
    PAYOUT_FAILED,
    PAYOUT_NOBODY,
    PAYOUT_OTHER_WALLET,
    PAYOUT_PROPER,
    mint_wallets,
    rewards,
    users,
)
from azora_nb.demo.manifest import Anomaly
from azora_nb.demo.plan import US_PER_DAY, US_PER_HOUR, US_PER_SECOND, Plan

TYPES = ("mint", "burn", "withdrawal", "deposit", "transfer")
TYPE_P = (0.34, 0.08, 0.12, 0.16, 0.30)
MEDIAN_AMOUNT = np.array([150.0, 500.0, 300.0, 250.0, 80.0])
BASE_GAS = np.array([65_000, 45_000, 52_000, 52_000, 21_000])
ALLOCATION = (0.70, 0.11, 0.05, 0.14)
"""treasury, founder, burn, circulation: sums to exactly 1 (the constitution)."""
LEGACY_ALLOCATION = (0.70, 0.11, 0.05, 0.239)
"""Production schema.sql's defaults, which sum to 1.099."""
REASONS = {
    "mint": ("mining_reward", "staking_reward", "treasury_mint"),
    "burn": ("burn_ritual", "fee_burn"),
    "withdrawal": ("fiat_withdrawal", "bridge_out"),
    "deposit": ("fiat_deposit", "bridge_in"),
    "transfer": ("p2p_transfer", "merchant_payment", "treasury_rebalance"),
}
_REASON_LABELS = tuple(r for t in TYPES for r in REASONS[t])
_REASON_START = np.cumsum([0] + [len(REASONS[t]) for t in TYPES])[:-1]
_REASON_COUNT = np.array([len(REASONS[t]) for t in TYPES])
PAYOUT_REASON = "knowledge_reward"
TREASURY_WALLET = b"0x7a2e0000000000000000000000000000000a20a1"
BURN_WALLET = b"0x000000000000000000000000000000000000dead"


@lru_cache(maxsize=4)
def _cdf(plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    return v.activity_cdf(plan)


def payout_count(plan: Plan) -> int:
    r = rewards(plan)
    return int(np.count_nonzero(~np.isnan(r.payout_amount))) + len(r.stray_payouts)


def everyday_count(plan: Plan) -> int:
    return plan.scale - payout_count(plan) - len(PLANTED_ROWS)


def _frame(
    ids: np.ndarray,
    tx: np.ndarray,
    kind: np.ndarray,
    amount: np.ndarray,
    usd: np.ndarray,
    allocation: tuple[float, ...],
    sender: np.ndarray,
    recipient: np.ndarray,
    gas: np.ndarray,
    gas_price: np.ndarray,
    status: np.ndarray,
    reason: pa.Array,
    created: np.ndarray,
    confirmed: np.ndarray,
    processed: np.ndarray,
) -> pa.Table:
    n = len(ids)
    names = (
        "treasury_allocation",
        "founder_allocation",
        "burn_allocation",
        "circulation_allocation",
    )
    return pa.table(
        {
            "id": v.text(ids),
            "tx_hash": v.text(tx),
            "transaction_type": v.pick(TYPES, kind),
            "amount_azr": v.num(amount, 8),
            "amount_usd": v.num(usd, 8),
            **{
                name: v.num(np.full(n, share), 4)
                for name, share in zip(names, allocation, strict=True)
            },
            "recipient_address": v.text(recipient, mask=recipient == b""),
            "sender_address": v.text(sender, mask=sender == b""),
            "gas_used": v.ints(gas),
            "gas_price_wei": v.num(gas_price, 0),
            "blockchain_status": v.text(status),
            "reason": reason,
            "created_at": v.ts(created),
            "confirmed_at": v.ts(confirmed, mask=confirmed < 0),
            "processed_at": v.ts(processed, mask=processed < 0),
        }
    )


def _gas_price(rng: np.random.Generator, created: np.ndarray) -> np.ndarray:
    hour = (created // US_PER_HOUR) % 24
    gwei = rng.lognormal(np.log(22), 0.45, len(created)) * (
        1 + 0.35 * np.sin(2 * np.pi * (hour - 10) / 24)
    )
    return np.round(gwei * 1e9, 0)


def _lifecycle(
    plan: Plan, rng: np.random.Generator, created: np.ndarray, fail_rate: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Status, confirmed_at and processed_at (-1 for NULL) of rows created at ``created``."""
    n = len(created)
    delay = np.clip(rng.lognormal(np.log(40), 0.6, n), 3, 900) * US_PER_SECOND
    confirmed = (created + delay).astype(np.int64)
    processed = confirmed + rng.integers(200_000, 5 * US_PER_SECOND, n)
    failed = rng.random(n) < fail_rate
    pending = processed >= plan.end_us
    status = np.where(pending, "pending", np.where(failed, "failed", "confirmed"))
    confirmed = np.where(status == "confirmed", confirmed, -1)
    processed = np.where(pending, -1, processed)
    return status, confirmed, processed


def everyday_chunks(plan: Plan) -> Iterator[pa.Table]:
    total = everyday_count(plan)
    wallets = users(plan).wallets
    n_users = len(wallets)
    for index, (lo, hi) in enumerate(plan.chunks(total)):
        rng = plan.rng("ledger", index)
        n = hi - lo
        created = v.times_at(v.row_quantiles(rng, lo, hi, total), _cdf(plan))
        kind = rng.choice(len(TYPES), size=n, p=TYPE_P)
        amount = np.round(rng.lognormal(np.log(MEDIAN_AMOUNT[kind]), 1.0), 2) + 0.01
        who = wallets[(rng.random(n) ** 2 * n_users).astype(np.int64)]
        other = wallets[rng.integers(0, n_users, n)]
        external = v.hexes(rng, n, 20)
        sender = np.select([kind == 0, kind == 3, kind == 4], [b"", external, other], who)
        recipient = np.select([kind == 1, kind == 2], [BURN_WALLET, external], who)
        gas = (BASE_GAS[kind] * (1 + 0.3 * rng.random(n))).astype(np.int64)
        status, confirmed, processed = _lifecycle(plan, rng, created, 0.015)
        reason = v.pick(
            _REASON_LABELS, _REASON_START[kind] + rng.integers(0, 6, n) % _REASON_COUNT[kind]
        )
        yield _frame(
            v.uuids(rng, n),
            v.hexes(rng, n, 32),
            kind,
            amount,
            amount,
            ALLOCATION,
            sender,
            recipient,
            gas,
            _gas_price(rng, created),
            status,
            reason,
            created,
            confirmed,
            processed,
        )


def payout_chunks(plan: Plan) -> Iterator[pa.Table]:
    """One ledger row per reward that has a payout (by its hash), plus the planted strays.

    A payout is a confirmed mint (reason knowledge_reward) to the user's mint wallet;
    the planted variants make it a burn, fail it on chain, or send it to another
    user's wallet or to a wallet of nobody.
    """
    r = rewards(plan)
    wallets = users(plan).wallets
    to_wallet = mint_wallets(plan)[0]
    has = np.flatnonzero(~np.isnan(r.payout_amount))
    stray = r.stray_payouts
    ids = np.concatenate([r.payout_ids[has], v.uuids(plan.rng("stray-ids"), len(stray))])
    tx = np.concatenate([r.tx_hash[has], np.array([s[0].encode() for s in stray], dtype="S66")])
    amount = np.concatenate([r.payout_amount[has], np.array([s[1] for s in stray])])
    user = np.concatenate([r.user[has], np.array([s[2] for s in stray], dtype=np.int64)])
    created = np.concatenate([r.processed_us[has], np.array([s[3] for s in stray], dtype=np.int64)])
    variant = np.concatenate([r.variant[has], np.full(len(stray), PAYOUT_PROPER)])
    recipient = to_wallet[user].copy()
    others = plan.rng("payout-wallets")
    for i in np.flatnonzero(variant == PAYOUT_OTHER_WALLET).tolist():
        recipient[i] = wallets[(user[i] + 1 + int(others.integers(0, 5))) % len(to_wallet)]
    nobody = np.flatnonzero(variant == PAYOUT_NOBODY)
    recipient[nobody] = v.hexes(others, len(nobody), 20)
    burn = variant == PAYOUT_BURN
    recipient[burn] = BURN_WALLET
    for index, (lo, hi) in enumerate(plan.chunks(len(ids))):
        rng = plan.rng("payouts", index)
        n = hi - lo
        at = created[lo:hi]
        delay = np.clip(rng.lognormal(np.log(40), 0.6, n), 3, 900) * US_PER_SECOND
        confirmed = at + np.minimum(delay, (plan.end_us - at) / 3).astype(np.int64)
        processed = confirmed + np.minimum(
            rng.integers(200_000, 5 * US_PER_SECOND, n), (plan.end_us - confirmed) // 2
        )
        kind = variant[lo:hi]
        failed = kind == PAYOUT_FAILED
        yield _frame(
            ids[lo:hi],
            tx[lo:hi],
            np.where(kind == PAYOUT_BURN, 1, 0),
            amount[lo:hi],
            amount[lo:hi],
            ALLOCATION,
            np.where(kind == PAYOUT_BURN, to_wallet[user[lo:hi]], b""),
            recipient[lo:hi],
            (BASE_GAS[0] * (1 + 0.2 * rng.random(n))).astype(np.int64),
            _gas_price(rng, at),
            np.where(failed, "failed", "confirmed"),
            pa.array(np.where(kind == PAYOUT_BURN, "fee_burn", PAYOUT_REASON).tolist()),
            at,
            np.where(failed, -1, confirmed),
            processed,
        )


def payout_anomalies(plan: Plan) -> list[Anomaly]:
    r = rewards(plan)
    ids = v.uuids(plan.rng("stray-ids"), len(r.stray_payouts))
    return [
        Anomaly(
            "ledger_payout_without_reward",
            "core",
            "treasury_ledger",
            {"ledger_id": i.decode(), "tx_hash": s[0]},
        )
        for i, s in zip(ids, r.stray_payouts, strict=True)
    ]


PLANTED_ROWS = (
    # kind, transaction type index, amount, seconds from created to confirmed
    ("ledger_amount_not_positive", 4, -42.5, 35),
    ("ledger_times_out_of_order", 3, 120.0, -90),
)
"""Ledger rows that break one row rule each (the loader's CHECKs allow both)."""


def _planted(plan: Plan) -> tuple[pa.Table, list[Anomaly]]:
    rng = plan.rng("ledger-planted")
    k = len(PLANTED_ROWS)
    wallets = users(plan).wallets
    ids = v.uuids(rng, k)
    kind = np.array([row[1] for row in PLANTED_ROWS])
    amount = np.array([row[2] for row in PLANTED_ROWS])
    created = np.sort(plan.end_us - rng.integers(20, 200, k) * US_PER_DAY)
    confirmed = created + np.array([row[3] for row in PLANTED_ROWS]) * US_PER_SECOND
    who = wallets[rng.integers(0, len(wallets), k)]
    table = _frame(
        ids,
        v.hexes(rng, k, 32),
        kind,
        amount,
        amount,
        ALLOCATION,
        who,
        who[::-1].copy(),
        BASE_GAS[kind],
        _gas_price(rng, created),
        np.full(k, "confirmed"),
        v.pick(_REASON_LABELS, _REASON_START[kind]),
        created,
        confirmed,
        np.maximum(created, confirmed) + 2 * US_PER_SECOND,
    )
    anomalies = [
        Anomaly(row[0], "core", "treasury_ledger", {"ledger_id": i.decode()})
        for row, i in zip(PLANTED_ROWS, ids, strict=True)
    ]
    return table, anomalies


def legacy_count(plan: Plan) -> int:
    return plan.count(plan.rates.legacy, plan.scale)


def _legacy(plan: Plan) -> tuple[pa.Table, list[Anomaly]]:
    """Rows from before the constitutional CHECKs existed: allocations by the old
    defaults (sum 1.099), or a USD value that is not the AZR amount."""
    rng = plan.rng("legacy")
    k = legacy_count(plan)
    wallets = users(plan).wallets
    frames, anomalies = [], []
    for kind_name in ("legacy_allocation_sum", "legacy_valuation"):
        ids = v.uuids(rng, k)
        created = np.sort(plan.start_us + rng.integers(0, 45 * US_PER_DAY, k))
        amount = np.round(rng.lognormal(np.log(150), 0.8, k), 2) + 0.01
        usd = amount
        allocation = LEGACY_ALLOCATION
        if kind_name == "legacy_valuation":
            usd = np.round(amount * rng.choice([0.9, 0.95, 1.05, 1.2], k), 2)
            usd = np.where(usd == amount, amount + 1, usd)
            allocation = ALLOCATION
        status, confirmed, processed = _lifecycle(plan, rng, created, 0.0)
        frames.append(
            _frame(
                ids,
                v.hexes(rng, k, 32),
                np.zeros(k, dtype=np.int64),
                amount,
                usd,
                allocation,
                np.full(k, b""),
                wallets[rng.integers(0, len(wallets), k)],
                np.full(k, BASE_GAS[0]),
                _gas_price(rng, created),
                status,
                pa.array(["treasury_mint"] * k),
                created,
                confirmed,
                processed,
            )
        )
        anomalies += [
            Anomaly(kind_name, "core", "treasury_ledger", {"ledger_id": i.decode()}) for i in ids
        ]
    return pa.concat_tables(frames), anomalies


def specs(plan: Plan) -> list[TableSpec]:
    out = [
        TableSpec("core", "treasury_ledger", everyday_count(plan), lambda: everyday_chunks(plan)),
        TableSpec(
            "core",
            "treasury_ledger",
            payout_count(plan),
            lambda: payout_chunks(plan),
            anomalies=lambda: payout_anomalies(plan),
        ),
    ]
    out.append(
        TableSpec(
            "core",
            "treasury_ledger",
            len(PLANTED_ROWS),
            lambda: iter([_planted(plan)[0]]),
            anomalies=lambda: _planted(plan)[1],
        )
    )
    if plan.flavour == "legacy":
        out.append(
            TableSpec(
                "core",
                "treasury_ledger",
                2 * legacy_count(plan),
                lambda: iter([_legacy(plan)[0]]),
                anomalies=lambda: _legacy(plan)[1],
                legacy=True,
            )
        )
    return out
