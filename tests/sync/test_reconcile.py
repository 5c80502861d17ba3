"""Whole-table reconciliation, on SQLite and PostgreSQL: late rows older than the lag
window, values changed in place and deletes at the source are all found, named by
bucket, and ``repair`` re-syncs only those buckets (deleting or tombstoning when the
definition asks)."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from azora_nb import sync
from azora_nb.settings import Settings
from azora_nb.sync import SyncDefinition
from azora_nb.workspace import Workspace
from tests.sync.conftest import (
    N_ROWS,
    T0,
    _prepare,
    reward_row,
    rewards,
    source_rows,
    target_rows,
)

BUCKET_ROWS = 25  # about 10 buckets over the 230 rows


@pytest.fixture
def bucketed(make_def: Callable[..., SyncDefinition]) -> Callable[..., SyncDefinition]:
    def make(**options: object) -> SyncDefinition:
        options.setdefault("lag", 300)
        return make_def(bucket_rows=BUCKET_ROWS, **options)

    return make


def _source(ws: Workspace, sql: str) -> None:
    with ws.engine("mint").begin() as conn:
        conn.execute(sa.text(sql))


def _late_row(ws: Workspace) -> None:
    """Committed after the run, stamped a day before its watermark, keyed in the
    middle of the table: no incremental run reads it."""
    row = reward_row(50, id="r00050a", updatedAt=T0 - timedelta(days=1))
    with ws.engine("mint").begin() as conn:
        conn.execute(rewards.insert().values(**row))


def test_a_late_row_outside_the_window_is_named_and_repaired(
    ws: Workspace, bucketed: Callable[..., SyncDefinition]
) -> None:
    d = bucketed()
    first = sync.run(ws, d, progress=False)
    assert first.reconciliation is not None and first.reconciliation["ok"]
    assert first.reconciliation["buckets"] >= 8
    on_pg = ws.engine("core").dialect.name == "postgresql"
    expected = "database" if on_pg else "database, source file attached"
    assert first.reconciliation["computed_in"] == expected
    _late_row(ws)

    missed = sync.run(ws, d, progress=False)
    recon = missed.reconciliation
    assert missed.rows_written == 0 and recon is not None and not recon["ok"]
    assert recon["buckets_differing"] == 1
    (bucket,) = recon["differ"]
    assert (bucket["source_count"], bucket["target_count"]) == (
        bucket["target_count"] + 1,
        bucket["target_count"],
    )
    assert recon["source_count"] == N_ROWS + 1 and recon["target_count"] == N_ROWS

    fixed = sync.repair(ws, d, progress=False)
    assert fixed.rows_written == 1
    assert fixed.rows_read == bucket["source_count"]  # that bucket only
    assert fixed.reconciliation is not None and fixed.reconciliation["ok"]
    assert fixed.reconciliation["buckets_resynced"] == 1
    assert target_rows(ws) == source_rows(ws)


def test_a_value_changed_in_place_is_found(
    ws: Workspace, bucketed: Callable[..., SyncDefinition]
) -> None:
    d = bucketed()
    sync.run(ws, d, progress=False)
    # the cursor does not move: an edit no incremental run can see
    _source(ws, "update rewards set status = 'REVERSED' where id = 'r00120'")
    recon = sync.run(ws, d, progress=False).reconciliation
    assert recon is not None and not recon["ok"]
    assert recon["source_count"] == recon["target_count"] == N_ROWS
    assert [b["source_count"] == b["target_count"] for b in recon["differ"]] == [True]
    assert sync.repair(ws, d, progress=False).rows_written == 1
    assert target_rows(ws) == source_rows(ws)


def test_deletes_are_found_and_kept_unless_asked(
    ws: Workspace, bucketed: Callable[..., SyncDefinition]
) -> None:
    d = bucketed()
    sync.run(ws, d, progress=False)
    _source(ws, "delete from rewards where id in ('r00010', 'r00200')")
    recon = sync.run(ws, d, progress=False).reconciliation
    assert recon is not None and recon["buckets_differing"] == 2
    kept = sync.repair(ws, d, progress=False)
    assert kept.rows_deleted == 0 and len(target_rows(ws)) == N_ROWS
    assert kept.reconciliation is not None and not kept.reconciliation["ok"]


def test_hard_deletes_propagate(ws: Workspace, bucketed: Callable[..., SyncDefinition]) -> None:
    d = bucketed(deletes="hard")
    sync.run(ws, d, progress=False)
    _source(ws, "delete from rewards where id in ('r00010', 'r00200')")
    fixed = sync.repair(ws, d, progress=False)
    assert fixed.rows_deleted == 2
    assert fixed.reconciliation is not None and fixed.reconciliation["ok"]
    assert target_rows(ws) == source_rows(ws)


def test_tombstones_mark_deleted_rows_and_clear_when_they_come_back(
    ws: Workspace, bucketed: Callable[..., SyncDefinition]
) -> None:
    d = bucketed(deletes="tombstone", tombstone_column="deleted_at", cursor=None)
    sync.run(ws, d, progress=False)
    _source(ws, "delete from rewards where id = 'r00042'")
    gone = sync.run(ws, d, progress=False)  # no cursor: every run compares buckets
    assert gone.rows_deleted == 1 and gone.reconciliation is not None
    assert gone.reconciliation["ok"]
    query = "select id from analysis.rewards where deleted_at is not null"
    assert [r.id for r in ws.sql(query).itertuples()] == ["r00042"]
    assert len(target_rows(ws)) == N_ROWS  # still there, marked

    with ws.engine("mint").begin() as conn:
        conn.execute(rewards.insert().values(**reward_row(42)))
    back = sync.run(ws, d, progress=False)
    assert back.rows_written == 1 and back.reconciliation is not None
    assert back.reconciliation["ok"]
    assert ws.sql(query).empty


def test_a_full_rerun_skips_every_unchanged_bucket(
    ws: Workspace, bucketed: Callable[..., SyncDefinition]
) -> None:
    d = bucketed()
    sync.run(ws, d, progress=False)
    again = sync.run(ws, d, full=True, progress=False)
    assert (again.rows_read, again.rows_written) == (0, 0)
    assert again.reconciliation is not None and again.reconciliation["ok"]
    assert again.reconciliation["buckets_resynced"] == 0
    assert again.watermark_after == again.watermark_before


def test_sync_run_exits_1_and_names_the_buckets_then_repair_fixes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from azora_nb.cli import main

    project = tmp_path / "project"
    project.mkdir()
    (project / "azora-sync.toml").write_text(
        '[sync.rewards]\nsource = { sql = "mint", table = "rewards" }\n'
        'target = { sql = "core", table = "rewards" }\nkey = "id"\ncursor = "updatedAt"\n'
        f"lag = 300\nbatch_rows = 40\nbucket_rows = {BUCKET_ROWS}\n"
    )
    for name in list(os.environ):
        if name.startswith("AZORA_") or name in ("DATABASE_URL", "MONGO_URI"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AZORA_HOME", str(project / ".azora"))
    monkeypatch.chdir(project)
    with Workspace(Settings.load()) as ws:
        _prepare(ws)
    runner = CliRunner()
    assert runner.invoke(main, ["sync", "run", "rewards", "--quiet"]).exit_code == 0
    with Workspace(Settings.load()) as ws:
        _late_row(ws)

    ran = runner.invoke(main, ["sync", "run", "rewards", "--quiet"])
    assert ran.exit_code == 1, ran.output
    assert "MISMATCH in 1 of" in ran.output and "bucket #" in ran.output
    assert "azora-nb sync repair rewards" in ran.output
    fixed = runner.invoke(main, ["sync", "repair", "rewards", "--quiet"])
    assert fixed.exit_code == 0, fixed.output
    assert "reconciliation: ok" in fixed.output and "1 re-synced" in fixed.output


def test_buckets_where_most_rows_changed_are_rewritten_with_the_same_result(
    ws: Workspace, bucketed: Callable[..., SyncDefinition]
) -> None:
    """On PostgreSQL such buckets are deleted and copied again rather than merged;
    either way only the changed rows count as written and a deleted one goes."""
    d = bucketed(deletes="hard")
    sync.run(ws, d, progress=False)
    _source(ws, "update rewards set status = status || '!' where id < 'r00060'")
    _source(ws, "update rewards set status = 'ONE' where id = 'r00150'")
    _source(ws, "delete from rewards where id = 'r00030'")
    result = sync.run(ws, d, full=True, progress=False)
    assert (result.rows_written, result.rows_deleted) == (60 - 1 + 1, 1)
    assert result.reconciliation is not None and result.reconciliation["ok"]
    assert target_rows(ws) == source_rows(ws)


def test_rewritten_buckets_keep_rows_gone_from_the_source_unless_asked(
    ws: Workspace, bucketed: Callable[..., SyncDefinition]
) -> None:
    """A bucket where most rows changed is rewritten (on PostgreSQL: its rows deleted
    and inserted again), yet with the default ``deletes = "keep"`` a row deleted at
    the source stays in the target, and only the changed rows count as written."""
    d = bucketed()
    sync.run(ws, d, progress=False)
    _source(ws, "update rewards set status = status || '!' where id < 'r00060'")
    _source(ws, "delete from rewards where id = 'r00030'")
    result = sync.run(ws, d, full=True, progress=False)
    assert (result.rows_written, result.rows_deleted) == (59, 0)
    kept = target_rows(ws)
    assert [r[0] for r in kept if r[0] == "r00030"] == ["r00030"] and len(kept) == N_ROWS
    assert [r for r in kept if r[0] != "r00030"] == source_rows(ws)
    assert result.reconciliation is not None and not result.reconciliation["ok"]


def test_a_few_changes_merge_in_place_with_new_and_deleted_rows(
    ws: Workspace, bucketed: Callable[..., SyncDefinition]
) -> None:
    """Buckets where few rows differ are merged (on PostgreSQL: one MERGE from the
    staged rows and one DELETE of the keys the source lost): a changed row, a new key
    between existing ones and a deleted row, in three buckets, with a second full run
    that finds nothing to do."""
    d = bucketed(deletes="hard")
    sync.run(ws, d, progress=False)
    _source(ws, "update rewards set status = 'ONE' where id = 'r00150'")
    _late_row(ws)
    _source(ws, "delete from rewards where id = 'r00210'")
    result = sync.run(ws, d, full=True, progress=False)
    assert (result.rows_written, result.rows_deleted) == (2, 1)
    assert result.reconciliation is not None and result.reconciliation["ok"]
    assert result.reconciliation["buckets_resynced"] == 3
    assert target_rows(ws) == source_rows(ws)
    again = sync.run(ws, d, full=True, progress=False)
    assert (again.rows_read, again.rows_written, again.rows_deleted) == (0, 0, 0)


@pytest.mark.parametrize("stage", ["written", "committed"])
def test_a_bucket_resync_that_dies_between_groups_is_finished_by_the_next_run(
    ws: Workspace, bucketed: Callable[..., SyncDefinition], stage: str
) -> None:
    """Each group of buckets (``batch_rows`` rows) commits with the run's state: a
    crash rolls back the group in flight only, and the next full run re-syncs what
    still differs, rewritten and merged groups alike."""
    d = bucketed(deletes="hard", batch_rows=50)
    sync.run(ws, d, progress=False)
    _source(ws, "update rewards set status = status || '!' where id < 'r00120'")
    _source(ws, "update rewards set status = 'ONE' where id in ('r00150', 'r00220')")
    _source(ws, "delete from rewards where id = 'r00180'")

    def crash(at: str, page: int) -> None:
        if at == stage and page == 1:
            raise RuntimeError("killed between groups")

    with pytest.raises(RuntimeError):
        sync.run(ws, d, full=True, progress=False, hook=crash)
    rerun = sync.run(ws, d, full=True, progress=False)
    assert rerun.status == "succeeded"
    assert rerun.reconciliation is not None and rerun.reconciliation["ok"]
    assert target_rows(ws) == source_rows(ws)
