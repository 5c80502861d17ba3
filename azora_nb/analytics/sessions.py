"""Mining sessions against what they refer to: pool statistics (``core``) and the AZR
the mint service minted for them (``mint``).

* **session_unknown_pool** -- a session's ``(pool_name, algorithm)`` is a pool that
  ``mining_pool_stats`` knows (sessions without a pool are solo: no reference).
* **minting_session_mismatch** -- a ``minting_transactions`` row names a session
  (``mining_session_id`` = ``mining_sessions.session_id``) that exists, and mints
  that session's ``azr_minted``, to within half a unit of NUMERIC(20,6).

The second is a cross-database check: it streams the mint side in batches and
looks each batch's sessions up in core, comparing amounts as decimals.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa

from azora_nb.analytics import _money as money
from azora_nb.analytics import _sql as q
from azora_nb.exceptions import StoreUnavailable
from azora_nb.schema import core, mint

log = logging.getLogger("azora_nb")

if TYPE_CHECKING:
    from azora_nb.workspace import Workspace

MINTED_TOLERANCE = "0.000001"
"""AZR: minting_transactions keeps 6 decimals, mining_sessions 8; rounding differs by
at most half a unit of the 6th, so a real difference is larger than one unit."""

_sessions = core.mining_sessions
_pools = core.mining_pool_stats


def unknown_pools(ws: Workspace, *, cache: bool = True) -> pd.DataFrame:
    """Sessions whose pool (for their algorithm) is not in ``mining_pool_stats``.

    >>> sessions.unknown_pools(ws)  # doctest: +SKIP
    """
    s, p = _sessions.c, _pools.c
    known = sa.select(p.pool_name, p.algorithm).distinct().subquery("known")
    stmt = (
        sa.select(s.id.label("session_id"), s.pool_name, s.algorithm)
        .join_from(
            _sessions,
            known,
            sa.and_(known.c.pool_name == s.pool_name, known.c.algorithm == s.algorithm),
            isouter=True,
        )
        .where(s.pool_name.is_not(None), known.c.pool_name.is_(None))
        .order_by(s.id)
    )
    found = q.run(ws, stmt, "core", cache=cache)
    return q.findings(
        "session_unknown_pool",
        ({"session_id": i} for i in found["session_id"]),
        (
            f"pool {pool} ({algorithm}) is not in mining_pool_stats"
            for pool, algorithm in zip(found["pool_name"], found["algorithm"], strict=True)
        ),
    )


def _sessions_by_key(ws: Workspace, keys: list[str]) -> dict[str, Any]:
    s = _sessions.c
    stmt = sa.select(s.session_id, money.exact(s.azr_minted).label("azr_minted"))
    found = q.lookup(ws, stmt, s.session_id, keys, "core")
    if not len(found.columns):
        return {}
    return dict(zip(found["session_id"], found["azr_minted"], strict=True))


def minting_mismatches(
    ws: Workspace, *, tolerance: str = MINTED_TOLERANCE, cache: bool = True
) -> pd.DataFrame:
    """Minting transactions whose session is unknown to core, or whose AZR differs from
    the session's ``azr_minted`` by more than ``tolerance``. With ``cache`` the findings
    are kept in the query cache until either table changes.

    >>> sessions.minting_mismatches(ws)  # doctest: +SKIP
    """
    return q.remembered(
        ws,
        "sessions.minting_mismatches",
        lambda: _minting_mismatches(ws, tolerance),
        params={"tolerance": tolerance},
        tables={"mint": ["minting_transactions"], "core": ["mining_sessions"]},
        cache=cache,
    )


def _minting_mismatches(ws: Workspace, tolerance: str) -> pd.DataFrame:
    m = mint.minting_transactions.c
    stmt = sa.select(
        m.id.label("minting_id"), m.mining_session_id, money.exact(m.amount_azr).label("amount")
    ).order_by(m.id)
    tol = Decimal(tolerance)
    rows: list[dict[str, Any]] = []
    for chunk in ws.sql_chunks(stmt, source="mint", chunk_rows=q.BATCH_ROWS):
        keys = [k for k in chunk["mining_session_id"].tolist() if isinstance(k, str)]
        minted = _sessions_by_key(ws, keys)
        for minting_id, key, amount in zip(
            chunk["minting_id"], chunk["mining_session_id"], chunk["amount"], strict=True
        ):
            if not isinstance(key, str) or key not in minted:
                detail = f"session {key} is not in core's mining_sessions"
            else:
                ours, theirs = money.to_decimal(amount), money.to_decimal(minted[key])
                if ours is None or theirs is None or abs(ours - theirs) <= tol:
                    continue
                a, b = money.amounts(ours, theirs)
                detail = f"minted {a} AZR, session {key} says {b} AZR"
            rows.append(
                {
                    "kind": "minting_session_mismatch",
                    "keys": {"minting_id": minting_id},
                    "detail": detail,
                }
            )
    return q.findings_frame(rows)


def anomalies(ws: Workspace, *, cache: bool = True) -> pd.DataFrame:
    """Both session checks as one findings frame. Without a mint database (not
    configured, or its file absent) the minting check is left out, with a warning.

    >>> sessions.anomalies(ws).kind.value_counts()  # doctest: +SKIP
    """
    parts = [unknown_pools(ws, cache=cache)]
    try:
        parts.append(minting_mismatches(ws, cache=cache))
    except StoreUnavailable as exc:
        log.warning("minting_session_mismatch not checked: %s", exc)
    return pd.concat(parts, ignore_index=True)
