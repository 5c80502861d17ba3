"""The anomaly definitions of docs/contracts.md, written again in plain pandas.

These are the tests' own detectors, independent of azora_nb.analytics: they
read whole tables and return every finding as ``(kind, keys-as-json)``, so a
test can assert that the data holds exactly the planted anomalies.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from azora_nb.workspace import Workspace

Finding = tuple[str, str]


def key(kind: str, keys: dict[str, Any]) -> Finding:
    return kind, json.dumps(keys, sort_keys=True)


def _utc(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, utc=True)


def rewards(ws: Workspace, as_of: datetime) -> set[Finding]:
    r = ws.sql("select * from knowledge_rewards", source="mint")
    users = ws.sql('select id, "kycStatus", "walletAddress" from users', source="mint")
    balances = ws.sql("select * from user_balances", source="mint")
    ledger = ws.sql(
        "select id, tx_hash, amount_azr, reason, transaction_type, blockchain_status,"
        " recipient_address from treasury_ledger",
        source="core",
    )
    core_wallets = set(ws.sql("select wallet_address from users", source="core").wallet_address)
    mint_wallets = set(users.walletAddress)
    r["createdAt"], r["processedAt"] = _utc(r["createdAt"]), _utc(r["processedAt"])
    out: set[Finding] = set()
    wallet_of = dict(zip(users.id, users.walletAddress, strict=True))
    for row in r.itertuples():
        if row.userId not in wallet_of or wallet_of[row.userId] not in core_wallets:
            out.add(key("reward_user_missing", {"reward_id": row.id, "user_id": row.userId}))
    paid = r[r.status == "PAID"]
    by_hash = ledger.set_index("tx_hash")
    for row in paid.itertuples():
        if pd.isna(row.transactionHash) or row.transactionHash not in by_hash.index:
            out.add(key("reward_paid_without_ledger", {"reward_id": row.id}))
    reward_hashes = set(r.transactionHash.dropna())
    payouts = ledger[ledger.reason == "knowledge_reward"]
    for row in payouts.itertuples():
        if row.tx_hash not in reward_hashes:
            out.add(
                key("ledger_payout_without_reward", {"ledger_id": row.id, "tx_hash": row.tx_hash})
            )
        if row.recipient_address not in core_wallets | mint_wallets:
            out.add(key("payout_wallet_unknown", {"ledger_id": row.id}))
    joined = r.merge(
        ledger, left_on="transactionHash", right_on="tx_hash", suffixes=("", "_ledger")
    )
    proper = (joined.transaction_type == "mint") & (joined.reason == "knowledge_reward")
    is_paid = joined.status == "PAID"
    for row in joined[is_paid & ~proper].itertuples():
        out.add(key("reward_payout_wrong_type", {"reward_id": row.id, "ledger_id": row.id_ledger}))
    good = joined[is_paid & proper]
    for row in good[(good.amount_azr - good.rewardAmount).abs() > 0.005].itertuples():
        out.add(key("reward_amount_mismatch", {"reward_id": row.id, "ledger_id": row.id_ledger}))
    for row in good[good.blockchain_status == "failed"].itertuples():
        out.add(key("reward_payout_failed", {"reward_id": row.id, "ledger_id": row.id_ledger}))
    for row in good.itertuples():
        own = wallet_of.get(row.userId)
        if row.recipient_address != own and row.recipient_address in core_wallets | mint_wallets:
            out.add(key("payout_wrong_wallet", {"reward_id": row.id, "ledger_id": row.id_ledger}))
    live = joined[~is_paid & proper & (joined.blockchain_status != "failed")]
    for row in live.itertuples():
        out.add(key("payout_for_unpaid_reward", {"reward_id": row.id, "ledger_id": row.id_ledger}))
    invalid = r[(r.rewardAmount <= 0) | (r.currencyCode != "AZR")]
    out |= {key("reward_amount_invalid", {"reward_id": i}) for i in invalid.id}
    stuck = r[(r.status == "PENDING") & (r.createdAt < pd.Timestamp(as_of) - timedelta(days=7))]
    out |= {key("reward_stuck_pending", {"reward_id": i}) for i in stuck.id}
    early = r[r.processedAt < r.createdAt]
    out |= {key("reward_processed_before_created", {"reward_id": i}) for i in early.id}
    kyc = paid.merge(users, left_on="userId", right_on="id", suffixes=("", "_user"))
    for row in kyc[kyc.kycStatus != "VERIFIED"].itertuples():
        out.add(key("reward_unverified_kyc", {"reward_id": row.id, "user_id": row.userId}))
    # pandas merges NULL keys with each other, as the contract wants (NULL-safe).
    pairs = r.merge(r, on=["userId", "achievement"])
    pairs = pairs[
        (pairs.sourceTrxId_x != pairs.sourceTrxId_y)
        & (pairs.id_x < pairs.id_y)
        & ((pairs.createdAt_x - pairs.createdAt_y).abs() <= pd.Timedelta(hours=24))
    ]
    out |= {
        key("reward_near_duplicate", {"reward_ids": sorted([a, b])})
        for a, b in zip(pairs.id_x, pairs.id_y, strict=True)
    }
    owed = paid[paid.currencyCode == "AZR"].groupby("userId").rewardAmount.sum()
    azr = balances[balances.currencyCode == "AZR"].set_index("userId").amount
    everyone = azr.index.union(owed.index)
    diff = (azr.reindex(everyone).fillna(0.0) - owed.reindex(everyone).fillna(0.0)).abs()
    out |= {key("balance_mismatch", {"user_id": u}) for u in diff[diff > 0.005].index}
    return out


def _modified_z(values: pd.Series) -> pd.Series:
    median = values.median()
    mad = (values - median).abs().median()
    if mad == 0:
        return pd.Series(0.0, index=values.index)
    return 0.6745 * (values - median) / mad


def mining(ws: Workspace) -> set[Finding]:
    s = ws.sql("select * from mining_sessions", source="core")
    out: set[Finding] = set()
    rigs = s.groupby("user_id").agg(
        temperature=("temperature_celsius", "median"),
        hashrate=("total_hashrate_mhs", "median"),
        algorithm=("algorithm", "first"),
    )
    out |= {key("rig_overheating", {"user_id": u}) for u in rigs[rigs.temperature > 85].index}
    z = rigs.groupby("algorithm").hashrate.transform(_modified_z)
    out |= {key("rig_underperforming", {"user_id": u}) for u in rigs[z < -3.5].index}
    done = s[s.status == "completed"].copy()
    done["hours"] = (_utc(done.end_time) - _utc(done.start_time)).dt.total_seconds() / 3600
    done = done[done.hours > 0]
    done["rate"] = done.total_earnings_usd / (done.total_hashrate_mhs * done.hours)
    typical = done.groupby("algorithm").rate.transform("median")
    bad = done[done.total_earnings_usd > 10 * done.total_hashrate_mhs * done.hours * typical]
    out |= {key("session_impossible_earnings", {"session_id": i}) for i in bad.id}
    pools = ws.sql("select distinct pool_name, algorithm from mining_pool_stats", source="core")
    known = set(zip(pools.pool_name, pools.algorithm, strict=True))
    for row in s[s.pool_name.notna()].itertuples():
        if (row.pool_name, row.algorithm) not in known:
            out.add(key("session_unknown_pool", {"session_id": row.id}))
    minted = ws.sql(
        "select id, mining_session_id, amount_azr from minting_transactions", source="mint"
    )
    by_key = s.set_index("session_id").azr_minted
    for row in minted.itertuples():
        if row.mining_session_id not in by_key.index or (
            abs(row.amount_azr - by_key[row.mining_session_id]) > 1e-6
        ):
            out.add(key("minting_session_mismatch", {"minting_id": row.id}))
    return out


def health(ws: Workspace, as_of: datetime) -> set[Finding]:
    out: set[Finding] = set()
    alerts = ws.sql("select id, component, created_at from alerts", source="core")
    alerts["created_at"] = _utc(alerts.created_at)
    for component, group in alerts.sort_values(["created_at", "id"]).groupby("component"):
        t = group.created_at.to_numpy()
        ids = group.id.to_numpy()
        inside = np.zeros(len(t), dtype=bool)
        starts = [i for i in range(len(t) - 19) if t[i + 19] - t[i] <= np.timedelta64(600, "s")]
        for i in starts:
            inside[i : i + 20] = True
        edges = np.flatnonzero(np.diff(np.concatenate([[0], inside.astype(int), [0]])))
        for lo, hi in zip(edges[0::2], edges[1::2], strict=True):
            out.add(
                key(
                    "alert_storm",
                    {"component": component, "alert_ids": sorted(ids[lo:hi].tolist())},
                )
            )
    checks = ws.sql("select component, status, timestamp from system_health", source="core")
    checks["timestamp"] = _utc(checks.timestamp)
    end = pd.Timestamp(as_of)
    last = checks[(checks.timestamp >= end - timedelta(hours=24)) & (checks.timestamp < end)]
    for component, group in last.groupby("component"):
        if (group.status == "critical").all():
            out.add(key("component_stuck_critical", {"component": component}))
    everything = ws.sql(
        "select id, component, resolved, resolved_at, created_at from alerts", source="core"
    )
    watched = set(checks.component)
    for row in everything[everything.component.notna()].itertuples():
        if row.component not in watched:
            out.add(key("alert_unknown_component", {"alert_id": row.id}))
    resolved = everything.resolved.fillna(False).astype(bool)
    at, created = _utc(everything.resolved_at), _utc(everything.created_at)
    bad = (at < created) | (resolved & at.isna()) | (~resolved & at.notna())
    out |= {key("alert_resolution_out_of_order", {"alert_id": i}) for i in everything.id[bad]}
    calls = ws.sql('select "routeId", "responseTime", timestamp from api_calls', source="gateway")
    calls["timestamp"] = _utc(calls.timestamp)
    week = end - timedelta(days=7)
    recent = calls[(calls.timestamp >= week) & (calls.timestamp < end)]
    before = calls[(calls.timestamp >= week - timedelta(days=30)) & (calls.timestamp < week)]
    p_recent = recent.groupby("routeId").responseTime.quantile(0.99)
    p_before = before.groupby("routeId").responseTime.quantile(0.99)
    ratio = (p_recent / p_before).dropna()
    out |= {key("route_p99_degradation", {"route_id": r}) for r in ratio[ratio > 3].index}
    return out


def legacy(ws: Workspace) -> set[Finding]:
    out: set[Finding] = set()
    present = sa.inspect(ws.engine("core")).get_table_names()
    for table in ("treasury_ledger", "treasury_ledger_legacy"):
        if table not in present:
            continue
        rows = ws.sql(f"select * from {table}", source="core")
        total = rows[
            [
                "treasury_allocation",
                "founder_allocation",
                "burn_allocation",
                "circulation_allocation",
            ]
        ].sum(axis=1)
        out |= {
            key("legacy_allocation_sum", {"ledger_id": i})
            for i in rows.id[(total - 1).abs() > 1e-6]
        }
        out |= {
            key("legacy_valuation", {"ledger_id": i})
            for i in rows.id[(rows.amount_azr - rows.amount_usd).abs() > 1e-9]
        }
    return out


def ledger_rows(ws: Workspace) -> set[Finding]:
    """The ledger's row rules other than the constitution's: sign and time order."""
    out: set[Finding] = set()
    present = sa.inspect(ws.engine("core")).get_table_names()
    for table in ("treasury_ledger", "treasury_ledger_legacy"):
        if table not in present:
            continue
        rows = ws.sql(f"select * from {table}", source="core")
        negative = (rows.amount_azr <= 0) | (rows.amount_usd <= 0)
        out |= {key("ledger_amount_not_positive", {"ledger_id": i}) for i in rows.id[negative]}
        created, confirmed, processed = (
            _utc(rows[c]) for c in ("created_at", "confirmed_at", "processed_at")
        )
        disorder = (confirmed < created) | (processed < created) | (processed < confirmed)
        out |= {key("ledger_times_out_of_order", {"ledger_id": i}) for i in rows.id[disorder]}
    return out


def everything(ws: Workspace, as_of: datetime) -> set[Finding]:
    return rewards(ws, as_of) | mining(ws) | health(ws, as_of) | legacy(ws) | ledger_rows(ws)
