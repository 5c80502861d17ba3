"""The curated notebooks give the same text on PostgreSQL as the stored SQLite run."""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from notebook_outputs import CURATED, NOTEBOOKS, differences

from azora_nb.mainjob import prepare
from azora_nb.reports import kernel
from azora_nb.settings import Settings
from azora_nb.workspace import Workspace


def execute(nb: nbformat.NotebookNode, settings: Settings) -> nbformat.NotebookNode:
    fresh = copy.deepcopy(nb)
    for cell in fresh.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return kernel.execute(fresh, settings.to_env(), cwd=NOTEBOOKS, timeout=600)


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
