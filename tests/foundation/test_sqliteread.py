"""The SQLite fast read path (ADBC) gives exactly the frames of the sqlite3 path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

import azora_nb as az
from azora_nb import sqliteread
from azora_nb.settings import Settings

_meta = sa.MetaData()
wide = sa.Table(
    "wide",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("amount", az.types.Numeric(20, 8)),
    sa.Column("flag", az.types.Boolean),
    sa.Column("at", az.types.TimestampTZ()),
    sa.Column("at3", az.types.Timestamp(3)),
    sa.Column("day", az.types.Date),
    sa.Column("doc", az.types.JSONB),
    sa.Column("tags", az.types.TextArray),
    sa.Column("note", sa.Text),
    sa.Column("sparse", sa.Text),
)
BATCH = 1_000
"""The driver's batch size in these tests, so that a few thousand rows span batches."""
N = BATCH + 500  # past the first batch, by which the driver types a column


def _rows() -> list[dict[str, object]]:
    base = pd.Timestamp("2026-01-01T00:00:00Z")
    rows = []
    for i in range(N):
        rows.append(
            {
                "id": i,
                # whole numbers (stored as SQLite integers) first, fractions after the batch
                "amount": float(i) if i < BATCH else i + 0.25,
                "flag": None if i % 7 == 0 else i % 2 == 0,
                "at": None if i % 5 == 0 else (base + pd.Timedelta(seconds=i, microseconds=i)),
                "at3": (base + pd.Timedelta(milliseconds=i)).to_pydatetime(),
                "day": (base + pd.Timedelta(days=i % 400)).date(),
                "doc": None if i % 3 else {"i": i, "xs": [1, "a"]},
                "tags": ["x", str(i)],
                "note": f"n'{i}\"?" if i % 11 else None,
                "sparse": None,
            }
        )
    for row in rows:
        if row["at"] is not None:
            row["at"] = row["at"].to_pydatetime()  # type: ignore[union-attr]
    return rows


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[az.Workspace]:
    home = tmp_path_factory.mktemp("sqliteread")
    default, sqliteread.BATCH_ROWS = sqliteread.BATCH_ROWS, BATCH
    with az.Workspace(Settings.load(env={"AZORA_HOME": str(home)}, cwd=home)) as ws:
        engine = ws.engine("core")
        _meta.create_all(engine)
        with engine.begin() as conn:
            conn.execute(wide.insert(), _rows())
        yield ws
    sqliteread.BATCH_ROWS = default


def _exact(
    ws: az.Workspace, query: object, params: dict[str, object] | None = None
) -> pd.DataFrame:
    original = sqliteread.available
    sqliteread.available = lambda: False  # type: ignore[assignment]
    try:
        return ws.sql(query, params)  # type: ignore[arg-type]
    finally:
        sqliteread.available = original  # type: ignore[assignment]


def _fast(ws: az.Workspace, query: object, params: dict[str, object] | None = None) -> pd.DataFrame:
    with ws.engine("core").connect() as conn:
        stmt = sa.text(query) if isinstance(query, str) else query
        frame = sqliteread.read_frame(conn, stmt, params, az.frames.kinds_from_statement(stmt))
    assert frame is not None, "the fast path was not taken"
    return frame


@pytest.mark.parametrize(
    ("query", "params"),
    [
        ("select * from wide", None),
        (
            "select * from wide where id >= :lo and note <> :n order by id desc",
            {"lo": 10, "n": "?"},
        ),
        (
            "select id, at, min(at) over () as first_at, round(amount * 2, 2) as twice from wide",
            None,
        ),
        ("select note as 'odd ? name', count(*) as n from wide group by 1 order by 1", None),
    ],
)
def test_fast_path_equals_the_sqlite3_path(
    ws: az.Workspace, query: str, params: dict[str, object] | None
) -> None:
    fast = _fast(ws, query, params)
    pd.testing.assert_frame_equal(fast, _exact(ws, query, params))
    pd.testing.assert_frame_equal(ws.sql(query, params), fast)


def test_dtypes_follow_the_policy(ws: az.Workspace) -> None:
    frame = _fast(ws, "select * from wide")
    assert {c: str(d) for c, d in frame.dtypes.items()} == {
        "id": "Int64",
        "amount": "float64",
        "flag": "boolean",
        "at": "datetime64[ns, UTC]",
        "at3": "datetime64[ns, UTC]",
        "day": "datetime64[ns]",
        "doc": "object",
        "tags": "object",
        "note": "str",
        "sparse": "object",  # NULL throughout, no converter: as the sqlite3 path
    }
    assert frame["amount"].iloc[-1] == N - 1 + 0.25
    assert frame["doc"].iloc[0] == {"i": 0, "xs": [1, "a"]}
    assert frame["at"].iloc[1] == pd.Timestamp("2026-01-01T00:00:01.000001Z")


def test_core_statements_keep_their_declared_kinds(ws: az.Workspace) -> None:
    stmt = sa.select(wide.c.id, wide.c.at).where(wide.c.id < 100).order_by(wide.c.id)
    pd.testing.assert_frame_equal(_fast(ws, stmt), _exact(ws, stmt))


@pytest.mark.parametrize(
    "query",
    [
        "select percentile(amount, 0.5) as p from wide",  # a workspace function
        "select * from wide where id < 0",  # empty: the sqlite3 path types it
        "select id, id from wide",  # duplicate names
        "update wide set note = note where id = -1",
    ],
)
def test_what_the_fast_path_leaves_to_sqlite3(ws: az.Workspace, query: str) -> None:
    with ws.engine("core").connect() as conn:
        assert sqliteread.read_frame(conn, sa.text(query), None, {}) is None
    ws.sql(query)  # and the workspace still answers


def test_placeholders_outside_quotes_become_null() -> None:
    sql = "select '?', \"a?\", [b?] -- ?\n from t where x = ? and y = ?2 /* ? */"
    assert sqliteread._unbound(sql) == (
        "select '?', \"a?\", [b?] -- ?\n from t where x = NULL and y = NULL /* ? */"
    )


def test_a_file_replaced_since_the_last_read_is_read_afresh(tmp_path: Path) -> None:
    # The driver's connections are kept open (closing one would release the POSIX
    # locks Python's own SQLite holds on the same file); a new file must not be
    # read through a connection to the old one.
    home = tmp_path / "home"
    settings = Settings.load(env={"AZORA_HOME": str(home)}, cwd=tmp_path)
    for n in (3, 5):
        with az.Workspace(settings) as ws:
            with ws.engine("core").begin() as conn:
                conn.exec_driver_sql("create table t (x integer)")
                for i in range(1, n + 1):
                    conn.exec_driver_sql(f"insert into t values ({i})")
            assert _fast(ws, "select * from t")["x"].tolist() == list(range(1, n + 1))
        (home / "core.sqlite").unlink()
        for leftover in home.glob("core.sqlite-*"):
            leftover.unlink()
