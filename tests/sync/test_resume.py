"""Crash and resume: a run that dies anywhere, then a rerun, gives the same target as
one clean run, with nothing lost and nothing duplicated."""

from __future__ import annotations

from collections.abc import Callable

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


@pytest.mark.parametrize(("stage", "page"), [("written", 0), ("written", 3),
                                             ("data-committed", 1), ("committed", 2),
                                             ("committed", 5)])
def test_rerun_after_a_crash_completes_the_work(ws: Workspace,
                                                make_def: Callable[..., SyncDefinition],
                                                stage: str, page: int) -> None:
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
        ws: Workspace, make_def: Callable[..., SyncDefinition]) -> None:
    d = make_def()
    with ws.engine("core").begin() as conn:  # what kill -9 leaves behind
        conn.execute(sync_runs.insert().values(run_id="dead", sync_name=d.name,
                                               status="running"))
    sync.run(ws, d, progress=False)
    runs = {r["run_id"]: r for r in sync.history(ws, d)}
    assert runs["dead"]["status"] == "failed"
    assert runs["dead"]["finished_at"] is not None
