"""The rest of the core database: users, founder compensation, ceremonial events,
the audit log and compliance reports.

Founders are paid monthly, in total roughly their 11% allocation of the
month's expected minting; each payment has its founder_payment ceremony.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

from azora_nb.demo import values as v
from azora_nb.demo.generate import TableSpec, chunked, single
from azora_nb.demo.generate.ledger import ALLOCATION, MEDIAN_AMOUNT, TYPE_P, everyday_count
from azora_nb.demo.generate.people import JURISDICTIONS, KYC, users
from azora_nb.demo.plan import US_PER_DAY, US_PER_HOUR, US_PER_SECOND, Plan

FOUNDERS = (
    ("Amara Okafor", 0.34),
    ("Thabo Dlamini", 0.26),
    ("Nadia Haddad", 0.22),
    ("Kwame Mensah", 0.18),
)
AUDIT_ACTIONS = (
    ("login", "session"),
    ("update_profile", "user"),
    ("kyc_submitted", "user"),
    ("withdrawal_requested", "treasury_ledger"),
    ("wallet_linked", "user"),
    ("session_started", "mining_session"),
    ("api_key_created", "api_key"),
)
AGENTS = ("azora-web/3.4.1", "azora-mobile/2.9.0", "azora-cli/1.2.0")


def users_table(plan: Plan) -> pa.Table:
    people = users(plan)
    rng = plan.rng("core-users")
    n = plan.core_users
    kyc = np.zeros(n, dtype=np.int64)
    kyc[: plan.mint_users] = people.kyc
    kyc[plan.mint_users :] = rng.choice(3, size=n - plan.mint_users, p=(0.7, 0.25, 0.05))
    return pa.table(
        {
            "id": v.text(people.core_ids),
            "wallet_address": v.text(people.wallets),
            "reputation_score": v.num(rng.beta(4, 2, n) * 100, 2),
            "jurisdiction": v.pick(JURISDICTIONS, rng.integers(0, len(JURISDICTIONS), n)),
            "kyc_status": v.pick([k.lower() for k in KYC], kyc),
            "created_at": v.ts(people.created_us),
            "updated_at": v.ts(
                people.created_us
                + (rng.random(n) * (plan.end_us - people.created_us)).astype(np.int64)
            ),
        }
    )


def _months(plan: Plan) -> list[datetime]:
    """First days of the months that start inside the span."""
    year, month = plan.start.year, plan.start.month
    out = []
    while (first := datetime(year, month, 1, tzinfo=UTC)) < plan.as_of:
        if first >= plan.start:
            out.append(first)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _us(moment: datetime) -> int:
    return int(moment.timestamp()) * US_PER_SECOND


def _expected_monthly_mint(plan: Plan) -> float:
    """Expected AZR minted in an average month by everyday ledger rows."""
    mean_amount = MEDIAN_AMOUNT[0] * np.exp(0.5)  # lognormal with sigma 1
    return everyday_count(plan) * TYPE_P[0] * mean_amount / 12


def founders_table(plan: Plan) -> pa.Table:
    rng = plan.rng("founders")
    ids = users(plan).core_ids
    rows: list[dict[str, object]] = []
    monthly = _expected_monthly_mint(plan) * ALLOCATION[1]
    months = _months(plan)
    for i, month in enumerate(months):
        growth = 0.6 + 0.8 * (i + 0.5) / len(months)
        for f, (name, share) in enumerate(FOUNDERS):
            amount = round(monthly * growth * share * rng.uniform(0.95, 1.05), 2)
            paid_at = _us(month) + int((32 + rng.uniform(0, 3)) * US_PER_DAY)
            done = paid_at < plan.end_us
            rows.append(
                dict(
                    name=name,
                    founder=f,
                    amount=amount,
                    month=_us(month),
                    kind="monthly",
                    status="paid" if done else "approved",
                    paid=paid_at if done else -1,
                    notes=None,
                )
            )
        if i % 6 == 5:
            f = int(rng.integers(0, len(FOUNDERS)))
            rows.append(
                dict(
                    name=FOUNDERS[f][0],
                    founder=f,
                    amount=round(monthly * 0.2, 2),
                    month=_us(month),
                    kind="bonus",
                    status="paid",
                    paid=_us(month) + 20 * US_PER_DAY,
                    notes="half-year performance bonus",
                )
            )
    n = len(rows)
    amounts = np.array([r["amount"] for r in rows], dtype=float)
    paid = np.array([r["paid"] for r in rows], dtype=np.int64)
    month_us = np.array([r["month"] for r in rows], dtype=np.int64)
    created = month_us + 25 * US_PER_DAY
    return pa.table(
        {
            "id": v.text(v.uuids(rng, n)),
            "founder_id": v.text(ids[np.array([r["founder"] for r in rows])]),
            "founder_name": pa.array([r["name"] for r in rows]),
            "amount_azr": v.num(amounts, 8),
            "amount_usd": v.num(amounts, 8),
            "month": v.dates(month_us),
            "compensation_type": pa.array([r["kind"] for r in rows]),
            "status": pa.array([r["status"] for r in rows]),
            "tx_hash": v.text(v.hexes(rng, n, 32), mask=paid < 0),
            "payment_date": v.ts(paid, mask=paid < 0),
            "notes": pa.array([r["notes"] for r in rows], type=pa.string()),
            "created_at": v.ts(created),
            "updated_at": v.ts(np.where(paid > 0, paid, created)),
        }
    )


def ceremonies_table(plan: Plan) -> pa.Table:
    rng = plan.rng("ceremonies")
    months = _months(plan)
    names = [f[0] for f in FOUNDERS]
    events: list[tuple[str, str, str, float | None, str, int]] = []
    for month in months:
        label = month.strftime("%B %Y")
        events.append(
            (
                "treasury_report",
                f"Treasury report, {label}",
                "neutral",
                None,
                "Article 7",
                _us(month) + 33 * US_PER_DAY,
            )
        )
        events.append(
            (
                "founder_payment",
                f"Founder compensation, {label}",
                "negative",
                round(_expected_monthly_mint(plan) * ALLOCATION[1], 2),
                "Article 11",
                _us(month) + 32 * US_PER_DAY,
            )
        )
    for q in range(0, len(months), 3):
        events.append(
            (
                "burn_ritual",
                f"Quarterly burn, {months[q].strftime('%B %Y')}",
                "positive",
                round(_expected_monthly_mint(plan) * 3 * ALLOCATION[2], 2),
                "Article 9",
                _us(months[q]) + 90 * US_PER_DAY,
            )
        )
    events.append(
        (
            "constitutional_amendment",
            "Allocation amendment: circulation 0.1400",
            "neutral",
            None,
            "Article 4",
            plan.start_us + 50 * US_PER_DAY,
        )
    )
    events.append(
        (
            "sovereignty_declaration",
            "Declaration of digital sovereignty",
            "neutral",
            None,
            "Preamble",
            plan.start_us + 120 * US_PER_DAY,
        )
    )
    for city, day in (("Nairobi", 160), ("Lagos", 240), ("Cairo", 330)):
        events.append(
            (
                "embassy_establishment",
                f"Embassy established in {city}",
                "neutral",
                None,
                "Article 15",
                plan.start_us + day * US_PER_DAY,
            )
        )
    n = len(events)
    when = np.array([e[5] for e in events], dtype=np.int64) + rng.integers(9, 17, n) * US_PER_HOUR
    past = when < plan.end_us
    status = np.where(past, "completed", "scheduled")
    amount = np.array([np.nan if e[3] is None else e[3] for e in events])
    witnesses = [[str(w) for w in rng.choice(names, 2, replace=False)] for _ in range(n)]
    return pa.table(
        {
            "id": v.text(v.uuids(rng, n)),
            "event_type": pa.array([e[0] for e in events]),
            "event_title": pa.array([e[1] for e in events]),
            "description": pa.array([f"{e[1]}, under the constitution's {e[4]}." for e in events]),
            "azr_amount": v.num(amount, 8, mask=np.isnan(amount)),
            "usd_value": v.num(amount, 8, mask=np.isnan(amount)),
            "treasury_impact": pa.array([e[2] for e in events]),
            "constitutional_reference": pa.array([e[4] for e in events]),
            "ceremony_date": v.ts(when),
            "execution_date": v.ts(when + US_PER_HOUR, mask=~past),
            "status": v.text(status.astype(object)),
            "officiant": pa.array([names[i % len(names)] for i in range(n)]),
            "witnesses": pa.array(witnesses, type=pa.list_(pa.string())),
            "documentation_url": pa.array(
                [f"https://docs.azora.world/ceremonies/{i + 1:04d}" for i in range(n)]
            ),
            "blockchain_tx_hash": v.text(v.hexes(rng, n, 32), mask=np.isnan(amount) | ~past),
            "created_at": v.ts(when - 14 * US_PER_DAY),
            "completed_at": v.ts(when + 2 * US_PER_HOUR, mask=~past),
        }
    )


def audit_table(plan: Plan, index: int, lo: int, hi: int) -> pa.Table:
    rng = plan.rng("core-audit", index)
    n = hi - lo
    at = v.times_at(v.row_quantiles(rng, lo, hi, plan.audit_rows), v.activity_cdf(plan))
    action = rng.integers(0, len(AUDIT_ACTIONS), n)
    changed = np.isin(action, (1, 4))
    score = rng.integers(0, 100, n)
    old = [
        json.dumps({"reputation_score": s}) if c else None
        for s, c in zip(score.tolist(), changed.tolist(), strict=True)
    ]
    new = [
        json.dumps({"reputation_score": s + 1}) if c else None
        for s, c in zip(score.tolist(), changed.tolist(), strict=True)
    ]
    ip = pa.compute.binary_join_element_wise(
        *(pa.array(rng.integers(1, 255, n)).cast(pa.string()) for _ in range(4)), "."
    )
    return pa.table(
        {
            "id": v.text(v.uuids(rng, n)),
            "user_id": v.text(users(plan).core_ids[rng.integers(0, plan.core_users, n)]),
            "action": v.pick([a[0] for a in AUDIT_ACTIONS], action),
            "resource_type": v.pick([a[1] for a in AUDIT_ACTIONS], action),
            "resource_id": v.text(v.uuids(rng, n)),
            "old_values": pa.array(old, type=pa.string()),
            "new_values": pa.array(new, type=pa.string()),
            "ip_address": ip,
            "user_agent": v.pick(AGENTS, rng.integers(0, len(AGENTS), n)),
            "timestamp": v.ts(at),
        }
    )


def reports_table(plan: Plan) -> pa.Table:
    rng = plan.rng("compliance-reports")
    months = _months(plan)
    monthly = everyday_count(plan) / 12
    rows = []
    for i, month in enumerate(months[:-1]):
        end = months[i + 1]
        rows.append(
            ("monthly_treasury", _us(month), _us(end) - US_PER_DAY, _us(end) + 2 * US_PER_DAY)
        )
    for q in range(0, len(months) - 3, 3):
        rows.append(
            (
                "quarterly_regulatory",
                _us(months[q]),
                _us(months[q + 3]) - US_PER_DAY,
                _us(months[q + 3]) + 5 * US_PER_DAY,
            )
        )
    n = len(rows)
    growth = np.array(
        [0.6 + 0.8 * (r[1] - plan.start_us) / (plan.end_us - plan.start_us) for r in rows]
    )
    quarterly = np.array([r[0].startswith("quarterly") for r in rows])
    count = np.round(monthly * growth * np.where(quarterly, 3, 1) * rng.uniform(0.95, 1.05, n))
    volume = np.round(count * 260.0 * rng.uniform(0.9, 1.1, n), 8)
    balance = np.round(np.cumsum(volume) * 0.7, 8)
    status = np.where(rng.random(n) < 0.15, "review_required", "compliant")
    findings = [
        json.dumps({"open_items": int(s == "review_required"), "flags": []})
        for s in status.tolist()
    ]
    return pa.table(
        {
            "id": v.text(v.uuids(rng, n)),
            "report_type": pa.array([r[0] for r in rows]),
            "report_period_start": v.dates(np.array([r[1] for r in rows])),
            "report_period_end": v.dates(np.array([r[2] for r in rows])),
            "total_transactions": v.ints(count),
            "total_volume_azr": v.num(volume, 8),
            "total_volume_usd": v.num(volume, 8),
            "treasury_balance_azr": v.num(balance, 8),
            "treasury_balance_usd": v.num(balance, 8),
            "compliance_status": v.text(status.astype(object)),
            "findings": pa.array(findings),
            "recommendations": pa.array(["Keep monitoring allocation sums."] * n),
            "generated_at": v.ts(
                np.minimum(np.array([r[3] for r in rows]), plan.end_us - US_PER_HOUR)
            ),
            "generated_by": v.text(np.full(n, users(plan).core_ids[4])),
        }
    )


def specs(plan: Plan) -> list[TableSpec]:
    return [
        TableSpec("core", "users", plan.core_users, single(users_table, plan)),
        TableSpec(
            "core", "founder_compensation", len(founders_table(plan)), single(founders_table, plan)
        ),
        TableSpec(
            "core", "ceremonial_events", len(ceremonies_table(plan)), single(ceremonies_table, plan)
        ),
        TableSpec(
            "core", "audit_log", plan.audit_rows, chunked(audit_table, plan, plan.audit_rows)
        ),
        TableSpec(
            "core", "compliance_reports", len(reports_table(plan)), single(reports_table, plan)
        ),
    ]
