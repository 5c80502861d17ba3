"""``azora-nb demo check``: the detectors against the manifest. On seeded data nothing is
missed and nothing extra is found, on both backends; after a row is changed behind the
seed's back, the check names what is missed and what is extra, and exits 1."""

from __future__ import annotations

import uuid
from collections import Counter

import sqlalchemy as sa
from click.testing import CliRunner

from azora_nb import demo
from azora_nb.cli import main
from azora_nb.demo.check import check
from azora_nb.schema import core, mint
from azora_nb.workspace import Workspace
from tests.demo.conftest import SMALL


def _exact_on(ws: Workspace) -> None:
    manifest = demo.seed(ws, scale=SMALL, progress=False)
    result = check(ws, manifest)
    assert result.exact
    planted = Counter(a.kind for a in manifest.anomalies)
    table = result.table.set_index("kind")
    assert table["planted"].to_dict() == dict(planted)
    assert (table["found"] == table["planted"]).all()
    assert table["invariant"].str.match(r"^[RLMH]\d+$").all()


def test_nothing_missed_nothing_extra_on_sqlite(sqlite_ws: Workspace) -> None:
    _exact_on(sqlite_ws)


def test_nothing_missed_nothing_extra_on_postgres(pg_ws: Workspace) -> None:
    _exact_on(pg_ws)


def test_a_change_behind_the_seeds_back_is_named(sqlite_ws: Workspace) -> None:
    ws = sqlite_ws
    manifest = demo.seed(ws, scale=SMALL, progress=False)
    # A planted payout without a reward is deleted from the ledger: missed.
    gone = next(a for a in manifest.anomalies if a.kind == "ledger_payout_without_reward")
    ledger = core.treasury_ledger
    with ws.engine("core").begin() as conn:
        deleted = conn.execute(
            sa.delete(ledger).where(ledger.c.id == gone.keys["ledger_id"])
        ).rowcount
    assert deleted == 1
    # A minting of a session core never had: extra.
    minting = mint.minting_transactions
    with ws.engine("mint").begin() as conn:
        row = dict(conn.execute(sa.select(minting).limit(1)).mappings().one())
        conn.execute(
            sa.insert(minting),
            [
                {
                    **row,
                    "id": f"extra-{uuid.uuid4().hex[:8]}",
                    "mining_session_id": "no-such-session",
                }
            ],
        )

    result = check(ws, manifest)
    assert not result.exact
    assert result.missed["kind"].tolist() == ["ledger_payout_without_reward"]
    assert result.missed["keys"].iloc[0]["ledger_id"] == gone.keys["ledger_id"]
    assert result.extra["kind"].tolist() == ["minting_session_mismatch"]
    table = result.table.set_index("kind")
    assert table.loc["ledger_payout_without_reward", "missed"] == 1
    assert table.loc["minting_session_mismatch", "extra"] == 1

    outcome = CliRunner().invoke(main, ["demo", "check"], env={"AZORA_HOME": str(ws.home)})
    assert outcome.exit_code == 1, outcome.output
    assert "missed 1, extra 1" in outcome.output
    assert f"missed: ledger_payout_without_reward {{'ledger_id': '{gone.keys['ledger_id']}'" in (
        outcome.output
    )


def test_check_without_demo_data_says_what_to_run(sqlite_ws: Workspace) -> None:
    outcome = CliRunner().invoke(main, ["demo", "check"], env={"AZORA_HOME": str(sqlite_ws.home)})
    assert outcome.exit_code != 0
    assert "run `azora-nb demo seed` first" in outcome.output
