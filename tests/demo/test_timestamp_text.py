"""The loaders' timestamp text is what Python's datetime writes, digit for digit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

from azora_nb.demo.values import TS, TSTZ, timestamp_text

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("kind", [TSTZ, TS], ids=["zoned", "naive"])
@pytest.mark.parametrize("suffix", [b"", b"+00"], ids=["sqlite", "postgres"])
def test_timestamp_text_matches_datetime_formatting(kind: pa.DataType, suffix: bytes) -> None:
    rng = np.random.default_rng(7)
    # 1900 to 2100, leap days and the first and last microsecond of a day included.
    us = rng.integers(-2_208_988_800_000_000, 4_102_444_800_000_000, 5_000)
    us[:4] = [0, -1, 951_782_400_000_000, 4_107_542_399_999_999]  # 2000-02-29, 2100-02-28
    nulls = rng.random(len(us)) < 0.1
    nulls[:4] = False
    column = pa.array(us, type=pa.int64(), mask=nulls).cast(kind)

    expected = [
        None
        if null
        else (EPOCH + timedelta(microseconds=int(t))).strftime("%Y-%m-%d %H:%M:%S.%f")
        + suffix.decode()
        for t, null in zip(us, nulls, strict=True)
    ]
    assert timestamp_text(column, suffix).to_pylist() == expected
    assert timestamp_text(pa.chunked_array([column[:10], column[10:]]), suffix).to_pylist() == (
        expected
    )
