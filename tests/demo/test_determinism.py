"""Same (scale, seed, as_of) -> same rows: between runs, homes and backends."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
import sqlalchemy as sa

from azora_nb import demo
from azora_nb.demo.manifest import manifest_path
from azora_nb.demo.plan import CHUNK_ROWS, Plan
from azora_nb.schema import metadata_for
from azora_nb.workspace import Workspace
from tests.demo.conftest import SMALL, embedded, migrated


def generated(plan: Plan) -> dict[str, pa.Table]:
    out: dict[str, list[pa.Table]] = {}
    for spec in demo.table_specs(plan):
        out.setdefault(f"{spec.source}.{spec.name}", []).extend(spec.chunks())
    return {name: pa.concat_tables(chunks) for name, chunks in out.items()}


def test_generation_is_a_function_of_its_parameters() -> None:
    first, again = generated(Plan(scale=SMALL, seed=5)), generated(Plan(scale=SMALL, seed=5))
    assert first.keys() == again.keys()
    for name in first:
        assert first[name].equals(again[name]), name
    other = generated(Plan(scale=SMALL, seed=6))
    assert not first["core.treasury_ledger"].equals(other["core.treasury_ledger"])


def test_chunks_are_independent_of_each_other() -> None:
    """A chunk's rows depend on its index only, so the ledger spans chunks seamlessly:
    strictly increasing times across chunk borders, unique ids and hashes."""
    plan = Plan(scale=CHUNK_ROWS + 5_000, seed=1)
    ledger = generated(plan)["core.treasury_ledger"]
    assert len(ledger) == plan.scale
    everyday = ledger.slice(0, plan.scale - 2_000).column("created_at").to_numpy()
    assert (everyday[1 : CHUNK_ROWS + 10] >= everyday[: CHUNK_ROWS + 9]).all()
    assert len(set(ledger.column("id").to_pylist())) == plan.scale
    assert len(set(ledger.column("tx_hash").to_pylist())) == plan.scale


def table_frames(ws: Workspace, manifest: demo.Manifest) -> dict[str, pd.DataFrame]:
    """Every seeded table, sorted by primary key in pandas (collations differ)."""
    out = {}
    for source, tables in manifest.counts.items():
        models = metadata_for(source).tables
        for table, n in tables.items():
            frame = ws.sql(sa.select(sa.text("*")).select_from(sa.table(table)), source=source)
            assert len(frame) == n, (source, table)
            model = models.get(table.removesuffix("_legacy"))
            keys = [c.name for c in model.primary_key] if model is not None else ["id"]
            out[f"{source}.{table}"] = frame.sort_values(keys).reset_index(drop=True)
    return out


def stored_rows(home: Path, manifest: demo.Manifest) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows as SQLite stores them (no type conversion), in rowid order."""
    out = {}
    for source, tables in manifest.counts.items():
        with closing(sqlite3.connect(home / f"{source}.sqlite")) as conn:
            for table in tables:
                out[f"{source}.{table}"] = conn.execute(
                    f'select * from "{table}" order by rowid'
                ).fetchall()
    return out


def test_two_sqlite_homes_get_identical_manifests_and_tables(tmp_path: Path) -> None:
    runs = []
    for name in ("one", "two"):
        ws = migrated(embedded(tmp_path / name))
        manifest = demo.seed(ws, scale=SMALL, seed=9, progress=False)
        ws.close()
        runs.append((manifest_path(ws.home).read_text(), stored_rows(ws.home, manifest)))
    (text_one, rows_one), (text_two, rows_two) = runs
    assert text_one == text_two
    assert rows_one.keys() == rows_two.keys()
    for name, rows in rows_one.items():
        assert rows == rows_two[name], name


def test_the_as_of_moves_the_whole_year(tmp_path: Path) -> None:
    ws = migrated(embedded(tmp_path))
    as_of = datetime(2026, 3, 1, tzinfo=UTC)
    manifest = demo.seed(ws, scale=SMALL, as_of=as_of, sources=["core"], progress=False)
    span = ws.sql("select min(created_at) as lo, max(created_at) as hi from treasury_ledger")
    ws.close()
    assert manifest.as_of == as_of
    assert span.hi[0] < pd.Timestamp(as_of)
    assert span.lo[0] >= pd.Timestamp(as_of) - pd.Timedelta(days=365)


@pytest.mark.postgres
def test_sqlite_and_postgres_hold_the_same_rows(pg_ws: Workspace, tmp_path: Path) -> None:
    lite = migrated(embedded(tmp_path / "lite"))
    frames_lite = table_frames(lite, demo.seed(lite, scale=SMALL, progress=False))
    lite.close()
    frames_pg = table_frames(pg_ws, demo.seed(pg_ws, scale=SMALL, progress=False))
    assert frames_lite.keys() == frames_pg.keys()
    for name, frame in frames_lite.items():
        pd.testing.assert_frame_equal(frame, frames_pg[name], check_exact=True, obj=name)
