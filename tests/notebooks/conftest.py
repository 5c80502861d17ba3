"""Fixtures for the notebook, report and main-job tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from azora_nb.settings import Settings
from azora_nb.workspace import Workspace


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An AZORA_HOME with migrated SQLite databases and the default demo data.

    It is the same directory notebooks/conftest.py seeds for nbval, so the data
    is generated once per test session.
    """
    from azora_nb.mainjob import prepare

    home = tmp_path_factory.getbasetemp() / "demo-home"
    home.mkdir(exist_ok=True)
    with Workspace(Settings.load(env={"AZORA_HOME": str(home)}, cwd=home)) as ws:
        prepare(ws)
    return home


@pytest.fixture
def demo_ws(demo_home: Path) -> Iterator[Workspace]:
    with Workspace(Settings.load(env={"AZORA_HOME": str(demo_home)}, cwd=demo_home)) as ws:
        yield ws
