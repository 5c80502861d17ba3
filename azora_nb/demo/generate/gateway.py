"""The API gateway: routes, the calls through them, and circuit breakers.

Calls cover the last 90 days (the gateway's log retention) and follow the
activity curve. Each route has its own lognormal latency, a little slower at
peak hours. Each service suffers short error bursts, during which an open
circuit breaker fails calls fast with 503s. Planted: a route whose latency
degrades over the last 7 days.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from azora_nb.demo import values as v
from azora_nb.demo.generate import TableSpec, single
from azora_nb.demo.generate.people import users
from azora_nb.demo.manifest import Anomaly
from azora_nb.demo.plan import US_PER_DAY, US_PER_SECOND, Plan

SERVICES = (
    "treasury-service",
    "mint-service",
    "mining-service",
    "compliance-service",
    "auth-service",
    "notification-service",
    "analytics-service",
    "user-service",
)
# service index, method, route, median ms, sigma, traffic weight
ROUTES = (
    (0, "GET", "/api/treasury/balance", 45, 0.35, 6),
    (0, "GET", "/api/treasury/ledger", 120, 0.45, 4),
    (0, "POST", "/api/treasury/transfer", 260, 0.4, 2),
    (0, "GET", "/api/treasury/allocations", 60, 0.3, 1),
    (1, "GET", "/api/mint/rewards", 90, 0.4, 5),
    (1, "POST", "/api/mint/rewards/claim", 310, 0.45, 2),
    (1, "GET", "/api/mint/balances/:id", 40, 0.3, 6),
    (1, "POST", "/api/mint/kyc", 420, 0.5, 1),
    (2, "GET", "/api/mining/sessions", 110, 0.4, 4),
    (2, "POST", "/api/mining/sessions", 180, 0.35, 2),
    (2, "GET", "/api/mining/stats/:id", 75, 0.35, 5),
    (2, "GET", "/api/mining/pools", 35, 0.3, 2),
    (3, "POST", "/api/compliance/check", 240, 0.45, 3),
    (3, "GET", "/api/compliance/reports", 380, 0.5, 1),
    (4, "POST", "/api/auth/login", 150, 0.4, 5),
    (4, "POST", "/api/auth/refresh", 30, 0.3, 7),
    (4, "GET", "/api/auth/me", 20, 0.3, 9),
    (5, "POST", "/api/notifications/send", 95, 0.4, 3),
    (5, "GET", "/api/notifications", 50, 0.35, 3),
    (6, "GET", "/api/analytics/dashboard", 520, 0.5, 2),
    (6, "GET", "/api/analytics/metrics", 230, 0.45, 2),
    (7, "GET", "/api/users/:id", 35, 0.3, 6),
    (7, "PATCH", "/api/users/:id", 140, 0.4, 1),
    (7, "GET", "/api/users", 160, 0.4, 1),
)
RETENTION_DAYS = 90
AGENTS = (
    "azora-web/3.4.1",
    "azora-mobile/2.9.0 (Android 14)",
    "azora-mobile/2.9.0 (iOS 17.5)",
    "python-requests/2.32.3",
    "Mozilla/5.0 (X11; Linux x86_64) Firefox/131.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) Safari/605.1.15",
)


@lru_cache(maxsize=4)
def route_ids(plan: Plan) -> np.ndarray:
    return v.uuids(plan.rng("route-ids"), len(ROUTES))


@lru_cache(maxsize=4)
def degraded_routes(plan: Plan) -> tuple[int, ...]:
    busy = [i for i, r in enumerate(ROUTES) if r[5] >= 4]
    rng = plan.rng("degraded")
    return tuple(sorted(int(i) for i in rng.permutation(busy)[: plan.rates.degraded_routes]))


@lru_cache(maxsize=4)
def bursts(plan: Plan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Error bursts: (service, start µs, end µs), about one a fortnight per service."""
    rng = plan.rng("bursts")
    lo = plan.end_us - RETENTION_DAYS * US_PER_DAY
    k = rng.poisson(RETENTION_DAYS / 14, len(SERVICES))
    service = np.repeat(np.arange(len(SERVICES)), k)
    start = rng.integers(lo, plan.end_us - 3600 * US_PER_SECOND, len(service))
    end = start + rng.integers(5 * 60, 30 * 60, len(service)) * US_PER_SECOND
    return service, start, end


