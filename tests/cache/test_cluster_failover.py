"""A primary of the Redis Cluster killed mid-run (SIGKILL): one warning, queries run
uncached while the cluster fails over to the replica, then caching resumes by itself.
Uses a cluster of its own (three primaries, one replica each), never the shared one."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis_servers import RedisClusterServers, have_redis_binaries

import azora_nb as az
from azora_nb.cache.redis_store import RedisBackend
from azora_nb.settings import Settings
from azora_nb.workspace import Workspace

QUERY = "select count(*) as n from events"


@pytest.fixture
def failover_cluster(tmp_path: Path) -> Iterator[RedisClusterServers]:
    if not have_redis_binaries():
        pytest.skip("redis-server, redis-cli and openssl are needed")
    cluster = RedisClusterServers(tmp_path / "cluster", primaries=3, replicas=1).start()
    yield cluster
    cluster.stop()


def test_a_killed_primary_is_one_warning_then_caching_resumes(
    failover_cluster: RedisClusterServers, home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    env = {
        "AZORA_HOME": str(home),
        "AZORA_REDIS_URL": failover_cluster.url,
        "AZORA_CACHE_PREFIX": "azt-failover",
        "AZORA_REDIS_CONNECT_TIMEOUT": "1",
    }
    with Workspace(Settings.load(env=env, cwd=home)) as ws:
        backend = ws.cache.backend
        assert isinstance(backend, RedisBackend) and backend.cluster
        backend.retry_after = 0.5
        ws.execute("create table events (id integer)")
        ws.execute("insert into events values (1)")
        ws.sql(QUERY, cache=True)
        assert az.provenance(ws.sql(QUERY, cache=True)).cached

        # Kill the primary that holds this database's table versions: every lookup needs it.
        [name] = ws.cache.version_names("core", ["events"])
        victim = failover_cluster.node_serving(backend._version(name))
        before = set(failover_cluster.primary_ports())
        victim.kill()
        killed_at = time.monotonic()

        served: list[bool] = []
        resumed_after = None
        with caplog.at_level(logging.INFO, logger="azora_nb"):
            while time.monotonic() - killed_at < 45:
                started = time.monotonic()
                result = ws.sql(QUERY, cache=True)
                assert time.monotonic() - started < 3, "a failover must not stall queries"
                assert result["n"][0] == 1, "the answer is right whatever the cache does"
                served.append(az.provenance(result).cached)
                if len(served) > 1 and served[-1] and not all(served):
                    resumed_after = time.monotonic() - killed_at
                    break
                time.sleep(0.1)
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert resumed_after is not None, f"caching never resumed: {served[-5:]}, {warnings}"
        assert False in served, "queries ran uncached during the failover"
        assert len(warnings) == 1, warnings
        assert "unreachable" in warnings[0] and "uncached" in warnings[0]
        assert "caching resumes" in caplog.text
        after = set(failover_cluster.primary_ports())
        assert victim.port not in after and len(after) == 3 and after != before
        print(f"failover: cache resumed {resumed_after:.1f} s after the primary was killed")
        assert ws.status()["cache"].state in ("ok", "degraded")
