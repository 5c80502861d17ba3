"""What the backends hold: corrupt and planted entries are misses and get deleted; limits;
dtypes through a real backend."""

from __future__ import annotations

import logging
import os
import pickle
from pathlib import Path

import pandas as pd
import pytest

import azora_nb as az
from azora_nb.cache.disk_store import DiskBackend
from azora_nb.workspace import Workspace

from .conftest import entry_keys
from .test_serialise import policy_frame

QUERY = "select 1 as one, 'x' as label"


def _plant(ws: Workspace, data: bytes) -> str:
    ws.sql(QUERY, cache=True)
    [key] = entry_keys(ws)
    ws.cache.backend.set(key, data, 60, "core")
    return key


@pytest.mark.parametrize("garbage", [b"", b"\x00" * 64, b"AZNBCACH\x00\x01garbage"])
def test_corrupt_entry_is_a_miss_and_is_deleted(
    ws: Workspace, garbage: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    key = _plant(ws, garbage)
    with caplog.at_level(logging.WARNING, logger="azora_nb"):
        result = ws.sql(QUERY, cache=True)
    assert result["one"][0] == 1
    assert not az.provenance(result).cached
    assert "unusable entry" in caplog.text
    assert ws.cache.stats().source("core").corrupt == 1
    # Deleted, then stored again by the query that ran.
    assert entry_keys(ws) == [key]
    assert az.provenance(ws.sql(QUERY, cache=True)).cached


class _Boom:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.mkdir, (str(self.marker),))


def test_planted_pickle_is_never_loaded(ws: Workspace, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    _plant(ws, pickle.dumps(_Boom(marker)))
    assert ws.sql(QUERY, cache=True)["one"][0] == 1
    assert not marker.exists()
    backend = ws.cache.backend
    if isinstance(backend, DiskBackend):
        # diskcache pickles non-bytes values itself: our Disk refuses to unpickle them.
        [key] = entry_keys(ws)
        backend.cache.set(f"e:{key}", _Boom(marker))
        assert not az.provenance(ws.sql(QUERY, cache=True)).cached
        assert not marker.exists()


def test_dtypes_round_trip_through_the_backend(ws: Workspace) -> None:
    frame = policy_frame()

    @az.cached(ws, tables=["anything"])
    def build(n: int) -> pd.DataFrame:
        return frame.head(n)

    build(3)
    back = build(3)
    assert az.provenance(back).cached
    pd.testing.assert_frame_equal(back, frame, check_exact=True)


def test_entries_over_the_size_limit_are_not_cached(
    make_ws, caplog: pytest.LogCaptureFixture
) -> None:
    ws = make_ws(AZORA_CACHE_MAX_ENTRY_MB="0.01")  # about 10 kB
    ws.execute("create table nums (n integer)")
    ws.execute(
        "insert into nums select abs(random()) from json_each(:a)",
        {"a": "[" + ",".join("0" * 5000) + "]"},
    )
    with caplog.at_level(logging.WARNING, logger="azora_nb"):
        first = ws.sql("select n from nums", cache=True)
    assert "entry limit" in caplog.text  # WARNING: a notebook does not show INFO
    assert "not cached" in str(az.provenance(first)) and "entry limit" in str(az.provenance(first))
    assert not az.provenance(ws.sql("select n from nums", cache=True)).cached
    assert az.cache.stats(ws).source("core").skipped == 2
    ws.sql("select count(*) as c from nums", cache=True)
    assert az.provenance(ws.sql("select count(*) as c from nums", cache=True)).cached


def test_disk_cache_stays_within_its_size_limit(home: Path) -> None:
    import numpy as np

    from azora_nb.settings import Settings

    env = {"AZORA_HOME": str(home), "AZORA_CACHE_DISK_LIMIT_MB": "2"}
    with Workspace(Settings.load(env=env, cwd=home)) as ws:
        backend = ws.cache.backend
        assert isinstance(backend, DiskBackend)

        @az.cached(ws, tables=["noise"])
        def noise(seed: int) -> pd.DataFrame:
            return pd.DataFrame({"x": np.random.default_rng(seed).random(40_000)})  # ~300 kB

        for seed in range(20):
            noise(seed)
        assert backend.cache.volume() < 3 * 2**20
        assert az.provenance(noise(19)).cached, "the newest entries are kept"
        assert not az.provenance(noise(0)).cached, "the oldest were evicted"


POLICY_SQL = """
select 1::bigint as n, 2.5::numeric(10, 2) as amount, true as ok,
       timestamptz '2026-01-02 03:04:05.123456+00' as at, date '2026-01-31' as day,
       'a2c3f6f0-3b8e-4c1e-9d2a-1f6f5b9c7e10'::uuid as id, 'text'::text as label,
       '{"a": [1, 2], "b": null}'::jsonb as meta, array['x', 'y'] as tags,
       null::int as nothing, '10.0.0.1'::inet as ip
union all
select null, null, null, null, null, null, null, null, null, null, null
"""


def test_postgres_dtypes_are_the_same_from_the_cache(make_ws, pg_core: str) -> None:
    ws = make_ws(AZORA_CORE_URL=pg_core)
    direct = ws.sql(POLICY_SQL)
    ws.sql(POLICY_SQL, cache=True)
    cached = ws.sql(POLICY_SQL, cache=True)
    assert az.provenance(cached).cached
    pd.testing.assert_frame_equal(cached, direct, check_exact=True)
    assert cached["meta"][0] == {"a": [1, 2], "b": None}
    assert cached["tags"][0] == ["x", "y"]
