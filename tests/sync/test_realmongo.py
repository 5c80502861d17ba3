"""The Mongo directions against a real MongoDB server, where the test server's gaps
do not apply: Decimal128, booleans and datetimes through ``$set``, checksums after
updates. Runs only when AZORA_TEST_MONGO_URL is set (skipped otherwise, even under
AZORA_REQUIRE_SERVICES: no MongoDB server can be installed on the CI machines)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from azora_nb import sync
from azora_nb.settings import Settings
from azora_nb.sync import MongoSource, MongoTarget, SqlSource, SqlTarget, SyncDefinition
from azora_nb.workspace import Workspace
from tests.sync.conftest import N_ROWS, REAL_MONGO, _prepare, rewards

pytestmark = [
    pytest.mark.realmongo,
    pytest.mark.skipif(not REAL_MONGO, reason="set AZORA_TEST_MONGO_URL to a MongoDB server"),
]


@pytest.fixture
def real_ws(home: Path) -> Iterator[Workspace]:
    database = f"azt_{uuid.uuid4().hex[:8]}"
    env = {"AZORA_HOME": str(home), "AZORA_MONGO_URL": str(REAL_MONGO), "AZORA_MONGO_DB": database}
    with Workspace(Settings.load(env=env, cwd=home)) as ws:
        try:
            yield _prepare(ws)
        finally:
            ws.mongo_client.drop_database(database)


def test_round_trip_with_exact_types(real_ws: Workspace) -> None:
    to_mongo = SyncDefinition(
        "real_to",
        SqlSource("mint", table="rewards"),
        MongoTarget("rewards"),
        key=("id",),
        cursor="updatedAt",
        batch_rows=60,
    )
    first = sync.run(real_ws, to_mongo, progress=False)
    assert first.rows_written == N_ROWS and first.reconciliation["ok"]  # type: ignore[index]
    with real_ws.engine("mint").begin() as conn:
        conn.execute(sa.update(rewards).where(rewards.c.id == "r00004").values(status="X"))
    again = sync.run(real_ws, to_mongo, full=True, progress=False)
    assert again.rows_written == 1 and again.reconciliation["ok"]  # type: ignore[index]
    doc = real_ws.mongo["rewards"].find_one({"_id": "r00004"})
    assert doc is not None and doc["version"] == 2
    assert doc["amount"].to_decimal() == Decimal("5.00")
    assert doc["updatedAt"].tzinfo is not None

    real_ws.mongo["flags"].insert_many(
        [{"_id": f"f{i}", "on": i % 2 == 0, "n": i} for i in range(10)]
    )
    real_ws.mongo["flags"].update_one({"_id": "f1"}, {"$set": {"on": True}})
    back = SyncDefinition(
        "real_back",
        MongoSource("flags"),
        SqlTarget("core", table="flags"),
        key=("id",),
        columns={"id": "_id", "on": "on", "n": "n"},
        types={"id": "text", "on": "boolean", "n": "integer"},
    )
    assert sync.run(real_ws, back, progress=False).rows_written == 10
    with real_ws.engine("core").connect() as conn:
        flags = dict(conn.execute(sa.text('select id, "on" from analysis.flags')).all())
    assert flags["f1"] == 1 and flags["f3"] == 0
