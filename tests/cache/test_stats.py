"""Stats shared between kernels, provenance, the decorator, clearing, and AZORA_CACHE=0."""

from __future__ import annotations

import pandas as pd
import pytest

import azora_nb as az
from azora_nb.cache import Provenance, clear, invalidate, stats
from azora_nb.workspace import Workspace

from .conftest import entry_keys


@pytest.fixture
def seeded(ws: Workspace) -> Workspace:
    ws.execute("create table t (id integer, v real)")
    ws.execute("insert into t values (1, 1.0), (2, 2.0)")
    ws.execute("create table m (id integer)", source="mint")
    return ws


def test_stats_are_shared_and_split_by_source(seeded: Workspace, make_ws) -> None:
    other_kernel = make_ws()
    seeded.sql("select * from t", cache=True)
    other_kernel.sql("select * from t", cache=True)
    other_kernel.sql("select * from t", cache=True)
    seeded.sql("select count(*) as n from m", source="mint", cache=True)

    report = stats(seeded)
    core, mint, total = report.source("core"), report.source("mint"), report.total
    assert (core.hits, core.misses, core.entries) == (2, 1, 1)
    assert core.hit_rate == pytest.approx(2 / 3)
    assert core.bytes > 0 and core.saved_seconds >= 0
    assert (mint.hits, mint.misses, mint.entries) == (0, 1, 1)
    assert (total.hits, total.misses, total.entries) == (2, 2, 2)
    assert total.bytes == core.bytes + mint.bytes
    as_dict = report.to_dict()
    assert as_dict["backend"] == seeded.cache.backend.name
    assert as_dict["total"]["hit_rate"] == 0.5
    assert list(report.to_frame()["source"]) == ["core", "mint", "total"]


def test_provenance_says_where_a_frame_came_from(seeded: Workspace) -> None:
    fresh = seeded.sql("select * from t", cache=True)
    info = az.provenance(fresh)
    assert info is not None and not info.cached and info.source == "core"
    assert str(info).startswith("fresh, ") and str(info).endswith(("ms", " s"))
    hit = seeded.sql("select * from t", cache=True)
    info = az.provenance(hit)
    assert info is not None and info.cached
    assert str(info) == "cached 0 s ago from core"
    assert info.describe(now=info.created_at + 185) == "cached 3 min ago from core"
    assert info.elapsed == pytest.approx(az.provenance(fresh).elapsed, abs=0.01)
    uncached = az.provenance(seeded.sql("select * from t"))  # every result says where it came from
    assert uncached is not None and not uncached.cached and uncached.rows == len(fresh)
    assert (
        Provenance(source="mint", cached=False, created_at=0, elapsed=1.24, seconds=1.24).describe()
        == "fresh, 1.2 s"
    )


def test_decorator_caches_and_invalidates_by_declared_tables(seeded: Workspace) -> None:
    calls: list[int] = []

    @az.cached(seeded, tables={"core": ["t"], "mint": ["m"]}, ttl=60)
    def totals(ws: Workspace, factor: int, *, label: str = "v") -> pd.DataFrame:
        calls.append(factor)
        frame = ws.sql("select sum(v) as total from t")
        frame["total"] *= factor
        frame["label"] = pd.Series([label], dtype="str")
        return frame

    assert totals(seeded, 2)["total"][0] == 6.0
    assert totals(seeded, 2)["total"][0] == 6.0
    assert totals(seeded, 3)["total"][0] == 9.0
    assert totals(seeded, 3, label="w")["label"][0] == "w"
    assert calls == [2, 3, 3]
    assert az.provenance(totals(seeded, 2)).cached

    invalidate(seeded, "mint", ["m"])
    totals(seeded, 2)
    assert calls == [2, 3, 3, 2]
    totals(seeded, 2, refresh=True)
    assert calls == [2, 3, 3, 2, 2]


def test_clear_by_source_and_by_table(seeded: Workspace) -> None:
    seeded.sql("select * from t", cache=True)
    seeded.sql("select count(*) as n from m", source="mint", cache=True)
    assert clear(seeded, "mint") == 1
    assert stats(seeded).source("mint").entries == 0
    assert stats(seeded).source("core").entries == 1
    clear(seeded, tables=["t"])
    assert not az.provenance(seeded.sql("select * from t", cache=True)).cached
    assert stats(seeded).source("core").entries == 1, "the new result replaced the stale one"
    assert clear(seeded) == 1
    assert entry_keys(seeded) == []


def test_cache_off_runs_every_query(make_ws) -> None:
    ws = make_ws(AZORA_CACHE="0")
    assert ws.cache.backend.name == "none"
    ws.execute("create table t (id integer)")
    for n in range(2):
        ws.execute("insert into t values (:n)", {"n": n})
        result = ws.sql("select count(*) as n from t", cache=True)
        assert result["n"][0] == n + 1
        assert not az.provenance(result).cached
    assert stats(ws).sources == ()


def test_source_identity_keeps_secrets_out_of_keys(tmp_path) -> None:
    from azora_nb.cache.keys import source_identity
    from azora_nb.settings import Settings

    url = "postgresql://ana:s3cret-pw@db.example:5433/core"
    settings = Settings.load(env={"AZORA_CORE_URL": url}, cwd=tmp_path)
    assert source_identity(settings, "core") == "postgresql://db.example:5433/core"
