"""Loading into an empty PostgreSQL table defers its keys and indexes, and builds every
one of them again (the rows still checked)."""

from __future__ import annotations

import pyarrow as pa
import pytest
import sqlalchemy as sa

from azora_nb.demo import seed
from azora_nb.demo.load import Writer
from azora_nb.workspace import Workspace

from .conftest import SMALL

pytestmark = pytest.mark.postgres

_SHAPE = """
select 'c:' || conname || ' ' || pg_get_constraintdef(oid) from pg_constraint
where conrelid = any(%(tables)s::regclass[])
union all
select 'i:' || indexdef from pg_indexes where tablename = any(%(names)s)
order by 1
"""


def _shape(ws: Workspace, source: str, tables: list[str]) -> list[str]:
    raw = ws.engine(source).raw_connection()
    try:
        with raw.cursor() as cur:
            cur.execute(_SHAPE, {"tables": tables, "names": tables})
            return [row[0] for row in cur.fetchall()]
    finally:
        raw.close()


def test_seeding_leaves_every_key_index_and_foreign_key_in_place(pg_ws: Workspace) -> None:
    tables = {
        source: list(sa.inspect(pg_ws.engine(source)).get_table_names())
        for source in ("core", "mint")
    }
    before = {source: _shape(pg_ws, source, names) for source, names in tables.items()}
    assert any(" FOREIGN KEY " in line for line in before["core"])
    seed(pg_ws, scale=SMALL, sources=["core", "mint"], progress=False)
    assert {source: _shape(pg_ws, source, names) for source, names in tables.items()} == before


def test_a_row_breaking_a_deferred_key_fails_the_whole_load(pg_ws: Workspace) -> None:
    uid = "6f1c9b1e-0000-4000-8000-00000000000{}"
    row = {
        "id": [uid.format(1), uid.format(2)],
        "session_id": ["s1", "s2"],
        "user_id": [uid.format(9), uid.format(9)],  # no such user: the foreign key
        "algorithm": ["sha256", "sha256"],
    }
    with Writer(pg_ws.engine("core"), "core") as writer:
        columns = {c.name for c in writer.metadata.tables["mining_sessions"].columns}
        assert set(row) <= columns
        with pytest.raises(Exception, match="foreign key"):
            writer.write("mining_sessions", [pa.table(row)])
        assert writer.count("mining_sessions") == 0
    assert "c:mining_sessions_pkey PRIMARY KEY (id)" in _shape(pg_ws, "core", ["mining_sessions"])


def test_seeded_tables_have_planner_statistics(pg_ws: Workspace) -> None:
    """The server may run without autovacuum (this one does): the seed analyzes."""
    seed(pg_ws, scale=SMALL, sources=["core"], progress=False)
    raw = pg_ws.engine("core").raw_connection()
    try:
        with raw.cursor() as cur:
            cur.execute(
                "select count(*) from pg_stats where tablename = 'treasury_ledger'"
                " and attname = 'blockchain_status'"
            )
            assert cur.fetchone() == (1,)
    finally:
        raw.close()
