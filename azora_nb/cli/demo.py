"""``azora-nb demo``: the demo data (``demo seed``)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import click

from azora_nb.cli.app import connect, handle_errors, main
from azora_nb.demo import DEFAULT_AS_OF, DEFAULT_SCALE, DEFAULT_SEED, manifest_path
from azora_nb.demo.plan import FLAVOURS
from azora_nb.settings import SOURCES


@main.group(invoke_without_command=True)
@click.option(
    "--scale",
    type=click.IntRange(min=1_000),
    default=None,
    help="Main job: treasury ledger rows to seed  [default: the demo's default]",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Main job: directory for the HTML reports  [default: <home>/reports]",
)
@click.pass_context
@handle_errors
def demo(ctx: click.Context, scale: int | None, out_dir: Path | None) -> None:
    """Demo data: a deterministic Azora platform with planted anomalies.

    Without a subcommand, the README's main job: build the embedded databases,
    seed them, sync into analysis, run the four curated notebooks, write their
    HTML reports and print the headline findings. Re-running it is safe.
    """
    if ctx.invoked_subcommand is None:
        from azora_nb.cli import mainjob

        mainjob.run(scale=scale, out_dir=out_dir)


def _as_of(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"expected a date like 2026-10-31, got {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@demo.command("seed")
@click.option(
    "--scale",
    type=click.IntRange(min=1_000),
    default=DEFAULT_SCALE,
    show_default=True,
    help="Treasury ledger rows; other tables grow in proportion.",
)
@click.option(
    "--seed",
    "seed_",
    type=click.IntRange(min=0),
    default=DEFAULT_SEED,
    show_default=True,
    help="Random seed: the same seed gives the same rows.",
)
@click.option(
    "--as-of",
    default=DEFAULT_AS_OF.date().isoformat(),
    show_default=True,
    help="End of the data's year (UTC date or ISO timestamp).",
)
@click.option(
    "--source",
    "sources",
    multiple=True,
    type=click.Choice(SOURCES),
    help="Seed only this source (repeatable); default: all four.",
)
@click.option(
    "--reset", is_flag=True, help="Empty the service tables first, replacing whatever is there."
)
@click.option(
    "--flavour",
    type=click.Choice(FLAVOURS),
    default="standard",
    show_default=True,
    help="legacy adds ledger rows that break the constitutional rules.",
)
@click.option(
    "--yes", is_flag=True, help="With --reset: replace rows that no demo seed wrote, too."
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@handle_errors
def seed_command(
    scale: int,
    seed_: int,
    as_of: str,
    sources: tuple[str, ...],
    reset: bool,
    flavour: str,
    yes: bool,
    quiet: bool,
) -> None:
    """Fill the sources with demo data and write <home>/demo/manifest.json.

    Run `azora-nb db upgrade --all` first. Without --reset, a source that
    already holds this very run is left alone, an empty one is filled (topping
    up a partial seed), and one holding anything else is refused.

    Example: azora-nb demo seed --scale 100000 --seed 7
    """
    from azora_nb.demo import seed

    with connect() as ws:
        manifest = seed(
            ws,
            scale=scale,
            seed=seed_,
            as_of=_as_of(as_of),
            sources=sources or None,
            reset=reset,
            flavour=flavour,
            progress=not quiet,
            confirm=yes,
        )
        path = manifest_path(ws.home)
    for source, what in manifest.outcome.items():
        rows = sum(manifest.counts.get(source, {}).values())
        click.echo(f"{source:<11} {what:<17} {rows:>12,} rows")
    kinds = Counter(a.kind for a in manifest.anomalies)
    click.echo(f"planted anomalies: {sum(kinds.values())} ({len(kinds)} kinds)")
    click.echo(f"manifest: {path}")


@demo.command("check")
@click.option("--show", default=20, show_default=True, help="Missed or extra findings listed.")
@handle_errors
def check_command(show: int) -> None:
    """Run every detector on the seeded demo data and compare with its manifest.

    One line per finding kind: planted, found, missed, extra. Exits 1 when a
    planted anomaly is missed or a finding was not planted (precision or recall
    below 1), listing them. Works at any scale, on SQLite or PostgreSQL.

    Example: azora-nb demo seed --scale 100000 && azora-nb demo check
    """
    import sys

    from azora_nb.demo import read_manifest
    from azora_nb.demo.check import check

    with connect() as ws:
        manifest = read_manifest(ws.home)
        if manifest is None:
            raise click.ClickException(
                f"no demo data here (no {manifest_path(ws.home)}): run `azora-nb demo seed` first"
            )
        result = check(ws, manifest)
    click.echo(result.table.to_string(index=False))
    totals = result.table[["planted", "found", "missed", "extra"]].sum()
    click.echo(
        f"planted {totals['planted']:,}, found {totals['found']:,}: "
        f"missed {totals['missed']:,}, extra {totals['extra']:,}"
    )
    for label, frame in (("missed", result.missed), ("extra", result.extra)):
        for kind, keys in list(zip(frame["kind"], frame["keys"], strict=True))[:show]:
            click.echo(f"{label}: {kind} {keys}")
    sys.exit(0 if result.exact else 1)
