"""as_of defaults to the data: the end of the latest complete day, or today."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from azora_nb import migrate
from azora_nb.asof import default_as_of, latest_complete_day_end
from azora_nb.schema import core
from azora_nb.settings import Settings
from azora_nb.workspace import Workspace

NOW = datetime(2026, 12, 4, 10, tzinfo=UTC)


def test_the_day_of_the_newest_row_counts_once_it_is_over() -> None:
    assert latest_complete_day_end(datetime(2026, 3, 1, 23, 59, tzinfo=UTC), NOW) == date(
        2026, 3, 2
    )
    assert latest_complete_day_end(datetime(2026, 12, 4, 9, tzinfo=UTC), NOW) == date(2026, 12, 4)
    # Data newer than now (clock skew, planted rows) does not move as_of past today.
    assert latest_complete_day_end(datetime(2027, 1, 1, tzinfo=UTC), NOW) == date(2026, 12, 4)
    assert latest_complete_day_end(None, NOW) == date(2026, 12, 4)


def test_default_as_of_reads_the_reports_table(home: Path) -> None:
    settings = Settings.load(env={"AZORA_HOME": str(home)}, cwd=home)
    with Workspace(settings, create_databases=False) as report:
        assert default_as_of(report, "rewards", NOW) == "2026-12-04"  # no mint database at all
        assert default_as_of(report, "treasury", NOW) == "2026-12-04"
    assert list(home.iterdir()) == []
    with Workspace(settings) as ws:
        migrate.upgrade(ws, "core")
        with Workspace(settings, create_databases=False) as report:
            assert default_as_of(report, "treasury", NOW) == "2026-12-04"  # empty table
        with ws.engine("core").begin() as conn:
            conn.execute(
                core.treasury_ledger.insert(),
                [
                    {
                        "tx_hash": f"t{day}",
                        "transaction_type": "mint",
                        "amount_azr": 1,
                        "amount_usd": 1,
                        "created_at": datetime(2026, 5, day, 12, tzinfo=UTC),
                    }
                    for day in (3, 17)
                ],
            )
    with Workspace(settings, create_databases=False) as report:
        assert default_as_of(report, "treasury", NOW) == "2026-05-18"
    assert not (home / "mint.sqlite").exists()


def test_report_workspace_never_creates_a_database_file(home: Path) -> None:
    import pytest

    from azora_nb.exceptions import SourceMissing

    settings = Settings.load(env={"AZORA_HOME": str(home)}, cwd=home)
    with Workspace(settings, create_databases=False) as ws:
        with pytest.raises(SourceMissing, match=r"azora-nb db upgrade --source mint"):
            ws.sql("select 1", source="mint")
        with pytest.raises(SourceMissing):
            next(ws.sql_chunks("select 1", source="gateway"))
    assert list(home.iterdir()) == []
