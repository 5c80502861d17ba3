"""%load_ext azora_nb: %sql and %%sql in a real IPython shell, with captions and short errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

import azora_nb as az
from azora_nb.magic import MagicUsageError, bind_names, caption_for, split_line
from azora_nb.workspace import Workspace


@pytest.fixture
def shell(schema_ws: Workspace, alert_row: Callable[[Workspace], None]) -> Iterator[Any]:
    alert_row(schema_ws)
    ip = InteractiveShell.instance()
    ip.user_ns["ws"] = schema_ws
    ip.run_line_magic("load_ext", "azora_nb")
    yield ip
    InteractiveShell.clear_instance()


def run(ip: Any, source: str) -> Any:
    result = ip.run_cell(source)
    if result.error_in_exec is not None:
        raise result.error_in_exec
    return result.result


def test_line_magic_returns_a_frame_with_provenance(shell: Any) -> None:
    frame = run(shell, "%sql select severity, count(*) as n from alerts group by severity")
    assert isinstance(frame, pd.DataFrame)
    assert frame.to_dict("records") == [{"severity": "critical", "n": 1}]
    prov = az.provenance(frame)
    assert prov is not None and prov.source == "core" and prov.rows == 1 and not prov.cached


def test_parameters_come_from_the_notebook_namespace(shell: Any) -> None:
    shell.user_ns["level"] = "critical"
    frame = run(shell, "%sql select title from alerts where severity = :level")
    assert frame["title"].tolist() == ["down"]
    shell.user_ns["level"] = "info"
    assert run(shell, "%sql select title from alerts where severity = :level").empty


def test_a_missing_parameter_is_named(shell: Any) -> None:
    result = shell.run_cell("%sql select 1 from alerts where severity = :nowhere")
    assert isinstance(result.error_in_exec, MagicUsageError)
    assert ":nowhere" in str(result.error_in_exec)


def test_cell_magic_assigns_to_a_variable(shell: Any) -> None:
    run(shell, "%%sql --source mint people <<\nselect count(*) as n from users\n")
    assert shell.user_ns["people"]["n"].tolist() == [0]
    assert az.provenance(shell.user_ns["people"]).source == "mint"


def test_line_magic_assignment(shell: Any) -> None:
    assert run(shell, "%sql sev << select severity from alerts") is None
    assert shell.user_ns["sev"]["severity"].tolist() == ["critical"]


def test_cached_results_say_so(shell: Any) -> None:
    first = run(shell, "%sql --cache select count(*) as n from alerts")
    second = run(shell, "%sql --cache select count(*) as n from alerts")
    assert first["n"].tolist() == second["n"].tolist() == [1]
    assert az.provenance(second).cached is True
    assert "cached" in caption_for(second)
    assert (
        az.provenance(run(shell, "%sql --refresh select count(*) as n from alerts")).cached is False
    )


def test_tables_and_columns(shell: Any) -> None:
    tables = run(shell, "%sql --tables --source mint")
    assert "knowledge_rewards" in set(tables["table"])
    columns = run(shell, "%sql --columns users")
    assert set(columns["source"]) == {"core", "mint"}


def test_results_display_a_caption_under_the_table(shell: Any) -> None:
    frame = run(shell, "%sql select * from alerts")
    data, _ = shell.display_formatter.format(frame)
    assert "1 row from core · fresh" in data["text/html"]
    assert "1 row from core · fresh" in data["text/plain"]
    shown = frame.head(0)
    assert caption_for(shown).startswith("0 of 1 row from core")
    plain, _ = shell.display_formatter.format(pd.DataFrame({"a": [1]}))
    assert "from core" not in plain["text/html"]


def test_errors_are_one_short_message(shell: Any, capsys: pytest.CaptureFixture[str]) -> None:
    shell.run_cell("%sql select * from treasury_ledgr")
    err = capsys.readouterr().err
    assert "QueryError: query on core failed" in err
    assert "did you mean 'treasury_ledger'" in err
    assert "Traceback" not in err and "contextlib" not in err


def test_usage_errors_are_explained() -> None:
    with pytest.raises(MagicUsageError, match="unknown option --bogus"):
        split_line("--bogus select 1")
    with pytest.raises(MagicUsageError, match="--source needs a value"):
        split_line("--source")


def test_casts_are_not_placeholders() -> None:
    assert bind_names("select a::text from t where b = :b and c = :c") == ["b", "c"]


def test_every_ws_sql_result_carries_provenance(schema_ws: Workspace) -> None:
    frame = schema_ws.sql("select count(*) as n from alerts")
    prov = az.provenance(frame)
    assert prov is not None and prov.rows == 1 and prov.source == "core" and prov.cached is False
    assert prov.seconds >= 0 and prov.created_at > 0
