"""Sync throughput: rows per second for a full run of a knowledge_rewards-like table.

Measured in one run, on the same rows:

- PostgreSQL → PostgreSQL by the engine (keyset pages, COPY into a staging table,
  ``INSERT … ON CONFLICT DO UPDATE … WHERE IS DISTINCT FROM``, watermark per page);
- the same target filled by a raw ``COPY`` piped from the source (the ceiling);
- the seed's way: one ``INSERT … ON CONFLICT DO UPDATE`` statement and commit per
  row, timed on a subset (``--row-subset``) and extrapolated, which the table says;
- the engine again on the filled target, each a ``--full`` run that compares
  key-range bucket digests first: a re-run that changes nothing (reads no row),
  a run after every source row changed (buckets staged by COPY, then their rows
  deleted and inserted again), and a run after one row in a thousand changed (those
  buckets staged, then merged by one ``MERGE``);
- SQLite → SQLite (mint file into core's attached analysis file);
- MongoDB → PostgreSQL and PostgreSQL → MongoDB on the nx-27017 test server
  (``--mongo-rows``; that server is SQLite behind the wire protocol, so these
  numbers are about the test server, not MongoDB).

Run: ``.venv/bin/python benchmarks/sync.py [--rows 1000000] [--skip mongo]``. Needs PostgreSQL at
AZORA_BENCH_PG_URL (default postgresql://postgres@127.0.0.1:5432/postgres); creates
and drops its own databases.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from azora_nb import sync
from azora_nb import types as t
from azora_nb.schema import toolkit
from azora_nb.settings import Settings, normalise_sql_url
from azora_nb.sync import MongoSource, MongoTarget, SqlSource, SqlTarget, SyncDefinition
from azora_nb.workspace import Workspace

ADMIN_URL = normalise_sql_url(
    os.environ.get("AZORA_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
)
T0 = datetime(2026, 1, 1, tzinfo=UTC)

rewards = sa.Table(
    "knowledge_rewards",
    sa.MetaData(),
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("userId", sa.Text, nullable=False),
    sa.Column("rewardAmount", sa.Double, nullable=False),
    sa.Column("currencyCode", sa.Text, nullable=False),
    sa.Column("sourceTrxId", sa.Text, nullable=False),
    sa.Column("achievement", sa.Text),
    sa.Column("transactionHash", sa.Text),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("createdAt", t.Timestamp(3), nullable=False),
    sa.Column("processedAt", t.Timestamp(3)),
    sa.Index("bench_rewards_created", "createdAt", "id"),
)
COLUMNS = [c.name for c in rewards.c]
QUOTED = ", ".join(f'"{c}"' for c in COLUMNS)

PG_FILL = """
INSERT INTO knowledge_rewards
SELECT 'rw-' || lpad(g::text, 8, '0'), 'u-' || (g %% 5000), round((g %% 10000) / 100.0, 2),
       'AZR', 'trx-' || g, 'ach-' || (g %% 50), md5(g::text),
       (ARRAY['PENDING', 'PAID', 'FAILED'])[1 + g %% 3],
       timestamp '2026-01-01' + g * interval '10 second' + (g %% 1000) * interval '1 ms',
       CASE WHEN g %% 3 = 1 THEN timestamp '2026-01-02' + g * interval '10 second' END
