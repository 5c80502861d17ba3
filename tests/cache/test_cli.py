"""``azora-nb cache stats`` and ``azora-nb cache clear`` over both backends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import azora_nb as az
from azora_nb.cli import main
from azora_nb.workspace import Workspace


@pytest.fixture
def cli_env(
    cache_env: dict[str, str], home: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    monkeypatch.chdir(home)
    for name, value in cache_env.items():
        monkeypatch.setenv(name, value)
    return cache_env


def test_every_cache_command_has_help() -> None:
    runner = CliRunner()
    for args in (["cache"], ["cache", "stats"], ["cache", "clear"]):
        result = runner.invoke(main, [*args, "--help"])
        assert result.exit_code == 0
        assert len(result.output.strip().splitlines()) > 3


def test_stats_and_clear(cli_env: dict[str, str], ws: Workspace) -> None:
    ws.execute("create table t (id integer)")
    ws.sql("select * from t", cache=True)
    ws.sql("select * from t", cache=True)
    runner = CliRunner()

    result = runner.invoke(main, ["cache", "stats", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["backend"] == ws.cache.backend.name
    assert report["total"]["hits"] == 1 and report["total"]["misses"] == 1
    assert report["total"]["entries"] == 1

    table = runner.invoke(main, ["cache", "stats"])
    assert table.exit_code == 0
    assert "50%" in table.output and "core" in table.output

    invalidated = runner.invoke(main, ["cache", "clear", "--source", "core", "--table", "t"])
    assert invalidated.exit_code == 0 and "invalidated t in core" in invalidated.output
    assert not az.provenance(ws.sql("select * from t", cache=True)).cached

    refused = runner.invoke(main, ["cache", "clear"])  # the whole cache needs --yes
    assert refused.exit_code == 2 and "core entries (1 results)" in refused.output
    dry = runner.invoke(main, ["cache", "clear", "--dry-run"])
    assert dry.exit_code == 0 and "would delete core entries: 1" in dry.output
    cleared = runner.invoke(main, ["cache", "clear", "--yes"])
    assert cleared.exit_code == 0
    assert "deleted 1 cached result from every source" in cleared.output
    assert (
        json.loads(runner.invoke(main, ["cache", "stats", "--json"]).output)["total"]["entries"]
        == 0
    )
