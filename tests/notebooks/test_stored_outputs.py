"""The curated notebooks: jupytext pairs whose .ipynb holds executed outputs.

nbval passes a notebook without stored outputs silently, so these checks make sure
there is something for it to compare; and a notebook opened and saved in JupyterLab
(which rewrites its metadata) must pass them too.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat
import pytest
from notebook_outputs import CURATED, REPORT_NOTEBOOKS

from azora_nb import curated
from azora_nb.reports import REPORTS


def test_the_curated_notebooks_are_there() -> None:
    names = [p.name for p in CURATED]
    assert names == ["00_getting_started.ipynb", *sorted(set(REPORTS.values()))]
    assert [p.name for p in curated.curated_notebooks()] == names


@pytest.mark.parametrize("path", CURATED, ids=lambda p: p.stem)
def test_the_pair_agrees(path: Path) -> None:
    assert not curated.pair_differences(path), (
        f"{path.name} and its .py differ: save it from JupyterLab with jupytext installed "
        f"(pip install -e '.[lab]'), or run `jupytext --sync {path}`"
    )


def jupyterlab_save(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """What opening a notebook in JupyterLab, running nothing and saving does to it."""
    saved = copy.deepcopy(nb)
    saved.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    saved.metadata["language_info"] = {
        "codemirror_mode": {"name": "ipython", "version": 3},
        "file_extension": ".py",
        "mimetype": "text/x-python",
        "name": "python",
        "nbconvert_exporter": "python",
        "pygments_lexer": "ipython3",
        "version": "3.11.7",
    }
    saved.metadata["jupytext"] = {"formats": "ipynb,py:percent"}
    for cell in saved.cells:
        cell.metadata["trusted"] = True
        if cell.cell_type == "code":
            cell.metadata["scrolled"] = False
            cell.metadata["execution"] = {"iopub.execute_input": "2026-12-04T16:00:00.000Z"}
        else:
            cell.metadata["jp-MarkdownHeadingCollapsed"] = True
    return saved


@pytest.mark.parametrize("path", CURATED, ids=lambda p: p.stem)
def test_opening_and_saving_in_jupyterlab_changes_nothing_that_matters(
    path: Path, tmp_path: Path
) -> None:
    stored = nbformat.read(path, 4)
    saved_path = tmp_path / path.name
    nbformat.write(jupyterlab_save(stored), saved_path)
    curated.paired_script(saved_path).write_text(curated.paired_script(path).read_text())
    assert not curated.pair_differences(saved_path)
    check_outputs(nbformat.read(saved_path, 4), report=path in REPORT_NOTEBOOKS)
    # and normalising takes it back to exactly what is stored
    normalised = curated.normalise(nbformat.read(saved_path, 4))
    assert nbformat.writes(normalised) + "\n" == path.read_text()


@pytest.mark.parametrize("path", CURATED, ids=lambda p: p.stem)
def test_stored_notebooks_are_normalised(path: Path) -> None:
    stored = nbformat.read(path, 4)
    assert nbformat.writes(curated.normalise(copy.deepcopy(stored))) + "\n" == path.read_text(), (
        f"{path.name} carries per-machine metadata: run `azora-nb notebooks refresh`"
    )


@pytest.mark.parametrize("path", CURATED, ids=lambda p: p.stem)
def test_every_code_cell_has_stored_outputs(path: Path) -> None:
    check_outputs(nbformat.read(path, 4), report=path in REPORT_NOTEBOOKS)


def check_outputs(nb: nbformat.NotebookNode, *, report: bool) -> None:
    code = [c for c in nb.cells if c.cell_type == "code"]
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and "as_of" in params[0].source
    for cell in code:
        assert cell.execution_count is not None, cell.source
        if cell is not params[0]:
            assert cell.outputs, f"no stored output for: {cell.source.splitlines()[0]}"
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
        assert "NBVAL_" not in cell.source, "nbval markers are cell tags (nbval-ignore-output)"
    figures = [o for c in code for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(figures) >= (2 if report else 1)
    for figure in figures:
        meta = figure.get("metadata", {}).get("image/png", {})
        assert meta.get("alt") and meta.get("width"), "figures are 2x PNGs with alt text"
    if report:
        assert any(c.cell_type == "markdown" and "Findings" in c.source for c in nb.cells)


@pytest.mark.parametrize("path", CURATED, ids=lambda p: p.stem)
def test_outputs_hold_no_local_path_or_address(path: Path) -> None:
    outputs = json.dumps([c.get("outputs", []) for c in nbformat.read(path, 4).cells])
    for volatile in ("/tmp/", "/home/", "/root/", "/work/", " at 0x"):
        assert volatile not in outputs, volatile
