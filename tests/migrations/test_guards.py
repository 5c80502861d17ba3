"""Destructive migrations are guarded: dropping tables that hold rows needs
confirmation (and --dry-run lists them), and an adopted database is never
downgraded below the production schema."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from azora_nb import migrate
from azora_nb.cli import main
from azora_nb.exceptions import DestructiveActionRefused
from tests.migrations.conftest import (
    BACKENDS,
    PRODUCTION_SQL,
    MakeWorkspace,
    run_sql_script,
    url_of,
)


def _tables(ws, source: str) -> set[str]:
    return set(sa.inspect(ws.engine(source)).get_table_names())


def _snapshot(ws, source: str) -> None:
    with ws.engine(source).begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO azora_nb_metric_snapshots (as_of, metric, value) "
                "VALUES (:as_of, 'supply', 1.5)"
            ),
            {"as_of": "2026-10-31T00:00:00+00:00"},
        )


@pytest.mark.parametrize("backend", BACKENDS)
def test_downgrade_refuses_to_drop_tables_holding_rows(
    make_ws: MakeWorkspace, backend: str
) -> None:
    ws = make_ws(backend, "mint")
    migrate.upgrade(ws, "mint")
    _snapshot(ws, "mint")
    before = _tables(ws, "mint")

    with pytest.raises(DestructiveActionRefused) as refused:
        migrate.downgrade(ws, "mint", "base")
    assert ("azora_nb_metric_snapshots", 1) in refused.value.losses
    assert "azora_nb_metric_snapshots (1 rows)" in str(refused.value)
    assert "--yes" in str(refused.value)
    assert _tables(ws, "mint") == before
    assert migrate.current(ws, "mint") == migrate.heads("mint")[0]

    plan = migrate.downgrade(ws, "mint", "base", dry_run=True)
    assert plan.dry_run and plan.after is None
    assert ("azora_nb_metric_snapshots", 1) in plan.dropped
    assert "users" in dict(plan.dropped)
    assert _tables(ws, "mint") == before

    done = migrate.downgrade(ws, "mint", "base", confirm=True)
    assert done.after is None
    assert not _tables(ws, "mint") - {"alembic_version_mint"}


def test_downgrade_of_empty_tables_needs_no_confirmation(make_ws: MakeWorkspace) -> None:
    ws = make_ws("sqlite", "core")
    base = migrate.base_revision("core")
    migrate.upgrade(ws, "core")
    # The audit trail is not data to confirm; its entries move to the local file.
    assert migrate.downgrade(ws, "core", base).after == base
    assert "migrate.upgrade" in (ws.home / "audit.jsonl").read_text()


@pytest.mark.postgres
def test_an_adopted_database_is_never_downgraded_below_production(
    make_ws: MakeWorkspace,
) -> None:
    ws = make_ws("postgresql", "compliance")
    run_sql_script(url_of(ws, "compliance"), (PRODUCTION_SQL / "compliance.sql").read_text())
    base = migrate.adopt(ws, "compliance")
    migrate.upgrade(ws, "compliance")
    with pytest.raises(DestructiveActionRefused, match="adopted"):
        migrate.downgrade(ws, "compliance", "base", confirm=True)
    assert migrate.current(ws, "compliance") == migrate.heads("compliance")[0]
    # Down to the production schema is fine: only the toolkit's (empty) tables go.
    assert migrate.downgrade(ws, "compliance", base).after == base


def test_cli_downgrade_needs_yes_and_lists_with_dry_run(
    make_ws: MakeWorkspace, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("AZORA_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(home)
    ws = make_ws("sqlite", "core")
    migrate.upgrade(ws, "core")
    _snapshot(ws, "core")
    env = {"AZORA_HOME": str(home)}

    def run(*args: str):
        return CliRunner().invoke(main, list(args), env=env)

    refused = run("db", "downgrade", "--source", "core", "--to", "base")
    assert refused.exit_code == 2
    assert "azora_nb_metric_snapshots (1 rows)" in refused.output
    assert "Traceback" not in refused.output

    dry = run("db", "downgrade", "--source", "core", "--to", "base", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would drop" in dry.output and "azora_nb_metric_snapshots (1 rows)" in dry.output
    assert "azora_nb_metric_snapshots" in _tables(ws, "core")

    done = run("db", "downgrade", "--source", "core", "--to", "base", "--yes")
    assert done.exit_code == 0, done.output
    assert "dropped" in done.output
    assert "azora_nb_metric_snapshots" not in _tables(ws, "core")
