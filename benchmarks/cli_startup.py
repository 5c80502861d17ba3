"""CLI start-up: `azora-nb --help` against a bare interpreter and against importing the
library the commands run on.

Each row is the median wall time of N fresh processes:

- ``python -c pass``: the interpreter alone, the floor;
- ``azora-nb --help`` and ``azora-nb demo seed --help`` (the console script);
- ``import`` of the modules the commands use when they run (workspace, migrations,
  demo seeding, reports, sync): what every ``--help`` paid when the CLI imported them
  at the top.

Run: ``.venv/bin/python benchmarks/cli_startup.py [--runs 15]``. Target (issue 14):
``azora-nb --help`` under 0.3 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

SCRIPT = str(Path(sys.executable).with_name("azora-nb"))
EVERYTHING = "import azora_nb.workspace, azora_nb.migrate, azora_nb.demo.seed, azora_nb.reports, azora_nb.sync"  # noqa: E501

CASES = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "azora-nb --help": [SCRIPT, "--help"],
    "azora-nb demo seed --help": [SCRIPT, "demo", "seed", "--help"],
    "import the commands' library": [sys.executable, "-c", EVERYTHING],
}


def median_seconds(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="processes per row (median)")
    args = parser.parse_args()
    subprocess.run(CASES["import the commands' library"], check=True)  # warm the OS cache
    seconds = {name: median_seconds(argv, args.runs) for name, argv in CASES.items()}
    floor = seconds["python -c pass"]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"median of {args.runs} runs; load average {load}\n")
    print(f"| {'command':<30} | seconds | over the bare interpreter |")
    print(f"|{'-' * 32}|---------|---------------------------|")
    for name, value in seconds.items():
        print(f"| {name:<30} | {value:7.3f} | {value - floor:+25.3f} |")


if __name__ == "__main__":
    main()
