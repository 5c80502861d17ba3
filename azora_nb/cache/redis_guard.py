"""How the Redis store fails: every operation runs through :class:`RedisGuard`, which turns
an unreachable server, a cluster failing over or a refused command into a fallback
value (a miss, a dropped store), says so once, and resumes by itself.

Two kinds of failure:

- an **outage** (connection refused or timed out, authentication refused,
  ``CLUSTERDOWN``, a slot no primary serves, no cluster node reachable): one
  WARNING, then every operation falls back at once until ``retry_after`` has
  passed; then a health check (PING to every primary) decides whether caching
  resumes, logged at INFO. In a cluster, one failed primary stops the whole cache
  rather than a third of it, so that a failover is one warning and one
  resumption, not one of each per slot.
- a **refusal** (out of memory, no permission, a plain client on a cluster):
  one WARNING per kind; other operations go on.

The last failure is kept (password masked) for ``status`` and ``cache stats``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from azora_nb.settings import mask_secrets

log = logging.getLogger("azora_nb")
T = TypeVar("T")


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` means Redis is not there (rather than that it said no)."""
    import redis

    return isinstance(
        exc,
        redis.ConnectionError
        | redis.TimeoutError
        | redis.exceptions.ClusterDownError
        | redis.exceptions.TryAgainError
        | redis.exceptions.RedisClusterUnreachableError
        | redis.exceptions.SlotNotCoveredError
        | OSError,
    )


def describe(exc: BaseException, secrets: tuple[str, ...] = ()) -> str:
    """One line naming the failure, passwords masked; with a hint where one helps."""
    import redis

    text = " ".join(str(exc).split()) or type(exc).__name__
    line = mask_secrets(f"{type(exc).__name__}: {text}", secrets)[:300]
    if isinstance(exc, redis.exceptions.AskError) or text.startswith(("MOVED", "ASK")):
        line += (
            " (the server is a Redis Cluster and answered MOVED: "
            "set AZORA_REDIS_CLUSTER=auto or true)"
        )
    return line


class RedisGuard:
    """Runs Redis operations of one store, with the failure policy of the module doc."""

    def __init__(
        self,
        location: str,
        *,
        retry_after: float,
        healthy: Callable[[], object],
        secrets: tuple[str, ...] = (),
    ) -> None:
        self.location = location
        self.retry_after = retry_after
        self._healthy = healthy
        self._secrets = secrets
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._refusals: set[str] = set()
        self.last_error: str | None = None
        self._last_error_at = 0.0
        self.failures = 0

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def run(self, action: Callable[[], T], fallback: T) -> T:
        """``action()``, or ``fallback`` when Redis is down or fails now."""
        with self._lock:
            down, retry_due = self.down, time.monotonic() >= self._retry_at
        if down and (not retry_due or not self._recovered()):
            return fallback
        try:
            return action()
        except Exception as exc:  # classified below; anything unexpected is re-raised
            if not self._failed(exc):
                raise
            return fallback

    def _recovered(self) -> bool:
        """After ``retry_after``: is every node answering again? One thread asks."""
        with self._lock:
            if time.monotonic() < self._retry_at:
                return False
            self._retry_at = time.monotonic() + self.retry_after
        try:
            self._healthy()
        except Exception as exc:
            if not self._failed(exc, quiet=True):
                raise
            return False
        self.recovered()
        return True

    def _failed(self, exc: BaseException, *, quiet: bool = False) -> bool:
        """Record ``exc``; ``False`` when it is not a Redis failure at all."""
        import redis

        if not isinstance(exc, redis.RedisError | redis.exceptions.RedisClusterException | OSError):
            return False
        line = describe(exc, self._secrets)
        with self._lock:
            self.failures += 1
            self.last_error = line
            self._last_error_at = time.monotonic()
            if is_outage(exc):
                first = self._down_since is None
                if first:
                    self._down_since = time.monotonic()
                self._retry_at = time.monotonic() + self.retry_after
            else:
                first = type(exc).__name__ not in self._refusals
                self._refusals.add(type(exc).__name__)
        if not first or quiet:
            return True
        if is_outage(exc):
            log.warning(
                "cache: Redis at %s is unreachable (%s); queries run uncached until it is "
                "back (checked every %.0f s)",
                self.location,
                line,
                self.retry_after,
            )
        else:
            log.warning("cache: Redis refused a cache operation (%s); continuing uncached", line)
        return True

    def problem(self, recent: float = 300.0) -> str | None:
        """What went wrong: the outage in progress, else a failure of the last ``recent``
        seconds; ``None`` when nothing did."""
        with self._lock:
            now = time.monotonic()
            if self._down_since is not None:
                return f"unreachable for {now - self._down_since:.0f} s: {self.last_error}"
            if self.last_error is not None and now - self._last_error_at <= recent:
                return f"{self.last_error} ({now - self._last_error_at:.0f} s ago)"
            return None

    def recovered(self) -> None:
        """A check just worked end to end: caching resumes now, and refusals of a kind
        already said are said again if they come back."""
        with self._lock:
            since, self._down_since = self._down_since, None
            self._refusals.clear()
        if since is not None:
            log.info(
                "cache: Redis at %s is back after %.0f s; caching resumes",
                self.location,
                time.monotonic() - since,
            )
