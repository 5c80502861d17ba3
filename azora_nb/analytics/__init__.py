"""Analytics over the Azora databases: one module per notebook's subject.

>>> from azora_nb.analytics import treasury, rewards
>>> treasury.flows(ws, as_of="2026-10-31", months=6)   # doctest: +SKIP
>>> rewards.audit(ws, as_of="2026-10-31")              # doctest: +SKIP

Every function takes the workspace first and keyword parameters (``as_of``,
windows, thresholds, ``cache``), runs its aggregation inside the database with
SQLAlchemy Core (the same statement on SQLite and PostgreSQL, see ``_sql``) and
returns a DataFrame. Questions that span two databases reduce each side in its
own database and join the reduced results here. Detectors return *findings*
frames (``kind``, ``keys``, ``detail``) keyed as in the demo manifest.
"""

from azora_nb.analytics import forecast, health, mining, rewards, snapshots, treasury

__all__ = ["forecast", "health", "mining", "rewards", "snapshots", "treasury"]
