"""SQLite to SQLite inside SQLite: bucket bounds stepped through the key index, and
the reconciliation that compares the attached source with the target row by row
(exact: no rounding of values to text, no hash), with the Python comparison left
for what it cannot take."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from azora_nb import sync
from azora_nb.settings import Settings
from azora_nb.sync import SqlSource, SyncDefinition
from azora_nb.sync.buckets import Buckets
from azora_nb.sync.runner import Run
from azora_nb.sync.writers import SqlWriter
from azora_nb.workspace import Workspace
from tests.sync.conftest import N_ROWS, _prepare, source_rows, target_rows


@pytest.fixture
def lite(home: Path) -> Iterator[Workspace]:
    with Workspace(Settings.load(env={"AZORA_HOME": str(home)}, cwd=home)) as workspace:
        yield _prepare(workspace)


def _source(ws: Workspace, sql: str) -> None:
    with ws.engine("mint").begin() as conn:
        conn.execute(sa.text(sql))


@pytest.mark.parametrize("bucket_rows", [1, 7, 25, 229, 230, 1000])
def test_stepped_bounds_are_those_of_the_sorted_keys(
    lite: Workspace, make_def: Callable[..., SyncDefinition], bucket_rows: int
) -> None:
    d = make_def(bucket_rows=bucket_rows)
    sync.run(lite, d, progress=False)
    writer = Run(lite, d, None).prepare()
    assert isinstance(writer, SqlWriter) and writer._steps_by_index()
    keys = [r[0] for r in target_rows(lite)]
    assert writer.bucket_bounds(bucket_rows) == Buckets.from_keys(keys, bucket_rows)


def test_the_comparison_is_exact(lite: Workspace, make_def: Callable[..., SyncDefinition]) -> None:
    d = make_def(bucket_rows=25, lag=300)
    first = sync.run(lite, d, progress=False)
    assert first.reconciliation is not None and first.reconciliation["ok"]
    assert first.reconciliation["computed_in"] == "database, source file attached"
    # none of these moves the cursor: only the comparison can see them
    _source(lite, "update rewards set amount = amount + 1e-12 where id = 'r00010'")
    _source(lite, "update rewards set points = points || ' ' where id = 'r00100'")
    _source(lite, "update rewards set userId = NULL where id = 'r00200'")
    recon = sync.run(lite, d, progress=False).reconciliation
    assert recon is not None and recon["buckets_differing"] == 3
    assert recon["source_count"] == recon["target_count"] == N_ROWS
    fixed = sync.repair(lite, d, progress=False)
    assert fixed.rows_written == 3
    assert fixed.reconciliation is not None and fixed.reconciliation["ok"]
    assert target_rows(lite) == source_rows(lite)


def test_a_tombstoned_row_back_at_the_source_differs_until_revived(
    lite: Workspace, make_def: Callable[..., SyncDefinition]
) -> None:
    d = make_def(bucket_rows=25, deletes="tombstone", tombstone_column="deleted_at")
    sync.run(lite, d, progress=False)
    with lite.engine("core").begin() as conn:
        conn.execute(
            sa.text("update analysis.rewards set deleted_at = '2026-01-01' where id = 'r00007'")
        )
    recon = sync.run(lite, d, progress=False).reconciliation
    assert recon is not None and recon["buckets_differing"] == 1
    assert recon["target_count"] == N_ROWS - 1
    assert sync.repair(lite, d, progress=False).rows_written == 1
    assert sync.run(lite, d, progress=False).reconciliation["ok"]  # type: ignore[index]


def test_what_sqlite_cannot_compare_inside_is_compared_in_python(
    lite: Workspace, make_def: Callable[..., SyncDefinition]
) -> None:
    d = make_def(bucket_rows=25)
    query = SyncDefinition(
        d.name,
        SqlSource("mint", query="select * from rewards"),
        d.target,
        key=d.key,
        cursor=d.cursor,
        batch_rows=d.batch_rows,
        bucket_rows=d.bucket_rows,
    )
    done = sync.run(lite, query, progress=False)
    assert done.reconciliation is not None and done.reconciliation["ok"]
    assert done.reconciliation["computed_in"].startswith("python")
    _source(lite, "update rewards set status = 'X' where id = 'r00020'")
    recon = sync.run(lite, query, progress=False).reconciliation
    assert recon is not None and recon["buckets_differing"] == 1
