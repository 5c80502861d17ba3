"""The disk backend: a diskcache directory under ``AZORA_HOME``, shared by every kernel
on the machine, with file locks for single flight."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from azora_nb.cache.backends import unmatchable

if TYPE_CHECKING:
    import diskcache
    import filelock

log = logging.getLogger("azora_nb")
T = TypeVar("T")


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


def _damaged(exc: BaseException) -> bool:
    """SQLite saying its file is not a database or is malformed (not merely locked)."""
    return isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError)


def _disk_guard(fallback: Any) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """A disk that is full, read-only or locked for too long makes the cache miss, with a
    warning, never fail the query. A damaged cache database is rebuilt empty."""

    def wrap(method: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(method)
        def guarded(self: DiskBackend, *args: Any, **kwargs: Any) -> T:
            import diskcache

            try:
                return method(self, *args, **kwargs)
            except (OSError, sqlite3.Error, diskcache.Timeout) as exc:
                if _damaged(exc):
                    self.rebuild(exc)
                    return fallback(*args) if callable(fallback) else fallback
                if type(exc) not in self._warned:
                    self._warned.add(type(exc))
                    log.warning(
                        "cache: the disk cache at %s failed (%s); continuing uncached",
                        self.location,
                        exc,
                    )
                return fallback(*args) if callable(fallback) else fallback

        return guarded

    return wrap


class DiskBackend:
    """Entries in a diskcache directory under ``AZORA_HOME``, shared by every kernel on the
    machine; bounded to ``size_limit`` bytes (least recently stored go first)."""

    name = "disk"

    def __init__(self, directory: Path, *, size_limit: int, stripes: int = 1024) -> None:
        import diskcache

        self.directory = Path(directory)
        self.location = str(self.directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "locks").mkdir(exist_ok=True)
        self._size_limit = size_limit
        self._stripes = stripes
        self._locks: dict[int, filelock.FileLock] = {}
        self._guard = threading.Lock()
        self._warned: set[type[BaseException]] = set()
        try:
            self.cache = self._open()
            self.cache.get("probe")  # a damaged file often opens, then fails on first read
        except (sqlite3.DatabaseError, diskcache.Timeout) as exc:
            if isinstance(exc, diskcache.Timeout) or not _damaged(exc):
                raise
            self.rebuild(exc)

    def _open(self) -> diskcache.Cache:
        import diskcache

        return diskcache.Cache(
            str(self.directory / "entries"),
            size_limit=self._size_limit,
            disk=_BytesOnlyDisk.make(),
        )

    @property
    def _marker(self) -> Path:
        return self.directory / "rebuilt.json"

    def rebuild(self, exc: BaseException) -> None:
        """Replace a damaged cache database with an empty one; say so once (WARNING) and
        leave a note that ``azora-nb status`` reports."""
        with self._guard:
            old = getattr(self, "cache", None)
            if old is not None:
                with contextlib.suppress(Exception):
                    old.close()
            entries = self.directory / "entries"
            aside = self.directory / f"entries.damaged-{uuid.uuid4().hex[:8]}"
            with contextlib.suppress(OSError):
                entries.rename(aside)
            shutil.rmtree(aside, ignore_errors=True)
            self.cache = self._open()
            note = {"at": time.time(), "reason": f"{type(exc).__name__}: {exc}"}
            with contextlib.suppress(OSError):
                self._marker.write_text(json.dumps(note))
        log.warning(
            "cache: the disk cache at %s was damaged (%s); it was rebuilt empty and "
            "queries run uncached until it refills",
            self.location,
            note["reason"],
        )

    def last_rebuild(self) -> str | None:
        """When and why the cache was last rebuilt after damage, for status."""
        try:
            note = json.loads(self._marker.read_text())
            when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(float(note["at"])))
            return f"rebuilt after damage at {when} ({note['reason']})"
        except (OSError, ValueError, KeyError, TypeError):
            return None

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

    def lookup(self, key: str, names: Sequence[str]) -> tuple[list[str], bytes | None]:
        """The current versions of ``names`` and the entry ``key``, if any."""
        return self.versions(names), self.get(key)

    @_disk_guard(lambda names: unmatchable(len(names)))
    def versions(self, names: Sequence[str]) -> list[str]:
        out = []
        for name in names:
            self.cache.add(f"v:{name}", uuid.uuid4().hex)
            out.append(str(self.cache.get(f"v:{name}")))
        return out

    @_disk_guard(False)
    def bump(self, names: Sequence[str]) -> bool:
        with self.cache.transact():
            for name in names:
                self.cache.set(f"v:{name}", uuid.uuid4().hex)
        return True

    @contextlib.contextmanager
    def singleflight(self, key: str, timeout: float) -> Iterator[bool]:
        import filelock

        # A fixed set of lock files (not one per key, which would pile up forever); the
        # stripe must be the same in every process, hence a digest and not hash().
        stripe = int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) % self._stripes
        with self._guard:
            lock = self._locks.get(stripe)
            if lock is None:
                lock = filelock.FileLock(str(self.directory / "locks" / f"{stripe:04d}.lock"))
                self._locks[stripe] = lock
        try:
            lock.acquire(timeout=timeout)
        except filelock.Timeout:
            log.info(
                "cache: waited %.0f s for another kernel to fill an entry; running the query here",
                timeout,
            )
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
                source, _, name = key[len("stat:") :].rpartition("|")
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

    @_disk_guard(0)
    def clear(self, source: str | None) -> int:
        doomed = [key for key, src, _ in self._live() if source is None or src == source]
        for key in doomed:
            self.delete(key, source or "")
        self.cache.expire()
        return len(doomed)

    def probe(self) -> str:
        try:
            self.cache.set("probe", b"ok", expire=60)
        except sqlite3.DatabaseError as exc:
            if not _damaged(exc):
                raise
            self.rebuild(exc)
        return f"diskcache, {self.cache.volume() // (1024 * 1024)} MB used"

    def health(self) -> str | None:
        """``None`` when the disk cache takes a write now; else what failed."""
        import sqlite3

        try:
            self.probe()
        except (OSError, sqlite3.Error) as exc:
            return f"{type(exc).__name__}: {exc}"
        return None

    def close(self) -> None:
        self.cache.close()
