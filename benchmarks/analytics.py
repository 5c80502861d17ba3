"""Time and peak memory of each analytics function, by ledger size and backend.

    .venv/bin/python benchmarks/analytics.py                       # 100k and 1M, SQLite + PG
    .venv/bin/python benchmarks/analytics.py --rows 100000 --backend sqlite

For every (backend, rows) it seeds a fresh demo home (SQLite files, or four
throwaway PostgreSQL databases on AZORA_BENCH_PG_URL) with the query cache off,
then calls each function once and reports its wall time, the rows it returned
and the growth of the process's peak resident memory during the call (Linux:
the high-water mark is reset through /proc/self/clear_refs before each call).
The aggregation runs in the database, so memory should stay flat as rows grow.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from _pg import source_databases


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak() -> None:
    # Not Linux, or not allowed: the peak then covers the whole run so far.
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def measure(call: Callable[[], Any]) -> tuple[float, float, int]:
    """(seconds, peak RSS growth in MiB, rows returned) of one call."""
    _reset_peak()
    before = _status_kib("VmRSS")
    clock = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - clock
    growth = max(_status_kib("VmHWM") - before, 0) / 1024
    return seconds, growth, len(result)


@contextmanager
def databases(backend: str, tag: str) -> Iterator[dict[str, str]]:
    """Environment for the sources: nothing for SQLite, four fresh databases for PG."""
    if backend == "sqlite":
        yield {}
        return
    with source_databases(f"an_{tag}") as urls:
        yield urls


def calls(ws: Any, as_of: Any) -> dict[str, Callable[[], Any]]:
    from azora_nb.analytics import forecast, health, mining, rewards, treasury

    a = {"as_of": as_of}
    return {
        "treasury.flows": lambda: treasury.flows(ws, **a),
        "treasury.net_supply": lambda: treasury.net_supply(ws, **a),
        "treasury.allocation_split": lambda: treasury.allocation_split(ws, **a),
        "treasury.compliance": lambda: treasury.compliance(ws),
        "treasury.confirmation_ageing": lambda: treasury.confirmation_ageing(ws, **a),
        "treasury.gas_spend": lambda: treasury.gas_spend(ws, **a),
        "treasury.founder_compensation": lambda: treasury.founder_compensation(ws, **a),
        "treasury.allocation_caps": lambda: treasury.allocation_caps(ws),
        "forecast.net_supply": lambda: forecast.net_supply(ws, **a),
        "mining.daily": lambda: mining.daily(ws, **a),
        "mining.efficiency": lambda: mining.efficiency(ws, **a),
        "mining.share_rejection": lambda: mining.share_rejection(ws, **a),
        "mining.anomalies": lambda: mining.anomalies(ws, **a),
        "mining.earnings_vs_prices": lambda: mining.earnings_vs_prices(ws, **a),
        "rewards.audit": lambda: rewards.audit(ws, **a),
        "health.freshness": lambda: health.freshness(ws, **a),
        "health.breaches": lambda: health.breaches(ws, **a),
        "health.open_alerts": lambda: health.open_alerts(ws, **a),
        "health.api_latency": lambda: health.api_latency(ws, **a),
        "health.anomalies": lambda: health.anomalies(ws, **a),
    }


def bench(backend: str, rows: int) -> None:
    from azora_nb import demo, migrate
    from azora_nb.settings import Settings
    from azora_nb.workspace import Workspace

    with tempfile.TemporaryDirectory() as tmp, databases(backend, str(rows)) as urls:
        home = Path(tmp) / "home"
        env = {"AZORA_HOME": str(home), "AZORA_CACHE": "0", **urls}
        settings = Settings.load(env=env, cwd=Path(tmp))
        with Workspace(settings) as ws:
            clock = time.perf_counter()
            for source in ws.sources:
                migrate.upgrade(ws, source)
            manifest = demo.seed(ws, scale=rows, progress=False)
            print(
                f"# {backend}: seeded {rows:,} ledger rows in {time.perf_counter() - clock:.0f} s",
                flush=True,
            )
        # A new workspace, as a notebook kernel opens after seeding: the seeding
        # connections (and SQLite's write-ahead log) are closed by then.
        with Workspace(settings) as ws:
            for name, call in calls(ws, manifest.as_of).items():
                seconds, growth, n = measure(call)
                print(
                    f"{backend:<10} {rows:>10,} {name:<30} {seconds:>8.2f} {growth:>9.1f} {n:>7}",
                    flush=True,
                )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
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
    args = parser.parse_args(argv)
    print(
        f"{'backend':<10} {'ledger':>10} {'function':<30} {'seconds':>8} {'peak MiB':>9} "
        f"{'rows':>7}"
    )
    for rows in args.rows or [100_000, 1_000_000]:
        for backend in args.backend or ["sqlite", "postgresql"]:
            bench(backend, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
