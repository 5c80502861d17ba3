"""The reporting views give the same rows on PostgreSQL (date_trunc) and SQLite
(the strftime rendering), read through the view tables of azora_nb.schema."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from azora_nb import migrate
from azora_nb.schema import core, mint
from tests.migrations.conftest import BACKENDS, MakeWorkspace


@pytest.mark.parametrize("backend", BACKENDS)
def test_core_views(make_ws: MakeWorkspace, backend: str) -> None:
    ws = make_ws(backend, "core")
    migrate.upgrade(ws, "core")
    march = datetime(2026, 3, 14, 23, 59, 59, 999000, tzinfo=UTC)
    with ws.engine("core").begin() as conn:
        conn.execute(
            core.treasury_ledger.insert(),
            [
                {
                    "transaction_type": "mint",
                    "amount_azr": a,
                    "amount_usd": a,
                    "blockchain_status": s,
                    "created_at": t,
                }
                for a, s, t in [
                    (10, "confirmed", march),
                    (5, "confirmed", datetime(2026, 3, 1, tzinfo=UTC)),
                    (7, "pending", march),
                    (2, "confirmed", datetime(2026, 4, 1, tzinfo=UTC)),
                ]
            ],
        )
        conn.execute(
            core.mining_sessions.insert(),
            [
                {
                    "session_id": f"s{i}",
                    "algorithm": "randomx",
                    "status": "completed",
                    "total_hashrate_mhs": h,
                    "total_earnings_usd": 1.5,
                    "created_at": march,
                }
                for i, h in enumerate([10.0, 20.0])
            ],
        )
        conn.execute(
            core.founder_compensation.insert(),
            [
                {
                    "founder_name": "Ada",
                    "amount_azr": 100,
                    "amount_usd": 100,
                    "month": date(2026, 3, 20),
                    "status": "paid",
                },
                {
                    "founder_name": "Ada",
                    "amount_azr": 50,
                    "amount_usd": 50,
                    "month": date(2026, 3, 1),
                    "status": "paid",
                },
            ],
        )
        summary = (
            conn.execute(sa.select(core.treasury_summary).order_by(core.treasury_summary.c.month))
            .mappings()
            .all()
        )
        mining = conn.execute(sa.select(core.mining_performance)).mappings().one()
        founders = conn.execute(sa.select(core.founder_compensation_summary)).mappings().one()

    assert [(r["month"], r["transaction_count"], r["total_azr"]) for r in summary] == [
        (datetime(2026, 3, 1, tzinfo=UTC), 2, 15.0),
        (datetime(2026, 4, 1, tzinfo=UTC), 1, 2.0),
    ]
    assert summary[0]["avg_circulation_allocation"] == pytest.approx(0.14)
    assert mining["date"] == datetime(2026, 3, 14, tzinfo=UTC)
    assert (mining["session_count"], mining["avg_hashrate"], mining["total_earnings"]) == (
        2,
        15.0,
        3.0,
    )
    assert founders["month"] == datetime(2026, 3, 1, tzinfo=UTC)
    assert (founders["total_usd"], founders["payment_count"]) == (150.0, 2)


@pytest.mark.parametrize("backend", BACKENDS)
def test_allocation_status(make_ws: MakeWorkspace, backend: str) -> None:
    ws = make_ws(backend, "mint")
    migrate.upgrade(ws, "mint")
    user = "0d9c4f4e-7a4b-4c1e-9d55-0b8e1c5d2a10"
    with ws.engine("mint").begin() as conn:
        conn.execute(
            mint.earnings_ledger.insert(),
            [
                {
                    "id": "e1",
                    "user_id": user,
                    "user_type": "enterprise",
                    "amount": 150000,
                    "net_amount": 150000,
                    "reinvest_amount": 0,
                    "source": "s",
                },
                {
                    "id": "e2",
                    "user_id": user,
                    "user_type": "student",
                    "amount": 12345.5,
                    "net_amount": 12345.5,
                    "reinvest_amount": 0,
                    "source": "s",
                },
            ],
        )
        rows = {
            r["category"]: r for r in conn.execute(sa.select(mint.allocation_status)).mappings()
        }
    assert set(rows) == {"Enterprise", "Business", "Student"}
    assert (
        rows["Enterprise"]["minted"],
        rows["Enterprise"]["remaining"],
        rows["Enterprise"]["percent_used"],
    ) == (150000.0, 450000.0, 25.0)
    assert rows["Business"]["minted"] == 0
    assert rows["Student"]["percent_used"] == pytest.approx(12.35)
