"""Validate the curated notebooks with nbval as part of the README's test command.

``testpaths`` includes this directory, so ``python -m pytest`` collects the
notebooks here; this file turns on nbval for them (current environment's
kernel, the sanitize file in ``tests/notebooks``) and, before the first cell
runs, builds and seeds a throwaway SQLite demo home that the kernels find
through ``AZORA_HOME``. It does nothing for the notebooks when you use them in
JupyterLab.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SANITIZE = Path(__file__).resolve().parents[2] / "tests" / "notebooks" / "nbval_sanitize.cfg"


def pytest_configure(config: pytest.Config) -> None:
    option = config.option
    if not (option.nbval or option.nbval_lax):
        option.nbval = True
    if not option.nbval_kernel_name:
        option.nbval_current_env = True
    if option.nbval_sanitize_with is None:
        option.nbval_sanitize_with = str(SANITIZE)


_KERNEL_ENV = pytest.StashKey[dict[str, str]]()
_SAVED_ENV = pytest.StashKey[dict[str, str | None]]()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if config.option.collectonly or not any(_is_notebook(item) for item in items):
        return
    from azora_nb.mainjob import prepare
    from azora_nb.settings import Settings
    from azora_nb.workspace import Workspace

    home = config._tmp_path_factory.getbasetemp() / "demo-home"  # type: ignore[attr-defined]
    home.mkdir(exist_ok=True)
    settings = Settings.load(env={"AZORA_HOME": str(home)}, cwd=home)
    with Workspace(settings) as ws:
        prepare(ws)
    config.stash[_KERNEL_ENV] = {**settings.to_env(), "AZORA_PROGRESS": "0"}


def _is_notebook(item: pytest.Item) -> bool:
    return item.path.suffix == ".ipynb"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # nbval starts each notebook's kernel with this process's environment, so point
    # it at the demo home while notebooks run, and only then.
    env = item.config.stash.get(_KERNEL_ENV, None)
    if env is None or not _is_notebook(item) or _SAVED_ENV in item.config.stash:
        return
    item.config.stash[_SAVED_ENV] = {name: os.environ.get(name) for name in env}
    os.environ.update(env)


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    saved = item.config.stash.get(_SAVED_ENV, None)
    if saved is None or (nextitem is not None and _is_notebook(nextitem)):
        return
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    del item.config.stash[_SAVED_ENV]
