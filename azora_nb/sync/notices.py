"""Change notices on Redis pub/sub, for SQL → Mongo syncs.

The seed published one message per entity on ``entity:<type>:<id>``, which
costs a round trip per record and forces subscribers to pattern-subscribe.
azora-nb publishes one message per committed page on ``entity:<type>``::

    {"entityType": "user", "operation": "upsert", "ids": ["u1", "u2"],
     "sync": "users_to_mongo", "runId": "...", "timestamp": "2026-…Z"}

``ids`` lists only the records whose document actually changed; a page with
no change publishes nothing. Composite keys appear as objects.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from azora_nb.exceptions import StoreUnavailable
from azora_nb.sync.convert import to_jsonable, utcnow
from azora_nb.workspace import Workspace

log = logging.getLogger("azora_nb")


def channel(entity_type: str) -> str:
    return f"entity:{entity_type}"


class Notifier:
    """Publishes notices; a missing or failing Redis is logged once and skipped."""

    def __init__(self, ws: Workspace, entity_type: str, sync: str, run_id: str) -> None:
        self.ws = ws
        self.channel = channel(entity_type)
        self.entity_type = entity_type
        self.sync = sync
        self.run_id = run_id
        self.enabled = ws.settings.redis.url is not None
        self.published = 0

    def publish(self, ids: list[Any]) -> None:
        if not ids or not self.enabled:
            return
        message = {
            "entityType": self.entity_type,
            "operation": "upsert",
            "ids": to_jsonable(ids),
            "sync": self.sync,
            "runId": self.run_id,
            "timestamp": utcnow().isoformat().replace("+00:00", "Z"),
        }
        from redis.exceptions import RedisError

        try:
            self.ws.redis.publish(self.channel, json.dumps(message))
            self.published += 1
        except (StoreUnavailable, RedisError, OSError) as exc:
            log.warning("sync %s: change notices are off for this run: %s", self.sync, exc)
            self.enabled = False
