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
    assert {
        "mint_users",
        "mint_knowledge_rewards",
        "gateway_api_calls",
        "mongo_entity_updates",
        "mongo_metrics_history",
    } <= set(shipped)
    for name in ("mint_users", "mint_knowledge_rewards", "gateway_api_calls"):
        result = sync.run(demo_ws, name, progress=False)
        assert result.status == "succeeded" and result.rows_dead == 0, name
        assert result.reconciliation is not None and result.reconciliation["ok"], name
        assert sync.run(demo_ws, name, progress=False).rows_written == 0, name
    query = (
        'select id, "userId", "rewardAmount", status, "createdAt", "processedAt" '
        "from {} order by id"
    )
    source = demo_ws.sql(query.format("knowledge_rewards"), source="mint")
    analysed = demo_ws.sql(query.format("analysis.knowledge_rewards"))
    assert len(source) > 100
    assert analysed.equals(source)
    calls = demo_ws.sql("select count(*) as n from analysis.api_calls")["n"].iloc[0]
    assert (
        calls == demo_ws.sql("select count(*) as n from api_calls", source="gateway")["n"].iloc[0]
    )


def test_the_main_job_syncs_mongo_documents_when_mongo_is_configured(
    home: Path, mongo_env: dict[str, str]
) -> None:
    from azora_nb.mainjob import sync_all

    with Workspace(Settings.load(env={"AZORA_HOME": str(home), **mongo_env}, cwd=home)) as ws:
        for source in ("core", "mint", "gateway"):
            migrate.upgrade(ws, source)
        seed(ws, scale=1000, sources=["mint", "gateway"], progress=False)
        lines: list[str] = []
        ran = sync_all(ws, lines.append)
        assert {"mongo_entity_updates", "mongo_metrics_history", "mint_users"} <= set(ran)
        assert lines[0].startswith("demo documents in MongoDB:")
        documents = ws.mongo["entity_updates"].count_documents({})
        rows = ws.sql("select count(*) as n from analysis.entity_updates")["n"].iloc[0]
        assert documents > 0 and rows == documents
        # Safe to repeat: the same documents, nothing new to write.
        sync_all(ws, lines.append)
        assert ws.sql("select count(*) as n from analysis.entity_updates")["n"].iloc[0] == rows


def test_the_main_job_leaves_mongo_alone_when_it_is_not_configured(home: Path) -> None:
    from azora_nb.mainjob import sync_all

    with Workspace(Settings.load(env={"AZORA_HOME": str(home)}, cwd=home)) as ws:
        for source in ("core", "mint", "gateway"):
            migrate.upgrade(ws, source)
        ran = sync_all(ws, lambda _line: None)
        assert ran and not any(name.startswith("mongo_") for name in ran)
