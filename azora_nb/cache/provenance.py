"""Where a frame came from, in words a notebook can show next to a table.

>>> p = Provenance(source="core", cached=True, created_at=0.0, elapsed=1.2, seconds=0.01)
>>> p.describe(now=180.0)
'cached 3 min ago from core'
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

ATTR = "azora_nb.provenance"


@dataclass(frozen=True)
class Provenance:
    """``cached``: served from the cache; ``created_at``: when the query ran (epoch
    seconds); ``elapsed``: how long the query took then; ``seconds``: how long this call
    took; ``ttl_only``: the tables read were unknown, so only the TTL bounds staleness."""

    source: str
    cached: bool
    created_at: float
    elapsed: float
    seconds: float
    backend: str = "none"
    ttl_only: bool = False
    freshness: str = ""
    note: str = ""

    @property
    def age(self) -> float:
        return max(time.time() - self.created_at, 0.0)

    def describe(self, now: float | None = None) -> str:
        if not self.cached:
            text = f"fresh, {_duration(self.elapsed)}"
        else:
            age = max((time.time() if now is None else now) - self.created_at, 0.0)
            text = f"cached {_ago(age)} from {self.source}"
        return f"{text} ({self.note})" if self.note else text

    def __str__(self) -> str:
        return self.describe()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def attach(frame: pd.DataFrame, provenance: Provenance) -> pd.DataFrame:
    frame.attrs[ATTR] = provenance.to_dict()
    return frame


def provenance(frame: pd.DataFrame) -> Provenance | None:
    """The :class:`Provenance` of a frame returned through the cache, or ``None``.

    >>> import azora_nb as az
    >>> df = ws.sql("select 1 as one", cache=True)   # doctest: +SKIP
    >>> str(az.provenance(df))                        # doctest: +SKIP
    'fresh, 3 ms'
    """
    raw = getattr(frame, "attrs", {}).get(ATTR)
    if not isinstance(raw, dict):
        return None
    try:
        return Provenance(**raw)
    except TypeError:
        return None


def _duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.0f} min"


def _ago(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s ago"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 86400:
        return f"{seconds / 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} days ago"
