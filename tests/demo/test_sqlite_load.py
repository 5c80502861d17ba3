"""The SQLite loader (through its staging table) stores what a plain INSERT stores, in
the same order, and a load that fails leaves nothing behind."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from itertools import chain
from pathlib import Path

import pyarrow as pa
import pytest

from azora_nb.demo.generate import ledger
from azora_nb.demo.load import Writer, for_sqlite
from azora_nb.demo.plan import Plan
from azora_nb.workspace import Workspace
from tests.demo.conftest import SMALL, embedded, migrated

STORED = "select *, typeof(amount_azr), typeof(gas_price_wei) from treasury_ledger order by rowid"


def _ledger() -> pa.Table:
    plan = Plan(scale=SMALL)
    return pa.concat_tables(chain(ledger.everyday_chunks(plan), ledger.payout_chunks(plan)))


def _shape(path: Path) -> list[tuple[str, str, str]]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(
            "select type, name, sql from sqlite_master where tbl_name = 'treasury_ledger'"
            " order by name"
        ).fetchall()


def test_loaded_rows_are_stored_as_a_plain_insert_stores_them(tmp_path: Path) -> None:
    table = _ledger()
    loaded, direct = (migrated(embedded(tmp_path / name)) for name in ("loaded", "direct"))
    with Writer(loaded.engine("core"), "core") as writer:
        chunks = [table.slice(0, 300), table.slice(300, 400), table.slice(700)]
        assert writer.write("treasury_ledger", chunks) == len(table)
    names = ", ".join(table.column_names)
    marks = ", ".join("?" for _ in table.column_names)
    with closing(sqlite3.connect(tmp_path / "direct" / "core.sqlite")) as conn:
        conn.executemany(
            f"insert into treasury_ledger ({names}) values ({marks})",
            zip(*for_sqlite(table), strict=True),
        )
        conn.commit()
        expected = conn.execute(STORED).fetchall()
    with closing(sqlite3.connect(tmp_path / "loaded" / "core.sqlite")) as conn:
        assert conn.execute(STORED).fetchall() == expected
        assert conn.execute("select count(*) from sqlite_temp_master").fetchone() == (0,)
    assert _shape(tmp_path / "loaded" / "core.sqlite") == _shape(
        tmp_path / "direct" / "core.sqlite"
    )
    loaded.close()
    direct.close()


def test_a_row_breaking_a_key_fails_the_whole_sqlite_load(sqlite_ws: Workspace) -> None:
    table = _ledger()
    home = Path(sqlite_ws.settings.home)
    before = _shape(home / "core.sqlite")
    repeated = table.slice(0, 1)  # its id again, in a later chunk
    with Writer(sqlite_ws.engine("core"), "core") as writer:
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
            writer.write("treasury_ledger", [table.slice(0, 500), table.slice(500), repeated])
        assert writer.count("treasury_ledger") == 0
        assert _shape(home / "core.sqlite") == before
        # The writer is usable again: the failed load left no staging table behind.
        assert writer.write("treasury_ledger", [table]) == len(table)
