"""Fixtures for the demo-data tests: migrated workspaces on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from azora_nb import migrate
from azora_nb.settings import SOURCES, Settings
from azora_nb.workspace import Workspace

SMALL = 1_000
"""The smallest scale: fast, and still every anomaly kind is planted."""


def migrated(settings: Settings) -> Workspace:
    ws = Workspace(settings)
    for source in SOURCES:
        migrate.upgrade(ws, source)
    return ws


@pytest.fixture
def sqlite_ws(embedded_settings: Settings) -> Iterator[Workspace]:
    ws = migrated(embedded_settings)
    yield ws
    ws.close()


@pytest.fixture
def pg_ws(pg_settings: Settings) -> Iterator[Workspace]:
    ws = migrated(pg_settings)
    yield ws
    ws.close()


def embedded(home: Path) -> Settings:
    home.mkdir(parents=True, exist_ok=True)
    return Settings.load(env={"AZORA_HOME": str(home), "AZORA_CACHE": "0"}, cwd=home)
