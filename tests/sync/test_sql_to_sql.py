"""SQL → SQL into the analysis area, on SQLite and PostgreSQL: a full copy, idempotency,
incremental runs, the lag window and the NULL-cursor rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa

from azora_nb import sync
from azora_nb.sync import SyncDefinition
from azora_nb.workspace import Workspace
from tests.sync.conftest import N_ROWS, reward_row, rewards, source_rows, target_rows


def _update(ws: Workspace, *rows: dict[str, object]) -> None:
    with ws.engine("mint").begin() as conn:
        for row in rows:
            done = conn.execute(rewards.update().where(rewards.c.id == row["id"]).values(**row))
            if not done.rowcount:
                conn.execute(rewards.insert().values(**row))


def test_first_run_copies_every_row_in_pages(
    ws: Workspace, make_def: Callable[..., SyncDefinition]
) -> None:
    result = sync.run(ws, make_def(), progress=False)
    assert result.status == "succeeded"
    assert (result.rows_read, result.rows_written, result.rows_dead) == (N_ROWS, N_ROWS, 0)
    assert result.pages == 6
    assert target_rows(ws) == source_rows(ws)
    assert result.reconciliation is not None and result.reconciliation["ok"]
    assert result.reconciliation["source_count"] == N_ROWS
    frame = ws.sql("select count(*) as n, sum(amount) as total from analysis.rewards")
    assert frame["n"].iloc[0] == N_ROWS


def test_second_run_changes_nothing(ws: Workspace, make_def: Callable[..., SyncDefinition]) -> None:
    d = make_def()
    sync.run(ws, d, progress=False)
    before = target_rows(ws)
    again = sync.run(ws, d, progress=False)
    full = sync.run(ws, d, full=True, progress=False)
    assert again.rows_written == 0 and full.rows_written == 0
    assert full.rows_read == 0  # a full run compares buckets first: none differs
    assert target_rows(ws) == before
    assert again.watermark_after == again.watermark_before


def test_incremental_run_reads_from_the_watermark(
    ws: Workspace, make_def: Callable[..., SyncDefinition]
) -> None:
    d = make_def()
    first = sync.run(ws, d, progress=False)
    last_ts = reward_row(N_ROWS - 1)["updatedAt"]
    assert first.watermark_after == {
        "type": "timestamp",
        "value": last_ts.replace(microsecond=123000).isoformat(),
    }
    _update(
        ws,
        reward_row(5, status="FAILED", updatedAt=last_ts + timedelta(minutes=5)),
        reward_row(N_ROWS + 1, updatedAt=last_ts + timedelta(minutes=6)),
    )
    second = sync.run(ws, d, progress=False)
    # the rows at the old watermark (ties) are re-read, plus the two new ones
    assert second.rows_read == 2 + 2
    assert second.rows_written == 2
    assert target_rows(ws) == source_rows(ws)


def test_lag_window_catches_a_late_row(
    ws: Workspace, make_def: Callable[..., SyncDefinition]
) -> None:
    with_lag = make_def("lagged", lag=600)
    without = make_def("unlagged")
    sync.run(ws, with_lag, progress=False)
    sync.run(ws, without, progress=False)
    last_ts = reward_row(N_ROWS - 1)["updatedAt"]
    # committed after the runs, but stamped 5 minutes before the watermark
    _update(ws, reward_row(900, updatedAt=last_ts - timedelta(minutes=5)))

    caught = sync.run(ws, with_lag, progress=False)
    assert caught.rows_written == 1

    with ws.engine("core").begin() as conn:
        conn.execute(sa.text("delete from analysis.rewards where id = 'r00900'"))
    missed = sync.run(ws, without, progress=False)
    assert missed.rows_written == 0
    # what the window missed, a full run repairs
    assert sync.run(ws, without, full=True, progress=False).rows_written == 1


def test_null_cursors_are_read_on_full_runs_or_when_included(
    ws: Workspace, make_def: Callable[..., SyncDefinition]
) -> None:
    _update(ws, reward_row(700, updatedAt=None), reward_row(701, updatedAt=None))
    plain = make_def("plain")
    assert sync.run(ws, plain, progress=False).rows_written == N_ROWS
    assert sync.run(ws, plain, full=True, progress=False).rows_written == 2
    included = make_def("included", include_null_cursor=True)
    sync.run(ws, plain, progress=False)
    _update(ws, reward_row(702, updatedAt=None))
    result = sync.run(ws, included, progress=False)
    assert result.rows_read == N_ROWS + 3
    assert result.watermark_after is not None
    assert len(target_rows(ws)) == N_ROWS + 3
    assert sync.run(ws, included, progress=False).rows_read == 2 + 3  # ties at the watermark, NULLs


def test_definition_without_cursor_merges_by_key(
    ws: Workspace, make_def: Callable[..., SyncDefinition]
) -> None:
    d = make_def("bykey", cursor=None)
    assert sync.run(ws, d, progress=False).rows_written == N_ROWS
    _update(ws, reward_row(3, status="FAILED"))
    result = sync.run(ws, d, progress=False)
    assert (result.rows_read, result.rows_written) == (N_ROWS, 1)
    assert result.watermark_after is None


def test_first_load_survives_a_key_arriving_twice(
    ws: Workspace, make_def: Callable[..., SyncDefinition]
) -> None:
    """On PostgreSQL a first load copies pages straight into the empty target; a key
    that shows up again (here: written by someone else meanwhile) sends the rest of
    the run back through staging and the merge."""
    d = make_def()

    def meddle(stage: str, page: int) -> None:
        if stage == "committed" and page == 0:
            with ws.engine("core").begin() as conn:
                conn.execute(
                    sa.text(
                        "insert into analysis.rewards (id, status) values ('r00150', 'MEDDLED')"
                    )
                )

    result = sync.run(ws, d, progress=False, hook=meddle)
    assert result.status == "succeeded" and result.rows_read == N_ROWS
    assert target_rows(ws) == source_rows(ws)


def test_reconciliation_reports_what_the_merge_cannot_fix(
    ws: Workspace, make_def: Callable[..., SyncDefinition]
) -> None:
    d = make_def()
    sync.run(ws, d, progress=False)
    with ws.engine("mint").begin() as conn:  # deletes do not travel
        conn.execute(rewards.delete().where(rewards.c.id == "r00100"))
    result = sync.run(ws, d, full=True, progress=False)
    recon = result.reconciliation
    assert recon is not None and recon["checked"]
    assert (recon["source_count"], recon["target_count"]) == (N_ROWS - 1, N_ROWS)
    assert not recon["ok"] and not recon["checksum_match"]
    assert sync.history(ws, d)[0]["reconciliation"]["ok"] is False
