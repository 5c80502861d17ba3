"""Redis going away mid-session: queries run uncached with one warning, and caching
resumes when it is back. Uses a redis-server of its own, never the shared one."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

import azora_nb as az
from azora_nb.cache import invalidate
from azora_nb.cache.redis_store import RedisBackend
from azora_nb.settings import Settings
from azora_nb.workspace import Workspace

from .conftest import ThrowawayRedis

QUERY = "select count(*) as n from events"


def test_redis_killed_during_a_run(
    throwaway_redis: ThrowawayRedis, home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    env = {
        "AZORA_HOME": str(home),
        "AZORA_REDIS_URL": throwaway_redis.url,
        "AZORA_CACHE_PREFIX": "azt-degrade",
        "AZORA_REDIS_CONNECT_TIMEOUT": "1",
    }
    with Workspace(Settings.load(env=env, cwd=home)) as ws:
        backend = ws.cache.backend
        assert isinstance(backend, RedisBackend)
        backend.retry_after = 0.3
        ws.execute("create table events (id integer)")
        ws.execute("insert into events values (1)")
        ws.sql(QUERY, cache=True)
        assert az.provenance(ws.sql(QUERY, cache=True)).cached

        throwaway_redis.kill()
        with caplog.at_level(logging.WARNING, logger="azora_nb"):
            for expected in (1, 2, 3):
                result = ws.sql(QUERY, cache=True)
                assert result["n"][0] == expected
                assert not az.provenance(result).cached
                invalidate(ws, "core", ["events"])
                ws.execute("insert into events values (:i)", {"i": expected + 1})
                time.sleep(0.35)  # past retry_after: each call tries Redis again
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1, [r.getMessage() for r in warnings]
        assert "unreachable" in warnings[0].getMessage()
        assert "uncached" in warnings[0].getMessage()
        assert ws.cache.stats().sources == ()  # reported empty, not raised

        throwaway_redis.start()
        time.sleep(0.35)
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="azora_nb"):
            first = ws.sql(QUERY, cache=True)
        assert "is back" in caplog.text
        assert first["n"][0] == 4 and not az.provenance(first).cached
        again = ws.sql(QUERY, cache=True)
        assert again["n"][0] == 4 and az.provenance(again).cached


def test_unreachable_redis_from_the_start_is_not_an_error(
    home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from .conftest import free_port

    env = {
        "AZORA_HOME": str(home),
        "AZORA_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "AZORA_REDIS_CONNECT_TIMEOUT": "1",
    }
    with (
        Workspace(Settings.load(env=env, cwd=home)) as ws,
        caplog.at_level(logging.WARNING, logger="azora_nb"),
    ):
        assert ws.sql("select 1 as one", cache=True)["one"][0] == 1
        assert ws.sql("select 1 as one", cache=True)["one"][0] == 1
    assert sum("unreachable" in r.getMessage() for r in caplog.records) == 1


def test_redis_refusing_writes_is_one_warning(
    throwaway_redis: ThrowawayRedis, home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import redis

    admin = redis.Redis.from_url(throwaway_redis.url)
    used = int(admin.info("memory")["used_memory"])
    admin.config_set("maxmemory-policy", "noeviction")
    admin.config_set("maxmemory", used + 256 * 1024)
    admin.close()
    env = {"AZORA_HOME": str(home), "AZORA_REDIS_URL": throwaway_redis.url}
    with (
        Workspace(Settings.load(env=env, cwd=home)) as ws,
        caplog.at_level(logging.WARNING, logger="azora_nb"),
    ):
        ws.execute("create table big (x real)")
        ws.execute(
            "insert into big select random() from json_each(:a)",
            {"a": "[" + ",".join("0" * 60_000) + "]"},
        )
        for _ in range(3):
            result = ws.sql("select x from big", cache=True)
            assert len(result) == 60_000
            assert not az.provenance(result).cached
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 1 and "maxmemory" in refusals[0].getMessage()
