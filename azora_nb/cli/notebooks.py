"""``azora-nb notebooks copy`` and ``azora-nb notebooks refresh``."""

from __future__ import annotations

from pathlib import Path

import click

from azora_nb.cli.app import handle_errors, main


@main.group()
def notebooks() -> None:
    """The curated notebooks: editable copies, and re-executing them."""


@notebooks.command()
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace notebooks DEST already has.")
@handle_errors
def copy(dest: Path, overwrite: bool) -> None:
    """Copy the curated notebooks, with their outputs, into DEST to edit in JupyterLab."""
    from azora_nb import curated

    for path in curated.copy(dest, overwrite=overwrite):
        click.echo(str(path))


@notebooks.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--prefer",
    type=click.Choice(["py", "ipynb"]),
    help="When a notebook and its .py differ, which one holds the right cells.",
)
@handle_errors
def refresh(paths: tuple[Path, ...], prefer: str | None) -> None:
    """Re-execute notebooks on fresh demo data and store their outputs.

    PATHS default to every curated notebook (azora_nb/notebooks/ of this checkout).
    Run it whenever a change moves what a curated notebook shows, then commit the
    .ipynb and .py pairs. Takes a minute or two: the demo data is built first.
    """
    from azora_nb import curated

    chosen = [p.with_suffix(".ipynb").resolve() for p in paths] or None
    done = curated.refresh(chosen, prefer=prefer, echo=click.echo)  # type: ignore[arg-type]
    click.echo(f"refreshed {len(done)} notebook(s)")
