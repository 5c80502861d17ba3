"""Shared fixtures: real PostgreSQL and Redis, throwaway databases, isolated settings.

Servers come from ``AZORA_TEST_PG_URL`` (default: the local server as
``postgres``) and ``AZORA_TEST_REDIS_URL`` (default: the local Redis). A test
that needs a missing server is skipped, unless ``AZORA_REQUIRE_SERVICES=1``
(set by ``.ci/run``), where it fails instead. A Redis Cluster and TLS Redis
servers are started by the tests themselves (``redis_cluster``, ``redis_tls``,
``redis_tls_cluster``; see ``tests/redis_servers.py``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from redis_servers import (
    REDIS_USER,
    REDIS_USER_RULES,
    Certificates,
    RedisClusterServers,
    TlsRedisServer,
    have_redis_binaries,
)

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


# -- Redis servers the tests start themselves (tests/redis_servers.py) ----------------------
# A Redis Cluster and TLS servers with ACL users, stopped by PID at the end of the session.

"""What a managed Redis typically grants an application: its key prefixes, no admin commands."""


def _redis_binaries() -> None:
    if not have_redis_binaries():
        _missing("redis-server, redis-cli and openssl")


@pytest.fixture(scope="session")
def redis_certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A throwaway CA with a server and a client certificate."""
    _redis_binaries()
    return Certificates.generate(tmp_path_factory.mktemp("redis-certs"))


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterServers]:
    """A Redis Cluster of three primaries on loopback ports, no replicas, no TLS."""
    _redis_binaries()
    cluster = RedisClusterServers(tmp_path_factory.mktemp("redis-cluster"), primaries=3)
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def redis_cluster_url(redis_cluster: RedisClusterServers) -> str:
    return redis_cluster.url


@pytest.fixture(scope="session")
def redis_tls(
    tmp_path_factory: pytest.TempPathFactory, redis_certs: Certificates
) -> Iterator[TlsRedisServer]:
    """A TLS-only Redis (client certificates optional) with the ACL user ``REDIS_USER``."""
    server = TlsRedisServer(
        tmp_path_factory.mktemp("redis-tls"),
        redis_certs,
        require_client_certs=False,
        password=uuid.uuid4().hex,
    ).start()
    server.add_user(REDIS_USER, REDIS_USER_RULES)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_tls_cluster(
    tmp_path_factory: pytest.TempPathFactory, redis_certs: Certificates
) -> Iterator[RedisClusterServers]:
    """What a managed Redis in cluster mode looks like: three primaries speaking TLS only,
    a default user with a password, and the ACL user ``REDIS_USER``."""
    cluster = RedisClusterServers(
        tmp_path_factory.mktemp("redis-tls-cluster"),
        primaries=3,
        certs=redis_certs,
        password=uuid.uuid4().hex,
    ).start()
    cluster.add_user(REDIS_USER, REDIS_USER_RULES)
    yield cluster
    cluster.stop()
