"""azora-nb: analytics over the Azora platform's databases, from JupyterLab.

>>> import azora_nb as az
>>> ws = az.connect()          # doctest: +SKIP
>>> ws.sql("select 1 as one")  # doctest: +SKIP

In a notebook, ``ws = az.notebook(core_url=..., as_of=...)`` also applies the figure
style and shows the report header.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from azora_nb.cache import cached, provenance
from azora_nb.exceptions import AzoraError, ConfigError, QueryError, StoreUnavailable
from azora_nb.notebook import notebook
from azora_nb.settings import SOURCES, Settings
from azora_nb.workspace import Workspace, connect

try:
    __version__ = version("azora-nb")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"


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
