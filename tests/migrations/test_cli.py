"""``azora-nb db ...`` through click's CliRunner, with AZORA_HOME in a tmp dir."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from azora_nb import migrate
from azora_nb.cli import main
from azora_nb.cli.db import db
from azora_nb.settings import SOURCES
from tests.migrations.conftest import PRODUCTION_SQL, MakeWorkspace, run_sql_script, url_of


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, home: Path):
    """``run(*args, env=...)`` invokes azora-nb with only the given settings."""
    for name in list(os.environ):
        if name.startswith("AZORA_") or name in ("DATABASE_URL", "MONGO_URI"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(home)

    def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(main, list(args), env={"AZORA_HOME": str(home), **(env or {})})

    return invoke


def pg_env(make_ws: MakeWorkspace, *sources: str) -> dict[str, str]:
    ws = make_ws("postgresql", *sources)
    return {f"AZORA_{s.upper()}_URL": url_of(ws, s) for s in sources}


def test_upgrade_all_builds_the_embedded_databases(run, home: Path) -> None:
    result = run("db", "upgrade", "--all")
    assert result.exit_code == 0, result.output
    assert {f"{s}.sqlite" for s in SOURCES} <= {p.name for p in home.glob("*.sqlite")}
    heads = {s: migrate.heads(s)[0] for s in SOURCES}
    assert all(f"{s}: base -> {heads[s]}" in result.output for s in SOURCES)

    check = run("db", "check", "--all")
    assert check.exit_code == 0, check.output
    assert check.output.count("matches the models") == len(SOURCES)
    current = run("db", "current", "--all")
    assert current.exit_code == 0
    assert all(f"{heads[s]} (head)" in current.output for s in SOURCES)


def test_check_exits_non_zero_showing_the_drift(run, home: Path) -> None:
    assert run("db", "upgrade", "--source", "core").exit_code == 0
    with sqlite3.connect(home / "core.sqlite") as conn:
        conn.execute("ALTER TABLE alerts DROP COLUMN component")
    result = run("db", "check", "--source", "core")
    assert result.exit_code == 1
    assert "missing column: alerts.component" in result.output


def test_check_of_an_empty_database_says_to_upgrade(run) -> None:
    result = run("db", "check", "--source", "gateway")
    assert result.exit_code == 1
    assert "azora-nb db upgrade --source gateway" in result.output


def test_downgrade_needs_a_target_and_removes_the_tables(run) -> None:
    assert run("db", "downgrade", "--source", "mint").exit_code == 2
    assert run("db", "upgrade", "--source", "mint").exit_code == 0
    refused = run("db", "downgrade", "--source", "mint", "--to", "base")
    assert refused.exit_code == 2  # the revision seeds rows in mint: dropping them needs --yes
    result = run("db", "downgrade", "--source", "mint", "--to", "base", "--yes")
    assert result.exit_code == 0, result.output
    assert "-> base" in result.output
    assert "mint: base (empty" in run("db", "current", "--source", "mint").output


def test_history_lists_every_revision(run) -> None:
    result = run("db", "history", "--all")
    assert result.exit_code == 0
    assert "base -> 20251027000000" in result.output
    assert result.output.count("(head)") == len(SOURCES)


@pytest.mark.parametrize(
    "args", [("db", "upgrade"), ("db", "current", "--source", "core", "--all")]
)
def test_source_or_all_is_required(run, args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert "--source NAME or --all" in result.output


def test_every_db_command_has_help(run) -> None:
    assert db.help
    for name, command in db.commands.items():
        assert command.help, name
        result = run("db", name, "--help")
        assert result.exit_code == 0
        assert "--source" in result.output
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{name} {param.name}"


@pytest.mark.postgres
def test_upgrade_and_check_all_on_postgresql(run, make_ws: MakeWorkspace) -> None:
    env = pg_env(make_ws, *SOURCES)
    result = run("db", "upgrade", "--all", env=env)
    assert result.exit_code == 0, result.output
    check = run("db", "check", "--all", env=env)
    assert check.exit_code == 0, check.output
    assert check.output.count("matches the models") == len(SOURCES)


@pytest.mark.postgres
def test_adopt_core_stamps_a_production_style_database(run, make_ws: MakeWorkspace) -> None:
    env = pg_env(make_ws, "core")
    run_sql_script(env["AZORA_CORE_URL"], (PRODUCTION_SQL / "core.sql").read_text())

    refused = run("db", "upgrade", "--source", "core", env=env)
    assert refused.exit_code == 2
    assert "azora-nb db adopt --source core" in refused.output

    adopted = run("db", "adopt", "--source", "core", env=env)
    assert adopted.exit_code == 0, adopted.output
    assert "core: adopted at 20251027000000" in adopted.output
    assert run("db", "upgrade", "--source", "core", env=env).exit_code == 0
    assert run("db", "check", "--source", "core", env=env).exit_code == 0


@pytest.mark.postgres
def test_adopt_refuses_with_a_readable_diff(run, make_ws: MakeWorkspace) -> None:
    env = pg_env(make_ws, "core")
    script = (PRODUCTION_SQL / "core.sql").read_text().replace("    reason TEXT,\n", "", 1)
    run_sql_script(env["AZORA_CORE_URL"], script)
    result = run("db", "adopt", "--source", "core", env=env)
    assert result.exit_code == 2
    assert "missing column: treasury_ledger.reason" in result.output
    assert "not managed" in run("db", "current", "--source", "core", env=env).output
