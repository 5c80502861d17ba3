"""Compare notebook outputs the way nbval does: text only, sanitized, cell by cell."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
NOTEBOOKS = ROOT / "azora_nb" / "notebooks"
CURATED = sorted(NOTEBOOKS.glob("0*.ipynb"))
REPORT_NOTEBOOKS = [p for p in CURATED if not p.name.startswith("00_")]
SANITIZE = HERE / "nbval_sanitize.cfg"
TEXT_KEYS = ("text/plain", "text/html")
IGNORE_TAGS = ("nbval-ignore-output", "nbval-skip")


def sanitizers(path: Path = SANITIZE) -> list[tuple[re.Pattern[str], str]]:
    """The ``regex:``/``replace:`` pairs of an nbval sanitize file."""
    pairs: list[tuple[re.Pattern[str], str]] = []
    regex: str | None = None
    for line in path.read_text().splitlines():
        if line.startswith("regex:"):
            regex = line.split(":", 1)[1].strip()
        elif line.startswith("replace:") and regex is not None:
            pairs.append((re.compile(regex), line.split(":", 1)[1].strip()))
            regex = None
    return pairs


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def checked_outputs(nb: nbformat.NotebookNode) -> dict[int, list[str]]:
    """Sanitized text outputs of every code cell nbval checks, by cell index."""
    rules = sanitizers()
    result: dict[int, list[str]] = {}
    for index, cell in enumerate(nb.cells):
        tags = cell.metadata.get("tags", [])
        if cell.cell_type != "code" or any(t in tags for t in IGNORE_TAGS):
            continue
        if "injected-parameters" in cell.metadata.get("tags", []):
            continue
        texts: list[str] = []
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                texts.append(f"{output.name}: {_text(output.text)}")
            elif output.output_type == "error":
                texts.append(f"error: {output.ename}: {output.evalue}")
            else:
                data: Mapping[str, Any] = output.get("data", {})
                texts.extend(f"{key}: {_text(data[key])}" for key in TEXT_KEYS if key in data)
        for pattern, replacement in rules:
            texts = [pattern.sub(replacement, t) for t in texts]
        result[index] = texts
    return result


def differences(expected: nbformat.NotebookNode, actual: nbformat.NotebookNode) -> list[str]:
    """Human-readable differences between two runs of the same notebook."""
    want, got = checked_outputs(expected), checked_outputs(actual)
    problems = []
    for index in sorted(set(want) | set(got)):
        if want.get(index) != got.get(index):
            cells = expected.cells
            first = cells[index].source.splitlines()[:1] if index < len(cells) else []
            problems.append(
                f"cell {index} {first}:\n  stored:   {want.get(index)}\n"
                f"  this run: {got.get(index)}"
            )
    return problems
