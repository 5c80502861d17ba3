"""The plans of the report queries that took over a second on a million ledger rows
(docs/query-audit.md), checked with EXPLAIN on a small ledger with planner statistics:
the real statements, as the analytics functions build them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from azora_nb import migrate
from azora_nb.analytics import _sql, forecast, treasury
from azora_nb.schema import report_indexes
from azora_nb.workspace import Workspace
from tests.migrations.conftest import BACKENDS, MakeWorkspace

LEDGER_ROWS = 20_000
AS_OF = "2026-10-31"


def _fill_ledger(conn: sa.Connection) -> None:
    """A year of confirmed ledger rows (mints, burns, transfers), with statistics."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "insert into treasury_ledger (id, tx_hash, transaction_type, amount_azr, amount_usd,"
            " blockchain_status, gas_used, gas_price_wei, created_at)"
            " select gen_random_uuid(), md5(i::text),"
            " (array['mint', 'burn', 'transfer'])[1 + mod(i, 3)], 1, 1, 'confirmed', 21000,"
            " 1000000000, timestamptz '2025-11-01' + (i * interval '26 minutes')"
            f" from generate_series(1, {LEDGER_ROWS}) as i"
        )
    else:
        conn.exec_driver_sql(
            "with recursive n(i) as (select 1 union all select i + 1 from n"
            f" where i < {LEDGER_ROWS}) insert into treasury_ledger (id, tx_hash,"
            " transaction_type, amount_azr, amount_usd, blockchain_status, created_at)"
            " select printf('%08d-0000-4000-8000-000000000000', i), hex(randomblob(16)),"
            " 'mint', 1, 1, 'confirmed',"
            " strftime('%Y-%m-%d %H:%M:%f000', '2025-11-01', printf('+%d minutes', i * 26))"
            " from n"
        )
    conn.exec_driver_sql("analyze treasury_ledger")


@pytest.fixture
def capture(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """The statements the analytics functions run (they still run)."""
    seen: list[Any] = []
    real = _sql.run

    def recording(ws: Workspace, stmt: Any, source: str, **kw: Any) -> Any:
        seen.append(stmt)
        return real(ws, stmt, source, **kw)

    monkeypatch.setattr(_sql, "run", recording)
    yield seen


def _sql_text(stmt: Any, engine: sa.Engine) -> str:
    return str(stmt.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))


def _pg_plan(conn: sa.Connection, sql: str) -> dict[str, Any]:
    (plan,) = conn.exec_driver_sql("explain (format json) " + sql).scalar_one()
    return dict(plan["Plan"])


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


MONTHLY: dict[str, Callable[[Workspace], Any]] = {
    "treasury.flows": lambda ws: treasury.flows(ws, as_of=AS_OF, cache=False),
    "treasury.net_supply": lambda ws: treasury.net_supply(ws, as_of=AS_OF, cache=False),
    "treasury.gas_spend": lambda ws: treasury.gas_spend(ws, as_of=AS_OF, cache=False),
    "treasury.founder_compensation": lambda ws: treasury.founder_compensation(
        ws, as_of=AS_OF, cache=False
    ),
    "forecast.net_supply": lambda ws: forecast.net_supply(ws, as_of=AS_OF, cache=False),
}


@pytest.mark.parametrize("name", list(MONTHLY))
def test_monthly_ledger_aggregations_hash_a_dozen_groups(
    make_ws: MakeWorkspace, capture: list[Any], name: str
) -> None:
    ws = make_ws("postgresql", "core")
    migrate.upgrade(ws, "core")
    engine = ws.engine("core")
    with engine.begin() as conn:
        _fill_ledger(conn)
    MONTHLY[name](ws)
    monthly = [
        s
        for s in capture
        if "date_trunc('month', treasury_ledger.created_at)" in _sql_text(s, engine)
    ]
    assert monthly, capture
    with engine.connect() as conn:
        for stmt in monthly:
            plan = _pg_plan(conn, _sql_text(stmt, engine))
            aggregates = [n for n in _nodes(plan) if n["Node Type"] == "Aggregate"]
            # Without the statistics the planner expects one group per distinct
            # timestamp (20,000 here) and sorts every row to group them.
            assert aggregates and all(n["Plan Rows"] < 200 for n in aggregates), plan
            assert any(n["Strategy"] == "Hashed" for n in aggregates), plan


def test_the_migration_builds_the_declared_statistics(make_ws: MakeWorkspace) -> None:
    ws = make_ws("postgresql", "core")
    migrate.upgrade(ws, "core")
    with ws.engine("core").connect() as conn:
        built = dict(
            conn.exec_driver_sql(
                "select stxname, (pg_get_statisticsobjdef_expressions(oid))[1]"
                " from pg_statistic_ext"
            ).all()
        )
    for stat in report_indexes.statistics_for("core"):
        assert built[stat.name].replace("::text", "") == stat.expression
    migrate.downgrade(ws, "core", "20261204170000")
    with ws.engine("core").connect() as conn:
        assert conn.exec_driver_sql("select count(*) from pg_statistic_ext").scalar_one() == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_compliance_violations_filter_the_ledger_once(
    make_ws: MakeWorkspace, capture: list[Any], backend: str
) -> None:
    ws = make_ws(backend, "core")
    migrate.upgrade(ws, "core")
    engine = ws.engine("core")
    with engine.begin() as conn:
        _fill_ledger(conn)
    treasury.compliance_violations(ws, limit=100, cache=False)
    assert len(capture) == len(treasury._checks(treasury._ledger))
    with engine.connect() as conn:
        for stmt in capture:
            sql = _sql_text(stmt, engine)
            if backend == "postgresql":
                plan = json.dumps(_pg_plan(conn, sql))
                # Not a walk of the primary key in id order, filtering every row it visits.
                assert "treasury_ledger_pkey" not in plan, plan
                assert '"CTE Scan"' in plan, plan
            else:
                plan = "\n".join(r[-1] for r in conn.exec_driver_sql("explain query plan " + sql))
                assert "MATERIALIZE" in plan, plan
                assert "USING INDEX" not in plan, plan
