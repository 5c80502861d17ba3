"""Execute a curated notebook on many database states with one kernel.

Starting a kernel and importing pandas, matplotlib and azora-nb costs most of a
report's run time, so each notebook gets one kernel, and every state runs in
it from a clean namespace (``%reset -f``) with its own environment. A state
fails when any cell raises; the error names the cell.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbformat.v4 import new_code_cell

from azora_nb.reports.kernel import CurrentEnvKernelManager


@dataclass(frozen=True)
class Run:
    """One execution: the state's name, the environment its kernel sees, and the
    report parameters (injected after the parameters cell)."""

    state: str
    env: Mapping[str, str]
    parameters: Mapping[str, Any]


@dataclass(frozen=True)
class Outcome:
    state: str
    error: str | None
    outputs: str
    """Every text output of the run, for assertions about what the report said."""


def _text_of(cell: Any) -> str:
    parts: list[str] = []
    for output in cell.get("outputs", []):
        if "text" in output:
            parts.append(output["text"])
        data = output.get("data", {})
        for mime in ("text/markdown", "text/plain"):
            if mime in data:
                parts.append(data[mime])
                break
    return "\n".join(parts)


def run_states(notebook: Path, runs: Sequence[Run], cwd: Path, timeout: int = 300) -> list[Outcome]:
    """Run ``notebook`` once per item of ``runs`` in one kernel started in ``cwd``."""
    source = nbformat.read(notebook, as_version=4)
    client = NotebookClient(
        copy.deepcopy(source),
        kernel_manager_class=CurrentEnvKernelManager,
        timeout=timeout,
        resources={"metadata": {"path": str(cwd)}},
    )
    outcomes: list[Outcome] = []
    with client.setup_kernel(cwd=str(cwd)):
        for run in runs:
            nb = copy.deepcopy(source)
            client.nb = nb
            prelude = new_code_cell(
                "%reset -f\nimport os\nos.environ.update(" + json.dumps(dict(run.env)) + ")"
            )
            client.execute_cell(prelude, 0)
            error: str | None = None
            texts: list[str] = []
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                try:
                    client.execute_cell(cell, index)
                    texts.append(_text_of(cell))
                    if "parameters" in cell.metadata.get("tags", []):
                        injected = new_code_cell(
                            "\n".join(f"{k} = {v!r}" for k, v in run.parameters.items())
                        )
                        client.execute_cell(injected, index)
                except CellExecutionError as exc:
                    first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
                    error = f"cell {index} ({first!r}): {exc.ename}: {exc.evalue}"
                    break
            outcomes.append(Outcome(run.state, error, "\n".join(texts)))
    return outcomes
