"""The audit trail: entries in each database's azora_nb_audit table, or locally under
AZORA_HOME when the database cannot take them, shown by ``azora-nb log``."""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import azora_nb as az
from azora_nb import audit, migrate
from azora_nb.cli import main


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    for name in list(os.environ):
        if name.startswith("AZORA_") or name in ("DATABASE_URL", "MONGO_URI"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(home)


def test_migrations_are_recorded_with_who_and_shown_by_log(clean_env: None, home: Path) -> None:
    with az.connect(AZORA_HOME=str(home)) as ws:
        migrate.upgrade(ws, "core")
        with pytest.raises(KeyError), audit.action(ws, "core", "demo.reset", params={"n": 1}):
            raise KeyError("boom")
        audit.record(
            ws,
            "core",
            "cache.clear",
            params={"password": "hunter22", "url": "postgresql://ana:hunter22@db/core"},
            rows=7,
        )
        with ws.engine("core").connect() as conn:
            stored = conn.execute(sa.text("select * from azora_nb_audit order by id")).mappings()
            rows = [dict(r) for r in stored]
    assert [r["action"] for r in rows] == ["migrate.upgrade", "demo.reset", "cache.clear"]
    assert rows[0]["outcome"] == "ok" and rows[0]["target"] == "head"
    assert rows[1]["outcome"] == "failed" and "boom" in rows[1]["error"]
    assert rows[2]["rows_affected"] == 7
    assert all(r["os_user"] and r["host"] for r in rows)
    assert "hunter22" not in json.dumps(rows, default=str)

    runner = CliRunner()
    shown = runner.invoke(
        main, ["log", "--source", "core", "-n", "2"], env={"AZORA_HOME": str(home)}
    )
    assert shown.exit_code == 0, shown.output
    assert "cache.clear" in shown.output and "demo.reset" in shown.output
    assert "migrate.upgrade" not in shown.output  # -n 2: the newest two
    as_json = runner.invoke(main, ["log", "--json"], env={"AZORA_HOME": str(home)})
    assert as_json.exit_code == 0, as_json.output
    entries = json.loads(as_json.output)
    assert {e["action"] for e in entries} == {"migrate.upgrade", "demo.reset", "cache.clear"}
    assert all(e["stored"] == "database" for e in entries)


def test_an_interrupted_action_is_recorded_as_such(clean_env: None, home: Path) -> None:
    with az.connect(AZORA_HOME=str(home)) as ws:
        migrate.upgrade(ws, "gateway")
        with pytest.raises(KeyboardInterrupt), audit.action(ws, "gateway", "sync.run"):
            raise KeyboardInterrupt
        newest = audit.entries(ws, ("gateway",), 1)[0]
    assert (newest.action, newest.outcome) == ("sync.run", "interrupted")


@pytest.mark.postgres
def test_a_read_only_role_is_logged_locally_with_a_warning(
    pg_database: Callable[[str], str],
    pg_admin: sa.Engine,
    home: Path,
    clean_env: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = pg_database("audit")
    with az.connect(AZORA_CORE_URL=url, AZORA_HOME=str(home)) as ws:
        migrate.upgrade(ws, "core")
        assert audit.entries(ws, ("core",))[0].db_role == "postgres"
    role = f"azt_ro_{uuid.uuid4().hex[:6]}"
    with pg_admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
    owner = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        database = sa.engine.make_url(url).database
        with owner.connect() as conn:
            conn.exec_driver_sql(f'GRANT CONNECT ON DATABASE "{database}" TO {role}')
            conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA public TO {role}")
            conn.exec_driver_sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
        ro_url = sa.engine.make_url(url).set(username=role).render_as_string(hide_password=False)
        with (
            az.connect(AZORA_CORE_URL=ro_url, AZORA_HOME=str(home)) as ws,
            caplog.at_level(logging.WARNING, logger="azora_nb"),
        ):
            entry = audit.record(ws, "core", "report.run", target="treasury")
            assert entry.stored == "local"
            assert "kept it in" in caplog.text and "permission denied" in caplog.text
            found = audit.entries(ws, ("core",))
            ws.engine("core").dispose()
    finally:
        with owner.connect() as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
        owner.dispose()
        with pg_admin.connect() as conn:
            conn.exec_driver_sql(f'REVOKE ALL ON DATABASE "{database}" FROM {role}')
            conn.exec_driver_sql(f"DROP ROLE {role}")
    assert found[0].action == "report.run" and found[0].stored == "local"
    assert (home / "audit.jsonl").is_file()


def test_a_report_run_is_recorded_even_when_it_fails(clean_env: None, home: Path) -> None:
    with az.connect(AZORA_HOME=str(home)) as ws:
        migrate.upgrade(ws, "core")
    env = {"AZORA_HOME": str(home)}
    args = ["report", str(home / "missing.ipynb"), "-p", "api_token=tok-123456"]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 2
    with az.connect(AZORA_HOME=str(home)) as ws:
        newest = audit.entries(ws, ("core",), 1)[0]
    assert (newest.action, newest.outcome) == ("report.run", "failed")
    assert newest.parameters == {"api_token": "***"}


def test_a_report_run_from_python_is_recorded_too(clean_env: None, home: Path) -> None:
    """The main job and scripts call run_report directly: the trail must not depend on
    the CLI."""
    from azora_nb.reports import run_report

    with az.connect(AZORA_HOME=str(home)) as ws:
        migrate.upgrade(ws, "core")
        with pytest.raises(az.AzoraError):
            run_report(ws, str(home / "missing.ipynb"), {"password": "pw-secret"})
        newest = audit.entries(ws, ("core",), 1)[0]
    assert (newest.action, newest.outcome) == ("report.run", "failed")
    assert newest.parameters == {"password": "***"}
