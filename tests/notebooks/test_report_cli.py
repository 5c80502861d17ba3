"""``azora-nb report``: kernels, failures, secrets and the run record."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import nbformat
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from azora_nb.cli import main
from azora_nb.settings import Settings
from azora_nb.workspace import Workspace


def write_notebook(path: Path, parameters: str, *cells: str) -> Path:
    params = new_code_cell(parameters)
    params.metadata["tags"] = ["parameters"]
    nb = new_notebook(
        cells=[new_markdown_cell("# fixture"), params, *(new_code_cell(c) for c in cells)]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


@pytest.fixture
def run_cli(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)

    def run(*args: str):
        return CliRunner().invoke(main, ["report", *args], env={"AZORA_HOME": str(home)})

    return run


def outputs_text(path: Path) -> str:
    return json.dumps([c.get("outputs", []) for c in nbformat.read(path, 4).cells])


def test_kernel_runs_on_this_python_with_the_same_home(run_cli, tmp_path: Path, home: Path):
    nb = write_notebook(
        tmp_path / "where_am_i.ipynb",
        "label = 'x'",
        "import os, sys\nprint(sys.executable)\nprint(os.environ['AZORA_HOME'])",
        "import azora_nb as az\nprint(az.connect().settings.home)",
    )
    result = run_cli(str(nb), "-p", "label=y", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    text = outputs_text(tmp_path / "out" / "where_am_i.ipynb")
    assert json.dumps(sys.executable)[1:-1] in text
    assert str(home.resolve()) not in text  # no local paths in a report
    assert text.count("<AZORA_HOME>") == 2
    html = (tmp_path / "out" / "where_am_i.html").read_text()
    assert "print(sys.executable)" not in html  # code is hidden


def test_failing_cell_keeps_the_notebook_and_names_the_cell(run_cli, tmp_path: Path):
    nb = write_notebook(
        tmp_path / "fails_in_second_cell.ipynb",
        "limit = 3",
        "total = limit * 2\nprint(total)",
        "ledger = None  # the ledger is gone\nledger.rows()",
        "print('never runs')",
    )
    result = run_cli(str(nb), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "ledger = None  # the ledger is gone" in result.output
    assert "AttributeError" in result.output
    kept = tmp_path / "out" / "fails_in_second_cell.ipynb"
    assert str(kept) in result.output
    executed = nbformat.read(kept, 4)
    errors = [o for c in executed.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert [e.ename for e in errors] == ["AttributeError"]
    assert "6" in outputs_text(kept)  # cells before the failure kept their outputs
    assert (tmp_path / "out" / "fails_in_second_cell.html").exists()


def test_secret_parameters_never_reach_the_output(
    run_cli, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    nb = write_notebook(
        tmp_path / "prints_its_secrets.ipynb",
        "api_token = ''\ncore_dsn = ''\nas_of = ''",
        "print(api_token, core_dsn, as_of)",
        "raise ValueError(f'cannot use {api_token}')",
    )
    caplog.set_level(logging.DEBUG)
    result = run_cli(
        str(nb),
        "-p",
        "api_token=tok-81729",
        "-p",
        "core_dsn=postgresql://ana:pw-55419@db.example/core",
        "-p",
        "as_of=2026-10-31",
        "--out",
        str(tmp_path / "out"),
    )
    assert result.exit_code == 2
    out = tmp_path / "out"
    written = [
        (out / "prints_its_secrets.ipynb").read_text(),
        (out / "prints_its_secrets.html").read_text(),
        result.output,
        caplog.text,
    ]
    for text in written:
        assert "tok-81729" not in text
        assert "pw-55419" not in text
    assert "2026-10-31" in written[0]
    assert "cannot use ***" in written[0]


def test_unknown_parameters_and_reports_are_refused(run_cli, tmp_path: Path):
    nb = write_notebook(tmp_path / "takes_as_of.ipynb", "as_of = ''", "print(as_of)")
    result = run_cli(str(nb), "-p", "asof=2026-10-31")
    assert result.exit_code == 2
    assert "has no parameter asof" in result.output and "as_of" in result.output
    result = run_cli("treasure")
    assert result.exit_code == 2
    assert "unknown report 'treasure'" in result.output


def test_runs_are_recorded_in_the_core_database(run_cli, tmp_path: Path, home: Path):
    from azora_nb import migrate
    from azora_nb.schema.toolkit import report_runs

    with Workspace(Settings.load(env={"AZORA_HOME": str(home)}, cwd=home)) as ws:
        migrate.upgrade(ws, "core")
    ok = write_notebook(tmp_path / "succeeds.ipynb", "db_password = ''", "print('ok')")
    bad = write_notebook(tmp_path / "fails.ipynb", "n = 1", "1 / 0")
    assert run_cli(str(ok), "-p", "db_password=hunter2-x", "--out", str(tmp_path)).exit_code == 0
    assert run_cli(str(bad), "--out", str(tmp_path)).exit_code == 2
    with Workspace(Settings.load(env={"AZORA_HOME": str(home)}, cwd=home)) as ws:
        rows = ws.sql(sa.select(report_runs).order_by(report_runs.c.started_at))
    assert list(rows["report"]) == ["succeeds", "fails"]
    assert list(rows["status"]) == ["succeeded", "failed"]
    assert rows["parameters"].iloc[0] == {"db_password": "***"}
    assert "ZeroDivisionError" in rows["error"].iloc[1]
    assert rows["finished_at"].notna().all()


def test_parameter_values_are_typed_and_secrets_recognised():
    from azora_nb.exceptions import ConfigError
    from azora_nb.reports import masked, parse_parameters

    params = parse_parameters(
        [
            "days=30",
            "level=0.9",
            "strict=false",
            "core_url=none",
            "note=a=b",
            "api_key=k1",
            "dsn=postgresql://u:p4ss@h/db",
            "plain_url=postgresql://u@h/db",
        ]
    )
    assert params == {
        "days": 30,
        "level": 0.9,
        "strict": False,
        "core_url": None,
        "note": "a=b",
        "api_key": "k1",
        "dsn": "postgresql://u:p4ss@h/db",
        "plain_url": "postgresql://u@h/db",
    }
    shown = masked(params)
    assert shown["api_key"] == "***" and shown["dsn"] == "***"
    assert shown["plain_url"] == "postgresql://u@h/db" and shown["days"] == 30
    with pytest.raises(ConfigError, match="NAME=VALUE"):
        parse_parameters(["as of=2026"])
