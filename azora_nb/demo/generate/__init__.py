"""Table generators, one module per subject.

Each table is described by a :class:`TableSpec`: its source, its production
name, the number of rows (known before generating, for the progress bar) and
a function that yields the rows as pyarrow tables of at most a few hundred
thousand rows, so that memory stays flat whatever the scale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pyarrow as pa

from azora_nb.demo.manifest import Anomaly
from azora_nb.demo.plan import Plan


@dataclass(frozen=True)
class TableSpec:
    source: str
    name: str
    rows: int
    chunks: Callable[[], Iterator[pa.Table]]
    anomalies: Callable[[], list[Anomaly]] = field(default=lambda: [])
    legacy: bool = False
    """Rows that break the constitutional CHECKs (legacy flavour): they go to the
    table itself where it has no such CHECKs, else to a ``<name>_legacy`` copy."""


def single(build: Callable[[Plan], pa.Table], plan: Plan) -> Callable[[], Iterator[pa.Table]]:
    """The chunk function of a small table built in one go."""

    def chunks() -> Iterator[pa.Table]:
        yield build(plan)

    return chunks


def chunked(
    build: Callable[[Plan, int, int, int], pa.Table], plan: Plan, total: int
) -> Callable[[], Iterator[pa.Table]]:
    """The chunk function of a table built ``CHUNK_ROWS`` rows at a time:
    ``build(plan, index, lo, hi)`` makes rows ``lo..hi`` from chunk ``index``'s stream."""

    def chunks() -> Iterator[pa.Table]:
        for index, (lo, hi) in enumerate(plan.chunks(total)):
            yield build(plan, index, lo, hi)

    return chunks
