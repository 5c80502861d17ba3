"""The CLI: help everywhere, status exit codes, sql output formats."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from azora_nb.cli import main


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = [prefix]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found.extend(_commands(command, (*prefix, name)))
        else:
            found.append((*prefix, name))
    return found


@pytest.mark.parametrize("path", _commands(main), ids=lambda p: " ".join(p) or "azora-nb")
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    command: click.Command = main
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    assert (command.help or "").strip(), f"azora-nb {' '.join(path)} has no help text"


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert "azora-nb, version" in result.output


def test_status_embedded_is_healthy(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(home)
    result = CliRunner().invoke(main, ["status", "--json"], env={"AZORA_HOME": str(home)})
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["overall"] == "healthy"
    states = {s["store"]: s["state"] for s in report["stores"]}
    # An empty home: nothing is built yet, and looking does not build it.
    assert states == {
        "core": "not created",
        "mint": "not created",
        "gateway": "not created",
        "compliance": "not created",
        "cache": "not created",
        "mongo": "not configured",
    }


def test_status_degraded_exit_code_and_masking(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(home)
    env = {
        "AZORA_HOME": str(home),
        "AZORA_REDIS_URL": "redis://:hush-hush@127.0.0.1:1/0",
        "AZORA_REDIS_CONNECT_TIMEOUT": "0.5",
    }
    result = CliRunner().invoke(main, ["status"], env=env)
    assert result.exit_code == 1
    assert "overall: degraded" in result.output
    assert "hush-hush" not in result.output


def test_status_down_when_no_source_answers(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(home)
    env = {"AZORA_HOME": str(home), "AZORA_CONNECT_TIMEOUT": "1"}
    for source in ("CORE", "MINT", "GATEWAY", "COMPLIANCE"):
        env[f"AZORA_{source}_URL"] = "postgresql://u:pw-here@127.0.0.1:1/x"
    result = CliRunner().invoke(main, ["status"], env=env)
    assert result.exit_code == 2
    assert "overall: down" in result.output
    assert "pw-here" not in result.output


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("csv", "n,label\n2,two"),
        ("json", '"label":"two"'),
        ("table", "label"),
    ],
)
def test_sql_formats(home: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, expected: str) -> None:
    monkeypatch.chdir(home)
    result = CliRunner().invoke(
        main,
        ["sql", "select :n + 1 as n, 'two' as label", "-p", "n=1", "--format", fmt],
        env={"AZORA_HOME": str(home)},
    )
    assert result.exit_code == 0, result.output
    assert expected in result.output.replace(" ", "") or expected in result.output


def test_sql_error_is_one_clean_line(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(home)
    result = CliRunner().invoke(
        main, ["sql", "select * from nowhere"], env={"AZORA_HOME": str(home)}
    )
    assert result.exit_code == 2
    assert result.output.startswith("error: query on core failed")
    assert "Traceback" not in result.output
