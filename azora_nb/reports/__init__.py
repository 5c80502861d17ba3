"""Curated notebooks run as reports, one module per job.

- :mod:`~azora_nb.reports.registry`: which reports exist, where their notebooks are;
- :mod:`~azora_nb.reports.parameters`: ``-p KEY=VALUE``, injection, secrets;
- :mod:`~azora_nb.reports.kernel`: the one way notebooks are executed;
- :mod:`~azora_nb.reports.scrub`: secrets and local paths out of outputs and logs;
- :mod:`~azora_nb.reports.render`: the HTML a reader opens;
- :mod:`~azora_nb.reports.runs`: the record in ``azora_nb_report_runs``;
- :mod:`~azora_nb.reports.header`: what every report shows first;
- :mod:`~azora_nb.reports.run`: :func:`run_report`, which ties them together.

>>> from azora_nb.reports import run_report                     # doctest: +SKIP
>>> with az.connect() as ws:                                    # doctest: +SKIP
...     result = run_report(ws, "treasury", {"as_of": "2026-10-31"})
"""

from __future__ import annotations

from azora_nb.reports.parameters import masked, parse_parameters
from azora_nb.reports.registry import MAIN_REPORTS, REPORTS, resolve
from azora_nb.reports.render import render_html
from azora_nb.reports.run import ReportResult, run_report
from azora_nb.reports.scrub import scrub

__all__ = [
    "MAIN_REPORTS",
    "REPORTS",
    "ReportResult",
    "masked",
    "parse_parameters",
    "render_html",
    "resolve",
    "run_report",
    "scrub",
]
