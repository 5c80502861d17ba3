"""The curated notebooks give the same text on PostgreSQL as the stored SQLite run."""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from notebook_outputs import CURATED, NOTEBOOKS, differences

from azora_nb.mainjob import prepare
from azora_nb.reports import kernel_env, kernel_manager_for
from azora_nb.settings import Settings
from azora_nb.workspace import Workspace


def execute(nb: nbformat.NotebookNode, settings: Settings) -> nbformat.NotebookNode:
    fresh = copy.deepcopy(nb)
    for cell in fresh.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    NotebookClient(
        fresh,
        timeout=600,
        kernel_name="python3",
        kernel_manager_class=kernel_manager_for(kernel_env(settings)),
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    ).execute()
    return fresh


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
def test_postgresql_gives_the_stored_outputs(pg_settings: Settings, home: Path):
    with Workspace(pg_settings) as ws:
        prepare(ws)

    def compare(path: Path) -> list[str]:
        stored = nbformat.read(path, 4)
        return [f"{path.name} {p}" for p in differences(stored, execute(stored, pg_settings))]

    with ThreadPoolExecutor(max_workers=2) as pool:
        problems = [p for found in pool.map(compare, CURATED) for p in found]
    assert not problems, "\n".join(problems)
