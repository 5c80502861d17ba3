"""Writes by anyone are seen by the next cached call: ``psql`` in a subprocess on
PostgreSQL (with change-tracking triggers, and without them through the catalog's
counters), the ``sqlite3`` module on SQLite; unobservable reads are bounded by
``AZORA_CACHE_MAX_STALENESS``."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import azora_nb as az
from azora_nb.cache import tracking
from azora_nb.workspace import Workspace

COUNT = "select count(*) as n from rewards where status = 'pending'"


def _psql(url: str, sql: str) -> None:
    if shutil.which("psql") is None:
        pytest.skip("psql is not installed")
    plain = sa.engine.make_url(url).set(drivername="postgresql")
    subprocess.run(
        ["psql", plain.render_as_string(hide_password=False), "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture
def pg_rewards(make_ws: Callable[..., Workspace], pg_database) -> tuple[Workspace, str]:
    url = pg_database("outside")
    ws = make_ws(AZORA_CORE_URL=url)
    ws.execute("create table rewards (id integer primary key, status text)")
    ws.execute("insert into rewards select g, 'pending' from generate_series(1, 3) g")
    return ws, url


def test_psql_write_is_seen_through_triggers(pg_rewards) -> None:
    ws, url = pg_rewards
    with ws.engine().begin() as conn:
        assert tracking.install(conn) == ["public.rewards"]
    assert ws.sql(COUNT, cache=True)["n"][0] == 3
    hit = ws.sql(COUNT, cache=True)
    assert az.provenance(hit).cached
    assert "triggers" in az.provenance(hit).freshness
    _psql(url, "insert into rewards values (4, 'pending')")
    fresh = ws.sql(COUNT, cache=True)
    assert fresh["n"][0] == 4 and not az.provenance(fresh).cached
    _psql(url, "truncate rewards")
    assert ws.sql(COUNT, cache=True)["n"][0] == 0


def test_psql_write_is_seen_through_catalog_counters_without_triggers(pg_rewards) -> None:
    ws, url = pg_rewards
    assert ws.sql(COUNT, cache=True)["n"][0] == 3
    hit = ws.sql(COUNT, cache=True)
    assert az.provenance(hit).cached
    assert "pg_stat_user_tables" in az.provenance(hit).freshness
    _psql(url, "update rewards set status = 'pending' where id = 1")  # same count, new data
    _psql(url, "insert into rewards values (4, 'pending')")
    deadline = time.monotonic() + 5  # counters are published when psql's session ends
    while True:
        fresh = ws.sql(COUNT, cache=True)
        if fresh["n"][0] == 4 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert fresh["n"][0] == 4


def test_untrack_removes_the_triggers_and_counters_take_over(pg_rewards, monkeypatch) -> None:
    from azora_nb.cli import main

    ws, url = pg_rewards
    monkeypatch.setenv("AZORA_CORE_URL", url)
    monkeypatch.setenv("AZORA_HOME", str(ws.home))
    runner = CliRunner()
    result = runner.invoke(main, ["cache", "track", "--source", "core"])
    assert result.exit_code == 0, result.output
    assert "change tracking on 1 tables" in result.output
    result = runner.invoke(main, ["cache", "untrack", "--source", "core"])
    assert result.exit_code == 0, result.output
    assert "removed" in result.output
    with ws.engine().connect() as conn:
        triggers = conn.exec_driver_sql(
            "select count(*) from pg_trigger where tgname = 'azora_nb_cache_changes'"
        ).scalar()
    assert triggers == 0
    ws.sql(COUNT, cache=True)
    assert "counters" in az.provenance(ws.sql(COUNT, cache=True)).freshness


def test_sqlite3_module_write_is_seen(ws: Workspace, home: Path) -> None:
    ws.execute("create table rewards (id integer primary key, status text)")
    ws.execute("insert into rewards values (1, 'pending'), (2, 'pending'), (3, 'pending')")
    assert ws.sql(COUNT, cache=True)["n"][0] == 3
    assert az.provenance(ws.sql(COUNT, cache=True)).cached
    with sqlite3.connect(home / "core.sqlite") as raw:
        raw.execute("insert into rewards values (4, 'pending')")
    fresh = ws.sql(COUNT, cache=True)
    assert fresh["n"][0] == 4 and not az.provenance(fresh).cached
    with sqlite3.connect(home / "core.sqlite") as raw:
        raw.execute("update rewards set status = 'paid' where id = 4")
    assert ws.sql(COUNT, cache=True)["n"][0] == 3


def test_an_unobservable_read_is_bounded_by_max_staleness(make_ws, pg_database) -> None:
    ws = make_ws(AZORA_CORE_URL=pg_database("stale"), AZORA_CACHE_MAX_STALENESS="1")
    ws.execute("create table rewards (id integer primary key, status text)")
    ws.execute("create view pending as select * from rewards where status = 'pending'")
    ws.execute("insert into rewards values (1, 'pending')")
    query = "select count(*) as n from pending"  # a view: its changes are not observed
    assert ws.sql(query, cache=True)["n"][0] == 1
    hit = ws.sql(query, cache=True)
    assert az.provenance(hit).cached
    assert "by age only" in az.provenance(hit).freshness
    ws.execute("insert into rewards values (2, 'pending')")
    time.sleep(1.2)
    fresh = ws.sql(query, cache=True)
    assert fresh["n"][0] == 2 and not az.provenance(fresh).cached
