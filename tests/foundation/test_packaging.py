"""pyproject.toml and environment.yml list the same dependencies (conda cannot run here)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Where conda-forge's package name differs from PyPI's.
CONDA_NAMES = {"redis": "redis-py"}


def _name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9_.\-]+)", requirement)
    assert match, requirement
    return match.group(1).lower().replace("_", "-")


def test_environment_yml_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    # environment.yml is the development environment: the dependencies and the bench extra.
    wanted = project["dependencies"] + project["optional-dependencies"]["bench"]
    pypi = {CONDA_NAMES.get(_name(r), _name(r)) for r in wanted}
    conda: set[str] = set()
    in_deps = False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.startswith("dependencies:"):
            in_deps = True
            continue
        item = re.match(r"^  - ([A-Za-z0-9_.\-]+)", line)
        if in_deps and item and item.group(1) not in {"python", "pip"}:
            conda.add(item.group(1).lower())
    assert pypi == conda, {
        "only in pyproject": pypi - conda,
        "only in environment.yml": conda - pypi,
    }


def test_package_is_typed() -> None:
    assert (ROOT / "azora_nb" / "py.typed").exists()
