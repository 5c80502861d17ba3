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
    users = ws.sql('select id, "kycStatus" from users', source="mint")
    balances = ws.sql("select * from user_balances", source="mint")
    ledger = ws.sql("select id, tx_hash, amount_azr, reason from treasury_ledger", source="core")
    r["createdAt"], r["processedAt"] = _utc(r["createdAt"]), _utc(r["processedAt"])
    out: set[Finding] = set()
    paid = r[r.status == "PAID"]
    hashes = set(ledger.tx_hash.dropna())
    for row in paid.itertuples():
        if pd.isna(row.transactionHash) or row.transactionHash not in hashes:
            out.add(key("reward_paid_without_ledger", {"reward_id": row.id}))
    reward_hashes = set(r.transactionHash.dropna())
    for row in ledger[ledger.reason == "knowledge_reward"].itertuples():
        if row.tx_hash not in reward_hashes:
            out.add(
                key("ledger_payout_without_reward", {"ledger_id": row.id, "tx_hash": row.tx_hash})
            )
    joined = paid.merge(
        ledger, left_on="transactionHash", right_on="tx_hash", suffixes=("", "_ledger")
    )
    for row in joined[(joined.amount_azr - joined.rewardAmount).abs() > 0.005].itertuples():
        out.add(key("reward_amount_mismatch", {"reward_id": row.id, "ledger_id": row.id_ledger}))
    stuck = r[(r.status == "PENDING") & (r.createdAt < pd.Timestamp(as_of) - timedelta(days=7))]
    out |= {key("reward_stuck_pending", {"reward_id": i}) for i in stuck.id}
    early = r[r.processedAt < r.createdAt]
    out |= {key("reward_processed_before_created", {"reward_id": i}) for i in early.id}
    kyc = paid.merge(users, left_on="userId", right_on="id", suffixes=("", "_user"))
    for row in kyc[kyc.kycStatus != "VERIFIED"].itertuples():
        out.add(key("reward_unverified_kyc", {"reward_id": row.id, "user_id": row.userId}))
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
    diff = (azr - owed.reindex(azr.index).fillna(0.0)).abs()
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


def everything(ws: Workspace, as_of: datetime) -> set[Finding]:
    return rewards(ws, as_of) | mining(ws) | health(ws, as_of) | legacy(ws)
