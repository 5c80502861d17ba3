"""Presentation rules: one money precision per unit, percentages, dates for people,
word headers, hidden index, and sentences instead of empty or flat charts."""

from __future__ import annotations

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
