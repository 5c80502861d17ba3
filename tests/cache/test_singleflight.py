"""Two processes asking for the same missing entry at once: the query runs exactly once."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from azora_nb.settings import Settings
from azora_nb.workspace import Workspace

from ._workers import ask

SETUP = """
create table slow_hits (id serial primary key);
create function slow_count() returns bigint language plpgsql volatile as $$
begin
    insert into slow_hits default values;
    perform pg_sleep(1.0);
    return (select count(*) from slow_hits);
end $$;
"""


@pytest.fixture
def slow_env(cache_env: dict[str, str], pg_database, home: Path) -> dict[str, str]:
    env = {**cache_env, "AZORA_CORE_URL": pg_database("flight")}
    with Workspace(Settings.load(env=env, cwd=home)) as ws, ws.engine().begin() as conn:
        conn.exec_driver_sql(SETUP)
    return env


def test_the_query_runs_once_for_two_processes(slow_env: dict[str, str], home: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    workers = [
        ctx.Process(target=ask, args=(slow_env, str(home), barrier, results)) for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    answers = sorted(results.get(timeout=90) for _ in workers)
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    assert answers == [(1, False), (1, True)], "one ran the query, the other waited for it"
    with Workspace(Settings.load(env=slow_env, cwd=home)) as ws:
        assert ws.sql("select count(*) as n from slow_hits")["n"][0] == 1
        stats = ws.cache.stats().source("core")
        assert (stats.hits, stats.misses) == (1, 1)
