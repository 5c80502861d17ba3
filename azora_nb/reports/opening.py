"""How a curated report opens: connect without creating anything, settle ``as_of`` from
the data, and show the header: parameters, sources with their revision and role, what
the role cannot see, and which sources are missing and what fixes that.

>>> ws, as_of = open_report("treasury", as_of="", urls={"core": "", "mint": ""})  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from azora_nb import visibility
from azora_nb.asof import resolve_as_of
from azora_nb.reports.header import ReportHeader, report_header
from azora_nb.workspace import Workspace

TITLES: Mapping[str, str] = {
    "treasury": "Treasury analysis",
    "mining": "Mining performance",
    "rewards": "Knowledge reward audit",
    "health": "Platform health",
}

READS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "treasury": {
        "core": ("treasury_ledger", "founder_compensation"),
        "mint": ("earnings_ledger",),
    },
    "mining": {
        "core": ("mining_sessions", "mining_statistics", "crypto_prices", "users"),
    },
    "rewards": {
        "core": ("treasury_ledger", "users"),
        "mint": ("knowledge_rewards", "users", "user_balances"),
    },
    "health": {
        "core": ("system_health", "alerts"),
        "gateway": ("api_calls", "service_routes", "circuit_breakers"),
    },
}
"""Per report, the tables it reads on each source: what the header checks visibility of."""

REPORT_MIME = "application/vnd.azora-nb.report+json"
"""Output that tells the HTML renderer the report's title and ``as_of``."""


def header_notes(ws: Workspace, report: str) -> tuple[str, ...]:
    """Sentences for the header: tables the role cannot fully see, sources that are
    missing and what fixes them."""
    view = visibility.check(ws, READS.get(report, {}))
    notes = [f"limited view: {line}" for line in view.limits()]
    for source in view.sources:
        if source.error:
            notes.append(f"{source.source}: {source.error}")
    return tuple(notes)


def open_report(
    report: str,
    *,
    as_of: str | None,
    urls: Mapping[str, str | None],
    parameters: Mapping[str, Any] | None = None,
) -> tuple[Workspace, str]:
    """Connect (``create_databases=False``), resolve ``as_of``, show the header; return the
    workspace and the ``as_of`` used."""
    from azora_nb.notebook import notebook

    given: dict[str, Any] = {f"{name}_url": url or "" for name, url in urls.items()}
    ws = notebook(**given, header=False)
    used = resolve_as_of(ws, report, as_of)
    header = report_header(
        ws,
        sources=list(urls),
        as_of=used if as_of else f"{used} (the latest complete day of data)",
        parameters=parameters,
        title=TITLES.get(report),
    )
    header = replace(header, notes=(*header.notes, *header_notes(ws, report)))
    _show(header, report, used)
    return ws, used


def _show(header: ReportHeader, report: str, as_of: str) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - ipykernel is a dependency
        print(header)
        return
    if get_ipython() is None:
        print(header)
        return
    bundle = {
        "text/plain": str(header),
        "text/html": header._repr_html_(),
        REPORT_MIME: {"report": report, "title": TITLES.get(report, report), "as_of": as_of},
    }
    display(bundle, raw=True)
