"""Every analytics function returns the same frame on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from azora_nb.analytics import (
    alerts,
    contracts,
    forecast,
    health,
    mining,
    rewards,
    sessions,
    treasury,
)
from azora_nb.workspace import Workspace

from .handmade import AS_OF

CALLS: dict[str, Callable[[Workspace], pd.DataFrame]] = {
    "treasury.flows": lambda ws: treasury.flows(ws, as_of=AS_OF),
    "treasury.net_supply": lambda ws: treasury.net_supply(ws, as_of=AS_OF),
    "treasury.allocation_split": lambda ws: treasury.allocation_split(ws, as_of=AS_OF),
    "treasury.compliance": treasury.compliance,
    "treasury.compliance_violations": treasury.compliance_violations,
    "treasury.confirmation_ageing": lambda ws: treasury.confirmation_ageing(ws, as_of=AS_OF),
    "treasury.gas_spend": lambda ws: treasury.gas_spend(ws, as_of=AS_OF),
    "treasury.founder_compensation": lambda ws: treasury.founder_compensation(ws, as_of=AS_OF),
    "treasury.allocation_caps": treasury.allocation_caps,
    "forecast.net_supply": lambda ws: forecast.net_supply(ws, as_of=AS_OF),
    "mining.daily": lambda ws: mining.daily(ws, as_of=AS_OF),
    "mining.efficiency": lambda ws: mining.efficiency(ws, as_of=AS_OF),
    "mining.share_rejection": lambda ws: mining.share_rejection(ws, as_of=AS_OF),
    "mining.session_outcomes": lambda ws: mining.session_outcomes(ws, as_of=AS_OF),
    "mining.overheating": lambda ws: mining.overheating(ws, as_of=AS_OF, threshold=70),
    "mining.rig_scores": lambda ws: mining.rig_scores(ws, as_of=AS_OF),
    "mining.impossible_earnings": lambda ws: mining.impossible_earnings(ws, as_of=AS_OF),
    "mining.earnings_vs_prices": lambda ws: mining.earnings_vs_prices(ws, as_of=AS_OF),
    "mining.anomalies": lambda ws: mining.anomalies(ws, as_of=AS_OF),
    "rewards.audit": lambda ws: rewards.audit(ws, as_of=AS_OF),
    "rewards.balance_roll_forward": rewards.balance_roll_forward,
    "rewards.invalid_amounts": rewards.invalid_amounts,
    "rewards.balance_mismatches": rewards.balance_mismatches,
    "health.freshness": lambda ws: health.freshness(ws, as_of=AS_OF).drop(columns="note"),
    "health.breaches": lambda ws: health.breaches(ws, as_of=AS_OF),
    "health.open_alerts": lambda ws: health.open_alerts(ws, as_of=AS_OF),
    "health.api_latency": lambda ws: health.api_latency(ws, as_of=AS_OF),
    "health.circuit_breakers": health.circuit_breakers,
    "health.anomalies": lambda ws: health.anomalies(ws, as_of=AS_OF),
    "sessions.anomalies": sessions.anomalies,
    "alerts.anomalies": alerts.anomalies,
    "contracts.invariants": lambda ws: contracts.invariants(),
}


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for name in out.columns:
        if out[name].dtype == object:
            out[name] = out[name].map(repr)
    return out


@pytest.mark.parametrize("name", sorted(CALLS))
def test_same_frame_on_both_backends(name: str, both: tuple[Workspace, Workspace]) -> None:
    lite, pg = (CALLS[name](ws) for ws in both)
    assert len(lite) > 0, f"{name} returned nothing: the parity check would be empty"
    pd.testing.assert_frame_equal(
        _comparable(lite), _comparable(pg), check_exact=False, rtol=1e-9, atol=1e-9
    )


def test_every_public_function_is_covered() -> None:
    covered = set(CALLS) | {
        f"health.{n}"
        for n in (
            "stores",
            "migrations",
            "cache_stats",
            "sync_lag",
            "alert_storms",
            "stuck_critical",
            "route_degradation",
        )
    }
    covered |= {f"mining.{n}" for n in ("underperforming", "modified_z")}
    covered |= {
        f"rewards.{n}"
        for n in rewards.__dict__
        if n.endswith(
            (
                "_ledger",
                "_reward",
                "mismatches",
                "reconcile",
                "pending",
                "created",
                "kyc",
                "duplicates",
            )
        )
    }
    covered |= {
        "forecast.linear_forecast",
        "forecast.trend",
        "treasury.month_start",
        "treasury.ledger_tables",
    }
    missing = []
    for module in (treasury, forecast, mining, rewards, health):
        for attr, value in vars(module).items():
            if (
                callable(value)
                and not attr.startswith("_")
                and getattr(value, "__module__", "") == module.__name__
            ):
                label = f"{module.__name__.rsplit('.', 1)[1]}.{attr}"
                if label not in covered:
                    missing.append(label)
    assert not missing, f"add these to the parity test: {missing}"
