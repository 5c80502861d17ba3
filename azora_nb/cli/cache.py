"""``azora-nb cache stats``, ``cache clear``, ``cache track`` and ``cache untrack``."""

from __future__ import annotations

import json

import click

from azora_nb.cli.app import connect, handle_errors, main
from azora_nb.exceptions import QueryError
from azora_nb.masking import mask_secrets
from azora_nb.settings import SOURCES


@main.group()
def cache() -> None:
    """Inspect and clear the query-result cache (Redis, or the disk cache under AZORA_HOME)."""


@cache.command()
@click.option("--json", "as_json", is_flag=True, help="Print the stats as JSON.")
@handle_errors
def stats(as_json: bool) -> None:
    """Show hits, misses, hit rate, entries, bytes and time saved, per source and in total."""
    from azora_nb.cache import stats as cache_stats

    with connect() as ws:
        report = cache_stats(ws)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    click.echo(f"backend: {report.backend} ({report.location})")
    if report.incomplete:
        click.echo(f"figures are incomplete: the cache failed ({report.incomplete})")
    frame = report.to_frame()
    frame["hit_rate"] = frame["hit_rate"].map(lambda r: "" if r != r or r is None else f"{r:.0%}")
    frame["bytes"] = frame["bytes"].map(_size)
    click.echo(
        frame[
            ["source", "hits", "misses", "hit_rate", "entries", "bytes", "saved_seconds"]
        ].to_string(index=False)
    )


@cache.command()
@click.option(
    "--source",
    "sources",
    type=click.Choice(SOURCES),
    multiple=True,
    help="Only this source (repeatable; default: every source).",
)
@click.option(
    "--table",
    "tables",
    multiple=True,
    metavar="TABLE",
    help="Invalidate results that read TABLE instead of deleting entries (repeatable).",
)
@click.option("--yes", is_flag=True, help="Clear every source's entries (refused otherwise).")
@click.option("--dry-run", is_flag=True, help="Say how many entries would go; delete nothing.")
@handle_errors
def clear(sources: tuple[str, ...], tables: tuple[str, ...], yes: bool, dry_run: bool) -> None:
    """Delete cached results, or with --table invalidate those that read given tables.

    Clearing the whole cache (no --source, no --table) needs --yes: a shared Redis
    cache is everyone's. Example: azora-nb cache clear --source core --table treasury_ledger
    """
    from azora_nb import audit
    from azora_nb.cache import clear as cache_clear
    from azora_nb.cache import stats as cache_stats
    from azora_nb.exceptions import DestructiveActionRefused

    with connect() as ws:
        chosen = tuple(dict.fromkeys(sources)) or ws.sources
        if not tables and (dry_run or not (sources or yes)):
            report = cache_stats(ws)
            held = [(f"{s} entries", report.source(s).entries) for s in chosen]
            if dry_run:
                for what, count in held:
                    click.echo(f"would delete {what}: {count}")
                return
            if any(count for _, count in held):
                raise DestructiveActionRefused(
                    "clearing the whole cache",
                    [(what, n) for what, n in held if n],
                    unit="results",
                    hint="Rerun with --yes to delete them, --source S for one source, or "
                    "--table T to invalidate what read a table.",
                )
        removed = 0
        for source in chosen:
            params = {"tables": list(tables)} if tables else {}
            with audit.action(ws, source, "cache.clear", target=source, params=params) as entry:
                entry.rows = cache_clear(ws, source, list(tables) if tables else None)
                removed += entry.rows
    where = ", ".join(sources) if sources else "every source"
    if tables:
        click.echo(f"invalidated {', '.join(tables)} in {where}")
    else:
        click.echo(f"deleted {removed} cached result{'s' if removed != 1 else ''} from {where}")


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


@cache.command()
@click.option("--source", type=click.Choice(SOURCES), default=None, help="Only this source.")
@handle_errors
def track(source: str | None) -> None:
    """Install change tracking (statement-level triggers) on the PostgreSQL sources, so that
    writes by any client are seen by the next cached lookup. `db upgrade` and `db adopt`
    do this too, where the role may."""
    _tracking(source, remove=False)


@cache.command()
@click.option("--source", type=click.Choice(SOURCES), default=None, help="Only this source.")
@handle_errors
def untrack(source: str | None) -> None:
    """Remove the change-tracking triggers and the azora_nb_cache schema; cached lookups
    then rely on the catalog's counters (a write shows within about a second)."""
    _tracking(source, remove=True)


def _tracking(source: str | None, *, remove: bool) -> None:
    import sqlalchemy as sa

    from azora_nb.cache import tracking

    with connect() as ws:
        for name in [source] if source else list(ws.sources):
            if not ws.engine(name).url.get_backend_name().startswith("postgresql"):
                if source:
                    click.echo(
                        f"{name}: SQLite needs no tracking (its file change counter is read)"
                    )
                continue
            try:
                with ws.engine(name).begin() as conn:
                    if remove:
                        done = tracking.remove(conn)
                        state = "removed" if done else "was not installed"
                        click.echo(f"{name}: change tracking {state}")
                    else:
                        tables = tracking.install(conn)
                        click.echo(f"{name}: change tracking on {len(tables)} tables")
            except sa.exc.DBAPIError as exc:
                detail = str(exc.orig or exc).strip().splitlines()[0]
                raise QueryError(
                    name,
                    mask_secrets(detail, ws.settings.secrets()),
                    hint="change tracking needs a role that owns the tables (and CREATE on "
                    "the database, for the azora_nb_cache schema)",
                ) from None
