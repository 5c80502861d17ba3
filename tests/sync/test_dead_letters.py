"""Bad records go to the dead-letter table, the run goes on, replay retries them."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from azora_nb import sync
from azora_nb.sync import SqlSource, SqlTarget, SyncDefinition
from azora_nb.workspace import Workspace
from tests.sync.conftest import N_ROWS, rewards, target_rows


def _points(ws: Workspace, ident: str, value: str) -> None:
    with ws.engine("mint").begin() as conn:
        conn.execute(rewards.update().where(rewards.c.id == ident).values(points=value))


def test_a_value_that_does_not_convert_is_dead_lettered_and_replayed(
    ws: Workspace, make_def: Callable[..., SyncDefinition]
) -> None:
    d = make_def(types={"points": "integer"})
    _points(ws, "r00007", "seven")
    _points(ws, "r00100", "1e3x")
    result = sync.run(ws, d, progress=False)
    assert result.status == "succeeded"
    assert (result.rows_written, result.rows_dead) == (N_ROWS - 2, 2)
    assert result.reconciliation is not None and result.reconciliation["ok"]
    letters = sync.dead_letters(ws, d)
    assert [x["record_key"] for x in letters] == ['["r00007"]', '["r00100"]']
    assert "column points" in letters[0]["reason"] and "'seven'" in letters[0]["reason"]
    assert letters[0]["record"]["points"] == "seven"
    assert letters[0]["record"]["id"] == "r00007"

    # replay before fixing: still dead, nothing written
    again = sync.replay(ws, d)
    assert again.rows_written == 0 and len(sync.dead_letters(ws, d)) == 2

    _points(ws, "r00007", "70")
    replayed = sync.replay(ws, d)
    assert replayed.rows_written == 1
    assert [x["record_key"] for x in sync.dead_letters(ws, d)] == ['["r00100"]']
    done = sync.dead_letters(ws, d, status="replayed")
    assert len(done) == 1 and done[0]["replayed_at"] is not None
    assert ("r00007", 70) in {(r[0], r[4]) for r in target_rows(ws)}


def test_a_missing_key_is_dead_lettered(ws: Workspace) -> None:
    d = SyncDefinition(
        "keyless",
        SqlSource(
            "mint",
            query="select case when id = 'r00003' then null else id "
            'end as id, status, "updatedAt" from rewards',
        ),
        SqlTarget("core", table="keyless"),
        key=("id",),
        cursor="updatedAt",
        batch_rows=50,
    )
    result = sync.run(ws, d, progress=False)
    assert (result.rows_written, result.rows_dead) == (N_ROWS - 1, 1)
    letter = sync.dead_letters(ws, d)[0]
    assert letter["record_key"] is None
    assert letter["reason"] == "missing key id"
    with ws.engine("core").connect() as conn:
        n = conn.execute(sa.text("select count(*) from analysis.keyless")).scalar()
    assert n == N_ROWS - 1
    # a query's columns take the kind of their values: the timestamp stays one
    frame = ws.sql('select "updatedAt" from analysis.keyless')
    assert str(frame["updatedAt"].dtype).startswith("datetime64")
