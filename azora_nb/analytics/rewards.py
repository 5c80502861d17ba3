"""The reward audit: knowledge rewards (``mint``) against the treasury ledger (``core``).

Each check returns a findings frame with the columns ``kind``, ``keys`` (a dict
naming the rows involved, as in the demo manifest) and ``detail`` (one line for
a reader). :func:`audit` runs them all. The kinds and their definitions are the
contract table in ``docs/contracts.md``.

The two databases are never joined in SQL. Reconciliation streams one side in
batches of :data:`azora_nb.analytics._sql.BATCH_ROWS` rows (only the columns it
needs) and looks each batch's hashes up in the other database, so memory holds
one batch plus the findings, whatever the size of either table.

``as_of`` is the audit's clock: it dates "stuck in PENDING". The other checks
look at every row present, since balances are current state and cannot be
rolled back to a date.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa

from azora_nb import visibility
from azora_nb.analytics import _sql as q
from azora_nb.exceptions import VisibilityLimited
from azora_nb.schema import core, mint

if TYPE_CHECKING:
    from azora_nb.workspace import Workspace

AMOUNT_TOLERANCE = 0.005
STUCK_AFTER_DAYS = 7.0
DUPLICATE_WINDOW_HOURS = 24.0
PAYOUT_REASON = "knowledge_reward"

log = logging.getLogger("azora_nb")
_rewards = mint.knowledge_rewards
_ledger = core.treasury_ledger
RECONCILED_TABLES = {"core": ("treasury_ledger",), "mint": ("knowledge_rewards",)}
"""The tables the reconciliation compares; both must be fully visible to the role."""

KINDS = (
    "reward_paid_without_ledger",
    "ledger_payout_without_reward",
    "reward_amount_mismatch",
    "reward_stuck_pending",
    "reward_processed_before_created",
    "reward_unverified_kyc",
    "reward_near_duplicate",
    "balance_mismatch",
)


def _ledger_by_hash(ws: Workspace, hashes: list[str]) -> pd.DataFrame:
    t = _ledger.c

    def stmt(batch: list[str]) -> sa.Select[Any]:
        return sa.select(
            t.id.label("ledger_id"), t.tx_hash, sa.cast(t.amount_azr, sa.Float).label("amount_azr")
        ).where(t.tx_hash.in_(batch))

    return q.lookup(ws, stmt, hashes, "core")


def _reward_hashes(ws: Workspace, hashes: list[str]) -> set[str]:
    r = _rewards.c

    def stmt(batch: list[str]) -> sa.Select[Any]:
        return sa.select(r.transactionHash.label("tx_hash")).where(r.transactionHash.in_(batch))

    found = q.lookup(ws, stmt, hashes, "mint")
    return set(found["tx_hash"]) if len(found.columns) else set()


def _match_paid(ws: Workspace, tolerance: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One pass over the PAID rewards: those without a ledger row, and amount mismatches."""
    r = _rewards.c
    paid = (
        sa.select(
            r.id.label("reward_id"),
            r.transactionHash.label("tx_hash"),
            r.rewardAmount.label("amount"),
        )
        .where(r.status == "PAID")
        .order_by(r.id)
    )
    missing: list[dict[str, Any]] = []
    mismatched: list[dict[str, Any]] = []
    for chunk in ws.sql_chunks(paid, source="mint", chunk_rows=q.BATCH_ROWS):
        hashes = [h for h in chunk["tx_hash"].tolist() if isinstance(h, str)]
        ledger = _ledger_by_hash(ws, hashes)
        if ledger.empty:
            ledger = pd.DataFrame(
                {
                    "ledger_id": pd.Series(dtype="str"),
                    "tx_hash": pd.Series(dtype="str"),
                    "amount_azr": pd.Series(dtype="float64"),
                }
            )
        joined = chunk.merge(ledger, on="tx_hash", how="left")
        columns = ("reward_id", "tx_hash", "amount", "ledger_id", "amount_azr")
        for reward_id, tx_hash, amount, ledger_id, amount_azr in zip(
            *(joined[c].tolist() for c in columns), strict=True
        ):
            if pd.isna(ledger_id):
                missing.append(
                    {
                        "kind": "reward_paid_without_ledger",
                        "keys": {"reward_id": reward_id},
                        "detail": (
                            "no transaction hash"
                            if pd.isna(tx_hash)
                            else f"hash {tx_hash} not in the ledger"
                        ),
                    }
                )
            elif abs(float(amount_azr) - float(amount)) > tolerance:
                mismatched.append(
                    {
                        "kind": "reward_amount_mismatch",
                        "keys": {"reward_id": reward_id, "ledger_id": ledger_id},
                        "detail": f"reward {amount:.2f} AZR, ledger {amount_azr:.8f} AZR",
                    }
                )
    return q.findings_frame(missing), q.findings_frame(mismatched)


