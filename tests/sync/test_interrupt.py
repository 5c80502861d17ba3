"""Ctrl-C during a sync: the source query stops on the server, the run is recorded as
failed (not left running), and a rerun completes the work with nothing lost."""

from __future__ import annotations

import _thread
import threading
import time
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from azora_nb import sync
from azora_nb.sync import SyncDefinition, sources
from azora_nb.sync.copy_path import can_pipe
from azora_nb.workspace import Workspace
from tests.sync.conftest import source_rows, target_rows


def _waiting_on_rewards(ws: Workspace) -> int:
    with ws.engine("mint").connect() as conn:
        return int(
            conn.execute(
                sa.text(
                    "select count(*) from pg_stat_activity where state = 'active' "
                    "and query ilike '%rewards%' and pid <> pg_backend_pid() "
                    "and query not ilike '%lock table%'"
                )
            ).scalar_one()
        )


def _rerun_completes(ws: Workspace, d: SyncDefinition) -> None:
    runs = sync.history(ws, d)
    assert runs[0]["status"] == "failed" and "KeyboardInterrupt" in (runs[0]["error"] or "")
    rerun = sync.run(ws, d, progress=False)
    assert rerun.status == "succeeded"
    assert target_rows(ws) == source_rows(ws)
    assert rerun.reconciliation is not None and rerun.reconciliation["ok"]


def test_interrupt_between_pages(ws: Workspace, make_def: Callable[..., SyncDefinition]) -> None:
    d = make_def()

    def hook(at: str, n: int) -> None:
        if at == "committed" and n == 2:
            raise KeyboardInterrupt  # as a Ctrl-C landing between two pages

    with pytest.raises(KeyboardInterrupt):
        sync.run(ws, d, progress=False, hook=hook)
    _rerun_completes(ws, d)


@pytest.mark.parametrize("path", ["copy", "rows"])
def test_interrupt_cancels_a_blocked_source_read_on_postgresql(
    ws: Workspace, make_def: Callable[..., SyncDefinition], path: str
) -> None:
    if ws.engine("mint").dialect.name != "postgresql":
        pytest.skip("a lock that blocks readers needs PostgreSQL (SQLite readers never wait)")
    # A conversion takes the run off the COPY path, onto pages read as rows.
    d = make_def() if path == "copy" else make_def(types={"amount": "float"})
    assert can_pipe(ws, d, sources.make_reader(ws, d)) == (path == "copy")
    locker = ws.engine("mint").connect()
    try:
        locker.exec_driver_sql("lock table rewards in access exclusive mode")
        timer = threading.Timer(1.0, _thread.interrupt_main)
        timer.start()
        start = time.monotonic()
        try:
            with pytest.raises(KeyboardInterrupt):
                sync.run(ws, d, progress=False)
        finally:
            timer.cancel()
        assert time.monotonic() - start < 5.0
        # psycopg sends the cancel request as the interrupt lands; the server acts on it
        # within moments (a query still waiting would hold its connection for good).
        deadline = time.monotonic() + 2.0
        while _waiting_on_rewards(ws) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _waiting_on_rewards(ws) == 0  # the blocked query was cancelled on the server
    finally:
        locker.rollback()
        locker.close()
    _rerun_completes(ws, d)
