"""Forecasts with honest intervals.

**Method.** Ordinary least squares of the monthly net supply change on time
(``y_t = a + b·t``), with the classical *prediction* interval from Student's t
distribution on ``n - 2`` degrees of freedom:

    ŷ_{n+j} ± t_{(1+level)/2, n-2} · s · sqrt(1 + x_jᵀ (XᵀX)⁻¹ x_j)

where ``s²`` is the residual variance. The supply forecast adds the predicted
changes to the last observed supply; its interval uses the variance of that sum,
``s² (k + c_kᵀ (XᵀX)⁻¹ c_k)`` with ``c_k = Σ_{j≤k} x_j``. The interval assumes
independent, normally distributed residuals around a linear trend; with few
months of history it is wide, as it should be. The confidence *level* (0.95 by
default) is the probability the interval covers the future value under those
assumptions; it is not derived from the data's dispersion.

:func:`trend` applies the same model to values over uneven times (metric
snapshots), in days.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from azora_nb.analytics import treasury

if TYPE_CHECKING:
    from azora_nb.workspace import Workspace

METHOD = "OLS linear trend on monthly net supply, Student-t prediction interval"


def _check(level: float, n: int) -> float:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level is a probability between 0 and 1, not {level}")
    if n < 3:
        raise ValueError(f"an OLS trend with an interval needs at least 3 points, got {n}")
    return float(stats.t.ppf((1.0 + level) / 2.0, n - 2))


def _fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """OLS of ``y`` on ``[1, x]``: (coefficients, (XᵀX)⁻¹, residual variance)."""
    design = np.column_stack([np.ones(len(x)), x])
    xtx_inv = np.linalg.inv(design.T @ design)
    coef = xtx_inv @ design.T @ y
    residuals = y - design @ coef
    return coef, xtx_inv, float(residuals @ residuals) / (len(y) - 2)


def linear_forecast(values: pd.Series, horizon: int, level: float = 0.95) -> pd.DataFrame:
    """Forecast ``horizon`` steps of an evenly spaced series by an OLS trend.

    Returns one row per step: ``step``, ``forecast``, ``lower``, ``upper`` for the
    value itself, and ``cum_forecast``, ``cum_lower``, ``cum_upper`` for the sum of
    the forecast values up to that step.

    >>> linear_forecast(pd.Series([1.0, 2.0, 3.1, 3.9, 5.0]), 2)["forecast"].round(2).tolist()
    [5.97, 6.96]
    """
    if horizon < 1:
        raise ValueError("horizon must be at least 1")
    y = values.astype("float64").to_numpy()
    n = len(y)
    t = _check(level, n)
    coef, xtx_inv, s2 = _fit(np.arange(n, dtype="float64"), y)
    future = np.column_stack([np.ones(horizon), np.arange(n, n + horizon, dtype="float64")])
    point = future @ coef
    spread = np.sqrt(s2 * (1.0 + np.einsum("ij,jk,ik->i", future, xtx_inv, future)))
    cum_x = np.cumsum(future, axis=0)
    steps = np.arange(1, horizon + 1, dtype="float64")
    cum_spread = np.sqrt(s2 * (steps + np.einsum("ij,jk,ik->i", cum_x, xtx_inv, cum_x)))
    cum_point = np.cumsum(point)
    return pd.DataFrame(
        {
            "step": pd.array(np.arange(1, horizon + 1), dtype="Int64"),
            "forecast": point,
            "lower": point - t * spread,
            "upper": point + t * spread,
            "cum_forecast": cum_point,
            "cum_lower": cum_point - t * cum_spread,
            "cum_upper": cum_point + t * cum_spread,
        }
    )


def trend(
    times: pd.Series, values: pd.Series, at: Sequence[datetime] | pd.Series, level: float = 0.95
) -> pd.DataFrame:
    """OLS trend of ``values`` over (possibly uneven) ``times``, predicted at ``at`` with a
    ``level`` Student-t prediction interval; also the slope per day.

    >>> days = pd.Series(pd.date_range("2026-01-01", periods=4, freq="7D", tz="UTC"))
    >>> fc = trend(days, pd.Series([1.0, 2.0, 2.9, 4.1]), [pd.Timestamp("2026-01-29", tz="UTC")])
    >>> round(float(fc["forecast"].iloc[0]), 2)
    5.05
    """
    stamps = pd.to_datetime(times, utc=True)
    origin = stamps.min()
    x = ((stamps - origin).dt.total_seconds() / 86400.0).to_numpy(dtype="float64")
    y = values.astype("float64").to_numpy()
    t = _check(level, len(y))
    coef, xtx_inv, s2 = _fit(x, y)
    targets = pd.Series(pd.to_datetime(list(at), utc=True))
    x_new = ((targets - origin).dt.total_seconds() / 86400.0).to_numpy(dtype="float64")
    design = np.column_stack([np.ones(len(x_new)), x_new])
    point = design @ coef
    spread = np.sqrt(s2 * (1.0 + np.einsum("ij,jk,ik->i", design, xtx_inv, design)))
    return pd.DataFrame(
        {
            "at": targets.astype("datetime64[ns, UTC]"),
            "forecast": point,
            "lower": point - t * spread,
            "upper": point + t * spread,
            "slope_per_day": float(coef[1]),
        }
    )


def net_supply(
    ws: Workspace,
    *,
    as_of: datetime | str | None = None,
    months: int = 12,
    horizon: int = 3,
    level: float = 0.95,
    cache: bool = True,
) -> pd.DataFrame:
    """History and forecast of monthly net supply change and of supply, with a
    ``level`` prediction interval (see the module docstring for the method).

    ``kind`` says what each row is: ``"actual"`` (a month observed whole),
    ``"partial"`` (the month of ``as_of`` when ``as_of`` falls inside it: its values
    are observed up to ``as_of``, never forecast) and ``"forecast"`` (the
    ``horizon`` months after the last observed one). A partial month is left out
    of the fit, since it would pull the trend down; the forecast supply of the
    months after it adds the predicted change of the whole partial month too.

    >>> fc = forecast.net_supply(ws, as_of="2026-10-31", months=12, horizon=3)  # doctest: +SKIP
    >>> fc[fc.kind == "forecast"]  # doctest: +SKIP
    """
    history = treasury.net_supply(ws, as_of=as_of, months=months, cache=cache)
    partial = history["period"] == "partial"
    full = history[~partial]
    fit = linear_forecast(full["net_azr"], horizon + int(partial.any()), level)
    if partial.any():
        fit = fit.iloc[1:].reset_index(drop=True)
    last = history["month"].iloc[-1]
    months_ahead = pd.date_range(last, periods=horizon + 1, freq="MS")[1:]
    supply = float(full["supply_azr"].iloc[-1])
    observed = pd.DataFrame(
        {
            "month": history["month"],
            "kind": history["period"].map({"full": "actual", "partial": "partial"}),
            "net_azr": history["net_azr"],
            "net_lower": np.nan,
            "net_upper": np.nan,
            "supply_azr": history["supply_azr"],
            "supply_lower": np.nan,
            "supply_upper": np.nan,
        }
    )
    ahead = pd.DataFrame(
        {
            "month": months_ahead.astype("datetime64[ns, UTC]"),
            "kind": "forecast",
            "net_azr": fit["forecast"],
            "net_lower": fit["lower"],
            "net_upper": fit["upper"],
            "supply_azr": supply + fit["cum_forecast"],
            "supply_lower": supply + fit["cum_lower"],
            "supply_upper": supply + fit["cum_upper"],
        }
    )
    frame = pd.concat([observed, ahead], ignore_index=True).astype({"kind": "str"})
    frame.attrs.update(method=METHOD, level=level)
    return frame
