"""Crash and resume: a run that dies anywhere, then a rerun, gives the same target as
one clean run, with nothing lost and nothing duplicated."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from azora_nb import sync
from azora_nb.schema.toolkit import sync_runs
from azora_nb.sync import SyncDefinition
from azora_nb.workspace import Workspace
from tests.sync.conftest import N_ROWS, source_rows, target_rows


class Crash(Exception):
    pass


def crash_at(stage: str, page: int) -> Callable[[str, int], None]:
    def hook(at: str, n: int) -> None:
        if at == stage and n == page:
            raise Crash(f"{stage} {page}")

    return hook


@pytest.mark.parametrize(
    ("stage", "page"),
    [("written", 0), ("written", 3), ("data-committed", 1), ("committed", 2), ("committed", 5)],
)
def test_rerun_after_a_crash_completes_the_work(
    ws: Workspace, make_def: Callable[..., SyncDefinition], stage: str, page: int
) -> None:
    if stage == "data-committed" and ws.engine("core").dialect.name != "sqlite":
        pytest.skip("rows and watermark commit apart only into an attached SQLite file")
    d = make_def()
    with pytest.raises(Crash):
        sync.run(ws, d, progress=False, hook=crash_at(stage, page))
    # "written" crashes before the page's commit: that page is rolled back
    committed = page + (0 if stage == "written" else 1)
    assert len(target_rows(ws)) == min(committed * d.batch_rows, N_ROWS)
    rerun = sync.run(ws, d, progress=False)
    assert rerun.status == "succeeded"
    assert target_rows(ws) == source_rows(ws)
    assert rerun.reconciliation is not None and rerun.reconciliation["ok"]
    runs = sync.history(ws, d)
    assert [r["status"] for r in runs] == ["succeeded", "failed"]
    assert "Crash" in runs[1]["error"]


def test_a_killed_process_leaves_a_running_row_that_the_next_run_closes(
    ws: Workspace, make_def: Callable[..., SyncDefinition]
) -> None:
    d = make_def()
    with ws.engine("core").begin() as conn:  # what kill -9 leaves behind
        conn.execute(sync_runs.insert().values(run_id="dead", sync_name=d.name, status="running"))
    sync.run(ws, d, progress=False)
    runs = {r["run_id"]: r for r in sync.history(ws, d)}
    assert runs["dead"]["status"] == "failed"
    assert runs["dead"]["finished_at"] is not None


CHILD = """
import sys, time
from pathlib import Path
from azora_nb import sync
from azora_nb.settings import Settings
from azora_nb.sync import SqlSource, SqlTarget, SyncDefinition
from azora_nb.workspace import Workspace

home = Path(sys.argv[1])
d = SyncDefinition("rewards", SqlSource("mint", table="rewards"),
                   SqlTarget("core", table="rewards"), key=("id",), cursor="updatedAt",
                   batch_rows=40)

def hook(stage, page):
    if stage == "committed":
        print("committed", page, flush=True)
        if page == 2:
            time.sleep(60)

with Workspace(Settings.load(env={"AZORA_HOME": str(home)}, cwd=home)) as ws:
    sync.run(ws, d, progress=False, hook=hook)
"""


def test_kill_9_mid_run_then_rerun(
    sqlite_ws: Workspace, make_def: Callable[..., SyncDefinition]
) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, str(sqlite_ws.home)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    ) as child:
        assert child.stdout is not None
        for line in child.stdout:
            if line.strip() == "committed 2":
                break
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    assert len(target_rows(sqlite_ws)) == 3 * 40
    result = sync.run(sqlite_ws, make_def(), progress=False)  # the lock died with it
    assert result.status == "succeeded"
    assert target_rows(sqlite_ws) == source_rows(sqlite_ws)
    runs = sync.history(sqlite_ws, make_def())
    assert [r["status"] for r in runs] == ["succeeded", "failed"]
