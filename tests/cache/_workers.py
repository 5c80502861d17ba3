"""Code run in child processes by the single-flight test (spawned, so importable)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from azora_nb.cache import provenance
from azora_nb.settings import Settings
from azora_nb.workspace import Workspace

SLOW_QUERY = "select slow_count() as n"


def ask(env: dict[str, str], home: str, barrier: Any, results: Any) -> None:
    """Open a workspace like a fresh kernel would, then ask for the entry with the others."""
    with Workspace(Settings.load(env=env, cwd=Path(home))) as ws:
        ws.engine("core")
        _ = ws.cache  # open the backend before the race starts
        barrier.wait(timeout=60)
        frame = ws.sql(SLOW_QUERY, cache=True, tables=["slow_hits"])
        found = provenance(frame)
        results.put((int(frame["n"][0]), bool(found and found.cached)))


def hold(env: dict[str, str], home: str) -> None:
    """Ask for a slow entry, so as to hold its single-flight lease until killed."""
    with Workspace(Settings.load(env=env, cwd=Path(home))) as ws:
        ws.sql("select maybe_slow() as n", cache=True)
