"""Vectorised builders for column values: ids, hashes, times, amounts.

Everything works on whole numpy arrays and returns pyarrow arrays in one
canonical form per kind of column, which the loaders then write to either
backend: ids and hashes as text, times as ``timestamp[us]`` (UTC; naive for
columns without a zone), amounts as float64 already rounded to the column's
scale.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from azora_nb.demo.plan import US_PER_DAY, US_PER_HOUR, Plan

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
TSTZ = pa.timestamp("us", tz="UTC")
TS = pa.timestamp("us")


def _hex(raw: np.ndarray) -> np.ndarray:
    out = np.empty((raw.shape[0], raw.shape[1] * 2), dtype=np.uint8)
    out[:, 0::2] = _HEX[raw >> 4]
    out[:, 1::2] = _HEX[raw & 0x0F]
    return out


def uuids(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` version-4 UUIDs as ``S36`` bytes, drawn from ``rng``."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    digits = _hex(raw)
    out = np.full((n, 36), ord("-"), dtype=np.uint8)
    for lo, hi, at in ((0, 8, 0), (8, 12, 9), (12, 16, 14), (16, 20, 19), (20, 32, 24)):
        out[:, at : at + hi - lo] = digits[:, lo:hi]
    return out.view("S36").ravel()


def hexes(rng: np.random.Generator, n: int, nbytes: int, prefix: bytes = b"0x") -> np.ndarray:
    """``n`` random hex strings of ``nbytes`` bytes after ``prefix`` (tx hashes, wallets)."""
    digits = _hex(rng.integers(0, 256, size=(n, nbytes), dtype=np.uint8))
    head = np.frombuffer(prefix, dtype=np.uint8)
    out = np.empty((n, len(prefix) + 2 * nbytes), dtype=np.uint8)
    out[:, : len(prefix)] = head
    out[:, len(prefix) :] = digits
    return out.view(f"S{out.shape[1]}").ravel()


def text(values: np.ndarray | Sequence[str | None], mask: np.ndarray | None = None) -> pa.Array:
    """A string column from ``S`` bytes, a unicode array or a list (``mask`` True = NULL)."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "S":
        return pa.array(values, type=pa.binary(), mask=mask).cast(pa.string())
    return pa.array(values, type=pa.string(), mask=mask)


