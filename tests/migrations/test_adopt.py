"""Adopting databases the services built: PostgreSQL databases made by the SQL the
services ran (written here from the data dictionary), and a SQLite one."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from azora_nb import migrate
from azora_nb.exceptions import SchemaError, SchemaMismatch
from azora_nb.schema import metadata_for, service_tables
from azora_nb.schema.compare import Difference
from azora_nb.settings import SOURCES
from tests.migrations.conftest import PRODUCTION_SQL, MakeWorkspace, run_sql_script, url_of

pytestmark = pytest.mark.postgres


def production_ws(make_ws: MakeWorkspace, source: str, script: str | None = None):
    ws = make_ws("postgresql", source)
    sql = script if script is not None else (PRODUCTION_SQL / f"{source}.sql").read_text()
    run_sql_script(url_of(ws, source), sql)
    return ws


@pytest.mark.parametrize("source", SOURCES)
def test_adopt_stamps_a_production_database_then_upgrade_adds_only_toolkit_tables(
    make_ws: MakeWorkspace, source: str
) -> None:
    ws = production_ws(make_ws, source)
    with pytest.raises(SchemaError, match="adopt"):
        migrate.upgrade(ws, source)

    assert migrate.adopt(ws, source) == migrate.base_revision(source)
    assert migrate.current(ws, source) == migrate.base_revision(source)

    result = migrate.upgrade(ws, source)
    assert result.after == migrate.heads(source)[0]
    assert all(name.startswith("azora_nb_") for name in result.changed)
    assert migrate.check(ws, source) == []
    # The services' own bookkeeping is left alone.
    if source != "core":
        assert "_prisma_migrations" in sa.inspect(ws.engine(source)).get_table_names()


def test_adopt_refuses_a_database_with_a_missing_column(make_ws: MakeWorkspace) -> None:
    script = (PRODUCTION_SQL / "core.sql").read_text().replace("    reason TEXT,\n", "", 1)
    ws = production_ws(make_ws, "core", script)
    with pytest.raises(SchemaMismatch) as caught:
        migrate.adopt(ws, "core")
    assert caught.value.differences == [
        Difference("missing column", "treasury_ledger", "reason", "TEXT")
    ]
    assert "missing column: treasury_ledger.reason" in str(caught.value)
    assert migrate.current(ws, "core") is None


def test_adopt_lists_missing_tables_and_type_differences(make_ws: MakeWorkspace) -> None:
    script = (PRODUCTION_SQL / "gateway.sql").read_text()
    script = script.replace('"responseTime" INTEGER NOT NULL', '"responseTime" TEXT NOT NULL')
    script = script.split('-- CreateTable\nCREATE TABLE "audit_logs"')[0]
    script += (
        'CREATE UNIQUE INDEX "circuit_breakers_serviceName_key" '
        'ON "circuit_breakers"("serviceName");'
    )
    ws = production_ws(make_ws, "gateway", script)
    with pytest.raises(SchemaMismatch) as caught:
        migrate.adopt(ws, "gateway")
    kinds = {(d.kind, d.table, d.column) for d in caught.value.differences}
    assert kinds == {("type", "api_calls", "responseTime"), ("missing table", "audit_logs", None)}
    assert "database has TEXT, expected INTEGER" in str(caught.value)


def test_adopt_refuses_managed_and_empty_databases(make_ws: MakeWorkspace) -> None:
    ws = make_ws("postgresql", "compliance")
    with pytest.raises(SchemaError, match="empty"):
        migrate.adopt(ws, "compliance")
    migrate.upgrade(ws, "compliance")
    with pytest.raises(SchemaError, match="already managed"):
        migrate.adopt(ws, "compliance")


def test_adopt_an_embedded_database_that_has_the_toolkit_tables_too(make_ws: MakeWorkspace) -> None:
    ws = make_ws("sqlite", "mint")
    metadata_for("mint").create_all(ws.engine("mint"))
    assert migrate.adopt(ws, "mint") == migrate.heads("mint")[0]
    assert migrate.check(ws, "mint") == []


def test_adopt_refuses_half_a_toolkit(make_ws: MakeWorkspace) -> None:
    ws = make_ws("sqlite", "gateway")
    tables = [*service_tables("gateway"), metadata_for("gateway").tables["azora_nb_sync_state"]]
    metadata_for("gateway").create_all(ws.engine("gateway"), tables=tables)
    with pytest.raises(SchemaMismatch, match="missing table: azora_nb_sync_runs"):
        migrate.adopt(ws, "gateway")
