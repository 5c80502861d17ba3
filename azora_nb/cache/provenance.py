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
    rows: int | None = None

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

    def caption(self, now: float | None = None) -> str:
        """One line for under a table: rows, source, cached or fresh, and when.

        >>> Provenance("mint", False, 0.0, 0.25, 0.25, rows=1234).caption(now=30.0)
        '1,234 rows from mint · fresh, 250 ms · ran 00:00:00 UTC'
        """
        rows = "" if self.rows is None else f"{self.rows:,} row{'s' if self.rows != 1 else ''} "
        when = time.strftime("%H:%M:%S", time.gmtime(self.created_at))
        if self.cached:
            age = max((time.time() if now is None else now) - self.created_at, 0.0)
            state = f"cached, computed {_ago(age)} in {_duration(self.elapsed)}"
        else:
            state = f"fresh, {_duration(self.elapsed)}"
        return f"{rows}from {self.source} · {state} · ran {when} UTC"

    def _repr_html_(self) -> str:
        from html import escape

        return f'<span class="azora-provenance">{escape(self.caption())}</span>'

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def attach(frame: pd.DataFrame, provenance: Provenance) -> pd.DataFrame:
    frame.attrs[ATTR] = provenance.to_dict()
    return frame


def provenance(frame: pd.DataFrame) -> Provenance | None:
    """The :class:`Provenance` of a frame returned by ``ws.sql`` (fresh or from the
    cache), or ``None`` for a frame made some other way.

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