def paid_without_ledger(ws: Workspace, *, tolerance: float = AMOUNT_TOLERANCE) -> pd.DataFrame:
    """PAID rewards whose transaction hash is missing or matches no ledger row.

    >>> rewards.paid_without_ledger(ws)  # doctest: +SKIP
    """
    return _match_paid(ws, tolerance)[0]


def amount_mismatches(ws: Workspace, *, tolerance: float = AMOUNT_TOLERANCE) -> pd.DataFrame:
    """PAID rewards whose ledger row (by hash) differs in amount by more than ``tolerance``.

    >>> rewards.amount_mismatches(ws)  # doctest: +SKIP
    """
    return _match_paid(ws, tolerance)[1]


def ledger_without_reward(ws: Workspace) -> pd.DataFrame:
    """Ledger payouts (reason ``knowledge_reward``) whose hash matches no reward.

    >>> rewards.ledger_without_reward(ws)  # doctest: +SKIP
    """
    t = _ledger.c
    payouts = (
        sa.select(t.id.label("ledger_id"), t.tx_hash)
        .where(t.reason == PAYOUT_REASON)
        .order_by(t.id)
    )
    rows: list[dict[str, Any]] = []
    for chunk in ws.sql_chunks(payouts, source="core", chunk_rows=q.BATCH_ROWS):
        known = _reward_hashes(ws, [h for h in chunk["tx_hash"].tolist() if isinstance(h, str)])
        for ledger_id, tx_hash in zip(chunk["ledger_id"], chunk["tx_hash"], strict=True):
            if pd.isna(tx_hash) or tx_hash not in known:
                rows.append(
                    {
                        "kind": "ledger_payout_without_reward",
                        "keys": {
                            "ledger_id": ledger_id,
                            "tx_hash": None if pd.isna(tx_hash) else tx_hash,
                        },
                        "detail": "payout with no knowledge reward",
                    }
                )
    return q.findings_frame(rows)


def reconcile(ws: Workspace, *, tolerance: float = AMOUNT_TOLERANCE) -> pd.DataFrame:
    """All three reconciliation checks, rewards against the ledger by transaction hash.

    >>> rewards.reconcile(ws).kind.value_counts()  # doctest: +SKIP

    Raises :class:`~azora_nb.exceptions.VisibilityLimited` when the role cannot see
    every row of either side: a hidden row is not a missing one.
    """
    visibility.require_full_view(ws, RECONCILED_TABLES, "The reward reconciliation")
    missing, mismatched = _match_paid(ws, tolerance)
    return pd.concat([missing, ledger_without_reward(ws), mismatched], ignore_index=True)


