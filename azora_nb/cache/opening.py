"""Opening the cache from settings and clients, never from a workspace.

>>> from pathlib import Path
>>> from azora_nb.settings import Settings
>>> cache = open_cache(Settings.load(env={"AZORA_CACHE": "0"}, cwd=Path("/")), redis=None)
>>> cache.backend.name
'none'
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from azora_nb.cache.backends import NullBackend
from azora_nb.cache.core import QueryCache
from azora_nb.cache.disk_store import DiskBackend
from azora_nb.cache.keys import source_identity
from azora_nb.cache.redis_store import RedisBackend
from azora_nb.settings import Settings, SourceSettings, mask_url

if TYPE_CHECKING:
    from azora_nb.redis_client import RedisClient


def watched_settings(source: SourceSettings) -> tuple[str, ...]:
    """Names of the session settings a source's connections get from
    ``AZORA_<SOURCE>_SESSION`` and from ``-c name=value`` in PGOPTIONS or the URL's
    ``options``: the custom ones among them (RLS inputs) are read into every key."""
    names = set(source.session)
    url = make_url(source.sqlalchemy_url(Path("/"))) if source.url else None
    option_texts = [source.pgoptions]
    if url is not None:
        option_texts.append(str(url.query.get("options", "")))
    for text in option_texts:
        try:
            words = shlex.split(text)
        except ValueError:
            continue
        for index, word in enumerate(words):
            setting = word[2:] if word.startswith("-c") and len(word) > 2 else None
            if word == "-c" and index + 1 < len(words):
                setting = words[index + 1]
            if setting and "=" in setting:
                names.add(setting.split("=", 1)[0].strip().replace("-", "_"))
    return tuple(sorted(names))


def open_cache(
    settings: Settings, redis: RedisClient | Callable[[], RedisClient] | None
) -> QueryCache:
    """The cache ``settings`` ask for: Redis (through the ``redis`` client, or a function
    that makes it on first use) when ``AZORA_REDIS_URL`` is set, else a disk cache under
    ``<home>/cache``; nothing when ``AZORA_CACHE=0``."""
    databases = {name: source_identity(settings, name) for name in settings.sources}
    watched = {name: watched_settings(cfg) for name, cfg in settings.sources.items()}
    if not settings.cache.enabled:
        return QueryCache(NullBackend(), settings.cache, databases=databases, watched=watched)
    if settings.redis.url is not None and redis is not None:
        backend = RedisBackend(
            redis,
            settings.cache.prefix,
            location=mask_url(settings.redis.url) or "redis",
            secrets=settings.secrets(),
        )
        # Plain Arrow IPC: a hit then costs little more than the GET of its bytes, which
        # compression cannot give (measured on 1M ledger rows: zstd made a hit 6x the GET
        # of its smaller bytes, lz4 2.4x, plain 0.8-1.3x, on a 1M-row ledger frame). The price
        # is Redis memory, about 5x zstd; AZORA_CACHE_MAX_ENTRY_MB bounds one entry.
        return QueryCache(
            backend, settings.cache, compression=None, databases=databases, watched=watched
        )
    # Local files are read at memory speed, where zstd would cost more than it saves
    # (benchmarks/cache.py: 1M ledger rows decode in ~50 ms plain, ~1 s from zstd).
    disk = DiskBackend(settings.home / "cache", size_limit=settings.cache.disk_size_limit)
    return QueryCache(disk, settings.cache, compression=None, databases=databases, watched=watched)
