"""Fixtures for reports on real databases: a core on PostgreSQL read by a login role
that is subject to row-level security."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from azora_nb import migrate
from azora_nb.schema import core
from azora_nb.settings import Settings
from azora_nb.workspace import Workspace
from tests.conftest import RUN_ID

WALLET_A = "0xaaa"
WALLET_B = "0xbbb"


@dataclass(frozen=True)
class RlsCore:
    """A migrated core database with three ledger rows (two touch WALLET_A, one
    WALLET_B), its owner's URL, and a login role with SELECT only."""

    owner_url: str
    role: str

    def role_url(self, **query: str) -> str:
        url = sa.engine.make_url(self.owner_url).set(username=self.role)
        return url.update_query_dict(query).render_as_string(hide_password=False)


@pytest.fixture
def rls_core(pg_database: Callable[[str], str], home: Path) -> Iterator[RlsCore]:
    owner_url = pg_database("rls")
    with Workspace(Settings.load(env={"AZORA_HOME": str(home), "AZORA_CORE_URL": owner_url})) as ws:
        migrate.upgrade(ws, "core")
        with ws.engine("core").begin() as conn:
            conn.execute(
                core.treasury_ledger.insert(),
                [
                    {
                        "tx_hash": tx,
                        "recipient_address": to,
                        "sender_address": sender,
                        "transaction_type": "transfer",
                        "amount_azr": 5,
                        "amount_usd": 5,
                    }
                    for tx, to, sender in (
                        ("t1", WALLET_A, "0xtreasury"),
                        ("t2", "0xtreasury", WALLET_A),
                        ("t3", WALLET_B, "0xtreasury"),
                    )
                ],
            )
    role = f"azt_{RUN_ID}_reader_{uuid.uuid4().hex[:6]}"
    engine = sa.create_engine(owner_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS')
        conn.exec_driver_sql(f'GRANT USAGE ON SCHEMA public TO "{role}"')
        conn.exec_driver_sql(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"')
    try:
        yield RlsCore(owner_url, role)
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                (role,),
            )
            conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
            conn.exec_driver_sql(f'DROP ROLE "{role}"')
        engine.dispose()


def role_workspace(home: Path, url: str, **env: str) -> Workspace:
    return Workspace(Settings.load(env={"AZORA_HOME": str(home), "AZORA_CORE_URL": url, **env}))
