"""The compliance service: checks on users' actions with a risk level, and its log.

Risk follows the user: rejected or pending KYC means more high-risk checks;
high and critical risk are mostly not compliant.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa

from azora_nb.demo import values as v
from azora_nb.demo.generate import TableSpec, chunked
from azora_nb.demo.generate.people import JURISDICTIONS, users
from azora_nb.demo.plan import Plan

ACTIONS = (
    "kyc_verification",
    "transaction_screening",
    "withdrawal_review",
    "sanctions_screening",
    "aml_monitoring",
)
RISKS = ("low", "medium", "high", "critical")
RISK_P = {0: (0.78, 0.17, 0.04, 0.01), 1: (0.45, 0.35, 0.15, 0.05), 2: (0.15, 0.30, 0.35, 0.20)}
COMPLIANT_P = np.array([0.995, 0.93, 0.45, 0.05])
EVENTS = ("check_performed", "case_escalated", "case_closed", "rule_updated", "report_generated")
RULES = ("velocity", "sanctions_list", "pep", "geo_risk", "structuring", "device_mismatch")


def checks_table(plan: Plan, index: int, lo: int, hi: int) -> pa.Table:
    rng = plan.rng("compliance-checks", index)
    n = hi - lo
    people = users(plan)
    who = rng.integers(0, plan.mint_users, n)
    kyc = people.kyc[who]
    risk = np.zeros(n, dtype=np.int64)
    for state, p in RISK_P.items():
        mine = kyc == state
        risk[mine] = rng.choice(len(RISKS), size=int(mine.sum()), p=p)
    compliant = rng.random(n) < COMPLIANT_P[risk]
    at = v.times_at(v.row_quantiles(rng, lo, hi, plan.compliance_checks), v.activity_cdf(plan))
    score = np.round(np.clip(risk * 25 + rng.uniform(0, 25, n), 0, 100), 1)
    rule = rng.integers(0, len(RULES), n)
    place = rng.integers(0, len(JURISDICTIONS), n)
    metadata = [
        json.dumps({"score": s, "rule": RULES[r], "jurisdiction": JURISDICTIONS[j]})
        for s, r, j in zip(score.tolist(), rule.tolist(), place.tolist(), strict=True)
    ]
    return pa.table(
        {
            "id": v.text(v.uuids(rng, n)),
            "userId": v.text(people.mint_ids[who]),
            "action": v.pick(ACTIONS, rng.integers(0, len(ACTIONS), n)),
            "compliant": v.bools(compliant),
            "risk": v.pick(RISKS, risk),
            "timestamp": v.ts(at, zone=False, ms=True),
            "metadata": pa.array(metadata),
        }
    )


def audit_table(plan: Plan, index: int, lo: int, hi: int) -> pa.Table:
    rng = plan.rng("compliance-audit", index)
    n = hi - lo
    at = v.times_at(v.row_quantiles(rng, lo, hi, plan.audit_rows), v.activity_cdf(plan))
    event = rng.integers(0, len(EVENTS), n)
    system = rng.random(n) < 0.3
    details = [
        json.dumps({"event": EVENTS[e], "source": "compliance-service"}) for e in event.tolist()
    ]
    return pa.table(
        {
            "id": v.text(v.uuids(rng, n)),
            "eventType": v.pick(EVENTS, event),
            "details": pa.array(details),
            "createdAt": v.ts(at, zone=False, ms=True),
            "userId": v.text(
                users(plan).mint_ids[rng.integers(0, plan.mint_users, n)], mask=system
            ),
        }
    )


def specs(plan: Plan) -> list[TableSpec]:
    return [
        TableSpec(
            "compliance",
            "ComplianceCheck",
            plan.compliance_checks,
            chunked(checks_table, plan, plan.compliance_checks),
        ),
        TableSpec(
            "compliance", "AuditLog", plan.audit_rows, chunked(audit_table, plan, plan.audit_rows)
        ),
    ]
