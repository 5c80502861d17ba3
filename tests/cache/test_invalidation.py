"""Invalidation by table, on both backends: a write announced with ``invalidate`` is seen
by the next call; unrelated tables keep their entries."""

from __future__ import annotations

import logging

import pandas as pd
import pytest
import sqlalchemy as sa

import azora_nb as az
from azora_nb.cache import invalidate
from azora_nb.workspace import Workspace


@pytest.fixture
def ledger(ws: Workspace) -> Workspace:
    ws.execute("create table treasury_ledger (id integer primary key, amount real)")
    ws.execute("create table alerts (id integer primary key)")
    ws.execute("insert into treasury_ledger values (1, 10.0), (2, 5.5)")
    ws.execute("insert into alerts values (1)")
    return ws


COUNT = "select count(*) as n, sum(amount) as total from treasury_ledger"


def test_a_row_inserted_by_anyone_is_seen(ledger: Workspace) -> None:
    ws = ledger
    assert ws.sql(COUNT, cache=True)["n"][0] == 2
    assert az.provenance(ws.sql(COUNT, cache=True)).cached
    ws.execute("insert into treasury_ledger values (3, 1.0)")  # nothing announced
    fresh = ws.sql(COUNT, cache=True)
    assert fresh["n"][0] == 3
    assert not az.provenance(fresh).cached
    again = ws.sql(COUNT, cache=True)
    assert az.provenance(again).cached
    assert "change counter" in az.provenance(again).freshness


def test_an_announced_change_is_a_miss_even_without_a_write(ledger: Workspace) -> None:
    ws = ledger
    ws.sql(COUNT, cache=True)
    invalidate(ws, "core", ["treasury_ledger"])
    assert not az.provenance(ws.sql(COUNT, cache=True)).cached


def test_other_tables_keep_their_entries(ledger: Workspace) -> None:
    ws = ledger
    ws.sql("select count(*) as n from alerts", cache=True)
    invalidate(ws, "core", ["treasury_ledger"])
    assert az.provenance(ws.sql("select count(*) as n from alerts", cache=True)).cached


def test_invalidation_is_seen_by_another_workspace(ledger: Workspace, make_ws) -> None:
    other = make_ws()
    assert other.sql(COUNT, cache=True)["n"][0] == 2
    assert az.provenance(ledger.sql(COUNT, cache=True)).cached
    ledger.execute("insert into treasury_ledger values (3, 1.0)")
    invalidate(other, "core", ["public.Treasury_Ledger"])  # spelling is normalised
    assert ledger.sql(COUNT, cache=True)["n"][0] == 3


def test_core_statements_are_invalidated_by_their_tables(ledger: Workspace) -> None:
    ws = ledger
    table = sa.table("treasury_ledger", sa.column("id"), sa.column("amount"))
    alerts = sa.table("alerts", sa.column("id"))
    stmt = (
        sa.select(sa.func.count().label("n"))
        .select_from(table)
        .where(table.c.id.not_in(sa.select(alerts.c.id).where(alerts.c.id > 100)))
    )
    assert ws.sql(stmt, cache=True)["n"][0] == 2
    assert az.provenance(ws.sql(stmt, cache=True)).cached
    invalidate(ws, "core", ["alerts"])  # the table of the subquery is tracked too
    assert not az.provenance(ws.sql(stmt, cache=True)).cached


def test_parameters_and_sql_make_distinct_entries(ledger: Workspace) -> None:
    ws = ledger
    query = "select count(*) as n from treasury_ledger where id >= :low"
    assert ws.sql(query, {"low": 1}, cache=True)["n"][0] == 2
    assert ws.sql(query, {"low": 2}, cache=True)["n"][0] == 1
    assert ws.sql(query, {"low": "2"}, cache=True)["n"][0] == 1
    assert not az.provenance(ws.sql(query, {"low": 2.0}, cache=True)).cached
    # Layout and comments do not matter; string literals do.
    ws.sql("select 'a  b' as s from alerts", cache=True)
    spaced = ws.sql("SELECT   'a  b' AS s  -- note\n FROM alerts", cache=True)
    assert az.provenance(spaced).cached
    assert ws.sql("select 'a b' as s from alerts", cache=True)["s"][0] == "a b"


