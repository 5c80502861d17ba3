"""Numbers, tables and figures a finance or ops reader cannot misread.

The curated reports show values through these helpers, so that one report
never shows one amount two ways:

- money has one precision per unit (:data:`MONEY_DECIMALS`) and thousands
  separators; rates are percentages; dates read as ``31 Oct 2026`` and months
  as ``Oct 2026``;
- table headers are words (``amount_azr`` reads "Amount (AZR)") and the row
  index is hidden when it is only a row number;
- a chart with nothing to draw, or whose values are all equal, becomes one
  sentence instead.

>>> money(1234567.891, "AZR")
'1,234,567.89 AZR'
>>> percent(0.1234)
'12.3%'
>>> header("total_earnings_usd")
'Total earnings (USD)'
"""

from __future__ import annotations

import base64
import functools
import html
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd

MONEY_DECIMALS: Mapping[str, int] = {"AZR": 2, "USD": 2, "ETH": 6, "BTC": 8}
"""Decimals shown per unit: every amount in that unit, in every report."""

_UNIT_SUFFIXES: Mapping[str, str] = {
    "azr": "AZR",
    "usd": "USD",
    "pct": "%",
    "hours": "hours",
    "seconds": "s",
    "ms": "ms",
    "mhs": "MH/s",
    "watts": "W",
    "kwh": "kWh",
    "celsius": "°C",
    "wei": "wei",
}
_WORDS: Mapping[str, str] = {"id": "ID", "tx": "transaction", "kyc": "KYC", "api": "API"}


def money(value: Any, unit: str = "AZR") -> str:
    """``value`` in ``unit`` with the unit's precision and thousands separators."""
    number = _number(value)
    if number is None:
        return "–"
    return f"{number:,.{MONEY_DECIMALS.get(unit.upper(), 2)}f} {unit}"


def count(value: Any) -> str:
    """A whole number with thousands separators."""
    number = _number(value)
    return "–" if number is None else f"{round(number):,}"


def number(value: Any, decimals: int = 2) -> str:
    """A plain measurement with ``decimals`` and thousands separators."""
    parsed = _number(value)
    return "–" if parsed is None else f"{parsed:,.{decimals}f}"


def percent(value: Any, decimals: int = 1) -> str:
    """A ratio (0.25) as a percentage ('25.0%')."""
    number = _number(value)
    return "–" if number is None else f"{number * 100:,.{decimals}f}%"


def day(value: Any) -> str:
    """A date or timestamp as a reader writes it: ``31 Oct 2026`` (with the time, in UTC,
    when it is not midnight)."""
    stamp = _timestamp(value)
    if stamp is None:
        return "–"
    text = f"{stamp.day} {stamp.strftime('%b %Y')}"
    if (stamp.hour, stamp.minute, stamp.second) != (0, 0, 0):
        text += f" {stamp.strftime('%H:%M')} UTC"
    return text


def month(value: Any) -> str:
    """The month of a date or timestamp: ``Oct 2026``."""
    stamp = _timestamp(value)
    return "–" if stamp is None else stamp.strftime("%b %Y")


def header(name: str) -> str:
    """A column name as words: ``amount_azr`` → ``Amount (AZR)``."""
    parts = [p for p in str(name).replace("-", "_").split("_") if p]
    unit = None
    if len(parts) > 1 and parts[-1].lower() in _UNIT_SUFFIXES:
        unit = _UNIT_SUFFIXES[parts.pop().lower()]
    words = [_WORDS.get(p.lower(), p.lower()) for p in _split_camel(parts)]
    text = " ".join(words) or str(name)
    text = text[0].upper() + text[1:]
    return f"{text} ({unit})" if unit else text


def _split_camel(parts: list[str]) -> list[str]:
    out: list[str] = []
    for part in parts:
        word = ""
        for char in part:
            if char.isupper() and word and not word[-1].isupper():
                out.append(word)
                word = char
            else:
                word += char
        out.append(word)
    return out


# -- tables ----------------------------------------------------------------------------------


@dataclass
class Table:
    """A frame formatted for reading: every value already text, headers as words, the
    index shown only when it means something. Renders as HTML in a notebook and as
    aligned text elsewhere."""

    frame: pd.DataFrame
    caption: str | None = None
    show_index: bool = False

    def _repr_html_(self) -> str:
        styler = self.frame.style.set_uuid("azora")
        if not self.show_index:
            styler = styler.hide(axis="index")
        if self.caption:
            styler = styler.set_caption(self.caption)
        return str(styler.to_html())

    def __repr__(self) -> str:
        text = self.frame.to_string(index=self.show_index)
        return f"{self.caption}\n{text}" if self.caption else text


@dataclass
class Formats:
    """How :func:`table` shows columns; any column not named keeps ``str(value)``."""

    money: Mapping[str, str] = field(default_factory=dict)
    """column -> unit"""
    percent: Sequence[str] = ()
    counts: Sequence[str] = ()
    days: Sequence[str] = ()
    months: Sequence[str] = ()
    numbers: Mapping[str, int] = field(default_factory=dict)
    """column -> decimals"""
    headers: Mapping[str, str] = field(default_factory=dict)
    """column -> header, where :func:`header` would not say it well"""


