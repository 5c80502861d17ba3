"""The root command group, shared options and error handling."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from azora_nb.workspace import Workspace

F = TypeVar("F", bound=Callable[..., Any])


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    # A callback, not click.version_option(__version__): reading the installed
    # version takes tens of milliseconds, which only --version should pay.
    if value and not ctx.resilient_parsing:
        from azora_nb import __version__

        click.echo(f"azora-nb, version {__version__}")
        ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and exit.",
)
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug).")
def main(verbose: int) -> None:
    """azora-nb: analytics toolkit for the Azora platform's data.

    Settings come from the environment, a .env file and azora.toml; see the
    README's Configuration section. With none set, everything runs on SQLite
    files and a disk cache under ./.azora.
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def connect() -> Workspace:
    """The workspace the settings describe. The commands' modules import the library
    inside their functions, through here for the workspace: `azora-nb --help` and every
    `azora-nb CMD --help` must not load pandas, SQLAlchemy or SciPy."""
    from azora_nb.workspace import connect as connect_workspace

    return connect_workspace()


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
