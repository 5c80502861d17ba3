"""Workspaces loaded with the hand-built dataset, on SQLite and on PostgreSQL.

The loaded workspaces are shared by a whole session: tests read them, and the
snapshot tests clean up the one table they write.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from azora_nb.settings import SOURCES, Settings
from azora_nb.workspace import Workspace

from . import handmade

BACKENDS = ("sqlite", "postgres")


def _settings(
    backend: str, home: Path, pg_database: Callable[[str], str] | None, redis_url: str | None
) -> Settings:
    env = {"AZORA_HOME": str(home)}
    if backend == "postgres":
        assert pg_database is not None and redis_url is not None
        env.update(
            {
                "AZORA_REDIS_URL": redis_url,
                "AZORA_CACHE_PREFIX": f"azt-analytics-{uuid.uuid4().hex[:8]}",
            }
        )
        for source in SOURCES:
            env[f"AZORA_{source.upper()}_URL"] = pg_database(f"an_{source}")
    return Settings.load(env=env, cwd=home)


def _open(request: pytest.FixtureRequest, backend: str, home: Path) -> Workspace:
    if backend == "postgres":
        pg_database = request.getfixturevalue("pg_database")
        redis_url = request.getfixturevalue("redis_url")
        return Workspace(_settings(backend, home, pg_database, redis_url))
    return Workspace(_settings(backend, home, None, None))


@pytest.fixture(scope="session")
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], Workspace]]:
    """``loaded("sqlite")`` / ``loaded("postgres")``: a workspace holding the hand-built
    data, built once per session."""
    made: dict[str, Workspace] = {}

    def get(backend: str) -> Workspace:
        if backend not in made:
            ws = _open(request, backend, tmp_path_factory.mktemp(f"analytics-{backend}"))
            handmade.load(ws)
            made[backend] = ws
        return made[backend]

    yield get
    for ws in made.values():
        ws.close()


@pytest.fixture(params=BACKENDS)
def ws(request: pytest.FixtureRequest, loaded: Callable[[str], Workspace]) -> Workspace:
    """The loaded workspace on each backend (read only)."""
    return loaded(request.param)


@pytest.fixture
def both(loaded: Callable[[str], Workspace]) -> tuple[Workspace, Workspace]:
    """The loaded SQLite and PostgreSQL workspaces, for parity tests."""
    return loaded("sqlite"), loaded("postgres")
