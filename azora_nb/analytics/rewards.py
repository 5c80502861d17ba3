"""The reward audit: knowledge rewards (``mint``) against the treasury ledger (``core``).

Each check returns a findings frame with the columns ``kind``, ``keys`` (a dict
naming the rows involved, as in the demo manifest) and ``detail`` (one line for
a reader). :func:`audit` runs them all. The kinds and their definitions are the
contract table in ``docs/contracts.md``.

The two databases are never joined in SQL: the reconciliation of rewards with
their payouts is :mod:`azora_nb.analytics.payouts`, which streams one side in
batches and looks each batch up in the other database.

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

from azora_nb.analytics import _money as money
from azora_nb.analytics import _sql as q
from azora_nb.analytics import payouts
from azora_nb.exceptions import VisibilityLimited
from azora_nb.schema import mint

log = logging.getLogger("azora_nb")

if TYPE_CHECKING:
    from azora_nb.workspace import Workspace

AMOUNT_TOLERANCE = 0.005
STUCK_AFTER_DAYS = 7.0
DUPLICATE_WINDOW_HOURS = 24.0
PAYOUT_REASON = payouts.PAYOUT_REASON
CURRENCY = "AZR"

_rewards = mint.knowledge_rewards
KINDS = (
    "reward_user_missing",
    "reward_paid_without_ledger",
    "ledger_payout_without_reward",
    "reward_payout_wrong_type",
    "reward_amount_mismatch",
    "reward_payout_failed",
    "payout_for_unpaid_reward",
    "payout_wrong_wallet",
    "payout_wallet_unknown",
    "reward_amount_invalid",
    "reward_stuck_pending",
    "reward_processed_before_created",
    "reward_unverified_kyc",
    "reward_near_duplicate",
    "balance_mismatch",
)
RECONCILE_KINDS = KINDS[:9]
"""The kinds :func:`reconcile` reports (rewards against the ledger)."""


def _of_kind(frame: pd.DataFrame, *kinds: str) -> pd.DataFrame:
    return frame[frame["kind"].isin(kinds)].reset_index(drop=True)


def paid_without_ledger(ws: Workspace, *, tolerance: float = AMOUNT_TOLERANCE) -> pd.DataFrame:
    """PAID rewards whose transaction hash is missing or matches no ledger row.

    >>> rewards.paid_without_ledger(ws)  # doctest: +SKIP
    """
    return _of_kind(payouts.reconcile(ws, tolerance=tolerance), "reward_paid_without_ledger")


def amount_mismatches(ws: Workspace, *, tolerance: float = AMOUNT_TOLERANCE) -> pd.DataFrame:
    """PAID rewards whose payout (by hash) differs in amount by more than ``tolerance``.

    >>> rewards.amount_mismatches(ws)  # doctest: +SKIP
    """
    return _of_kind(payouts.reconcile(ws, tolerance=tolerance), "reward_amount_mismatch")


def ledger_without_reward(ws: Workspace) -> pd.DataFrame:
    """Ledger payouts (reason ``knowledge_reward``) whose hash matches no reward.

    >>> rewards.ledger_without_reward(ws)  # doctest: +SKIP
    """
    return _of_kind(payouts.reconcile(ws), "ledger_payout_without_reward")


def reconcile(
    ws: Workspace, *, tolerance: float = AMOUNT_TOLERANCE, cache: bool = True
) -> pd.DataFrame:
    """Rewards against the ledger (:func:`azora_nb.analytics.payouts.reconcile`): users,
    hashes, payout type, amount, on-chain status and wallet, in :data:`KINDS` order.

    >>> rewards.reconcile(ws).kind.value_counts()  # doctest: +SKIP
    """
    return _ordered(payouts.reconcile(ws, tolerance=tolerance, cache=cache))


def invalid_amounts(ws: Workspace, *, cache: bool = True) -> pd.DataFrame:
    """Rewards whose amount is not positive or whose currency is not AZR.

    >>> rewards.invalid_amounts(ws)  # doctest: +SKIP
    """
    r = _rewards.c
    stmt = (
        sa.select(r.id.label("reward_id"), r.rewardAmount.label("amount"), r.currencyCode)
        .where(sa.or_(r.rewardAmount <= 0, r.currencyCode != CURRENCY))
        .order_by(r.id)
    )
    found = q.run(ws, stmt, "mint", cache=cache)
    details = []
    for amount, currency in zip(found["amount"], found["currencyCode"], strict=True):
        (shown,) = money.amounts(amount)
        details.append(
            f"amount {shown} {currency}"
            + ("" if amount > 0 else ", not positive")
            + ("" if currency == CURRENCY else f", not {CURRENCY}")
        )
    return q.findings(
        "reward_amount_invalid", ({"reward_id": i} for i in found["reward_id"]), details
    )


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
    """Pairs of rewards to the same user for the same achievement (two NULL achievements
    are the same), from different source transactions, created within ``hours`` of each
    other.

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
            sa.and_(
                a.c.userId == b.c.userId,
                # NULL-safe: two rewards without an achievement are the same achievement.
                a.c.achievement.is_not_distinct_from(b.c.achievement),
                a.c.id < b.c.id,
            ),
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
        .where(r.status == "PAID", r.currencyCode == CURRENCY)
        .group_by(r.userId)
        .subquery("paid")
    )


