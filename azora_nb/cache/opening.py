"""Opening the cache from settings and clients, never from a workspace.

>>> from pathlib import Path
>>> from azora_nb.settings import Settings
>>> cache = open_cache(Settings.load(env={"AZORA_CACHE": "0"}, cwd=Path("/")), redis=None)
>>> cache.backend.name
'none'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from azora_nb.cache.backends import NullBackend
from azora_nb.cache.core import QueryCache
from azora_nb.cache.disk_store import DiskBackend
from azora_nb.cache.keys import source_identity
from azora_nb.cache.redis_store import RedisBackend
from azora_nb.settings import Settings, mask_url

if TYPE_CHECKING:
    from azora_nb.redis_client import RedisClient


def open_cache(settings: Settings, redis: RedisClient | None) -> QueryCache:
    """The cache ``settings`` ask for: Redis (through the ``redis`` client) when
    ``AZORA_REDIS_URL`` is set, else a disk cache under ``<home>/cache``; nothing when
    ``AZORA_CACHE=0``."""
    databases = {name: source_identity(settings, name) for name in settings.sources}
    if not settings.cache.enabled:
        return QueryCache(NullBackend(), settings.cache, databases=databases)
    if settings.redis.url is not None and redis is not None:
        backend = RedisBackend(
            redis, settings.cache.prefix, location=mask_url(settings.redis.url) or "redis"
        )
        # Entries cross the network and share the server's memory: compress them.
        return QueryCache(backend, settings.cache, compression="zstd", databases=databases)
    # Local files are read at memory speed, where zstd would cost more than it saves
    # (benchmarks/cache.py: 1M ledger rows decode in ~50 ms plain, ~1 s from zstd).
    disk = DiskBackend(settings.home / "cache", size_limit=settings.cache.disk_size_limit)
    return QueryCache(disk, settings.cache, compression=None, databases=databases)
