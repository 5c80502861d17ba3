"""Time and peak memory of each curated notebook, by ledger size and backend.

    .venv/bin/python benchmarks/notebooks.py                      # 100k and 1M, SQLite + PG
    .venv/bin/python benchmarks/notebooks.py --rows 100000 --backend sqlite
    .venv/bin/python benchmarks/notebooks.py --existing   # the sources already configured

For every (backend, rows) it seeds a fresh demo home (SQLite files, or four
throwaway PostgreSQL databases on AZORA_BENCH_PG_URL, default the local server)
so that ``treasury_ledger`` holds about ``rows`` rows, then executes each
notebook in a fresh kernel with the query cache off and reports the wall time
and the kernel's peak resident memory. ``--existing`` skips the seeding and
measures the sources the environment already points at (AZORA_HOME and the
AZORA_<SOURCE>_URL settings): the 10M-row run, seeded once with ``azora-nb demo
seed --scale 10000000`` under ``/usr/bin/time -v``, is measured that way.
Aggregation runs in the database, so peak memory should stay flat while the
rows grow tenfold.
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import nbformat
import sqlalchemy as sa
from _pg import source_databases
from nbformat.v4 import new_code_cell

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "azora_nb" / "notebooks"
# VmHWM, not ru_maxrss: Linux keeps ru_maxrss across execve, so a kernel would report
# the peak of the process that launched it.
PEAK_CELL = (
    "import re\n"
    "status = open('/proc/self/status').read()\n"
    "print(int(re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1)) // 1024)"
)


def seed(env: dict[str, str], rows: int) -> tuple[float, int]:
    """Seed the demo at scale ``rows`` (the demo's scale is its ledger row count)."""
    from azora_nb.mainjob import prepare
    from azora_nb.schema import core
    from azora_nb.settings import Settings
    from azora_nb.workspace import Workspace

    settings = Settings.load(env=env, cwd=Path(env["AZORA_HOME"]))
    clock = time.perf_counter()
    with Workspace(settings) as ws:
        prepare(ws, scale=rows, echo=lambda _: None)
        count = ws.sql(
            sa.select(sa.func.count().label("n")).select_from(core.treasury_ledger), cache=False
        )["n"].iloc[0]
    return time.perf_counter() - clock, int(count)


def run_notebook(path: Path, env: dict[str, str]) -> tuple[float, int]:
    """Execute one notebook in a fresh kernel; (seconds, peak RSS in MiB)."""
    from azora_nb.reports import kernel
    from azora_nb.settings import Settings

    nb = copy.deepcopy(nbformat.read(path, 4))
    nb.cells.append(new_code_cell(PEAK_CELL))
    settings = Settings.load(env=env, cwd=Path(env["AZORA_HOME"]))
    clock = time.perf_counter()
    nb = kernel.execute(nb, settings.to_env(), cwd=NOTEBOOKS, timeout=3600)
    seconds = time.perf_counter() - clock
    return seconds, int(nb.cells[-1].outputs[0]["text"].strip())


def ledger_rows(env: dict[str, str]) -> int:
    from azora_nb.schema import core
    from azora_nb.settings import Settings
    from azora_nb.workspace import Workspace

    with Workspace(Settings.load(env=env, cwd=Path(env["AZORA_HOME"]))) as ws:
        query = sa.select(sa.func.count().label("n")).select_from(core.treasury_ledger)
        return int(ws.sql(query, cache=False)["n"].iloc[0])


def bench_existing() -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k.startswith("AZORA_")}
    env.setdefault("AZORA_HOME", str(Path.cwd() / ".azora"))
    env["AZORA_CACHE"] = "0"
    backend = "postgresql" if env.get("AZORA_CORE_URL", "").startswith("postgres") else "sqlite"
    count = ledger_rows(env)
    for path in sorted(NOTEBOOKS.glob("0*.ipynb")):
        took, peak = run_notebook(path, env)
        print(f"{backend:<11} {path.stem:<24} {count:>10,} {took:>8.1f} {peak:>9}", flush=True)


def bench(backend: str, rows: int) -> list[tuple[str, str, int, float, int]]:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {"AZORA_HOME": str(Path(tmp) / "home"), "AZORA_CACHE": "0"}
        with source_databases(str(rows)) if backend == "postgresql" else _nothing() as urls:
            env.update(urls)
            seconds, count = seed(env, rows)
            print(f"# {backend}: seeded {count:,} ledger rows in {seconds:.0f} s", flush=True)
            for path in sorted(NOTEBOOKS.glob("0[1-9]_*.ipynb")):
                took, peak = run_notebook(path, env)
                results.append((backend, path.stem, count, took, peak))
                print(
                    f"{backend:<11} {path.stem:<24} {count:>10,} {took:>8.1f} {peak:>9}", flush=True
                )
    return results


@contextmanager
def _nothing() -> Iterator[dict[str, str]]:
    yield {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows",
        type=int,
        action="append",
        help="ledger rows (repeatable; default 100000 and 1000000)",
    )
    parser.add_argument(
        "--backend",
        choices=["sqlite", "postgresql"],
        action="append",
        help="backend (repeatable; default both)",
    )
    parser.add_argument(
        "--existing", action="store_true", help="measure the configured sources, no seeding"
    )
    args = parser.parse_args(argv)
    print(f"{'backend':<11} {'notebook':<24} {'ledger':>10} {'seconds':>8} {'peak MiB':>9}")
    if args.existing:
        bench_existing()
        return 0
    for rows in args.rows or [100_000, 1_000_000]:
        for backend in args.backend or ["sqlite", "postgresql"]:
            bench(backend, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
