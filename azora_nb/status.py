"""Health of every store: configured or not, reachable or not, how fast, which version.

A store that is absent or down is reported, never raised: this is what the
``azora-nb status`` command, the health notebook and nightly scripts read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import pandas as pd

Overall = Literal["healthy", "degraded", "down"]
EXIT_CODES: dict[Overall, int] = {"healthy": 0, "degraded": 1, "down": 2}


@dataclass(frozen=True)
class StoreStatus:
    """What one probe of one store found."""

    store: str
    backend: str
    configured: bool
    reachable: bool | None
    latency_ms: float | None = None
    version: str | None = None
    url: str | None = None
    error: str | None = None
    setting: str | None = None
    note: str | None = None
    degraded: bool = False
    missing: bool = False
    """An embedded database (or local cache) that does not exist yet: not a fault,
    and the probe does not create it."""
    refused: bool = False
    """The server answered and refused the credentials."""

    @property
    def state(self) -> str:
        """``ok``, ``degraded`` (it answers, but its operations fail: see ``error``),
        ``authentication failed``, ``unreachable``, ``not created`` or ``not configured``."""
        if not self.configured:
            return "not configured"
        if self.missing:
            return "not created"
        if self.refused:
            return "authentication failed"
        if not self.reachable:
            return "unreachable"
        return "degraded" if self.degraded else "ok"


@dataclass(frozen=True)
class WorkspaceStatus:
    """Every store's status and the overall verdict.

    ``down`` when no service database can be reached, ``degraded`` when any
    configured store cannot or fails, ``healthy`` otherwise. A database not created yet
    is no fault (the first use creates it): a fresh ``AZORA_HOME`` is healthy.
    """

    stores: tuple[StoreStatus, ...]
    sql_stores: tuple[str, ...] = field(default=())

    @property
    def overall(self) -> Overall:
        sql = [s for s in self.stores if s.store in self.sql_stores]
        if sql and not any(s.reachable or s.missing for s in sql):
            return "down"
        if any(
            s.configured and not s.missing and (not s.reachable or s.degraded) for s in self.stores
        ):
            return "degraded"
        return "healthy"

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.overall]

    def __getitem__(self, store: str) -> StoreStatus:
        for status in self.stores:
            if status.store == store:
                return status
        raise KeyError(store)

    def to_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall,
            "stores": [dict(asdict(s), state=s.state) for s in self.stores],
        }

    def to_frame(self) -> pd.DataFrame:
        rows = [
            {
                "store": s.store,
                "backend": s.backend,
                "state": s.state,
                "latency_ms": s.latency_ms,
                "version": s.version,
                "url": s.url,
                "error": s.error or (s.note if s.missing else None),
            }
            for s in self.stores
        ]
        return pd.DataFrame(rows)

    def _repr_html_(self) -> str:
        return f"<p><b>overall: {self.overall}</b></p>" + self.to_frame().to_html(index=False)


def timed_probe(
    store: str,
    backend: str,
    setting: str | None,
    url: str | None,
    probe: Callable[[], str],
    note: str | None = None,
) -> StoreStatus:
    """Run ``probe`` (which returns a version string), timing it; turn failure into a report."""
    start = time.perf_counter()
    try:
        version = probe()
    except Exception as exc:  # a probe reports every failure, whatever its type
        from azora_nb.exceptions import AuthenticationFailed

        refused = isinstance(exc, AuthenticationFailed)
        return StoreStatus(
            store=store,
            backend=backend,
            configured=True,
            reachable=False,
            url=url,
            error=str(exc) if refused else _one_line(exc),
            setting=setting,
            note=note,
            refused=refused,
        )
    latency = round((time.perf_counter() - start) * 1000, 2)
    return StoreStatus(
        store=store,
        backend=backend,
        configured=True,
        reachable=True,
        latency_ms=latency,
        version=version,
        url=url,
        setting=setting,
        note=note,
    )


def not_created(store: str, backend: str, setting: str, url: str | None, fix: str) -> StoreStatus:
    """The report of a store whose file does not exist yet (nothing is created)."""
    return StoreStatus(
        store=store,
        backend=backend,
        configured=True,
        reachable=None,
        url=url,
        setting=setting,
        note=f"not created yet: {fix}",
        missing=True,
    )


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(exc).__name__}: {first}"[:300]
