"""Row-level security on PostgreSQL, seen by a non-superuser analyst role."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from azora_nb import migrate
from azora_nb.schema import core
from azora_nb.workspace import Workspace
from tests.conftest import RUN_ID
from tests.migrations.conftest import PRODUCTION_SQL, MakeWorkspace, run_sql_script, url_of

pytestmark = pytest.mark.postgres

WALLET_A = "0xaaa"
WALLET_B = "0xbbb"


@pytest.fixture
def analyst(make_ws: MakeWorkspace) -> Iterator[tuple[Workspace, sa.Engine, str]]:
    """A core database at head, some ledger rows, and an engine plus a role with only
    SELECT on it; the role is dropped afterwards."""
    ws = make_ws("postgresql", "core")
    migrate.upgrade(ws, "core")
    with _with_role(ws) as made:
        yield made


@contextmanager
def _with_role(ws: Workspace) -> Iterator[tuple[Workspace, sa.Engine, str]]:
    role = f"azt_{RUN_ID}_analyst_{uuid.uuid4().hex[:6]}"
    # Its own engine without pooling: SET ROLE must not leak into the workspace's pool.
    engine = sa.create_engine(url_of(ws, "core"), poolclass=NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE ROLE "{role}" NOLOGIN NOSUPERUSER NOBYPASSRLS')
        conn.exec_driver_sql(f'GRANT USAGE ON SCHEMA public TO "{role}"')
        conn.exec_driver_sql(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"')
    try:
        yield ws, engine, role
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
            conn.exec_driver_sql(f'DROP ROLE "{role}"')
        engine.dispose()


def _insert_ledger(ws: Workspace) -> None:
    rows = [
        {"tx_hash": "t1", "recipient_address": WALLET_A, "sender_address": "0xtreasury"},
        {"tx_hash": "t2", "recipient_address": "0xtreasury", "sender_address": WALLET_A},
        {"tx_hash": "t3", "recipient_address": WALLET_B, "sender_address": "0xtreasury"},
    ]
    with ws.engine("core").begin() as conn:
        conn.execute(
            core.treasury_ledger.insert(),
            [{**r, "transaction_type": "transfer", "amount_azr": 5, "amount_usd": 5} for r in rows],
        )


def _visible(conn: sa.Connection, role: str) -> list[str]:
    conn.exec_driver_sql(f'SET ROLE "{role}"')
    return sorted(conn.execute(sa.select(core.treasury_ledger.c.tx_hash)).scalars())


def test_only_the_wallets_own_ledger_rows_are_visible(
    analyst: tuple[Workspace, sa.Engine, str],
) -> None:
    ws, engine, role = analyst
    _insert_ledger(ws)
    with engine.connect() as conn:
        conn.execute(sa.select(sa.func.set_config("app.current_user_wallet", WALLET_A, False)))
        assert _visible(conn, role) == ["t1", "t2"]
        conn.execute(sa.select(sa.func.set_config("app.current_user_wallet", WALLET_B, False)))
        assert _visible(conn, role) == ["t3"]
    # The owner is not subject to the policy.
    with ws.engine("core").connect() as conn:
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(core.treasury_ledger)).scalar() == 3
        )


def test_without_the_setting_no_rows_and_no_error(
    analyst: tuple[Workspace, sa.Engine, str],
) -> None:
    ws, engine, role = analyst
    _insert_ledger(ws)
    with ws.engine("core").begin() as conn:
        conn.execute(core.users.insert(), [{"wallet_address": WALLET_A}])
    with engine.connect() as conn:
        assert _visible(conn, role) == []
        assert conn.execute(sa.select(core.users.c.id)).all() == []
        # A setting reset to the empty string behaves the same.
        conn.exec_driver_sql("SET app.current_user_wallet = ''")
        conn.exec_driver_sql("SET app.current_user_id = ''")
        assert _visible(conn, role) == []
        assert conn.execute(sa.select(core.users.c.id)).all() == []


def test_users_see_their_own_row_and_founder_pay_is_hidden(
    analyst: tuple[Workspace, sa.Engine, str],
) -> None:
    ws, engine, role = analyst
    with ws.engine("core").begin() as conn:
        ids = (
            conn.execute(
                core.users.insert().returning(core.users.c.id),
                [{"wallet_address": WALLET_A}, {"wallet_address": WALLET_B}],
            )
            .scalars()
            .all()
        )
        conn.execute(
            core.founder_compensation.insert(),
            [{"founder_name": "F", "amount_azr": 1, "amount_usd": 1, "month": "2026-01-01"}],
        )
    with engine.connect() as conn:
        conn.execute(sa.select(sa.func.set_config("app.current_user_id", ids[0], False)))
        conn.exec_driver_sql(f'SET ROLE "{role}"')
        assert conn.execute(sa.select(core.users.c.wallet_address)).scalars().all() == [WALLET_A]
        assert conn.execute(sa.select(core.founder_compensation.c.id)).all() == []


def test_production_policies_fail_without_the_setting(make_ws: MakeWorkspace) -> None:
    """The defect the migration fixes: production's policies raise instead."""
    ws = make_ws("postgresql", "core")
    run_sql_script(url_of(ws, "core"), (PRODUCTION_SQL / "core.sql").read_text())
    with (
        _with_role(ws) as (_ws, engine, role),
        engine.connect() as conn,
        pytest.raises(sa.exc.ProgrammingError, match=r"app\.current_user_wallet"),
    ):
        _visible(conn, role)
