"""Fixtures for the cache tests: the same workspace over either real backend.

``cache_env`` is parametrised over ``redis`` (the shared Redis, under a
prefix of its own that is deleted afterwards), ``cluster`` (the three-primary
Redis Cluster the tests start, ``redis_cluster``, likewise) and ``disk`` (a
diskcache directory under a tmp ``AZORA_HOME``). Sources are SQLite files unless a test
asks for PostgreSQL with ``pg_core``.
"""

from __future__ import annotations

import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from azora_nb.cache.disk_store import DiskBackend
from azora_nb.cache.redis_store import RedisBackend
from azora_nb.settings import Limits, Settings
from azora_nb.workspace import Workspace


@pytest.fixture(params=["redis", "cluster", "disk"])
def cache_env(request: pytest.FixtureRequest, home: Path) -> Iterator[dict[str, str]]:
    env = {"AZORA_HOME": str(home)}
    if request.param in ("redis", "cluster"):
        fixture = "redis_url" if request.param == "redis" else "redis_cluster_url"
        redis_url = request.getfixturevalue(fixture)
        prefix = f"azt-cache-{uuid.uuid4().hex[:10]}"
        env.update(AZORA_REDIS_URL=redis_url, AZORA_CACHE_PREFIX=prefix)
        yield env
        _drop_prefix(redis_url, prefix)
    else:
        yield env


@pytest.fixture
def make_ws(cache_env: dict[str, str], home: Path) -> Iterator[Callable[..., Workspace]]:
    """A factory of workspaces on ``cache_env`` plus overrides; all closed at the end."""
    opened: list[Workspace] = []

    def make(**overrides: str) -> Workspace:
        ws = Workspace(Settings.load(env={**cache_env, **overrides}, cwd=home))
        opened.append(ws)
        return ws

    yield make
    for ws in opened:
        ws.close()


@pytest.fixture
def ws(make_ws: Callable[..., Workspace]) -> Workspace:
    return make_ws()


@pytest.fixture(scope="module")
def pg_core(pg_database: Callable[[str], str]) -> str:
    """One PostgreSQL database per test module, for the core source."""
    return pg_database("cache")


def entry_keys(ws: Workspace) -> list[str]:
    """Keys of the live entries, read from the backend's own index."""
    backend = ws.cache.backend
    if isinstance(backend, RedisBackend):
        members = backend.client.zrange(backend._index("core"), 0, -1)
        return [m.decode() for m in members]
    assert isinstance(backend, DiskBackend)
    return [k[2:] for k in backend.cache.iterkeys() if str(k).startswith("e:")]


def _drop_prefix(url: str, prefix: str) -> None:
    """Delete every key under ``prefix``, on every primary of a cluster."""
    import redis

    from azora_nb import redis_client
    from azora_nb.settings import RedisSettings

    client = redis_client.connect(RedisSettings(url, Limits()))
    try:
        nodes = (
            [client.get_redis_connection(n) for n in client.get_primaries()]
            if isinstance(client, redis.cluster.RedisCluster)
            else [client]
        )
        for node in nodes:
            keys = list(node.scan_iter(match=f"{prefix}:*", count=1000))
            pipe = node.pipeline(transaction=False)
            for key in keys:
                pipe.unlink(key)
            pipe.execute()
    finally:
        client.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ThrowawayRedis:
    """A redis-server of our own, to kill and restart (never the shared one)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("throwaway redis-server did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def throwaway_redis() -> Iterator[ThrowawayRedis]:
    import shutil

    if shutil.which("redis-server") is None:
        pytest.skip("redis-server binary not installed")
    server = ThrowawayRedis(free_port())
    server.start()
    yield server
    server.kill()
