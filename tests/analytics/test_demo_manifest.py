"""On seeded demo data, the detectors find exactly the anomalies the manifest lists
(precision and recall 1.0, kind + keys), and every function agrees across backends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from azora_nb import demo, migrate, sync
from azora_nb.analytics import contracts, health, mining, rewards, treasury
from azora_nb.schema import mint as mint_schema
from azora_nb.workspace import Workspace

from .conftest import _open
from .handmade import AS_OF
from .test_parity import CALLS, _comparable

SCALE = 2_000
REWARD_KINDS = set(rewards.KINDS)
MINING_KINDS = {
    "rig_overheating",
    "rig_underperforming",
    "session_impossible_earnings",
    "session_unknown_pool",
    "minting_session_mismatch",
}
HEALTH_KINDS = {
    "alert_storm",
    "component_stuck_critical",
    "route_p99_degradation",
    "alert_unknown_component",
    "alert_resolution_out_of_order",
}
LEGACY_KINDS = {"legacy_allocation_sum", "legacy_valuation"}
LEDGER_KINDS = {"ledger_amount_not_positive", "ledger_times_out_of_order"}

Key = tuple[str, tuple[tuple[str, Any], ...]]


def _key(kind: str, keys: dict[str, Any]) -> Key:
    return kind, tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in keys.items()))


def _found(frame: pd.DataFrame) -> set[Key]:
    return {_key(k, v) for k, v in zip(frame["kind"], frame["keys"], strict=True)}


def _planted(manifest: demo.Manifest, kinds: set[str]) -> set[Key]:
    return {_key(a.kind, a.keys) for a in manifest.anomalies if a.kind in kinds}


@pytest.fixture(scope="session")
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str, str], tuple[Workspace, demo.Manifest]]]:
    """``seeded(backend, flavour)``: a workspace seeded at SCALE, and its manifest."""
    made: dict[tuple[str, str], tuple[Workspace, demo.Manifest]] = {}

    def get(backend: str, flavour: str = "standard") -> tuple[Workspace, demo.Manifest]:
        if (backend, flavour) not in made:
            home: Path = tmp_path_factory.mktemp(f"demo-{backend}-{flavour}")
            ws = _open(request, backend, home)
            for source in ws.sources:
                migrate.upgrade(ws, source)
            manifest = demo.seed(ws, scale=SCALE, flavour=flavour, progress=False)
            made[(backend, flavour)] = (ws, manifest)
        return made[(backend, flavour)]

    yield get
    for ws, _ in made.values():
        ws.close()


@pytest.fixture(params=("sqlite", "postgres"))
def demo_ws(
    request: pytest.FixtureRequest, seeded: Callable[..., Any]
) -> tuple[Workspace, demo.Manifest]:
    result: tuple[Workspace, demo.Manifest] = seeded(request.param)
    return result


def test_the_manifest_plants_every_kind(demo_ws: tuple[Workspace, demo.Manifest]) -> None:
    _, manifest = demo_ws
    kinds = {a.kind for a in manifest.anomalies}
    assert kinds == REWARD_KINDS | MINING_KINDS | HEALTH_KINDS | LEDGER_KINDS
    assert kinds == contracts.kinds()  # at least one violation of every invariant


def test_reward_audit_precision_and_recall_are_one(
    demo_ws: tuple[Workspace, demo.Manifest],
) -> None:
    ws, manifest = demo_ws
    assert _found(rewards.audit(ws, as_of=manifest.as_of)) == _planted(manifest, REWARD_KINDS)


def test_mining_detectors_match_the_manifest(demo_ws: tuple[Workspace, demo.Manifest]) -> None:
    ws, manifest = demo_ws
    assert _found(mining.anomalies(ws, as_of=manifest.as_of)) == _planted(manifest, MINING_KINDS)


def test_health_detectors_match_the_manifest(demo_ws: tuple[Workspace, demo.Manifest]) -> None:
    ws, manifest = demo_ws
    assert _found(health.anomalies(ws, as_of=manifest.as_of)) == _planted(manifest, HEALTH_KINDS)


def test_ledger_row_rules_match_the_manifest(demo_ws: tuple[Workspace, demo.Manifest]) -> None:
    ws, manifest = demo_ws
    found = _found(treasury.compliance_violations(ws))
    assert found == _planted(manifest, LEDGER_KINDS)  # and no constitutional violation
    assert set(treasury.compliance(ws)["table"]) == {"treasury_ledger"}  # no legacy copy


def test_legacy_flavour_violations_match_the_manifest(seeded: Callable[..., Any]) -> None:
    ws, manifest = seeded("sqlite", "legacy")
    assert _planted(manifest, LEGACY_KINDS)
    assert _found(treasury.compliance_violations(ws)) == _planted(
        manifest, LEGACY_KINDS | LEDGER_KINDS
    )
    assert _found(rewards.audit(ws, as_of=manifest.as_of)) == _planted(manifest, REWARD_KINDS)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_violations_limit_applies_per_check_in_ledger_id_order(
    backend: str, seeded: Callable[..., Any]
) -> None:
    ws, _ = seeded(backend, "legacy")
    every = treasury.compliance_violations(ws, limit=None)
    first = treasury.compliance_violations(ws, limit=2)
    assert (every["kind"].value_counts() > 2).any()  # the limit has rows to leave out
    for kind, found in every.groupby("kind", sort=False):
        ids = [keys["ledger_id"] for keys in found["keys"]]
        assert ids == sorted(ids)
        mine = first[first["kind"] == kind]
        assert [keys["ledger_id"] for keys in mine["keys"]] == ids[:2]
    assert list(first["kind"].unique()) == list(every["kind"].unique())


@pytest.mark.parametrize("name", sorted(CALLS))
def test_same_frame_on_both_backends_for_the_same_seed(
    name: str, seeded: Callable[..., Any]
) -> None:
    lite, manifest = seeded("sqlite")
    pg, _ = seeded("postgres")
    # The parity calls use the hand-built data's as_of, which is the demo's default.
    assert pd.Timestamp(manifest.as_of) == pd.Timestamp(AS_OF)
    lite_frame, pg_frame = (_comparable(CALLS[name](ws)) for ws in (lite, pg))
    pd.testing.assert_frame_equal(lite_frame, pg_frame, check_exact=False, rtol=1e-9, atol=1e-9)


def test_sync_lag_is_measured_in_data_time(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Lag is the newest source row minus the newest synced row: 0 after a run, the
    gap once the source moves on, whatever the wall clock says."""
    ws = _open(request, "sqlite", tmp_path)
    for source in ws.sources:
        migrate.upgrade(ws, source)
    demo.seed(ws, scale=1_000, sources=["core", "mint"], progress=False)
    sync.run(ws, "mint_users", progress=False)
    row = health.sync_lag(ws, as_of=AS_OF).set_index("sync_name").loc["mint_users"]
    assert row["last_status"] == "succeeded"
    assert row["rows_written"] > 0
    assert row["lag_hours"] == 0.0
    assert row["source_latest"] == row["synced_latest"] < pd.Timestamp(AS_OF)
    newest = row["source_latest"] + pd.Timedelta(hours=2)
    ws.execute(
        sa.insert(mint_schema.users).values(
            id="late-user",
            azoraId="AZ-late",
            walletAddress="0xlate",
            kycStatus="PENDING",
            createdAt=newest,
            updatedAt=newest,
        ),
        source="mint",
    )
    later = health.sync_lag(ws, as_of=AS_OF).set_index("sync_name").loc["mint_users"]
    assert later["lag_hours"] == pytest.approx(2.0)
    no_cursor = health.sync_lag(ws).set_index("sync_name").loc["mint_knowledge_rewards"]
    assert pd.isna(no_cursor["lag_hours"]) and "no cursor" in no_cursor["note"]
    ws.close()
