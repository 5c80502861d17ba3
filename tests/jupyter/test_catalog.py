"""ws.tables(), ws.columns() and "did you mean" in query errors, on both backends."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from azora_nb.catalog import closest, missing_name
from azora_nb.exceptions import QueryError
from azora_nb.workspace import Workspace


def test_tables_lists_each_source_and_says_why_one_is_missing(
    sqlite_schema_ws: Workspace,
) -> None:
    frame = sqlite_schema_ws.tables()
    core = set(frame.loc[frame["source"] == "core", "table"])
    assert {"treasury_ledger", "alerts", "users"} <= core
    assert "knowledge_rewards" in set(frame.loc[frame["source"] == "mint", "table"])
    gateway = frame.loc[frame["source"] == "gateway", "table"].tolist()
    assert len(gateway) == 1 and "db upgrade --source gateway" in gateway[0]
    # Looking did not create the database file it reported missing.
    assert not (sqlite_schema_ws.home / "gateway.sqlite").exists()


def test_tables_of_one_source(schema_ws: Workspace) -> None:
    frame = schema_ws.tables("mint")
    assert set(frame["source"]) == {"mint"}
    assert "knowledge_rewards" in set(frame["table"])
    assert "treasury_ledger" not in set(frame["table"])


def test_columns_of_a_table_in_two_sources_lists_both(schema_ws: Workspace) -> None:
    frame = schema_ws.columns("users")
    assert set(frame["source"]) == {"core", "mint"}
    core = frame[frame["source"] == "core"]
    assert list(core.columns) == ["source", "column", "type", "nullable", "default", "primary_key"]
    assert bool(core.loc[core["column"] == "id", "primary_key"].item())


def test_columns_of_an_unknown_table_suggests_one(schema_ws: Workspace) -> None:
    with pytest.raises(QueryError, match=r"did you mean 'treasury_ledger'"):
        schema_ws.columns("treasury_ledgr")


def test_a_table_typo_suggests_the_name(schema_ws: Workspace) -> None:
    with pytest.raises(QueryError) as info:
        schema_ws.sql("select count(*) from treasury_ledgr")
    message = str(info.value)
    assert "did you mean 'treasury_ledger'" in message
    assert message.count("\n") == 0


def test_a_table_in_another_source_is_named(schema_ws: Workspace) -> None:
    with pytest.raises(QueryError, match=r"'knowledge_rewards' is in mint: pass source='mint'"):
        schema_ws.sql("select * from knowledge_rewards")


def test_a_column_typo_suggests_the_column(
    schema_ws: Workspace, alert_row: Callable[[Workspace], None]
) -> None:
    alert_row(schema_ws)
    with pytest.raises(QueryError, match=r"did you mean 'severity'"):
        schema_ws.sql("select severty from alerts")


def test_an_unrelated_error_has_no_hint(schema_ws: Workspace) -> None:
    with pytest.raises(QueryError) as info:
        schema_ws.sql("select 1/0 as broken from alerts where true and")
    assert "did you mean" not in str(info.value)


@pytest.mark.parametrize(
    ("message", "kind", "name"),
    [
        ('relation "public.treasury_ledgr" does not exist', "table", "treasury_ledgr"),
        ("no such table: main.alertz", "table", "alertz"),
        ('column "severty" does not exist', "column", "severty"),
        ("column a.severty does not exist", "column", "severty"),
        ("no such column: severty", "column", "severty"),
        ("division by zero", None, None),
    ],
)
def test_missing_names_are_read_from_both_backends_wording(
    message: str, kind: str | None, name: str | None
) -> None:
    found = missing_name(message)
    assert (found.kind, found.name) == (kind, name) if found else kind is None


def test_closest_ignores_case_and_unrelated_names() -> None:
    assert closest("ALERTS", ["alerts", "users"]) == ["alerts"]
    assert closest("zzz", ["alerts", "users"]) == []
