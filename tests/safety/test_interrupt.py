"""Interrupting a read: the server-side query is cancelled within a second, the
workspace stays usable, other threads keep running, and KeyboardInterrupt is raised."""

from __future__ import annotations

import _thread
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

import azora_nb as az
from azora_nb import sqliteread
from azora_nb.exceptions import QueryError
from azora_nb.workspace import Workspace

from .conftest import OwnServer

pytestmark = pytest.mark.postgres

SLEEP = "select pg_sleep(30) as slept"
# Two columns of one name: the COPY fast path refuses it, so this runs the DB-API path.
SLEEP_DBAPI = "select pg_sleep(30) as x, 1 as x"


@pytest.fixture
def pg_ws(pg_database: Callable[[str], str], home: Path) -> Iterator[Workspace]:
    with az.connect(AZORA_CORE_URL=pg_database("interrupt"), AZORA_HOME=str(home)) as ws:
        yield ws


def _interrupt_after(seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, _thread.interrupt_main)
    timer.start()
    return timer


def _sleeping(ws: Workspace) -> int:
    frame = ws.sql(
        "select count(*) as n from pg_stat_activity "
        "where query like '%pg_sleep(30)%' and state = 'active' and pid <> pg_backend_pid()"
    )
    return int(frame["n"].iloc[0])


def _interrupted(read: Callable[[], object]) -> tuple[float, int]:
    """Run ``read`` with an interrupt after 1 s; return the seconds until
    KeyboardInterrupt and how far a counting thread got meanwhile."""
    ticks = [0]
    stop = threading.Event()

    def count() -> None:
        while not stop.wait(0.01):
            ticks[0] += 1

    counter = threading.Thread(target=count)
    counter.start()
    start = time.monotonic()
    timer = _interrupt_after(1.0)
    try:
        with pytest.raises(KeyboardInterrupt):
            read()
        return time.monotonic() - start, ticks[0]
    finally:
        timer.cancel()
        stop.set()
        counter.join()


@pytest.mark.parametrize(
    "read",
    [
        pytest.param(lambda ws: ws.sql(SLEEP), id="copy-fast-path"),
        pytest.param(lambda ws: ws.sql(SLEEP_DBAPI), id="dbapi-path"),
        pytest.param(lambda ws: list(ws.sql_chunks(SLEEP, chunk_rows=10)), id="sql-chunks"),
        pytest.param(lambda ws: ws.sql(SLEEP, cache=True), id="cached"),
    ],
)
def test_interrupt_cancels_the_server_query(pg_ws: Workspace, read: Callable[..., object]) -> None:
    elapsed, ticks = _interrupted(lambda: read(pg_ws))
    assert elapsed < 2.0, f"the interrupt took {elapsed:.2f} s"
    # A thread counting every 10 ms kept running while the read waited.
    assert ticks > 20
    deadline = time.monotonic() + 1.0
    while _sleeping(pg_ws) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _sleeping(pg_ws) == 0
    assert pg_ws.sql("select 41 + 1 as answer")["answer"].tolist() == [42]


def test_other_threads_run_during_a_long_read(pg_ws: Workspace) -> None:
    ticks = [0]
    stop = threading.Event()

    def count() -> None:
        while not stop.wait(0.01):
            ticks[0] += 1

    counter = threading.Thread(target=count)
    counter.start()
    try:
        pg_ws.sql("select pg_sleep(1) as slept")
    finally:
        stop.set()
        counter.join()
    assert ticks[0] > 50


def test_statement_timeout_applies_to_every_read_path(
    pg_database: Callable[[str], str], home: Path
) -> None:
    with az.connect(
        AZORA_CORE_URL=pg_database("timeout"),
        AZORA_HOME=str(home),
        AZORA_STATEMENT_TIMEOUT="0.3",
    ) as ws:
        for read in (
            lambda: ws.sql("select pg_sleep(3) as s"),
            lambda: ws.sql("select pg_sleep(3) as x, 1 as x"),
            lambda: list(ws.sql_chunks("select pg_sleep(3) as s")),
        ):
            start = time.monotonic()
            with pytest.raises(QueryError, match="statement timeout"):
                read()
            assert time.monotonic() - start < 2.0


def test_closing_a_chunk_stream_early_stops_the_query(pg_ws: Workspace) -> None:
    chunks = pg_ws.sql_chunks(
        "select g, pg_sleep(case when g > 5 then 30 else 0 end) from generate_series(1, 10) g",
        chunk_rows=5,
    )
    first = next(chunks)
    assert first["g"].tolist() == [1, 2, 3, 4, 5]
    start = time.monotonic()
    chunks.close()
    assert time.monotonic() - start < 1.5
    assert pg_ws.sql("select 1 as one")["one"].tolist() == [1]


