"""Demo data: a deterministic, realistic Azora platform, with planted anomalies.

>>> import azora_nb as az
>>> from azora_nb import demo
>>> with az.connect() as ws:                       # doctest: +SKIP
...     manifest = demo.seed(ws, scale=20_000, seed=42)
...     manifest.counts["core"]["treasury_ledger"]
20000

``scale`` is the number of treasury ledger rows; every other table grows in
proportion. The manifest (``<home>/demo/manifest.json``) lists every planted
anomaly by kind and row keys; see docs/contracts.md for the kinds.
"""

from __future__ import annotations

from azora_nb.demo.manifest import Anomaly, Manifest, manifest_path, read_manifest
from azora_nb.demo.plan import DEFAULT_AS_OF, DEFAULT_SCALE, DEFAULT_SEED, AnomalyRates, Plan
from azora_nb.demo.seed import seed, table_specs

__all__ = [
    "DEFAULT_AS_OF",
    "DEFAULT_SCALE",
    "DEFAULT_SEED",
    "Anomaly",
    "AnomalyRates",
    "Manifest",
    "Plan",
    "manifest_path",
    "read_manifest",
    "seed",
    "table_specs",
]
