"""CHECK, FOREIGN KEY and default values hold on both backends."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from azora_nb import migrate
from azora_nb.schema import core, mint, toolkit
from azora_nb.workspace import Workspace
from tests.migrations.conftest import BACKENDS, open_workspace

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@pytest.fixture(scope="module", params=BACKENDS)
def ws(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Workspace]:
    """One core and one mint database per backend for the module; tests use their own
    keys and do not depend on what other tests inserted."""
    home = tmp_path_factory.mktemp("home")
    with open_workspace(request, home, request.param, ("core", "mint")) as workspace:
        migrate.upgrade(workspace, "core")
        migrate.upgrade(workspace, "mint")
        yield workspace


def ledger(**overrides: Any) -> dict[str, Any]:
    return {"transaction_type": "mint", "amount_azr": 10.5, "amount_usd": 10.5, **overrides}


def insert(ws: Workspace, source: str, table: sa.Table, row: dict[str, Any]) -> None:
    with ws.engine(source).begin() as conn:
        conn.execute(table.insert(), [row])


def rejected(ws: Workspace, source: str, table: sa.Table, row: dict[str, Any]) -> None:
    with pytest.raises(sa.exc.IntegrityError):
        insert(ws, source, table, row)


def test_a_row_with_the_default_allocations_is_accepted(ws: Workspace) -> None:
    insert(ws, "core", core.treasury_ledger, ledger(tx_hash="ok"))
    with ws.engine("core").connect() as conn:
        row = (
            conn.execute(
                sa.select(core.treasury_ledger).where(core.treasury_ledger.c.tx_hash == "ok")
            )
            .mappings()
            .one()
        )
    allocations = [row[name] for name in core.ALLOCATION_DEFAULTS]
    assert allocations == [0.70, 0.11, 0.05, 0.14]
    assert UUID4.match(row["id"])
    assert row["created_at"].tzinfo is not None
    assert abs(row["created_at"] - datetime.now(UTC)) < timedelta(minutes=5)


def test_allocations_must_sum_to_one(ws: Workspace) -> None:
    rejected(ws, "core", core.treasury_ledger, ledger(circulation_allocation=0.2390))
    insert(
        ws,
        "core",
        core.treasury_ledger,
        ledger(
            treasury_allocation=0.5,
            founder_allocation=0.2,
            burn_allocation=0.1,
            circulation_allocation=0.2,
        ),
    )


def test_azr_and_usd_amounts_must_be_equal(ws: Workspace) -> None:
    rejected(ws, "core", core.treasury_ledger, ledger(amount_usd=10.49))


@pytest.mark.parametrize(
    ("source", "table", "row"),
    [
        ("core", core.treasury_ledger, ledger(transaction_type="gift")),
        ("core", core.mining_sessions, {"session_id": "s", "algorithm": "x", "status": "paused"}),
        ("core", core.alerts, {"alert_type": "a", "title": "t", "severity": "fatal"}),
        ("core", core.system_health, {"component": "api", "status": "fine"}),
        (
            "mint",
            mint.earnings_ledger,
            {
                "id": "e",
                "user_id": "0d9c4f4e-7a4b-4c1e-9d55-0b8e1c5d2a10",
                "user_type": "robot",
                "amount": 1,
                "net_amount": 1,
                "reinvest_amount": 0,
                "source": "s",
            },
        ),
        (
            "mint",
            mint.minting_transactions,
            {
                "id": "m",
                "amount_azr": 1,
                "amount_usd": 1,
                "user_id": "0d9c4f4e-7a4b-4c1e-9d55-0b8e1c5d2a10",
                "blockchain_status": "lost",
            },
        ),
        ("core", toolkit.sync_runs, {"run_id": "r", "sync_name": "s", "status": "paused"}),
    ],
)
def test_unknown_enum_values_are_rejected(
    ws: Workspace, source: str, table: sa.Table, row: dict[str, Any]
) -> None:
    rejected(ws, source, table, row)


def test_prisma_foreign_keys_cascade(ws: Workspace) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rejected(
        ws,
        "mint",
        mint.user_balances,
        {"id": "b0", "userId": "nobody", "currencyCode": "AZR", "amount": 1.0},
    )
    insert(
        ws,
        "mint",
        mint.users,
        {"id": "u1", "azoraId": "a1", "walletAddress": "w1", "updatedAt": now},
    )
    insert(
        ws,
        "mint",
        mint.user_balances,
        {"id": "b1", "userId": "u1", "currencyCode": "AZR", "amount": 123456.78},
    )
    rejected(
        ws,
        "mint",
        mint.user_balances,
        {"id": "b2", "userId": "u1", "currencyCode": "AZR", "amount": 1.0},
    )
    with ws.engine("mint").begin() as conn:
        amount = conn.execute(sa.select(mint.user_balances.c.amount)).scalar_one()
        conn.execute(mint.users.delete().where(mint.users.c.id == "u1"))
        left = conn.execute(
            sa.select(sa.func.count())
            .select_from(mint.user_balances)
            .where(mint.user_balances.c.userId == "u1")
        ).scalar()
    assert amount == 123456.78  # DOUBLE PRECISION keeps the cents
    assert left == 0


def test_pool_statistics_are_seeded(ws: Workspace) -> None:
    with ws.engine("mint").connect() as conn:
        rows = conn.execute(
            sa.select(mint.pool_statistics.c.pool_type, mint.pool_statistics.c.total_minted)
        ).all()
    assert sorted(rows) == sorted((p, 0.0) for p in mint.POOL_TYPES)