def test_refresh_reruns_and_overwrites(ledger: Workspace) -> None:
    ws = ledger
    ws.sql(COUNT, cache=True)
    ws.execute("insert into treasury_ledger values (3, 1.0)")
    assert ws.sql(COUNT, refresh=True)["n"][0] == 3
    again = ws.sql(COUNT, cache=True)
    assert again["n"][0] == 3 and az.provenance(again).cached


def test_unknown_tables_fall_back_to_ttl_with_a_warning(
    ledger: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    ws = ledger
    query = "select value as n from json_each('[1,2]')"
    with caplog.at_level(logging.WARNING, logger="azora_nb"):
        first = ws.sql(query, cache=True)
    assert "cannot tell which tables" in caplog.text
    assert az.provenance(first).ttl_only
    assert az.provenance(ws.sql(query, cache=True)).cached
    # Declared tables make it invalidatable.
    ws.sql(query, cache=True, tables=["alerts"])
    invalidate(ws, "core", ["alerts"])
    assert not az.provenance(ws.sql(query, cache=True, tables=["alerts"])).cached


def test_writes_are_never_cached(ledger: Workspace) -> None:
    ws = ledger
    ws.sql("insert into alerts values (7)", cache=True)
    ws.sql("insert into alerts values (8)", cache=True)
    assert ws.sql("select count(*) as n from alerts")["n"][0] == 3


def test_ttl_expires_entries(ledger: Workspace) -> None:
    import time

    ws = ledger
    ws.sql(COUNT, cache=True, ttl=1.0)
    assert az.provenance(ws.sql(COUNT, cache=True, ttl=1.0)).cached
    time.sleep(1.2)
    assert not az.provenance(ws.sql(COUNT, cache=True, ttl=1.0)).cached


def test_postgres_source_is_invalidated(make_ws, pg_core: str) -> None:
    ws = make_ws(AZORA_CORE_URL=pg_core)
    ws.execute("create table if not exists rewards (id serial primary key, amount numeric)")
    ws.execute("truncate rewards")
    ws.execute("insert into rewards (amount) values (1.5)")
    query = "select count(*) as n, sum(amount) as total from public.rewards"
    assert ws.sql(query, cache=True)["n"][0] == 1
    ws.execute("insert into rewards (amount) values (2)")
    assert ws.sql(query, cache=True)["n"][0] == 1
    invalidate(ws, "core", ["rewards"])
    result = ws.sql(query, cache=True)
    assert result["n"][0] == 2 and result["total"][0] == 3.5


def test_in_lists_are_part_of_the_key(ledger: Workspace) -> None:
    ws = ledger
    table = sa.table("treasury_ledger", sa.column("id"))
    literal = [
        sa.select(sa.func.count().label("n")).select_from(table).where(table.c.id.in_(ids))
        for ids in ([1], [1, 2])
    ]
    assert [ws.sql(s, cache=True)["n"][0] for s in literal] == [1, 2]
    late = (
        sa.select(sa.func.count().label("n"))
        .select_from(table)
        .where(table.c.id.in_(sa.bindparam("ids", expanding=True)))
    )
    assert ws.sql(late, {"ids": [2]}, cache=True)["n"][0] == 1
    assert ws.sql(late, {"ids": [1, 2]}, cache=True)["n"][0] == 2
    assert az.provenance(ws.sql(late, {"ids": [1, 2]}, cache=True)).cached


def test_a_write_announced_while_the_query_runs_is_not_hidden(ledger: Workspace) -> None:
    ws = ledger
    calls: list[int] = []

    @az.cached(ws, tables=["treasury_ledger"])
    def count() -> pd.DataFrame:
        frame = ws.sql("select count(*) as n from treasury_ledger")
        if not calls:  # another kernel writes while this query is running
            ws.execute("insert into treasury_ledger values (9, 9.0)")
            invalidate(ws, "core", ["treasury_ledger"])
        calls.append(int(frame["n"][0]))
        return frame

    assert count()["n"][0] == 2
    assert count()["n"][0] == 3, "the entry made during the write was stale at once"
    assert az.provenance(count()).cached
    assert calls == [2, 3]
