"""Who asks is part of every key: two real PostgreSQL roles with different grants, two
row-level-security settings, and a role that cannot log in. Roles get names unique to
the run and are dropped afterwards."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import azora_nb as az
from azora_nb.exceptions import QueryError, StoreUnavailable
from azora_nb.settings import Settings
from azora_nb.workspace import Workspace

SETUP = """
create table founder_compensation (id integer primary key, amount numeric);
insert into founder_compensation values (1, 1000000), (2, 250000);
create table public_stats (id integer primary key, users integer);
insert into public_stats values (1, 42);
create table tenant_rows (id integer primary key, tenant text, secret text);
insert into tenant_rows values (1, 'a', 'alpha'), (2, 'b', 'beta');
alter table tenant_rows enable row level security;
create policy by_tenant on tenant_rows using (tenant = current_setting('app.tenant', true));
create schema other;
create table other.public_stats (id integer, users integer);
insert into other.public_stats values (1, 7);
"""


@pytest.fixture(scope="module")
def roles(pg_database: Callable[[str], str], pg_admin: sa.Engine) -> Iterator[dict[str, str]]:
    """A database and three roles on it: ``full`` reads everything, ``limited`` only
    public_stats and tenant_rows, ``locked`` may not log in. Yields their URLs."""
    admin_url = sa.engine.make_url(pg_database("identity"))
    tag = uuid.uuid4().hex[:8]
    names = {kind: f"azt_{kind}_{tag}" for kind in ("full", "limited", "locked")}
    db_admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with db_admin.connect() as conn:
        conn.exec_driver_sql(SETUP)
        conn.exec_driver_sql(f"create role {names['full']} login password 'pw-full'")
        conn.exec_driver_sql(f"create role {names['limited']} login password 'pw-lim'")
        conn.exec_driver_sql(f"create role {names['locked']} nologin password 'pw-locked'")
        for role in names.values():
            conn.exec_driver_sql(f"grant usage on schema other to {role}")
            conn.exec_driver_sql(
                f"grant select on public_stats, tenant_rows, other.public_stats to {role}"
            )
        conn.exec_driver_sql(f"grant select on founder_compensation to {names['full']}")
        conn.exec_driver_sql(f"grant select on founder_compensation to {names['locked']}")
    _wait_for_table_counters(db_admin, inserted=6)
    urls = {
        kind: admin_url.set(username=name, password=f"pw-{kind}").render_as_string(
            hide_password=False
        )
        for kind, name in names.items()
    }
    urls["admin"] = admin_url.render_as_string(hide_password=False)
    yield urls
    with db_admin.connect() as conn:
        for role in names.values():
            conn.exec_driver_sql(f"drop owned by {role}")
    db_admin.dispose()
    with pg_admin.connect() as conn:
        for role in names.values():
            conn.exec_driver_sql(f"drop role if exists {role}")


def _wait_for_table_counters(engine: sa.Engine, inserted: int) -> None:
    """Wait until pg_stat_user_tables shows the set-up inserts. A backend publishes its
    table counters up to a second after it commits; without this wait the cache's
    counter markers (no triggers here) could change between a test's first and second
    call, making the second a miss for reasons that have nothing to do with identity."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            seen = conn.exec_driver_sql(
                "select coalesce(sum(n_tup_ins), 0) from pg_stat_user_tables"
            ).scalar()
        if seen is not None and int(seen) >= inserted:
            return
        time.sleep(0.1)
    raise AssertionError("PostgreSQL did not publish the set-up's table counters in 10 s")


@pytest.fixture
def as_role(
    cache_env: dict[str, str], roles: dict[str, str], home: Path
) -> Iterator[Callable[..., Workspace]]:
    """Workspaces sharing one cache, each connected as one role."""
    opened: list[Workspace] = []

    def make(kind: str, **extra: str) -> Workspace:
        env = {**cache_env, "AZORA_CORE_URL": roles[kind], "AZORA_CONNECT_TIMEOUT": "2", **extra}
        ws = Workspace(Settings.load(env=env, cwd=home))
        opened.append(ws)
        return ws

    yield make
    for ws in opened:
        ws.close()


SECRET_QUERY = "select sum(amount) as total from founder_compensation"


def test_a_role_without_the_grant_never_gets_the_cached_result(as_role) -> None:
    full, limited = as_role("full"), as_role("limited")
    assert float(full.sql(SECRET_QUERY, cache=True)["total"][0]) == 1250000
    assert az.provenance(full.sql(SECRET_QUERY, cache=True)).cached
    with pytest.raises(QueryError, match="permission denied"):
        limited.sql(SECRET_QUERY, cache=True)
    with pytest.raises(QueryError, match="permission denied"):
        limited.sql(SECRET_QUERY, cache=True, refresh=True)


def test_a_revoked_grant_stops_hits_at_once(as_role, roles) -> None:
    full = as_role("full")
    full.sql(SECRET_QUERY, cache=True)
    assert az.provenance(full.sql(SECRET_QUERY, cache=True)).cached
    role = sa.engine.make_url(roles["full"]).username
    admin = as_role("admin")
    admin.execute(f"revoke select on founder_compensation from {role}")
    try:
        with pytest.raises(QueryError, match="permission denied"):
            full.sql(SECRET_QUERY, cache=True)
    finally:
        admin.execute(f"grant select on founder_compensation to {role}")


def test_a_role_that_cannot_connect_never_gets_a_hit(as_role) -> None:
    full, locked = as_role("full"), as_role("locked")
    full.sql(SECRET_QUERY, cache=True)
    with pytest.raises(StoreUnavailable):
        locked.sql(SECRET_QUERY, cache=True)


def test_two_roles_with_the_same_grant_have_their_own_entries(as_role) -> None:
    full, limited = as_role("full"), as_role("limited")
    full.sql("select users from public_stats", cache=True)
    first = limited.sql("select users from public_stats", cache=True)
    assert not az.provenance(first).cached, "keyed by current_user"
    assert az.provenance(limited.sql("select users from public_stats", cache=True)).cached


def test_row_level_security_settings_are_part_of_the_key(as_role) -> None:
    tenant_a = as_role("limited", AZORA_CORE_SESSION="app.tenant=a")
    tenant_b = as_role("limited", AZORA_CORE_SESSION="app.tenant=b")
    query = "select secret from tenant_rows order by id"
    assert tenant_a.sql(query, cache=True)["secret"].tolist() == ["alpha"]
    assert az.provenance(tenant_a.sql(query, cache=True)).cached
    seen_by_b = tenant_b.sql(query, cache=True)
    assert seen_by_b["secret"].tolist() == ["beta"]
    assert not az.provenance(seen_by_b).cached
    assert tenant_a.sql(query, cache=True)["secret"].tolist() == ["alpha"]


def test_the_search_path_is_part_of_the_key(as_role) -> None:
    query = "select users from public_stats"
    assert as_role("full").sql(query, cache=True)["users"][0] == 42
    other = as_role("full", AZORA_CORE_SESSION="search_path=other,public")
    assert other.sql(query, cache=True)["users"][0] == 7
