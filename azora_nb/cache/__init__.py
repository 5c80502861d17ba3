"""The query-result cache: Redis or local disk, Arrow IPC entries, invalidation by table,
single flight across kernels, provenance and stats.

>>> import azora_nb as az
>>> ws = az.connect()                                             # doctest: +SKIP
>>> df = ws.sql("select * from treasury_ledger", cache=True)      # doctest: +SKIP
>>> str(az.provenance(df))                                        # doctest: +SKIP
'cached 3 min ago from core'
>>> az.cache.invalidate(ws, "core", ["treasury_ledger"])          # doctest: +SKIP
"""

from __future__ import annotations

from azora_nb.cache.api import HoldsCache, cached, clear, invalidate, stats
from azora_nb.cache.core import CacheStats, Lookup, QueryCache, SourceStats
from azora_nb.cache.lookups import sql_lookup
from azora_nb.cache.opening import open_cache
from azora_nb.cache.provenance import Provenance, provenance

__all__ = [
    "CacheStats",
    "HoldsCache",
    "Lookup",
    "Provenance",
    "QueryCache",
    "SourceStats",
    "cached",
    "clear",
    "invalidate",
    "open_cache",
    "provenance",
    "sql_lookup",
    "stats",
]
