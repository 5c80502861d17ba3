"""What every report shows first: the question it answers and where the answer came from.

:func:`report_header` gathers it from a workspace into a :class:`ReportHeader`, which
renders as HTML in a notebook and as text elsewhere. URLs are shown masked, embedded
databases by kind only: no password and no local path reaches a report.

>>> with az.connect() as ws:                                        # doctest: +SKIP
...     report_header(ws, sources=("core",), as_of="2026-10-31")
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from azora_nb.settings import mask_secrets, mask_url
from azora_nb.workspace import Workspace


@dataclass(frozen=True)
class SourceInfo:
    """One database a report reads: where it is, its schema revision, who reads it."""

    name: str
    location: str
    revision: str | None = None
    role: str | None = None
    problem: str | None = None


@dataclass(frozen=True)
class ReportHeader:
    """The facts printed at the top of a report."""

    as_of: str | None
    parameters: Mapping[str, Any]
    sources: tuple[SourceInfo, ...]
    ran_at: datetime
    version: str
    title: str | None = None
    notes: tuple[str, ...] = field(default=())

    def lines(self) -> list[tuple[str, str]]:
        """``(label, text)`` pairs, in the order they are shown."""
        rows: list[tuple[str, str]] = []
        if self.as_of is not None:
            rows.append(("as of", str(self.as_of)))
        if self.parameters:
            rows.append(("parameters", ", ".join(f"{k}={v!r}" for k, v in self.parameters.items())))
        for source in self.sources:
            rows.append((source.name, _describe(source)))
        rows.append(("ran", f"{self.ran_at:%Y-%m-%d %H:%M:%S} UTC with azora-nb {self.version}"))
        rows.extend(("note", note) for note in self.notes)
        return rows

    def __str__(self) -> str:
        width = max(len(label) for label, _ in self.lines())
        head = [self.title] if self.title else []
        return "\n".join(head + [f"{label:<{width}}  {text}" for label, text in self.lines()])

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th scope='row'>{html.escape(label)}</th><td>{html.escape(text)}</td></tr>"
            for label, text in self.lines()
        )
        caption = f"<caption>{html.escape(self.title)}</caption>" if self.title else ""
        return f"<table class='azora-report-header'>{caption}{rows}</table>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


def _describe(source: SourceInfo) -> str:
    parts = [source.location]
    if source.problem is not None:
        parts.append(source.problem)
    else:
        parts.append(f"revision {source.revision}" if source.revision else "not migrated")
        if source.role:
            parts.append(f"as role {source.role}")
    return "; ".join(parts)


def report_header(
    ws: Workspace,
    *,
    sources: Sequence[str],
    as_of: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    title: str | None = None,
) -> ReportHeader:
    """Describe a report about to run on ``ws``: parameters, then each of ``sources``."""
    from azora_nb import __version__
    from azora_nb.reports.parameters import masked

    return ReportHeader(
        as_of=as_of,
        parameters=masked(dict(parameters or {})),
        sources=tuple(source_info(ws, name) for name in sources),
        ran_at=datetime.now(UTC).replace(microsecond=0),
        version=__version__,
        title=title,
    )


def source_info(ws: Workspace, name: str) -> SourceInfo:
    """Where ``name`` lives, its Alembic revision and the role that reads it."""
    import sqlalchemy as sa

    from azora_nb import migrate

    settings = ws.settings.source(name)
    location = "embedded SQLite" if settings.embedded else str(mask_url(settings.url))
    if not ws.database_exists(name):  # reading its revision would create an empty file
        return SourceInfo(
            name,
            location,
            problem=(
                f"not migrated: set {settings.setting} or run `azora-nb db upgrade --source {name}`"
            ),
        )
    try:
        revision = migrate.current(ws, name)
        engine = ws.engine(name)
        role = None
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                role = conn.execute(sa.text("select current_user")).scalar_one()
    except Exception as exc:  # a header describes; the report's queries report failures
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        problem = f"unreachable: {mask_secrets(first, ws.settings.secrets())}"
        return SourceInfo(name, location, problem=problem)
    return SourceInfo(name, location, revision=revision, role=role)
