"""How the CLI reports a failure: one line on stderr and exit code 2, never a traceback.

Library errors (:class:`~azora_nb.exceptions.AzoraError`) already say what to do
next. Anything else that escapes a command (a driver error, a file where a directory
should be...) is reported by its first line, with secrets masked; ``-vv`` logs the
traceback for a bug report.
"""

from __future__ import annotations

import logging

import click

from azora_nb.exceptions import AzoraError
from azora_nb.settings import mask_secrets

log = logging.getLogger("azora_nb")

EXIT_ERROR = 2
EXIT_INTERRUPTED = 130


def one_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line, secrets masked."""
    if isinstance(exc, AzoraError):
        text = str(exc)
    else:
        orig = getattr(exc, "orig", None)  # SQLAlchemy wraps the driver's error
        detail = str(orig if orig is not None else exc).strip()
        text = f"{_kind(exc)}: {detail}" if detail else _kind(exc)
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    flat = lines[0] if len(lines) == 1 else "; ".join(lines)
    return mask_secrets(flat)


def _kind(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return "file system error"
    module = type(exc).__module__
    if module.startswith(("sqlalchemy", "psycopg", "sqlite3")):
        return "database error"
    if module.startswith("redis"):
        return "Redis error"
    return type(exc).__name__


def report(exc: BaseException) -> int:
    """Print ``exc`` as one line on stderr and return the exit code to use."""
    if isinstance(exc, KeyboardInterrupt):
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    if not isinstance(exc, AzoraError):
        log.debug("unexpected error", exc_info=exc)
    click.echo(f"error: {one_line(exc)}", err=True)
    return EXIT_ERROR