def routes_table(plan: Plan) -> pa.Table:
    rng = plan.rng("routes")
    k = len(ROUTES)
    created = plan.start_us - rng.integers(30, 400, k) * US_PER_DAY
    ports = 4001 + np.array([r[0] for r in ROUTES])
    return pa.table(
        {
            "id": v.text(route_ids(plan)),
            "serviceName": pa.array([SERVICES[r[0]] for r in ROUTES]),
            "route": pa.array([r[2] for r in ROUTES]),
            "targetUrl": pa.array(
                [f"http://{SERVICES[r[0]]}:{p}{r[2]}" for r, p in zip(ROUTES, ports, strict=True)]
            ),
            "method": pa.array([r[1] for r in ROUTES]),
            "isActive": v.bools(np.ones(k, dtype=bool)),
            "createdAt": v.ts(created, zone=False, ms=True),
            "updatedAt": v.ts(created + rng.integers(0, 200, k) * US_PER_DAY, zone=False, ms=True),
        }
    )


def _in_burst(plan: Plan, service: np.ndarray, at: np.ndarray) -> np.ndarray:
    b_service, b_start, b_end = bursts(plan)
    hit = np.zeros(len(at), dtype=bool)
    for s, lo, hi in zip(b_service.tolist(), b_start.tolist(), b_end.tolist(), strict=True):
        hit |= (service == s) & (at >= lo) & (at < hi)
    return hit


