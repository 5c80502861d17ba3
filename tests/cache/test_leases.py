"""Leases, not long locks: a kernel killed with SIGKILL while it computes an entry frees
it within 15 s, although waiters would otherwise wait AZORA_CACHE_LOCK_TIMEOUT (60 s)."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest

import azora_nb as az
from azora_nb.settings import Settings
from azora_nb.workspace import Workspace

from ._workers import hold

SETUP = """
create table knobs (secs double precision);
insert into knobs values (60);
create function maybe_slow() returns integer language plpgsql volatile as $$
begin
    perform pg_sleep((select secs from knobs));
    return 1;
end $$;
"""


@pytest.fixture
def slow_env(cache_env: dict[str, str], pg_database, home: Path) -> dict[str, str]:
    env = {
        **cache_env,
        "AZORA_CORE_URL": pg_database("lease"),
        "AZORA_CACHE_LOCK_TIMEOUT": "60",
    }
    with Workspace(Settings.load(env=env, cwd=home)) as ws, ws.engine().begin() as conn:
        conn.exec_driver_sql(SETUP)
    return env


def test_a_killed_holder_frees_the_entry_within_15_s(slow_env: dict[str, str], home: Path) -> None:
    holder = multiprocessing.get_context("spawn").Process(target=hold, args=(slow_env, str(home)))
    holder.start()
    with Workspace(Settings.load(env=slow_env, cwd=home)) as ws:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the holder is inside its query
            running = ws.sql(
                "select count(*) as n from pg_stat_activity "
                "where query like '%maybe_slow()%' and state = 'active' and pid <> pg_backend_pid()"
            )
            if running["n"][0]:
                break
            time.sleep(0.1)
        else:
            pytest.fail("the holder never started its query")
        holder.kill()  # SIGKILL: no finally, no release
        holder.join(timeout=10)
        assert holder.exitcode == -9
        ws.execute("update knobs set secs = 0")
        started = time.monotonic()
        result = ws.sql("select maybe_slow() as n", cache=True)
        waited = time.monotonic() - started
    assert result["n"][0] == 1 and not az.provenance(result).cached
    assert waited < 15, f"waited {waited:.1f} s for a dead holder"
