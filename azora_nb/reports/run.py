"""Running a curated notebook as a report: execute, scrub, render, record.

The output notebook is the log: it is written even when a cell fails, and
:class:`~azora_nb.exceptions.ReportFailed` names the cell.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from azora_nb.exceptions import ReportFailed
from azora_nb.reports import kernel, parameters, registry, runs
from azora_nb.reports.render import render_html
from azora_nb.reports.scrub import MaskingFilter, local_paths, scrub_file
from azora_nb.settings import mask_secrets
from azora_nb.workspace import Workspace

log = logging.getLogger("azora_nb")


@dataclass(frozen=True)
class ReportResult:
    """What one report run produced."""

    report: str
    notebook: Path
    html: Path
    parameters: Mapping[str, Any]
    seconds: float
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)


def run_report(
    ws: Workspace,
    name: str,
    params: Mapping[str, Any] | None = None,
    out_dir: Path | None = None,
    *,
    progress_bar: bool = False,
) -> ReportResult:
    """Execute report ``name`` with ``params``; write ``<out>/<name>.ipynb`` and ``.html``.

    ``out_dir`` defaults to ``<home>/reports``. On a failing cell the executed notebook
    (and its HTML) are still written, and :class:`ReportFailed` names the cell.

    >>> with az.connect() as ws:                                    # doctest: +SKIP
    ...     run_report(ws, "treasury", {"as_of": "2026-10-31"}).html
    PosixPath('.azora/reports/treasury.html')

    Every run, from the CLI, the main job or this function, is recorded in the audit
    trail (``azora-nb log``) with its outcome.
    """
    from azora_nb import audit

    with audit.action(ws, "core", "report.run", target=name, params=dict(params or {})):
        return _run(ws, name, params, out_dir, progress_bar)


def _run(
    ws: Workspace,
    name: str,
    params: Mapping[str, Any] | None,
    out_dir: Path | None,
    progress_bar: bool,
) -> ReportResult:
    from papermill.exceptions import PapermillExecutionError
    from papermill.iorw import load_notebook_node  # gives every cell metadata.tags

    report, source_path = registry.resolve(name)
    out = Path(out_dir) if out_dir is not None else ws.settings.home / "reports"
    out.mkdir(parents=True, exist_ok=True)
    nb_path, html_path = out / f"{report}.ipynb", out / f"{report}.html"

    prepared = parameters.prepare(
        report,
        load_notebook_node(str(source_path)),
        dict(params or {}),
        ws.settings.to_env(),
        ws.settings.secrets(),
    )
    run = runs.RunRecord(uuid.uuid4().hex, report, prepared.shown, datetime.now(UTC))
    log.info("report %s: running %s with %s", report, source_path.name, prepared.shown)
    runs.record(ws, run, "running")
    clock = time.perf_counter()
    cwd = Path.cwd()
    failure: PapermillExecutionError | None = None
    try:
        with MaskingFilter(prepared.secrets):
            kernel.execute(
                prepared.notebook,
                prepared.env,
                cwd=cwd,
                output=nb_path,
                progress_bar=progress_bar,
            )
    except PapermillExecutionError as exc:
        failure = exc
    except BaseException as exc:  # the kernel died, a timeout, Ctrl-C: the run is over
        error = mask_secrets(f"{type(exc).__name__}: {exc}", prepared.secrets)
        runs.record(ws, run, "failed", nb_path, None, error)
        raise
    finally:
        if nb_path.exists():
            scrub_file(
                nb_path, prepared.secrets, prepared.shown, local_paths(ws.settings.home, cwd)
            )
    if nb_path.exists():
        render_html(nb_path, html_path)
    seconds = time.perf_counter() - clock

    if failure is not None:
        first_line = next(iter(failure.source.strip().splitlines()), "")
        failed = ReportFailed(
            report=report,
            cell_index=failure.cell_index,
            execution_count=failure.exec_count,
            first_line=mask_secrets(first_line, prepared.secrets),
            ename=failure.ename,
            evalue=mask_secrets(str(failure.evalue), prepared.secrets),
            notebook=nb_path,
        )
        runs.record(ws, run, "failed", nb_path, html_path, failed.message)
        raise failed from None
    runs.record(ws, run, "succeeded", nb_path, html_path)
    log.info("report %s: done in %.1f s -> %s", report, seconds, html_path)
    return ReportResult(report, nb_path, html_path, prepared.shown, seconds, run.run_id)
