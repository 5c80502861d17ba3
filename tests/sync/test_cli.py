"""``azora-nb sync``: every command has help; list, run, status, dead-letters, replay
and cancel on an embedded workspace."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from azora_nb.cli import main
from azora_nb.settings import Settings
from azora_nb.workspace import Workspace
from tests.sync.conftest import N_ROWS, _prepare, rewards

PROJECT_FILE = """
[sync.cli_rewards]
source = { sql = "mint", table = "rewards" }
target = { sql = "core", table = "cli_rewards" }
key = "id"
cursor = "updatedAt"
types = { points = "integer" }
batch_rows = 100
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "project"
    directory.mkdir()
    (directory / "azora-sync.toml").write_text(PROJECT_FILE)
    for name in list(os.environ):
        if name.startswith("AZORA_") or name in ("DATABASE_URL", "MONGO_URI"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AZORA_HOME", str(directory / ".azora"))
    monkeypatch.chdir(directory)
    with Workspace(Settings.load()) as ws:
        _prepare(ws)
        with ws.engine("mint").begin() as conn:
            conn.execute(rewards.update().where(rewards.c.id == "r00002").values(points="two"))
    return directory


def test_every_sync_command_has_help() -> None:
    runner = CliRunner()
    group = main.commands["sync"]
    assert group.help
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        assert command.help, name
        result = runner.invoke(main, ["sync", name, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output


def test_list_run_status_dead_letters_replay(project: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(main, ["sync", "list"])
    assert listed.exit_code == 0
    assert "cli_rewards" in listed.output and "mint_knowledge_rewards" in listed.output

    ran = runner.invoke(main, ["sync", "run", "cli_rewards", "--quiet"])
    assert ran.exit_code == 1, ran.output  # one dead letter
    assert f"read {N_ROWS}, wrote {N_ROWS - 1}, dead 1" in ran.output
    assert "reconciliation: ok" in ran.output

    status = runner.invoke(main, ["sync", "status", "--json"])
    rows = {r["name"]: r for r in json.loads(status.output)}
    assert rows["cli_rewards"]["last_status"] == "succeeded"
    assert rows["cli_rewards"]["dead_letters"] == 1

    letters = runner.invoke(main, ["sync", "dead-letters", "cli_rewards"])
    assert '["r00002"]' in letters.output and "'two' is not an integer" in letters.output

    with Workspace(Settings.load()) as ws, ws.engine("mint").begin() as conn:
        conn.execute(sa.update(rewards).where(rewards.c.id == "r00002").values(points="2"))
    replayed = runner.invoke(main, ["sync", "replay", "cli_rewards"])
    assert replayed.exit_code == 0 and "wrote 1, still dead 0" in replayed.output

    again = runner.invoke(main, ["sync", "run", "cli_rewards", "--quiet", "--full"])
    assert again.exit_code == 0 and "wrote 0, dead 0" in again.output
    assert "not running" in runner.invoke(main, ["sync", "cancel", "cli_rewards"]).output
    history = runner.invoke(main, ["sync", "history", "cli_rewards"])
    assert history.output.count("succeeded") == 3


def test_unknown_sync_is_a_clean_error(project: Path) -> None:
    result = CliRunner().invoke(main, ["sync", "run", "nope"])
    assert result.exit_code == 2
    assert "no sync named 'nope'" in result.output
