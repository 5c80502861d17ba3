"""Report sections that degrade to one sentence instead of failing.

A report reads several sources; any of them may be unset, unreachable, not
migrated, or hidden from the role. Each section of a curated notebook runs
inside :func:`section`: when its source is not usable the section says so in
one sentence, naming the setting or command that fixes it, and the rest of the
report goes on. Errors that are not about a source's state propagate, so a bug
still fails the report.

>>> with section("Flows by month"):                  # doctest: +SKIP
...     flows = treasury.flows(ws, as_of=as_of)
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from azora_nb.exceptions import (
    AzoraError,
    QueryError,
    SourceMissing,
    StoreUnavailable,
    VisibilityLimited,
)
from azora_nb.present import say

log = logging.getLogger("azora_nb")

T = TypeVar("T")

_MISSING_TABLE = re.compile(
    r'no such table: (?:\w+\.)?(?P<sqlite>\w+)|relation "(?P<pg>[^"]+)" does not exist'
    r"|no such column: (?P<col>[\w.]+)|column (?P<pgcol>[\w.\"]+) does not exist"
)
_NO_GRANT = re.compile(r"permission denied for (?:table|relation|view) (?P<table>\w+)")


@dataclass
class SectionOutcome:
    """What happened in a section: ``skipped`` holds the sentence shown instead."""

    title: str
    skipped: str | None = None
    sources: set[str] = field(default_factory=set)


def explain(error: AzoraError) -> str | None:
    """One sentence that says why a section cannot be shown and what fixes it, or
    ``None`` when ``error`` is not about the state of a source."""
    if isinstance(error, SourceMissing):
        return (
            f"Needs the {error.store} database, which is not set up: set {error.setting}, "
            f"or run `azora-nb db upgrade --source {error.store}`."
        )
    if isinstance(error, StoreUnavailable):
        return (
            f"Needs the {error.store} database, which cannot be reached ({error.detail}); "
            f"check {error.setting}."
        )
    if isinstance(error, VisibilityLimited):
        return f"Not checked: {error.message}"
    if isinstance(error, QueryError):
        missing = _MISSING_TABLE.search(error.detail)
        if missing:
            what = next(v for v in missing.groupdict().values() if v)
            kind = "column" if (missing.group("col") or missing.group("pgcol")) else "table"
            return (
                f"The {error.source} database has no {kind} {what.strip(chr(34))}: run "
                f"`azora-nb db upgrade --source {error.source}` (or `azora-nb db adopt "
                f"--source {error.source}` for a service's own database)."
            )
        denied = _NO_GRANT.search(error.detail)
        if denied:
            return (
                f"The database role may not read {error.source}.{denied.group('table')}: "
                "ask for SELECT on it, or connect as a role that has it."
            )
    return None


@contextmanager
def section(title: str = "", *, quiet: bool = False) -> Iterator[SectionOutcome]:
    """Run a report section; a source that is missing, unreachable, unmigrated or not
    readable by the role turns the section into one sentence (see :func:`explain`),
    shown unless ``quiet`` (for work whose absence another part reports)."""
    outcome = SectionOutcome(title)
    try:
        yield outcome
    except AzoraError as exc:
        sentence = explain(exc)
        if sentence is None:
            raise
        outcome.skipped = sentence
        log.info("section %r skipped: %s", title, sentence)
        if not quiet:
            say(sentence)


def quiet(read: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """``read(*args, **kwargs)``, or ``None`` when its source is not usable, saying nothing:
    for a report's summary, whose sections below say why.

    >>> flows = quiet(treasury.flows, ws, as_of=as_of)   # doctest: +SKIP
    """
    with section("summary", quiet=True):
        return read(*args, **kwargs)
    return None


def reuse(value: T | None, read: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``value``, as :func:`quiet` read it for the summary, or ``read(*args, **kwargs)``
    when that read found its source unusable (``None``): inside a :func:`section` the
    second read fails again and the section says why. A report need not run a slow
    check twice (a cross-database reconciliation reads both databases in full).

    >>> with section("findings"):                              # doctest: +SKIP
    ...     present.findings(reuse(findings, mining.anomalies, ws, as_of=as_of))
    """
    return read(*args, **kwargs) if value is None else value
