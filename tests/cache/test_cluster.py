"""The cache on a Redis Cluster the tests start themselves: keys one command touches share
a slot, entries spread over the primaries, clearing visits every primary, a plain client
on a cluster is said (not hidden), change notices reach every node, and a primary killed
mid-run is one warning, then caching resumes by itself."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner
from redis_servers import RedisClusterServers

import azora_nb as az
from azora_nb.cache.redis_store import RedisBackend
from azora_nb.cli import main
from azora_nb.settings import Settings
from azora_nb.workspace import Workspace

from .conftest import _drop_prefix

TABLES = ("treasury_ledger", "alerts", "users")
JOIN = """
select count(*) as n from treasury_ledger l
join users u on u.id = l.user_id join alerts a on a.id = l.id
"""


@pytest.fixture
def cluster_env(redis_cluster: RedisClusterServers, home: Path) -> Iterator[dict[str, str]]:
    prefix = f"azt-cluster-{uuid.uuid4().hex[:8]}"
    yield {"AZORA_HOME": str(home), "AZORA_REDIS_URL": redis_cluster.url,
           "AZORA_CACHE_PREFIX": prefix}  # fmt: skip
    _drop_prefix(redis_cluster.url, prefix)


@pytest.fixture
def cluster_ws(cluster_env: dict[str, str], home: Path) -> Iterator[Workspace]:
    with Workspace(Settings.load(env=cluster_env, cwd=home)) as ws:
        ws.execute("create table users (id integer primary key)")
        ws.execute("create table treasury_ledger (id integer primary key, user_id integer)")
        ws.execute("create table alerts (id integer primary key)")
        ws.execute("insert into users values (1), (2)")
        ws.execute("insert into treasury_ledger values (1, 1), (2, 2), (3, 1)")
        ws.execute("insert into alerts values (1), (2), (3)")
        yield ws


def _backend(ws: Workspace) -> RedisBackend:
    backend = ws.cache.backend
    assert isinstance(backend, RedisBackend) and backend.cluster
    return backend


def test_a_cached_query_on_a_cluster_is_a_hit_the_second_time(cluster_ws: Workspace) -> None:
    first = cluster_ws.sql(JOIN, cache=True)
    second = cluster_ws.sql(JOIN, cache=True)
    assert not az.provenance(first).cached and az.provenance(second).cached
    assert second["n"].tolist() == [3]
    stats = cluster_ws.cache.stats()
    assert stats.incomplete is None
    assert (stats.source("core").hits, stats.source("core").misses) == (1, 1)


def test_keys_one_command_touches_share_a_slot(
    cluster_ws: Workspace, redis_cluster: RedisClusterServers
) -> None:
    backend = _backend(cluster_ws)
    client = backend.client
    names = cluster_ws.cache.version_names("core", TABLES)
    cluster_ws.sql(JOIN, cache=True)
    versions = [backend._version(n) for n in names]
    assert all(client.exists(k) for k in versions)
    assert len({client.keyslot(k) for k in versions}) == 1, "one MGET / MSET per database"
    [entry] = client.zrange(backend._index("core"), 0, -1)
    key = entry.decode()
    assert client.keyslot(backend._entry(key)) == client.keyslot(backend._k(key, "l"))
    assert client.keyslot(backend._index("core")) == client.keyslot(backend._sizes("core"))


def test_entries_spread_over_every_primary(
    cluster_ws: Workspace, redis_cluster: RedisClusterServers
) -> None:
    backend = _backend(cluster_ws)
    for n in range(24):
        cluster_ws.sql("select count(*) + :n as n from alerts", {"n": n}, cache=True)
    keys = [k.decode() for k in backend.client.zrange(backend._index("core"), 0, -1)]
    assert len(keys) == 24
    homes = {redis_cluster.node_serving(backend._entry(k)).port for k in keys}
    assert homes == set(redis_cluster.primary_ports())
    for n in range(24):
        hit = cluster_ws.sql("select count(*) + :n as n from alerts", {"n": n}, cache=True)
        assert az.provenance(hit).cached and hit["n"][0] == 3 + n


def test_invalidation_across_nodes_is_seen_by_another_workspace(
    cluster_ws: Workspace, cluster_env: dict[str, str], home: Path
) -> None:
    assert cluster_ws.sql(JOIN, cache=True)["n"][0] == 3
    cluster_ws.execute("insert into alerts values (4)")
    cluster_ws.execute("insert into treasury_ledger values (4, 2)")
    with Workspace(Settings.load(env=cluster_env, cwd=home)) as other:
        assert other.cache.tables_changed("core", ["alerts", "treasury_ledger"])
    fresh = cluster_ws.sql(JOIN, cache=True)
    assert fresh["n"][0] == 4 and not az.provenance(fresh).cached
    assert az.provenance(cluster_ws.sql(JOIN, cache=True)).cached


def test_clear_visits_every_primary(
    cluster_ws: Workspace, redis_cluster: RedisClusterServers
) -> None:
    backend = _backend(cluster_ws)
    for n in range(12):
        cluster_ws.sql("select :n as n", {"n": n}, cache=True)
    client = backend.client
    # An entry its index lost (say, the index's node failed over before replicating it):
    # only a scan of every primary finds it.
    client.delete(backend._index("core"), backend._sizes("core"))
    stray = [backend._entry(uuid.uuid4().hex) for _ in range(6)]
    for key in stray:
        client.set(key, b"orphan", px=60_000)
    assert cluster_ws.cache.clear() == 18
    left = [
        k
        for node in backend._primaries()
        for k in node.scan_iter(match=f"{backend.prefix}:*")
        if k.endswith(b"}:e")
    ]
    assert left == []
    assert cluster_ws.cache.stats().source("core").entries == 0


def test_a_plain_client_on_a_cluster_is_said_not_hidden(
    cluster_env: dict[str, str],
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """What users saw before: every operation refused with MOVED, status "ok", zeros."""
    env = {**cluster_env, "AZORA_REDIS_CLUSTER": "false"}
    with Workspace(Settings.load(env=env, cwd=home)) as ws:
        ws.execute("create table t (id integer)")
        with caplog.at_level(logging.WARNING, logger="azora_nb"):
            for _ in range(3):
                assert ws.sql("select count(*) as n from t", cache=True)["n"][0] == 0
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1 and "AZORA_REDIS_CLUSTER" in warnings[0], warnings
        report = ws.status()
        assert report["cache"].state == "degraded" and report.overall == "degraded"
        assert "MOVED" in str(report["cache"].error)
        assert ws.cache.stats().incomplete
    monkeypatch.chdir(home)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["cache", "stats"])
    assert "figures are incomplete" in result.output, result.output
    as_json = json.loads(CliRunner().invoke(main, ["cache", "stats", "--json"]).output)
    assert as_json["incomplete"]
    status = CliRunner().invoke(main, ["status", "--json"])
    assert status.exit_code == 1
    cache = next(s for s in json.loads(status.output)["stores"] if s["store"] == "cache")
    assert cache["state"] == "degraded" and "MOVED" in cache["error"]


def test_status_is_ok_on_a_working_cluster(cluster_ws: Workspace) -> None:
    report = cluster_ws.status()
    assert report["cache"].state == "ok", report.to_dict()
    assert report["cache"].version and report["cache"].version.startswith("7")


def test_change_notices_reach_subscribers_on_every_node(
    cluster_ws: Workspace, redis_cluster: RedisClusterServers
) -> None:
    from azora_nb.sync.notices import Notifier, channel

    listeners = []
    for node in redis_cluster.nodes:
        pubsub = redis.Redis(port=node.port).pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(channel("user"))
        listeners.append(pubsub)
    try:
        notifier = Notifier(cluster_ws, "user", "users_to_mongo", "run-1")
        notifier.publish(["u1", "u2"])
        assert notifier.published == 1
        for pubsub in listeners:
            message = None
            deadline = time.monotonic() + 5
            while message is None and time.monotonic() < deadline:
                message = pubsub.get_message(timeout=0.2)
            assert message is not None, "a node's subscribers missed the notice"
            assert json.loads(message["data"])["ids"] == ["u1", "u2"]
    finally:
        for pubsub in listeners:
            pubsub.close()
