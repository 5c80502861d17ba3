"""What one seeding run produces: its parameters, table sizes and random streams.

Every table is a pure function of ``(scale, seed, as_of)``. Each piece of it
draws from its own random stream, keyed by name and chunk number, so a chunk
can be regenerated on its own and the rows never depend on the backend, on
``--source`` or on how many chunks were generated before.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from azora_nb.exceptions import ConfigError

if TYPE_CHECKING:
    import numpy as np

DEFAULT_AS_OF = datetime(2026, 10, 31, tzinfo=UTC)
DEFAULT_SCALE = 20_000
DEFAULT_SEED = 42
SPAN_DAYS = 365
MIN_SCALE = 1_000
CHUNK_ROWS = 50_000
"""Rows per generated chunk. Part of the determinism contract: changing it changes
which random numbers land in which row."""

FLAVOURS = ("standard", "legacy")
US_PER_SECOND = 1_000_000
US_PER_HOUR = 3_600 * US_PER_SECOND
US_PER_DAY = 24 * US_PER_HOUR


def _key(part: int | str) -> int:
    return part if isinstance(part, int) else zlib.crc32(part.encode())


@dataclass(frozen=True)
class AnomalyRates:
    """How often each kind of anomaly is planted, as a fraction of its population.

    Every kind is planted at least once, whatever the scale.
    """

    reward: float = 0.004
    """per kind, of knowledge rewards"""
    balance: float = 0.01
    """of mint users"""
    rig: float = 0.03
    """per kind, of rigs"""
    session: float = 0.002
    """of mining sessions"""
    alert_storms: int = 2
    stuck_components: int = 1
    degraded_routes: int = 1
    legacy: float = 0.002
    """per kind, of ledger rows (legacy flavour only)"""


@dataclass(frozen=True)
class Plan:
    """The parameters of a run and everything derived from them."""

    scale: int = DEFAULT_SCALE
    seed: int = DEFAULT_SEED
    as_of: datetime = DEFAULT_AS_OF
    flavour: str = "standard"
    rates: AnomalyRates = field(default_factory=AnomalyRates)

    def __post_init__(self) -> None:
        if self.scale < MIN_SCALE:
            raise ConfigError(f"scale must be at least {MIN_SCALE:,} ledger rows, got {self.scale}")
        if self.flavour not in FLAVOURS:
            raise ConfigError(f"flavour must be one of {', '.join(FLAVOURS)}, got {self.flavour!r}")
        if self.seed < 0:
            raise ConfigError(f"seed must be a non-negative integer, got {self.seed}")
        if self.as_of.tzinfo is None:
            object.__setattr__(self, "as_of", self.as_of.replace(tzinfo=UTC))
        object.__setattr__(self, "as_of", self.as_of.astimezone(UTC))

    # -- random streams --------------------------------------------------------
    def rng(self, *keys: int | str) -> np.random.Generator:
        """The random stream named by ``keys`` (e.g. ``rng("ledger", 3)``)."""
        import numpy as np  # here, not at the top: `azora-nb demo --help` reads this module

        return np.random.default_rng([self.seed, *(_key(k) for k in keys)])

    # -- time --------------------------------------------------------------------
    @cached_property
    def end_us(self) -> int:
        """as_of in microseconds since the Unix epoch."""
        return int(self.as_of.timestamp()) * US_PER_SECOND + self.as_of.microsecond

    @property
    def start_us(self) -> int:
        return self.end_us - SPAN_DAYS * US_PER_DAY

    @property
    def start(self) -> datetime:
        return self.as_of - timedelta(days=SPAN_DAYS)

    # -- sizes -------------------------------------------------------------------
    @cached_property
    def core_users(self) -> int:
        return max(120, self.scale // 50)

    @cached_property
    def mint_users(self) -> int:
        return max(80, self.core_users * 4 // 5)

    @cached_property
    def rigs(self) -> int:
        return max(32, self.scale // 400)

    @cached_property
    def sessions(self) -> int:
        return max(800, self.scale // 10)

    @cached_property
    def api_calls(self) -> int:
        return max(20_000, self.scale)

    @cached_property
    def earnings_rows(self) -> int:
        return max(200, self.scale // 5)

    @cached_property
    def audit_rows(self) -> int:
        return max(100, self.scale // 20)

    @cached_property
    def compliance_checks(self) -> int:
        return max(1_000, self.scale // 4)

    @cached_property
    def alerts(self) -> int:
        return max(200, self.scale // 40)

    def chunks(self, total: int) -> list[tuple[int, int]]:
        """``(start, stop)`` row ranges of CHUNK_ROWS each."""
        return [(lo, min(lo + CHUNK_ROWS, total)) for lo in range(0, total, CHUNK_ROWS)]

    def count(self, rate: float, population: int) -> int:
        """How many anomalies to plant: ``rate`` of ``population``, at least one."""
        return max(1, round(rate * population))
