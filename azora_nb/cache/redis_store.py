"""The Redis backend: entries shared by every kernel that points at one Redis or one
Redis Cluster.

Keys, all under ``AZORA_CACHE_PREFIX``, each with a hash tag (the part in braces,
which alone decides a key's slot in a cluster), so that the keys one command
touches together always live in one slot, on one node:

- ``{<digest>}:e`` an entry, ``{<digest>}:l`` its single-flight lease;
- ``{<db>}:v:<table>`` the version of a table of one database: the versions a lookup
  reads (``MGET``) and a write bumps (``MSET``) are one command per database;
- ``{src:<source>}:i`` / ``{src:<source>}:s`` the live entries of a source by expiry,
  and their sizes;
- ``{meta}:stats`` (a hash of counters) and ``{meta}:sources``.

Entries spread over the nodes by their digests. A lookup is one pipelined round
trip: per node, the version ``MGET`` and the entry ``GET`` it holds. ``cache clear``
of every source scans every primary; nothing else scans.

Failures (an unreachable server, a failover, a refusal) are handled by
:class:`~azora_nb.cache.redis_guard.RedisGuard`: lookups miss, stores are dropped,
one warning, and caching resumes by itself.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from azora_nb.cache.backends import unmatchable
from azora_nb.cache.redis_guard import RedisGuard, describe

if TYPE_CHECKING:
    from azora_nb.redis_client import RedisClient

log = logging.getLogger("azora_nb")

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

    ``client`` is a redis-py client (one server or a cluster), or a function that
    makes one: it is called on first use, and again after a failure, so that a
    server that was unreachable when the workspace opened is picked up later.
    """

    name = "redis"

    def __init__(
        self,
        client: RedisClient | Callable[[], RedisClient],
        prefix: str,
        *,
        location: str = "redis",
        retry_after: float = 15.0,
        poll: float = 0.05,
        secrets: tuple[str, ...] = (),
    ) -> None:
        if not prefix:
            raise ValueError("a Redis cache needs a non-empty key prefix")
        if "{" in prefix or "}" in prefix:
            raise ValueError("the cache key prefix must not hold { or }: they make hash tags")
        self._connect = client if callable(client) else None
        self._client = None if callable(client) else client
        self._client_lock = threading.Lock()
        self.prefix = prefix
        self.location = location
        self.poll = poll
        self.secrets = secrets
        self._scripts: dict[str, Any] = {}
        self.lease_seconds = LEASE_SECONDS
        self.guard = RedisGuard(
            location, retry_after=retry_after, healthy=self._ping_every_primary, secrets=secrets
        )

    @property
    def client(self) -> RedisClient:
        """The redis-py client, made on first use; raises the redis error when it cannot be."""
        with self._client_lock:
            if self._client is None:
                assert self._connect is not None
                self._client = self._connect()
            return self._client

    @property
    def retry_after(self) -> float:
        return self.guard.retry_after

    @retry_after.setter
    def retry_after(self, seconds: float) -> None:
        self.guard.retry_after = seconds

    @property
    def available(self) -> bool:
        return not self.guard.down

    @property
    def cluster(self) -> bool:
        from azora_nb.redis_client import is_cluster_client

        return is_cluster_client(self.client)

    # -- keys -----------------------------------------------------------------
    def _k(self, tag: str, kind: str, *parts: str) -> str:
        """``<prefix>:{<tag>}:<kind>[:<parts>]``: keys with one tag share a slot."""
        return ":".join((f"{self.prefix}:{{{tag}}}", kind, *parts))

    def _entry(self, key: str) -> str:
        return self._k(key, "e")

    def _version(self, name: str) -> str:
        # name is "<database digest>:<table>": one tag per database.
        database, _, table = name.partition(":")
        return self._k(database, "v", table)

    def _index(self, source: str) -> str:
        return self._k(f"src:{source}", "i")

    def _sizes(self, source: str) -> str:
        return self._k(f"src:{source}", "s")

    def _meta(self, kind: str) -> str:
        return self._k("meta", kind)

    def _by_tag(self, names: Sequence[str]) -> dict[str, list[int]]:
        """Positions of ``names`` grouped by the database (hash tag) they belong to."""
        groups: dict[str, list[int]] = {}
        for position, name in enumerate(names):
            groups.setdefault(name.partition(":")[0], []).append(position)
        return groups

    # -- entries --------------------------------------------------------------
    def get(self, key: str) -> bytes | None:
        value = self.guard.run(lambda: self.client.get(self._entry(key)), None)
        return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes, ttl: float, source: str) -> bool:
        expires = time.time() + ttl

        def store() -> bool:
            pipe = self.client.pipeline(transaction=False)
            pipe.set(self._entry(key), value, px=max(int(ttl * 1000), 1))
            pipe.zadd(self._index(source), {key: expires})
            pipe.hset(self._sizes(source), key, len(value))
            pipe.sadd(self._meta("sources"), source)
            pipe.execute()
            self._prune(source)
            return True

        return self.guard.run(store, False)

    def delete(self, key: str, source: str) -> None:
        def drop() -> None:
            pipe = self.client.pipeline(transaction=False)
            pipe.delete(self._entry(key))
            pipe.zrem(self._index(source), key)
            pipe.hdel(self._sizes(source), key)
            pipe.execute()

        self.guard.run(drop, None)

    def _prune(self, source: str) -> None:
        expired = self.client.zrangebyscore(self._index(source), "-inf", time.time())
        if expired:
            pipe = self.client.pipeline(transaction=False)
            pipe.zrem(self._index(source), *expired)
            pipe.hdel(self._sizes(source), *expired)
            pipe.execute()

    # -- table versions -------------------------------------------------------
    def _read_versions(self, names: Sequence[str], entry: str | None) -> tuple[list[Any], Any]:
        """One pipelined round trip: an ``MGET`` per database, and the entry's ``GET``."""
        groups = self._by_tag(names)
        pipe = self.client.pipeline(transaction=False)
        for positions in groups.values():
            # execute_command: a cluster pipeline refuses mget() whatever its keys; one
            # database's versions share a slot, so this MGET goes to one node.
            pipe.execute_command("MGET", *(self._version(names[p]) for p in positions))
        if entry is not None:
            pipe.get(entry)
        replies = pipe.execute()
        tokens: list[Any] = [None] * len(names)
        for positions, found in zip(groups.values(), replies, strict=False):
            for position, token in zip(positions, found, strict=True):
                tokens[position] = token
        return tokens, replies[-1] if entry is not None else None

    def versions(self, names: Sequence[str]) -> list[str]:
        if not names:
            return []

        def read() -> list[str]:
            found, _ = self._read_versions(names, None)
            missing = [n for n, v in zip(names, found, strict=True) if v is None]
            if missing:
                pipe = self.client.pipeline(transaction=False)
                for name in missing:
                    pipe.set(self._version(name), uuid.uuid4().hex, nx=True)
                pipe.execute()
                found, _ = self._read_versions(names, None)
            return [_text(v) for v in found]

        return self.guard.run(read, unmatchable(len(names)))

    def lookup(self, key: str, names: Sequence[str]) -> tuple[list[str], bytes | None]:
        """The current versions of ``names`` and the entry ``key``, in one round trip."""

        def read() -> tuple[list[str], bytes | None]:
            tokens, data = self._read_versions(names, self._entry(key))
            if any(token is None for token in tokens):
                return self.versions(names), None  # a new version cannot match any entry
            return [_text(t) for t in tokens], data if isinstance(data, bytes) else None

        fallback: tuple[list[str], bytes | None] = (unmatchable(len(names)), None)
        return self.guard.run(read, fallback)

    def bump(self, names: Sequence[str]) -> bool:
        """New versions for ``names``: one ``MSET`` per database, so the tables one write
        changed move together."""
        if not names:
            return True

        def write() -> bool:
            pipe = self.client.pipeline(transaction=False)
            for positions in self._by_tag(names).values():
                versions = [(self._version(names[p]), uuid.uuid4().hex) for p in positions]
                pipe.execute_command("MSET", *(part for pair in versions for part in pair))
            pipe.execute()
            return True

        return self.guard.run(write, False)

    # -- single flight --------------------------------------------------------
    @contextlib.contextmanager
    def singleflight(self, key: str, timeout: float) -> Iterator[bool]:
        """Hold the lease for ``key``, waiting at most ``timeout`` seconds for another
        kernel to finish. Yields whether the lease is held (``False``: go ahead unlocked).

        The lease is short (:data:`LEASE_SECONDS`) and renewed by a thread while the
        body runs: a live holder keeps it however long its query takes, a killed one
        loses it within the lease time, and a waiter then takes over. It lives beside
        the entry (same hash tag), so its scripts touch one slot."""
        lock_key = self._k(key, "l")
        token = uuid.uuid4().hex
        lease_ms = max(int(self.lease_seconds * 1000), 100)
        deadline = time.monotonic() + timeout
        delay = 0.005
        held = False
        while True:
            # True: ours; False: another kernel holds it; None: Redis failed, go ahead.
            acquired = self.guard.run(
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
                release = self._script(_RELEASE)
                self.guard.run(lambda: release(keys=[lock_key], args=[token]), None)

    def _keep(self, lock_key: str, token: str, lease_ms: int, stop: threading.Event) -> None:
        """Renew the lease every third of its life until ``stop``, or until it is lost."""
        renew = self._script(_RENEW)
        while not stop.wait(lease_ms / 3000):
            renewed = self.guard.run(lambda: renew(keys=[lock_key], args=[token, lease_ms]), None)
            if not renewed:
                return  # lost (expired while Redis was away): the query still finishes

    def _script(self, text: str) -> Any:
        if text not in self._scripts:
            self._scripts[text] = self.client.register_script(text)
        return self._scripts[text]

    # -- stats and index ------------------------------------------------------
    def add_stats(self, source: str, counts: dict[str, int]) -> None:
        fields = {f"{source}|{field}": int(n) for field, n in counts.items() if n}
        if not fields:
            return

        def write() -> None:
            pipe = self.client.pipeline(transaction=False)
            for field, amount in fields.items():
                pipe.hincrby(self._meta("stats"), field, amount)
            pipe.execute()

        self.guard.run(write, None)

    def read_stats(self) -> dict[str, dict[str, int]]:
        empty: dict[Any, Any] = {}
        raw: dict[Any, Any] = self.guard.run(
            lambda: self.client.hgetall(self._meta("stats")), empty
        )
        out: dict[str, dict[str, int]] = {}
        for field, value in raw.items():
            source, _, name = _text(field).rpartition("|")
            out.setdefault(source, {})[name] = int(value)
        return out

    def _sources(self) -> list[str]:
        members = self.client.smembers(self._meta("sources"))
        return sorted(_text(m) for m in members)

    def entries(self) -> dict[str, tuple[int, int]]:
        def read() -> dict[str, tuple[int, int]]:
            out: dict[str, tuple[int, int]] = {}
            for source in self._sources():
                self._prune(source)
                sizes = self.client.hvals(self._sizes(source))
                out[source] = (len(sizes), sum(int(s) for s in sizes))
            return out

        return self.guard.run(read, {})

    def clear(self, source: str | None) -> int:
        """Delete ``source``'s entries (found through its index), or with ``None`` every key
        under the prefix, found by scanning every primary."""

        def drop() -> int:
            if source is None:
                return self._drop_everything()
            keys = [_text(k) for k in self.client.zrange(self._index(source), 0, -1)]
            removed = self._unlink([self._entry(k) for k in keys], count_entries=True)
            self._unlink([self._index(source), self._sizes(source)])
            return removed

        return self.guard.run(drop, 0)

    def _drop_everything(self) -> int:
        removed = 0
        for node in self._primaries():
            batch: list[str] = []
            for raw in node.scan_iter(match=f"{self.prefix}:{{*", count=1000):
                key = _text(raw)
                if key.endswith(("}:e", "}:i", "}:s")):  # entries and their index
                    batch.append(key)
                if len(batch) >= 500:
                    removed += self._unlink(batch, count_entries=True, on=node)
                    batch = []
            removed += self._unlink(batch, count_entries=True, on=node)
        return removed

    def _unlink(self, keys: list[str], *, count_entries: bool = False, on: Any = None) -> int:
        """Unlink ``keys`` one command each (keys in different slots never share a command);
        return how many entries (``:e`` keys) went."""
        if not keys:
            return 0
        pipe = (on or self.client).pipeline(transaction=False)
        for key in keys:
            pipe.unlink(key)
        done = pipe.execute()
        if not count_entries:
            return 0
        return sum(int(n) for key, n in zip(keys, done, strict=True) if key.endswith("}:e"))

    def _primaries(self) -> list[Any]:
        """A plain client of every primary (just the one for a single server)."""
        client = self.client
        if not self.cluster:
            return [client]
        return [client.get_redis_connection(node) for node in client.get_primaries()]  # type: ignore[union-attr]

    def _ping_every_primary(self) -> None:
        client = self.client
        if self.cluster:
            # Through the cluster client, so that a failover it noticed refreshes its map.
            client.ping(target_nodes="primaries")
        else:
            client.ping()

    # -- health -----------------------------------------------------------------
    def probe(self) -> str:
        """Ping every primary; the server's version (raises when Redis cannot be reached)."""
        self._ping_every_primary()
        try:
            info = self.client.info("server")
        except Exception:  # an ACL user without INFO: the version is not worth failing for
            return "?"
        if isinstance(info, dict) and "redis_version" not in info:
            info = next(iter(info.values()), {})  # a cluster answers per node
        return str(info.get("redis_version", "?")) if isinstance(info, dict) else "?"

    def health(self) -> str | None:
        """``None`` when cache operations work; else what failed: now, in a check that
        reads versions and an entry and stores one, or in this process in the last
        minutes.

        The check touches keys under a throwaway tag, so that a server that answers
        PING but refuses cache operations (a one-server client on a cluster, an ACL
        without the prefix, no memory left) is found out.
        """
        import redis

        tag = f"health-{uuid.uuid4().hex[:12]}"
        names = [f"{tag}:probe_a", f"{tag}:probe_b"]
        entry = self._entry(tag)
        try:
            self._ping_every_primary()
            self._read_versions(names, entry)
            pipe = self.client.pipeline(transaction=False)
            pipe.set(entry, b"probe", px=5000)
            pipe.execute_command("MSET", *(p for n in names for p in (self._version(n), "x")))
            pipe.execute()
            self._unlink([entry, *(self._version(n) for n in names)])
            if not self.cluster and _is_cluster_server(self.client):
                raise redis.exceptions.ResponseError("MOVED: a one-server client on a cluster")
        except Exception as exc:
            if not isinstance(
                exc, redis.RedisError | redis.exceptions.RedisClusterException | OSError
            ):
                raise
            return describe(exc, self.secrets)
        past = self.guard.problem()
        self.guard.recovered()
        return None if past is None else f"recently: {past}"

    def close(self) -> None:
        return None  # the client belongs to the workspace


def _is_cluster_server(client: Any) -> bool:
    try:
        return bool(int(client.info("cluster").get("cluster_enabled", 0)))
    except Exception:  # no INFO for this user: the key probes above are the test
        return False


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
