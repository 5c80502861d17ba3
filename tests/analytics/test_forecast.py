"""The net-supply forecast: OLS trend with a Student-t prediction interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from azora_nb.analytics import forecast, treasury
from azora_nb.workspace import Workspace

from .handmade import AS_OF


def test_point_forecast_matches_a_least_squares_fit() -> None:
    y = pd.Series([3.0, 5.5, 6.1, 9.0, 10.2, 12.9])
    fit = forecast.linear_forecast(y, 2)
    slope, intercept = np.polyfit(np.arange(6), y, 1)
    assert fit["forecast"].tolist() == pytest.approx([intercept + slope * 6, intercept + slope * 7])
    assert fit["cum_forecast"].iloc[1] == pytest.approx(fit["forecast"].sum())


def test_interval_is_the_textbook_prediction_interval() -> None:
    y = pd.Series([3.0, 5.5, 6.1, 9.0, 10.2, 12.9])
    fit = forecast.linear_forecast(y, 1, level=0.9)
    x = np.arange(6.0)
    slope, intercept = np.polyfit(x, y, 1)
    s = np.sqrt(((y - (intercept + slope * x)) ** 2).sum() / 4)
    half = (
        stats.t.ppf(0.95, 4)
        * s
        * np.sqrt(1 + 1 / 6 + (6 - x.mean()) ** 2 / ((x - x.mean()) ** 2).sum())
    )
    assert fit["upper"].iloc[0] - fit["forecast"].iloc[0] == pytest.approx(half)


def test_the_95_percent_interval_covers_about_95_percent() -> None:
    rng = np.random.default_rng(7)
    hits = 0
    trials = 400
    for _ in range(trials):
        y = 5 + 0.5 * np.arange(13) + rng.normal(0, 2, 13)
        fit = forecast.linear_forecast(pd.Series(y[:12]), 1, level=0.95)
        hits += fit["lower"].iloc[0] <= y[12] <= fit["upper"].iloc[0]
    assert 0.91 <= hits / trials <= 0.99


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        forecast.linear_forecast(pd.Series([1.0, 2.0]), 1)
    with pytest.raises(ValueError, match="level"):
        forecast.linear_forecast(pd.Series([1.0, 2.0, 3.0]), 1, level=95)


def test_net_supply_forecast(ws: Workspace) -> None:
    fc = forecast.net_supply(ws, as_of=AS_OF, months=12, horizon=3)
    actual, ahead = fc[fc["kind"] == "actual"], fc[fc["kind"] == "forecast"]
    assert len(actual) == 11
    # October is not over at as_of: shown as observed so far ("partial"), never forecast,
    # and left out of the fit.
    (partial,) = fc[fc["kind"] == "partial"].itertuples()
    assert partial.month == pd.Timestamp("2026-10-01", tz="UTC")
    supply = treasury.net_supply(ws, as_of=AS_OF, months=12)
    assert partial.supply_azr == supply["supply_azr"].iloc[-1]
    assert pd.isna(partial.supply_lower)
    assert ahead["month"].tolist() == [
        pd.Timestamp(m, tz="UTC") for m in ("2026-11-01", "2026-12-01", "2027-01-01")
    ]
    fit = forecast.linear_forecast(actual["net_azr"], 4)
    assert ahead["net_azr"].tolist() == pytest.approx(fit["forecast"].iloc[1:].tolist())
    assert ahead["supply_azr"].tolist() == pytest.approx(
        (actual["supply_azr"].iloc[-1] + fit["cum_forecast"].iloc[1:]).tolist()
    )
    assert (ahead["net_lower"] < ahead["net_azr"]).all()
    assert (ahead["net_azr"] < ahead["net_upper"]).all()
    widths = (ahead["supply_upper"] - ahead["supply_lower"]).tolist()
    assert widths == sorted(widths)
    assert fc.attrs["level"] == 0.95 and "Student-t" in fc.attrs["method"]


def test_trend_over_uneven_times_is_a_least_squares_fit_in_days() -> None:
    times = pd.Series(
        pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-05", "2026-01-09"], utc=True)
    )
    values = pd.Series([1.0, 1.4, 2.9, 5.2])
    fit = forecast.trend(times, values, [pd.Timestamp("2026-01-11", tz="UTC")])
    x = np.array([0.0, 1.0, 4.0, 8.0])
    slope, intercept = np.polyfit(x, values, 1)
    assert fit["slope_per_day"].iloc[0] == pytest.approx(slope)
    assert fit["forecast"].iloc[0] == pytest.approx(intercept + slope * 10)
    assert fit["lower"].iloc[0] < fit["forecast"].iloc[0] < fit["upper"].iloc[0]
