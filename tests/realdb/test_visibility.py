"""Visibility from the catalog: RLS and missing grants, seen by a real login role."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from azora_nb import visibility
from azora_nb.exceptions import VisibilityLimited
from azora_nb.workspace import Workspace
from tests.realdb.conftest import RlsCore, role_workspace

TABLES = {"core": ["treasury_ledger", "crypto_prices", "no_such_table"]}


@pytest.mark.postgres
def test_rls_role_is_limited_and_owner_is_not(rls_core: RlsCore, home: Path) -> None:
    with role_workspace(home, rls_core.role_url()) as ws:
        view = visibility.check(ws, TABLES)
        assert view.roles() == {"core": rls_core.role}
        limits = view.limits()
        assert any(line.startswith("core.treasury_ledger: row-level security") for line in limits)
        assert not any("no_such_table" in line for line in limits)
        with pytest.raises(VisibilityLimited, match=r"core\.treasury_ledger"):
            visibility.require_full_view(ws, TABLES, "reward reconciliation")
    with role_workspace(home, rls_core.owner_url) as ws:
        assert visibility.check(ws, TABLES).complete
        visibility.require_full_view(ws, TABLES, "reward reconciliation")


@pytest.mark.postgres
def test_missing_select_grant_is_a_limit(rls_core: RlsCore, home: Path) -> None:
    engine = sa.create_engine(rls_core.owner_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'REVOKE SELECT ON crypto_prices FROM "{rls_core.role}"')
        conn.exec_driver_sql(f'ALTER ROLE "{rls_core.role}" BYPASSRLS')
    engine.dispose()
    with role_workspace(home, rls_core.role_url()) as ws:
        assert visibility.check(ws, TABLES).limits() == [
            f"core.crypto_prices: role {rls_core.role} has no SELECT on it"
        ]


def test_sqlite_and_missing_sources_limit_nothing(embedded_settings: object, home: Path) -> None:
    with Workspace(embedded_settings, create_databases=False) as ws:  # type: ignore[arg-type]
        view = visibility.check(ws, {"core": ["treasury_ledger"], "mint": ["knowledge_rewards"]})
        assert view.complete
        assert view.source("mint") is not None and "db upgrade" in (view.source("mint").error or "")
    assert list(home.iterdir()) == []


@pytest.mark.postgres
def test_reward_reconciliation_refuses_a_partial_view(
    rls_core: RlsCore, home: Path, pg_database: Callable[[str], str]
) -> None:
    """A role under RLS sees no ledger rows: without the guard every paid reward would be
    reported as paid without a ledger entry."""
    from azora_nb import migrate
    from azora_nb.analytics import rewards
    from azora_nb.schema import mint

    mint_url = pg_database("rlsmint")
    with role_workspace(home, rls_core.owner_url, AZORA_MINT_URL=mint_url) as ws:
        migrate.upgrade(ws, "mint")
        with ws.engine("mint").begin() as conn:
            conn.execute(
                mint.users.insert(),
                [
                    {
                        "id": "u1",
                        "azoraId": "a1",
                        "walletAddress": "0xaaa",
                        "updatedAt": "2026-01-01",
                    }
                ],
            )
            conn.execute(
                mint.knowledge_rewards.insert(),
                [
                    {
                        "id": "r1",
                        "userId": "u1",
                        "rewardAmount": 5.0,
                        "currencyCode": "AZR",
                        "sourceTrxId": "s1",
                        "transactionHash": "t1",
                        "status": "PAID",
                    }
                ],
            )
    with role_workspace(home, rls_core.role_url(), AZORA_MINT_URL=mint_url) as ws:
        with pytest.raises(VisibilityLimited, match=r"core\.treasury_ledger"):
            rewards.reconcile(ws)
        findings = rewards.audit(ws, as_of="2030-01-01")
        assert "reward_paid_without_ledger" not in set(findings["kind"])
