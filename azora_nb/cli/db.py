"""``azora-nb db``: build, upgrade, check and adopt the service databases' schemas."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from azora_nb.cli.app import connect, handle_errors, main
from azora_nb.settings import SOURCES

F = TypeVar("F", bound=Callable[..., Any])


def source_options(func: F) -> F:
    """``--source NAME`` (repeatable) or ``--all``, one of them."""
    func = click.option(
        "--all", "all_sources", is_flag=True, help=f"Every source, in order: {', '.join(SOURCES)}."
    )(func)
    func = click.option(
        "--source",
        type=click.Choice(SOURCES),
        multiple=True,
        help="A service database to work on (repeatable).",
    )(func)
    return func


def chosen(source: tuple[str, ...], all_sources: bool) -> tuple[str, ...]:
    """The sources named, in the order given and each once; or every source."""
    if source and all_sources:
        raise click.UsageError("give --source NAME or --all, not both")
    if not source and not all_sources:
        raise click.UsageError("give --source NAME or --all")
    return SOURCES if all_sources else tuple(dict.fromkeys(source))


@main.group()
def db() -> None:
    """Build, upgrade and check the schemas of the service databases.

    Each source has its own Alembic history under azora_nb/migrations/<source>/ and its
    own version table (alembic_version_<source>).
    """


@db.command()
@source_options
@click.option(
    "--to", "to", default="head", show_default=True, metavar="REV", help="Target revision."
)
@handle_errors
def upgrade(source: tuple[str, ...], all_sources: bool, to: str) -> None:
    """Upgrade the database(s) to a revision (default: the newest).

    On an empty database this builds the production schema and the toolkit's
    tables. A database the services built is refused: adopt it first.
    """
    from azora_nb import migrate

    with connect() as ws:
        for name in chosen(source, all_sources):
            click.echo(str(migrate.upgrade(ws, name, to)))


@db.command()
@source_options
@click.option(
    "--to",
    "to",
    required=True,
    metavar="REV",
    help="Target revision; 'base' removes every table the history made.",
)
@click.option("--yes", is_flag=True, help="Drop tables that hold rows (refused otherwise).")
@click.option("--dry-run", is_flag=True, help="List what would be dropped; change nothing.")
@handle_errors
def downgrade(
    source: tuple[str, ...], all_sources: bool, to: str, yes: bool, dry_run: bool
) -> None:
    """Downgrade the database(s) to a revision.

    Dropping tables that hold rows needs --yes; --dry-run lists them. An adopted
    database (built by the services) is never downgraded below the production schema.
    """
    from azora_nb import migrate

    with connect() as ws:
        for name in chosen(source, all_sources):
            click.echo(str(migrate.downgrade(ws, name, to, confirm=yes, dry_run=dry_run)))


@db.command()
@source_options
@handle_errors
def current(source: tuple[str, ...], all_sources: bool) -> None:
    """Show the revision each database is at, and whether it is the newest."""
    from azora_nb import migrate

    with connect() as ws:
        for name in chosen(source, all_sources):
            rev = migrate.current(ws, name)
            heads = migrate.heads(name)
            if rev is None and migrate.is_managed(ws, name):
                state = "base (empty; run azora-nb db upgrade)"
            elif rev is None:
                state = "not managed (run azora-nb db upgrade, or db adopt)"
            elif rev in heads:
                state = f"{rev} (head)"
            else:
                state = f"{rev} (behind head {', '.join(heads)})"
            click.echo(f"{name}: {state}")


@db.command()
@source_options
@handle_errors
def history(source: tuple[str, ...], all_sources: bool) -> None:
    """List the revisions of each history, newest first."""
    from azora_nb import migrate

    for name in chosen(source, all_sources):
        click.echo(f"{name}:")
        for rev in migrate.history(name):
            mark = " (head)" if rev.is_head else ""
            title = rev.message.splitlines()[0] if rev.message else ""
            click.echo(f"  {rev.down_revision or 'base'} -> {rev.revision}{mark}  {title}")


@db.command()
@source_options
@handle_errors
def check(source: tuple[str, ...], all_sources: bool) -> None:
    """Compare the models with the live database(s); exit 1 listing any difference."""
    from azora_nb import migrate

    drifted = False
    with connect() as ws:
        for name in chosen(source, all_sources):
            differences = migrate.check(ws, name)
            if not differences:
                click.echo(f"{name}: matches the models")
                continue
            drifted = True
            click.echo(f"{name}: {len(differences)} difference(s) from the models")
            for difference in differences:
                click.echo(f"  - {difference}")
    if drifted:
        sys.exit(1)


@db.command()
@source_options
@handle_errors
def adopt(source: tuple[str, ...], all_sources: bool) -> None:
    """Take over a database the services built (Prisma or their SQL).

    Checks that every table and column of the production-schema revision is
    there with the right type, then stamps that revision; nothing is created or
    altered. Run `azora-nb db upgrade` afterwards to add the toolkit's tables.
    """
    from azora_nb import migrate

    with connect() as ws:
        for name in chosen(source, all_sources):
            rev = migrate.adopt(ws, name)
            click.echo(f"{name}: adopted at {rev}")
