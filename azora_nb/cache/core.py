"""The query cache: look up, single-flight, run, store, count.

:class:`QueryCache` works on :class:`Lookup` descriptions and a callable that
produces the frame; :mod:`azora_nb.cache.api` builds both from ``ws.sql``
arguments or from a decorated function's call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from azora_nb.cache import serialise
from azora_nb.cache.backends import Backend, NullBackend
from azora_nb.cache.keys import entry_key, version_names
from azora_nb.cache.provenance import Provenance, _duration, attach
from azora_nb.exceptions import UnknownSource
from azora_nb.settings import CacheSettings

log = logging.getLogger("azora_nb")
_COMPRESS_ABOVE = 256 * 1024


@dataclass(frozen=True)
class Lookup:
    """One cacheable computation.

    ``label`` is the source name stats are kept under; ``scope`` identifies the
    database(s) without credentials; ``text`` and ``params`` the normalised query
    and its typed parameters; ``versioned`` the table version names it depends on,
    or ``None`` when unknown (TTL only).
    """

    label: str
    scope: str
    text: str
    params: str
    versioned: tuple[str, ...] | None
    namespace: str = "sql"
    markers: tuple[str, ...] | None = None
    freshness: str = "age"

    @property
    def exact(self) -> bool:
        """Whether every change to what it read is observed (else age bounds staleness)."""
        return self.markers is not None and self.freshness in ("triggers", "file", "versions")


@dataclass(frozen=True)
class SourceStats:
    source: str
    hits: int
    misses: int
    stores: int
    skipped: int
    entries: int
    bytes: int
    saved_seconds: float
    corrupt: int = 0  # damaged, foreign, unsigned or forged entries found and dropped

    @property
    def hit_rate(self) -> float | None:
        asked = self.hits + self.misses
        return self.hits / asked if asked else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "hits": self.hits,
            "misses": self.misses,
            "hit_rate": self.hit_rate,
            "entries": self.entries,
            "bytes": self.bytes,
            "saved_seconds": round(self.saved_seconds, 3),
            "stores": self.stores,
            "skipped": self.skipped,
            "corrupt": self.corrupt,
        }


@dataclass(frozen=True)
class CacheStats:
    """Counters per source and in total, shared by every kernel using the same backend.

    ``incomplete`` says why the figures may be short (the store failed to count or to
    answer), or is ``None``.
    """

    backend: str
    location: str
    sources: tuple[SourceStats, ...]
    incomplete: str | None = None

    @property
    def total(self) -> SourceStats:
        def add(name: str) -> Any:
            return sum(getattr(s, name) for s in self.sources)

        return SourceStats(
            "total",
            add("hits"),
            add("misses"),
            add("stores"),
            add("skipped"),
            add("entries"),
            add("bytes"),
            add("saved_seconds"),
            add("corrupt"),
        )

    def source(self, name: str) -> SourceStats:
        for stats in self.sources:
            if stats.source == name:
                return stats
        return SourceStats(name, 0, 0, 0, 0, 0, 0, 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "location": self.location,
            "sources": [s.to_dict() for s in self.sources],
            "total": self.total.to_dict(),
            "incomplete": self.incomplete,
        }

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([s.to_dict() for s in (*self.sources, self.total)])


class QueryCache:
    """Cached frames on one backend, with the limits of :class:`CacheSettings`.

    >>> cache = QueryCache(NullBackend(), CacheSettings())
    >>> cache.backend.name
    'none'
    """

    def __init__(
        self,
        backend: Backend,
        settings: CacheSettings,
        *,
        compression: str | None = "zstd",
        databases: Mapping[str, str] | None = None,
        watched: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.backend = backend
        self.settings = settings
        self.compression = compression
        # source name -> where its database lives, without credentials (keys.source_identity)
        self.databases = dict(databases or {})
        # source name -> custom session settings that go into its keys (observe.observe)
        self._watched = dict(watched or {})
        self._said: set[str] = set()

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(self.databases)

    def database(self, source: str) -> str:
        """Where ``source``'s database lives (no credentials); the scope of its keys."""
        try:
            return self.databases[source]
        except KeyError:
            raise UnknownSource(source, self.sources) from None

    def watched(self, source: str) -> tuple[str, ...]:
        """Custom session settings read into ``source``'s keys."""
        return self._watched.get(source, ())

    def version_names(self, source: str, tables: Iterable[str]) -> tuple[str, ...]:
        """The backend names of the versions of ``tables`` in ``source``'s database."""
        return version_names(self.database(source), tables)

    def tables_changed(self, source: str, tables: Iterable[str]) -> bool:
        """Every writer (seed, sync, migrations, snapshots, ``cache clear --table``) calls
        this after writing ``tables`` of ``source``: cached results that read them are
        not served again.

        One error policy: a store that cannot record the change never fails the write
        that was already made. It returns ``False`` and logs at INFO (the store's own
        outage is already a WARNING).
        """
        names = self.version_names(source, tables)
        if not names:
            return True
        if self.backend.bump(list(names)):
            return True
        log.info(
            "cache: wrote %s of %s but the cache at %s did not record it",
            ", ".join(sorted({n.split(":", 1)[1] for n in names})),
            source,
            self.backend.location,
        )
        return False

    @property
    def enabled(self) -> bool:
        return not isinstance(self.backend, NullBackend)

    def key(self, lookup: Lookup) -> str:
        return entry_key(
            lookup.scope, lookup.text, lookup.params, lookup.versioned or (), lookup.namespace
        )

    def fetch(
        self,
        lookup: Lookup,
        run: Callable[[], pd.DataFrame],
        *,
        ttl: float | None = None,
        refresh: bool = False,
    ) -> pd.DataFrame:
        """The cached frame for ``lookup``, or ``run()``'s result, stored for ``ttl`` s.

        ``refresh`` skips the lookup and overwrites the entry. When another kernel is
        already computing the same entry, wait for it (at most ``lock_timeout`` s).
        """
        ttl = self.settings.ttl if ttl is None else float(ttl)
        if not self.enabled or ttl <= 0:
            return self._run(lookup, run)
        key = self.key(lookup)
        names = lookup.versioned or ()
        if not refresh:
            hit, _ = self._read(key, lookup)
            if hit is not None:
                return hit
        with self.backend.singleflight(key, self.settings.lock_timeout):
            if refresh:
                versions = self.backend.versions(names)
            else:
                hit, versions = self._read(key, lookup)
                if hit is not None:
                    return hit
            # Versions and markers read before the query runs: a write meanwhile makes
            # this entry stale at once, never a stale answer stamped as current.
            self.backend.add_stats(lookup.label, {"misses": 1})
            frame = self._run(lookup, run)
            self._store(key, lookup, frame, ttl, versions)
        return frame

    def _freshness(self, lookup: Lookup) -> str:
        """How freshness is established, in words for provenance."""
        bound = _duration(self.settings.max_staleness)
        if lookup.markers is None:
            return f"by age only: the tables read are unknown or unobservable (at most {bound})"
        if lookup.freshness == "triggers":
            return "change-tracking triggers (exact)"
        if lookup.freshness == "file":
            return "database file change counter (exact)"
        if lookup.freshness == "counters":
            return (
                "catalog counters pg_stat_user_tables (a write shows within about 1 s, "
                f"at most {bound})"
            )
        return "toolkit writes only (exact for azora-nb writers)"

    def _run(self, lookup: Lookup, run: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        started = time.perf_counter()
        frame = run()
        elapsed = time.perf_counter() - started
        if isinstance(frame, pd.DataFrame):
            attach(
                frame,
                Provenance(
                    source=lookup.label,
                    cached=False,
                    created_at=time.time(),
                    elapsed=elapsed,
                    seconds=elapsed,
                    backend=self.backend.name,
                    ttl_only=lookup.versioned is None,
                    freshness=self._freshness(lookup),
                    rows=len(frame),
                ),
            )
        return frame

    def _stamp(self, lookup: Lookup, versions: list[str]) -> list[str]:
        """What an entry must match to be served: the cache's own table versions and the
        database's change markers."""
        return [*versions, *(lookup.markers or ())]

    def _read(self, key: str, lookup: Lookup) -> tuple[pd.DataFrame | None, list[str]]:
        """The entry if it is there, every table version and change marker it was made
        under is current and, when freshness is not exact, it is young enough; and the
        current versions."""
        started = time.perf_counter()
        versions, data = self.backend.lookup(key, lookup.versioned or ())
        if data is None:
            return None, versions
        try:
            header = serialise.read_header(data, self.settings.secret)
            if header.get("versions") != self._stamp(lookup, versions):
                return None, versions  # a table it read has changed: recompute, overwrite
            created = float(header.get("created", 0.0))
            if not lookup.exact and time.time() - created > self.settings.max_staleness:
                return None, versions  # unobservable changes: bounded by age
            entry = serialise.loads(data, self.settings.secret)
        except serialise.EntryCorrupt as exc:
            self._corrupt(key, lookup, exc)
            return None, versions
        seconds = time.perf_counter() - started
        header = entry.header
        elapsed = float(header.get("elapsed", 0.0))
        self.backend.add_stats(
            lookup.label, {"hits": 1, "saved_ms": max(int((elapsed - seconds) * 1000), 0)}
        )
        return attach(
            entry.frame,
            Provenance(
                source=str(header.get("source", lookup.label)),
                cached=True,
                created_at=float(header.get("created", 0.0)),
                elapsed=elapsed,
                seconds=seconds,
                backend=self.backend.name,
                ttl_only=bool(header.get("ttl_only", False)),
                freshness=self._freshness(lookup),
                rows=len(entry.frame),
            ),
        ), versions

    def _corrupt(self, key: str, lookup: Lookup, exc: Exception) -> None:
        """A damaged, foreign, unsigned or forged entry: a miss; drop it, count it, and
        say so once per kind of damage."""
        self.backend.delete(key, lookup.label)
        self.backend.add_stats(lookup.label, {"corrupt": 1})
        kind = str(exc).split(":", 1)[0]
        if kind not in self._said:
            self._said.add(kind)
            log.warning(
                "cache: dropped an unusable entry for %s (%s); it is recomputed. Further "
                "such entries are counted in `azora-nb cache stats` without a warning.",
                lookup.label,
                exc,
            )

    def _store(
        self, key: str, lookup: Lookup, frame: pd.DataFrame, ttl: float, versions: list[str]
    ) -> None:
        info = frame.attrs.get("azora_nb.provenance", {}) if isinstance(frame, pd.DataFrame) else {}
        header = {
            "source": lookup.label,
            "created": info.get("created_at", time.time()),
            "elapsed": info.get("elapsed", 0.0),
            "rows": len(frame) if hasattr(frame, "__len__") else 0,
            "ttl_only": lookup.versioned is None,
            "versions": self._stamp(lookup, versions),
        }
        try:
            # Small entries are read faster than they would be decompressed.
            small = frame.memory_usage(index=False).sum() < _COMPRESS_ABOVE
            data = serialise.dumps(
                frame,
                header,
                compression=None if small else self.compression,
                secret=self.settings.secret,
            )
        except serialise.Uncacheable as exc:
            log.info("cache: result from %s not cached: %s", lookup.label, exc)
            self.backend.add_stats(lookup.label, {"skipped": 1})
            return
        if len(data) > self.settings.max_entry_bytes:
            log.warning(
                "cache: result from %s not cached: %.1f MB is over the %.1f MB entry "
                "limit (raise AZORA_CACHE_MAX_ENTRY_MB to cache it)",
                lookup.label,
                len(data) / 2**20,
                self.settings.max_entry_bytes / 2**20,
            )
            self.backend.add_stats(lookup.label, {"skipped": 1})
            prov = frame.attrs.get("azora_nb.provenance")
            if isinstance(prov, dict):
                prov["note"] = (
                    f"not cached: {len(data) / 2**20:.1f} MB is over the "
                    f"{self.settings.max_entry_bytes / 2**20:.1f} MB entry limit"
                )
            return
        if self.backend.set(key, data, ttl, lookup.label):
            self.backend.add_stats(lookup.label, {"stores": 1})

    def stats(self) -> CacheStats:
        counters = self.backend.read_stats()
        sizes = self.backend.entries()
        # Asked after reading: a failure while reading shows here too.
        problem = self.backend.health()
        rows = []
        for source in sorted(set(counters) | set(sizes)):
            c = counters.get(source, {})
            count, size = sizes.get(source, (0, 0))
            rows.append(
                SourceStats(
                    source,
                    c.get("hits", 0),
                    c.get("misses", 0),
                    c.get("stores", 0),
                    c.get("skipped", 0),
                    count,
                    size,
                    c.get("saved_ms", 0) / 1000,
                    c.get("corrupt", 0),
                )
            )
        return CacheStats(self.backend.name, self.backend.location, tuple(rows), problem)

    def clear(self, source: str | None = None) -> int:
        """Delete the entries of ``source`` (all when ``None``); return how many."""
        return self.backend.clear(source)

    def close(self) -> None:
        self.backend.close()
