"""The people of the platform: core and mint users, their knowledge rewards and
their AZR balances, including the planted reward anomalies.

Core user ``i`` and mint user ``i`` are the same person (same wallet). Rewards
are kept in memory (about 3.5% of the ledger's size) because the ledger's
payout rows and the users' balances are derived from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any, cast

import numpy as np

from azora_nb.demo import values as v
from azora_nb.demo.manifest import Anomaly
from azora_nb.demo.plan import US_PER_DAY, US_PER_HOUR, US_PER_SECOND, Plan

KYC = ("VERIFIED", "PENDING", "REJECTED")
KYC_P = (0.76, 0.16, 0.08)
JURISDICTIONS = ("ZA", "NG", "KE", "GH", "EG", "RW", "UG", "TZ", "MA", "SN", "BW", "ET")
TOPICS = (
    "python-101",
    "sql-basics",
    "blockchain-intro",
    "solidity",
    "data-viz",
    "ml-foundations",
    "statistics",
    "cryptography",
    "smart-contracts",
    "governance",
    "defi",
    "security",
    "cloud-ops",
    "react",
    "rust-intro",
    "pandas",
    "networking",
    "linux",
    "ethics-ai",
    "entrepreneurship",
    "finance-101",
    "kiswahili",
    "isizulu",
    "french",
    "public-speaking",
    "design",
    "product",
    "marketing",
    "accounting",
    "law-basics",
    "physics",
    "chemistry",
    "biology",
    "calculus",
    "linear-algebra",
    "geometry",
    "history",
    "geography",
    "writing",
    "research",
)
CATEGORIES = (
    ("course_completed", 40.0),
    ("quiz_passed", 8.0),
    ("module_mastered", 18.0),
    ("peer_review", 5.0),
    ("project_shipped", 60.0),
)
ACHIEVEMENTS = tuple(f"{cat}:{topic}" for cat, _ in CATEGORIES for topic in TOPICS)
BASE_AMOUNT = np.array([amount for _, amount in CATEGORIES for _ in TOPICS])
PENDING_WINDOW_US = int(6.5 * US_PER_DAY)
"""Clean PENDING rewards are younger than this, safely inside the 7-day threshold."""

PAYOUT_PROPER, PAYOUT_BURN, PAYOUT_FAILED, PAYOUT_OTHER_WALLET, PAYOUT_NOBODY = range(5)
"""How a reward's ledger row is made: a confirmed payout to the user's wallet, or one
of the planted ways of getting it wrong (see ``ledger.payout_chunks``)."""

REWARD_KINDS = (
    "reward_user_missing",
    "reward_payout_wrong_type",
    "reward_payout_failed",
    "payout_for_unpaid_reward",
    "payout_wrong_wallet",
    "payout_wallet_unknown",
    "reward_amount_invalid",
    "reward_paid_without_ledger",
    "reward_amount_mismatch",
    "reward_stuck_pending",
    "reward_processed_before_created",
    "reward_unverified_kyc",
    "reward_near_duplicate",
)


@dataclass(frozen=True)
class Users:
    core_ids: np.ndarray  # S36
    wallets: np.ndarray  # S42, shared by core user i and mint user i
    created_us: np.ndarray
    mint_ids: np.ndarray  # S36, first ``mint_users`` people
    kyc: np.ndarray  # index into KYC, per mint user


@lru_cache(maxsize=4)
def users(plan: Plan) -> Users:
    rng = plan.rng("users")
    n, m = plan.core_users, plan.mint_users
    # Most accounts are old; the first few are the founders', made on day one.
    created = plan.start_us + (
        rng.beta(1.2, 3.0, n) * (plan.end_us - plan.start_us - 30 * US_PER_DAY)
    ).astype(np.int64)
    created[:4] = plan.start_us + rng.integers(0, US_PER_HOUR, 4)
    kyc = rng.choice(len(KYC), size=m, p=KYC_P)
    kyc[:4] = 0
    return Users(
        core_ids=v.uuids(rng, n),
        wallets=v.hexes(rng, n, 20),
        created_us=created,
        mint_ids=v.uuids(rng, m),
        kyc=kyc,
    )


@dataclass(frozen=True)
class Rewards:
    ids: np.ndarray  # S36
    user: np.ndarray  # mint user index
    achievement: np.ndarray  # str
    amount: np.ndarray  # 2 decimals
    source_trx: np.ndarray  # S28
    tx_hash: np.ndarray  # S66, b"" when NULL
    status: np.ndarray  # str
    created_us: np.ndarray  # ms precision
    processed_us: np.ndarray  # ms precision, -1 when NULL
    payout_amount: np.ndarray  # the ledger row's amount, NaN when no ledger row
    payout_ids: np.ndarray  # S36, id of the ledger payout row (when there is one)
    variant: np.ndarray  # PAYOUT_* code of the ledger row
    clean_rows: int  # rows before this are clean; the planted ones follow
    anomalies: tuple[Anomaly, ...]
    stray_payouts: tuple[tuple[str, float, int, int], ...]
    """(tx_hash, amount, user index, time) of ledger payouts that match no reward."""


def _ms(us: np.ndarray) -> np.ndarray:
    return us // 1_000 * 1_000


@lru_cache(maxsize=4)
def rewards(plan: Plan) -> Rewards:
    people = users(plan)
    rng = plan.rng("rewards")
    m = plan.mint_users
    verified = people.kyc == 0
    counts = np.where(verified, rng.negative_binomial(2, 2 / 4.5, m), rng.poisson(0.4, m))
    counts = np.minimum(counts, len(ACHIEVEMENTS) - 1)
    user = np.repeat(np.arange(m), counts)
    rank = np.arange(len(user)) - np.repeat(np.cumsum(counts) - counts, counts)
    # 7 is coprime with the catalogue size, so a user's k-th rewards are all different
    # achievements: clean data never holds a near-duplicate.
    which = (rank * 7 + user * 13) % len(ACHIEVEMENTS)
    n = len(user)
    amount = np.maximum(np.round(BASE_AMOUNT[which] * rng.lognormal(0, 0.35, n), 2), 1.0)
    born = people.created_us[user]
    created = _ms(born + (rng.random(n) * (plan.end_us - born)).astype(np.int64))
    age = plan.end_us - created
    delay = np.minimum(rng.lognormal(np.log(2 * US_PER_HOUR), 1.0, n), 3 * US_PER_DAY)
    processed = _ms(created + np.minimum(delay, age * 0.9).astype(np.int64))
    recent = age < PENDING_WINDOW_US
    ok = verified[user]
    status = np.where(ok, np.where(rng.random(n) < 0.03, "FAILED", "PAID"), "FAILED")
    status = np.where(recent & (~ok | (rng.random(n) < 0.6)), "PENDING", status)
    processed = np.where(status == "PENDING", -1, processed)
    paid = status == "PAID"
    tx = np.where(paid, v.hexes(rng, n, 32), b"")
    columns = dict(
        ids=v.uuids(rng, n),
        user=user,
        achievement=np.array(ACHIEVEMENTS)[which],
        amount=amount,
        source_trx=v.hexes(rng, n, 12, b"trx_"),
        tx_hash=tx,
        status=status,
        created_us=created,
        processed_us=processed,
        payout_amount=np.where(paid, amount, np.nan),
        variant=np.zeros(n, dtype=np.int64),
    )
    planted, anomalies, stray = _plant(plan, rng, n, verified, people.mint_ids)
    for name, extra in planted.items():
        columns[name] = np.concatenate([columns[name], extra])
    payout_ids = v.uuids(plan.rng("payout-ids"), len(columns["ids"]))
    position = {rid: i for i, rid in enumerate(columns["ids"][n:].tolist(), start=n)}
    for a in anomalies:
        if "ledger_id" in a.keys:
            a.keys["ledger_id"] = payout_ids[position[a.keys["reward_id"].encode()]].decode()
        if a.kind == "payout_wallet_unknown":  # keyed by the ledger row alone
            del a.keys["reward_id"]
    return Rewards(
        **columns,
        payout_ids=payout_ids,
        clean_rows=n,
        anomalies=tuple(anomalies),
        stray_payouts=tuple(stray),
    )


def _plant(
    plan: Plan, rng: np.random.Generator, n_clean: int, verified: np.ndarray, mint_ids: np.ndarray
) -> tuple[dict[str, np.ndarray], list[Anomaly], list[tuple[str, float, int, int]]]:
    """Reward rows that each break exactly one rule of the reward audit."""
    count = plan.count(plan.rates.reward, n_clean)
    good = np.flatnonzero(verified)
    bad = np.flatnonzero(~verified)
    rows: list[dict[str, object]] = []
    anomalies: list[Anomaly] = []

    def add(
        kind_user: int,
        *,
        status: str,
        created: int,
        processed: int,
        hashed: bool,
        payout_delta: float | None,
        achievement: str | None,
        variant: int = PAYOUT_PROPER,
    ) -> dict[str, object]:
        amount = round(float(rng.choice(BASE_AMOUNT) * rng.lognormal(0, 0.3)), 2)
        row: dict[str, object] = dict(
            ids=v.uuids(rng, 1)[0],
            user=kind_user,
            achievement=achievement,
            amount=amount,
            source_trx=v.hexes(rng, 1, 12, b"trx_")[0],
            tx_hash=v.hexes(rng, 1, 32)[0] if hashed else b"",
            status=status,
            created_us=created // 1_000 * 1_000,
            processed_us=-1 if processed < 0 else processed // 1_000 * 1_000,
            payout_amount=np.nan if payout_delta is None else round(amount + payout_delta, 2),
            variant=variant,
        )
        rows.append(row)
        return row

    def when(lo_days: float, hi_days: float) -> int:
        return int(plan.end_us - rng.uniform(lo_days, hi_days) * US_PER_DAY)

    def bounty() -> str:
        return f"bounty:{rng.choice(TOPICS)}-{1000 + len(rows)}"

    def reward_id(row: dict[str, object]) -> str:
        return bytes(row["ids"]).decode()  # type: ignore[call-overload]

    def planted(kind: str, keys: dict[str, object]) -> None:
        anomalies.append(Anomaly(kind, "mint", "knowledge_rewards", keys))

    later = 30 * US_PER_SECOND

    def settled(
        status: str,
        *,
        pick: np.ndarray = good,
        hashed: bool = True,
        payout_delta: float | None = 0.0,
        variant: int = PAYOUT_PROPER,
    ) -> dict[str, object]:
        """A reward to a user from ``pick``, created 10 to 300 days before the end and
        processed 30 s later. (The random draws keep their order: date, user, bounty.)"""
        t = when(10, 300)
        return add(
            int(rng.choice(pick)),
            status=status,
            created=t,
            processed=t + later,
            hashed=hashed,
            payout_delta=payout_delta,
            achievement=bounty(),
            variant=variant,
        )

    for _ in range(count):
        t = when(10, 300)
        row = add(
            int(rng.choice(good)),
            status="PAID",
            created=t,
            processed=t + later,
            hashed=bool(rng.random() < 0.5),
            payout_delta=None,
            achievement=bounty(),
        )
        planted("reward_paid_without_ledger", {"reward_id": reward_id(row)})
    for _ in range(count):
        t = when(10, 300)
        row = add(
            int(rng.choice(good)),
            status="PAID",
            created=t,
            processed=t + later,
            hashed=True,
            payout_delta=round(float(rng.uniform(1, 25)), 2),
            achievement=bounty(),
        )
        planted("reward_amount_mismatch", {"reward_id": reward_id(row), "ledger_id": None})
    for _ in range(count):
        row = add(
            int(rng.choice(good)),
            status="PENDING",
            created=when(8, 60),
            processed=-1,
            hashed=False,
            payout_delta=None,
            achievement=bounty(),
        )
        planted("reward_stuck_pending", {"reward_id": reward_id(row)})
    for _ in range(count):
        t = when(10, 300)
        early = int(rng.uniform(5 * 60, 6 * 3600)) * US_PER_SECOND
        row = add(
            int(rng.choice(good)),
            status="PAID",
            created=t,
            processed=t - early,
            hashed=True,
            payout_delta=0.0,
            achievement=bounty(),
        )
        planted("reward_processed_before_created", {"reward_id": reward_id(row)})
    for _ in range(count):
        row = settled("PAID", pick=bad)
        user_id = mint_ids[cast(int, row["user"])].decode()
        planted("reward_unverified_kyc", {"reward_id": reward_id(row), "user_id": user_id})
    for _ in range(count):
        t = when(10, 300)
        user, achievement = int(rng.choice(good)), bounty()
        twin = partial(add, user, status="PAID", hashed=True, payout_delta=0.0)
        first = twin(created=t, processed=t + later, achievement=achievement)
        t2 = t + int(rng.uniform(600, 20 * 3600)) * US_PER_SECOND
        second = twin(created=t2, processed=t2 + later, achievement=achievement)
        second["amount"] = first["amount"]
        second["payout_amount"] = first["amount"]
        planted(
            "reward_near_duplicate", {"reward_ids": sorted([reward_id(first), reward_id(second)])}
        )
    _plant_payout_rules(rng, count, good, add, when, settled, reward_id, planted)
    stray = []
    for _ in range(count):
        user = int(rng.choice(good))
        amount = round(float(rng.choice(BASE_AMOUNT) * rng.lognormal(0, 0.3)), 2)
        stray.append((v.hexes(rng, 1, 32)[0].decode(), amount, user, when(2, 300) // 1000 * 1000))
    columns = {name: np.array([r[name] for r in rows]) for name in rows[0]}
    columns["ids"] = columns["ids"].astype("S36")
    columns["tx_hash"] = columns["tx_hash"].astype("S66")
    columns["source_trx"] = columns["source_trx"].astype("S28")
    columns["user"] = columns["user"].astype(np.int64)
    columns["created_us"] = columns["created_us"].astype(np.int64)
    columns["processed_us"] = columns["processed_us"].astype(np.int64)
    columns["payout_amount"] = columns["payout_amount"].astype(np.float64)
    columns["variant"] = columns["variant"].astype(np.int64)
    columns["achievement"] = columns["achievement"].astype(object)
    return columns, anomalies, stray


def _plant_payout_rules(
    rng: np.random.Generator,
    count: int,
    good: np.ndarray,
    add: Any,
    when: Any,
    settled: Any,
    reward_id: Any,
    planted: Any,
) -> None:
    """Rewards whose ledger row breaks one rule of the payout contract, rewards with
    invalid amounts, and near-duplicates without an achievement (NULL)."""
    later = 30 * US_PER_SECOND
    for kind, variant, status in (
        ("reward_payout_wrong_type", PAYOUT_BURN, "PAID"),
        ("reward_payout_failed", PAYOUT_FAILED, "PAID"),
        ("payout_wrong_wallet", PAYOUT_OTHER_WALLET, "PAID"),
        ("payout_for_unpaid_reward", PAYOUT_PROPER, "FAILED"),
    ):
        for _ in range(count):
            row = settled(status, variant=variant)
            planted(kind, {"reward_id": reward_id(row), "ledger_id": None})
    for _ in range(count):
        row = settled("PAID", variant=PAYOUT_NOBODY)
        planted("payout_wallet_unknown", {"reward_id": reward_id(row), "ledger_id": None})
    for sign in range(max(count, 2)):
        row = settled("FAILED", hashed=False, payout_delta=None)
        row["amount"] = 0.0 if sign % 2 == 0 else -float(row["amount"])
        planted("reward_amount_invalid", {"reward_id": reward_id(row)})
    for _ in range(count):
        t = when(10, 300)
        user = int(rng.choice(good))
        pair = [
            add(
                user,
                status="FAILED",
                created=at,
                processed=at + later,
                hashed=False,
                payout_delta=None,
                achievement=None,
            )
            for at in (t, t + int(rng.uniform(600, 20 * 3600)) * US_PER_SECOND)
        ]
        planted("reward_near_duplicate", {"reward_ids": sorted(reward_id(r) for r in pair)})


@lru_cache(maxsize=4)
def mint_wallets(plan: Plan) -> tuple[np.ndarray, tuple[Anomaly, ...]]:
    """Each mint user's wallet (core user i's, as a rule), and the rewards of the planted
    mint user whose wallet no core user holds (reward_user_missing).

    The planted user is VERIFIED, has rewards, and is untouched by the other planted
    rows, so its rewards break that one rule only; its payouts go to its mint wallet.
    """
    people = users(plan)
    r = rewards(plan)
    m = plan.mint_users
    wallets = people.wallets[:m].copy()
    busy = set(r.user[r.clean_rows :].tolist()) | {s[2] for s in r.stray_payouts}
    has_rewards = np.bincount(r.user, minlength=m) > 0
    candidates = [
        u for u in np.flatnonzero(has_rewards & (people.kyc == 0)).tolist() if u not in busy
    ]
    rng = plan.rng("orphan-users")
    chosen = sorted(rng.choice(candidates, size=1, replace=False).tolist())
    anomalies = []
    for user in chosen:
        wallets[user] = v.hexes(rng, 1, 20)[0]
        user_id = people.mint_ids[user].decode()
        anomalies += [
            Anomaly(
                "reward_user_missing",
                "mint",
                "knowledge_rewards",
                {"reward_id": rid.decode(), "user_id": user_id},
            )
            for rid in r.ids[r.user == user]
        ]
    return wallets, tuple(anomalies)


def azr_balances(plan: Plan) -> tuple[np.ndarray, list[Anomaly]]:
    """Each mint user's AZR balance (the sum of their PAID rewards), with a few
    planted mismatches."""
    r = rewards(plan)
    m = plan.mint_users
    paid = r.status == "PAID"
    balance = np.round(np.bincount(r.user[paid], weights=r.amount[paid], minlength=m), 2)
    rng = plan.rng("balances", "planted")
    people = users(plan)
    candidates = np.flatnonzero((balance > 0) & (people.kyc == 0))
    chosen = rng.choice(
        candidates, size=min(plan.count(plan.rates.balance, m), len(candidates)), replace=False
    )
    anomalies = []
    for user in np.sort(chosen):
        balance[user] = round(balance[user] + rng.uniform(5, 200) * rng.choice([-1, 1]), 2)
        anomalies.append(
            Anomaly(
                "balance_mismatch",
                "mint",
                "user_balances",
                {"user_id": people.mint_ids[user].decode()},
            )
        )
    return balance, anomalies


@lru_cache(maxsize=4)
def missing_balances(plan: Plan) -> tuple[np.ndarray, tuple[Anomaly, ...]]:
    """Users paid AZR rewards who have no AZR balance row at all (balance_mismatch: a
    roll-forward that starts from the balances must not drop them)."""
    balance, mismatched = azr_balances(plan)
    people = users(plan)
    taken = {a.keys["user_id"] for a in mismatched}
    candidates = [
        u
        for u in np.flatnonzero((balance > 0) & (people.kyc == 0)).tolist()
        if people.mint_ids[u].decode() not in taken
    ]
    rng = plan.rng("balances", "missing")
    chosen = np.sort(rng.choice(candidates, size=1, replace=False))
    anomalies = tuple(
        Anomaly(
            "balance_mismatch", "mint", "user_balances", {"user_id": people.mint_ids[u].decode()}
        )
        for u in chosen
    )
    return chosen, anomalies
