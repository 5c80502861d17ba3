"""azora-nb: analytics over the Azora platform's databases, from JupyterLab.

>>> import azora_nb as az
>>> ws = az.connect()          # doctest: +SKIP
>>> ws.sql("select 1 as one")  # doctest: +SKIP

In a notebook, ``ws = az.notebook(core_url=..., as_of=...)`` also applies the figure
style and shows the report header.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# Light modules (no pandas, SQLAlchemy or NumPy), imported now. `notebook` must be:
# binding it lazily would lose to the submodule of the same name once that is imported.
from azora_nb.exceptions import AzoraError, ConfigError, QueryError, StoreUnavailable
from azora_nb.notebook import notebook
from azora_nb.settings import SOURCES, Settings

if TYPE_CHECKING:
    from azora_nb.cache import cached, provenance
    from azora_nb.workspace import Workspace, connect

    __version__: str

# The heavy public names, imported on first use: `import azora_nb` (and so the CLI's
# `azora-nb --help`) must not pay for pandas, SQLAlchemy and the cache.
_LAZY = {
    "Workspace": "azora_nb.workspace",
    "cached": "azora_nb.cache",
    "connect": "azora_nb.workspace",
    "provenance": "azora_nb.cache",
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        value: Any = _version()
    elif name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
    elif not name.startswith("_"):
        value = _submodule(name)  # `azora_nb.cache.stats` worked when all was imported
    else:
        raise AttributeError(f"module 'azora_nb' has no attribute {name!r}")
    globals()[name] = value  # later lookups skip this function
    return value


def _submodule(name: str) -> Any:
    try:
        return import_module(f"azora_nb.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"azora_nb.{name}":
            raise
        raise AttributeError(f"module 'azora_nb' has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("azora-nb")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def load_ipython_extension(ipython: object) -> None:
    """``%load_ext azora_nb``: the ``%sql`` magics, result captions and short errors."""
    from azora_nb.magic import register

    register(ipython)


__all__ = [
    "SOURCES",
    "AzoraError",
    "ConfigError",
    "QueryError",
    "Settings",
    "StoreUnavailable",
    "Workspace",
    "__version__",
    "cached",
    "connect",
    "notebook",
    "provenance",
]