FROM generate_series(1, %(n)s) AS g
"""


def row(g: int) -> dict[str, Any]:
    return {
        "id": f"rw-{g:08d}",
        "userId": f"u-{g % 5000}",
        "rewardAmount": (g % 10000) / 100,
        "currencyCode": "AZR",
        "sourceTrxId": f"trx-{g}",
        "achievement": f"ach-{g % 50}",
        "transactionHash": f"{g:032x}",
        "status": ("PENDING", "PAID", "FAILED")[g % 3],
        "createdAt": T0 + timedelta(seconds=10 * g, milliseconds=g % 1000),
        "processedAt": None,
    }


_SCRATCH: list[str] = []


def _scratch(prefix: str) -> str:
    """A temporary directory, removed when the benchmark ends."""
    path = tempfile.mkdtemp(prefix=prefix)
    _SCRATCH.append(path)
    return path


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def definition(name: str, batch: int, reconcile: bool = False) -> SyncDefinition:
    return SyncDefinition(
        name,
        SqlSource("mint", table="knowledge_rewards"),
        SqlTarget("core", table="knowledge_rewards"),
        key=("id",),
        cursor="createdAt",
        batch_rows=batch,
        reconcile=reconcile,
    )


class PgDatabases:
    def __init__(self) -> None:
        self.admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        self.names: list[str] = []

    def make(self, hint: str) -> str:
        name = f"azbench_{hint}_{uuid.uuid4().hex[:6]}"
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        self.names.append(name)
        return self.admin.url.set(database=name).render_as_string(hide_password=False)

    def drop(self) -> None:
        with self.admin.connect() as conn:
            for name in self.names:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.dispose()


def bench_postgres(
    n: int, subset: int, batch: int, results: list[tuple[str, int, float, str]], dbs: PgDatabases
) -> None:
    env = {
        "AZORA_HOME": _scratch("azbench-"),
        "AZORA_MINT_URL": dbs.make("src"),
        "AZORA_CORE_URL": dbs.make("dst"),
    }
    with Workspace(Settings.load(env=env, cwd=Path(env["AZORA_HOME"]))) as ws:
        src, dst = ws.engine("mint"), ws.engine("core")
        rewards.create(src)
        toolkit.metadata.create_all(dst)
        with src.begin() as conn:
            conn.exec_driver_sql(PG_FILL, {"n": n})
            conn.exec_driver_sql("ANALYZE knowledge_rewards")
        d = definition("bench_pg", batch, reconcile=True)

        first, result = timed(lambda: sync.run(ws, d, full=True, progress=False))
        assert result.rows_written == n and result.reconciliation["ok"], result
        results.append(("PostgreSQL -> PostgreSQL, first load", n, first, "incl. reconciliation"))

        rerun, result = timed(lambda: sync.run(ws, d, full=True, progress=False))
        assert (result.rows_read, result.rows_written) == (0, 0), result
        results.append(
            (
                "  re-run, nothing changed (--full)",
                n,
                rerun,
                f"{rerun / first:.2f}x first load (target < 0.33): bucket digests, 0 rows read",
            )
        )

        with dst.begin() as conn:
            conn.exec_driver_sql(
                "CREATE TABLE analysis.copy_target (LIKE analysis.knowledge_rewards INCLUDING ALL)"
            )
        copy, _ = timed(lambda: raw_copy(src, dst, "analysis.copy_target"))
        results.append(("  raw COPY source -> target (ceiling)", n, copy, ""))
        results.append(("  first load / raw COPY", 0, 0, f"{copy / first:.2f}x"))

        with dst.begin() as conn:
            conn.exec_driver_sql(
                "CREATE TABLE analysis.row_target (LIKE analysis.knowledge_rewards INCLUDING ALL)"
            )
        seconds, _ = timed(lambda: row_at_a_time(src, dst, "analysis.row_target", subset))
        results.append(
            (
                "  seed row-at-a-time upsert",
                n,
                seconds * n / subset,
                f"timed on {subset:,} rows, extrapolated; "
                f"engine {seconds * n / subset / first:.0f}x faster",
            )
        )

        with src.begin() as conn:  # every row changes, none of them moves its cursor
            conn.exec_driver_sql("UPDATE knowledge_rewards SET status = status || '!'")
        merge, result = timed(lambda: sync.run(ws, d, full=True, progress=False))
        assert result.rows_written == n and result.reconciliation["ok"], result
        results.append(
            (
                "  merge, every row changed (--full)",
                n,
                merge,
                f"{copy / merge:.2f}x raw COPY (target >= 0.5): buckets staged, rows rewritten",
            )
        )

        with src.begin() as conn:  # one row in a thousand changes
            conn.exec_driver_sql(
                "UPDATE knowledge_rewards SET status = 'X' WHERE right(id, 3) = '000'"
            )
        sparse, result = timed(lambda: sync.run(ws, d, full=True, progress=False))
        assert result.rows_written == n // 1000, result
        results.append(
            (
                "  merge, 1 row in 1,000 changed (--full)",
                n,
                sparse,
                f"{copy / sparse:.2f}x raw COPY; "
                f"{result.reconciliation['buckets_resynced']} buckets re-synced",
            )
        )


def raw_copy(src: sa.Engine, dst: sa.Engine, table: str) -> None:
    with src.connect() as s, dst.connect() as d:
        scur = s.connection.driver_connection.cursor()  # type: ignore[union-attr]
        dcur = d.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with (
            scur.copy(f"COPY (SELECT {QUOTED} FROM knowledge_rewards) TO STDOUT") as out,
            dcur.copy(f"COPY {table} ({QUOTED}) FROM STDIN") as into,
        ):
            buffer = bytearray()
            for block in out:  # psycopg yields a block per row; write in 1 MB chunks
                buffer += block
                if len(buffer) >= 1 << 20:
                    into.write(buffer)
                    buffer = bytearray()
            if buffer:
                into.write(buffer)
        d.commit()


def row_at_a_time(src: sa.Engine, dst: sa.Engine, table: str, subset: int) -> None:
    with src.connect() as s:
        rows = s.exec_driver_sql(
            f"SELECT {QUOTED} FROM knowledge_rewards ORDER BY id LIMIT {subset}"
        ).fetchall()
    sets = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in COLUMNS[1:])
    sql = (
        f"INSERT INTO {table} ({QUOTED}) VALUES ({', '.join(['%s'] * len(COLUMNS))}) "
        f"ON CONFLICT (id) DO UPDATE SET {sets}"
    )
    with dst.connect() as d:
        raw = d.connection.driver_connection
        assert raw is not None
        for r in rows:
            with raw.cursor() as cur:
                cur.execute(sql, tuple(r))
            raw.commit()


def bench_sqlite(n: int, batch: int, results: list[tuple[str, int, float, str]]) -> None:
    home = Path(_scratch("azbench-sqlite-"))
    with Workspace(Settings.load(env={"AZORA_HOME": str(home)}, cwd=home)) as ws:
        rewards.create(ws.engine("mint"))
        toolkit.metadata.create_all(ws.engine("core"))
        with ws.engine("mint").begin() as conn:
            for start in range(0, n, 100_000):
                conn.execute(
                    rewards.insert(), [row(g) for g in range(start, min(n, start + 100_000))]
                )
        plain = definition("bench_sqlite", batch)
        first, result = timed(lambda: sync.run(ws, plain, full=True, progress=False))
        assert result.rows_written == n, result
        results.append(
            (
                "SQLite -> SQLite (attached analysis), first load",
                n,
                first,
                "target >= 150k rows/s; no reconciliation",
            )
        )
        checked = definition("bench_sqlite", batch, reconcile=True)
        seconds, result = timed(lambda: sync.run(ws, checked, full=True, progress=False))
        assert result.rows_read == 0 and result.reconciliation["ok"], result
        results.append(
            (
                "  re-run, nothing changed (--full)",
                n,
                seconds,
                f"{seconds / first:.2f}x first load (target < 0.33): compared inside SQLite",
            )
        )


def bench_mongo(
    n: int, batch: int, results: list[tuple[str, int, float, str]], dbs: PgDatabases
) -> None:
    exe = Path(sys.executable).parent / "nx-27017"
    data = Path(_scratch("azbench-nx-"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [
            str(exe),
            "--data-dir",
            str(data),
            "-p",
            str(port),
            "--log-file",
            str(data / "log"),
            "--pid-file",
            str(data / "pid"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        env = {
            "AZORA_HOME": str(data / "home"),
            "AZORA_MONGO_URL": f"mongodb://127.0.0.1:{port}",
            "AZORA_MINT_URL": dbs.make("msrc"),
            "AZORA_CORE_URL": dbs.make("mdst"),
        }
        with Workspace(Settings.load(env=env, cwd=data)) as ws:
            _wait(ws)
            rewards.create(ws.engine("mint"))
            toolkit.metadata.create_all(ws.engine("mint"))
            toolkit.metadata.create_all(ws.engine("core"))
            with ws.engine("mint").begin() as conn:
                conn.exec_driver_sql(PG_FILL, {"n": n})
            to_mongo = SyncDefinition(
                "bench_to_mongo",
                SqlSource("mint", table="knowledge_rewards"),
                MongoTarget("rewards", decimals="float"),
                key=("id",),
                cursor="createdAt",
                batch_rows=batch,
                reconcile=False,
            )
            seconds, result = timed(lambda: sync.run(ws, to_mongo, full=True, progress=False))
            assert result.rows_written == n, result
            results.append(("PostgreSQL -> MongoDB (nx-27017 test server)", n, seconds, ""))
            from_mongo = SyncDefinition(
                "bench_from_mongo",
                MongoSource("rewards"),
                SqlTarget("core", table="rewards_from_mongo"),
                key=("id",),
                cursor="createdAt",
                columns={c: c for c in COLUMNS},
                types={
                    "rewardAmount": "float",
                    "createdAt": "timestamp",
                    "processedAt": "timestamp",
                },
                batch_rows=batch,
                reconcile=False,
            )
            seconds, result = timed(lambda: sync.run(ws, from_mongo, full=True, progress=False))
            assert result.rows_written == n, result
            results.append(("MongoDB (nx-27017) -> PostgreSQL", n, seconds, ""))
    finally:
        proc.kill()
        proc.wait()


def _wait(ws: Workspace) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            ws.mongo_client.admin.command("ping")
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--row-subset", type=int, default=20_000)
    parser.add_argument("--mongo-rows", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument("--skip", nargs="*", default=[], choices=["pg", "sqlite", "mongo"])
    args = parser.parse_args()
    results: list[tuple[str, int, float, str]] = []
    dbs = PgDatabases()
    try:
        if "pg" not in args.skip:
            bench_postgres(args.rows, args.row_subset, args.batch, results, dbs)
        if "sqlite" not in args.skip:
            bench_sqlite(args.rows, args.batch, results)
        if "mongo" not in args.skip:
            bench_mongo(args.mongo_rows, min(args.batch, 10_000), results, dbs)
    finally:
        dbs.drop()
        for path in _SCRATCH:
            shutil.rmtree(path, ignore_errors=True)
    print(f"{'path':<48} {'rows':>10} {'seconds':>9} {'rows/s':>10}  note")
    for name, n, seconds, note in results:
        if n:
            print(f"{name:<48} {n:>10,} {seconds:>9.2f} {n / seconds:>10,.0f}  {note}")
        else:
            print(f"{name:<48} {'':>10} {'':>9} {'':>10}  {note}")


if __name__ == "__main__":
    main()
