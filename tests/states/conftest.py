"""The corpus of database states, built once per test session into throwaway homes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from azora_nb.settings import SOURCES, Settings
from azora_nb.workspace import Workspace
from tests.states.corpus import STATES, State, generated_state

GENERATED_EXAMPLES = 3


def generated_states() -> list[State]:
    """Hypothesis-drawn states: fixed seed (derandomize), a bounded number of examples."""
    drawn: list[State] = []

    @settings(
        max_examples=GENERATED_EXAMPLES,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def draw(data: st.DataObject) -> None:
        drawn.append(generated_state(data.draw, str(len(drawn))))

    draw()
    return drawn


def build_sqlite(state: State, root: Path) -> dict[str, str]:
    """Build ``state`` into a fresh home under ``root``; the environment that reaches it."""
    home = root / state.name / "azora-home"
    home.mkdir(parents=True)
    env = {"AZORA_HOME": str(home), "AZORA_CACHE": "0"}
    env.update({f"AZORA_{s.upper()}_URL": "" for s in SOURCES})
    with Workspace(Settings.load(env=env, cwd=home)) as ws:
        state.build(ws)
    return env


def build_postgres(state: State, home: Path, make_db: Callable[[str], str]) -> dict[str, str]:
    env = {"AZORA_HOME": str(home), "AZORA_CACHE": "0"}
    env.update({f"AZORA_{s.upper()}_URL": make_db(f"st_{s}") for s in SOURCES})
    with Workspace(Settings.load(env=env, cwd=home)) as ws:
        state.build(ws)
    return env


@pytest.fixture(scope="session")
def sqlite_states(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """Every state of the corpus (hand-made and generated) on SQLite: name -> env."""
    root = tmp_path_factory.mktemp("states")
    return {s.name: build_sqlite(s, root) for s in (*STATES, *generated_states())}


@pytest.fixture(scope="session")
def postgres_states(
    tmp_path_factory: pytest.TempPathFactory, pg_database: Callable[[str], str]
) -> dict[str, dict[str, str]]:
    """The representative subset on PostgreSQL: name -> env."""
    root = tmp_path_factory.mktemp("pg-states")
    out = {}
    for state in STATES:
        if state.postgres:
            home = root / state.name
            home.mkdir()
            out[f"pg_{state.name}"] = build_postgres(state, home, pg_database)
    return out
