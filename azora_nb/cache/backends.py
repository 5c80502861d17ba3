"""Where entries live: Redis, a local disk cache, or nowhere.

Backends store bytes under string keys and know nothing of frames. Every
backend also keeps what must be shared between kernels: table versions,
single-flight locks, hit/miss counters and an index of live entries per
source (for stats and ``cache clear --source``), without ever scanning keys.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    import diskcache
    import filelock
    import redis

log = logging.getLogger("azora_nb")
T = TypeVar("T")


class Backend(Protocol):
    """What :class:`~azora_nb.cache.core.QueryCache` needs from a store."""

    name: str
    location: str

    def get(self, key: str) -> bytes | None: ...
    def set(self, key: str, value: bytes, ttl: float, source: str) -> bool: ...
    def delete(self, key: str, source: str) -> None: ...
    def versions(self, names: Sequence[str]) -> list[str]: ...
    def bump(self, names: Sequence[str]) -> None: ...
    def singleflight(self, key: str, timeout: float) -> contextlib.AbstractContextManager[bool]: ...
    def add_stats(self, source: str, counts: dict[str, int]) -> None: ...
    def read_stats(self) -> dict[str, dict[str, int]]: ...
    def entries(self) -> dict[str, tuple[int, int]]: ...
    def clear(self, source: str | None) -> int: ...
    def probe(self) -> str: ...
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
        return ["" for _ in names]

    def bump(self, names: Sequence[str]) -> None:
        return None

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

    def close(self) -> None:
        return None


_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class RedisBackend:
    """Entries in Redis, shared by every kernel that points at it.

    If Redis stops answering, lookups miss and stores are dropped, with one
    warning per outage; after ``retry_after`` seconds the next call tries
    again, and the cache resumes once Redis is back.
    """

    name = "redis"

    def __init__(self, client: redis.Redis, prefix: str, *, location: str = "redis",
                 retry_after: float = 5.0, poll: float = 0.05) -> None:
        if not prefix:
            raise ValueError("a Redis cache needs a non-empty key prefix")
        self.client = client
        self.prefix = prefix
        self.location = location
        self.retry_after = retry_after
        self.poll = poll
        self._down_since: float | None = None
        self._state = threading.Lock()
        self._release = client.register_script(_RELEASE)

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
                log.warning("cache: Redis at %s is unreachable (%s); queries run uncached "
                            "until it is back", self.location, exc)
            return fallback
        except redis_lib.RedisError as exc:
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

    def bump(self, names: Sequence[str]) -> None:
        if not names:
            return

        def write() -> None:
            pipe = self.client.pipeline(transaction=False)
            for n in names:
                pipe.set(self._k("v", n), uuid.uuid4().hex)
            pipe.execute()

        self._call(write, None)

    # -- single flight --------------------------------------------------------
    @contextlib.contextmanager
    def singleflight(self, key: str, timeout: float) -> Iterator[bool]:
        """Hold the lock for ``key``, waiting at most ``timeout`` seconds for another kernel
        to release it. Yields whether the lock is held (``False``: go ahead unlocked)."""
        lock_key = self._k("l", key)
        token = uuid.uuid4().hex
        ttl_ms = max(int(timeout * 1000), 1000)
        deadline = time.monotonic() + timeout
        delay = 0.005
        held = False
        while True:
            # True: ours; False: another kernel holds it; None: Redis failed, go ahead.
            acquired = self._call(
                lambda: self.client.set(lock_key, token, nx=True, px=ttl_ms) is True, None)
            if acquired:
                held = True
                break
            if acquired is None:
                break
            if time.monotonic() >= deadline:
                log.info("cache: waited %.0f s for another kernel to fill an entry; "
                         "running the query here", timeout)
                break
            time.sleep(delay)
            delay = min(delay * 2, self.poll)
        try:
            yield held
        finally:
            if held:
                self._call(lambda: self._release(keys=[lock_key], args=[token]), None)

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
                    batch = keys[start:start + 500]
                    removed += int(self.client.delete(*(self._k("e", k) for k in batch)))
                self.client.delete(self._k("i", name), self._k("s", name))
            return removed

        return self._call(drop, 0)

    def probe(self) -> str:
        self.client.ping()
        return str(self.client.info("server").get("redis_version", "?"))

    def close(self) -> None:
        return None  # the client belongs to the workspace


class _BytesOnlyDisk:
    """Factory for a :class:`diskcache.Disk` that refuses to unpickle anything."""

    @staticmethod
    def make() -> type[diskcache.Disk]:
        import diskcache

        class BytesOnlyDisk(diskcache.Disk):
            def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> Any:
                if mode == diskcache.core.MODE_PICKLE:
                    return None  # written by someone else: never unpickle it
                return super().fetch(mode, filename, value, read)

            def get(self, key: Any, raw: bool) -> Any:
                if not raw:
                    return None
                return super().get(key, raw)

        return BytesOnlyDisk


def _disk_guard(fallback: Any) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """A disk that is full, read-only or locked for too long makes the cache miss, with a
    warning, never fail the query."""

    def wrap(method: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(method)
        def guarded(self: DiskBackend, *args: Any, **kwargs: Any) -> T:
            import diskcache

            try:
                return method(self, *args, **kwargs)
            except (OSError, sqlite3.Error, diskcache.Timeout) as exc:
                if type(exc) not in self._warned:
                    self._warned.add(type(exc))
                    log.warning("cache: the disk cache at %s failed (%s); continuing uncached",
                                self.location, exc)
                return fallback(*args) if callable(fallback) else fallback

        return guarded

    return wrap


class DiskBackend:
    """Entries in a diskcache directory under ``AZORA_HOME``, shared by every kernel on the
    machine; bounded to ``size_limit`` bytes (least recently stored go first)."""

    name = "disk"

    def __init__(self, directory: Path, *, size_limit: int, stripes: int = 256) -> None:
        import diskcache

        self.directory = Path(directory)
        self.location = str(self.directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "locks").mkdir(exist_ok=True)
        self.cache = diskcache.Cache(str(self.directory / "entries"), size_limit=size_limit,
                                     disk=_BytesOnlyDisk.make())
        self._stripes = stripes
        self._locks: dict[int, filelock.FileLock] = {}
        self._guard = threading.Lock()
        self._warned: set[type[BaseException]] = set()

    @_disk_guard(None)
    def get(self, key: str) -> bytes | None:
        value = self.cache.get(f"e:{key}")
        return value if isinstance(value, bytes) else None

    @_disk_guard(False)
    def set(self, key: str, value: bytes, ttl: float, source: str) -> bool:
        meta = json.dumps({"source": source, "size": len(value)})
        with self.cache.transact():
            self.cache.set(f"e:{key}", value, expire=ttl)
            self.cache.set(f"m:{key}", meta, expire=ttl)
        return True

    @_disk_guard(None)
    def delete(self, key: str, source: str) -> None:
        with self.cache.transact():
            self.cache.delete(f"e:{key}")
            self.cache.delete(f"m:{key}")

    @_disk_guard(lambda names: unmatchable(len(names)))
    def versions(self, names: Sequence[str]) -> list[str]:
        out = []
        for name in names:
            self.cache.add(f"v:{name}", uuid.uuid4().hex)
            out.append(str(self.cache.get(f"v:{name}")))
        return out

    @_disk_guard(None)
    def bump(self, names: Sequence[str]) -> None:
        with self.cache.transact():
            for name in names:
                self.cache.set(f"v:{name}", uuid.uuid4().hex)

    @contextlib.contextmanager
    def singleflight(self, key: str, timeout: float) -> Iterator[bool]:
        import filelock

        stripe = int(key[:8], 16) % self._stripes if _is_hex(key[:8]) else hash(key) % 256
        with self._guard:
            lock = self._locks.get(stripe)
            if lock is None:
                lock = filelock.FileLock(str(self.directory / "locks" / f"{stripe:03d}.lock"))
                self._locks[stripe] = lock
        try:
            lock.acquire(timeout=timeout)
        except filelock.Timeout:
            log.info("cache: waited %.0f s for another kernel to fill an entry; "
                     "running the query here", timeout)
            yield False
            return
        try:
            yield True
        finally:
            lock.release()

    @_disk_guard(None)
    def add_stats(self, source: str, counts: dict[str, int]) -> None:
        with self.cache.transact():
            for field, amount in counts.items():
                if amount:
                    self.cache.incr(f"stat:{source}|{field}", int(amount))

    @_disk_guard(dict)
    def read_stats(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for key in self._keys("stat:"):
            value = self.cache.get(key)
            if isinstance(value, int):
                source, _, name = key[len("stat:"):].rpartition("|")
                out.setdefault(source, {})[name] = value
        return out

    def _keys(self, prefix: str) -> list[str]:
        return [k for k in self.cache.iterkeys() if isinstance(k, str) and k.startswith(prefix)]

    def _live(self) -> Iterator[tuple[str, str, int]]:
        for meta_key in self._keys("m:"):
            raw = self.cache.get(meta_key)
            key = meta_key[2:]
            if not isinstance(raw, str) or f"e:{key}" not in self.cache:
                continue
            try:
                meta = json.loads(raw)
                yield key, str(meta["source"]), int(meta["size"])
            except (ValueError, KeyError, TypeError):
                continue

    @_disk_guard(dict)
    def entries(self) -> dict[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        for _, source, size in self._live():
            count, total = out.get(source, (0, 0))
            out[source] = (count + 1, total + size)
        return out

    def clear(self, source: str | None) -> int:
        doomed = [key for key, src, _ in self._live() if source is None or src == source]
        for key in doomed:
            self.delete(key, source or "")
        self.cache.expire()
        return len(doomed)

    def probe(self) -> str:
        self.cache.set("probe", b"ok", expire=60)
        return f"diskcache, {self.cache.volume() // (1024 * 1024)} MB used"

    def close(self) -> None:
        self.cache.close()


def _is_hex(text: str) -> bool:
    try:
        int(text, 16)
    except ValueError:
        return False
    return True


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
