"""Jobs: no overlapping runs, cancel between pages, status, cache invalidation."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from azora_nb import sync
from azora_nb.exceptions import SchemaError, SyncBusy
from azora_nb.settings import Settings
from azora_nb.sync import SyncDefinition, state
from azora_nb.workspace import Workspace
from tests.sync.conftest import N_ROWS, rewards, target_rows


def test_a_second_run_refuses_while_the_first_holds_the_lock(
    ws: Workspace, make_def: Callable[..., SyncDefinition]
) -> None:
    d = make_def()
    inside = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []

    def hold(stage: str, page: int) -> None:
        if stage == "committed" and page == 1:
            inside.set()
            release.wait(20)

    def first() -> None:
        try:
            sync.run(ws, d, progress=False, hook=hold)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert inside.wait(20)
        with pytest.raises(SyncBusy, match="already running"):
            sync.run(ws, d, progress=False)
        other = make_def("another")  # a different sync is not blocked
        assert sync.run(ws, other, progress=False).status == "succeeded"
    finally:
        release.set()
        thread.join(30)
    assert not errors
    assert sync.run(ws, d, progress=False).status == "succeeded"


def test_lock_is_free_again_after_a_failed_run(
    ws: Workspace, make_def: Callable[..., SyncDefinition]
) -> None:
    d = make_def()

    def boom(stage: str, page: int) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        sync.run(ws, d, progress=False, hook=boom)
    with state.lock(ws, d):
        pass


def test_cancel_stops_the_run_between_pages(
    ws: Workspace, make_def: Callable[..., SyncDefinition]
) -> None:
    d = make_def()

    def cancel_from_elsewhere(stage: str, page: int) -> None:
        if stage == "committed" and page == 1:
            with Workspace(ws.settings) as other:  # as another process would
                assert sync.cancel(other, d) == 1

    result = sync.run(ws, d, progress=False, hook=cancel_from_elsewhere)
    assert result.status == "cancelled"
    assert result.pages == 2 and len(target_rows(ws)) == 2 * d.batch_rows
    last = sync.history(ws, d)[0]
    assert last["status"] == "cancelled" and last["finished_at"] is not None
    assert sync.cancel(ws, d) == 0
    rest = sync.run(ws, d, progress=False)
    assert rest.status == "succeeded" and len(target_rows(ws)) == N_ROWS


def test_status_lists_builtin_and_reports_last_runs(ws: Workspace) -> None:
    rows = {r["name"]: r for r in sync.status(ws)}
    assert {"mint_users", "mint_knowledge_rewards", "gateway_api_calls"} <= set(rows)
    assert "mongo_entity_updates" not in rows  # no Mongo configured
    assert rows["mint_users"].get("last_status") is None


def test_a_run_invalidates_the_cache_of_the_tables_it_wrote(
    ws: Workspace, make_def: Callable[..., SyncDefinition]
) -> None:
    d = make_def()
    sync.run(ws, d, progress=False, hook=lambda stage, page: None)
    query = "select count(*) as n from analysis.rewards"
    first = ws.sql(query, cache=True, tables=["analysis.rewards"])
    with ws.engine("mint").begin() as conn:
        conn.exec_driver_sql(
            "update rewards set status = 'X', \"updatedAt\" = \"updatedAt\" where id = 'r00001'"
        )
    sync.run(ws, make_def(cursor=None), progress=False)
    second = ws.sql(
        "select count(*) as n from analysis.rewards where status = 'X'",
        cache=True,
        tables=["analysis.rewards"],
    )
    assert first["n"].iloc[0] == N_ROWS
    assert second["n"].iloc[0] == 1
    assert ws.sql(query, cache=True, tables=["analysis.rewards"])["n"].iloc[0] == N_ROWS
    with ws.engine("mint").begin() as conn:  # a delete at the source, and one change
        conn.exec_driver_sql("delete from rewards where id = 'r00002'")
        conn.exec_driver_sql("update rewards set status = 'Y' where id = 'r00003'")
    hard = make_def(cursor=None, deletes="hard")
    result = sync.run(ws, hard, progress=False)
    assert (result.rows_written, result.rows_deleted) == (1, 1)
    assert ws.sql(query, cache=True, tables=["analysis.rewards"])["n"].iloc[0] == N_ROWS - 1


def test_missing_toolkit_tables_say_what_to_run(
    home: Path, make_def: Callable[..., SyncDefinition]
) -> None:
    with Workspace(Settings.load(env={"AZORA_HOME": str(home)}, cwd=home)) as bare:
        rewards.create(bare.engine("mint"))
        with pytest.raises(SchemaError, match="azora-nb db upgrade"):
            sync.run(bare, make_def(), progress=False)


def test_runs_and_repairs_are_audited_in_the_target_database(
    ws: Workspace, make_def: Callable[..., SyncDefinition]
) -> None:
    import sqlalchemy as sa

    d = make_def()
    sync.run(ws, d, full=True, progress=False)
    sync.repair(ws, d, progress=False)
    with ws.engine("core").connect() as conn:
        rows = conn.execute(
            sa.text("select action, target, outcome, rows_affected from azora_nb_audit order by id")
        ).all()
    assert [tuple(r) for r in rows] == [
        ("sync.run", "rewards", "ok", N_ROWS),
        ("sync.repair", "rewards", "ok", 0),
    ]
