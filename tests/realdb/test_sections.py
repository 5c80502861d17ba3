"""A section whose source is missing, unmigrated or hidden says so in one sentence;
other errors still fail the report."""

from __future__ import annotations

from pathlib import Path

import pytest

from azora_nb.exceptions import QueryError, SourceMissing, VisibilityLimited
from azora_nb.sections import explain, section
from azora_nb.settings import Settings
from azora_nb.workspace import Workspace


def test_missing_source_becomes_a_sentence_naming_the_fix(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with (
        Workspace(
            Settings.load(env={"AZORA_HOME": str(home)}, cwd=home), create_databases=False
        ) as ws,
        section("gas") as outcome,
    ):
        ws.sql("select * from earnings_ledger", source="mint")
    assert outcome.skipped is not None
    assert "AZORA_MINT_URL" in outcome.skipped and "db upgrade --source mint" in outcome.skipped
    assert outcome.skipped in capsys.readouterr().out
    assert list(home.iterdir()) == []


def test_unmigrated_tables_and_hidden_rows_are_explained() -> None:
    sqlite = explain(QueryError("mint", "no such table: earnings_ledger"))
    assert sqlite is not None and "no table earnings_ledger" in sqlite
    pg = explain(QueryError("core", 'relation "treasury_ledger" does not exist'))
    assert pg is not None and "db adopt --source core" in pg
    hidden = explain(VisibilityLimited("reward reconciliation", ["core.treasury_ledger: x"]))
    assert hidden is not None and "core.treasury_ledger" in hidden
    assert explain(SourceMissing("gateway", "AZORA_GATEWAY_URL")) is not None


def test_other_errors_still_fail() -> None:
    with pytest.raises(QueryError), section():
        raise QueryError("core", 'syntax error at or near "selec"')
    with pytest.raises(ZeroDivisionError), section():
        _ = 1 / 0
