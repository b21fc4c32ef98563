"""ARR growth: year-on-year growth, CAGR, the T2D3 plan, growth stage,
ARR multiple and the effect of churn on ARR (seed 001; metrics.md §4, §5, §6).

Growth rates are fractions of the earlier value: ``yoy = ARR(M) / ARR(M-12) - 1``, so
+200% (``2.0``) means ARR tripled. Seed 001's stage table is read that way (its
seed stage "200–300% a year" is the T2D3 ×3 at the low end).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from saas_kit.bands import Band, bands_for, position_in_band
from saas_kit.calendar import MONTHS_PER_YEAR
from saas_kit.errors import DataError, ParameterError

#: T2D3 (seed 001): triple, triple, double, double, double; ×72 over five years.
T2D3_MULTIPLIERS: tuple[int, ...] = (3, 3, 2, 2, 2)


def _monthly_series(arr_by_month: pd.Series, name: str = "arr_by_month") -> pd.Series:
    if not isinstance(arr_by_month, pd.Series):
        kind = type(arr_by_month).__name__
        raise ParameterError(f"{name} must be a pandas Series indexed by month, got {kind}")
    index = arr_by_month.index
    if isinstance(index, pd.DatetimeIndex):
        index = index.to_period("M")
    elif not isinstance(index, pd.PeriodIndex):
        try:
            index = pd.PeriodIndex(index, freq="M")
        except (TypeError, ValueError):
            raise ParameterError(f"{name} must be indexed by month (Period[M]), got {index.dtype}") from None
    if index.freqstr != "M":
        raise ParameterError(f"{name} must have a monthly index (Period[M]), got {index.freqstr}")
    if index.has_duplicates:
        dup = index[index.duplicated()][0]
        raise DataError(f"month {dup} appears more than once", column="month")
    s = pd.Series(np.asarray(arr_by_month, dtype="float64"), index=index, name=arr_by_month.name)
    return s.sort_index()


def yoy_growth(arr_by_month: pd.Series) -> pd.Series:
    """Year-on-year ARR growth per month: ``ARR(M) / ARR(M-12) - 1`` (seed 001).

    ``arr_by_month`` is indexed by ``Period[M]`` (a DatetimeIndex is converted).
    Months are matched by calendar, not by position, so a missing month does not
    shift the comparison. NaN where ARR(M-12) is missing, zero or negative, or where
    ARR(M) is missing. Returns a Series named ``yoy_growth`` on the same months."""
    s = _monthly_series(arr_by_month)
    base = pd.Series(s.to_numpy(), index=s.index + MONTHS_PER_YEAR).reindex(s.index)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(base > 0, s.to_numpy() / base.where(base > 0, 1.0).to_numpy() - 1.0, np.nan)
    return pd.Series(out, index=s.index, name="yoy_growth")


def cagr(start_value: float, end_value: float, years: float) -> float:
    """Compound annual growth rate: ``(end / start) ** (1 / years) - 1``.
    T2D3's ×72 in five years is a CAGR of about 135%. NaN when ``start`` is zero,
    negative or NaN, or ``end`` is negative or NaN; ``years`` must be positive."""
    if years is None or not (isinstance(years, (int, float)) and math.isfinite(years) and years > 0):
        raise ParameterError(f"years must be a positive number, got {years!r}")
    start, end = float(start_value), float(end_value)
    if not (math.isfinite(start) and math.isfinite(end)) or start <= 0 or end < 0:
        return float("nan")
    return (end / start) ** (1.0 / years) - 1.0


def _cumulative(multipliers=T2D3_MULTIPLIERS) -> list[int]:
    out, acc = [], 1
    for m in multipliers:
        acc *= m
        out.append(acc)
    return out


def t2d3_plan(base_arr: float, base_year: int) -> pd.DataFrame:
    """The T2D3 plan from ``base_arr`` in ``base_year`` (seed 001): ARR ×3, ×3, ×2,
    ×2, ×2 in the five following years, ×72 in all.

    Columns: ``year`` (base_year + 1 ... + 5), ``plan_year`` (1..5), ``multiplier``,
    ``cumulative_multiple`` (3, 9, 18, 36, 72) and ``target_arr`` = base_arr ×
    cumulative_multiple. Worked example 4 (seed 001): ¥10M -> ¥30M, ¥90M, ¥180M,
    ¥360M, ¥720M."""
    base = float(base_arr)
    if not math.isfinite(base) or base <= 0:
        raise ParameterError(f"base_arr must be a positive amount, got {base_arr!r}")
    if isinstance(base_year, bool) or not isinstance(base_year, (int, np.integer)):
        raise ParameterError(f"base_year must be a whole year such as 2025, got {base_year!r}")
    cum = _cumulative()
    return pd.DataFrame({
        "year": [int(base_year) + k for k in range(1, len(T2D3_MULTIPLIERS) + 1)],
        "plan_year": list(range(1, len(T2D3_MULTIPLIERS) + 1)),
        "multiplier": list(T2D3_MULTIPLIERS),
        "cumulative_multiple": cum,
        "target_arr": [base * c for c in cum],
    })


def t2d3_actual_vs_plan(arr_by_month: pd.Series, base_month) -> pd.DataFrame:
    """Actual ARR against the T2D3 plan (seed 001), one row per plan year.

    The plan starts from the ARR at ``base_month`` (a ``Period[M]`` or ``'YYYY-MM'``);
    plan year k is compared in the same calendar month k years later. Columns:
    ``plan_year`` (1..5), ``month``, ``multiplier``, ``cumulative_multiple``,
    ``plan_arr`` (= base ARR × cumulative multiple), ``actual_arr`` (NaN when the
    month is not in the data yet), ``actual_to_plan`` (actual / plan) and
    ``actual_multiplier`` (actual ARR / actual ARR a year earlier, to set beside the
    planned ×3 or ×2)."""
    s = _monthly_series(arr_by_month)
    try:
        base_period = pd.Period(base_month, freq="M")
    except (TypeError, ValueError):
        raise ParameterError(f"base_month must be a month such as '2024-04', got {base_month!r}") from None
    if base_period not in s.index or not (s[base_period] > 0):
        raise ParameterError(f"ARR at base month {base_period} must be in the data and above zero")
    base = float(s[base_period])
    months = [base_period + MONTHS_PER_YEAR * k for k in range(len(T2D3_MULTIPLIERS) + 1)]
    actual = s.reindex(pd.PeriodIndex(months, freq="M")).to_numpy()
    cum = _cumulative()
    plan = np.array([base * c for c in cum])
    with np.errstate(divide="ignore", invalid="ignore"):
        prev = actual[:-1]
        actual_multiplier = np.where(prev > 0, actual[1:] / np.where(prev > 0, prev, 1.0), np.nan)
    return pd.DataFrame({
        "plan_year": list(range(1, len(T2D3_MULTIPLIERS) + 1)),
        "month": pd.PeriodIndex(months[1:], freq="M"),
        "multiplier": list(T2D3_MULTIPLIERS),
        "cumulative_multiple": cum,
        "plan_arr": plan,
        "actual_arr": actual[1:],
        "actual_to_plan": actual[1:] / plan,
        "actual_multiplier": actual_multiplier,
    })


@dataclass(frozen=True)
class GrowthStage:
    """A company's growth stage by ARR and how its growth compares with the stage's
    band (seed 001): ``position`` is ``'below'``, ``'within'``, ``'above'`` or None
    when growth is unknown."""

    stage: str
    arr: float
    yoy: float
    growth_low: float
    growth_high: float
    position: str | None
    band: Band


def growth_stage(arr: float, yoy: float, listed: bool | None = None) -> GrowthStage:
    """Stage from ARR in yen and the stage's typical growth (seed 001, metrics.md §6):
    seed (ARR under ¥30M): +200–300% a year; early (¥30M to under ¥300M): +100–200%;
    growth (¥300M to under ¥1B): +30–50%; mature (¥1B or more, listed): +20–30%.

    A boundary ARR goes to the later stage (exactly ¥30M is early, ¥1B is mature).
    The seed ties the mature stage to a listing as well: pass ``listed=False`` to keep
    an unlisted company with ARR of ¥1B or more in the growth stage. ``yoy`` is a
    fraction (0.4 = +40%); the band includes both ends; NaN growth gives
    ``position=None``."""
    a = float(arr)
    if not math.isfinite(a) or a < 0:
        raise ParameterError(f"arr must be an amount >= 0 in yen, got {arr!r}")
    (band,) = bands_for("arr_growth", arr=a)
    if band.label == "mature" and listed is False:
        (band,) = [b for b in bands_for("arr_growth") if b.label == "growth"]
    g = float("nan") if yoy is None else float(yoy)
    return GrowthStage(stage=band.label, arr=a, yoy=g, growth_low=band.low, growth_high=band.high,
                       position=position_in_band(band, g), band=band)


@dataclass(frozen=True)
class MultipleBand:
    """The ARR-multiple band for a growth rate (seed 001) and, when ARR is given, the
    implied valuation range ``arr × multiple_low`` .. ``arr × multiple_high``."""

    label: str
    yoy: float
    multiple_low: float
    multiple_high: float
    arr: float
    valuation_low: float
    valuation_high: float
    band: Band


def arr_multiple_band(yoy: float, arr: float | None = None) -> MultipleBand | None:
    """ARR multiple (enterprise value / ARR) typical for a year-on-year growth rate
    (seed 001): growth of 50% or more 10–20×; 30% to under 50% 5–10×; under 30%
    3–5×. Seed 001's example: ARR ¥1B growing 50% -> about ¥10B at 10× (the low end
    of the band). Returns None when ``yoy`` is NaN; valuations are NaN without ARR."""
    if yoy is None or not math.isfinite(float(yoy)):
        return None
    g = float(yoy)
    (band,) = bands_for("arr_multiple", yoy=g)
    a = float("nan") if arr is None else float(arr)
    return MultipleBand(label=band.label, yoy=g, multiple_low=band.low, multiple_high=band.high,
                        arr=a, valuation_low=a * band.low, valuation_high=a * band.high, band=band)


def _check_rate(c: float, name: str) -> float:
    c = float(c)
    if not (math.isfinite(c) and 0 <= c < 1):
        raise ParameterError(f"{name} must be a monthly rate in [0, 1), got {c!r}")
    return c


def churn_lift_on_arr(churn_from: float, churn_to: float, months: int = 12) -> float:
    """Relative ARR gain after ``months`` from lowering monthly churn, on the starting
    base alone (no new business, no expansion): ``((1 - c_to) / (1 - c_from)) ** months - 1``.

    Seed 001 claims that cutting monthly churn from 5% to 4% lifts ARR after one year
    by "about 15%"; the computation gives (0.96 / 0.95)^12 - 1 ≈ 13.4% (metrics.md §5),
    so the report states 13.4%."""
    c1 = _check_rate(churn_from, "churn_from")
    c2 = _check_rate(churn_to, "churn_to")
    if isinstance(months, bool) or not isinstance(months, (int, np.integer)) or months < 0:
        raise ParameterError(f"months must be a whole number >= 0, got {months!r}")
    return ((1.0 - c2) / (1.0 - c1)) ** int(months) - 1.0


def default_t2d3_base_month(arr_by_month: pd.Series, report_month, years_back: int = 2) -> pd.Period | None:
    """The month a T2D3 comparison starts from when the report does not name one.

    ``report_month - 12 × years_back`` (24 months back by default) when ARR there is
    above zero; otherwise the first month with ARR above zero, provided it lies at
    least 12 months before ``report_month`` (so one plan year can be compared);
    otherwise None (less than a year of history). Seed 001's T2D3 plan is set in
    whole years, so the base is compared with the same calendar month later."""
    s = _monthly_series(arr_by_month)
    try:
        report = pd.Period(report_month, freq="M")
    except (TypeError, ValueError):
        raise ParameterError(f"report_month must be a month such as '2026-10', got {report_month!r}") from None
    if isinstance(years_back, bool) or not isinstance(years_back, (int, np.integer)) or years_back < 1:
        raise ParameterError(f"years_back must be a whole number >= 1, got {years_back!r}")
    candidate = report - MONTHS_PER_YEAR * int(years_back)
    if candidate in s.index and s[candidate] > 0:
        return candidate
    positive = s[(s > 0) & (s.index <= report - MONTHS_PER_YEAR)]
    return positive.index[0] if len(positive) else None