def pick(labels: Sequence[str], index: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Labels chosen by integer index (``mask`` True = NULL)."""
    out = pa.array(list(labels), type=pa.string()).take(pa.array(index.astype(np.int64)))
    if mask is not None:
        out = pa.compute.if_else(pa.array(mask), pa.scalar(None, pa.string()), out)
    return out


def ts(
    us: np.ndarray, *, zone: bool = True, ms: bool = False, mask: np.ndarray | None = None
) -> pa.Array:
    """Microseconds since the epoch as a timestamp column; ``ms`` truncates to the
    millisecond, as Prisma's ``TIMESTAMP(3)`` stores it."""
    values = np.asarray(us, dtype=np.int64)
    if ms:
        values = values // 1_000 * 1_000
    return pa.array(values, type=pa.int64(), mask=mask).cast(TSTZ if zone else TS)


def dates(us: np.ndarray) -> pa.Array:
    days = (np.asarray(us, dtype=np.int64) // US_PER_DAY).astype(np.int32)
    return pa.array(days, type=pa.int32()).cast(pa.date32())


def num(values: np.ndarray, scale: int, mask: np.ndarray | None = None) -> pa.Array:
    """A NUMERIC(p, scale) column: float64 rounded to ``scale`` places."""
    return pa.array(np.round(np.asarray(values, dtype=np.float64), scale), mask=mask)


def ints(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.int64), mask=mask)


def bools(values: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(values, dtype=bool))


# -- time ----------------------------------------------------------------------


def activity_cdf(
    plan: Plan,
    *,
    growth: float = 0.8,
    daily: float = 0.5,
    weekly: float = 0.25,
    days: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The cumulative activity of a platform over the span, by hour: it grows over
    the year, peaks in the (UTC) afternoon and dips at weekends.

    Returns ``(hour_edges_us, cdf)`` for :func:`times_at`; ``days`` limits the
    span to the last ``days`` days before as_of.
    """
    span = plan.end_us - plan.start_us if days is None else days * US_PER_DAY
    start = plan.end_us - span
    hours = span // US_PER_HOUR
    edges = start + np.arange(hours + 1, dtype=np.int64) * US_PER_HOUR
    mid = edges[:-1] + US_PER_HOUR // 2
    frac = (mid - plan.start_us) / (plan.end_us - plan.start_us)
    hour_of_day = (mid // US_PER_HOUR) % 24
    weekday = ((mid // US_PER_DAY) + 3) % 7  # 1970-01-01 was a Thursday; 5, 6 = weekend
    weight = (
        ((1 - growth / 2) + growth * frac)
        * (1 + daily * np.sin(2 * np.pi * (hour_of_day - 9) / 24))
        * np.where(weekday >= 5, 1 - weekly, 1.0)
    )
    cdf = np.concatenate([[0.0], np.cumsum(weight)])
    return edges, cdf / cdf[-1]


def times_at(quantiles: np.ndarray, cdf: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Times (µs) at the given activity quantiles in [0, 1): sorted quantiles give
    sorted times, so a chunk of rows ``i..j`` needs only its own quantiles."""
    edges, weights = cdf
    return np.interp(quantiles, weights, edges.astype(np.float64)).astype(np.int64)


def row_quantiles(rng: np.random.Generator, lo: int, hi: int, total: int) -> np.ndarray:
    """Jittered, increasing quantiles of rows ``lo..hi`` out of ``total``."""
    return (np.arange(lo, hi, dtype=np.float64) + rng.random(hi - lo)) / total


_PAIRS = (
    np.array([[48 + i // 10, 48 + i % 10] for i in range(100)], dtype=np.uint8).view("<u2").ravel()
)
"""The two ASCII digits of 0..99, as one 16-bit value each."""
_TS_TEMPLATE = np.frombuffer(b"0000-00-00 00:00:00.000000", dtype=np.uint8)


def timestamp_text(column: pa.Array | pa.ChunkedArray, suffix: bytes = b"") -> pa.Array:
    """``YYYY-MM-DD HH:MM:SS.ffffff`` (+ ``suffix``) for a timestamp[us] column.

    Written two digits at a time with numpy: several times faster than pyarrow's
    strftime or cast, which dominated the load time. The text is SQLite's storage
    format, and PostgreSQL's input format with a ``+00`` suffix.
    """
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    nulls = column.is_null().to_numpy(zero_copy_only=False)
    us = column.cast(pa.int64()).fill_null(0).to_numpy()
    days, rem = np.divmod(us, US_PER_DAY)
    # Civil date from days since 1970-01-01 (H. Hinnant's algorithm), vectorised.
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1_460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    micro = rem % 1_000_000
    pairs = {
        0: year // 100,
        2: year % 100,
        5: month,
        8: day,
        11: rem // US_PER_HOUR,
        14: rem // 60_000_000 % 60,
        17: rem // 1_000_000 % 60,
        20: micro // 10_000,
        22: micro // 100 % 100,
        24: micro % 100,
    }
    template = np.concatenate([_TS_TEMPLATE, np.frombuffer(suffix, dtype=np.uint8)])
    out = np.tile(template, (len(us), 1))
    # Each pair of digits as one 16-bit field of the row (unaligned, which numpy
    # allows): a quarter of the time of writing them as two byte columns.
    fields = np.dtype(
        {
            "names": [f"at{at}" for at in pairs],
            "formats": ["<u2"] * len(pairs),
            "offsets": list(pairs),
            "itemsize": len(template),
        }
    )
    rows = out.view(fields).ravel()
    for at, value in pairs.items():
        rows[f"at{at}"] = _PAIRS[value]
    text = out.view(f"S{out.shape[1]}").ravel()
    return pa.array(text, type=pa.binary(), mask=nulls).cast(pa.string())