def calls_tables(plan: Plan) -> Iterator[pa.Table]:
    weights = np.array([r[5] for r in ROUTES], dtype=float)
    median = np.array([r[3] for r in ROUTES], dtype=float)
    sigma = np.array([r[4] for r in ROUTES])
    service_of = np.array([r[0] for r in ROUTES])
    cdf = v.activity_cdf(plan, days=RETENTION_DAYS)
    mint_ids = users(plan).mint_ids
    week = plan.end_us - 7 * US_PER_DAY
    slow = np.isin(np.arange(len(ROUTES)), degraded_routes(plan))
    for index, (lo, hi) in enumerate(plan.chunks(plan.api_calls)):
        rng = plan.rng("api-calls", index)
        n = hi - lo
        at = v.times_at(v.row_quantiles(rng, lo, hi, plan.api_calls), cdf)
        route = rng.choice(len(ROUTES), size=n, p=weights / weights.sum())
        hour = (at // (3600 * US_PER_SECOND)) % 24
        load = 1 + 0.25 * np.sin(2 * np.pi * (hour - 9) / 24)
        latency = median[route] * load * rng.lognormal(0, sigma[route])
        ramp = np.clip((at - week) / (7 * US_PER_DAY), 0, 1)
        latency = np.where(slow[route] & (at >= week), latency * (5 + 7 * ramp), latency)
        burst = _in_burst(plan, service_of[route], at)
        failing = burst & (rng.random(n) < 0.45)
        roll = rng.random(n)
        method = np.array([r[1] for r in ROUTES])[route]
        ok = np.where(method == "POST", 201, 200)
        code = np.select(
            [roll < 0.004, roll < 0.012, roll < 0.03, roll < 0.038], [500, 404, 401, 400], ok
        )
        code = np.where(failing, 503, code)
        latency = np.where(failing, rng.uniform(2, 40, n), latency)
        path = _paths(rng, route)
        anonymous = rng.random(n) < 0.15
        ip = pc.binary_join_element_wise(
            *(pa.array(rng.integers(1, 255, n)).cast(pa.string()) for _ in range(4)), "."
        )
        body = method != "GET"
        yield pa.table(
            {
                "id": v.text(v.uuids(rng, n)),
                "routeId": v.text(route_ids(plan)[route]),
                "method": v.pick(
                    ("GET", "POST", "PATCH"),
                    np.select([method == "POST", method == "PATCH"], [1, 2], 0),
                ),
                "path": path,
                "userId": v.text(mint_ids[rng.integers(0, len(mint_ids), n)], mask=anonymous),
                "ipAddress": ip,
                "userAgent": v.pick(AGENTS, rng.integers(0, len(AGENTS), n)),
                "statusCode": v.ints(code),
                "responseTime": v.ints(np.maximum(np.round(latency), 1)),
                "requestSize": v.ints(np.round(rng.lognormal(np.log(600), 0.7, n)), mask=~body),
                "responseSize": v.ints(np.round(rng.lognormal(np.log(2400), 1.0, n))),
                "timestamp": v.ts(at, zone=False, ms=True),
            }
        )


def _paths(rng: np.random.Generator, route: np.ndarray) -> pa.Array:
    routes = pa.array([r[2] for r in ROUTES]).take(pa.array(route))
    ids = v.text(v.hexes(rng, len(route), 6, b""))
    pieces = pc.split_pattern(routes, ":id")
    head = pc.list_element(pieces, 0)
    has_id = pc.greater(pc.list_value_length(pieces), 1)
    return pc.if_else(has_id, pc.binary_join_element_wise(head, ids, ""), routes)


def breakers_table(plan: Plan) -> pa.Table:
    rng = plan.rng("breakers")
    service, _, end = bursts(plan)
    k = len(SERVICES)
    last = np.array([end[service == s].max() if (service == s).any() else -1 for s in range(k)])
    failures = np.array([int((service == s).sum()) * 5 for s in range(k)])
    recent = last > plan.end_us - 3600 * US_PER_SECOND
    state = np.where(recent, "half_open", "closed")
    created = plan.start_us - rng.integers(30, 300, k) * US_PER_DAY
    return pa.table(
        {
            "id": v.text(v.uuids(rng, k)),
            "serviceName": pa.array(list(SERVICES)),
            "failureCount": v.ints(failures),
            "lastFailure": v.ts(last, zone=False, ms=True, mask=last < 0),
            "state": v.text(state.astype(object)),
            "timeout": v.ints(np.where(rng.random(k) < 0.25, 30_000, 60_000)),
            "createdAt": v.ts(created, zone=False, ms=True),
            "updatedAt": v.ts(np.maximum(last, created), zone=False, ms=True),
        }
    )


def audit_table(plan: Plan) -> pa.Table:
    """The gateway's own log: a breaker opening and closing for each error burst,
    and route and key changes."""
    rng = plan.rng("gateway-audit")
    service, start, end = bursts(plan)
    n_other = max(50, plan.audit_rows // 4)
    routes = route_ids(plan)
    other_at = np.sort(
        rng.integers(plan.end_us - RETENTION_DAYS * US_PER_DAY, plan.end_us, n_other)
    )
    actions = (
        ["circuit_opened"] * len(start)
        + ["circuit_closed"] * len(start)
        + [
            str(a)
            for a in rng.choice(["route_updated", "api_key_rotated", "rate_limit_changed"], n_other)
        ]
    )
    entity = [SERVICES[s] for s in service.tolist()] * 2 + [
        routes[i].decode() for i in rng.integers(0, len(routes), n_other).tolist()
    ]
    kind = ["circuit_breaker"] * (2 * len(start)) + ["service_route"] * n_other
    at = np.concatenate([start, end, other_at])
    details = (
        [json.dumps({"reason": "error rate above 50%"})] * len(start)
        + [json.dumps({"reason": "probe succeeded"})] * len(start)
        + [json.dumps({"by": "platform-team"})] * n_other
    )
    n = len(at)
    return pa.table(
        {
            "id": v.text(v.uuids(rng, n)),
            "action": pa.array(actions),
            "entityId": pa.array(entity),
            "entityType": pa.array(kind),
            "userId": pa.array([None] * (2 * len(start)) + ["ops"] * n_other, type=pa.string()),
            "details": pa.array(details),
            "timestamp": v.ts(at, zone=False, ms=True),
        }
    )


def route_anomalies(plan: Plan) -> list[Anomaly]:
    return [
        Anomaly(
            "route_p99_degradation",
            "gateway",
            "api_calls",
            {"route_id": route_ids(plan)[i].decode()},
        )
        for i in degraded_routes(plan)
    ]


def specs(plan: Plan) -> list[TableSpec]:
    return [
        TableSpec("gateway", "service_routes", len(ROUTES), single(routes_table, plan)),
        TableSpec(
            "gateway",
            "api_calls",
            plan.api_calls,
            lambda: calls_tables(plan),
            anomalies=lambda: route_anomalies(plan),
        ),
        TableSpec("gateway", "circuit_breakers", len(SERVICES), single(breakers_table, plan)),
        TableSpec("gateway", "audit_logs", len(audit_table(plan)), single(audit_table, plan)),
    ]
