"""The body of ``azora-nb demo`` run without a subcommand: the README's main job.

The ``demo`` group (azora_nb/cli/demo.py) calls :func:`run` from its callback.
"""

from __future__ import annotations

from pathlib import Path

import click

from azora_nb.cli.app import connect
from azora_nb.mainjob import run_main_job


def run(scale: int | None = None, seed: int | None = None, out_dir: Path | None = None) -> None:
    """Build, seed, sync and report; print the headlines and where the reports are."""
    with connect() as ws:
        click.echo(f"azora-nb demo: data in {ws.home}")
        result = run_main_job(
            ws,
            scale=scale,
            seed=seed,
            out_dir=out_dir,
            echo=lambda line: click.echo(f"  {line}"),
            progress=True,
        )
    click.echo("\nHeadlines")
    for line in result.headlines:
        click.echo(f"  {line}")
    click.echo("\nReports")
    for report in result.reports:
        click.echo(f"  {report.report:<9} {report.html}")
    click.echo(
        f"\ndone in {result.seconds:.0f} s. Explore the same data with: jupyter lab notebooks/"
    )
