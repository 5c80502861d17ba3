"""The shipped definitions on the real schema and demo data: mint and gateway into
core's analysis area, on SQLite and on PostgreSQL (where gateway stays a SQLite file,
so gateway_api_calls also crosses backends)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from azora_nb import migrate, sync
from azora_nb.demo import seed
from azora_nb.settings import Settings
from azora_nb.sync.definitions import builtin
from azora_nb.workspace import Workspace


@pytest.fixture(params=["sqlite", "postgres"])
def demo_ws(request: pytest.FixtureRequest, home: Path) -> Iterator[Workspace]:
    env = {"AZORA_HOME": str(home)}
    if request.param == "postgres":
        env = request.getfixturevalue("pg_sync_env")
    with Workspace(Settings.load(env=env, cwd=home)) as ws:
        for source in ("core", "mint", "gateway"):
            migrate.upgrade(ws, source)
        seed(ws, scale=1000, sources=["mint", "gateway"], progress=False)
        yield ws


def test_shipped_sql_syncs_fill_the_analysis_area(demo_ws: Workspace) -> None:
    shipped = builtin()
    assert {"mint_users", "mint_knowledge_rewards", "gateway_api_calls",
            "mongo_entity_updates", "mongo_metrics_history"} <= set(shipped)
    for name in ("mint_users", "mint_knowledge_rewards", "gateway_api_calls"):
        result = sync.run(demo_ws, name, progress=False)
        assert result.status == "succeeded" and result.rows_dead == 0, name
        assert result.reconciliation is not None and result.reconciliation["ok"], name
        assert sync.run(demo_ws, name, progress=False).rows_written == 0, name
    query = ('select id, "userId", "rewardAmount", status, "createdAt", "processedAt" '
             'from {} order by id')
    source = demo_ws.sql(query.format("knowledge_rewards"), source="mint")
    analysed = demo_ws.sql(query.format("analysis.knowledge_rewards"))
    assert len(source) > 100
    assert analysed.equals(source)
    calls = demo_ws.sql("select count(*) as n from analysis.api_calls")["n"].iloc[0]
    assert calls == demo_ws.sql("select count(*) as n from api_calls",
                                source="gateway")["n"].iloc[0]
