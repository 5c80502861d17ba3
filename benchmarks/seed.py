"""Seeding speed: ``azora-nb demo seed``'s loader against ``pandas.to_sql`` and a raw
binary COPY, on the same treasury ledger rows, into the same migrated table.

For each backend and scale (ledger rows) it times, each in a fresh process so
that peak memory (max RSS) is that strategy's alone:

* ``demo loader``   -- generate the ledger with numpy and load it (``Writer.write``:
  CSV COPY on PostgreSQL, executemany on SQLite); generation time included.
* ``raw copy``      -- (PostgreSQL) a binary ``COPY`` of rows already prepared as
  Python tuples of uuid/str/Decimal/int/datetime; preparation not timed.
* ``raw copy, idx*`` -- the same, with the plain indexes dropped before and built
  after, in the same transaction, as the demo loader does into an empty table.
* ``raw executemany`` -- (SQLite) the same prepared rows through ``executemany``, on
  the loader's connection (its page cache and ``synchronous=OFF``); preparation not timed.
* ``raw executemany, idx*`` -- the same, with the plain indexes dropped before and built
  after, in the same transaction, as the demo loader does into an empty table.
* ``pandas.to_sql`` -- the same rows as a DataFrame, ``to_sql(..., if_exists="append")``;
  building the frame not timed.
* ``full seed``     -- every table of the four sources (``demo.seed``).

Run: ``.venv/bin/python benchmarks/seed.py [--scales 100000 1000000] [--backends sqlite
postgres] [--rounds 3]``. Environment: AZORA_BENCH_PG_URL (default the local server as postgres),
used to create and drop throwaway databases.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import nullcontext
from decimal import Decimal
from itertools import chain, product
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

ADMIN_URL = os.environ.get(
    "AZORA_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SOURCES = ("core", "mint", "gateway", "compliance")
STRATEGIES = {
    "sqlite": (
        "demo loader",
        "raw executemany",
        "raw executemany, idx*",
        "pandas.to_sql",
        "full seed",
    ),
    "postgres": ("demo loader", "raw copy", "raw copy, idx*", "pandas.to_sql", "full seed"),
}


def workspace(env: dict[str, str]) -> Any:
    import azora_nb as az
    from azora_nb.settings import Settings

    home = Path(env["AZORA_HOME"])
    return az.Workspace(Settings.load(env={**env, "AZORA_CACHE": "0"}, cwd=home))


def ledger_table(scale: int) -> pa.Table:
    from azora_nb.demo.generate import ledger
    from azora_nb.demo.plan import Plan

    plan = Plan(scale=scale)
    return pa.concat_tables(chain(ledger.everyday_chunks(plan), ledger.payout_chunks(plan)))


def prepared_rows(table: pa.Table) -> list[tuple[Any, ...]]:
    converters: list[Any] = []
    for field in table.schema:
        if field.name == "id":
            converters.append(uuid.UUID)
        elif pa.types.is_floating(field.type):
            converters.append(lambda x: Decimal(repr(x)))
        else:
            converters.append(lambda x: x)
    columns = [
        [None if v is None else f(v) for v in table.column(i).to_pylist()]
        for i, f in enumerate(converters)
    ]
    return list(zip(*columns, strict=True))


def run_one(strategy: str, scale: int, env: dict[str, str]) -> dict[str, Any]:
    """One measurement, in this (fresh) process."""
    from azora_nb import demo
    from azora_nb.demo.generate import ledger
    from azora_nb.demo.load import Writer
    from azora_nb.demo.plan import Plan

    ws = workspace(env)
    engine = ws.engine("core")
    postgres = engine.dialect.name == "postgresql"
    if strategy == "full seed":
        start = time.perf_counter()
        manifest = demo.seed(ws, scale=scale, reset=True, progress=False)
        seconds = time.perf_counter() - start
        rows = sum(n for tables in manifest.counts.values() for n in tables.values())
        return {"rows": rows, "seconds": seconds}
    with Writer(engine, "core") as writer:
        writer.truncate(["treasury_ledger"])
    if strategy == "demo loader":
        plan = Plan(scale=scale)
        start = time.perf_counter()
        with Writer(engine, "core") as writer:
            rows = writer.write(
                "treasury_ledger", chain(ledger.everyday_chunks(plan), ledger.payout_chunks(plan))
            )
        return {"rows": rows, "seconds": time.perf_counter() - start}
    table = ledger_table(scale)
    names = table.column_names
    if strategy == "pandas.to_sql":
        from azora_nb.schema.core import treasury_ledger

        frame = table.to_pandas()
        types = {c.name: c.type for c in treasury_ledger.columns}
        start = time.perf_counter()
        frame.to_sql(
            "treasury_ledger",
            engine,
            if_exists="append",
            index=False,
            chunksize=10_000,
            dtype=types,
        )
        return {"rows": len(frame), "seconds": time.perf_counter() - start}
    rows_ = prepared_rows(table)
    del table
    deferred = strategy.endswith("idx*")
    with Writer(engine, "core") as conn_writer:
        raw = conn_writer._raw()
        start = time.perf_counter()
        if postgres:
            from psycopg import sql

            stmt = sql.SQL("COPY treasury_ledger ({}) FROM STDIN (FORMAT BINARY)").format(
                sql.SQL(", ").join(sql.Identifier(n) for n in names)
            )
            types = [
                "uuid",
                "varchar",
                "varchar",
                "numeric",
                "numeric",
                "numeric",
                "numeric",
                "numeric",
                "numeric",
                "varchar",
                "varchar",
                "int8",
                "numeric",
                "varchar",
                "text",
                "timestamptz",
                "timestamptz",
                "timestamptz",
            ]
            with (
                conn_writer._indexes_deferred("treasury_ledger") if deferred else nullcontext(),
                raw.cursor() as cur,
                cur.copy(stmt) as copy,
            ):
                copy.set_types(types)
                for row in rows_:
                    copy.write_row(row)
        else:
            from azora_nb.demo.load import for_sqlite

            stored = list(zip(*for_sqlite(ledger_table(scale)), strict=True))
            start = time.perf_counter()
            marks = ", ".join("?" for _ in names)
            raw.execute("BEGIN")  # else the index deferral's DDL would commit on its own
            with conn_writer._indexes_deferred("treasury_ledger") if deferred else nullcontext():
                raw.executemany(
                    f"INSERT INTO treasury_ledger ({', '.join(names)}) VALUES ({marks})", stored
                )
        raw.commit()
        return {"rows": len(rows_), "seconds": time.perf_counter() - start}


def worker(args: argparse.Namespace) -> None:
    result = run_one(args.strategy, args.scale, json.loads(args.env))
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def make_env(backend: str, tmp: Path, tag: str, admin: sa.Engine | None) -> dict[str, str]:
    env = {"AZORA_HOME": str(tmp / backend)}
    if backend == "postgres":
        assert admin is not None
        with admin.connect() as conn:
            for source in SOURCES:
                conn.exec_driver_sql(f'CREATE DATABASE "{tag}_{source}"')
                env[f"AZORA_{source.upper()}_URL"] = admin.url.set(
                    database=f"{tag}_{source}"
                ).render_as_string(hide_password=False)
    from azora_nb import migrate

    with workspace(env) as ws:
        for source in SOURCES:
            migrate.upgrade(ws, source)
    return env


def measure(strategy: str, scale: int, env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--worker",
            "--strategy",
            strategy,
            "--scale",
            str(scale),
            "--env",
            json.dumps(env),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise SystemExit(f"{strategy} at {scale:,} failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument(
        "--backends", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"]
    )
    parser.add_argument(
        "--without", nargs="*", default=[], help="strategies to leave out, e.g. 'full seed'"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run every strategy this many times, interleaved (loads vary between rounds)",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--strategy", help=argparse.SUPPRESS)
    parser.add_argument("--scale", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--env", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    tag = f"azbench_seed_{uuid.uuid4().hex[:6]}"
    admin = (
        sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        if "postgres" in args.backends
        else None
    )
    header = (
        f"{'backend':<9} {'ledger rows':>11} {'strategy':<21} {'rows':>10} {'seconds':>8} "
        f"{'rows/s':>10} {'peak MB':>8} {'vs demo':>8}  load"
    )
    print(header)
    print("-" * len(header))
    try:
        with tempfile.TemporaryDirectory(prefix="azbench-seed-") as tmp:
            for backend in args.backends:
                env = make_env(backend, Path(tmp), tag, admin)
                for scale, _round in product(args.scales, range(args.rounds)):
                    base = None
                    for strategy in STRATEGIES[backend]:
                        if strategy in args.without:
                            continue
                        load = f"{os.getloadavg()[0]:.2f}"
                        r = measure(strategy, scale, env)
                        load += f"-{os.getloadavg()[0]:.2f}"
                        rate = r["rows"] / r["seconds"]
                        if strategy == "demo loader":
                            base = rate
                        ratio = (
                            "" if base is None or strategy == "full seed" else f"{base / rate:.2f}x"
                        )
                        print(
                            f"{backend:<9} {scale:>11,} {strategy:<21} {r['rows']:>10,} "
                            f"{r['seconds']:>8.2f} {rate:>10,.0f} {r['peak_mb']:>8.0f} "
                            f"{ratio:>8}  {load}",
                            flush=True,
                        )
    finally:
        if admin is not None:
            with admin.connect() as conn:
                for source in SOURCES:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{tag}_{source}" WITH (FORCE)')
            admin.dispose()
    print(
        "\n'vs demo' = the demo loader's rows/s divided by the strategy's "
        "(>1: the demo loader is faster); load: the 1-minute load average before-after."
    )


if __name__ == "__main__":
    main()
