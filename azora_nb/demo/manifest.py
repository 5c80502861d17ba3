"""The manifest: what a seeding run put in the databases, as JSON next to the data.

``<home>/demo/manifest.json`` holds the run's parameters (which double as the
seed record that a rerun checks), the row count of every table and every
planted anomaly with the keys of the rows involved::

    {"scale": 20000, "seed": 42, "as_of": "2026-10-31T00:00:00+00:00",
     "flavour": "standard", "counts": {"core": {"treasury_ledger": 20000, ...}},
     "anomalies": [{"kind": "reward_stuck_pending", "source": "mint",
                    "table": "knowledge_rewards", "keys": {"reward_id": "..."}}]}
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from azora_nb.exceptions import ConfigError


@dataclass(frozen=True)
class Anomaly:
    """One planted anomaly: its kind (see docs/contracts.md), where it is, and the
    keys of the rows involved."""

    kind: str
    source: str
    table: str
    keys: dict[str, Any]


@dataclass
class Manifest:
    scale: int
    seed: int
    as_of: datetime
    flavour: str
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    anomalies: list[Anomaly] = field(default_factory=list)
    outcome: dict[str, str] = field(default_factory=dict, compare=False)
    """What this run did per source ("seeded", "already seeded", "reset and seeded");
    not written to the file."""

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(self.counts)

    def same_run(self, other: Manifest) -> bool:
        """Whether ``other`` was made with the same (scale, seed, as_of, flavour)."""
        return (self.scale, self.seed, self.as_of, self.flavour) == (
            other.scale,
            other.seed,
            other.as_of,
            other.flavour,
        )

    def of_kind(self, kind: str) -> list[Anomaly]:
        return [a for a in self.anomalies if a.kind == kind]

    def to_dict(self) -> dict[str, Any]:
        return {
            "scale": self.scale,
            "seed": self.seed,
            "as_of": self.as_of.isoformat(),
            "flavour": self.flavour,
            "counts": {s: dict(sorted(t.items())) for s, t in sorted(self.counts.items())},
            "anomalies": [asdict(a) for a in self.anomalies],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        return cls(
            scale=int(data["scale"]),
            seed=int(data["seed"]),
            as_of=datetime.fromisoformat(data["as_of"]),
            flavour=str(data["flavour"]),
            counts={
                s: {t: int(n) for t, n in tables.items()}
                for s, tables in data.get("counts", {}).items()
            },
            anomalies=[Anomaly(**a) for a in data.get("anomalies", [])],
        )

    def write(self, path: Path) -> None:
        """Write atomically, so a killed run never leaves half a manifest."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=1) + "\n")
        os.replace(tmp, path)


def manifest_path(home: Path) -> Path:
    return home / "demo" / "manifest.json"


def read_manifest(home: Path) -> Manifest | None:
    """The manifest under ``home``, or None when no demo data was seeded there."""
    path = manifest_path(home)
    if not path.exists():
        return None
    try:
        return Manifest.from_dict(json.loads(path.read_text()))
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"{path} is not a readable demo manifest ({exc}); rerun `azora-nb demo seed --reset`"
        ) from exc
