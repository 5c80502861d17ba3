"""One code style: ``ruff format`` and ``ruff check`` are clean across the repository,
notebooks' ``.py`` halves included, and the test command checks it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("command", [["format", "--check"], ["check"]], ids=["format", "lint"])
def test_ruff_is_clean(command: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ruff", *command, "--no-cache", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, (
        f"ruff {' '.join(command)} found problems; run `.venv/bin/ruff format .` and "
        f"`.venv/bin/ruff check --fix .`:\n{done.stdout[-3000:]}{done.stderr[-1000:]}"
    )
