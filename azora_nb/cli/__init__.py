"""The ``azora-nb`` command: a thin layer over the library.

Each command group lives in its own module and registers itself on
:data:`main` when imported here.
"""

from __future__ import annotations

from azora_nb.cli.app import main
from azora_nb.cli import basic  # noqa: F401  (registers status, sql)
from azora_nb.cli import db  # noqa: F401  (registers the db group)
from azora_nb.cli import cache  # noqa: F401  (registers cache stats, cache clear)
from azora_nb.cli import report  # noqa: F401  (registers report)
from azora_nb.cli import sync  # noqa: F401  (registers the sync group)
from azora_nb.cli import demo  # noqa: F401  (registers the demo group: demo seed)

__all__ = ["main"]
