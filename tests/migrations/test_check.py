"""``check`` finds drift between the models and a live database, and migrations
invalidate cached results of the tables they change."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from azora_nb import migrate
from azora_nb.exceptions import QueryError
from azora_nb.schema.compare import Difference
from tests.migrations.conftest import MakeWorkspace


@pytest.mark.postgres
def test_check_reports_each_kind_of_drift_on_postgresql(make_ws: MakeWorkspace) -> None:
    ws = make_ws("postgresql", "core")
    migrate.upgrade(ws, "core")
    with ws.engine("core").begin() as conn:
        conn.exec_driver_sql("ALTER TABLE alerts DROP COLUMN component")
        conn.exec_driver_sql("ALTER TABLE users ALTER COLUMN jurisdiction TYPE text")
        conn.exec_driver_sql("ALTER TABLE alerts ALTER COLUMN title DROP NOT NULL")
        conn.exec_driver_sql("DROP INDEX idx_alerts_severity")
        conn.exec_driver_sql("CREATE TABLE notes (id int)")
    found = {(d.kind, d.table, d.column) for d in migrate.check(ws, "core")}
    assert found == {
        ("missing column", "alerts", "component"),
        ("type", "users", "jurisdiction"),
        ("nullable", "alerts", "title"),
        ("missing index", "alerts", None),
        ("extra table", "notes", None),
    }


@pytest.mark.postgres
def test_check_accepts_the_portable_types_on_postgresql(make_ws: MakeWorkspace) -> None:
    ws = make_ws("postgresql", "mint")
    migrate.upgrade(ws, "mint")
    with ws.engine("mint").connect() as conn:
        types = dict(
            conn.execute(
                sa.text(
                    "SELECT column_name, "
                    "data_type || coalesce('(' || datetime_precision || ')', '') "
                    "FROM information_schema.columns WHERE table_name = 'knowledge_rewards'"
                )
            ).all()
        )
    assert types["rewardAmount"] == "double precision"
    assert types["createdAt"] == "timestamp without time zone(3)"
    assert migrate.check(ws, "mint") == []


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_migration_invalidates_cached_results(make_ws: MakeWorkspace, backend: str) -> None:
    ws = make_ws(backend, "core")
    migrate.upgrade(ws, "core")
    query = "select count(*) as n from azora_nb_report_runs"
    assert ws.sql(query, cache=True, tables=["azora_nb_report_runs"])["n"].tolist() == [0]
    migrate.downgrade(ws, "core", migrate.base_revision("core"))
    # Served from the cache, this would still say 0; the table is gone.
    with pytest.raises(QueryError, match="azora_nb_report_runs"):
        ws.sql(query, cache=True, tables=["azora_nb_report_runs"])


def test_difference_reads_as_one_line() -> None:
    assert (
        str(Difference("type", "users", "jurisdiction", "database has TEXT"))
        == "type: users.jurisdiction (database has TEXT)"
    )