def stuck_pending(
    ws: Workspace,
    *,
    as_of: datetime | str | None = None,
    days: float = STUCK_AFTER_DAYS,
    cache: bool = True,
) -> pd.DataFrame:
    """Rewards still PENDING that were created more than ``days`` before ``as_of``.

    >>> rewards.stuck_pending(ws, as_of="2026-10-31")  # doctest: +SKIP
    """
    clock = q.as_timestamp(as_of)
    r = _rewards.c
    age = q.seconds(r.createdAt, q.ts_param(None, clock)) / 86400.0
    stmt = (
        sa.select(r.id.label("reward_id"), sa.cast(age, sa.Float).label("age_days"))
        .where(r.status == "PENDING", r.createdAt < q.ts_param(None, clock - timedelta(days=days)))
        .order_by(r.id)
    )
    found = q.run(ws, stmt, "mint", cache=cache)
    return q.findings(
        "reward_stuck_pending",
        ({"reward_id": i} for i in found["reward_id"]),
        (f"pending for {a:.1f} days" for a in found["age_days"]),
    )


def processed_before_created(ws: Workspace, *, cache: bool = True) -> pd.DataFrame:
    """Rewards whose ``processedAt`` is earlier than their ``createdAt``.

    >>> rewards.processed_before_created(ws)  # doctest: +SKIP
    """
    r = _rewards.c
    gap = q.seconds(r.processedAt, r.createdAt) / 3600.0
    stmt = (
        sa.select(r.id.label("reward_id"), sa.cast(gap, sa.Float).label("hours"))
        .where(r.processedAt < r.createdAt)
        .order_by(r.id)
    )
    found = q.run(ws, stmt, "mint", cache=cache)
    return q.findings(
        "reward_processed_before_created",
        ({"reward_id": i} for i in found["reward_id"]),
        (f"processed {h:.1f} h before it was created" for h in found["hours"]),
    )


def unverified_kyc(ws: Workspace, *, cache: bool = True) -> pd.DataFrame:
    """PAID rewards to users whose ``kycStatus`` is not VERIFIED.

    >>> rewards.unverified_kyc(ws)  # doctest: +SKIP
    """
    r, u = _rewards.c, mint.users.c
    stmt = (
        sa.select(r.id.label("reward_id"), u.id.label("user_id"), u.kycStatus)
        .join_from(_rewards, mint.users, u.id == r.userId)
        .where(r.status == "PAID", u.kycStatus != "VERIFIED")
        .order_by(r.id)
    )
    found = q.run(ws, stmt, "mint", cache=cache)
    return q.findings(
        "reward_unverified_kyc",
        (
            {"reward_id": i, "user_id": u}
            for i, u in zip(found["reward_id"], found["user_id"], strict=True)
        ),
        (f"paid while KYC is {k}" for k in found["kycStatus"]),
    )


def near_duplicates(
    ws: Workspace, *, hours: float = DUPLICATE_WINDOW_HOURS, cache: bool = True
) -> pd.DataFrame:
    """Pairs of rewards to the same user for the same achievement, from different source
    transactions, created within ``hours`` of each other.

    >>> rewards.near_duplicates(ws)  # doctest: +SKIP
    """
    a, b = _rewards.alias("a"), _rewards.alias("b")
    gap = q.seconds(a.c.createdAt, b.c.createdAt)
    stmt = (
        sa.select(
            a.c.id.label("first_id"),
            b.c.id.label("second_id"),
            sa.cast(sa.func.abs(gap) / 3600.0, sa.Float).label("hours_apart"),
        )
        .join_from(
            a,
            b,
            sa.and_(a.c.userId == b.c.userId, a.c.achievement == b.c.achievement, a.c.id < b.c.id),
        )
        .where(a.c.sourceTrxId != b.c.sourceTrxId, sa.func.abs(gap) <= hours * 3600.0)
        .order_by(a.c.id, b.c.id)
    )
    found = q.run(ws, stmt, "mint", cache=cache)
    return q.findings(
        "reward_near_duplicate",
        (
            {"reward_ids": sorted([x, y])}
            for x, y in zip(found["first_id"], found["second_id"], strict=True)
        ),
        (f"{h:.1f} h apart" for h in found["hours_apart"]),
    )


def _paid_per_user() -> sa.Subquery:
    r = _rewards.c
    return (
        sa.select(r.userId.label("user_id"), sa.func.sum(r.rewardAmount).label("paid"))
        .where(r.status == "PAID", r.currencyCode == "AZR")
        .group_by(r.userId)
        .subquery("paid")
    )


