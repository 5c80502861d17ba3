"""The root command group, shared options and error handling."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def _version() -> str:
    from azora_nb import __version__

    return __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_version(), "--version", prog_name="azora-nb")
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug).")
def main(verbose: int) -> None:
    """azora-nb: analytics toolkit for the Azora platform's data.

    Settings come from the environment, a .env file and azora.toml; see the
    README's Configuration section. With none set, everything runs on SQLite
    files and a disk cache under ./.azora.
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def handle_errors(func: F) -> F:
    """Turn any error into one clean line on stderr and exit code 2 (130 on Ctrl-C);
    see :mod:`azora_nb.cli.errors`. Click's own usage errors pass through."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except (Exception, KeyboardInterrupt) as exc:
            from azora_nb.cli.errors import report

            sys.exit(report(exc))

    return wrapper  # type: ignore[return-value]
