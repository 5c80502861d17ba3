"""Read path: ``ws.sql`` against ``pandas.read_sql``, connectorx and ADBC on the same rows.

Builds a throwaway PostgreSQL database and a SQLite file holding the same
rows (the columns and types of ``treasury_ledger``), then times every reader
in the same run at 100k and 1M rows and checks that ``ws.sql`` gives the same
dtypes on both backends. connectorx and ADBC return their own types (timestamps
as text on SQLite, no dtype policy): they are the speed to match, not a
replacement. Their columns need the ``bench`` extra (``pip install -e '.[bench]'``);
without it they show ``-``.
Run: ``.venv/bin/python benchmarks/read_path.py [--rows 100000 1000000]``.

Environment: AZORA_BENCH_PG_URL (default postgresql://postgres@127.0.0.1:5432/postgres),
used to create and drop the throwaway database.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

import azora_nb as az
from azora_nb import types as t
from azora_nb.settings import Settings

ADMIN_URL = os.environ.get("AZORA_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

meta = sa.MetaData()
ledger = sa.Table(
    "ledger",
    meta,
    sa.Column("id", t.UUID, primary_key=True),
    sa.Column("tx_hash", sa.String(255)),
    sa.Column("transaction_type", sa.String(50)),
    sa.Column("amount_azr", t.Numeric(30, 8)),
    sa.Column("amount_usd", t.Numeric(20, 8)),
    sa.Column("treasury_allocation", t.Numeric(5, 4)),
    sa.Column("gas_used", sa.BigInteger),
    sa.Column("blockchain_status", sa.String(50)),
    sa.Column("created_at", t.TimestampTZ()),
    sa.Column("confirmed_at", t.TimestampTZ()),
)


def make_rows(n: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    created = pd.Timestamp("2025-11-01", tz="UTC") + pd.to_timedelta(
        np.sort(rng.integers(0, 365 * 86400 * 10**6, n)), unit="us"
    )
    amount = np.round(rng.lognormal(5, 1.5, n), 8)
    confirmed = created + pd.to_timedelta(rng.integers(5, 900, n), unit="s")
    status = rng.choice(np.array(["confirmed", "pending", "failed"]), n, p=[0.9, 0.07, 0.03])
    confirmed = pd.Series(confirmed).where(status == "confirmed")
    raw = rng.bytes(16 * n)
    ids = [str(uuid.UUID(bytes=raw[i * 16 : (i + 1) * 16], version=4)) for i in range(n)]
    return pd.DataFrame(
        {
            "id": ids,
            "tx_hash": [f"0x{i:064x}" for i in range(n)],
            "transaction_type": rng.choice(
                np.array(["mint", "burn", "transfer", "deposit", "withdrawal"]), n
            ),
            "amount_azr": amount,
            "amount_usd": amount,
            "treasury_allocation": np.full(n, 0.7),
            "gas_used": rng.integers(21000, 300000, n),
            "blockchain_status": status,
            "created_at": created,
            "confirmed_at": confirmed,
        }
    )


def load_postgres(engine: sa.Engine, rows: pd.DataFrame) -> None:
    meta.drop_all(engine)
    meta.create_all(engine)
    buffer = io.StringIO()
    rows.to_csv(buffer, index=False, header=False, date_format="%Y-%m-%d %H:%M:%S.%f+00")
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur, cur.copy("COPY ledger FROM STDIN (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())
        raw.commit()
    finally:
        raw.close()


def load_sqlite(engine: sa.Engine, rows: pd.DataFrame) -> None:
    meta.drop_all(engine)
    meta.create_all(engine)
    records = rows.astype(object).where(rows.notna(), None)
    for col in ("created_at", "confirmed_at"):
        records[col] = [None if v is None else v.strftime(t.SQLITE_TS_FORMAT) for v in records[col]]
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f"INSERT INTO ledger VALUES ({','.join('?' * len(rows.columns))})",
            list(records.itertuples(index=False, name=None)),
        )


def _plain_url(url: str) -> str:
    """The URL without SQLAlchemy's driver name: what the other readers take."""
    if url.startswith("sqlite:///"):
        return url
    return "postgresql://" + url.split("://", 1)[1]


def connectorx_reader(url: str, query: str):  # type: ignore[no-untyped-def]
    try:
        import connectorx as cx
    except ImportError:
        return None
    conn = _plain_url(url)
    if conn.startswith("sqlite:///"):
        conn = "sqlite://" + conn.removeprefix("sqlite:///")  # sqlite:// + absolute path
    return lambda: cx.read_sql(conn, query)


