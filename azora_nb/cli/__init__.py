"""The ``azora-nb`` command: a thin layer over the library.

Each command group lives in its own module and registers itself on
:data:`main` when imported here.
"""

from __future__ import annotations

from azora_nb.cli import basic, cache, db, demo, log, notebooks, report, sync  # noqa: F401  (register)
from azora_nb.cli.app import main

__all__ = ["main"]