def _accounts() -> tuple[sa.Select[Any], Any, Any, Any]:
    """Every user with an AZR balance row *or* PAID AZR rewards (never an inner join):
    ``(select of user_id, balance, paid rewards, has a balance row)``."""
    paid = _paid_per_user()
    b = mint.user_balances.c
    azr = (
        sa.select(b.userId.label("user_id"), b.amount.label("balance"))
        .where(b.currencyCode == CURRENCY)
        .subquery("azr")
    )
    users = sa.union(sa.select(azr.c.user_id), sa.select(paid.c.user_id)).subquery("accounts")
    stmt = (
        sa.select(users.c.user_id)
        .join_from(users, azr, azr.c.user_id == users.c.user_id, isouter=True)
        .join(paid, paid.c.user_id == users.c.user_id, isouter=True)
    )
    balance = sa.func.coalesce(azr.c.balance, 0.0)
    rewarded = sa.func.coalesce(paid.c.paid, 0.0)
    return stmt, balance, rewarded, azr.c.user_id.is_not(None)


def balance_roll_forward(
    ws: Workspace, *, tolerance: float = AMOUNT_TOLERANCE, cache: bool = True
) -> pd.DataFrame:
    """One row: AZR balances held against the PAID AZR rewards that should explain them.

    Every user with a balance row or with paid rewards counts (a user paid rewards
    without a balance row holds 0 AZR); ``missing_balance_rows`` counts those users.

    >>> rewards.balance_roll_forward(ws)  # doctest: +SKIP
    """
    base, balance, rewarded, has_row = _accounts()
    diff = sa.func.abs(balance - rewarded)
    stmt = base.with_only_columns(
        sa.func.count().label("accounts"),
        q.fsum(balance).label("balance_azr"),
        q.fsum(rewarded).label("paid_rewards_azr"),
        q.fsum(balance - rewarded).label("difference_azr"),
        q.count_if(diff > tolerance).label("mismatched_accounts"),
        q.count_if(sa.not_(has_row)).label("missing_balance_rows"),
    )
    frame = q.run(ws, stmt, "mint", cache=cache)
    return frame.fillna({"balance_azr": 0.0, "paid_rewards_azr": 0.0, "difference_azr": 0.0})


def balance_mismatches(
    ws: Workspace, *, tolerance: float = AMOUNT_TOLERANCE, cache: bool = True
) -> pd.DataFrame:
    """Users whose AZR balance (0 without a balance row) differs from the sum of their
    PAID AZR rewards.

    >>> rewards.balance_mismatches(ws)  # doctest: +SKIP
    """
    base, balance, rewarded, has_row = _accounts()
    stmt = base.add_columns(
        # REAL columns (Prisma Float): read as floats, shown to the cent by money.amounts.
        sa.cast(balance, sa.Float).label("balance"),
        sa.cast(rewarded, sa.Float).label("paid"),
        has_row.label("has_row"),
    ).where(sa.func.abs(balance - rewarded) > tolerance)
    found = q.run(ws, stmt, "mint", cache=cache).sort_values("user_id", ignore_index=True)
    details = []
    for b, p, row in zip(found["balance"], found["paid"], found["has_row"], strict=True):
        held, paid = money.amounts(money.to_decimal(b), money.to_decimal(p))
        details.append(
            f"balance {held} AZR, paid rewards {paid} AZR"
            if row
            else f"no AZR balance row, paid rewards {paid} AZR"
        )
    return q.findings("balance_mismatch", ({"user_id": u} for u in found["user_id"]), details)


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    order = frame["kind"].map(KINDS.index).astype("int64")
    frame = frame.assign(_order=order, _keys=frame["keys"].map(repr))
    return (
        frame.sort_values(["_order", "_keys"])
        .drop(columns=["_order", "_keys"])
        .reset_index(drop=True)
    )


def audit(
    ws: Workspace,
    *,
    as_of: datetime | str | None = None,
    tolerance: float = AMOUNT_TOLERANCE,
    stuck_after_days: float = STUCK_AFTER_DAYS,
    duplicate_hours: float = DUPLICATE_WINDOW_HOURS,
    cache: bool = True,
    reconciled: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every reward check; one findings frame sorted by kind (:data:`KINDS`) and keys.
    The defaults are the contract's tolerances (``docs/contracts.md``). When the role
    cannot see every row on both sides, the reconciliation kinds are left out (with a
    warning) rather than reporting hidden rows as missing.

    ``reconciled`` is :func:`reconcile`'s result with the same ``tolerance``, when the
    caller has it already: the reconciliation reads both databases in full, and is not
    run a second time.

    >>> findings = rewards.audit(ws, as_of="2026-10-31")  # doctest: +SKIP
    >>> findings.groupby("kind").size()  # doctest: +SKIP
    """
    if reconciled is None:
        try:
            reconciled = payouts.reconcile(ws, tolerance=tolerance, cache=cache)
        except VisibilityLimited as exc:  # the report states the limits; the rest still runs
            log.warning("%s", exc)
            reconciled = q.findings_frame([])
    parts = [
        reconciled,
        invalid_amounts(ws, cache=cache),
        stuck_pending(ws, as_of=as_of, days=stuck_after_days, cache=cache),
        processed_before_created(ws, cache=cache),
        unverified_kyc(ws, cache=cache),
        near_duplicates(ws, hours=duplicate_hours, cache=cache),
        balance_mismatches(ws, tolerance=tolerance, cache=cache),
    ]
    return _ordered(pd.concat(parts, ignore_index=True))
