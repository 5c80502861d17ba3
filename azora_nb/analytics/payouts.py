"""Knowledge rewards (``mint``) against their payouts in the treasury ledger (``core``).

The two databases are never joined in SQL. Each pass streams one side in
batches of :data:`azora_nb.analytics._sql.BATCH_ROWS` rows and looks each batch's
hashes and wallets up in the other database, so memory holds one batch plus the
findings, whatever the size of either table.

*Rewards pass* (every reward, with its user by LEFT JOIN, so none is dropped):
the user resolves (a mint user whose wallet is a core user's), a PAID reward has
a ledger row by hash, that row is a payout (``mint``, reason ``knowledge_reward``),
of the same amount, not failed on chain, sent to the user's own wallet; a reward
that is not PAID has no live payout.

*Payouts pass* (every ledger row with reason ``knowledge_reward``): its hash is a
reward's, and its recipient is some user's wallet.

A payout is a *proper* payout when its type is ``mint`` and its reason
``knowledge_reward``; the amount, status and wallet rules apply to proper payouts
only, so a burn carrying a reward's hash is one finding (wrong type), not four.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa

from azora_nb import visibility
from azora_nb.analytics import _money as money
from azora_nb.analytics import _sql as q
from azora_nb.schema import core, mint

if TYPE_CHECKING:
    from azora_nb.workspace import Workspace

AMOUNT_TOLERANCE = "0.005"
PAYOUT_REASON = "knowledge_reward"
PAYOUT_TYPE = "mint"

TABLES = {"core": ["treasury_ledger", "users"], "mint": ["knowledge_rewards", "users"]}
"""What the reconciliation reads, on each side."""

_rewards = mint.knowledge_rewards
_ledger = core.treasury_ledger
Row = dict[str, Any]


def _finding(kind: str, keys: dict[str, Any], detail: str) -> Row:
    return {"kind": kind, "keys": keys, "detail": detail}


def _strings(values: Iterable[Any]) -> list[str]:
    return [v for v in values if isinstance(v, str)]


def _ledger_by_hash(ws: Workspace, hashes: list[str]) -> dict[str, Row]:
    t = _ledger.c

    stmt = sa.select(
        t.id.label("ledger_id"),
        t.tx_hash,
        t.transaction_type,
        t.reason,
        t.blockchain_status,
        t.recipient_address,
        money.exact(t.amount_azr).label("amount_azr"),
    )
    found = q.lookup(ws, stmt, t.tx_hash, hashes, "core")
    if not len(found.columns):
        return {}
    records: list[Row] = found.to_dict("records")  # type: ignore[assignment]
    return {row["tx_hash"]: row for row in records}


def _wallets_in(ws: Workspace, source: str, column: Any, wallets: list[str]) -> set[str]:
    """Those of ``wallets`` that ``column`` (a users table's wallet column) holds."""
    found = q.lookup(ws, sa.select(column.label("wallet")), column, wallets, source)
    return set(found["wallet"]) if len(found.columns) else set()


def _mint_wallets(ws: Workspace, wallets: list[str]) -> set[str]:
    return _wallets_in(ws, "mint", mint.users.c.walletAddress, wallets)


def _known_wallets(ws: Workspace, wallets: list[str]) -> tuple[set[str], set[str]]:
    """(wallets of core users, wallets of mint users) among ``wallets``."""
    in_core = _wallets_in(ws, "core", core.users.c.wallet_address, wallets)
    return in_core, _mint_wallets(ws, wallets)


def _records(chunk: pd.DataFrame) -> list[Row]:
    """Rows as dicts, with None for every missing value (NaN, NA, NaT)."""
    rows: list[Row] = chunk.astype(object).where(chunk.notna(), None).to_dict("records")  # type: ignore[assignment]
    return rows


def _is_payout(row: Row) -> bool:
    return row["transaction_type"] == PAYOUT_TYPE and row["reason"] == PAYOUT_REASON


def _check_reward(
    reward: Row, payout: Row | None, in_core: set[str], in_mint: set[str], tol: Decimal
) -> list[Row]:
    out: list[Row] = []
    rid, user, wallet = reward["reward_id"], reward["user_id"], reward["wallet"]
    if not reward["user_exists"]:
        out.append(
            _finding(
                "reward_user_missing",
                {"reward_id": rid, "user_id": user},
                f"user {user} is not a mint user",
            )
        )
    elif wallet not in in_core:
        out.append(
            _finding(
                "reward_user_missing",
                {"reward_id": rid, "user_id": user},
                f"user {user} (wallet {wallet}) has no core account",
            )
        )
    paid = reward["status"] == "PAID"
    if payout is None:
        if paid:
            tx = reward["tx_hash"]
            detail = "no transaction hash" if tx is None else f"hash {tx} not in the ledger"
            out.append(_finding("reward_paid_without_ledger", {"reward_id": rid}, detail))
        return out
    keys = {"reward_id": rid, "ledger_id": payout["ledger_id"]}
    if not _is_payout(payout):
        if paid:
            out.append(
                _finding(
                    "reward_payout_wrong_type",
                    keys,
                    f"paid by a {payout['transaction_type']} row (reason {payout['reason']}),"
                    f" not a {PAYOUT_TYPE} with reason {PAYOUT_REASON}",
                )
            )
        return out
    status = payout["blockchain_status"]
    if not paid:
        if status != "failed":
            out.append(
                _finding(
                    "payout_for_unpaid_reward", keys, f"reward {reward['status']}, payout {status}"
                )
            )
        return out
    reward_amount = money.to_decimal(reward["amount"])
    ledger_amount = money.to_decimal(payout["amount_azr"])
    if (
        reward_amount is not None
        and ledger_amount is not None
        and abs(ledger_amount - reward_amount) > tol
    ):
        a, b, d = money.amounts(reward_amount, ledger_amount, ledger_amount - reward_amount)
        detail = f"reward {a} AZR, ledger {b} AZR (ledger - reward {d})"
        out.append(_finding("reward_amount_mismatch", keys, detail))
    if status == "failed":
        out.append(
            _finding("reward_payout_failed", keys, "reward PAID, its payout failed on chain")
        )
    recipient = payout["recipient_address"]
    known = recipient in in_core or recipient in in_mint
    if recipient != wallet and known:
        out.append(
            _finding(
                "payout_wrong_wallet", keys, f"sent to {recipient}, the user's wallet is {wallet}"
            )
        )
    return out


def _rewards_pass(ws: Workspace, tolerance: str) -> list[Row]:
    r, u = _rewards.c, mint.users.c
    stmt = (
        sa.select(
            r.id.label("reward_id"),
            r.status,
            r.transactionHash.label("tx_hash"),
            r.rewardAmount.label("amount"),
            r.userId.label("user_id"),
            u.id.is_not(None).label("user_exists"),
            u.walletAddress.label("wallet"),
        )
        .join_from(_rewards, mint.users, u.id == r.userId, isouter=True)
        .order_by(r.id)
    )
    tol = Decimal(tolerance)
    rows: list[Row] = []
    for chunk in ws.sql_chunks(stmt, source="mint", chunk_rows=q.BATCH_ROWS):
        records: list[Row] = _records(chunk)
        ledger = _ledger_by_hash(ws, _strings(rec["tx_hash"] for rec in records))
        recipients = _strings(p["recipient_address"] for p in ledger.values())
        in_core, in_mint = _known_wallets(
            ws, _strings([rec["wallet"] for rec in records] + recipients)
        )
        for rec in records:
            payout = ledger.get(rec["tx_hash"]) if rec["tx_hash"] is not None else None
            rows += _check_reward(rec, payout, in_core, in_mint, tol)
    return rows


def _payouts_pass(ws: Workspace) -> list[Row]:
    t, cu = _ledger.c, core.users.c
    stmt = (
        sa.select(
            t.id.label("ledger_id"),
            t.tx_hash,
            t.recipient_address,
            cu.id.is_not(None).label("core_user"),
        )
        .join_from(_ledger, core.users, cu.wallet_address == t.recipient_address, isouter=True)
        .where(t.reason == PAYOUT_REASON)
        .order_by(t.id)
    )
    r = _rewards.c
    rows: list[Row] = []
    for chunk in ws.sql_chunks(stmt, source="core", chunk_rows=q.BATCH_ROWS):
        records: list[Row] = _records(chunk)
        found = q.lookup(
            ws,
            sa.select(r.transactionHash.label("tx_hash")),
            r.transactionHash,
            _strings(rec["tx_hash"] for rec in records),
            "mint",
        )
        known_hashes = set(found["tx_hash"]) if len(found.columns) else set()
        unmatched = _strings(rec["recipient_address"] for rec in records if not rec["core_user"])
        in_mint = _mint_wallets(ws, unmatched)
        for rec in records:
            tx = rec["tx_hash"]
            if tx is None or tx not in known_hashes:
                rows.append(
                    _finding(
                        "ledger_payout_without_reward",
                        {"ledger_id": rec["ledger_id"], "tx_hash": tx},
                        "payout with no knowledge reward",
                    )
                )
            recipient = rec["recipient_address"]
            if not rec["core_user"] and recipient not in in_mint:
                rows.append(
                    _finding(
                        "payout_wallet_unknown",
                        {"ledger_id": rec["ledger_id"]},
                        "no recipient"
                        if recipient is None
                        else f"sent to {recipient}, which belongs to no user",
                    )
                )
    return rows


def reconcile(
    ws: Workspace, *, tolerance: str | float = AMOUNT_TOLERANCE, cache: bool = True
) -> pd.DataFrame:
    """Every cross-database finding, rewards against the ledger (see the module docstring).

    ``tolerance`` (AZR) is how far a payout's amount may be from its reward's. Raises
    :class:`~azora_nb.exceptions.VisibilityLimited` when the role cannot see every row
    of :data:`TABLES`: a row hidden on one side is not a row missing. With ``cache``
    the findings are kept in the query cache until one of :data:`TABLES` changes.

    >>> payouts.reconcile(ws).kind.value_counts()  # doctest: +SKIP
    """
    visibility.require_full_view(ws, TABLES, "the reward reconciliation")
    limit = str(tolerance)
    return q.remembered(
        ws,
        "payouts.reconcile",
        lambda: q.findings_frame(_rewards_pass(ws, limit) + _payouts_pass(ws)),
        params={"tolerance": limit},
        tables=TABLES,
        cache=cache,
    )
