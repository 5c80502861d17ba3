"""``azora-nb status`` and ``azora-nb sql``."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from azora_nb.cli.app import connect, handle_errors, main
from azora_nb.settings import SOURCES

if TYPE_CHECKING:
    import pandas as pd


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@handle_errors
def status(as_json: bool) -> None:
    """Show every store: configured, reachable, latency, version.

    Exit code 0 when healthy, 1 when degraded, 2 when down. Unknown settings (a typo
    in azora.toml or an AZORA_* variable) are listed and make it at least degraded.
    """
    with connect() as ws:
        report = ws.status()
        problems = ws.settings.warnings
    overall, code = report.overall, report.exit_code
    if problems and code == 0:
        overall, code = "degraded", 1
    if as_json:
        data = {**report.to_dict(), "overall": overall, "config_warnings": list(problems)}
        click.echo(json.dumps(data, indent=2, default=str))
    else:
        raw = report.to_frame().astype(object)
        frame = raw.where(raw.notna(), "")
        click.echo(frame.to_string(index=False))
        for problem in problems:
            click.echo(f"config: {problem}")
        click.echo(f"\noverall: {overall}")
    sys.exit(code)


@main.command()
@click.argument("query")
@click.option(
    "--source",
    type=click.Choice(SOURCES),
    default="core",
    show_default=True,
    help="Which service database to query.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="Bind a :NAME placeholder (repeatable). Values are bound, never formatted.",
)
@handle_errors
def sql(query: str, source: str, fmt: str, params: tuple[str, ...]) -> None:
    """Run QUERY on a source and print the result.

    Example: azora-nb sql "select severity, count(*) from alerts group by 1"
    """
    bound: dict[str, str] = {}
    for item in params:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--param")
        bound[name] = value
    with connect() as ws:
        frame = ws.sql(query, bound, source=source)
    click.echo(render(frame, fmt))


def render(frame: pd.DataFrame, fmt: str) -> str:
    """Render a frame for the terminal, as CSV or as JSON records."""
    if fmt == "csv":
        return frame.to_csv(index=False).rstrip("\n")
    if fmt == "json":
        return frame.to_json(orient="records", date_format="iso", indent=2) or "[]"
    if frame.empty:
        if len(frame.columns) == 0:
            return "(no rows)"
        return frame.to_string(index=False) + "\n(0 rows)"
    return frame.to_string(index=False, max_rows=200)
