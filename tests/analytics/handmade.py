"""A small hand-built dataset with known anomalies, and the findings it must produce.

Every anomaly is planted on purpose next to rows that come close to a threshold
without crossing it, so that a detector that is off by one rule fails a test.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from azora_nb import migrate
from azora_nb.schema import core, gateway, mint
from azora_nb.workspace import Workspace

AS_OF = datetime(2026, 10, 31, tzinfo=UTC)


def _id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


def ago(**kw: float) -> datetime:
    return AS_OF - timedelta(**kw)


def _ledger_row(
    name: str,
    kind: str,
    amount: float,
    created: datetime,
    *,
    status: str = "confirmed",
    reason: str | None = None,
    tx_hash: str | None = None,
    founder: float = 0.11,
    gas: int | None = 21_000,
    recipient: str | None = None,
    confirmed: datetime | None = None,
) -> dict[str, Any]:
    return {
        "id": _id(name),
        "tx_hash": tx_hash or f"0x{name}",
        "transaction_type": kind,
        "amount_azr": amount,
        "amount_usd": amount,
        "treasury_allocation": 0.70,
        "founder_allocation": founder,
        "burn_allocation": 0.05,
        "circulation_allocation": round(0.25 - founder, 4),
        "gas_used": gas,
        "gas_price_wei": 2_000_000_000 if gas else None,
        "blockchain_status": status,
        "reason": reason,
        "recipient_address": recipient,
        "created_at": created,
        "confirmed_at": confirmed,
    }


PAYOUTS = (
    # hash, amount, recipient wallet, on-chain status: one ledger payout per row
    ("h1", 10.0, "w1", "confirmed"),
    ("h2", 5.60, "w1", "confirmed"),  # the reward says 5.50
    ("h5", 4.0, "w3", "confirmed"),
    ("h8", 8.0, "w4", "confirmed"),
    ("h9", 1.0, "w5", "confirmed"),
    ("h10", 1.0, "w5", "confirmed"),
    ("h11", 1.0, "w5", "confirmed"),
    ("h99", 2.0, "w2", "confirmed"),  # no reward has this hash
    ("h13", 6.0, "w7", "confirmed"),  # w7 is a mint user's wallet only: known
    ("h14", 2.0, "w-nobody", "confirmed"),  # a wallet that belongs to no user
    ("h15", 2.5, "0xwallet3", "confirmed"),  # another user's wallet
    ("h17", 4.0, "w2", "failed"),  # the reward says PAID
    ("h18", 1.25, "w2", "pending"),  # near miss: in flight, not failed
    ("h19", 5.0, "w4", "confirmed"),  # the reward is FAILED
    ("h20", 5.0, "w4", "failed"),  # near miss: FAILED reward, failed payout
    ("h29", 9.0, "w8", "confirmed"),
    ("h28", 3.004, "w1", "confirmed"),  # near miss: 0.004 from the reward's 3.00
)
CONFIRMED_PAYOUTS = sum(amount for _, amount, _, status in PAYOUTS if status == "confirmed")


POOL_OVERRIDES: dict[tuple[str, int, int], str | None] = {
    ("ethash", 6, 0): "ghost-pool",  # a pool mining_pool_stats does not know
    ("ethash", 6, 1): None,  # near miss: solo, no pool to resolve
}


def core_rows() -> dict[str, list[dict[str, Any]]]:
    users = [{"id": _id(f"rig{i}"), "wallet_address": f"0xwallet{i}"} for i in range(18)]
    # Mint users u1..u8 have core accounts by wallet, except u7.
    users += [{"id": _id(f"core-u{i}"), "wallet_address": f"w{i}"} for i in (1, 2, 3, 4, 5, 6, 8)]
    ledger = []
    for month in range(1, 11):
        ledger.append(
            _ledger_row(
                f"mint{month}", "mint", 1000.0 + 100 * month, datetime(2026, month, 3, tzinfo=UTC)
            )
        )
        ledger.append(
            _ledger_row(f"burn{month}", "burn", 50.0 + month, datetime(2026, month, 20, tzinfo=UTC))
        )
    ledger.append(_ledger_row("mint_old", "mint", 500.0, datetime(2025, 6, 1, tzinfo=UTC)))
    ledger.append(_ledger_row("transfer1", "transfer", 42.0, ago(days=40)))
    ledger.append(_ledger_row("pending1", "mint", 10.0, ago(minutes=30), status="pending"))
    ledger.append(_ledger_row("pending2", "mint", 20.0, ago(days=3), status="pending"))
    ledger.append(_ledger_row("failed1", "withdrawal", 30.0, ago(days=40), status="failed"))
    for name, amount, recipient, status in PAYOUTS:
        ledger.append(
            _ledger_row(
                f"pay_{name}",
                "mint",
                amount,
                ago(days=5),
                status=status,
                reason="knowledge_reward",
                tx_hash=name,
                gas=None,
                recipient=recipient,
            )
        )
    # A reward "paid" by a burn that carries its hash.
    ledger.append(
        _ledger_row("burn_h16", "burn", 1.5, ago(days=5), reason="fee_burn", tx_hash="h16")
    )
    # Ledger row rules: a negative amount; confirmed before it was created; a near miss
    # confirmed in the very instant it was created.
    ledger.append(_ledger_row("negative1", "transfer", -5.0, ago(days=40)))
    early = ago(days=30)
    ledger.append(
        _ledger_row("early1", "transfer", 7.0, early, confirmed=early - timedelta(hours=1))
    )
    ledger.append(_ledger_row("sametime1", "transfer", 8.0, early, confirmed=early))
    sessions, stats = [], []
    for algo, base in (("sha256", 100.0), ("ethash", 50.0)):
        for rig in range(9):
            user = users[rig + (0 if algo == "sha256" else 9)]["id"]
            rate = base * (1 + (rig % 5 - 2) / 100)
            if algo == "sha256" and rig == 8:
                rate = 20.0  # under-performing
            for n in range(5):
                start = ago(days=10 - n, hours=rig)
                hot = algo == "ethash" and rig == 3 and n < 3
                earnings = rate * 2 * 0.01
                if algo == "sha256" and rig == 1 and n == 4:
                    earnings *= 50  # impossible earnings
                if algo == "ethash" and rig == 4 and n == 4:
                    earnings *= 9.5  # high, but under 10x
                status = "completed"
                if rig == 2 and n == 0:
                    status = "failed"
                elif rig == 5 and n == 1:
                    status = "interrupted"
                sid = _id(f"session-{algo}-{rig}-{n}")
                sessions.append(
                    {
                        "id": sid,
                        "session_id": f"s-{algo}-{rig}-{n}",
                        "user_id": user,
                        "start_time": start,
                        "end_time": start + timedelta(hours=2),
                        "algorithm": algo,
                        "total_hashrate_mhs": rate,
                        "total_earnings_usd": earnings,
                        "azr_minted": earnings / 2,
                        "power_consumption_watts": 100 + 10 * (rig % 3),
                        "temperature_celsius": 90.0 if hot else (85.0 if rig == 7 else 60.0 + rig),
                        "pool_name": POOL_OVERRIDES.get((algo, rig, n), f"{algo}-pool-{rig % 2}"),
                        "status": status,
                        "created_at": start,
                    }
                )
                stats.append(
                    {
                        "id": _id(f"stat-{algo}-{rig}-{n}"),
                        "session_id": sid,
                        "timestamp": start + timedelta(hours=1),
                        "algorithm": algo,
                        "pool": f"{algo}-pool-{rig % 2}",
                        "hashrate_mhs": rate,
                        "shares_accepted": 100 + rig,
                        "shares_rejected": rig % 4,
                    }
                )
    prices = [
        {
            "id": _id(f"price{d}-{h}-{sym}"),
            "symbol": sym,
            "price_usd": p + d,
            "timestamp": ago(days=d, hours=h),
        }
        for d in range(12)
        for h in (3, 15)
        for sym, p in (("BTC", 60_000.0), ("ETH", 3000.0))
    ]
    comp = [
        {
            "id": _id(f"comp{m}"),
            "founder_name": "Founder A",
            "amount_azr": 100.0 + m,
            "amount_usd": 100.0 + m,
            "month": date(2026, m, 1),
            "status": "paid",
        }
        for m in range(1, 11)
    ]
    comp.append(
        {
            "id": _id("comp-pending"),
            "founder_name": "Founder A",
            "amount_azr": 999.0,
            "amount_usd": 999.0,
            "month": date(2026, 10, 1),
            "status": "pending",
        }
    )
    health = []
    for hour in range(0, 48, 6):
        for component, status in (
            ("db", "critical" if hour < 24 else "healthy"),
            ("api", "warning" if hour == 6 else "healthy"),
            ("queue", "critical" if hour != 12 else "warning"),
        ):
            health.append(
                {
                    "id": _id(f"h-{component}-{hour}"),
                    "component": component,
                    "status": status,
                    "metric_name": "m",
                    "metric_value": 1.0,
                    "timestamp": ago(hours=hour + 1),
                }
            )
    alerts = []
    storm_start = ago(days=3)
    for i in range(20):  # 20 in 475 s: a storm
        alerts.append(
            {
                "id": _id(f"storm{i}"),
                "alert_type": "latency",
                "severity": "error",
                "title": "slow",
                "component": "api",
                "resolved": True,
                "resolved_at": storm_start + timedelta(hours=2),
                "created_at": storm_start + timedelta(seconds=25 * i),
            }
        )
    for i in range(20):  # 20 spread over 11 min: not a storm
        alerts.append(
            {
                "id": _id(f"calm{i}"),
                "alert_type": "disk",
                "severity": "warning",
                "title": "disk",
                "component": "db",
                "resolved": i % 2 == 0,
                "resolved_at": ago(days=1) if i % 2 == 0 else None,
                "created_at": ago(days=2) + timedelta(seconds=34.7 * i),
            }
        )
    alerts.append(
        {
            "id": _id("open-critical"),
            "alert_type": "down",
            "severity": "critical",
            "title": "down",
            "component": "queue",
            "resolved": False,
            "resolved_at": None,
            "created_at": ago(hours=5),
        }
    )
    for name, component, created, resolved_at in (
        ("ghost-alert", "ghost", ago(days=4), ago(days=4, hours=-1)),  # no health checks
        ("platform-alert", None, ago(days=4), ago(days=4, hours=-1)),  # near miss: no component
        ("early-alert", "api", ago(days=6), ago(days=6, minutes=10)),  # resolved before raised
        ("same-alert", "api", ago(days=6, hours=1), ago(days=6, hours=1)),  # near miss: at once
    ):
        alerts.append(
            {
                "id": _id(name),
                "alert_type": "misc",
                "severity": "info",
                "title": name,
                "component": component,
                "resolved": True,
                "resolved_at": resolved_at,
                "created_at": created,
            }
        )
    pools = [
        {"id": _id(f"pool-{algo}-{i}"), "pool_name": f"{algo}-pool-{i}", "algorithm": algo}
        for algo in ("sha256", "ethash")
        for i in (0, 1)
    ]
    return {
        "users": users,
        "treasury_ledger": ledger,
        "mining_sessions": sessions,
        "mining_pool_stats": pools,
        "mining_statistics": stats,
        "crypto_prices": prices,
        "founder_compensation": comp,
        "system_health": health,
        "alerts": alerts,
    }


LEGACY_ROWS = [
    _ledger_row("legacy_ok", "mint", 5.0, datetime(2024, 1, 1, tzinfo=UTC)),
    {
        **_ledger_row("legacy_sum", "mint", 5.0, datetime(2024, 1, 2, tzinfo=UTC)),
        "circulation_allocation": 0.239,
    },
    {**_ledger_row("legacy_val", "mint", 5.0, datetime(2024, 1, 3, tzinfo=UTC)), "amount_usd": 4.5},
]


BALANCES = {
    "u1": 22.0,
    "u2": 17.75,
    "u3": 4.0,
    "u4": 8.004,  # near miss: 0.004 from the paid 8.00
    "u5": 5.0,  # paid 3.00
    "u6": 0.0,
    "u7": 6.0,
    # u8 (paid 9.00) has no AZR balance row; u9 has neither rewards nor balance
}
PAID_BY_USER = {"u1": 22.0, "u2": 17.75, "u3": 4.0, "u4": 8.0, "u5": 3.0, "u7": 6.0, "u8": 9.0}


def mint_rows() -> dict[str, list[dict[str, Any]]]:
    t0 = ago(days=20)
    users = [
        {
            "id": f"u{i}",
            "azoraId": f"az{i}",
            "walletAddress": f"w{i}",
            "kycStatus": "PENDING" if i == 3 else "VERIFIED",
            "createdAt": t0,
            "updatedAt": t0,
        }
        for i in range(1, 10)
    ]

    def reward(
        rid: str,
        user: str,
        amount: float,
        tx: str | None,
        status: str = "PAID",
        created: datetime = t0,
        processed: datetime | None = None,
        achievement: str | None = "",
        currency: str = "AZR",
    ) -> dict[str, Any]:
        return {
            "id": rid,
            "userId": user,
            "rewardAmount": amount,
            "currencyCode": currency,
            "sourceTrxId": f"src-{rid}",
            "achievement": f"ach-{rid}" if achievement == "" else achievement,
            "transactionHash": tx,
            "status": status,
            "createdAt": created,
            "processedAt": processed
            if processed is not None
            else (created + timedelta(hours=1) if status == "PAID" else None),
        }

    rewards = [
        reward("r1", "u1", 10.0, "h1"),
        reward("r2", "u1", 5.5, "h2"),  # ledger says 5.60
        reward("r3", "u2", 7.0, "h3"),  # no ledger row
        reward("r4", "u2", 3.0, None),  # no hash
        reward("r5", "u3", 4.0, "h5"),  # KYC pending
        reward("r6", "u4", 2.0, None, "PENDING", ago(days=10)),
        reward("r7", "u4", 2.0, None, "PENDING", ago(days=6, hours=23)),
        reward("r8", "u4", 8.0, "h8", processed=t0 - timedelta(hours=2)),
        reward("r9", "u5", 1.0, "h9", created=ago(days=9), achievement="course-101"),
        reward("r10", "u5", 1.0, "h10", created=ago(days=9, hours=-5), achievement="course-101"),
        reward("r11", "u5", 1.0, "h11", created=ago(days=7, hours=-1), achievement="course-101"),
        reward("r12", "u6", 6.0, None, "FAILED"),
        reward("r13", "u7", 6.0, "h13"),  # u7 has no core account
        reward("r14", "u1", 2.0, "h14"),  # paid to a wallet of nobody
        reward("r15", "u2", 2.5, "h15"),  # paid to another user's wallet
        reward("r16", "u1", 1.5, "h16"),  # "paid" by a burn
        reward("r17", "u2", 4.0, "h17"),  # its payout failed
        reward("r18", "u2", 1.25, "h18"),  # near miss: payout pending
        reward("r19", "u4", 5.0, "h19", "FAILED"),  # but its payout is confirmed
        reward("r20", "u4", 5.0, "h20", "FAILED"),  # near miss: payout failed too
        reward("r21", "u6", 0.0, None, "FAILED"),  # zero amount
        reward("r22", "u6", -3.0, None, "PENDING", ago(days=1)),  # negative amount
        reward("r23", "u6", 0.01, None, "FAILED"),  # near miss: small but positive
        reward("r24", "u6", 2.0, None, "FAILED", currency="USD"),  # not AZR
        # Near-duplicates without an achievement (NULL = NULL here), and a near miss 28 h on.
        reward("r25", "u6", 1.0, None, "FAILED", ago(days=3), achievement=None),
        reward("r26", "u6", 1.0, None, "FAILED", ago(days=3, hours=-2), achievement=None),
        reward("r27", "u6", 1.0, None, "FAILED", ago(days=3, hours=-30), achievement=None),
        reward("r29", "u8", 9.0, "h29"),  # u8 has no balance row
        reward("r28", "u1", 3.0, "h28"),
        reward("r30", "u6", 1.0, None, "FAILED", processed=t0),  # near miss: processed = created
    ]
    balances = [
        {"id": f"b{u}", "userId": u, "currencyCode": "AZR", "amount": amount}
        for u, amount in BALANCES.items()
    ]
    balances.append({"id": "bu1usd", "userId": "u1", "currencyCode": "USD", "amount": 99.0})
    earnings = [
        {
            "id": f"e{i}",
            "user_id": _id(f"earner{i}"),
            "user_type": kind,
            "amount": amount,
            "net_amount": amount,
            "reinvest_amount": 0.0,
            "source": "mining",
            "created_at": t0,
        }
        for i, (kind, amount) in enumerate(
            (
                ("enterprise", 1000.0),
                ("enterprise", 500.0),
                ("student", 250.0),
                ("governance", 75.0),
            )
        )
    ]
    minting = [
        {
            "id": name,
            "mining_session_id": session,
            "user_id": _id("rig0"),
            "amount_azr": amount,
            "amount_usd": amount,
            "blockchain_status": "confirmed",
            "created_at": t0,
        }
        for name, session, amount in (
            ("mt1", "s-sha256-0-0", 0.98),
            ("mt2", "s-sha256-0-1", 0.9800004),  # near miss: rounding to 6 decimals
            ("mt3", "s-unknown", 0.98),  # no such session in core
            ("mt4", "s-sha256-0-2", 1.48),  # the session minted 0.98
        )
    ]
    return {
        "users": users,
        "knowledge_rewards": rewards,
        "user_balances": balances,
        "minting_transactions": minting,
        "earnings_ledger": earnings,
    }


def gateway_rows() -> dict[str, list[dict[str, Any]]]:
    t0 = ago(days=60)
    routes = [
        {
            "id": rid,
            "serviceName": svc,
            "route": path,
            "targetUrl": "http://x",
            "method": "GET",
            "createdAt": t0,
            "updatedAt": t0,
        }
        for rid, svc, path in (
            ("rt-a", "mint", "/rewards"),
            ("rt-b", "core", "/ledger"),
            ("rt-c", "core", "/health"),
        )
    ]
    calls = []
    for i in range(60):
        for rid, base, recent in (("rt-a", 100, 500), ("rt-b", 100, 290), ("rt-c", 80, 80)):
            is_recent = i < 20
            calls.append(
                {
                    "id": f"{rid}-{i}",
                    "routeId": rid,
                    "method": "GET",
                    "path": "/",
                    "ipAddress": "10.0.0.1",
                    "statusCode": 500 if i % 10 == 0 else (404 if i % 10 == 1 else 200),
                    "responseTime": (recent if is_recent else base) + i % 7,
                    "timestamp": ago(days=0.1 + i * 0.3 if is_recent else 8 + (i - 20) * 0.7),
                }
            )
    breakers = [
        {
            "id": "cb1",
            "serviceName": "mint",
            "failureCount": 7,
            "state": "open",
            "lastFailure": ago(hours=1),
            "createdAt": t0,
            "updatedAt": t0,
        },
        {
            "id": "cb2",
            "serviceName": "core",
            "failureCount": 0,
            "state": "closed",
            "createdAt": t0,
            "updatedAt": t0,
        },
    ]
    return {"service_routes": routes, "api_calls": calls, "circuit_breakers": breakers}


EXPECTED_AUDIT = {
    ("reward_user_missing", (("reward_id", "r13"), ("user_id", "u7"))),
    ("reward_paid_without_ledger", (("reward_id", "r3"),)),
    ("reward_paid_without_ledger", (("reward_id", "r4"),)),
    ("ledger_payout_without_reward", (("ledger_id", _id("pay_h99")), ("tx_hash", "h99"))),
    ("reward_payout_wrong_type", (("ledger_id", _id("burn_h16")), ("reward_id", "r16"))),
    ("reward_amount_mismatch", (("ledger_id", _id("pay_h2")), ("reward_id", "r2"))),
    ("reward_payout_failed", (("ledger_id", _id("pay_h17")), ("reward_id", "r17"))),
    ("payout_for_unpaid_reward", (("ledger_id", _id("pay_h19")), ("reward_id", "r19"))),
    ("payout_wrong_wallet", (("ledger_id", _id("pay_h15")), ("reward_id", "r15"))),
    ("payout_wallet_unknown", (("ledger_id", _id("pay_h14")),)),
    ("reward_amount_invalid", (("reward_id", "r21"),)),
    ("reward_amount_invalid", (("reward_id", "r22"),)),
    ("reward_amount_invalid", (("reward_id", "r24"),)),
    ("reward_stuck_pending", (("reward_id", "r6"),)),
    ("reward_processed_before_created", (("reward_id", "r8"),)),
    ("reward_unverified_kyc", (("reward_id", "r5"), ("user_id", "u3"))),
    ("reward_near_duplicate", (("reward_ids", ("r10", "r9")),)),
    ("reward_near_duplicate", (("reward_ids", ("r25", "r26")),)),
    ("balance_mismatch", (("user_id", "u5"),)),
    ("balance_mismatch", (("user_id", "u8"),)),
}
NEAR_MISSES: dict[str, list[tuple[str, Any]]] = {
    # kind -> (key, value) pairs that no finding of that kind may hold
    "reward_user_missing": [("reward_id", "r29"), ("reward_id", "r14")],
    "reward_paid_without_ledger": [("reward_id", "r16"), ("reward_id", "r17")],
    "ledger_payout_without_reward": [("tx_hash", "h19"), ("tx_hash", "h14")],
    "reward_payout_wrong_type": [("reward_id", "r2"), ("reward_id", "r17")],
    "reward_amount_mismatch": [("reward_id", "r28"), ("reward_id", "r16")],
    "reward_payout_failed": [("reward_id", "r18"), ("reward_id", "r20")],
    "payout_for_unpaid_reward": [("reward_id", "r20"), ("reward_id", "r18")],
    "payout_wrong_wallet": [("reward_id", "r13"), ("reward_id", "r14")],
    "payout_wallet_unknown": [("ledger_id", _id("pay_h13")), ("ledger_id", _id("pay_h15"))],
    "reward_amount_invalid": [("reward_id", "r23"), ("reward_id", "r12")],
    "reward_stuck_pending": [("reward_id", "r7"), ("reward_id", "r22")],
    "reward_processed_before_created": [("reward_id", "r30"), ("reward_id", "r1")],
    "reward_unverified_kyc": [("reward_id", "r13"), ("user_id", "u1")],
    "reward_near_duplicate": [("reward_ids", ["r25", "r27"]), ("reward_ids", ["r10", "r11"])],
    "balance_mismatch": [("user_id", "u4"), ("user_id", "u9")],
    "session_unknown_pool": [("session_id", _id("session-ethash-6-1"))],
    "minting_session_mismatch": [("minting_id", "mt1"), ("minting_id", "mt2")],
    "alert_unknown_component": [("alert_id", _id("platform-alert")), ("alert_id", _id("storm0"))],
    "alert_resolution_out_of_order": [("alert_id", _id("same-alert")), ("alert_id", _id("calm1"))],
    "ledger_amount_not_positive": [("ledger_id", _id("sametime1")), ("ledger_id", _id("early1"))],
    "ledger_times_out_of_order": [("ledger_id", _id("sametime1")), ("ledger_id", _id("negative1"))],
}
EXPECTED_LEDGER = {
    ("ledger_amount_not_positive", (("ledger_id", _id("negative1")),)),
    ("ledger_times_out_of_order", (("ledger_id", _id("early1")),)),
}
EXPECTED_MINING = {
    ("session_unknown_pool", (("session_id", _id("session-ethash-6-0")),)),
    ("minting_session_mismatch", (("minting_id", "mt3"),)),
    ("minting_session_mismatch", (("minting_id", "mt4"),)),
    ("rig_overheating", (("user_id", _id("rig12")),)),
    ("rig_underperforming", (("user_id", _id("rig8")),)),
    ("session_impossible_earnings", (("session_id", _id("session-sha256-1-4")),)),
}
EXPECTED_HEALTH = {
    ("alert_unknown_component", (("alert_id", _id("ghost-alert")),)),
    ("alert_resolution_out_of_order", (("alert_id", _id("early-alert")),)),
    (
        "alert_storm",
        (("alert_ids", tuple(sorted(_id(f"storm{i}") for i in range(20)))), ("component", "api")),
    ),
    ("component_stuck_critical", (("component", "db"),)),
    ("route_p99_degradation", (("route_id", "rt-a"),)),
}


def legacy_table() -> sa.Table:
    """A copy of the ledger without the constitutional CHECKs, as old databases have."""
    columns = [sa.Column(c.name, c.type) for c in core.treasury_ledger.columns]
    return sa.Table("treasury_ledger_legacy", sa.MetaData(), *columns)


def load(ws: Workspace, *, legacy: bool = True) -> None:
    """Build every source's schema (the migrations) and insert the rows."""
    data = {"core": core_rows(), "mint": mint_rows(), "gateway": gateway_rows()}
    tables = {
        "core": core.metadata.tables,
        "mint": mint.metadata.tables,
        "gateway": gateway.metadata.tables,
    }
    for source in ws.sources:
        migrate.upgrade(ws, source)
        with ws.engine(source).begin() as conn:
            for name, rows in data.get(source, {}).items():
                keys = {k for row in rows for k in row}
                conn.execute(
                    sa.insert(tables[source][name]), [{k: row.get(k) for k in keys} for row in rows]
                )
            if source == "core" and legacy:
                table = legacy_table()
                table.create(conn)
                conn.execute(sa.insert(table), LEGACY_ROWS)


def as_set(findings: Any) -> set[tuple[str, tuple[tuple[str, Any], ...]]]:
    """Findings as comparable (kind, sorted keys) pairs, lists turned into tuples."""
    out = set()
    for kind, keys in zip(findings["kind"], findings["keys"], strict=True):
        items = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in keys.items()))
        out.add((kind, items))
    return out
