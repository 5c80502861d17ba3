"""The Redis backend: entries shared by every kernel that points at one Redis.

Keys, all under ``AZORA_CACHE_PREFIX``: ``e:<digest>`` entries, ``v:<db>:<table>`` table
versions, ``l:<digest>`` single-flight leases, ``stats`` (a hash of counters),
``i:<source>`` / ``s:<source>`` (a sorted set of live entries by expiry and their
sizes) and ``sources``. Nothing is ever found with KEYS or SCAN.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from azora_nb.cache.backends import unmatchable

if TYPE_CHECKING:
    from azora_nb.redis_client import RedisClient

log = logging.getLogger("azora_nb")
T = TypeVar("T")

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""

LEASE_SECONDS = 10.0
"""How long a single-flight lease lives unless renewed. The holder renews it every
third of that while its query runs, so a kernel killed mid-query frees it within
this time (the issue's bound is 15 s)."""


class RedisBackend:
    """Entries in Redis, shared by every kernel that points at it.

    If Redis stops answering, lookups miss and stores are dropped, with one
    warning per outage; after ``retry_after`` seconds the next call tries
    again, and the cache resumes once Redis is back. The wait keeps a Redis
    that times out (rather than refusing) from stalling every query.
    """

    name = "redis"

    def __init__(
        self,
        client: RedisClient,
        prefix: str,
        *,
        location: str = "redis",
        retry_after: float = 15.0,
        poll: float = 0.05,
    ) -> None:
        if not prefix:
            raise ValueError("a Redis cache needs a non-empty key prefix")
        self.client = client
        self.prefix = prefix
        self.location = location
        self.retry_after = retry_after
        self.poll = poll
        self._down_since: float | None = None
        self._refusals: set[str] = set()
        self._state = threading.Lock()
        self._release = client.register_script(_RELEASE)
        self._renew = client.register_script(_RENEW)
        self.lease_seconds = LEASE_SECONDS

    # -- degradation ----------------------------------------------------------
    def _call(self, action: Callable[[], T], fallback: T) -> T:
        import redis as redis_lib

        with self._state:
            down_since = self._down_since
        if down_since is not None and time.monotonic() - down_since < self.retry_after:
            return fallback
        try:
            result = action()
        except (redis_lib.ConnectionError, redis_lib.TimeoutError) as exc:
            with self._state:
                first = self._down_since is None
                self._down_since = time.monotonic()
            if first:
                log.warning(
                    "cache: Redis at %s is unreachable (%s); queries run uncached until it is back",
                    self.location,
                    exc,
                )
            return fallback
        except redis_lib.RedisError as exc:
            # OOM, READONLY...: say it once per kind, not on every query.
            kind = type(exc).__name__
            if kind not in self._refusals:
                self._refusals.add(kind)
                log.warning("cache: Redis refused a cache operation (%s); continuing uncached", exc)
            return fallback
        if down_since is not None:
            with self._state:
                self._down_since = None
            log.info("cache: Redis at %s is back; caching resumes", self.location)
        return result

    @property
    def available(self) -> bool:
        return self._down_since is None

    def _k(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    # -- entries --------------------------------------------------------------
    def get(self, key: str) -> bytes | None:
        value = self._call(lambda: self.client.get(self._k("e", key)), None)
        return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes, ttl: float, source: str) -> bool:
        expires = time.time() + ttl

        def store() -> bool:
            pipe = self.client.pipeline(transaction=False)
            pipe.set(self._k("e", key), value, px=max(int(ttl * 1000), 1))
            pipe.zadd(self._k("i", source), {key: expires})
            pipe.hset(self._k("s", source), key, len(value))
            pipe.sadd(self._k("sources"), source)
            pipe.execute()
            self._prune(source)
            return True

        return self._call(store, False)

    def delete(self, key: str, source: str) -> None:
        def drop() -> None:
            pipe = self.client.pipeline(transaction=False)
            pipe.delete(self._k("e", key))
            pipe.zrem(self._k("i", source), key)
            pipe.hdel(self._k("s", source), key)
            pipe.execute()

        self._call(drop, None)

    def _prune(self, source: str) -> None:
        expired = self.client.zrangebyscore(self._k("i", source), "-inf", time.time())
        if expired:
            pipe = self.client.pipeline(transaction=False)
            pipe.zrem(self._k("i", source), *expired)
            pipe.hdel(self._k("s", source), *expired)
            pipe.execute()

    # -- table versions -------------------------------------------------------
    def versions(self, names: Sequence[str]) -> list[str]:
        if not names:
            return []
        keys = [self._k("v", n) for n in names]

        def read() -> list[str]:
            found = self.client.mget(keys)
            missing = [k for k, v in zip(keys, found, strict=True) if v is None]
            if missing:
                pipe = self.client.pipeline(transaction=False)
                for k in missing:
                    pipe.set(k, uuid.uuid4().hex, nx=True)
                pipe.execute()
                found = self.client.mget(keys)
            return [_text(v) for v in found]

        return self._call(read, unmatchable(len(names)))

    def lookup(self, key: str, names: Sequence[str]) -> tuple[list[str], bytes | None]:
        """The current versions of ``names`` and the entry ``key``, in one round trip."""
        version_keys = [self._k("v", n) for n in names]

        def read() -> tuple[list[str], bytes | None]:
            pipe = self.client.pipeline(transaction=False)
            if version_keys:
                pipe.mget(version_keys)
            pipe.get(self._k("e", key))
            replies = pipe.execute()
            tokens = replies[0] if version_keys else []
            if any(token is None for token in tokens):
                return self.versions(names), None  # a new version cannot match any entry
            data = replies[-1]
            return [_text(t) for t in tokens], data if isinstance(data, bytes) else None

        fallback: tuple[list[str], bytes | None] = (unmatchable(len(names)), None)
        return self._call(read, fallback)

    def bump(self, names: Sequence[str]) -> bool:
        if not names:
            return True

        def write() -> bool:
            pipe = self.client.pipeline(transaction=False)
            for n in names:
                pipe.set(self._k("v", n), uuid.uuid4().hex)
            pipe.execute()
            return True

        return self._call(write, False)

    # -- single flight --------------------------------------------------------
    @contextlib.contextmanager
    def singleflight(self, key: str, timeout: float) -> Iterator[bool]:
        """Hold the lease for ``key``, waiting at most ``timeout`` seconds for another
        kernel to finish. Yields whether the lease is held (``False``: go ahead unlocked).

        The lease is short (:data:`LEASE_SECONDS`) and renewed by a thread while the
        body runs: a live holder keeps it however long its query takes, a killed one
        loses it within the lease time, and a waiter then takes over."""
        lock_key = self._k("l", key)
        token = uuid.uuid4().hex
        lease_ms = max(int(self.lease_seconds * 1000), 100)
        deadline = time.monotonic() + timeout
        delay = 0.005
        held = False
        while True:
            # True: ours; False: another kernel holds it; None: Redis failed, go ahead.
            acquired = self._call(
                lambda: self.client.set(lock_key, token, nx=True, px=lease_ms) is True, None
            )
            if acquired:
                held = True
                break
            if acquired is None:
                break
            if time.monotonic() >= deadline:
                log.info(
                    "cache: waited %.0f s for another kernel to fill an entry; "
                    "running the query here",
                    timeout,
                )
                break
            time.sleep(delay)
            delay = min(delay * 2, self.poll)
        stop = threading.Event()
        renewer = None
        if held:
            renewer = threading.Thread(
                target=self._keep, args=(lock_key, token, lease_ms, stop), daemon=True
            )
            renewer.start()
        try:
            yield held
        finally:
            stop.set()
            if renewer is not None:
                renewer.join(timeout=5)
            if held:
                self._call(lambda: self._release(keys=[lock_key], args=[token]), None)

    def _keep(self, lock_key: str, token: str, lease_ms: int, stop: threading.Event) -> None:
        """Renew the lease every third of its life until ``stop``, or until it is lost."""
        while not stop.wait(lease_ms / 3000):
            renewed = self._call(lambda: self._renew(keys=[lock_key], args=[token, lease_ms]), None)
            if not renewed:
                return  # lost (expired while Redis was away): the query still finishes

    # -- stats and index ------------------------------------------------------
    def add_stats(self, source: str, counts: dict[str, int]) -> None:
        def write() -> None:
            pipe = self.client.pipeline(transaction=False)
            for field, amount in counts.items():
                if amount:
                    pipe.hincrby(self._k("stats"), f"{source}|{field}", int(amount))
            pipe.execute()

        self._call(write, None)

    def read_stats(self) -> dict[str, dict[str, int]]:
        empty: dict[Any, Any] = {}
        raw: dict[Any, Any] = self._call(lambda: self.client.hgetall(self._k("stats")), empty)
        out: dict[str, dict[str, int]] = {}
        for field, value in raw.items():
            source, _, name = _text(field).rpartition("|")
            out.setdefault(source, {})[name] = int(value)
        return out

    def _sources(self) -> list[str]:
        members = self.client.smembers(self._k("sources"))
        return sorted(_text(m) for m in members)

    def entries(self) -> dict[str, tuple[int, int]]:
        def read() -> dict[str, tuple[int, int]]:
            out: dict[str, tuple[int, int]] = {}
            for source in self._sources():
                self._prune(source)
                sizes = self.client.hvals(self._k("s", source))
                out[source] = (len(sizes), sum(int(s) for s in sizes))
            return out

        return self._call(read, {})

    def clear(self, source: str | None) -> int:
        def drop() -> int:
            removed = 0
            for name in [source] if source else self._sources():
                keys = [_text(k) for k in self.client.zrange(self._k("i", name), 0, -1)]
                for start in range(0, len(keys), 500):
                    batch = keys[start : start + 500]
                    removed += int(self.client.delete(*(self._k("e", k) for k in batch)))
                self.client.delete(self._k("i", name), self._k("s", name))
            return removed

        return self._call(drop, 0)

    def probe(self) -> str:
        self.client.ping()
        return str(self.client.info("server").get("redis_version", "?"))

    def close(self) -> None:
        return None  # the client belongs to the workspace


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
