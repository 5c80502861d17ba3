"""``az.notebook()``: one call connects, styles figures and shows the report header."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pytest

import azora_nb as az
from azora_nb import migrate
from azora_nb.notebook import figure_alt
from azora_nb.reports.header import report_header
from azora_nb.settings import Settings
from azora_nb.workspace import Workspace


def test_header_on_sqlite_shows_revisions_parameters_and_no_path(
    embedded_settings: Settings, home: Path
) -> None:
    with Workspace(embedded_settings) as ws:
        migrate.upgrade(ws, "core")
        header = report_header(
            ws,
            sources=("core", "mint"),
            as_of="2026-10-31",
            parameters={"months": 6, "api_token": "tok-5512"},
            title="Treasury analysis",
        )
    text = str(header)
    assert text.splitlines()[0] == "Treasury analysis"
    lines = dict(header.lines())
    assert lines["as of"] == "2026-10-31"
    assert lines["parameters"] == "months=6, api_token='***'"
    assert lines["core"] == f"embedded SQLite; revision {migrate.heads('core')[0]}"
    assert lines["mint"].startswith("embedded SQLite; not migrated: set AZORA_MINT_URL or run")
    assert f"azora-nb {az.__version__}" in lines["ran"]
    html = header._repr_html_()
    assert "tok-5512" not in text + html and str(home) not in text + html
    assert "<th scope='row'>core</th>" in html


@pytest.mark.postgres
def test_header_on_postgresql_masks_the_password_and_names_the_role(
    pg_env: dict[str, str], home: Path
) -> None:
    url = pg_env["AZORA_CORE_URL"].replace("://postgres@", "://postgres:pw-7731@")
    settings = Settings.load(env={**pg_env, "AZORA_CORE_URL": url}, cwd=home)
    with Workspace(settings) as ws:
        migrate.upgrade(ws, "core")
        core = dict(report_header(ws, sources=("core",)).lines())["core"]
    assert "pw-7731" not in core and "postgres:***@127.0.0.1" in core
    assert core.endswith(f"revision {migrate.heads('core')[0]}; as role postgres")


def test_an_unreachable_source_is_described_not_raised(home: Path) -> None:
    env = {
        "AZORA_HOME": str(home),
        "AZORA_GATEWAY_URL": "postgresql://ana:pw-1234@127.0.0.1:9/gateway",
        "AZORA_GATEWAY_CONNECT_TIMEOUT": "1",
    }
    with Workspace(Settings.load(env=env, cwd=home)) as ws:
        gateway = dict(report_header(ws, sources=("gateway",)).lines())["gateway"]
    assert gateway.startswith("postgresql://ana:***@127.0.0.1:9/gateway; unreachable: ")
    assert "pw-1234" not in gateway


def test_notebook_connects_styles_and_prints_the_header(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(home)
    monkeypatch.setenv("AZORA_HOME", str(home))
    core = f"sqlite:///{home / 'elsewhere.sqlite'}"
    ws = az.notebook(core_url=core, mint_url="", as_of="2026-10-31", parameters={"days": 7})
    try:
        assert ws.settings.source("core").url == core
        assert ws.settings.source("mint").embedded
        assert tuple(plt.rcParams["figure.figsize"]) == (9.0, 4.0)
    finally:
        ws.close()
    printed = capsys.readouterr().out
    assert "as of       2026-10-31" in printed and "days=7" in printed
    assert "\ncore  " in printed and "\nmint  " in printed and "gateway" not in printed


def test_figure_alt_text_comes_from_the_titles() -> None:
    fig, (left, right) = plt.subplots(1, 2)
    assert figure_alt(fig) == "figure with 2 chart(s)"
    left.set_title("Gas per month")
    right.set_title("Caps used")
    assert figure_alt(fig) == "Gas per month; Caps used"
    fig.suptitle("Treasury")
    assert figure_alt(fig) == "Treasury; Gas per month; Caps used"
    plt.close(fig)
