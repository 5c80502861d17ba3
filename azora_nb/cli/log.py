"""``azora-nb log``: the audit trail."""

from __future__ import annotations

import json

import click

from azora_nb.cli.app import connect, handle_errors, main
from azora_nb.settings import SOURCES


@main.command("log")
@click.option(
    "--source",
    "sources",
    type=click.Choice(SOURCES),
    multiple=True,
    help="Only this source (repeatable); default: every source.",
)
@click.option("-n", "limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the entries as JSON.")
@handle_errors
def log_(sources: tuple[str, ...], limit: int, as_json: bool) -> None:
    """Show the audit trail, newest first: who ran what on which database, when, and how
    it ended (sync runs, report runs, migrations, cache clears, demo resets).

    Entries a database could not take (a read-only role) come from <home>/audit.jsonl.
    """
    import pandas as pd

    from azora_nb import audit

    with connect() as ws:
        found = audit.entries(ws, sources or None, limit)
    if as_json:
        click.echo(json.dumps([e.to_dict() for e in found], indent=2, default=str))
        return
    if not found:
        click.echo("(no audit entries)")
        return
    frame = pd.DataFrame(
        [
            {
                "started": e.started_at.strftime("%Y-%m-%d %H:%M:%S"),
                "source": e.source,
                "action": e.action,
                "target": e.target or "",
                "outcome": e.outcome + (f": {e.error}" if e.error else ""),
                "rows": "" if e.rows is None else e.rows,
                "who": f"{e.db_role or '-'} / {e.os_user}@{e.host}",
                "stored": e.stored,
            }
            for e in found
        ]
    )
    click.echo(frame.to_string(index=False))
