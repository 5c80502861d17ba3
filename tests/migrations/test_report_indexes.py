"""The report indexes: built by the migration, declared in the models, and used by the
plans of the queries they are for (checked with EXPLAIN on both backends)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from azora_nb import migrate
from azora_nb.analytics.rewards import PAYOUT_REASON
from azora_nb.schema import metadata_for, report_indexes
from tests.migrations.conftest import BACKENDS, MakeWorkspace

LEDGER_ROWS = 20_000


def _payouts_query() -> sa.Select[tuple[str, str]]:
    """The query of rewards.ledger_without_reward."""
    t = metadata_for("core").tables["treasury_ledger"].c
    return sa.select(t.id, t.tx_hash).where(t.reason == PAYOUT_REASON).order_by(t.id)


def _fill_ledger(conn: sa.Connection) -> None:
    """A ledger where one row in fifty is a knowledge-reward payout, with statistics."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "insert into treasury_ledger (id, tx_hash, transaction_type, amount_azr, amount_usd,"
            " reason) select gen_random_uuid(), md5(i::text), 'mint', 1, 1,"
            f" case when mod(i, 50) = 0 then '{PAYOUT_REASON}' end"
            f" from generate_series(1, {LEDGER_ROWS}) as i"
        )
    else:
        conn.exec_driver_sql(
            "with recursive n(i) as (select 1 union all select i + 1 from n"
            f" where i < {LEDGER_ROWS}) insert into treasury_ledger (id, tx_hash,"
            " transaction_type, amount_azr, amount_usd, reason, created_at)"
            " select printf('%08d-0000-4000-8000-000000000000', i), hex(randomblob(16)),"
            f" 'mint', 1, 1, case when i % 50 = 0 then '{PAYOUT_REASON}' end,"
            " '2026-01-01 00:00:00.000000' from n"
        )
    conn.exec_driver_sql("analyze treasury_ledger")


@pytest.mark.parametrize("backend", BACKENDS)
def test_ledger_payouts_are_read_from_the_reason_index(
    make_ws: MakeWorkspace, backend: str
) -> None:
    ws = make_ws(backend, "core")
    migrate.upgrade(ws, "core")
    engine = ws.engine("core")
    with engine.begin() as conn:
        _fill_ledger(conn)
        sql = str(
            _payouts_query().compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
        )
        if backend == "postgresql":
            plan = "\n".join(conn.exec_driver_sql("explain " + sql).scalars())
            # An index-only scan once vacuum has set the visibility map; a bitmap scan before.
            assert "on idx_azora_nb_treasury_ledger_reason" in plan, plan
            assert "Seq Scan" not in plan, plan
        else:
            plan = "\n".join(r[-1] for r in conn.exec_driver_sql("explain query plan " + sql))
            assert "USING COVERING INDEX idx_azora_nb_treasury_ledger_reason" in plan, plan
            assert "TEMP B-TREE" not in plan, plan
    assert migrate.check(ws, "core") == []


def test_the_models_declare_the_migration_s_indexes() -> None:
    for source, indexes in report_indexes.INDEXES.items():
        declared = {i.name: tuple(c.name for c in i.columns) for i in _all_indexes(source)}
        for index in indexes:
            assert declared.get(index.name) == index.columns


def _all_indexes(source: str) -> list[sa.Index]:
    return [i for t in metadata_for(source).tables.values() for i in t.indexes]


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_index_an_operator_built_already_does_not_stop_the_upgrade(
    make_ws: MakeWorkspace, backend: str
) -> None:
    ws = make_ws(backend, "core")
    migrate.upgrade(ws, "core", "20261204160000")
    with ws.engine("core").begin() as conn:
        conn.exec_driver_sql(
            "create index idx_azora_nb_treasury_ledger_reason"
            " on treasury_ledger (reason, id, tx_hash)"
        )
    migrate.upgrade(ws, "core")
    assert migrate.check(ws, "core") == []
