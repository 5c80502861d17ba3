"""The curated notebooks: copies for analysts, metadata normalisation, re-execution.

Each curated notebook is a jupytext pair in ``azora_nb/notebooks/``: the ``.py``
(percent format) is the reviewed and merged text, the ``.ipynb`` holds the stored
outputs nbval compares against. JupyterLab with jupytext (the ``lab`` extra) saves
both; :func:`pair_differences` finds a pair that drifted apart.

>>> from azora_nb import curated
>>> curated.copy(Path("my-notebooks"))                           # doctest: +SKIP
>>> curated.refresh()                                            # doctest: +SKIP
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import nbformat

from azora_nb.exceptions import ConfigError
from azora_nb.reports.registry import curated_dir, curated_notebooks

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
KEPT_CELL_METADATA = ("tags",)
"""Cell metadata that means something (nbval and papermill read the tags); the rest
(collapsed, scrolled, execution timings, papermill's bookkeeping) is per-machine."""

PY_FORMAT = {
    "extension": ".py",
    "format_name": "percent",
    "notebook_metadata_filter": "-all",
    "cell_metadata_filter": "tags,-all",
}
"""How the ``.py`` half of a pair is written; ``azora_nb/notebooks/jupytext.toml`` says
the same to JupyterLab and the ``jupytext`` command."""

Prefer = Literal["py", "ipynb"]


def copy(dest: Path, *, overwrite: bool = False) -> list[Path]:
    """Copy the curated notebooks (with their stored outputs) into ``dest`` to edit."""
    dest.mkdir(parents=True, exist_ok=True)
    sources = curated_notebooks()
    clashes = [dest / p.name for p in sources if (dest / p.name).exists()]
    if clashes and not overwrite:
        raise ConfigError(
            f"{', '.join(str(p) for p in clashes)} already exist(s); "
            "pick another directory or pass --overwrite"
        )
    copied = []
    for source in sources:
        target = dest / source.name
        shutil.copyfile(source, target)
        copied.append(target)
    return copied


def normalise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip what differs from machine to machine, in place; returns ``nb``.

    Opening and saving a notebook in JupyterLab fills in the kernel's language_info,
    its own kernelspec name and per-cell view state; papermill adds timings. None of
    it is content, so none of it is kept.
    """
    nb.nbformat, nb.nbformat_minor = 4, 5
    kept = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    nb.metadata = nbformat.from_dict(kept)
    for index, cell in enumerate(nb.cells):
        cell.metadata = nbformat.from_dict(
            {k: cell.metadata[k] for k in KEPT_CELL_METADATA if cell.metadata.get(k)}
        )
        cell.setdefault("id", f"cell-{index:02d}")
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                if output.get("output_type") == "execute_result":
                    output.setdefault("metadata", {})
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
    return nb


def paired_script(notebook: Path) -> Path:
    """The ``.py`` (percent format) that pairs with ``notebook``."""
    return notebook.with_suffix(".py")


def _cells(nb: nbformat.NotebookNode) -> list[tuple[str, str, tuple[str, ...]]]:
    return [
        (c.cell_type, c.source.strip("\n"), tuple(c.metadata.get("tags", ()))) for c in nb.cells
    ]


def pair_differences(notebook: Path) -> list[str]:
    """How the ``.ipynb`` and its ``.py`` disagree on cells, sources and tags ([] if not)."""
    import jupytext

    script = paired_script(notebook)
    if not script.is_file():
        return [f"{script.name} is missing"]
    stored = _cells(nbformat.read(notebook, as_version=4))
    text = _cells(jupytext.read(script))
    if len(stored) != len(text):
        return [f"{notebook.name} has {len(stored)} cells, {script.name} {len(text)}"]
    return [
        f"cell {i}: {notebook.name} {a[0]} {a[2]} {a[1][:60]!r} != {script.name} "
        f"{b[0]} {b[2]} {b[1][:60]!r}"
        for i, (a, b) in enumerate(zip(stored, text, strict=True))
        if a != b
    ]


def _source_notebook(notebook: Path, prefer: Prefer | None) -> nbformat.NotebookNode:
    """The cells to execute: from the ``.py`` or the ``.ipynb`` of a pair."""
    import jupytext

    script = paired_script(notebook)
    if not script.is_file():
        return nbformat.read(notebook, as_version=4)
    differences = pair_differences(notebook) if notebook.is_file() else []
    if differences and prefer is None:
        raise ConfigError(
            f"{notebook.name} and {script.name} differ ({differences[0]}). Say which one "
            "is right: --prefer py (the text, e.g. after a merge) or --prefer ipynb "
            "(edited in JupyterLab without jupytext)"
        )
    if prefer == "ipynb" and notebook.is_file():
        return nbformat.read(notebook, as_version=4)
    nb = jupytext.read(script)
    if notebook.is_file():  # keep cell ids stable where cells line up
        old = nbformat.read(notebook, as_version=4).cells
        for cell, before in zip(nb.cells, old, strict=False):
            if "id" in before:
                cell["id"] = before["id"]
    return nb


def write_pair(nb: nbformat.NotebookNode, notebook: Path) -> None:
    """Write ``nb`` normalised to ``notebook`` and its ``.py``."""
    import jupytext

    normalise(nb)
    nbformat.write(nb, notebook)
    jupytext.write(nb, paired_script(notebook), fmt=PY_FORMAT)


def refresh(
    notebooks: Sequence[Path] | None = None,
    *,
    home: Path | None = None,
    prefer: Prefer | None = None,
    echo: Callable[[str], Any] = print,
) -> list[Path]:
    """Re-execute notebooks on fresh demo data and store their outputs, normalised.

    ``notebooks`` defaults to every curated one (in the package directory, i.e. the
    checkout for an editable install). The demo data is built in ``home`` (default: a
    temporary directory) with the default scale and seed, as the stored outputs expect.
    """
    from azora_nb.mainjob import prepare
    from azora_nb.reports import kernel
    from azora_nb.reports.scrub import local_paths, scrub
    from azora_nb.settings import Settings
    from azora_nb.workspace import Workspace

    paths = list(notebooks) if notebooks is not None else curated_notebooks()
    sources = {path: _source_notebook(path, prefer) for path in paths}  # refuse before work
    with tempfile.TemporaryDirectory(prefix="azora-refresh-") as tmp:
        data_home = home or Path(tmp) / "demo-home"
        data_home.mkdir(parents=True, exist_ok=True)
        settings = Settings.load(env={"AZORA_HOME": str(data_home)}, cwd=data_home)
        with Workspace(settings) as ws:
            prepare(ws, echo=echo)
        for path, nb in sources.items():
            echo(f"executing {path.name}")
            executed = kernel.execute(nb, settings.to_env(), cwd=path.parent)
            scrub(executed, settings.secrets(), local_paths(data_home, path.parent))
            write_pair(executed, path)
    return paths


__all__ = ["copy", "curated_dir", "normalise", "pair_differences", "refresh", "write_pair"]
