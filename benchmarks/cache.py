"""Query cache: miss against hit, Arrow IPC against pickle, hit against PostgreSQL and
against a raw Redis GET.

Builds a throwaway PostgreSQL database with a ledger-like table (the columns and
types of ``treasury_ledger``, 1M rows generated in the server), then, on one Redis
server, on a Redis Cluster of three primaries and on the disk backend, times:

- a miss (query + store) and a hit for a 60-row aggregate, 100k rows and 1M rows;
- the same query uncached through ``ws.sql`` and through ``pandas.read_sql``;
- a raw Redis GET of the very bytes a hit reads;
- Arrow IPC (zstd, lz4 and plain) against pickle, size and time, for the same frames.

Run: ``.venv/bin/python benchmarks/cache.py [--rows 1000000] [--repeat 5]``.
Environment: AZORA_BENCH_PG_URL (maintenance database used to create and drop the
throwaway one; default postgresql://postgres@127.0.0.1:5432/postgres) and
AZORA_BENCH_REDIS_URL (default redis://127.0.0.1:6379/0; keys go under a unique
prefix that is deleted afterwards); AZORA_BENCH_REDIS_CLUSTER_URL (a node of a Redis
Cluster; by default the benchmark starts a throwaway one of three primaries on loopback
ports, as the tests do, and stops it afterwards).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pickle
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

import azora_nb as az
from azora_nb.cache import serialise
from azora_nb.cache.redis_store import RedisBackend
from azora_nb.settings import Settings

ADMIN_URL = os.environ.get("AZORA_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("AZORA_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
CLUSTER_URL = os.environ.get("AZORA_BENCH_REDIS_CLUSTER_URL")

CREATE = """
create table ledger (
    n bigint primary key,
    id uuid not null,
    tx_hash varchar(255),
    transaction_type varchar(50) not null,
    amount_azr numeric(30, 8) not null,
    amount_usd numeric(20, 8) not null,
    treasury_allocation numeric(5, 4) not null default 0.7000,
    gas_used bigint,
    blockchain_status varchar(50) not null,
    reason text,
    created_at timestamptz not null,
    confirmed_at timestamptz
);
insert into ledger
select g, md5(g::text)::uuid, '0x' || md5('tx' || g) || md5('h' || g),
       (array['mint','burn','withdrawal','deposit','transfer'])[1 + g % 5],
       round((random() * 5000)::numeric, 8), round((random() * 5000)::numeric, 8), 0.7,
       (random() * 1e6)::bigint,
       (array['confirmed','confirmed','confirmed','pending','failed'])[1 + (g * 7) % 5],
       case when g % 4 = 0 then 'knowledge_reward' else null end,
       timestamptz '2025-11-01' + (g * interval '31.536 seconds') * (1000000.0 / :rows),
       case when g % 5 < 3 then timestamptz '2025-11-01'
            + (g * interval '31.536 seconds') * (1000000.0 / :rows) + interval '40 seconds' end
from generate_series(1, :rows) as g;
analyze ledger;
"""

AGGREGATE = """
select transaction_type, extract(month from created_at)::int as month,
       count(*) as n, sum(amount_azr) as azr, avg(amount_usd) as usd