@pytest.mark.slow
def test_interrupt_on_a_frozen_server(own_pg: OwnServer, home: Path) -> None:
    with az.connect(AZORA_CORE_URL=own_pg.url(), AZORA_HOME=str(home)) as ws:
        assert ws.sql("select 1 as one")["one"].tolist() == [1]
        timer = threading.Timer(0.5, own_pg.freeze)
        timer.start()
        try:
            elapsed, ticks = _interrupted(lambda: ws.sql(SLEEP))
        finally:
            timer.cancel()
            own_pg.thaw()
        assert elapsed < 2.0, f"the interrupt took {elapsed:.2f} s"
        assert ticks > 20  # a held interpreter lock would leave it at 0 or 1
        # The cancel request waited in the server's listen queue; once thawed it lands.
        deadline = time.monotonic() + 10
        while _sleeping(ws) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _sleeping(ws) == 0
        frame = ws.sql("select 2 as two")
        assert isinstance(frame, pd.DataFrame)
        assert frame["two"].tolist() == [2]


SLOW_ROWS = "select g from generate_series(1, 5) g, (select pg_sleep(2.4)) s"


def test_a_long_read_shows_progress(pg_ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    assert pg_ws.sql(SLOW_ROWS)["g"].tolist() == [1, 2, 3, 4, 5]
    assert "reading" in capsys.readouterr().err
    assert pg_ws.sql("select 1 as one")["one"].tolist() == [1]
    assert capsys.readouterr().err == ""


def test_progress_can_be_turned_off(
    pg_database: Callable[[str], str], home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with az.connect(
        AZORA_CORE_URL=pg_database("quiet"), AZORA_HOME=str(home), AZORA_PROGRESS="0"
    ) as ws:
        assert ws.progress is False
        assert len(ws.sql(SLOW_ROWS)) == 5
    assert capsys.readouterr().err == ""


# Counting to 10^9 in a recursive CTE keeps SQLite busy for minutes. Joined to a row of
# a table, the statement holds a read snapshot of the file while it runs.
SQLITE_COUNT = (
    "with recursive c(n) as (select 1 union all select n + 1 from c where n < 1000000000) "
)
SQLITE_LONG = SQLITE_COUNT + "select count(*) as n from c, marker"
# The same rows, one by one: a result that streams, read through the ADBC fast path.
SQLITE_STREAM = SQLITE_COUNT + "select n, marker.v from c, marker"


def _reading_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("azora-nb-")]


def _checkpoint_busy(path: Path) -> int:
    """1 while a reader holds a snapshot of the write-ahead log (no waiting for it)."""
    import sqlite3

    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("insert into marker values (2)")
        return int(other.execute("pragma wal_checkpoint(truncate)").fetchone()[0])
    finally:
        other.close()


@pytest.mark.parametrize(
    "read",
    [
        pytest.param(lambda ws: ws.sql(SQLITE_LONG), id="sql-aggregate"),
        pytest.param(lambda ws: ws.sql(SQLITE_STREAM), id="sql-streaming-fast-path"),
        pytest.param(lambda ws: list(ws.sql_chunks(SQLITE_LONG)), id="sql-chunks"),
    ],
)
def test_interrupting_a_sqlite_read_stops_it(home: Path, read: Callable[..., object]) -> None:
    assert sqliteread.available()  # the fast path is in play, as for every user
    with az.connect(AZORA_HOME=str(home), AZORA_PROGRESS="0") as ws:
        ws.execute("create table marker (v integer)")
        ws.execute("insert into marker values (1)")  # the log holds a frame to guard
        elapsed, ticks = _interrupted(lambda: read(ws))
        assert elapsed < 2.0, f"the interrupt took {elapsed:.2f} s"
        assert ticks > 20  # a held interpreter lock would leave it at 0 or 1
        # The statement itself stopped: no thread still reads (the query would run for
        # minutes), and no snapshot of the file is held (a checkpoint is not blocked).
        deadline = time.monotonic() + 5.0
        while _reading_threads() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _reading_threads() == []
        assert _checkpoint_busy(home / "core.sqlite") == 0
        assert ws.sql("select 7 as seven")["seven"].tolist() == [7]
        assert ws.sql("select count(*) as n from marker")["n"].tolist() == [2]


@pytest.mark.parametrize(
    "read",
    [
        pytest.param(lambda ws: ws.sql(SQLITE_LONG), id="sql-aggregate"),
        pytest.param(lambda ws: ws.sql(SQLITE_STREAM), id="sql-streaming-fast-path"),
        pytest.param(lambda ws: list(ws.sql_chunks(SQLITE_LONG)), id="sql-chunks"),
    ],
)
def test_statement_timeout_on_sqlite(home: Path, read: Callable[..., object]) -> None:
    with az.connect(AZORA_HOME=str(home), AZORA_PROGRESS="0", AZORA_STATEMENT_TIMEOUT="0.3") as ws:
        ws.execute("create table marker (v integer)")
        ws.execute("insert into marker values (1)")
        start = time.monotonic()
        with pytest.raises(QueryError, match="statement timeout"):
            read(ws)
        assert time.monotonic() - start < 5.0
        assert ws.sql("select v from marker")["v"].tolist() == [1]
