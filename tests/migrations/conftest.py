"""Workspaces for migration tests: one SQLite file or one PostgreSQL database per
source, so a test pays only for the databases it uses.

PostgreSQL databases come from a session pool: a test gets an empty database and
hands it back, and it is emptied (schema, extensions) for the next test. That is
far cheaper than creating and dropping a database per test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from azora_nb.settings import SOURCES, Settings
from azora_nb.workspace import Workspace

PRODUCTION_SQL = Path(__file__).parent / "production_sql"
BACKENDS = ("sqlite", "postgresql")

MakeWorkspace = Callable[..., Workspace]

_RESET = """
DROP EXTENSION IF EXISTS "uuid-ossp" CASCADE;
DROP EXTENSION IF EXISTS pgcrypto CASCADE;
DROP SCHEMA IF EXISTS public CASCADE;
CREATE SCHEMA public AUTHORIZATION pg_database_owner;
GRANT USAGE ON SCHEMA public TO PUBLIC;
"""


def psycopg_url(sqlalchemy_url: str) -> str:
    return (
        sa.engine.make_url(sqlalchemy_url)
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )


def run_sql_script(url: str, script: str) -> None:
    """Run a multi-statement script as the services did (simple query protocol)."""
    with psycopg.connect(psycopg_url(url), autocommit=True) as conn:
        conn.execute(script.encode())


class PgPool:
    """Empty PostgreSQL databases, reused across tests."""

    def __init__(self, make: Callable[[str], str]) -> None:
        self.make = make
        self.free: list[str] = []

    def take(self) -> str:
        return self.free.pop() if self.free else self.make("mig")

    def give_back(self, url: str) -> None:
        with suppress(psycopg.Error):  # a database that cannot be emptied is not reused
            run_sql_script(url, _RESET)
            self.free.append(url)


@pytest.fixture(scope="session")
def pg_pool(pg_database: Callable[[str], str]) -> PgPool:
    return PgPool(pg_database)


@contextmanager
def open_workspace(
    request: pytest.FixtureRequest,
    home: Path,
    backend: str,
    sources: tuple[str, ...],
    env: dict[str, str] | None = None,
) -> Iterator[Workspace]:
    values = {"AZORA_HOME": str(home), **(env or {})}
    taken: list[str] = []
    pool: PgPool | None = None
    if backend == "postgresql":
        pool = request.getfixturevalue("pg_pool")
        for source in sources or SOURCES:
            taken.append(pool.take())
            values[f"AZORA_{source.upper()}_URL"] = taken[-1]
    ws = Workspace(Settings.load(env=values, cwd=home))
    try:
        yield ws
    finally:
        ws.close()
        for url in taken:
            assert pool is not None
            pool.give_back(url)


@pytest.fixture
def make_ws(request: pytest.FixtureRequest, home: Path) -> Iterator[MakeWorkspace]:
    """``make_ws(backend, *sources)`` → a workspace whose named sources are empty
    databases on ``backend`` (the others stay embedded and untouched)."""
    opened: list[contextmanager[Workspace]] = []

    def make(backend: str, *sources: str, env: dict[str, str] | None = None) -> Workspace:
        manager = open_workspace(request, home, backend, sources, env)
        opened.append(manager)
        return manager.__enter__()

    yield make
    for manager in reversed(opened):
        manager.__exit__(None, None, None)


def url_of(ws: Workspace, source: str) -> str:
    return ws.settings.source(source).sqlalchemy_url(ws.home)


def leftovers(ws: Workspace, source: str) -> list[str]:
    """Every schema object in the database except the (empty) version table."""
    with ws.engine(source).connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = (
                conn.exec_driver_sql(
                    "SELECT type || ' ' || name FROM sqlite_master "
                    "WHERE name NOT LIKE 'sqlite_%' AND tbl_name NOT LIKE 'alembic_version_%'"
                )
                .scalars()
                .all()
            )
            return sorted(str(r) for r in rows)
        rows = (
            conn.execute(
                sa.text("""
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
        """)
            )
            .scalars()
            .all()
        )
        return sorted(str(r) for r in rows)
