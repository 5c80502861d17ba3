"""Run a curated notebook as a report: execute it with papermill, keep the executed
notebook, render it to HTML with the code hidden.

>>> from azora_nb.reports import run_report          # doctest: +SKIP
>>> with az.connect() as ws:                         # doctest: +SKIP
...     result = run_report(ws, "treasury", {"as_of": "2026-10-31"})
>>> result.html                                      # doctest: +SKIP
PosixPath('.azora/reports/treasury.html')

Kernels run on this process's Python (``sys.executable``), whatever kernelspecs
the machine has installed, and see this process's settings: the resolved
``AZORA_HOME`` is exported to them. Parameters that look like secrets are
never written into the notebook: they reach the kernel through its environment,
and every output is scrubbed of their values before anything is saved.
"""

from __future__ import annotations

import ast
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import KernelManager

from azora_nb.exceptions import ConfigError, ReportFailed
from azora_nb.settings import Settings, mask_secrets, mask_url
from azora_nb.workspace import Workspace

log = logging.getLogger("azora_nb")

REPORTS: Mapping[str, str] = {
    "treasury": "01_treasury_analysis.ipynb",
    "mining": "02_mining_performance.ipynb",
    "rewards": "03_reward_audit.ipynb",
    "reward-audit": "03_reward_audit.ipynb",
    "health": "04_health_report.ipynb",
}
"""Short report names and the curated notebook each one runs."""

MAIN_REPORTS: tuple[str, ...] = ("treasury", "mining", "rewards", "health")
"""The four curated reports, in the order the main job runs them."""

_SECRET_NAME = re.compile(r"password|passwd|secret|token|key", re.IGNORECASE)
_SECRET_ENV_PREFIX = "AZORA_NB_REPORT_SECRET_"
_KERNEL_NAME = "azora-nb-current-env"


@dataclass(frozen=True)
class ReportResult:
    """What one report run produced."""

    report: str
    notebook: Path
    html: Path
    parameters: Mapping[str, Any]
    seconds: float
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)


# -- kernels -------------------------------------------------------------------------------


class CurrentEnvKernelManager(KernelManager):
    """A kernel manager that always starts ``sys.executable -m ipykernel_launcher``.

    Subclass it with :func:`kernel_manager_for` to pass extra environment variables;
    no kernelspec needs to be installed, so a fresh ``.venv`` is enough.
    """

    extra_env: Mapping[str, str] = {}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        import zmq

        if zmq.has("curve"):  # encrypt the local channels; ipykernel warns otherwise
            self.transport_encryption = "auto"

    @property
    def kernel_spec(self) -> KernelSpec:
        if self._kernel_spec is None:
            # KernelSpec env values go through string.Template: escape "$".
            env = {k: v.replace("$", "$$") for k, v in self.extra_env.items()}
            self._kernel_spec = KernelSpec(
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name=f"Python {sys.version_info.major}.{sys.version_info.minor} (azora-nb)",
                language="python",
                env=env,
                metadata={"supported_encryption": ["curve"]},
            )
        return self._kernel_spec


def kernel_manager_for(env: Mapping[str, str]) -> type[CurrentEnvKernelManager]:
    """A :class:`CurrentEnvKernelManager` class whose kernels also get ``env``."""
    return type("AzoraKernelManager", (CurrentEnvKernelManager,), {"extra_env": dict(env)})


def kernel_env(settings: Settings) -> dict[str, str]:
    """The environment that makes a kernel resolve the same settings as ``settings``.

    The home is made absolute and every configured URL is passed on, so a kernel
    started anywhere (``notebooks/``, a temp dir) reads the same stores.
    """
    env = {
        "AZORA_HOME": str(settings.home.resolve()),
        "AZORA_CACHE": "1" if settings.cache.enabled else "0",
        "AZORA_CACHE_PREFIX": settings.cache.prefix,
    }
    for name, source in settings.sources.items():
        env[f"AZORA_{name.upper()}_URL"] = source.url or ""
    env["AZORA_REDIS_URL"] = settings.redis.url or ""
    env["AZORA_MONGO_URL"] = settings.mongo.url or ""
    env["AZORA_MONGO_DB"] = settings.mongo.database
    env["DATABASE_URL"] = env["MONGO_URI"] = ""  # already folded into the AZORA_ names
    env["AZORA_PROGRESS"] = "0"  # no one watches these kernels: keep bars out of the outputs
    return env


