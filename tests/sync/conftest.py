"""Fixtures for the sync tests: workspaces on SQLite and PostgreSQL with the toolkit
tables and a small rewards-like source table, and the MongoDB wire-protocol test
server (nx-27017) started once per session on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from azora_nb import types as az
from azora_nb.schema import toolkit
from azora_nb.settings import Settings
from azora_nb.sync import SqlSource, SqlTarget, SyncDefinition
from azora_nb.workspace import Workspace

T0 = datetime(2026, 10, 1, tzinfo=UTC)
N_ROWS = 230

rewards = sa.Table(
    "rewards",
    sa.MetaData(),
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("userId", sa.Text),
    sa.Column("amount", az.Numeric(12, 2)),
    sa.Column("status", sa.Text),
    sa.Column("points", sa.Text),
    sa.Column("meta", az.JSONB),
    sa.Column("updatedAt", az.TimestampTZ()),
)


def reward_row(i: int, **changes: Any) -> dict[str, Any]:
    row = {
        "id": f"r{i:05d}",
        "userId": f"u{i % 17}",
        "amount": round(i * 1.25, 2),
        "status": "PAID" if i % 3 else "PENDING",
        "points": str(i * 10),
        "meta": {"n": i, "tags": ["a", "b"][: i % 3]},
        # several rows share each timestamp, so that pages split ties
        "updatedAt": T0 + timedelta(seconds=(i // 3) * 60, microseconds=123456),
    }
    row.update(changes)
    return row


def _prepare(ws: Workspace) -> Workspace:
    for source in ("core", "mint"):
        toolkit.metadata.create_all(ws.engine(source))
    rewards.create(ws.engine("mint"))
    with ws.engine("mint").begin() as conn:
        conn.execute(rewards.insert(), [reward_row(i) for i in range(N_ROWS)])
    return ws


@pytest.fixture(scope="session")
def pg_pair(pg_database: Callable[[str], str]) -> dict[str, str]:
    """Two PostgreSQL databases, core and mint, for the whole session: creating and
    dropping databases is slow, so each test empties them instead."""
    return {"AZORA_CORE_URL": pg_database("synccore"), "AZORA_MINT_URL": pg_database("syncmint")}


@pytest.fixture
def pg_sync_env(pg_pair: dict[str, str], home: Path, redis_url: str) -> dict[str, str]:
    """Emptied core and mint databases (the sync tests use no other source; the others
    stay embedded), Redis for the cache, with a prefix of its own."""
    for url in pg_pair.values():
        engine = sa.create_engine(url)
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA IF EXISTS analysis CASCADE")
                conn.exec_driver_sql("DROP SCHEMA public CASCADE")
                conn.exec_driver_sql("CREATE SCHEMA public")
        finally:
            engine.dispose()
    return {
        "AZORA_HOME": str(home),
        "AZORA_REDIS_URL": redis_url,
        "AZORA_CACHE_PREFIX": f"azt-sync-{uuid.uuid4().hex[:8]}",
        **pg_pair,
    }


@pytest.fixture(params=["sqlite", "postgres"])
def ws(request: pytest.FixtureRequest, home: Path) -> Iterator[Workspace]:
    """A workspace on SQLite files or on fresh PostgreSQL databases, with ``mint.rewards``."""
    if request.param == "sqlite":
        settings = Settings.load(env={"AZORA_HOME": str(home)}, cwd=home)
    else:
        settings = Settings.load(env=request.getfixturevalue("pg_sync_env"), cwd=home)
    with Workspace(settings) as workspace:
        yield _prepare(workspace)


@pytest.fixture
def sqlite_ws(home: Path) -> Iterator[Workspace]:
    with Workspace(Settings.load(env={"AZORA_HOME": str(home)}, cwd=home)) as workspace:
        yield _prepare(workspace)


@pytest.fixture
def make_def() -> Callable[..., SyncDefinition]:
    def make(name: str = "rewards", **options: Any) -> SyncDefinition:
        options.setdefault("cursor", "updatedAt")
        options.setdefault("batch_rows", 40)
        return SyncDefinition(
            name=name,
            source=SqlSource("mint", table="rewards"),
            target=SqlTarget("core", table="rewards"),
            key=("id",),
            **options,
        )

    return make


def target_rows(ws: Workspace, table: str = "rewards") -> list[tuple[Any, ...]]:
    tbl = sa.Table(
        table, sa.MetaData(), *[sa.Column(c.name, c.type) for c in rewards.c], schema="analysis"
    )
    with ws.engine("core").connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(tbl).order_by(tbl.c.id))]


def source_rows(ws: Workspace) -> list[tuple[Any, ...]]:
    with ws.engine("mint").connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(rewards).order_by(rewards.c.id))]


# -- MongoDB test server -------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def mongo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of an nx-27017 server (MongoDB wire protocol on SQLite), for this session."""
    import pymongo

    exe = Path(sys.executable).parent / "nx-27017"
    if not exe.exists():
        pytest.skip("nx-27017 is not installed (pip install nx-27017)")
    data = tmp_path_factory.mktemp("nx27017")
    port = _free_port()
    proc = subprocess.Popen(
        [
            str(exe),
            "--data-dir",
            str(data),
            "--host",
            "127.0.0.1",
            "-p",
            str(port),
            "--log-file",
            str(data / "server.log"),
            "--pid-file",
            str(data / "server.pid"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"mongodb://127.0.0.1:{port}"
    client: pymongo.MongoClient[Any] = pymongo.MongoClient(url, serverSelectionTimeoutMS=300)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                client.admin.command("ping")
                break
            except pymongo.errors.PyMongoError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"nx-27017 did not start on port {port}")
                time.sleep(0.1)
        yield url
    finally:
        client.close()
        proc.kill()  # a throwaway data directory: nothing to shut down cleanly
        proc.wait(timeout=10)


@pytest.fixture
def mongo_env(mongo_server: str) -> dict[str, str]:
    """Mongo settings with a database of its own."""
    return {"AZORA_MONGO_URL": mongo_server, "AZORA_MONGO_DB": f"azt_{uuid.uuid4().hex[:8]}"}


REAL_MONGO = os.environ.get("AZORA_TEST_MONGO_URL")
