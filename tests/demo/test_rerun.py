"""Running ``seed`` again never duplicates data: it leaves the same run alone,
tops up sources still empty, and refuses anything else unless told to reset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from azora_nb import demo
from azora_nb.cli import main
from azora_nb.demo.manifest import manifest_path
from azora_nb.exceptions import SeedConflict
from azora_nb.settings import Settings
from azora_nb.workspace import Workspace
from tests.demo.conftest import SMALL


def ledger_rows(ws: Workspace) -> int:
    return int(ws.sql("select count(*) as n from treasury_ledger").n[0])


def test_the_same_run_again_changes_nothing(sqlite_ws: Workspace) -> None:
    first = demo.seed(sqlite_ws, scale=SMALL, progress=False)
    text = manifest_path(sqlite_ws.home).read_text()
    again = demo.seed(sqlite_ws, scale=SMALL, progress=False)
    assert set(again.outcome.values()) == {"already seeded"}
    assert ledger_rows(sqlite_ws) == SMALL
    assert again.counts == first.counts and again.anomalies == first.anomalies
    assert manifest_path(sqlite_ws.home).read_text() == text


def test_other_parameters_are_refused_then_replaced_with_reset(sqlite_ws: Workspace) -> None:
    demo.seed(sqlite_ws, scale=SMALL, progress=False)
    with pytest.raises(SeedConflict, match="--reset"):
        demo.seed(sqlite_ws, scale=SMALL, seed=1, progress=False)
    assert json.loads(manifest_path(sqlite_ws.home).read_text())["seed"] == 42
    with pytest.raises(SeedConflict, match="another demo run"):
        demo.seed(sqlite_ws, scale=2_000, sources=["mint"], reset=True, progress=False)
    manifest = demo.seed(sqlite_ws, scale=2_000, reset=True, progress=False)
    assert set(manifest.outcome.values()) == {"reset and seeded"}
    assert ledger_rows(sqlite_ws) == 2_000
    assert json.loads(manifest_path(sqlite_ws.home).read_text())["scale"] == 2_000


def test_a_partial_seed_is_topped_up(sqlite_ws: Workspace) -> None:
    part = demo.seed(sqlite_ws, scale=SMALL, sources=["mint"], progress=False)
    assert part.sources == ("mint",)
    assert {a.source for a in part.anomalies} == {"mint"}
    whole = demo.seed(sqlite_ws, scale=SMALL, progress=False)
    assert whole.outcome == {
        "core": "seeded",
        "mint": "already seeded",
        "gateway": "seeded",
        "compliance": "seeded",
    }
    fresh = demo.seed(sqlite_ws, scale=SMALL, reset=True, progress=False)
    assert fresh.to_dict() == whole.to_dict()


def test_data_of_unknown_origin_is_refused(sqlite_ws: Workspace) -> None:
    sqlite_ws.execute(
        'insert into service_routes (id, "serviceName", route, "targetUrl", '
        "method, \"updatedAt\") values ('r1', 's', '/', 'http://s/', 'GET', "
        "'2026-01-01 00:00:00.000000')",
        source="gateway",
    )
    with pytest.raises(SeedConflict, match="not seeded by this toolkit"):
        demo.seed(sqlite_ws, scale=SMALL, sources=["gateway"], progress=False)


def test_seeding_needs_the_schema(embedded_settings: Settings) -> None:
    from azora_nb.exceptions import SchemaError

    with Workspace(embedded_settings) as ws, pytest.raises(SchemaError, match="db upgrade"):
        demo.seed(ws, scale=SMALL, progress=False)


def test_cli_seed_reports_what_it_did(
    sqlite_ws: Workspace, monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    monkeypatch.setenv("AZORA_HOME", str(home))
    monkeypatch.chdir(home)
    runner = CliRunner()
    args = ["demo", "seed", "--scale", str(SMALL), "--quiet", "--source", "compliance"]
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "compliance  seeded" in first.output and "manifest:" in first.output
    again = runner.invoke(main, args)
    assert "already seeded" in again.output
    refused = runner.invoke(main, [*args[:-2], "--seed", "3"])
    assert refused.exit_code == 2 and "--reset" in refused.output
    bad = runner.invoke(main, ["demo", "seed", "--scale", "10"])
    assert bad.exit_code == 2 and "1000" in bad.output


def test_cli_demo_group_has_help() -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["demo", "--help"])
    assert result.exit_code == 0 and "seed" in result.output
    seed_help = runner.invoke(main, ["demo", "seed", "--help"])
    assert "--flavour" in seed_help.output and "--as-of" in seed_help.output