from ledger group by 1, 2 order by 1, 2
"""
ROWS = "select * from ledger where n <= :limit order by n"


def timed(action: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median seconds of ``repeat`` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


def mb(n: int) -> str:
    return f"{n / 2**20:,.1f}"


def workloads(rows: int) -> list[tuple[str, str, dict[str, Any]]]:
    out = [("60-row aggregate", AGGREGATE, {})]
    for size in sorted({min(100_000, rows), rows}):
        out.append((f"{size:,} rows", ROWS, {"limit": size}))
    return out


def bench_backend(
    name: str, env: dict[str, str], home: Path, repeat: int, rows: int
) -> tuple[list[list[str]], dict[str, pd.DataFrame], dict[str, float]]:
    lines, frames, ratios = [], {}, {}
    with az.Workspace(Settings.load(env=env, cwd=home)) as ws:
        engine = ws.engine("core")
        backend = ws.cache.backend
        for label, query, params in workloads(rows):
            miss, frame = timed(lambda q=query, p=params: ws.sql(q, p, refresh=True), 1)
            big = len(frame) > 200_000
            reps = max(2, repeat // 2) if big else repeat * (4 if len(frame) < 1000 else 1)
            ws.sql(query, params, cache=True)  # steady state: the first hit pays imports
            hit, cached = timed(lambda q=query, p=params: ws.sql(q, p, cache=True), reps)
            assert az.provenance(cached).cached, "expected a hit"
            pd.testing.assert_frame_equal(cached, frame, check_exact=True)
            plain, _ = timed(lambda q=query, p=params: ws.sql(q, p), 1 if big else reps)
            with engine.connect() as conn:
                read_sql, _ = timed(
                    lambda q=query, p=params, c=conn: pd.read_sql(sa.text(q), c, params=p),
                    1 if big else reps,
                )
            size = ws.cache.stats().source("core").bytes
            raw = "n/a"
            if isinstance(backend, RedisBackend):
                # The only entry (the cache is cleared after each workload): GET its bytes.
                [key] = backend.client.zrange(backend._index("core"), 0, -1)
                entry = backend._entry(key.decode())
                client = backend.client
                get, data = timed(lambda k=entry, c=client: c.get(k), reps)
                assert data is not None and len(data) == size
                raw = f"{ms(get)} ({hit / get:.1f}x)"
                ratios[f"{'' if name == 'redis' else name + ' '}{label}: hit / raw GET"] = hit / get
                # The floor of a hit: the GET and the decode of those bytes, nothing else.
                floor, _ = timed(
                    lambda k=entry, c=client, s=ws.cache.settings.secret: serialise.loads(
                        c.get(k), s
                    ),
                    reps,
                )
                raw += f" | {ms(floor)} ({hit / floor:.2f}x)"
                key_ = f"{'' if name == 'redis' else name + ' '}{label}: hit / (GET + decode)"
                ratios[key_] = hit / floor
            ratios[f"{name} {label}: read_sql / hit"] = read_sql / hit
            ratios[f"{name} {label}: hit ms"] = hit * 1000
            if label.startswith("60"):
                ratios[f"{name} 60-row hit ms"] = hit * 1000
            lines.append(
                [
                    name,
                    label,
                    mb(size),
                    ms(miss),
                    ms(hit),
                    ms(plain),
                    ms(read_sql),
                    f"{plain / hit:,.0f}x",
                    f"{read_sql / hit:,.0f}x",
                    raw,
                ]
            )
            frames[label] = frame
            ws.cache.clear()
    return lines, frames, ratios


@contextlib.contextmanager
def redis_cluster(directory: Path) -> Iterator[str]:
    """AZORA_BENCH_REDIS_CLUSTER_URL, or a throwaway cluster of three primaries."""
    if CLUSTER_URL:
        yield CLUSTER_URL
        return
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from redis_servers import RedisClusterServers

    cluster = RedisClusterServers(directory, primaries=3).start()
    try:
        yield cluster.url
    finally:
        cluster.stop()


def drop_prefix(url: str, prefix: str) -> None:
    """Delete every key under ``prefix`` on every primary of ``url``."""
    from azora_nb import redis_client
    from azora_nb.settings import Limits, RedisSettings

    client = redis_client.connect(RedisSettings(url, Limits()))
    nodes = (
        [client.get_redis_connection(n) for n in client.get_primaries()]  # type: ignore[union-attr]
        if redis_client.is_cluster_client(client)
        else [client]
    )
    for node in nodes:
        pipe = node.pipeline(transaction=False)
        for key in node.scan_iter(match=f"{prefix}:*", count=1000):
            pipe.unlink(key)
        pipe.execute()
    client.close()


def bench_formats(frames: dict[str, pd.DataFrame], repeat: int) -> list[list[str]]:
    lines = []
    for label, frame in frames.items():
        reps = 2 if len(frame) > 200_000 else repeat
        for fmt, dump, load in (
            (
                "arrow+zstd",
                lambda f: serialise.dumps(f, {}, compression="zstd"),
                lambda b: serialise.loads(b).frame,
            ),
            (
                "arrow+lz4",
                lambda f: serialise.dumps(f, {}, compression="lz4"),
                lambda b: serialise.loads(b).frame,
            ),
            (
                "arrow",
                lambda f: serialise.dumps(f, {}, compression=None),
                lambda b: serialise.loads(b).frame,
            ),
            ("pickle", lambda f: pickle.dumps(f, protocol=5), pickle.loads),
        ):
            write, data = timed(lambda d=dump, f=frame: d(f), reps)
            read, _ = timed(lambda lo=load, d=data: lo(d), reps)
            lines.append([label, fmt, mb(len(data)), ms(write), ms(read)])
    return lines


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    out = ["  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"azbench_cache_{uuid.uuid4().hex[:8]}"
    prefix = f"azbench-cache-{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'create database "{name}"')
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        started = time.perf_counter()
        builder = sa.create_engine(url)
        with builder.begin() as conn:
            for statement in CREATE.split(";"):
                if statement.strip():
                    conn.execute(sa.text(statement), {"rows": args.rows})
        builder.dispose()
        print(f"built {args.rows:,} ledger rows in {time.perf_counter() - started:.1f} s\n")
        with tempfile.TemporaryDirectory() as tmp, redis_cluster(Path(tmp) / "cluster") as cluster:
            home = Path(tmp)
            base = {
                "AZORA_HOME": str(home),
                "AZORA_CORE_URL": url,
                "AZORA_CACHE_MAX_ENTRY_MB": "2048",
                "AZORA_CACHE_DISK_LIMIT_MB": "8192",
            }
            results: list[list[str]] = []
            frames: dict[str, pd.DataFrame] = {}
            ratios: dict[str, float] = {}
            for backend, extra in (
                ("redis", {"AZORA_REDIS_URL": REDIS_URL, "AZORA_CACHE_PREFIX": prefix}),
                ("cluster", {"AZORA_REDIS_URL": cluster, "AZORA_CACHE_PREFIX": prefix}),
                ("disk", {}),
            ):
                lines, frames, found = bench_backend(
                    backend, {**base, **extra}, home, args.repeat, args.rows
                )
                results += lines
                ratios.update(found)
                if backend == "cluster" and not CLUSTER_URL:
                    drop_prefix(cluster, prefix)
            for label, _, _ in workloads(args.rows):
                # Goal (issue 16): a cluster hit within 1.2x of a one-server hit.
                one, many = ratios[f"redis {label}: hit ms"], ratios[f"cluster {label}: hit ms"]
                ratios[f"{label}: cluster hit / one-server hit"] = many / one
        print("Latency in ms (median); entry in MB; x = how many times slower than a hit")
        print(
            table(
                [
                    "backend",
                    "result",
                    "entry",
                    "miss",
                    "hit",
                    "ws.sql",
                    "read_sql",
                    "ws.sql/hit",
                    "read_sql/hit",
                    "raw GET (hit/GET) | GET+decode (hit/that)",
                ],
                results,
            )
        )
        print("\nEntry formats for the same frames (serialise.dumps/loads and pickle)")
        print(
            table(
                ["result", "format", "MB", "write ms", "read ms"],
                bench_formats(frames, args.repeat),
            )
        )
        print("\nGoals")
        for label, value in ratios.items():
            print(f"  {label:<50} {value:8.2f}")
    finally:
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        stale = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if stale:
            client.delete(*stale)
        client.close()
        if CLUSTER_URL:
            drop_prefix(CLUSTER_URL, prefix)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'drop database if exists "{name}" with (force)')
        admin.dispose()


if __name__ == "__main__":
    main()