def table(
    frame: pd.DataFrame,
    formats: Formats | None = None,
    *,
    caption: str | None = None,
    index: str | None = None,
    **kw: Any,
) -> Table:
    """``frame`` as a :class:`Table`. ``index`` names the index when it means
    something (it becomes the first column); otherwise it is dropped.
    Keyword arguments are :class:`Formats` fields. A ``keys`` column (the findings of
    the analytics functions) is shown as text under "Rows" (:func:`key_text`).

    >>> table(pd.DataFrame({"amount_azr": [1234.5], "rate": [0.5]}),
    ...       money={"amount_azr": "AZR"}, percent=["rate"])
    Amount (AZR)  Rate
    1,234.50 AZR 50.0%
    """
    fmt = formats or Formats(**kw)
    data = frame.copy()
    data = data.reset_index(names=index) if index is not None else data.reset_index(drop=True)
    formatters: dict[str, Callable[[Any], str]] = {"keys": key_text} if "keys" in data else {}
    for column, unit in fmt.money.items():
        formatters[column] = functools.partial(_money_in, unit)
    for column in fmt.percent:
        formatters[column] = percent
    for column in fmt.counts:
        formatters[column] = count
    for column in fmt.days:
        formatters[column] = day
    for column in fmt.months:
        formatters[column] = month
    for column, decimals in fmt.numbers.items():
        formatters[column] = functools.partial(_number_with, decimals)
    shown = pd.DataFrame(
        {
            column: [formatters.get(str(column), _plain)(v) for v in data[column]]
            for column in data.columns
        },
        index=data.index,
    )
    headers = {"keys": "Rows", **fmt.headers}
    shown.columns = [headers.get(str(c), header(str(c))) for c in data.columns]
    return Table(shown, caption=caption)


def _money_in(unit: str, value: Any) -> str:
    return money(value, unit)


def _number_with(decimals: int, value: Any) -> str:
    return number(value, decimals)


def _plain(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "–"
    if isinstance(value, pd.Timestamp | datetime | date):
        return day(value)
    if isinstance(value, float):
        return number(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return count(value)
    return str(value)


# -- charts ----------------------------------------------------------------------------------


def nothing_to_draw(values: pd.Series | pd.DataFrame) -> bool:
    """No value to draw, or every value is zero or missing."""
    numbers = pd.DataFrame(values).apply(pd.to_numeric, errors="coerce")
    return bool(numbers.fillna(0).eq(0).all().all())


def all_equal(values: pd.Series) -> bool:
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    return len(numbers) > 1 and bool(numbers.nunique() == 1)


def thousands(ax: Any, axis: str = "y") -> None:
    """Thousands separators on an axis of a matplotlib chart."""
    from matplotlib.ticker import FuncFormatter

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))


def percent_axis(ax: Any, axis: str = "y") -> None:
    """Show a 0–1 axis as percentages."""
    from matplotlib.ticker import PercentFormatter

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(PercentFormatter(1.0))


def bars(
    values: pd.Series,
    *,
    title: str,
    nothing: str,
    same: str,
    horizontal: bool = False,
    unit: str = "",
    percents: bool = False,
    color: Any = None,
) -> None:
    """A bar per index label of ``values``, or one sentence: ``nothing`` when every value
    is zero or missing, ``same`` when they are all equal. ``unit`` labels the value axis;
    ``percents`` shows it as percentages of 1."""
    if nothing_to_draw(values):
        say(nothing)
        return
    if all_equal(values):
        say(same)
        return
    import matplotlib.pyplot as plt

    _fig, ax = plt.subplots()
    if horizontal:
        ax.barh(values.index, values, color=color)
        ax.set(title=title, xlabel=unit, ylabel="")
    else:
        ax.bar(values.index, values, color=color)
        ax.set(title=title, ylabel=unit)
    if percents:
        percent_axis(ax, "x" if horizontal else "y")
    plt.show()


# -- findings --------------------------------------------------------------------------------


def key_text(keys: Mapping[str, Any]) -> str:
    """The keys of a finding's rows as text: ``{"rig_id": 3, "session_id": [7, 9]}`` reads
    ``rig_id 3, session_id 7, 9``."""
    if not isinstance(keys, Mapping):
        return _plain(keys)
    return ", ".join(
        f"{k} {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in keys.items()
    )


LISTED_ROWS = 50
"""At most this many rows of a listing are shown; the rest are counted and downloadable."""

FINDINGS_PER_KIND = 25
"""At most this many findings of each kind are listed; the counts table has them all."""

EMBEDDED_CSV_BYTES = 32 * 2**20
"""The largest CSV of every row that a report embeds as a download link."""


