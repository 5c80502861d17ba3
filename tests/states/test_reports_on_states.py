"""Every curated notebook runs to the end on every state of the corpus (SQLite) and on a
representative subset on PostgreSQL, with default parameters; no report creates a
database file. Also: a production-style core built by the services' own SQL, adopted,
then all four reports with their defaults."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from azora_nb import migrate
from azora_nb.reports.registry import REPORTS, curated_dir
from azora_nb.settings import SOURCES, Settings
from azora_nb.workspace import Workspace
from tests.migrations.conftest import PRODUCTION_SQL, run_sql_script
from tests.states.runner import Outcome, Run, run_states

AS_OF = "2026-10-31"
FOUR = ("treasury", "mining", "rewards", "health")
HERE = Path(__file__).resolve().parent


def _runs(states: dict[str, dict[str, str]]) -> list[Run]:
    runs = []
    for name, env in sorted(states.items()):
        runs.append(Run(name, env, {}))  # default as_of: from the data
        if name.endswith("handmade"):
            runs.append(Run(f"{name}@{AS_OF}", env, {"as_of": AS_OF}))
    return runs


def _databases(states: dict[str, dict[str, str]]) -> dict[str, set[str]]:
    return {
        name: {p.name for p in Path(env["AZORA_HOME"]).glob("*.sqlite")}
        for name, env in states.items()
    }


def _failures(outcomes: list[Outcome]) -> str:
    return "\n".join(f"{o.state}: {o.error}" for o in outcomes if o.error)


@pytest.mark.parametrize("report", FOUR)
def test_every_state_on_sqlite(
    report: str, sqlite_states: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    before = _databases(sqlite_states)
    outcomes = run_states(curated_dir() / REPORTS[report], _runs(sqlite_states), tmp_path)
    assert not _failures(outcomes)
    assert _databases(sqlite_states) == before, "a report created a database file"
    said = {o.state: o.outputs for o in outcomes}
    assert "Summary." in said["handmade"] or "Amount at risk" in said["handmade"]
    assert "azora-nb db upgrade --source" in said["nothing_configured"]


@pytest.mark.postgres
@pytest.mark.parametrize("report", FOUR)
def test_representative_states_on_postgres(
    report: str, postgres_states: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    outcomes = run_states(curated_dir() / REPORTS[report], _runs(postgres_states), tmp_path)
    assert not _failures(outcomes)


@pytest.mark.postgres
def test_production_core_adopted_then_four_reports_with_defaults(
    pg_database: Callable[[str], str], tmp_path: Path
) -> None:
    home = tmp_path / "azora-home"
    home.mkdir()
    core_url = pg_database("prodcore")
    run_sql_script(core_url, (PRODUCTION_SQL / "core.sql").read_text())
    run_sql_script(core_url, (HERE / "production_data.sql").read_text())
    env = {"AZORA_HOME": str(home), "AZORA_CACHE": "0", "AZORA_CORE_URL": core_url}
    env.update({f"AZORA_{s.upper()}_URL": "" for s in SOURCES if s != "core"})
    with Workspace(Settings.load(env=env, cwd=home)) as ws:
        migrate.adopt(ws, "core")
        migrate.upgrade(ws, "core")
        for source in ("mint", "gateway", "compliance"):  # freshly upgraded, empty
            migrate.upgrade(ws, source)
    for report in FOUR:
        outcomes = run_states(
            curated_dir() / REPORTS[report], [Run("production", env, {})], tmp_path
        )
        assert not _failures(outcomes), report
        assert "Amount at risk" in outcomes[0].outputs
