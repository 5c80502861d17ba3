"""``azora-nb report``: run a curated notebook and write it as HTML."""

from __future__ import annotations

from pathlib import Path

import click

from azora_nb.cli.app import connect, handle_errors, main


@main.command()
@click.argument("name")
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="Set a notebook parameter (repeatable), e.g. -p as_of=2026-10-31.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the executed notebook and the HTML  [default: <home>/reports]",
)
@handle_errors
def report(name: str, params: tuple[str, ...], out_dir: Path | None) -> None:
    """Run report NAME and render it to HTML with the code hidden.

    NAME is treasury, mining, rewards (or reward-audit), health, or the path of
    a notebook. The executed
    notebook is kept next to the HTML, also when a cell fails. Parameters whose
    names look like secrets (password, token, key...) never appear in the output.
    """
    from azora_nb.reports import parse_parameters, run_report

    parsed = parse_parameters(params)
    with connect() as ws:
        result = run_report(ws, name, parsed, out_dir, progress_bar=True)
    click.echo(
        f"{result.report}: {result.html} ({result.seconds:.1f} s; notebook {result.notebook})"
    )
