"""The legacy flavour: ledger rows that break the constitutional rules.

Where the ledger has the constitutional CHECKs (every migrated database), the
rows go into ``treasury_ledger_legacy``; where it has none (production
databases built without the final ALTERs), into the ledger itself.
"""

from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa

from azora_nb import demo
from azora_nb.demo.load import CONSTITUTIONAL_CHECKS
from azora_nb.schema import core
from azora_nb.settings import Settings
from azora_nb.workspace import Workspace
from tests.demo import definitions
from tests.demo.conftest import SMALL, migrated

LEGACY_KINDS = {"legacy_allocation_sum", "legacy_valuation"}


def legacy_findings(manifest: demo.Manifest) -> set[definitions.Finding]:
    return {definitions.key(a.kind, a.keys) for a in manifest.anomalies if a.kind in LEGACY_KINDS}


def test_with_the_checks_legacy_rows_go_to_the_copy(sqlite_ws: Workspace) -> None:
    manifest = demo.seed(sqlite_ws, scale=SMALL, flavour="legacy", progress=False)
    copies = {a.table for a in manifest.anomalies if a.kind in LEGACY_KINDS}
    assert copies == {"treasury_ledger_legacy"}
    assert manifest.counts["core"]["treasury_ledger"] == SMALL
    assert manifest.counts["core"]["treasury_ledger_legacy"] == len(legacy_findings(manifest))
    assert Counter(a.kind for a in manifest.anomalies if a.kind in LEGACY_KINDS) == {
        "legacy_allocation_sum": 2,
        "legacy_valuation": 2,
    }
    assert definitions.legacy(sqlite_ws) == legacy_findings(manifest)


@pytest.mark.postgres
def test_postgres_rejects_them_in_the_ledger_and_takes_them_in_the_copy(pg_ws: Workspace) -> None:
    manifest = demo.seed(pg_ws, scale=SMALL, flavour="legacy", progress=False)
    assert definitions.legacy(pg_ws) == legacy_findings(manifest)
    row = pg_ws.sql("select * from treasury_ledger_legacy limit 1").iloc[0].to_dict()
    row["id"] = "00000000-0000-4000-8000-000000000001"
    row["tx_hash"] = "0xnew"
    row["amount_usd"] = row["amount_azr"] + 1
    with (
        pytest.raises(Exception, match="constitutional_valuation_check"),
        pg_ws.engine("core").begin() as conn,
    ):
        conn.execute(
            core.treasury_ledger.insert().values(
                {k: v for k, v in row.items() if k in core.treasury_ledger.c}
            )
        )


def test_without_the_checks_legacy_rows_join_the_ledger(embedded_settings: Settings) -> None:
    ws = migrated(embedded_settings)
    with ws.engine("core").begin() as conn:
        # A production-like ledger built without the final constitutional ALTERs.
        sql = conn.exec_driver_sql(
            "select sql from sqlite_master where name = 'treasury_ledger'"
        ).scalar_one()
        for name in CONSTITUTIONAL_CHECKS:
            start = sql.index(f"CONSTRAINT {name}")
            depth, end = 0, sql.index("(", start)
            while True:
                depth += {"(": 1, ")": -1}.get(sql[end], 0)
                if depth == 0:
                    break
                end += 1
            sql = sql[:start].rstrip().rstrip(",") + sql[end + 1 :]
        conn.exec_driver_sql("PRAGMA writable_schema=ON")
        conn.exec_driver_sql(
            "update sqlite_master set sql = ? where name = 'treasury_ledger'", (sql,)
        )
        conn.exec_driver_sql("PRAGMA writable_schema=OFF")
    ws.close()
    ws = Workspace(embedded_settings)
    manifest = demo.seed(ws, scale=SMALL, flavour="legacy", sources=["core"], progress=False)
    assert {a.table for a in manifest.anomalies if a.kind in LEGACY_KINDS} == {"treasury_ledger"}
    assert "treasury_ledger_legacy" not in sa.inspect(ws.engine("core")).get_table_names()
    assert manifest.counts["core"]["treasury_ledger"] == SMALL + len(legacy_findings(manifest))
    assert definitions.legacy(ws) == legacy_findings(manifest)
    ws.close()
