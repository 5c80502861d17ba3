"""Workspaces with real schemas for the notebook-ergonomics tests: the embedded default
and fresh PostgreSQL databases, both upgraded to head and holding a few rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from azora_nb import migrate
from azora_nb.settings import Settings
from azora_nb.workspace import Workspace

ALERT = (
    "insert into alerts (id, alert_type, severity, title, message, created_at) "
    "values ('6f1c9b1e-0000-4000-8000-0000000000a1', 'uptime', 'critical', 'down', "
    "'api down', '2026-10-01T00:00:00Z')"
)


def _upgraded(settings: Settings) -> Workspace:
    ws = Workspace(settings)
    for source in ("core", "mint"):
        migrate.upgrade(ws, source)
    return ws


@pytest.fixture
def sqlite_schema_ws(embedded_settings: Settings) -> Iterator[Workspace]:
    """The embedded default with core and mint built (gateway and compliance never made)."""
    ws = _upgraded(embedded_settings)
    yield ws
    ws.close()


@pytest.fixture
def pg_schema_ws(pg_env: dict[str, str], home: Path) -> Iterator[Workspace]:
    """Fresh PostgreSQL databases with core and mint built."""
    ws = _upgraded(Settings.load(env=pg_env, cwd=home))
    yield ws
    ws.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def schema_ws(request: pytest.FixtureRequest) -> Workspace:
    name = "sqlite_schema_ws" if request.param == "sqlite" else "pg_schema_ws"
    ws: Workspace = request.getfixturevalue(name)
    return ws


@pytest.fixture
def alert_row() -> Callable[[Workspace], None]:
    def insert(ws: Workspace) -> None:
        ws.execute(ALERT)

    return insert
