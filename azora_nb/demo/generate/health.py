"""Operations: health checks of the platform's components and the alerts they raise.

Each component reports one metric on a fixed cadence over the last 90 days,
checked against its warning and critical thresholds; short incidents push it
over them now and then. Alerts arrive per component at least 40 s apart, so
clean data never holds 20 in 10 minutes. Planted: alert storms, and a
component that has been critical for more than a day at as_of.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyarrow as pa

from azora_nb.demo import values as v
from azora_nb.demo.generate import TableSpec
from azora_nb.demo.generate.people import users
from azora_nb.demo.manifest import Anomaly
from azora_nb.demo.plan import US_PER_DAY, US_PER_HOUR, US_PER_SECOND, Plan

# component, metric, typical value, warning threshold, critical threshold
COMPONENTS = (
    ("api-gateway", "p95_latency_ms", 180.0, 400.0, 800.0),
    ("treasury-service", "error_rate_pct", 0.4, 2.0, 5.0),
    ("mint-service", "queue_depth", 40.0, 500.0, 1000.0),
    ("mining-pool-proxy", "stale_share_pct", 1.0, 4.0, 8.0),
    ("compliance-engine", "check_latency_ms", 250.0, 1000.0, 3000.0),
    ("blockchain-node", "block_lag", 1.0, 6.0, 20.0),
    ("postgres-primary", "replication_lag_s", 0.5, 5.0, 30.0),
    ("redis-cache", "memory_used_pct", 55.0, 80.0, 92.0),
    ("notification-service", "delivery_failure_pct", 0.5, 3.0, 10.0),
    ("auth-service", "p95_latency_ms", 90.0, 300.0, 600.0),
)
HEALTH_DAYS = 90
GHOST_COMPONENT = "batch-scheduler"
"""The component of the planted alert_unknown_component: no health check reports on it."""
ALERT_TYPES = (
    "threshold_breach",
    "latency_spike",
    "error_rate",
    "service_down",
    "disk_space",
    "certificate_expiry",
    "security",
)
SEVERITIES = ("info", "warning", "error", "critical")
SEVERITY_P = (0.35, 0.38, 0.19, 0.08)
RESOLVE_MEDIAN_S = np.array([12 * 3600, 4 * 3600, 3600, 25 * 60])
MIN_ALERT_GAP_US = 40 * US_PER_SECOND
OPS_USERS = slice(4, 12)
"""Core users 4..11 are the operations team who resolve alerts."""


def check_interval_us(plan: Plan) -> int:
    minutes = max(5, min(60, 60 * 20_000 // plan.scale))
    return minutes * 60 * US_PER_SECOND


@lru_cache(maxsize=4)
def stuck_components(plan: Plan) -> dict[int, int]:
    """Component index -> when it went critical (µs)."""
    rng = plan.rng("stuck")
    chosen = rng.permutation(len(COMPONENTS))[: plan.rates.stuck_components]
    return {int(c): plan.end_us - int(rng.uniform(30, 60) * US_PER_HOUR) for c in chosen}


def health_table(plan: Plan) -> pa.Table:
    rng = plan.rng("health")
    step = check_interval_us(plan)
    at = np.arange(plan.end_us - HEALTH_DAYS * US_PER_DAY, plan.end_us, step, dtype=np.int64)
    n = len(at)
    hour = (at // US_PER_HOUR) % 24
    frames = []
    for c, (component, metric, typical, warn, crit) in enumerate(COMPONENTS):
        value = (
            typical * rng.lognormal(0, 0.15, n) * (1 + 0.3 * np.sin(2 * np.pi * (hour - 9) / 24))
        )
        # Incidents: a few checks in a row between the warning level and 1.5x critical.
        starts = np.flatnonzero(rng.random(n) < step / (5 * US_PER_DAY))
        for s in starts:
            length = int(rng.integers(1, 5))
            value[s : s + length] = rng.uniform(warn * 1.02, crit * 1.5, len(value[s : s + length]))
        value[-1] = typical  # the latest check of a clean component is healthy
        offline = rng.random(n) < 0.002
        offline[-1] = False
        since = stuck_components(plan).get(c)
        if since is not None:
            stuck = at >= since
            value[stuck] = crit * rng.uniform(1.2, 2.0, int(stuck.sum()))
            offline[stuck] = False
        status = np.where(value >= crit, "critical", np.where(value >= warn, "warning", "healthy"))
        status = np.where(offline, "offline", status)
        message = np.where(
            status == "critical",
            f"{metric} above critical threshold",
            np.where(
                status == "warning",
                f"{metric} above warning threshold",
                np.where(offline, "no heartbeat", "ok"),
            ),
        )
        frames.append(
            pa.table(
                {
                    "id": v.text(v.uuids(rng, n)),
                    "component": pa.array([component] * n),
                    "status": v.text(status.astype(object)),
                    "metric_name": pa.array([metric] * n),
                    "metric_value": v.num(value, 8, mask=offline),
                    "threshold_warning": v.num(np.full(n, warn), 8),
                    "threshold_critical": v.num(np.full(n, crit), 8),
                    "message": v.text(message.astype(object)),
                    "timestamp": v.ts(at + rng.integers(0, 5 * US_PER_SECOND, n)),
                }
            )
        )
    return pa.concat_tables(frames)


def stuck_anomalies(plan: Plan) -> list[Anomaly]:
    return [
        Anomaly(
            "component_stuck_critical", "core", "system_health", {"component": COMPONENTS[c][0]}
        )
        for c in sorted(stuck_components(plan))
    ]


@lru_cache(maxsize=4)
def _alerts(plan: Plan) -> tuple[pa.Table, list[Anomaly]]:
    rng = plan.rng("alerts")
    span = plan.end_us - plan.start_us
    share = rng.dirichlet(np.full(len(COMPONENTS), 3.0))
    counts = np.maximum(np.round(share * plan.alerts).astype(np.int64), 1)
    storms = rng.permutation(len(COMPONENTS))[: plan.rates.alert_storms]
    times, comps, storm_of = [], [], []
    for c, k in enumerate(counts):
        gaps = rng.exponential(1.0, k)
        t = plan.start_us + np.cumsum(
            MIN_ALERT_GAP_US + gaps / gaps.sum() * (span - (k + 1) * MIN_ALERT_GAP_US)
        )
        t = t.astype(np.int64)
        label = np.full(k, -1)
        if c in storms:
            storm_at = plan.end_us - int(rng.uniform(20, 300) * US_PER_DAY)
            t = t[
                (t < storm_at - 20 * 60 * US_PER_SECOND) | (t > storm_at + 30 * 60 * US_PER_SECOND)
            ]
            burst = storm_at + np.sort(
                rng.integers(
                    0, int(rng.uniform(3, 8) * 60) * US_PER_SECOND, int(rng.integers(20, 46))
                )
            )
            t = np.concatenate([t, burst])
            label = np.concatenate([np.full(len(t) - len(burst), -1), np.full(len(burst), c)])
        times.append(t)
        comps.append(np.full(len(t), c))
        storm_of.append(label)
    at = np.concatenate(times)
    comp = np.concatenate(comps)
    storm = np.concatenate(storm_of)
    n = len(at)
    severity = rng.choice(len(SEVERITIES), size=n, p=SEVERITY_P)
    severity[storm >= 0] = 3
    kind = rng.integers(0, len(ALERT_TYPES), n)
    kind[storm >= 0] = 0
    took = (rng.lognormal(np.log(RESOLVE_MEDIAN_S[severity]), 0.8) * US_PER_SECOND).astype(np.int64)
    resolved = at + took < plan.end_us
    ops = users(plan).core_ids[OPS_USERS]
    resolver = ops[rng.integers(0, len(ops), n)]
    ids = v.uuids(rng, n)
    names = [c[0] for c in COMPONENTS] + [GHOST_COMPONENT]
    # Planted: an alert from a component no health check watches, and one resolved
    # before it was raised; both away from the storms and already resolved.
    pick = plan.rng("alerts-planted")
    calm = np.flatnonzero((storm < 0) & resolved)
    ghost, early = (int(i) for i in pick.choice(calm, size=2, replace=False))
    comp = comp.copy()
    comp[ghost] = len(COMPONENTS)
    took = took.copy()
    took[early] = -int(pick.integers(5, 60)) * 60 * US_PER_SECOND
    titles = np.array(
        [
            f"{ALERT_TYPES[k].replace('_', ' ').capitalize()} on {names[c]}"
            for k, c in zip(kind.tolist(), comp.tolist(), strict=True)
        ],
        dtype=object,
    )
    table = pa.table(
        {
            "id": v.text(ids),
            "alert_type": v.pick(ALERT_TYPES, kind),
            "severity": v.pick(SEVERITIES, severity),
            "title": pa.array(titles, type=pa.string()),
            "message": pa.array(
                [
                    f"{names[c]}: {(COMPONENTS[c][1] if c < len(COMPONENTS) else 'heartbeat')}"
                    " out of range"
                    for c in comp.tolist()
                ]
            ),
            "component": v.pick(names, comp),
            "resolved": v.bools(resolved),
            "resolved_at": v.ts(at + took, mask=~resolved),
            "resolved_by": v.text(resolver, mask=~resolved),
            "created_at": v.ts(at),
        }
    )
    anomalies = [
        Anomaly(
            "alert_storm",
            "core",
            "alerts",
            {"component": names[c], "alert_ids": sorted(i.decode() for i in ids[storm == c])},
        )
        for c in sorted(int(s) for s in storms)
    ] + [
        Anomaly("alert_unknown_component", "core", "alerts", {"alert_id": ids[ghost].decode()}),
        Anomaly(
            "alert_resolution_out_of_order", "core", "alerts", {"alert_id": ids[early].decode()}
        ),
    ]
    return table, anomalies


def specs(plan: Plan) -> list[TableSpec]:
    interval = check_interval_us(plan)
    checks = len(range(plan.end_us - HEALTH_DAYS * US_PER_DAY, plan.end_us, interval))
    return [
        TableSpec(
            "core",
            "system_health",
            checks * len(COMPONENTS),
            lambda: iter([health_table(plan)]),
            anomalies=lambda: stuck_anomalies(plan),
        ),
        TableSpec(
            "core",
            "alerts",
            len(_alerts(plan)[0]),
            lambda: iter([_alerts(plan)[0]]),
            anomalies=lambda: _alerts(plan)[1],
        ),
    ]
