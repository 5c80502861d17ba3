"""Workspaces for migration tests: one SQLite file or one fresh PostgreSQL database
per source, so a test pays only for the databases it uses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from azora_nb.settings import SOURCES, Settings
from azora_nb.workspace import Workspace

PRODUCTION_SQL = Path(__file__).parent / "production_sql"
BACKENDS = ("sqlite", "postgresql")

MakeWorkspace = Callable[..., Workspace]


def psycopg_url(sqlalchemy_url: str) -> str:
    return sa.engine.make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(
        hide_password=False)


def run_sql_script(url: str, script: str) -> None:
    """Run a multi-statement script as the services did (simple query protocol)."""
    with psycopg.connect(psycopg_url(url), autocommit=True) as conn:
        conn.execute(script.encode())


@pytest.fixture
def make_ws(request: pytest.FixtureRequest, home: Path) -> Iterator[MakeWorkspace]:
    """``make_ws(backend, *sources)`` → a workspace whose named sources are fresh
    databases on ``backend`` (the others stay embedded and untouched)."""
    opened: list[Workspace] = []

    def make(backend: str, *sources: str, env: dict[str, str] | None = None) -> Workspace:
        values = {"AZORA_HOME": str(home), **(env or {})}
        if backend == "postgresql":
            pg_database = request.getfixturevalue("pg_database")
            for source in sources or SOURCES:
                values[f"AZORA_{source.upper()}_URL"] = pg_database(source)
        ws = Workspace(Settings.load(env=values, cwd=home))
        opened.append(ws)
        return ws

    yield make
    for ws in opened:
        ws.close()


def url_of(ws: Workspace, source: str) -> str:
    return ws.settings.source(source).sqlalchemy_url(ws.home)


def leftovers(ws: Workspace, source: str) -> list[str]:
    """Every schema object in the database except the (empty) version table."""
    with ws.engine(source).connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(
                "SELECT type || ' ' || name FROM sqlite_master "
                "WHERE name NOT LIKE 'sqlite_%' AND tbl_name NOT LIKE 'alembic_version_%'"
            ).scalars().all()
            return sorted(str(r) for r in rows)
        rows = conn.execute(sa.text("""
            SELECT c.relkind::text || ' ' || c.relname FROM pg_class c
              JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relname NOT LIKE 'alembic_version_%'
            UNION ALL
            SELECT 'function ' || p.proname FROM pg_proc p
              JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
            UNION ALL
            SELECT 'extension ' || extname FROM pg_extension WHERE extname <> 'plpgsql'
            UNION ALL
            SELECT 'policy ' || policyname FROM pg_policies
        """)).scalars().all()
        return sorted(str(r) for r in rows)