def _balances_against_paid() -> tuple[sa.Select[Any], Any, Any]:
    paid = _paid_per_user()
    b = mint.user_balances.c
    rewarded = sa.func.coalesce(paid.c.paid, 0.0)
    stmt = (
        sa.select(b.userId.label("user_id"))
        .join_from(mint.user_balances, paid, paid.c.user_id == b.userId, isouter=True)
        .where(b.currencyCode == "AZR")
    )
    return stmt, b.amount, rewarded


def balance_roll_forward(
    ws: Workspace, *, tolerance: float = AMOUNT_TOLERANCE, cache: bool = True
) -> pd.DataFrame:
    """One row: AZR balances held against the PAID AZR rewards that should explain them.

    >>> rewards.balance_roll_forward(ws)  # doctest: +SKIP
    """
    base, balance, rewarded = _balances_against_paid()
    diff = sa.func.abs(balance - rewarded)
    stmt = base.with_only_columns(
        sa.func.count().label("accounts"),
        q.fsum(balance).label("balance_azr"),
        q.fsum(rewarded).label("paid_rewards_azr"),
        q.fsum(balance - rewarded).label("difference_azr"),
        q.count_if(diff > tolerance).label("mismatched_accounts"),
    )
    return q.run(ws, stmt, "mint", cache=cache)


def balance_mismatches(
    ws: Workspace, *, tolerance: float = AMOUNT_TOLERANCE, cache: bool = True
) -> pd.DataFrame:
    """Users whose AZR balance differs from the sum of their PAID AZR rewards.

    >>> rewards.balance_mismatches(ws)  # doctest: +SKIP
    """
    base, balance, rewarded = _balances_against_paid()
    stmt = (
        base.add_columns(
            sa.cast(balance, sa.Float).label("balance"), sa.cast(rewarded, sa.Float).label("paid")
        )
        .where(sa.func.abs(balance - rewarded) > tolerance)
        .order_by(mint.user_balances.c.userId)
    )
    found = q.run(ws, stmt, "mint", cache=cache)
    return q.findings(
        "balance_mismatch",
        ({"user_id": u} for u in found["user_id"]),
        (
            f"balance {b:.2f} AZR, paid rewards {p:.2f} AZR"
            for b, p in zip(found["balance"], found["paid"], strict=True)
        ),
    )


def audit(
    ws: Workspace,
    *,
    as_of: datetime | str | None = None,
    tolerance: float = AMOUNT_TOLERANCE,
    stuck_after_days: float = STUCK_AFTER_DAYS,
    duplicate_hours: float = DUPLICATE_WINDOW_HOURS,
    cache: bool = True,
) -> pd.DataFrame:
    """Every reward check; one findings frame sorted by kind and keys. The defaults are
    the contract's thresholds (``docs/contracts.md``).

    >>> findings = rewards.audit(ws, as_of="2026-10-31")  # doctest: +SKIP
    >>> findings.groupby("kind").size()  # doctest: +SKIP
    """
    try:
        reconciled = reconcile(ws, tolerance=tolerance)
    except VisibilityLimited as exc:  # the report says so at the top; skip, never guess
        log.warning("%s", exc)
        reconciled = q.findings_frame([])
    parts = [
        reconciled,
        stuck_pending(ws, as_of=as_of, days=stuck_after_days, cache=cache),
        processed_before_created(ws, cache=cache),
        unverified_kyc(ws, cache=cache),
        near_duplicates(ws, hours=duplicate_hours, cache=cache),
        balance_mismatches(ws, tolerance=tolerance, cache=cache),
    ]
    frame = pd.concat(parts, ignore_index=True)
    order = frame["kind"].map(KINDS.index).astype("int64")
    frame = frame.assign(_order=order, _keys=frame["keys"].map(repr))
    return (
        frame.sort_values(["_order", "_keys"])
        .drop(columns=["_order", "_keys"])
        .reset_index(drop=True)
    )
