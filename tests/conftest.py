"""Shared fixtures: real PostgreSQL and Redis, throwaway databases, isolated settings.

Servers come from ``AZORA_TEST_PG_URL`` (default: the local server as
``postgres``) and ``AZORA_TEST_REDIS_URL`` (default: the local Redis). A test
that needs a missing server is skipped, unless ``AZORA_REQUIRE_SERVICES=1``
(set by ``.ci/run``), where it fails instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from azora_nb.settings import SOURCES, Settings

PG_ADMIN_URL = os.environ.get(
    "AZORA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("AZORA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRE = os.environ.get("AZORA_REQUIRE_SERVICES") == "1"
RUN_ID = uuid.uuid4().hex[:8]


def _missing(what: str) -> None:
    if REQUIRE:
        pytest.fail(f"{what} is required (AZORA_REQUIRE_SERVICES=1) but not reachable")
    pytest.skip(f"{what} not reachable")


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[sa.Engine]:
    """An engine on the PostgreSQL maintenance database, for creating test databases."""
    engine = sa.create_engine(
        PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("select 1")
    except sa.exc.OperationalError:
        engine.dispose()
        _missing(f"PostgreSQL at {PG_ADMIN_URL}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def pg_database(pg_admin: sa.Engine) -> Iterator[Callable[[str], str]]:
    """A factory: ``pg_database("hint")`` creates a fresh database and returns its URL.

    Every database made this way is dropped when the test session ends.
    """
    made: list[str] = []

    def make(hint: str = "db") -> str:
        name = f"azt_{RUN_ID}_{hint}_{uuid.uuid4().hex[:6]}".lower()
        with pg_admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        made.append(name)
        return pg_admin.url.set(database=name).render_as_string(hide_password=False)

    yield make
    with pg_admin.connect() as conn:
        for name in made:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        _missing(f"Redis at {REDIS_URL}")
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty AZORA_HOME."""
    path = tmp_path / "azora-home"
    path.mkdir()
    return path


@pytest.fixture
def embedded_settings(home: Path) -> Settings:
    """Settings with nothing configured: SQLite sources and the disk cache under ``home``."""
    return Settings.load(env={"AZORA_HOME": str(home)}, cwd=home)


@pytest.fixture
def pg_env(pg_database: Callable[[str], str], home: Path, redis_url: str) -> dict[str, str]:
    """Environment for a workspace on fresh PostgreSQL databases (one per source) and Redis,
    with a cache namespace of its own."""
    env = {
        "AZORA_HOME": str(home),
        "AZORA_REDIS_URL": redis_url,
        "AZORA_CACHE_PREFIX": f"azt-{RUN_ID}-{uuid.uuid4().hex[:6]}",
    }
    for source in SOURCES:
        env[f"AZORA_{source.upper()}_URL"] = pg_database(source)
    return env


@pytest.fixture
def pg_settings(pg_env: dict[str, str], home: Path) -> Settings:
    return Settings.load(env=pg_env, cwd=home)
