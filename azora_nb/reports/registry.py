"""Which reports exist and where their notebooks are.

The curated notebooks ship inside the package (``azora_nb/notebooks/``) and are read
through :mod:`importlib.resources`, so a report runs the same from a checkout and from
an installed wheel. A report is named by its short name or by the path of any notebook.
"""

from __future__ import annotations

import atexit
from collections.abc import Mapping
from contextlib import ExitStack
from importlib import resources
from pathlib import Path

from azora_nb.exceptions import ConfigError

REPORTS: Mapping[str, str] = {
    "treasury": "01_treasury_analysis.ipynb",
    "mining": "02_mining_performance.ipynb",
    "rewards": "03_reward_audit.ipynb",
    "reward-audit": "03_reward_audit.ipynb",
    "health": "04_health_report.ipynb",
}
"""Short report names and the curated notebook each one runs."""

MAIN_REPORTS: tuple[str, ...] = ("treasury", "mining", "rewards", "health")
"""The four curated reports, in the order the main job runs them."""

TUTORIAL = "00_getting_started.ipynb"
"""The getting-started notebook: curated and validated, but not a report."""

NOTEBOOKS = ("azora_nb", "notebooks")
"""Package and directory holding the curated notebooks (package data)."""

_extracted = ExitStack()
atexit.register(_extracted.close)


def curated_dir() -> Path:
    """The curated notebooks' directory as a real path (extracted if zipped)."""
    package, name = NOTEBOOKS
    root = resources.files(package).joinpath(name)
    if not root.joinpath(REPORTS["treasury"]).is_file():
        raise ConfigError(
            f"the curated notebooks were not found in the {package} package ({name}/ has no "
            f"{REPORTS['treasury']}): the installation is incomplete. Reinstall it with "
            "`pip install --force-reinstall azora-nb` (or `pip install -e .` in a checkout)."
        )
    return _extracted.enter_context(resources.as_file(root))


def curated_notebooks() -> list[Path]:
    """The getting-started tutorial and the report notebooks, in order."""
    root = curated_dir()
    names = [TUTORIAL, *dict.fromkeys(REPORTS.values())]
    return [root / name for name in names]


def resolve(name: str) -> tuple[str, Path]:
    """Turn a report name or notebook path into ``(short name, notebook path)``."""
    if name in REPORTS:
        short = "rewards" if name == "reward-audit" else name
        return short, curated_dir() / REPORTS[name]
    path = Path(name)
    if path.suffix == ".ipynb" and path.is_file():
        return path.stem, path.resolve()
    raise ConfigError(
        f"unknown report {name!r}: use one of {', '.join(REPORTS)} "
        f"or the path of an existing .ipynb file"
    )
