"""A damaged disk cache is a miss and heals: queries, ``cache stats``, ``cache clear`` and
``status`` never crash, the rebuild is logged once and ``status`` reports it. Signed
entries: with AZORA_CACHE_SECRET, unsigned and forged entries are misses."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

import azora_nb as az
from azora_nb.cache.redis_store import RedisBackend
from azora_nb.settings import Settings
from azora_nb.workspace import Workspace

from .conftest import entry_keys

QUERY = "select count(*) as n from t"


def _seeded(home: Path, **env: str) -> Workspace:
    ws = Workspace(Settings.load(env={"AZORA_HOME": str(home), **env}, cwd=home))
    ws.execute("create table if not exists t (id integer)")
    ws.execute("insert into t values (1)")
    return ws


def _damage(home: Path) -> None:
    database = home / "cache" / "entries" / "cache.db"
    assert database.exists()
    with open(database, "r+b") as handle:
        handle.write(b"this is not a database" * 200)


def test_a_damaged_disk_cache_is_rebuilt_once(
    home: Path, caplog: pytest.LogCaptureFixture, monkeypatch
) -> None:
    ws = _seeded(home)
    ws.sql(QUERY, cache=True)
    assert az.provenance(ws.sql(QUERY, cache=True)).cached
    ws.close()
    _damage(home)
    with caplog.at_level(logging.WARNING, logger="azora_nb"):
        ws = _seeded(home)
    with caplog.at_level(logging.WARNING, logger="azora_nb"):
        results = [ws.sql(QUERY, cache=True) for _ in range(3)]
    ws_n = ws.sql("select count(*) as n from t")["n"][0]
    assert all(r["n"][0] == ws_n for r in results)
    assert not az.provenance(results[0]).cached
    assert az.provenance(results[-1]).cached, "the rebuilt cache caches again"
    rebuilt = [r for r in caplog.records if "was damaged" in r.getMessage()]
    assert len(rebuilt) == 1, caplog.text
    status = ws.status()["cache"]
    assert status.reachable and "rebuilt after damage" in (status.note or "")
    ws.close()

    from azora_nb.cli import main

    monkeypatch.setenv("AZORA_HOME", str(home))
    _damage(home)
    runner = CliRunner()
    for command in (["cache", "stats"], ["cache", "clear"], ["status", "--json"], ["status"]):
        result = runner.invoke(main, command)
        assert result.exception is None or isinstance(result.exception, SystemExit), command
        assert "Traceback" not in result.output
    assert "rebuilt after damage" in runner.invoke(main, ["status", "--json"]).output


def test_unsigned_and_forged_entries_are_misses_with_a_secret(make_ws, cache_env) -> None:
    plain = make_ws()
    plain.execute("create table t (id integer)")
    plain.execute("insert into t values (1)")
    plain.sql(QUERY, cache=True)  # an unsigned entry, as a foreign writer would leave
    signed = make_ws(AZORA_CACHE_SECRET="s3cret-signing-key")
    first = signed.sql(QUERY, cache=True)
    assert not az.provenance(first).cached, "unsigned entry refused"
    assert az.provenance(signed.sql(QUERY, cache=True)).cached, "its own signed entry served"

    # Forge: flip one byte of the body of the stored (signed) entry.
    backend = signed.cache.backend
    (key,) = entry_keys(signed)
    data = bytearray(backend.get(key) or b"")
    data[-40] ^= 0xFF
    if isinstance(backend, RedisBackend):
        backend.client.set(backend._entry(key), bytes(data))
    else:
        backend.cache.set(f"e:{key}", bytes(data))
    assert not az.provenance(signed.sql(QUERY, cache=True)).cached
    assert not az.provenance(plain.sql(QUERY, cache=True)).cached, "signed entry: no secret"
    assert "s3cret-signing-key" not in repr(signed.settings)
