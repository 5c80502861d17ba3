"""The workspace on the embedded default and on the real PostgreSQL and Redis."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

import azora_nb as az
from azora_nb.exceptions import ConfigError, QueryError, SourceMissing, StoreUnavailable
from azora_nb.settings import Settings

# The same table and rows, declared with the portable types on both backends.
_meta = sa.MetaData()
sample = sa.Table(
    "sample",
    _meta,
    sa.Column("id", az.types.UUID, primary_key=True),
    sa.Column("amount", az.types.Numeric(30, 8)),
    sa.Column("count", sa.Integer),
    sa.Column("big", sa.BigInteger),
    sa.Column("flag", az.types.Boolean),
    sa.Column("at", az.types.TimestampTZ()),
    sa.Column("at3", az.types.Timestamp(3)),
    sa.Column("day", az.types.Date),
    sa.Column("doc", az.types.JSONB),
    sa.Column("tags", az.types.TextArray),
    sa.Column("ip", az.types.Inet),
    sa.Column("note", sa.Text),
)
ROWS = [
    {
        "id": "6f1c9b1e-0000-4000-8000-000000000001",
        "amount": 12.5,
        "count": 3,
        "big": 9_000_000_000,
        "flag": True,
        "at": pd.Timestamp("2026-10-31 12:00:00.123456Z"),
        "at3": pd.Timestamp("2026-10-30 08:00:00.123Z"),
        "day": pd.Timestamp("2026-10-01").date(),
        "doc": {"a": 1, "b": [1, 2]},
        "tags": ["x", "y"],
        "ip": "10.0.0.1",
        "note": 'multi\nline, "quoted"',
    },
    {
        "id": "6f1c9b1e-0000-4000-8000-000000000002",
        "amount": None,
        "count": None,
        "big": None,
        "flag": None,
        "at": None,
        "at3": None,
        "day": None,
        "doc": None,
        "tags": None,
        "ip": None,
        "note": "",
    },
    {
        "id": "6f1c9b1e-0000-4000-8000-000000000003",
        "amount": -0.00000001,
        "count": 0,
        "big": -1,
        "flag": False,
        "at": pd.Timestamp("2025-01-01T00:00:00Z"),
        "at3": pd.Timestamp("2025-01-01T00:00:00Z"),
        "day": pd.Timestamp("2025-12-31").date(),
        "doc": [],
        "tags": [],
        "ip": "2001:db8::1",
        "note": None,
    },
]


def _fill(ws: az.Workspace) -> None:
    engine = ws.engine("core")
    _meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            sample.insert(),
            [
                {
                    k: (v.to_pydatetime() if isinstance(v, pd.Timestamp) else v)
                    for k, v in row.items()
                }
                for row in ROWS
            ],
        )


def _expected_dtypes() -> dict[str, str]:
    return {
        "id": "str",
        "amount": "float64",
        "count": "Int64",
        "big": "Int64",
        "flag": "boolean",
        "at": "datetime64[ns, UTC]",
        "at3": "datetime64[ns, UTC]",
        "day": "datetime64[ns]",
        "doc": "object",
        "tags": "object",
        "ip": "str",
        "note": "str",
    }


# -- embedded -------------------------------------------------------------------


def test_embedded_default_from_an_empty_home(embedded_settings: Settings) -> None:
    with az.Workspace(embedded_settings) as ws:
        report = ws.status()
        assert report.overall == "healthy"
        for source in az.SOURCES:
            assert report[source].backend == "sqlite"
            assert report[source].state == "not created"  # looking creates nothing
        assert report["cache"].backend == "disk"
        assert report["mongo"].state == "not configured"
        assert not (embedded_settings.home / "core.sqlite").exists()
        assert ws.sql("select 1 as one")["one"].tolist() == [1]
        report = ws.status()
        assert report["core"].reachable and report["core"].note == "embedded"
        assert report.overall == "healthy"
    assert (embedded_settings.home / "core.sqlite").exists()


def test_values_are_bound_never_formatted(embedded_settings: Settings) -> None:
    with az.Workspace(embedded_settings) as ws:
        _fill(ws)
        hostile = "x'; drop table sample; --"
        assert ws.sql("select id from sample where note = :n", {"n": hostile}).empty
        assert len(ws.sql("select id from sample")) == 3


def test_sqlite_dtypes_follow_the_policy(embedded_settings: Settings) -> None:
    with az.Workspace(embedded_settings) as ws:
        _fill(ws)
        frame = ws.sql("select * from sample order by id")
        assert {c: str(t) for c, t in frame.dtypes.items()} == _expected_dtypes()
        core = ws.sql(sa.select(sample).order_by(sample.c.id))
        pd.testing.assert_frame_equal(frame, core)


def test_bad_sql_is_a_query_error_naming_the_source(embedded_settings: Settings) -> None:
    with az.Workspace(embedded_settings) as ws, pytest.raises(QueryError, match="query on mint"):
        ws.sql("select * from no_such_table", source="mint")


def test_chunks_stream_the_same_rows(embedded_settings: Settings) -> None:
    with az.Workspace(embedded_settings) as ws:
        _fill(ws)
        whole = ws.sql("select * from sample order by id")
        parts = list(ws.sql_chunks("select * from sample order by id", chunk_rows=2))
        assert [len(p) for p in parts] == [2, 1]
        joined = pd.concat(parts, ignore_index=True)
        pd.testing.assert_frame_equal(joined, whole)


def test_mongo_not_configured_is_a_clear_error(embedded_settings: Settings) -> None:
    with (
        az.Workspace(embedded_settings) as ws,
        pytest.raises(StoreUnavailable, match="Set AZORA_MONGO_URL"),
    ):
        _ = ws.mongo


# -- PostgreSQL and Redis -------------------------------------------------------


def test_status_is_healthy_on_postgres_and_redis(pg_settings: Settings) -> None:
    with az.Workspace(pg_settings) as ws:
        report = ws.status()
        assert report.overall == "healthy", report.to_dict()
        assert report["core"].backend == "postgresql"
        assert report["core"].version and report["core"].version.startswith("15")
        assert report["cache"].backend == "redis" and report["cache"].reachable


def test_postgres_fast_path_gives_the_same_frame_as_sqlite(
    pg_settings: Settings, embedded_settings: Settings
) -> None:
    with az.Workspace(pg_settings) as pg, az.Workspace(embedded_settings) as lite:
        _fill(pg)
        _fill(lite)
        query = "select * from sample order by id"
        pg_frame, lite_frame = pg.sql(query), lite.sql(query)
        assert {c: str(t) for c, t in pg_frame.dtypes.items()} == _expected_dtypes()
        pd.testing.assert_frame_equal(pg_frame, lite_frame)
        aggregate = (
            "select count(*) as n, sum(amount) as total, max(at) as latest "
            "from sample where count >= :c"
        )
        pd.testing.assert_frame_equal(pg.sql(aggregate, {"c": 0}), lite.sql(aggregate, {"c": 0}))
        chunks = pd.concat(list(pg.sql_chunks(query, chunk_rows=2)), ignore_index=True)
        pd.testing.assert_frame_equal(chunks, pg_frame)


def test_postgres_empty_result_keeps_dtypes(pg_settings: Settings) -> None:
    with az.Workspace(pg_settings) as ws:
        _fill(ws)
        frame = ws.sql("select * from sample where false")
        assert frame.empty
        assert {c: str(t) for c, t in frame.dtypes.items()} == _expected_dtypes()


def test_redis_on_a_closed_port_is_degraded_not_fatal(
    home: Path, pg_database: Callable[[str], str]
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = Settings.load(
        env={
            "AZORA_HOME": str(home),
            "AZORA_REDIS_URL": f"redis://:pw123@127.0.0.1:{port}/0",
            "AZORA_REDIS_CONNECT_TIMEOUT": "0.5",
        },
        cwd=home,
    )
    with az.Workspace(settings) as ws:
        report = ws.status()
        assert report.overall == "degraded"
        assert report["cache"].reachable is False
        assert report["cache"].error
        assert "pw123" not in str(report.to_dict())
        assert ws.sql("select 1 as one")["one"].tolist() == [1]


def test_postgres_going_away_then_coming_back(pg_settings: Settings, pg_admin: sa.Engine) -> None:
    url = sa.engine.make_url(pg_settings.source("core").sqlalchemy_url(pg_settings.home))
    with az.Workspace(pg_settings) as ws:
        assert ws.sql("select 1 as one")["one"].tolist() == [1]
        with pg_admin.connect() as admin:
            admin.exec_driver_sql(f'ALTER DATABASE "{url.database}" ALLOW_CONNECTIONS false')
            admin.exec_driver_sql(
                "select pg_terminate_backend(pid) from pg_stat_activity "
                f"where datname = '{url.database}' and pid <> pg_backend_pid()"
            )
        try:
            with pytest.raises(StoreUnavailable) as info:
                ws.sql("select 1 as one")
            assert info.value.store == "core"
            assert "AZORA_CORE_URL" in str(info.value)
            assert ws.status()["core"].reachable is False
        finally:
            with pg_admin.connect() as admin:
                admin.exec_driver_sql(f'ALTER DATABASE "{url.database}" ALLOW_CONNECTIONS true')
        assert ws.sql("select 2 as two")["two"].tolist() == [2]


def test_passwords_never_leak(home: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = Settings.load(
        env={
            "AZORA_HOME": str(home),
            "AZORA_CORE_URL": f"postgresql://analyst:Sup3rSecret@127.0.0.1:{port}/core",
            "AZORA_CORE_CONNECT_TIMEOUT": "1",
        },
        cwd=home,
    )
    with az.Workspace(settings) as ws:
        assert "Sup3rSecret" not in repr(ws)
        with pytest.raises(StoreUnavailable) as info:
            ws.sql("select 1")
        assert "Sup3rSecret" not in str(info.value)
        report = ws.status()
        assert report.overall == "degraded"
        assert "Sup3rSecret" not in str(report.to_dict())


def test_postgres_fast_path_across_many_chunks(
    pg_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from azora_nb import pgread

    monkeypatch.setattr(pgread, "CHUNK_ROWS", 7)
    query = (
        "select g as n, case when g % 10 = 0 then 'line\nbreak, \"q\"' else 'plain' end "
        "as label, now() - g * interval '1 hour' as at from generate_series(1, 95) g "
        "order by g"
    )
    with az.Workspace(pg_settings) as ws:
        frame = ws.sql(query)
        assert frame["n"].tolist() == list(range(1, 96))
        assert frame["label"].iloc[9] == 'line\nbreak, "q"'
        assert (frame["label"] == "plain").sum() == 86
        assert str(frame["at"].dtype) == "datetime64[ns, UTC]"


def test_postgres_runtime_error_is_a_query_error(pg_settings: Settings) -> None:
    with az.Workspace(pg_settings) as ws:
        with pytest.raises(QueryError, match="division by zero"):
            ws.sql("select 1 / (g - 50) as x from generate_series(1, 100) g")
        assert ws.sql("select 1 as ok")["ok"].tolist() == [1]


def test_store_timeouts_reach_the_mongo_client(home: Path) -> None:
    settings = Settings.load(
        env={
            "AZORA_HOME": str(home),
            "AZORA_MONGO_URL": "mongodb://127.0.0.1:1",
            "AZORA_MONGO_CONNECT_TIMEOUT": "1.5",
            "AZORA_MONGO_STATEMENT_TIMEOUT": "20",
        },
        cwd=home,
    )
    with az.Workspace(settings) as ws:
        pool = ws.mongo_client.options.pool_options
        assert pool.connect_timeout == 1.5
        assert pool.socket_timeout == 20


def test_a_configured_sqlite_path_is_never_made_up(home: Path, tmp_path: Path) -> None:
    """A typo in a configured SQLite path must not become a new, empty database: a
    report's workspace creates no file (SourceMissing names the path), and a workspace
    that may create databases refuses a directory that does not exist."""
    typo = tmp_path / "no-such-dir" / "core.sqlite"
    env = {"AZORA_HOME": str(home), "AZORA_CORE_URL": f"sqlite:///{typo}"}
    settings = Settings.load(env=env, cwd=home)

    reader = az.Workspace(settings, create_databases=False)
    assert not reader.database_exists("core")
    with pytest.raises(SourceMissing, match=r"AZORA_CORE_URL names .*no-such-dir"):
        reader.sql("select 1 as one")
    reader.close()

    writer = az.Workspace(settings)
    with pytest.raises(ConfigError, match="whose directory does not exist") as caught:
        writer.sql("select 1 as one")
    assert caught.value.setting == "AZORA_CORE_URL"
    writer.close()
    assert not typo.parent.exists()

    # An existing directory is where the analyst means to start a new database.
    typo.parent.mkdir()
    made = az.Workspace(settings)
    assert made.sql("select 1 as one")["one"].tolist() == [1]
    made.close()
    assert typo.exists()
