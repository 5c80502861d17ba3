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


# Counting to 10^9 in a recursive CTE keeps SQLite busy for minutes.
SQLITE_LONG = (
    "with recursive c(n) as (select 1 union all select n + 1 from c where n < 1000000000) "
    "select count(*) as n from c"
)


@pytest.mark.parametrize(
    "read",
    [
        pytest.param(lambda ws: ws.sql(SQLITE_LONG), id="sql"),
        pytest.param(lambda ws: list(ws.sql_chunks(SQLITE_LONG)), id="sql-chunks"),
    ],
)
def test_interrupting_a_sqlite_read(
    home: Path, read: Callable[..., object], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The ADBC fast path cannot be cancelled (its SQLite driver does not implement
    # cancel), so an interrupted read there would go on in the background: test the
    # sqlite3 path, which sqlite3's interrupt() stops.
    monkeypatch.setattr(sqliteread, "available", lambda: False)
    with az.connect(AZORA_HOME=str(home)) as ws:
        ws.sql("select 1 as warm")
        elapsed, ticks = _interrupted(lambda: read(ws))
        assert elapsed < 2.0, f"the interrupt took {elapsed:.2f} s"
        assert ticks > 20  # a held interpreter lock would leave it at 0 or 1
        assert ws.sql("select 7 as seven")["seven"].tolist() == [7]
