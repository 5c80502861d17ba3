"""The data contract between core, mint, gateway and compliance, as numbered invariants.

Each :class:`Invariant` names the finding ``kind`` its check reports, what it
states, the tables and columns it reads, its tolerance, and the function that
returns the failing rows' keys (a findings frame: ``kind``, ``keys``,
``detail``). ``docs/contracts.md`` is the same list in prose; a test keeps the
two equal, and the demo plants at least one violation of each (the manifest).

>>> from azora_nb.analytics import contracts
>>> contracts.invariants()[["id", "kind"]].head(3)  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd


@dataclass(frozen=True)
class Invariant:
    id: str
    kind: str
    statement: str
    reads: str
    tolerance: str
    check: str
    flavour: str = "standard"
    """The demo flavour that plants a violation (the constitutional rules: legacy, since a
    standard database enforces them with CHECKs)."""


_PAYOUT = "core.treasury_ledger(id, tx_hash, transaction_type, reason, "
_REWARD = 'mint.knowledge_rewards(id, "userId", "transactionHash", status, "rewardAmount")'

INVARIANTS: tuple[Invariant, ...] = (
    Invariant(
        "R1",
        "reward_user_missing",
        "Every reward's user resolves: its userId is a mint user, and that user's wallet is a"
        " core user's (no inner join drops a reward whose user is missing).",
        f'{_REWARD}; mint.users(id, "walletAddress"); core.users(wallet_address)',
        "exact",
        "rewards.reconcile",
    ),
    Invariant(
        "R2",
        "reward_paid_without_ledger",
        "A PAID reward has a transaction hash that is some ledger row's tx_hash.",
        f"{_REWARD}; core.treasury_ledger(tx_hash)",
        "exact",
        "rewards.reconcile",
    ),
    Invariant(
        "R3",
        "ledger_payout_without_reward",
        "A ledger payout (reason knowledge_reward) carries a reward's transaction hash.",
        'core.treasury_ledger(id, tx_hash, reason); mint.knowledge_rewards("transactionHash")',
        "exact",
        "rewards.reconcile",
    ),
    Invariant(
        "R4",
        "reward_payout_wrong_type",
        "The ledger row of a PAID reward is a payout: transaction_type mint and reason"
        " knowledge_reward (not, say, a burn carrying the reward's hash).",
        f"{_REWARD}; {_PAYOUT}blockchain_status)",
        "exact",
        "rewards.reconcile",
    ),
    Invariant(
        "R5",
        "reward_amount_mismatch",
        "A PAID reward's payout moves the reward's amount: abs(amount_azr - rewardAmount)"
        " <= tolerance (compared as decimals, never floats).",
        f"{_REWARD}; core.treasury_ledger(tx_hash, amount_azr)",
        "0.005 AZR",
        "rewards.reconcile",
    ),
    Invariant(
        "R6",
        "reward_payout_failed",
        "A PAID reward's payout did not fail on chain (blockchain_status <> 'failed';"
        " pending is in flight and allowed).",
        f"{_REWARD}; core.treasury_ledger(tx_hash, blockchain_status)",
        "exact",
        "rewards.reconcile",
    ),
    Invariant(
        "R7",
        "payout_for_unpaid_reward",
        "A reward that is not PAID (FAILED, PENDING) has no live payout: its hash's payout,"
        " if any, has failed.",
        f"{_REWARD}; core.treasury_ledger(tx_hash, blockchain_status)",
        "exact",
        "rewards.reconcile",
    ),
    Invariant(
        "R8",
        "payout_wrong_wallet",
        "A payout goes to the wallet of the user it was for: recipient_address = the"
        " reward user's walletAddress (findings here: it went to another user's wallet).",
        f'{_REWARD}; mint.users("walletAddress"); core.treasury_ledger(recipient_address);'
        " core.users(wallet_address)",
        "exact",
        "rewards.reconcile",
    ),
    Invariant(
        "R9",
        "payout_wallet_unknown",
        "A payout's recipient_address is a user's wallet (core or mint); never NULL, never a"
        " wallet that belongs to no user.",
        "core.treasury_ledger(id, reason, recipient_address); core.users(wallet_address);"
        ' mint.users("walletAddress")',
        "exact",
        "rewards.reconcile",
    ),
    Invariant(
        "R10",
        "reward_amount_invalid",
        "A reward's amount is positive and its currency is AZR.",
        'mint.knowledge_rewards(id, "rewardAmount", "currencyCode")',
        "exact (> 0)",
        "rewards.invalid_amounts",
    ),
    Invariant(
        "R11",
        "reward_stuck_pending",
        "A reward is not PENDING for longer than the threshold at as_of.",
        'mint.knowledge_rewards(id, status, "createdAt")',
        "7 days",
        "rewards.stuck_pending",
    ),
    Invariant(
        "R12",
        "reward_processed_before_created",
        "A reward's processedAt is not earlier than its createdAt.",
        'mint.knowledge_rewards(id, "createdAt", "processedAt")',
        "exact",
        "rewards.processed_before_created",
    ),
    Invariant(
        "R13",
        "reward_unverified_kyc",
        "A PAID reward's user has kycStatus VERIFIED.",
        'mint.knowledge_rewards(id, "userId", status); mint.users(id, "kycStatus")',
        "exact",
        "rewards.unverified_kyc",
    ),
    Invariant(
        "R14",
        "reward_near_duplicate",
        "No two rewards of one user for the same achievement (NULL counts as the same,"
        " compared NULL-safely) from different source transactions within the window.",
        'mint.knowledge_rewards(id, "userId", achievement, "sourceTrxId", "createdAt")',
        "24 h",
        "rewards.near_duplicates",
    ),
    Invariant(
        "R15",
        "balance_mismatch",
        "Every user with an AZR balance row or PAID AZR rewards is in the roll-forward: the"
        " AZR balance (0 without a row) equals the sum of the PAID AZR rewards.",
        'mint.user_balances("userId", "currencyCode", amount); mint.knowledge_rewards'
        '("userId", status, "currencyCode", "rewardAmount")',
        "0.005 AZR",
        "rewards.balance_mismatches",
    ),
    Invariant(
        "L1",
        "ledger_amount_not_positive",
        "Every ledger row moves a positive amount: amount_azr > 0 and amount_usd > 0"
        " (the direction is in transaction_type, never in the sign).",
        "core.treasury_ledger(id, amount_azr, amount_usd)",
        "exact (NUMERIC)",
        "treasury.compliance_violations",
    ),
    Invariant(
        "L2",
        "ledger_times_out_of_order",
        "A ledger row's times are in order: created_at <= confirmed_at <= processed_at"
        " (where present).",
        "core.treasury_ledger(id, created_at, confirmed_at, processed_at)",
        "exact",
        "treasury.compliance_violations",
    ),
    Invariant(
        "L3",
        "legacy_allocation_sum",
        "Constitution: the four allocations of a ledger row sum to 1.0000.",
        "core.treasury_ledger(_legacy)(id, treasury_, founder_, burn_, circulation_allocation)",
        "0.00005 (half a unit of NUMERIC(5,4)), compared as NUMERIC",
        "treasury.compliance_violations",
        flavour="legacy",
    ),
    Invariant(
        "L4",
        "legacy_valuation",
        "Constitution: 1 AZR = 1 USD, amount_azr = amount_usd.",
        "core.treasury_ledger(_legacy)(id, amount_azr, amount_usd)",
        "0.000000005 (half a unit of NUMERIC(20,8)), compared as NUMERIC",
        "treasury.compliance_violations",
        flavour="legacy",
    ),
    Invariant(
        "M1",
        "rig_overheating",
        "A rig's median session temperature is at most 85 °C.",
        "core.mining_sessions(user_id, temperature_celsius, start_time)",
        "85 °C",
        "mining.anomalies",
    ),
    Invariant(
        "M2",
        "rig_underperforming",
        "A rig's median hashrate has a modified z-score of at least -3.5 among its"
        " algorithm's rigs.",
        "core.mining_sessions(user_id, algorithm, total_hashrate_mhs)",
        "z -3.5",
        "mining.anomalies",
    ),
    Invariant(
        "M3",
        "session_impossible_earnings",
        "A completed session earns at most 10x what its hashrate could (the algorithm's"
        " median USD per MH·h).",
        "core.mining_sessions(id, algorithm, status, start_time, end_time,"
        " total_hashrate_mhs, total_earnings_usd)",
        "10x",
        "mining.anomalies",
    ),
    Invariant(
        "M4",
        "session_unknown_pool",
        "A session's (pool_name, algorithm) is a pool mining_pool_stats knows (sessions"
        " without a pool are solo).",
        "core.mining_sessions(id, pool_name, algorithm); core.mining_pool_stats(pool_name,"
        " algorithm)",
        "exact",
        "mining.anomalies",
    ),
    Invariant(
        "M5",
        "minting_session_mismatch",
        "AZR minted for a session names a session core has (mining_session_id ="
        " mining_sessions.session_id) and mints its azr_minted.",
        "mint.minting_transactions(id, mining_session_id, amount_azr);"
        " core.mining_sessions(session_id, azr_minted)",
        "0.000001 AZR (NUMERIC(20,6) against NUMERIC(30,8)), as decimals",
        "mining.anomalies",
    ),
    Invariant(
        "H1",
        "alert_storm",
        "A component raises fewer than 20 alerts within 10 minutes.",
        "core.alerts(id, component, created_at)",
        "20 in 10 min",
        "health.anomalies",
    ),
    Invariant(
        "H2",
        "component_stuck_critical",
        "No component is critical in every system_health check of the last 24 h.",
        "core.system_health(component, status, timestamp)",
        "24 h",
        "health.anomalies",
    ),
    Invariant(
        "H3",
        "route_p99_degradation",
        "A route's p99 responseTime over the last 7 days is at most 3x its p99 over the 30"
        " days before.",
        'gateway.api_calls("routeId", "responseTime", timestamp)',
        "3x",
        "health.anomalies",
    ),
    Invariant(
        "H4",
        "alert_unknown_component",
        "An alert's component is one that system_health checks (alerts without a component"
        " are platform-wide).",
        "core.alerts(id, component); core.system_health(component)",
        "exact",
        "health.anomalies",
    ),
    Invariant(
        "H5",
        "alert_resolution_out_of_order",
        "An alert's resolution is consistent: resolved exactly when resolved_at is set, and"
        " resolved_at >= created_at.",
        "core.alerts(id, resolved, resolved_at, created_at)",
        "exact",
        "health.anomalies",
    ),
)


def invariants() -> pd.DataFrame:
    """The invariants as a frame: id, kind, statement, reads, tolerance, check, flavour.

    >>> invariants().set_index("id").loc["R15", "kind"]
    'balance_mismatch'
    """
    return pd.DataFrame([asdict(i) for i in INVARIANTS]).astype("str")


def kinds(flavour: str = "standard") -> frozenset[str]:
    """The finding kinds the demo of ``flavour`` plants (the legacy flavour plants all).

    >>> "legacy_valuation" in kinds("legacy"), "legacy_valuation" in kinds()
    (True, False)
    """
    return frozenset(i.kind for i in INVARIANTS if flavour == "legacy" or i.flavour == flavour)