# -- parameters ----------------------------------------------------------------------------


def parse_parameters(items: Iterable[str]) -> dict[str, Any]:
    """Parse ``key=value`` strings as the CLI's ``-p`` gives them.

    Values become int, float, bool or None when they read as one, else stay text.

    >>> parse_parameters(["as_of=2026-10-31", "window_days=90", "strict=true"])
    {'as_of': '2026-10-31', 'window_days': 90, 'strict': True}
    """
    params: dict[str, Any] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise ConfigError(
                f"report parameters are NAME=VALUE with NAME a Python identifier, "
                f"got {mask_secrets(item)!r}"
            )
        params[name] = _parse_value(raw)
    return params


def _parse_value(raw: str) -> Any:
    lowered = raw.strip().lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    if lowered in {"none", "null"}:
        return None
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            continue
    return raw


def is_secret(name: str, value: Any) -> bool:
    """Whether a parameter must be kept out of every output."""
    if _SECRET_NAME.search(name):
        return True
    return isinstance(value, str) and mask_url(value) != value


def masked(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` with secret values replaced by ``***``, for logs and records."""
    return {k: ("***" if is_secret(k, v) else v) for k, v in params.items()}


def notebook_parameters(nb: nbformat.NotebookNode) -> list[str]:
    """The names assigned in the notebook's cell tagged ``parameters``."""
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            tree = ast.parse(cell.source)
            return [
                t.id
                for node in tree.body
                if isinstance(node, ast.Assign | ast.AnnAssign)
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
                if isinstance(t, ast.Name)
            ]
    return []


def _inject(
    nb: nbformat.NotebookNode, params: Mapping[str, Any], secret_names: Sequence[str]
) -> nbformat.NotebookNode:
    """Add papermill's injected-parameters cell; secrets are read from the environment."""
    from papermill.parameterize import parameterize_notebook

    plain = {k: v for k, v in params.items() if k not in secret_names}
    nb = parameterize_notebook(nb, plain, kernel_name="python3", language="python")
    if secret_names:
        injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
        lines = ["import os as _os"] + [
            f"{name} = _os.environ[{_SECRET_ENV_PREFIX + name.upper()!r}]" for name in secret_names
        ]
        injected.source = injected.source.rstrip("\n") + "\n" + "\n".join(lines) + "\n"
    return nb


# -- locating notebooks --------------------------------------------------------------------


def notebooks_dir(settings: Settings) -> Path:
    """Where the curated notebooks live: ``notebooks/`` of the project or the source tree."""
    candidates = [Path.cwd() / "notebooks", Path(__file__).resolve().parent.parent / "notebooks"]
    if settings.project_dir is not None:
        candidates.insert(0, settings.project_dir / "notebooks")
    for candidate in candidates:
        if (candidate / REPORTS["treasury"]).is_file():
            return candidate
    raise ConfigError(
        "cannot find the curated notebooks (notebooks/01_treasury_analysis.ipynb); "
        "run azora-nb from the repository, or pass a notebook path"
    )


def resolve(name: str, settings: Settings) -> tuple[str, Path]:
    """Turn a report name or notebook path into ``(short name, notebook path)``."""
    if name in REPORTS:
        short = "rewards" if name == "reward-audit" else name
        return short, notebooks_dir(settings) / REPORTS[name]
    path = Path(name)
    if path.suffix == ".ipynb" and path.is_file():
        return path.stem, path.resolve()
    raise ConfigError(
        f"unknown report {name!r}: use one of {', '.join(REPORTS)} "
        f"or the path of an existing .ipynb file"
    )


# -- running -------------------------------------------------------------------------------


def run_report(
    ws: Workspace,
    name: str,
    parameters: Mapping[str, Any] | None = None,
    out_dir: Path | None = None,
    *,
    progress_bar: bool = False,
) -> ReportResult:
    """Execute report ``name`` with ``parameters``; write ``<out>/<name>.ipynb`` and ``.html``.

    ``out_dir`` defaults to ``<home>/reports``. On a failing cell the executed notebook
    (and its HTML) are still written, and :class:`ReportFailed` names the cell.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError
    from papermill.iorw import load_notebook_node

    params = dict(parameters or {})
    report, source_path = resolve(name, ws.settings)
    out = Path(out_dir) if out_dir is not None else ws.settings.home / "reports"
    out.mkdir(parents=True, exist_ok=True)
    nb_path, html_path = out / f"{report}.ipynb", out / f"{report}.html"

    nb, env, secrets = _prepare(ws, report, load_notebook_node(str(source_path)), params)

    run_id = uuid.uuid4().hex
    started = datetime.now(UTC)
    shown = masked(params)
    log.info("report %s: running %s with %s", report, source_path.name, shown)
    _record(ws, run_id, report, shown, "running", started)
    clock = time.perf_counter()
    failure: PapermillExecutionError | None = None
    masking = _MaskingFilter(secrets)
    try:
        masking.attach()
        papermill.execute_notebook(
            nb,
            str(nb_path),
            kernel_name=_KERNEL_NAME,
            progress_bar=progress_bar,
            cwd=str(Path.cwd()),
            kernel_manager_class=kernel_manager_for(env),
        )
    except PapermillExecutionError as exc:
        failure = exc
    except BaseException as exc:  # the kernel died, a timeout, Ctrl-C: the run is over
        _record(
            ws,
            run_id,
            report,
            shown,
            "failed",
            started,
            nb_path,
            None,
            mask_secrets(f"{type(exc).__name__}: {exc}", secrets),
        )
        raise
    finally:
        masking.detach()
        if nb_path.exists():
            _scrub_file(nb_path, secrets, shown)
    if nb_path.exists():
        render_html(nb_path, html_path)
    seconds = time.perf_counter() - clock

    if failure is not None:
        first_line = next(iter(failure.source.strip().splitlines()), "")
        error = ReportFailed(
            report=report,
            cell_index=failure.cell_index,
            execution_count=failure.exec_count,
            first_line=mask_secrets(first_line, secrets),
            ename=failure.ename,
            evalue=mask_secrets(str(failure.evalue), secrets),
            notebook=nb_path,
        )
        _record(ws, run_id, report, shown, "failed", started, nb_path, html_path, error.message)
        raise error from None
    _record(ws, run_id, report, shown, "succeeded", started, nb_path, html_path)
    log.info("report %s: done in %.1f s -> %s", report, seconds, html_path)
    return ReportResult(report, nb_path, html_path, shown, seconds, run_id)


def _prepare(
    ws: Workspace, report: str, nb: nbformat.NotebookNode, params: dict[str, Any]
) -> tuple[nbformat.NotebookNode, dict[str, str], tuple[str, ...]]:
    """Check the parameters against the notebook's and inject them; secrets go to the
    kernel's environment. Returns the notebook, that environment and the secrets."""
    known = notebook_parameters(nb)
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ConfigError(
            f"report {report!r} has no parameter {', '.join(unknown)}; "
            f"its parameters are: {', '.join(known) or '(none)'}"
        )
    secret_names = [k for k, v in params.items() if is_secret(k, v)]
    secrets = tuple(str(params[k]) for k in secret_names) + ws.settings.secrets()
    env = kernel_env(ws.settings)
    env.update({_SECRET_ENV_PREFIX + k.upper(): str(params[k]) for k in secret_names})
    return _inject(nb, params, secret_names), env, secrets


class _MaskingFilter(logging.Filter):
    """Mask secrets in the records papermill and nbclient log (at debug level they log
    every message a kernel sends)."""

    LOGGERS = ("papermill", "nbclient", "traitlets", "azora_nb")

    def __init__(self, secrets: Sequence[str]) -> None:
        super().__init__()
        self.secrets = tuple(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_secrets(record.getMessage(), self.secrets)
        record.args = None
        return True

    def attach(self) -> None:
        for name in self.LOGGERS:
            logging.getLogger(name).addFilter(self)

    def detach(self) -> None:
        for name in self.LOGGERS:
            logging.getLogger(name).removeFilter(self)


def _scrub_file(path: Path, secrets: Sequence[str], shown: Mapping[str, Any]) -> None:
    nb = nbformat.read(path, as_version=4)
    scrub(nb, secrets)
    nb.metadata.setdefault("papermill", {})["parameters"] = dict(shown)
    nbformat.write(nb, path)


def scrub(
    nb: nbformat.NotebookNode, secrets: Sequence[str], replace: Mapping[str, str] | None = None
) -> None:
    """Mask URL passwords and each of ``secrets`` in every output of ``nb``, in place;
    also swap each key of ``replace`` for its value."""

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            for old, new in (replace or {}).items():
                value = value.replace(old, new)
            return mask_secrets(value, tuple(secrets))
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {k: (v if k.startswith("image/") else clean(v)) for k, v in value.items()}
        return value

    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            for key in ("text", "evalue", "traceback", "data"):
                if key in output:
                    output[key] = clean(output[key])


def render_html(nb_path: Path, html_path: Path) -> Path:
    """Render an executed notebook to standalone HTML with the code cells hidden."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    # nbconvert gives every figure a generic alt text and warns about it on each run;
    # the warning is not something a report reader can act on.
    quiet = _DropMessage("Alternative text is missing")
    exporter.log.addFilter(quiet)
    try:
        body, _ = exporter.from_notebook_node(nbformat.read(nb_path, as_version=4))
    finally:
        exporter.log.removeFilter(quiet)
    html_path.write_text(body, encoding="utf-8")
    return html_path


class _DropMessage(logging.Filter):
    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.prefix)


def _record(
    ws: Workspace,
    run_id: str,
    report: str,
    params: Mapping[str, Any],
    status: str,
    started: datetime,
    nb_path: Path | None = None,
    html_path: Path | None = None,
    error: str | None = None,
) -> None:
    """Upsert the run into ``azora_nb_report_runs`` when the core database has it."""
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
            "report": report,
            "parameters": json.loads(json.dumps(params, default=str)),
            "status": status,
            "started_at": started,
            "notebook_path": str(nb_path) if nb_path else None,
            "html_path": str(html_path) if html_path else None,
            "error": error,
            "finished_at": None if status == "running" else datetime.now(UTC),
        }
        with engine.begin() as conn:
            updated = conn.execute(
                report_runs.update().where(report_runs.c.run_id == run_id).values(**row)
            )
            if updated.rowcount == 0:
                conn.execute(report_runs.insert().values(run_id=run_id, **row))
    except sa.exc.SQLAlchemyError as exc:
        # A read-only replica cannot take the record; the report itself still runs.
        log.warning(
            "report %s: could not record the run in %s: %s",
            report,
            report_runs.name,
            mask_secrets(str(exc).splitlines()[0]),
        )


FIGURE_STYLE: Mapping[str, Any] = {
    "figure.figsize": (9.0, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.autolayout": True,
}


def notebook_style() -> None:
    """Fix the figure size and style and pandas' display options for the curated notebooks,
    so that their outputs are the same on every machine and backend."""
    import matplotlib.pyplot as plt
    import pandas as pd

    plt.style.use("default")
    params: Any = plt.rcParams  # typed with literal keys only
    params.update(FIGURE_STYLE)
    pd.set_option("display.float_format", _number)
    pd.set_option("display.max_rows", 40)
    pd.set_option("display.max_colwidth", 120)
    pd.set_option("display.max_columns", 20)
    pd.set_option("display.width", 120)


def _number(value: float) -> str:
    """Amounts with two decimals and thousands separators; rates and ratios to four
    significant digits. Rounding this way also hides the last-bit differences between
    SQLite's and PostgreSQL's floating-point sums."""
    if value != value:  # NaN
        return "NaN"
    if abs(value) >= 100:
        return f"{value:,.2f}"
    return f"{value:.4g}"
