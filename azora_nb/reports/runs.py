"""Recording report runs in the core database's ``azora_nb_report_runs``."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from azora_nb.settings import mask_secrets
from azora_nb.workspace import Workspace

log = logging.getLogger("azora_nb")


@dataclass(frozen=True)
class RunRecord:
    """One report run as the table keeps it; ``params`` are already masked."""

    run_id: str
    report: str
    params: Mapping[str, Any]
    started: datetime


def record(
    ws: Workspace,
    run: RunRecord,
    status: str,
    nb_path: Path | None = None,
    html_path: Path | None = None,
    error: str | None = None,
) -> None:
    """Upsert ``run`` with ``status`` into ``azora_nb_report_runs`` when core has it.

    A database that cannot take the record (read-only replica, not migrated) is
    skipped with a warning: the report itself still runs.
    """
    import sqlalchemy as sa

    from azora_nb.schema.toolkit import report_runs

    core = ws.settings.source("core")
    if core.embedded and not (ws.settings.home / "core.sqlite").exists():
        return
    try:
        engine = ws.engine("core")
        if not sa.inspect(engine).has_table(report_runs.name):
            return
        row = {
            "report": run.report,
            "parameters": json.loads(json.dumps(dict(run.params), default=str)),
            "status": status,
            "started_at": run.started,
            "notebook_path": str(nb_path) if nb_path else None,
            "html_path": str(html_path) if html_path else None,
            "error": error,
            "finished_at": None if status == "running" else datetime.now(UTC),
        }
        with engine.begin() as conn:
            updated = conn.execute(
                report_runs.update().where(report_runs.c.run_id == run.run_id).values(**row)
            )
            if updated.rowcount == 0:
                conn.execute(report_runs.insert().values(run_id=run.run_id, **row))
    except sa.exc.SQLAlchemyError as exc:
        log.warning(
            "report %s: could not record the run in %s: %s",
            run.report,
            report_runs.name,
            mask_secrets(str(exc).splitlines()[0]),
        )
