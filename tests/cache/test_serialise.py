"""Entries round-trip every dtype of the policy exactly, and nothing but our format loads."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from azora_nb.cache import serialise


def policy_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": pd.array([1, None, 3], dtype="Int64"),
            "ok": pd.array([True, None, False], dtype="boolean"),
            "name": pd.Series(["a", None, "ü"], dtype="str"),
            "at": pd.to_datetime(
                ["2026-01-01 00:00:00.123456", None, "2026-03-01 12:00:00.000001"], utc=True
            ).astype("datetime64[ns, UTC]"),
            "day": pd.to_datetime(["2026-01-01", None, "2026-02-28"]).astype("datetime64[ns]"),
            "amount": [1.25, np.nan, -3.5],
            "meta": pd.Series([{"a": [1, 2], "b": None}, None, ["x", {"y": 1.5}]], dtype=object),
            "raw": pd.Series([b"\x00\x01", None, b""], dtype=object),
        }
    )


def test_every_policy_dtype_round_trips_exactly() -> None:
    frame = policy_frame()
    entry = serialise.loads(serialise.dumps(frame, {"source": "core"}))
    pd.testing.assert_frame_equal(entry.frame, frame, check_exact=True)
    assert entry.frame.dtypes.astype(str).tolist() == frame.dtypes.astype(str).tolist()
    assert entry.frame["meta"][0] == {"a": [1, 2], "b": None}
    assert entry.header["source"] == "core"


@pytest.mark.parametrize("compression", ["zstd", None])
def test_empty_and_indexed_frames_round_trip(compression: str | None) -> None:
    empty = policy_frame().iloc[0:0]
    back = serialise.loads(serialise.dumps(empty, {}, compression=compression)).frame
    assert back.dtypes.astype(str).tolist() == empty.dtypes.astype(str).tolist()
    assert len(back) == 0
    grouped = pd.DataFrame({"k": ["a", "b"], "n": pd.array([1, 2], dtype="Int64")}).set_index("k")
    pd.testing.assert_frame_equal(
        serialise.loads(serialise.dumps(grouped, {}, compression=compression)).frame, grouped
    )


@pytest.mark.parametrize(
    "values", [[(1, 2)], [{1: "int key"}], [float("nan")], [{"when": pd.Timestamp("2026-01-01")}]]
)
def test_object_values_that_would_change_are_refused(values: list[object]) -> None:
    frame = pd.DataFrame({"j": pd.Series(values, dtype=object)})
    with pytest.raises(serialise.Uncacheable):
        serialise.dumps(frame, {})


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"AZNB",
        b"not an entry at all",
        b"AZNBCACH\x00\x63" + b"\x00" * 40,
        b"AZNBCACH\x00\x01\x00\x00\x00\x02{}garbage-arrow",
    ],
)
def test_foreign_or_truncated_bytes_are_corrupt(data: bytes) -> None:
    with pytest.raises(serialise.EntryCorrupt):
        serialise.loads(data)


def test_truncated_entry_is_corrupt() -> None:
    data = serialise.dumps(policy_frame(), {})
    with pytest.raises(serialise.EntryCorrupt):
        serialise.loads(data[: len(data) // 2])


class _Boom:
    """Unpickling this creates a file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (os.mkdir, (str(self.marker),))  # type: ignore[return-value]


def test_pickle_payloads_are_never_loaded(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Boom(marker))
    with pytest.raises(serialise.EntryCorrupt):
        serialise.loads(payload)
    # Behind a valid header, too.
    head = b'{"source":"core"}'
    forged = b"AZNBCACH" + (1).to_bytes(2, "big") + len(head).to_bytes(4, "big") + head + payload
    with pytest.raises(serialise.EntryCorrupt):
        serialise.loads(forged)
    assert not marker.exists()


def test_arrow_extension_types_are_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    field = pa.field(
        "x",
        pa.binary(),
        metadata={
            b"ARROW:extension:name": b"arrow.py_extension_type",
            b"ARROW:extension:metadata": pickle.dumps(_Boom(marker)),
        },
    )
    table = pa.table({"x": pa.array([b"a"])}).cast(pa.schema([field]))
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    head = b"{}"
    forged = (
        b"AZNBCACH"
        + (1).to_bytes(2, "big")
        + len(head).to_bytes(4, "big")
        + head
        + sink.getvalue().to_pybytes()
    )
    with pytest.raises(serialise.EntryCorrupt, match="extension"):
        serialise.loads(forged)
    assert not marker.exists()
