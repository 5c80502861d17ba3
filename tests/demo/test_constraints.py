"""The demo data satisfies every constraint of the schemas.

Seeding loads into the migrated schemas, CHECKs and foreign keys included, so
a successful seed already proves most of it; these tests also check the
foreign keys, unique keys and constitutional rules explicitly, since SQLite
enforces foreign keys only on connections that turn them on.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from azora_nb import demo
from azora_nb.schema import service_tables
from azora_nb.settings import SOURCES
from azora_nb.workspace import Workspace
from tests.demo.conftest import SMALL


def violations(ws: Workspace) -> list[str]:
    found = []
    for source in SOURCES:
        with ws.engine(source).connect() as conn:
            for table in service_tables(source):
                for fk in table.foreign_keys:
                    child, parent = fk.parent, fk.column
                    orphans = (
                        sa.select(sa.func.count())
                        .select_from(table)
                        .where(child.is_not(None), ~sa.exists().where(parent == child))
                    )
                    if n := conn.execute(orphans).scalar_one():
                        found.append(f"{source}.{table.name}.{child.name}: {n} orphans")
                uniques = [
                    list(c.columns)
                    for c in table.constraints
                    if isinstance(c, sa.UniqueConstraint | sa.PrimaryKeyConstraint)
                ]
                uniques += [[c] for c in table.columns if c.unique]
                for columns in uniques:
                    dupes = sa.select(sa.func.count()).select_from(
                        sa.select(*columns)
                        .where(*(c.is_not(None) for c in columns))
                        .group_by(*columns)
                        .having(sa.func.count() > 1)
                        .subquery()
                    )
                    if n := conn.execute(dupes).scalar_one():
                        found.append(f"{source}.{table.name}{[c.name for c in columns]}: {n} dupes")
                for check in table.constraints:
                    if isinstance(check, sa.CheckConstraint):
                        rule = check.sqltext.compile(
                            dialect=conn.dialect, compile_kwargs={"literal_binds": True}
                        )
                        bad = (
                            sa.select(sa.func.count())
                            .select_from(table)
                            .where(sa.text(f"NOT ({rule})"))
                        )
                        if n := conn.execute(bad).scalar_one():
                            found.append(f"{source}.{table.name} {check.name}: {n} rows")
                for column in table.columns:
                    if not column.nullable and not column.primary_key:
                        nulls = (
                            sa.select(sa.func.count()).select_from(table).where(column.is_(None))
                        )
                        if n := conn.execute(nulls).scalar_one():
                            found.append(f"{source}.{table.name}.{column.name}: {n} nulls")
    return found


def test_sqlite_data_meets_every_constraint(sqlite_ws: Workspace) -> None:
    manifest = demo.seed(sqlite_ws, scale=SMALL, progress=False)
    assert all(n > 0 for tables in manifest.counts.values() for n in tables.values())
    assert violations(sqlite_ws) == []


@pytest.mark.postgres
def test_postgres_data_meets_every_constraint(pg_ws: Workspace) -> None:
    demo.seed(pg_ws, scale=SMALL, seed=4, progress=False)
    assert violations(pg_ws) == []


def test_the_checker_sees_a_violation(sqlite_ws: Workspace) -> None:
    """The explicit checks can fail: an orphan session and a duplicate wallet."""
    demo.seed(sqlite_ws, scale=SMALL, progress=False)
    with sqlite_ws.engine("core").begin() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.exec_driver_sql(
            "UPDATE mining_sessions SET user_id = "
            "'00000000-0000-4000-8000-000000000000' WHERE rowid = 1"
        )
    assert any("mining_sessions.user_id" in v for v in violations(sqlite_ws))


def test_rewards_are_paid_by_hash_in_the_ledger(sqlite_ws: Workspace) -> None:
    """Contract: payouts are mint rows, reason knowledge_reward, tx_hash = the reward's
    transactionHash, amount_azr = amount_usd = rewardAmount (outside planted rows)."""
    manifest = demo.seed(sqlite_ws, scale=SMALL, progress=False)
    rewards = sqlite_ws.sql("select * from knowledge_rewards where status = 'PAID'", source="mint")
    ledger = sqlite_ws.sql("select * from treasury_ledger where reason = 'knowledge_reward'")
    planted = {i for a in manifest.anomalies for i in a.keys.values() if isinstance(i, str)}
    clean = rewards[~rewards.id.isin(planted)].merge(
        ledger, left_on="transactionHash", right_on="tx_hash"
    )
    assert len(clean) > 0.9 * (~rewards.id.isin(planted)).sum()
    assert (clean.transaction_type == "mint").all()
    assert (clean.amount_azr == clean.rewardAmount).all()
    assert (clean.amount_usd == clean.rewardAmount).all()
    assert set(rewards.currencyCode) == {"AZR"}
