"""Where entries live: Redis (:mod:`.redis_store`), a local disk cache
(:mod:`.disk_store`), or nowhere (:class:`NullBackend`).

Backends store bytes under string keys and know nothing of frames. Every
backend also keeps what must be shared between kernels: table versions,
single-flight locks, hit/miss counters and an index of live entries per
source (for stats and ``cache clear --source``), without ever scanning keys.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator, Sequence
from typing import Protocol

log = logging.getLogger("azora_nb")


class Backend(Protocol):
    """What :class:`~azora_nb.cache.core.QueryCache` needs from a store."""

    name: str
    location: str

    def get(self, key: str) -> bytes | None: ...
    def set(self, key: str, value: bytes, ttl: float, source: str) -> bool: ...
    def delete(self, key: str, source: str) -> None: ...
    def versions(self, names: Sequence[str]) -> list[str]: ...
    def lookup(self, key: str, names: Sequence[str]) -> tuple[list[str], bytes | None]: ...
    def bump(self, names: Sequence[str]) -> bool: ...
    def singleflight(self, key: str, timeout: float) -> contextlib.AbstractContextManager[bool]: ...
    def add_stats(self, source: str, counts: dict[str, int]) -> None: ...
    def read_stats(self) -> dict[str, dict[str, int]]: ...
    def entries(self) -> dict[str, tuple[int, int]]: ...
    def clear(self, source: str | None) -> int: ...
    def probe(self) -> str: ...
    def health(self) -> str | None: ...
    def close(self) -> None: ...


def unmatchable(count: int) -> list[str]:
    """Versions for when the store cannot say: random, so they never match a real entry."""
    return [f"unavailable-{uuid.uuid4().hex}" for _ in range(count)]


class NullBackend:
    """The cache switched off (``AZORA_CACHE=0``): every lookup misses, nothing is kept."""

    name = "none"
    location = "disabled"

    def get(self, key: str) -> bytes | None:
        return None

    def set(self, key: str, value: bytes, ttl: float, source: str) -> bool:
        return False

    def delete(self, key: str, source: str) -> None:
        return None

    def versions(self, names: Sequence[str]) -> list[str]:
        return unmatchable(len(names))

    def lookup(self, key: str, names: Sequence[str]) -> tuple[list[str], bytes | None]:
        return unmatchable(len(names)), None

    def bump(self, names: Sequence[str]) -> bool:
        return True  # nothing is cached, so nothing can be stale

    @contextlib.contextmanager
    def singleflight(self, key: str, timeout: float) -> Iterator[bool]:
        yield False

    def add_stats(self, source: str, counts: dict[str, int]) -> None:
        return None

    def read_stats(self) -> dict[str, dict[str, int]]:
        return {}

    def entries(self) -> dict[str, tuple[int, int]]:
        return {}

    def clear(self, source: str | None) -> int:
        return 0

    def probe(self) -> str:
        return "disabled"

    def health(self) -> str | None:
        return None

    def close(self) -> None:
        return None
