"""``azora-nb sync``: list, run, repair, status, dead-letters, replay, cancel, history."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

from azora_nb.cli.app import connect, handle_errors, main

if TYPE_CHECKING:
    import pandas as pd


@main.group()
def sync() -> None:
    """Move data between SQL sources and MongoDB, incrementally and idempotently.

    Definitions: the shipped ones plus azora-sync.toml in the project directory.
    """


@sync.command("list")
@handle_errors
def list_() -> None:
    """List the sync definitions: direction, source, target, key and cursor."""
    from azora_nb import sync as engine

    with connect() as ws:
        defs = engine.definitions(ws)
    frame = _frame(
        [
            {
                "name": name,
                "direction": d.direction,
                "source": d.source.describe(),
                "target": d.target.describe(),
                "key": ",".join(d.key),
                "cursor": d.cursor or "",
                "lag_s": d.lag,
            }
            for name, d in sorted(defs.items())
        ]
    )
    click.echo(frame.to_string(index=False) if len(frame) else "(no syncs defined)")


@sync.command()
@click.argument("name")
@click.option(
    "--full",
    is_flag=True,
    help="Read everything, ignoring the watermark (also picks up rows whose cursor is NULL).",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@handle_errors
def run(name: str, full: bool, quiet: bool) -> None:
    """Run the sync NAME from its watermark. Exit code 1 when records went to the
    dead-letter table or reconciliation found a difference."""
    from azora_nb import sync as engine

    with connect() as ws:
        result = engine.run(ws, name, full=full, progress=not quiet)
    _report(name, result)
    click.echo(f"watermark: {_wm(result.watermark_before)} -> {_wm(result.watermark_after)}")
    sys.exit(_exit_code(name, result))


@sync.command()
@click.argument("name")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@handle_errors
def repair(name: str, quiet: bool) -> None:
    """Compare NAME's source and target bucket by bucket and re-sync only the buckets
    that differ (deleting rows gone from the source when the definition asks). Exit
    code 1 when buckets still differ."""
    from azora_nb import sync as engine

    with connect() as ws:
        result = engine.repair(ws, name, progress=not quiet)
    _report(name, result)
    sys.exit(_exit_code(name, result))


def _report(name: str, result: Any) -> None:
    recon = result.reconciliation or {}
    deleted = f", deleted {result.rows_deleted}" if result.rows_deleted else ""
    click.echo(
        f"{result.name}: {result.status} in {result.seconds:.1f}s: read "
        f"{result.rows_read}, wrote {result.rows_written}{deleted}, dead {result.rows_dead}"
    )
    if not recon.get("checked"):
        return
    resynced = recon.get("buckets_resynced")
    redone = f", {resynced} re-synced" if resynced else ""
    if recon["ok"]:
        click.echo(
            f"reconciliation: ok ({recon['buckets']} buckets{redone}; source "
            f"{recon['source_count']}, target {recon['target_count']} rows)"
        )
        return
    click.echo(
        f"reconciliation: MISMATCH in {recon['buckets_differing']} of {recon['buckets']} "
        f"buckets{redone} (source {recon['source_count']}, target {recon['target_count']} rows):"
    )
    for bucket in recon["differ"]:
        click.echo(
            f"  bucket {bucket['range']}: source {bucket['source_count']}, "
            f"target {bucket['target_count']} rows"
        )
    if recon["buckets_differing"] > len(recon["differ"]):
        click.echo(f"  ... and {recon['buckets_differing'] - len(recon['differ'])} more")


def _exit_code(name: str, result: Any) -> int:
    recon = result.reconciliation or {}
    if result.rows_dead:
        click.echo(f"see: azora-nb sync dead-letters {name}")
    if recon.get("ok") is False:
        click.echo(
            f"fix: azora-nb sync repair {name}  (re-syncs only these buckets; rows gone "
            "from the source stay unless the definition sets deletes)"
        )
    return 1 if result.rows_dead or recon.get("ok") is False else 0


@sync.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@handle_errors
def status(as_json: bool) -> None:
    """Show each sync's watermark, last run and open dead letters."""
    from azora_nb import sync as engine

    with connect() as ws:
        rows = engine.status(ws)
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    frame = _frame([{**r, "watermark": _wm(r.get("watermark"))} for r in rows])
    click.echo(frame.fillna("").to_string(index=False) if len(frame) else "(no syncs defined)")


@sync.command("dead-letters")
@click.argument("name")
@click.option("--all", "show_all", is_flag=True, help="Include replayed ones.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON, with the raw records.")
@handle_errors
def dead_letters(name: str, show_all: bool, as_json: bool) -> None:
    """List the records of NAME that could not be written, with the reason."""
    from azora_nb import sync as engine

    with connect() as ws:
        rows = engine.dead_letters(ws, name, status=None if show_all else "dead")
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    if not rows:
        click.echo("(no dead letters)")
        return
    frame = _frame(
        [{k: r[k] for k in ("id", "status", "record_key", "reason", "created_at")} for r in rows]
    )
    click.echo(frame.to_string(index=False))


@sync.command()
@click.argument("name")
@handle_errors
def replay(name: str) -> None:
    """Retry the dead letters of NAME: re-read them from the source and merge those
    that now convert."""
    from azora_nb import sync as engine

    with connect() as ws:
        result = engine.replay(ws, name)
        left = len(engine.dead_letters(ws, name))
    click.echo(
        f"{name}: re-read {result.rows_read}, wrote {result.rows_written}, still dead {left}"
    )
    sys.exit(1 if left else 0)


@sync.command()
@click.argument("name")
@handle_errors
def cancel(name: str) -> None:
    """Ask the running run of NAME to stop after its current page."""
    from azora_nb import sync as engine

    with connect() as ws:
        asked = engine.cancel(ws, name)
    click.echo(f"{name}: cancel requested" if asked else f"{name}: not running")


@sync.command()
@click.argument("name")
@click.option("-n", "limit", default=10, show_default=True, help="How many runs.")
@handle_errors
def history(name: str, limit: int) -> None:
    """Show the latest runs of NAME: times, rows, watermarks, reconciliation."""
    from azora_nb import sync as engine

    with connect() as ws:
        rows = engine.history(ws, name, limit)
    if not rows:
        click.echo("(no runs)")
        return
    frame = _frame(
        [
            {
                "started": r["started_at"],
                "status": r["status"],
                "read": r["rows_read"],
                "written": r["rows_written"],
                "dead": r["rows_dead"],
                "watermark_after": _wm(r["watermark_after"]),
                "reconciled": (r["reconciliation"] or {}).get("ok", ""),
                "error": r["error"] or "",
            }
            for r in rows
        ]
    )
    click.echo(frame.to_string(index=False))


def _frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd  # here, not at the top: `azora-nb sync --help` stays fast

    return pd.DataFrame(records)


def _wm(raw: Any) -> str:
    if not raw:
        return "-"
    if isinstance(raw, dict):
        return str(raw.get("value"))
    return str(raw)