def adbc_reader(url: str, query: str):  # type: ignore[no-untyped-def]
    try:
        if url.startswith("sqlite"):
            import adbc_driver_sqlite.dbapi as driver
        else:
            import adbc_driver_postgresql.dbapi as driver
    except ImportError:
        return None
    target = url.removeprefix("sqlite:///") if url.startswith("sqlite") else _plain_url(url)

    def read() -> pd.DataFrame:
        with driver.connect(target) as conn, conn.cursor() as cur:
            cur.execute(query)
            return cur.fetch_arrow_table().to_pandas()

    return read


def load_average() -> str:
    """The 1-minute load average (what ``uptime`` prints first): the figures' context."""
    return f"{os.getloadavg()[0]:.2f}"


def interleaved(readers: dict[str, Any], rounds: int) -> tuple[dict[str, float], Any]:
    """Median seconds of each reader over ``rounds`` rounds, each round running every
    reader once in a rotated order, so that a burst of load from elsewhere on the
    machine falls on all of them alike; also the first reader's last result."""
    times: dict[str, list[float]] = {name: [] for name in readers}
    names = list(readers)
    first = None
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            start = time.perf_counter()
            result = readers[name]()
            times[name].append(time.perf_counter() - start)
            if name == names[0]:
                first = result
            del result
    return {name: statistics.median(ts) for name, ts in times.items()}, first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument(
        "--repeat", type=int, default=5, help="rounds; each reader runs once per round"
    )
    args = parser.parse_args()

    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"azbench_read_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    pg_url = admin.url.set(database=name).render_as_string(hide_password=False)
    home = Path(tempfile.mkdtemp(prefix="azbench-"))
    results = []
    try:
        pg_ws = az.Workspace(
            Settings.load(env={"AZORA_HOME": str(home), "AZORA_CORE_URL": pg_url}, cwd=home)
        )
        lite_ws = az.Workspace(Settings.load(env={"AZORA_HOME": str(home)}, cwd=home))
        query = "select * from ledger"
        for n in args.rows:
            rows = make_rows(n)
            load_postgres(pg_ws.engine("core"), rows)
            load_sqlite(lite_ws.engine("core"), rows)
            dtypes = {}
            for backend, ws in (("postgresql", pg_ws), ("sqlite", lite_ws)):
                engine = ws.engine("core")
                url = engine.url.render_as_string(hide_password=False)
                readers: dict[str, Any] = {
                    "ws.sql": lambda ws=ws: ws.sql(query),
                    "read_sql": lambda engine=engine: pd.read_sql(query, engine),
                }
                for label, make in (("cx", connectorx_reader), ("adbc", adbc_reader)):
                    reader = make(url, query)
                    if reader is not None:
                        readers[label] = reader
                before = load_average()
                medians, frame = interleaved(readers, args.repeat)
                ours, plain = medians["ws.sql"], medians["read_sql"]
                others = [medians.get("cx"), medians.get("adbc")]
                load = f"{before}-{load_average()}"
                dtypes[backend] = {c: str(d) for c, d in frame.dtypes.items()}
                results.append((backend, n, ours, plain, *others, load))
            same = "same" if dtypes["postgresql"] == dtypes["sqlite"] else "DIFFERENT"
            print(f"{n:>9,} rows: dtypes on PostgreSQL and SQLite are {same}")
        pg_ws.close()
        lite_ws.close()
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    print()
    print("All readers timed in the same run: the median of --repeat rounds, each round running")
    print("every reader once in a rotated order; on a shared machine compare the ratios.")
    print(
        f"{'backend':<11} {'rows':>10} {'ws.sql s':>9} {'read_sql s':>11} {'cx s':>7} "
        f"{'adbc s':>7} {'vs read_sql':>12} {'vs cx':>7}  load"
    )

    def show(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    for backend, n, ours, plain, cx_s, adbc_s, load in results:
        vs_cx = "-" if cx_s is None else f"{ours / cx_s:.2f}x"
        print(
            f"{backend:<11} {n:>10,} {ours:>9.2f} {plain:>11.2f} {show(cx_s):>7} "
            f"{show(adbc_s):>7} {plain / ours:>11.1f}x {vs_cx:>7}  {load}"
        )
    print("vs read_sql: how many times faster ws.sql is; vs cx: ws.sql's time over connectorx's;")
    print("load: the 1-minute load average before and after that backend's rounds.")


if __name__ == "__main__":
    main()
