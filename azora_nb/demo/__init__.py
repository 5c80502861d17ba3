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

import importlib
from typing import TYPE_CHECKING, Any

from azora_nb.demo.manifest import Anomaly, Manifest, manifest_path, read_manifest
from azora_nb.demo.plan import DEFAULT_AS_OF, DEFAULT_SCALE, DEFAULT_SEED, AnomalyRates, Plan

if TYPE_CHECKING:
    from azora_nb.demo.seed import seed, table_specs


def __getattr__(name: str) -> Any:
    # seed() and table_specs() pull in the generators (NumPy, SciPy, pandas), so they
    # are imported on first use: the CLI reads the defaults above at start-up. Importing
    # the submodule binds `seed` to it on this package; the function replaces it here.
    # Reach seed() through this package, not through `azora_nb.demo.seed` directly.
    if name in ("seed", "table_specs"):
        module = importlib.import_module("azora_nb.demo.seed")
        globals().update(seed=module.seed, table_specs=module.table_specs)
        return globals()[name]
    raise AttributeError(f"module 'azora_nb.demo' has no attribute {name!r}")


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
