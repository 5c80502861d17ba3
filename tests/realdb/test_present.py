"""Presentation rules: one money precision per unit, percentages, dates for people,
word headers, hidden index, and sentences instead of empty or flat charts."""

from __future__ import annotations

import base64
import io
import json
import re
from datetime import UTC, datetime

import pandas as pd

from azora_nb import present


def test_money_has_one_precision_per_unit_and_thousands_separators() -> None:
    assert present.money(40.49, "AZR") == "40.49 AZR"
    assert present.money(55.84000000, "AZR") == "55.84 AZR"
    assert present.money(1_000_000_000_000, "USD") == "1,000,000,000,000.00 USD"
    assert present.money(None) == "–"
    assert present.count(20_188.0) == "20,188"


def test_rates_dates_and_headers_read_as_words() -> None:
    assert present.percent(0.0512) == "5.1%"
    assert present.day(datetime(2025, 11, 1, tzinfo=UTC)) == "1 Nov 2025"
    assert present.day(pd.Timestamp("2026-10-30T13:05Z")) == "30 Oct 2026 13:05 UTC"
    assert present.month(pd.Timestamp("2025-11-01T00:00Z")) == "Nov 2025"
    assert present.header("amount_azr") == "Amount (AZR)"
    assert present.header("rejection_rate") == "Rejection rate"
    assert present.header("transactionHash") == "Transaction hash"
    assert present.header("user_id") == "User ID"


def test_table_hides_a_meaningless_index_and_formats_columns() -> None:
    frame = pd.DataFrame(
        {"month": [pd.Timestamp("2025-11-01T00:00Z")], "amount_usd": [1234.5], "share": [0.25]},
        index=[7],
    )
    shown = present.table(frame, months=["month"], money={"amount_usd": "USD"}, percent=["share"])
    assert list(shown.frame.columns) == ["Month", "Amount (USD)", "Share"]
    assert shown.frame.iloc[0].tolist() == ["Nov 2025", "1,234.50 USD", "25.0%"]
    assert "7" not in repr(shown).split("\n")[1].split()[0]
    assert "<th" in shown._repr_html_() and ">7<" not in shown._repr_html_()


def test_flat_or_empty_values_are_not_drawn() -> None:
    assert present.nothing_to_draw(pd.Series([], dtype=float))
    assert present.nothing_to_draw(pd.DataFrame({"a": [0.0, None]}))
    assert not present.nothing_to_draw(pd.Series([0.0, 1.0]))
    assert present.all_equal(pd.Series([3, 3, 3]))
    assert not present.all_equal(pd.Series([3, 3, 4]))
    assert not present.all_equal(pd.Series([3]))


def test_summaries_have_three_to_six_sentences_and_the_amount_at_risk() -> None:
    from azora_nb import summaries

    flows = pd.DataFrame(
        {
            "month": ["2026-10-01"] * 2,
            "transaction_type": ["mint", "burn"],
            "transactions": [3, 1],
            "amount_azr": [1500.0, 20.0],
            "amount_usd": [1500.0, 20.0],
        }
    )
    ageing = pd.DataFrame(
        {
            "blockchain_status": ["pending"],
            "age": ["< 1 d"],
            "transactions": [2],
            "amount_azr": [1234.5],
            "oldest_days": [0.5],
        }
    )
    violations = pd.DataFrame(
        {"kind": ["azr_usd_parity"], "keys": [{"ledger_id": "x"}], "detail": ["d"]}
    )
    text = str(
        summaries.treasury(flows=flows, ageing=ageing, violations=violations, start="a", end="b")
    )
    assert "1,500.00 AZR minted" in text and "1,480.00 AZR" in text
    assert text.endswith("Amount at risk (pending or failed): 1,234.50 AZR.")
    for made in (
        summaries.treasury(flows=None, ageing=None, violations=None, start="a", end="b"),
        summaries.mining(daily=pd.DataFrame(), findings=None, impossible=None, start="a", end="b"),
        summaries.rewards(findings=None, roll_forward=None, limits=["core.treasury_ledger: x"]),
        summaries.health(breaches=None, alerts=None, api=None, findings=None, start="a", end="b"),
    ):
        assert 3 <= len(made.sentences) <= 6
        assert made.sentences[-1].startswith("Amount at risk")


def test_a_long_listing_shows_its_first_rows_and_counts_the_rest(capsys) -> None:
    frame = pd.DataFrame({"user_id": [f"u{i:04d}" for i in range(120)]})
    present.listing(frame, "nothing", limit=50)
    out = capsys.readouterr().out
    assert "u0049" in out and "u0050" not in out
    assert "The first 50 of 120 rows are listed" in out
    present.listing(frame.head(50), "nothing", limit=50)
    out = capsys.readouterr().out
    assert "u0049" in out and "listed" not in out


def test_findings_list_the_first_of_every_kind_and_count_them_all(capsys) -> None:
    kinds = ["a_kind"] * 40 + ["b_kind"] * 3 + ["c_kind"] * 30
    found = pd.DataFrame(
        {
            "kind": kinds,
            "keys": [{"id": i} for i in range(len(kinds))],
            "detail": [f"detail {i}" for i in range(len(kinds))],
        }
    )
    present.findings(found, none="none", per_kind=25)
    out = capsys.readouterr().out
    counted = {line.split()[0]: line.split()[1] for line in out.splitlines()[1:4]}
    assert counted == {"a_kind": "40", "b_kind": "3", "c_kind": "30"}
    listed = [int(d) for d in re.findall(r"detail (\d+)", out)]
    # every kind is listed, each up to 25 of its findings, in the frame's order
    assert listed == [*range(25), 40, 41, 42, *range(43, 68)]
    assert "The first 25 findings of each kind are listed, 53 of 73" in out


def test_the_download_link_holds_every_row(monkeypatch) -> None:
    found = pd.DataFrame(
        {
            "kind": ["a_kind"] * 70 + ["b_kind"] * 5,
            "keys": [
                {"ledger_id": f"l{i}", "tx_hash": None if i % 7 else f"h{i}"} for i in range(75)
            ],
            "detail": [f'amount "{i}", differs' for i in range(75)],
        }
    )
    link = present.csv_link(found, "reward-findings")
    match = re.fullmatch(
        r'<a download="reward-findings.csv" href="data:text/csv;base64,([A-Za-z0-9+/=]+)">'
        r"download all 75 as reward-findings.csv \(\d+ kB\)</a>",
        link,
    )
    assert match, link
    back = pd.read_csv(io.BytesIO(base64.b64decode(match.group(1))))
    assert back["kind"].tolist() == found["kind"].tolist()
    assert back["detail"].tolist() == found["detail"].tolist()
    assert [json.loads(k) for k in back["keys"]] == found["keys"].tolist()

    monkeypatch.setattr(present, "EMBEDDED_CSV_BYTES", 100)
    assert "too large to embed" in present.csv_link(found, "reward-findings")