def listing(
    frame: pd.DataFrame, none: str, *, limit: int = LISTED_ROWS, name: str = "rows", **kw: Any
) -> None:
    """Show ``frame`` as a :func:`table` (keyword arguments are :class:`Formats` fields),
    or the sentence ``none`` when it has no rows. Past ``limit`` rows, the first
    ``limit``, then a sentence that counts the rest with a link that downloads every row
    as ``{name}.csv`` (embedded in the page, so a saved report keeps it): a report of a
    large database stays readable, and no row is left out of it."""
    if frame.empty:
        say(none)
        return
    show(table(frame.head(limit), **kw))
    if len(frame) > limit:
        every(frame, f"The first {count(limit)} of {count(len(frame))} rows are listed", name)


def findings(
    found: pd.DataFrame,
    *,
    none: str,
    chart: str | None = None,
    per_kind: int = FINDINGS_PER_KIND,
    name: str = "findings",
) -> None:
    """A report's findings: how many of each kind, then the findings with their rows (the
    first ``per_kind`` of each kind; when some are not listed, a sentence that says how
    many, with a link that downloads every finding as ``{name}.csv``); the sentence
    ``none`` when there is none. With ``chart`` (its title), also a sentence counting
    them and a bar chart of the kinds."""
    if found.empty:
        say(none)
        return
    counts = found["kind"].value_counts().sort_index()
    if chart:
        say(f"{count(len(found))} findings in {count(len(counts))} kinds.")
    show(table(counts.rename("findings").to_frame(), counts=["findings"], index="Kind"))
    if chart and len(counts) > 1:
        bars(
            counts.sort_values(),
            title=chart,
            nothing="",
            same=f"Every kind has {count(counts.iloc[0])} findings: no chart needed.",
            horizontal=True,
            unit="findings",
        )
    listed = found.groupby("kind", sort=False).head(per_kind)
    show(table(listed))
    if len(listed) < len(found):
        every(
            found,
            f"The first {count(per_kind)} findings of each kind are listed, "
            f"{count(len(listed))} of {count(len(found))}",
            name,
        )


def every(frame: pd.DataFrame, sentence: str, name: str) -> None:
    """``sentence``, then where every row of ``frame`` is: in a notebook or a report, a
    link that downloads them as ``{name}.csv`` (:func:`csv_link`); elsewhere, the frame."""
    if not _in_ipython():
        print(f"{sentence}; the frame behind this table holds them all.")
        return
    from IPython.display import HTML, display

    display(HTML(f"<p>{html.escape(sentence)}; {csv_link(frame, name)}.</p>"))


def csv_link(frame: pd.DataFrame, name: str) -> str:
    """An HTML link that downloads every row of ``frame`` as ``{name}.csv``, the file in
    the link itself (a data: URL), so that a report saved or mailed keeps it. Dicts and
    lists (a finding's keys) are written as JSON. Past :data:`EMBEDDED_CSV_BYTES`, a
    sentence saying how to get them instead."""
    data = csv_bytes(frame)
    size = f"{len(data) / 2**20:.1f} MB" if len(data) >= 2**20 else f"{len(data) / 2**10:.0f} kB"
    if len(data) > EMBEDDED_CSV_BYTES:
        return (
            f"all {count(len(frame))} rows make a {size} CSV, too large to embed: save them "
            "from the notebook with <code>frame.to_csv(...)</code>"
        )
    encoded = base64.b64encode(data).decode("ascii")
    filename = html.escape(f"{name}.csv", quote=True)
    return (
        f'<a download="{filename}" href="data:text/csv;base64,{encoded}">'
        f"download all {count(len(frame))} as {filename} ({size})</a>"
    )


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as UTF-8 CSV with a header row and no index; dict and list values (a
    finding's keys) as JSON text with sorted keys."""

    def plain(value: Any) -> Any:
        if isinstance(value, dict | list):
            return json.dumps(value, default=str, sort_keys=True)
        return value

    out = frame.reset_index(drop=True)
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].map(plain)
    return str(out.to_csv(index=False)).encode("utf-8")


def origins(namespace: Mapping[str, Any], *names: str) -> None:
    """Print whether each named result was computed now or served from the query cache
    (names a failed section never set are left out)."""
    from azora_nb.cache import provenance

    for name in names:
        if name in namespace:
            print(f"{name}:", provenance(namespace[name]) or "not cached")


# -- output ----------------------------------------------------------------------------------


def show(obj: Any) -> None:
    """Display ``obj`` in a notebook, print it elsewhere."""
    if _in_ipython():
        from IPython.display import display

        display(obj)
    else:
        print(obj)


def say(sentence: str) -> None:
    """Show one sentence in place of a figure or a table (Markdown in a notebook)."""
    if _in_ipython():
        from IPython.display import Markdown, display

        display(Markdown(sentence))
    else:
        print(sentence)


def _in_ipython() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with the notebook extras
        return False
    return get_ipython() is not None


def _number(value: Any) -> float | None:
    if value is None or value is pd.NA:
        return None
    try:
        parsed = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(parsed) else parsed


def _timestamp(value: Any) -> pd.Timestamp | None:
    if value is None or value is pd.NA:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        return None
    if pd.isna(stamp):
        return None
    return stamp.tz_convert("UTC") if stamp.tzinfo is not None else stamp
