"""Every command against bad inputs: one line on stderr and exit code 2 (or the
command's own verdict, for status), never a traceback."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

import azora_nb as az
from azora_nb import migrate
from azora_nb.cli import main

from .conftest import PASSWORD, OwnServer

SYNC = "mint_users"

# Every command, with arguments that would be fine on a healthy setup.
COMMANDS: list[tuple[str, ...]] = [
    ("status",),
    ("sql", "select 1 as one"),
    ("db", "upgrade", "--source", "core"),
    ("db", "downgrade", "--source", "core", "--to", "base"),
    ("db", "current", "--source", "core"),
    ("db", "check", "--source", "core"),
    ("db", "adopt", "--source", "core"),
    ("demo", "seed", "--source", "core", "--scale", "1000", "--quiet"),
    ("cache", "stats"),
    ("cache", "clear", "--source", "core"),
    ("sync", "list"),
    ("sync", "run", SYNC, "--quiet"),
    ("sync", "status"),
    ("sync", "history", SYNC),
    ("sync", "dead-letters", SYNC),
    ("sync", "replay", SYNC),
    ("sync", "cancel", SYNC),
    ("log",),
]
# Commands that stop at the configuration, before anything slow (kernels, the main job).
CONFIG_ONLY: list[tuple[str, ...]] = [("report", "treasury"), ("demo",), ("db", "history", "--all")]

MISSING_PARAMETERS: list[tuple[str, ...]] = [
    ("sql",),
    ("sql", "select :a as x"),
    ("sql", "select 1", "-p", "novalue"),
    ("db", "upgrade"),
    ("db", "downgrade", "--source", "core"),
    ("db", "current", "--source", "nowhere"),
    ("demo", "seed", "--scale", "10"),
    ("report",),
    ("sync", "run"),
    ("sync", "run", "no_such_sync"),
    ("sync", "history"),
    ("log", "-n", "0"),
    ("cache", "clear", "--source", "nowhere"),
]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, home: Path) -> Callable[..., Result]:
    for name in list(os.environ):
        if name.startswith("AZORA_") or name in ("DATABASE_URL", "MONGO_URI", "PGOPTIONS"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(home)

    def invoke(args: tuple[str, ...], env: dict[str, str]) -> Result:
        return CliRunner().invoke(main, list(args), env={"AZORA_HOME": str(home), **env})

    return invoke


def clean(result: Result, args: tuple[str, ...], *, codes: tuple[int, ...] = (2,)) -> str:
    """Assert a clean failure (or verdict) and return stderr."""
    where = f"azora-nb {' '.join(args)}"
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{where} raised {result.exception!r}"
    )
    assert "Traceback" not in result.output, f"{where}:\n{result.output}"
    assert result.exit_code in codes, f"{where} exited {result.exit_code}:\n{result.output}"
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    if result.exit_code == 2 and errors:
        assert len(result.stderr.strip().splitlines()) == 1, f"{where}:\n{result.stderr}"
    return result.stderr


@pytest.mark.parametrize("args", MISSING_PARAMETERS, ids=" ".join)
def test_missing_and_bad_parameters(run: Callable[..., Result], args: tuple[str, ...]) -> None:
    stderr = clean(run(args, {}), args)
    assert stderr.strip()


def test_a_missing_query_parameter_names_it(run: Callable[..., Result]) -> None:
    stderr = clean(run(("sql", "select :a as x"), {}), ("sql",))
    assert "no value for :a" in stderr and "-p a=VALUE" in stderr


def test_multiple_statements_are_refused(run: Callable[..., Result], home: Path) -> None:
    assert run(("db", "upgrade", "--source", "core"), {}).exit_code == 0
    for query in ("select 1; insert into alerts default values", "select 1 as a; select 2 as b"):
        stderr = clean(run(("sql", query), {}), ("sql", query))
        assert "2 statements" in stderr
    ok = run(("sql", "select ';' as semi;"), {})
    assert ok.exit_code == 0 and ";" in ok.stdout


def test_a_file_as_home(run: Callable[..., Result], tmp_path: Path) -> None:
    afile = tmp_path / "not-a-dir"
    afile.write_text("x")
    for args in COMMANDS + CONFIG_ONLY:
        if args == ("db", "history", "--all"):
            continue  # reads only the packaged histories
        stderr = clean(run(args, {"AZORA_HOME": str(afile)}), args)
        assert "AZORA_HOME" in stderr


def test_bad_urls(run: Callable[..., Result]) -> None:
    for env, setting in (
        ({"AZORA_CORE_URL": "mysql://ana:pw1234@db/core"}, "AZORA_CORE_URL"),
        ({"AZORA_REDIS_URL": "http://cache:6379"}, "AZORA_REDIS_URL"),
        ({"AZORA_MONGO_URL": "postgresql://x@y/z"}, "AZORA_MONGO_URL"),
    ):
        for args in COMMANDS + CONFIG_ONLY:
            if args == ("db", "history", "--all"):
                continue
            stderr = clean(run(args, env), args)
            assert setting in stderr and "pw1234" not in stderr


@pytest.mark.postgres
def test_postgresql_down(run: Callable[..., Result]) -> None:
    env = {"AZORA_CORE_URL": "postgresql://postgres:pw1234@127.0.0.1:1/core"}
    for args in COMMANDS:
        # status and sync status report; log, sync list and the cache need no database.
        needs_core = args[0] not in ("status", "log", "cache") and args[:2] not in (
            ("sync", "list"),
            ("sync", "status"),
        )
        codes = (2,) if needs_core else (0, 1, 2)
        result = run(args, env)
        stderr = clean(result, args, codes=codes)
        assert "pw1234" not in result.output
        if result.exit_code == 2 and args[0] != "status":
            assert "core" in stderr


@pytest.mark.redis
def test_redis_down(run: Callable[..., Result]) -> None:
    env = {"AZORA_REDIS_URL": "redis://127.0.0.1:1/0", "AZORA_REDIS_CONNECT_TIMEOUT": "0.5"}
    for args in COMMANDS:
        result = run(args, env)
        clean(result, args, codes=(0, 1, 2))


@pytest.mark.postgres
def test_a_wrong_password_says_authentication_failed(
    run: Callable[..., Result], own_pg: OwnServer
) -> None:
    env = {"AZORA_CORE_URL": own_pg.url(password="wrong-pw-99")}
    for args in [("sql", "select 1"), ("db", "upgrade", "--source", "core"), ("sync", "run", SYNC)]:
        result = run(args, env)
        stderr = clean(result, args)
        assert "authentication failed for role 'postgres'" in stderr
        assert "wrong-pw-99" not in result.output and PASSWORD not in result.output
    status = run(("status", "--json"), env)
    clean(status, ("status",), codes=(1, 2))
    assert "wrong-pw-99" not in status.output and PASSWORD not in status.output
    core = next(s for s in json.loads(status.stdout)["stores"] if s["store"] == "core")
    assert core["state"] == "authentication failed"
    assert "authentication failed for role 'postgres'" in core["error"]
    assert "***" in core["url"]
    table = run(("status",), env).stdout
    assert "authentication failed for role 'postgres'" in table
    assert "unreachable" not in table and "server is running" not in table


@pytest.mark.postgres
def test_a_missing_database_is_named_not_called_unreachable(run: Callable[..., Result]) -> None:
    env = {"AZORA_CORE_URL": "postgresql://postgres:pw1234@127.0.0.1:5432/no_such_db_q7"}
    for args in (("sql", "select 1"), ("db", "upgrade", "--source", "core")):
        stderr = clean(run(args, env), args)
        assert "no database 'no_such_db_q7'" in stderr and "createdb" in stderr
        assert "server is running" not in stderr and "pw1234" not in stderr


def test_status_on_a_fresh_home_creates_nothing(run: Callable[..., Result], home: Path) -> None:
    before = sorted(home.iterdir())
    for args in (("status",), ("status", "--json")):
        result = run(args, {})
        clean(result, args, codes=(0,))  # nothing is broken: nothing was built yet
    report = json.loads(result.stdout)
    states = {s["store"]: s["state"] for s in report["stores"]}
    assert report["overall"] == "healthy"
    assert {states[s] for s in az.SOURCES} == {"not created"}
    assert states["cache"] == "not created"
    assert "azora-nb db upgrade --all" in run(("status",), {}).stdout
    assert sorted(home.iterdir()) == before
    # Once built, a source is probed as before.
    assert run(("db", "upgrade", "--source", "mint"), {}).exit_code == 0
    states = {s["store"]: s["state"] for s in json.loads(run(args, {}).stdout)["stores"]}
    assert states["mint"] == "ok" and states["core"] == "not created"


@pytest.fixture
def read_only_env(
    pg_database: Callable[[str], str], pg_admin: sa.Engine, home: Path
) -> Iterator[dict[str, str]]:
    urls = {s: pg_database(f"ro{s}") for s in ("core", "mint")}
    with az.connect(
        AZORA_CORE_URL=urls["core"], AZORA_MINT_URL=urls["mint"], AZORA_HOME=str(home)
    ) as ws:
        migrate.upgrade(ws, "core")
        migrate.upgrade(ws, "mint")
    role = f"azt_ro_{uuid.uuid4().hex[:6]}"
    with pg_admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
    owners = [sa.create_engine(u, isolation_level="AUTOCOMMIT") for u in urls.values()]
    for owner in owners:
        with owner.connect() as conn:
            conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA public TO {role}")
            conn.exec_driver_sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    env = {
        f"AZORA_{s.upper()}_URL": sa.engine.make_url(u)
        .set(username=role)
        .render_as_string(hide_password=False)
        for s, u in urls.items()
    }
    try:
        yield env
    finally:
        for owner in owners:
            with owner.connect() as conn:
                conn.exec_driver_sql(f"DROP OWNED BY {role}")
            owner.dispose()
        with pg_admin.connect() as conn:
            for url in urls.values():
                database = sa.engine.make_url(url).database
                conn.exec_driver_sql(f'REVOKE ALL ON DATABASE "{database}" FROM {role}')
            conn.exec_driver_sql(f"DROP ROLE {role}")


@pytest.mark.postgres
def test_a_read_only_role(run: Callable[..., Result], read_only_env: dict[str, str]) -> None:
    for args in COMMANDS:
        clean(run(args, read_only_env), args, codes=(0, 1, 2))
    result = run(("sync", "run", SYNC, "--quiet"), read_only_env)
    stderr = clean(result, ("sync", "run"), codes=(2,))
    assert "permission denied" in stderr


def test_unknown_settings_are_reported_by_status_and_any_command(
    run: Callable[..., Result], home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (home / "azora.toml").write_text('[sources]\ncroe = "sqlite:////tmp/nowhere.sqlite"\n')
    status = run(("status", "--json"), {"AZORA_CAHCE_TTL": "5"})
    clean(status, ("status",), codes=(1,))
    assert "did you mean [sources] core?" in status.stdout
    assert "AZORA_CAHCE_TTL is not a known setting" in status.stdout
    assert "did you mean AZORA_CACHE_TTL?" in status.stdout
    caplog.clear()
    other = run(("db", "current", "--source", "core"), {"AZORA_CAHCE_TTL": "5"})
    assert other.exit_code == 0
    assert "did you mean AZORA_CACHE_TTL?" in caplog.text
