"""The committed notebooks: built by scripts/build_notebooks.py, executed, with outputs.

nbval passes a notebook without stored outputs silently, so these checks make
sure there is something for it to compare.
"""

from __future__ import annotations

import importlib.util
from types import ModuleType

import nbformat
import pytest
from notebook_outputs import CURATED, ROOT


def builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_notebooks", ROOT / "scripts" / "build_notebooks.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_four_curated_notebooks_are_there():
    assert [p.name for p in CURATED] == list(builder().NOTEBOOK_CELLS)


@pytest.mark.parametrize("path", CURATED, ids=lambda p: p.stem)
def test_notebook_matches_its_builder(path):
    stored = nbformat.read(path, 4)
    built = builder().build(path.name)
    assert [c.source for c in stored.cells] == [c.source for c in built.cells], (
        "edit scripts/build_notebooks.py and re-run it rather than editing the notebook"
    )


@pytest.mark.parametrize("path", CURATED, ids=lambda p: p.stem)
def test_every_code_cell_has_stored_outputs(path):
    nb = nbformat.read(path, 4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and "as_of" in params[0].source
    for cell in code:
        assert cell.execution_count is not None, cell.source
        if cell is not params[0]:
            assert cell.outputs, f"no stored output for: {cell.source.splitlines()[0]}"
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
    figures = [o for c in code for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(figures) >= 2
    assert any(c.cell_type == "markdown" and "Findings" in c.source for c in nb.cells)


@pytest.mark.parametrize("path", CURATED, ids=lambda p: p.stem)
def test_outputs_hold_nothing_volatile(path):
    text = path.read_text()
    for volatile in ("/tmp/", "/home/", "/root/", " at 0x", "papermill", '"execution"'):
        assert volatile not in text, volatile
