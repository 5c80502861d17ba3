"""The detectors against the demo's manifest: is every planted anomaly found, and
nothing else?

The manifest lists each anomaly the seed planted, by kind and the keys of its rows.
:func:`check` runs the four families of detectors on the seeded databases (the reward
audit, the ledger's row rules, the mining and the health anomalies), keys what they
report the same way, and compares the two sets kind by kind. At any scale the answer
should be precision and recall 1: a missed anomaly is a false negative an auditor
would sign, an extra finding a false positive that costs her an afternoon.

>>> result = check(ws, read_manifest(ws.home))               # doctest: +SKIP
>>> result.table.loc[lambda t: t.missed + t.extra > 0]       # doctest: +SKIP
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from azora_nb.demo.manifest import Manifest

if TYPE_CHECKING:
    from azora_nb.workspace import Workspace

Key = tuple[str, tuple[tuple[str, Any], ...]]


@dataclass(frozen=True)
class Check:
    """The comparison: ``table`` has one row per kind (``invariant``, ``kind``,
    ``planted``, ``found``, ``missed``, ``extra``); ``missed`` and ``extra`` list the
    anomalies themselves (``kind``, ``keys``)."""

    table: pd.DataFrame
    missed: pd.DataFrame
    extra: pd.DataFrame

    @property
    def exact(self) -> bool:
        """Precision and recall are both 1: nothing missed, nothing extra."""
        return self.missed.empty and self.extra.empty


def detectors(ws: Workspace, manifest: Manifest) -> Mapping[str, Callable[[], pd.DataFrame]]:
    """Each family's detector, by the letter of its invariants (``docs/contracts.md``)."""
    from azora_nb.analytics import health, mining, rewards, treasury

    as_of = manifest.as_of
    return {
        "R": lambda: rewards.audit(ws, as_of=as_of),
        "L": lambda: treasury.compliance_violations(ws, limit=None),
        "M": lambda: mining.anomalies(ws, as_of=as_of),
        "H": lambda: health.anomalies(ws, as_of=as_of),
    }


def check(ws: Workspace, manifest: Manifest) -> Check:
    """Run every detector on ``ws`` and compare what it finds with ``manifest``."""
    from azora_nb.analytics import contracts

    found: set[Key] = set()
    for run in detectors(ws, manifest).values():
        frame = run()
        found |= keyed(zip(frame["kind"], frame["keys"], strict=True))
    planted = keyed((a.kind, a.keys) for a in manifest.anomalies)
    listed = contracts.invariants()
    invariants = dict(zip(listed["kind"], listed["id"], strict=True))
    order = {kind: i for i, kind in enumerate(listed["kind"])}  # R1..R15, L, M, H
    kinds = sorted({k for k, _ in planted | found}, key=lambda k: (order.get(k, len(order)), k))
    missed, extra = planted - found, found - planted
    counts = {
        label: Counter(kind for kind, _ in keys)
        for label, keys in (
            ("planted", planted),
            ("found", found),
            ("missed", missed),
            ("extra", extra),
        )
    }
    table = pd.DataFrame(
        [
            {"invariant": invariants.get(kind, ""), "kind": kind}
            | {label: counted[kind] for label, counted in counts.items()}
            for kind in kinds
        ],
        columns=["invariant", "kind", *counts],
    )
    return Check(table, _listed(missed), _listed(extra))


def keyed(findings: Iterable[tuple[str, Mapping[str, Any]]]) -> set[Key]:
    """Findings as comparable keys: the kind and the sorted (column, value) pairs, lists
    of values (several rows) as tuples."""
    return {
        (kind, tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in keys.items())))
        for kind, keys in findings
    }


def _listed(keys: set[Key]) -> pd.DataFrame:
    rows = [
        {"kind": kind, "keys": {k: list(v) if isinstance(v, tuple) else v for k, v in pairs}}
        for kind, pairs in sorted(keys, key=repr)
    ]
    return pd.DataFrame(rows, columns=["kind", "keys"])
