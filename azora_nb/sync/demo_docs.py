"""Deterministic demo documents for the Mongo side: ``entity_updates`` and
``metrics_history`` shaped as the original services wrote them (see the
reference schemas), for the shipped Mongo → SQL syncs, the tests and
``azora-nb demo`` when MongoDB is configured.

>>> from azora_nb.sync.demo_docs import write_demo_documents
>>> write_demo_documents(ws)                       # doctest: +SKIP
{'entity_updates': 2000, 'metrics_history': 300}
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from azora_nb.workspace import Workspace

DEFAULT_AS_OF = datetime(2026, 10, 31, tzinfo=UTC)
ENTITY_TYPES = ("user", "reward", "ledger", "session")
OPERATIONS = ("insert", "update", "delete")


def entity_updates(n: int, seed: int, as_of: datetime) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        kind = ENTITY_TYPES[i % len(ENTITY_TYPES)]
        stamp = as_of - timedelta(seconds=rng.randrange(0, 30 * 86400))
        docs.append(
            {
                "_id": f"eu-{i:06d}",
                "entityType": kind,
                "entityId": f"{kind}-{rng.randrange(1, max(n // 4, 2)):05d}",
                "operation": OPERATIONS[rng.randrange(0, 3)],
                "data": {
                    "amount": round(rng.uniform(0, 500), 2),
                    "status": rng.choice(["PENDING", "PAID", "FAILED"]),
                    "source": {"service": "mint", "v": 1},
                },
                "timestamp": stamp.replace(microsecond=stamp.microsecond // 1000 * 1000),
                "processed": bool(rng.random() < 0.8),
            }
        )
    return docs


def metrics_history(companies: int, days: int, seed: int, as_of: datetime) -> list[dict[str, Any]]:
    rng = random.Random(seed + 1)
    docs = []
    for c in range(companies):
        base = rng.uniform(1_000, 10_000)
        for d in range(days):
            docs.append(
                {
                    "_id": f"mh-{c:03d}-{d:04d}",
                    "companyId": f"company-{c:03d}",
                    "timeframe": "daily",
                    "metrics": {
                        "revenue": round(base * (1 + 0.01 * d) + rng.gauss(0, 50), 2),
                        "activeUsers": int(100 + 3 * d + rng.randrange(0, 20)),
                        "transactions": int(rng.randrange(50, 500)),
                    },
                    "createdAt": as_of - timedelta(days=days - d),
                }
            )
    return docs


def write_demo_documents(
    ws: Workspace,
    *,
    n_updates: int = 2000,
    companies: int = 5,
    days: int = 60,
    seed: int = 42,
    as_of: datetime = DEFAULT_AS_OF,
) -> dict[str, int]:
    """Write (replace by ``_id``) the demo documents into the workspace's MongoDB.
    The same arguments always give the same documents, so rerunning changes nothing."""
    from pymongo import ReplaceOne

    out = {}
    for name, docs in (
        ("entity_updates", entity_updates(n_updates, seed, as_of)),
        ("metrics_history", metrics_history(companies, days, seed, as_of)),
    ):
        collection = ws.mongo[name]
        for start in range(0, len(docs), 1000):
            chunk = docs[start : start + 1000]
            collection.bulk_write(
                [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in chunk], ordered=False
            )
        out[name] = len(docs)
    return out
