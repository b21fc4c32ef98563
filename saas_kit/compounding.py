"""What a constant monthly churn rate does over time, and the unit economics built on
it: retention curves, half-life, lifetime, LTV, CAC and LTV/CAC (seed 004;
metrics.md §4, §5).

All rates are monthly fractions (5% = 0.05). The elementwise functions take numbers
(and return a float), numpy arrays, or pandas Series (and return a Series on the
first Series argument's index; Series arguments are combined by position, so pass
columns of one frame). The model is the textbook one: every
month the same share ``c`` of the customers (or revenue) still there at the start of
the month leaves, so after ``n`` months ``(1 - c)^n`` remains. Real cohorts churn
faster in their first months (seed 004: 40–60% of churn happens in the first 30
days), so these figures describe a steady state, not a young cohort.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from saas_kit.errors import ParameterError


def _rate(c, name: str = "c", allow_one: bool = True):
    arr = np.asarray(c, dtype="float64")
    finite = arr[np.isfinite(arr)]
    if np.any(finite < 0) or np.any(finite > 1) or (not allow_one and np.any(finite == 1)):
        bound = "1]" if allow_one else "1)"
        raise ParameterError(f"{name} must be a monthly rate in [0, {bound}, got {c!r}")
    return arr


def _months(n, name: str = "n") -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ParameterError(f"{name} must be a whole number of months >= 0, got {n!r}")
    return int(n)


def _out(x, *inputs):
    """Plain float for scalar input; a Series (on the first Series input's index) when
    a Series came in; a numpy array otherwise."""
    x = np.asarray(x, dtype="float64")
    if x.ndim == 0:
        return float(x)
    for i in inputs:
        if isinstance(i, pd.Series) and len(i) == len(x):
            return pd.Series(x, index=i.index)
    return x


def retention_after(c, n: int):
    """Share of customers (or revenue) left after ``n`` months of constant monthly
    churn ``c``: ``(1 - c)^n`` (metrics.md §4). Worked example 11 (seed 004): 5% for
    12 months leaves 0.95^12 = 0.540 (54%). ``c`` may be an array."""
    return _out((1.0 - _rate(c)) ** _months(n), c)


def share_lost_after(c, n: int = 12):
    """Share lost after ``n`` months: ``1 - (1 - c)^n``. Seed 004's title says 5% a
    month "removes half the customers in a year"; the computed loss is
    1 - 0.95^12 = 46.0%, and half is reached only after about 13.5 months
    (:func:`half_life`)."""
    return _out(1.0 - (1.0 - _rate(c)) ** _months(n), c)


def retention_curve(rates: Iterable[float] = (0.03, 0.05, 0.07, 0.10), months: int = 24,
                    customers: int = 1000) -> pd.DataFrame:
    """Retention curves for several monthly churn rates (seed 004), one row per rate
    and month 0..``months``: columns ``rate``, ``month``, ``retained_share`` =
    (1 - rate)^month and ``customers_left`` = customers × retained_share (an expected
    number, not rounded).

    Worked example 11 (seed 004), 1,000 customers after 12 months: 3% -> 69.4%,
    5% -> 54.0%, 7% -> 41.9%, 10% -> 28.2%, i.e. 69% / 54% / 42% / 28% as the seed
    prints them, and 540 customers at 5%. The seed's other counts (690, 420, 280)
    come from its rounded percentages; the compounding gives about 694, 419 and 282."""
    rates = [float(r) for r in rates]
    _rate(rates, "rates", allow_one=True)
    if any(not math.isfinite(r) for r in rates):
        raise ParameterError(f"rates must be finite monthly rates, got {rates!r}")
    months = _months(months, "months")
    if not isinstance(customers, (int, float, np.integer, np.floating)) or customers < 0:
        raise ParameterError(f"customers must be a number >= 0, got {customers!r}")
    month = np.arange(months + 1)
    frames = []
    for r in rates:
        share = (1.0 - r) ** month
        frames.append(pd.DataFrame({"rate": r, "month": month, "retained_share": share,
                                    "customers_left": float(customers) * share}))
    if not frames:
        return pd.DataFrame({"rate": pd.Series(dtype="float64"), "month": pd.Series(dtype="int64"),
                             "retained_share": pd.Series(dtype="float64"),
                             "customers_left": pd.Series(dtype="float64")})
    return pd.concat(frames, ignore_index=True)


def half_life(c):
    """Months until half the customers are gone at constant monthly churn ``c``:
    ``ln 0.5 / ln(1 - c)`` (metrics.md §4); 5% -> about 13.5 months. NaN for c = 0
    (nobody ever leaves: undefined, not infinite); 0 for c = 1."""
    arr = _rate(c)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(arr > 0, math.log(0.5) / np.log1p(-arr), np.nan)
    out = np.where(arr == 1, 0.0, out)
    return _out(out, c)


def expected_lifetime(c):
    """Expected customer lifetime in months at constant monthly churn ``c``: ``1 / c``
    (metrics.md §4); 5% -> 20 months. NaN for c = 0."""
    arr = _rate(c)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(arr > 0, 1.0 / np.where(arr > 0, arr, 1.0), np.nan)
    return _out(out, c)


def ltv(arpa, gross_margin, c):
    """Customer lifetime value: ``ARPA × gross margin / c`` (monthly ARPA, gross
    margin as a fraction, monthly churn ``c``; metrics.md §4, seed 004). NaN when
    ``c`` is 0 (undefined, never infinite)."""
    gm = np.asarray(gross_margin, dtype="float64")
    if np.any(gm[np.isfinite(gm)] < 0) or np.any(gm[np.isfinite(gm)] > 1):
        raise ParameterError(f"gross_margin must be a fraction in [0, 1], got {gross_margin!r}")
    arr = _rate(c)
    value = np.asarray(arpa, dtype="float64") * gm
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(arr > 0, value / np.where(arr > 0, arr, 1.0), np.nan)
    return _out(out, arpa, gross_margin, c)


def _safe_ratio(num, den):
    return _out(_ratio_array(num, den), num, den)


def _ratio_array(num, den):
    num = np.asarray(num, dtype="float64")
    den = np.asarray(den, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den != 0, num / np.where(den != 0, den, 1.0), np.nan)


def ltv_to_cac(ltv_value, cac_value):
    """LTV / CAC (seed 004's rule of thumb: above 3). NaN when CAC is 0 or NaN."""
    return _safe_ratio(ltv_value, cac_value)


def cac(spend, new_customers):
    """Customer acquisition cost: sales and marketing spend / new customers
    (metrics.md §4). NaN when there are no new customers. Works elementwise on the
    monthly ``company`` frame's columns. Worked example 14 (seed 004): 1,000,000 yen
    of ads, 10,000 visitors at 1% / 2% / 3% conversion -> 100 / 200 / 300 customers
    -> CAC 10,000 / 5,000 / 3,333 yen."""
    n = np.asarray(new_customers, dtype="float64")
    if np.any(n[np.isfinite(n)] < 0):
        raise ParameterError(f"new_customers must be >= 0, got {new_customers!r}")
    return _out(_ratio_array(spend, n), spend, new_customers)


def cac_by_conversion_rate(spend: float, visitors: float, conversion_rates: Iterable[float]) -> pd.DataFrame:
    """CAC for several visitor-to-customer conversion rates (seed 004): new customers
    = visitors × rate, CAC = spend / new customers. Columns ``conversion_rate``,
    ``new_customers``, ``cac``. Doubling conversion halves CAC."""
    rates = np.asarray(list(conversion_rates), dtype="float64")
    _rate(rates, "conversion_rates")
    new = float(visitors) * rates
    return pd.DataFrame({"conversion_rate": rates, "new_customers": new,
                         "cac": np.asarray(cac(spend, new), dtype="float64")})


def ltv_ratio_from_churn_change(c_from, c_to):
    """How many times LTV grows when monthly churn falls from ``c_from`` to ``c_to`` at
    constant ARPA and margin: LTV ∝ 1/c, so the ratio is ``c_from / c_to``.

    Seed 004's case (churn 7–8% down to 3–4%, "LTV about 1.8×"): 7% -> 4% is 1.75×,
    the midpoints 7.5% -> 3.5% give 2.14×, and 8% -> 3% up to 2.67×; the seed's 1.8×
    sits at the cautious end of that range. NaN when ``c_to`` is 0."""
    return _out(_ratio_array(_rate(c_from, "c_from"), _rate(c_to, "c_to")), c_from, c_to)


def arr_sensitivity_to_churn(
    current_arr: float,
    monthly_churn_rates: Iterable[float],
    months: int = 12,
    monthly_new_arr: float = 0.0,
    monthly_expansion_rate: float = 0.0,
) -> pd.DataFrame:
    """ARR after ``months`` for each monthly churn rate, in a simple compounding model:

    ``ARR(t) = ARR(t-1) × (1 - churn + expansion) + new``

    Churn and expansion act on the ARR at the start of each month (revenue churn, not
    logo churn); new ARR arrives at the end of the month, so it is first exposed to
    churn in the next month. With no new business and no expansion this is
    ``ARR × (1 - c)^months``, the basis of seed 001's 5% -> 4% claim (13.4%, see
    :func:`saas_kit.growth.churn_lift_on_arr`).

    Columns: ``monthly_churn``, ``months``, ``starting_arr``, ``ending_arr``,
    ``change`` (ending / starting - 1; NaN when starting ARR is 0) and
    ``vs_first_rate`` (ending ARR / ending ARR at the first rate listed - 1)."""
    start = float(current_arr)
    if not math.isfinite(start) or start < 0:
        raise ParameterError(f"current_arr must be an amount >= 0, got {current_arr!r}")
    n = _months(months, "months")
    rates = np.asarray(list(monthly_churn_rates), dtype="float64")
    if rates.size == 0 or not np.all(np.isfinite(rates)):
        raise ParameterError(f"monthly_churn_rates must be one or more finite rates, got {rates!r}")
    _rate(rates, "monthly_churn_rates")
    new = float(monthly_new_arr)
    expansion = float(monthly_expansion_rate)
    if not (math.isfinite(new) and new >= 0):
        raise ParameterError(f"monthly_new_arr must be an amount >= 0, got {monthly_new_arr!r}")
    if not (math.isfinite(expansion) and expansion >= 0):
        raise ParameterError(f"monthly_expansion_rate must be a rate >= 0, got {monthly_expansion_rate!r}")
    ending = np.full(rates.shape, start)
    for _ in range(n):
        ending = ending * (1.0 - rates + expansion) + new
    with np.errstate(divide="ignore", invalid="ignore"):
        change = ending / start - 1.0 if start > 0 else np.full(rates.shape, np.nan)
        vs_first = np.where(ending[0] > 0, ending / ending[0] - 1.0, np.nan)
    return pd.DataFrame({"monthly_churn": rates, "months": n, "starting_arr": start, "ending_arr": ending,
                         "change": change, "vs_first_rate": vs_first})


def trailing_churn(bridge: pd.DataFrame, month, window: int = 12) -> pd.Series:
    """Churn, expansion and ARPA pooled over the ``window`` months up to ``month``
    (metrics.md §4), for the steady-state formulas of this module.

    From a bridge of :func:`saas_kit.movements.mrr_movements` (one row per month):
    ``logo_churn`` = Σ churned customers / Σ opening customers; ``revenue_churn`` =
    Σ (churn + contraction) / Σ opening MRR (gross) and ``revenue_churn_plain`` =
    Σ churn / Σ opening MRR (seed 004's version); ``expansion_rate`` = Σ expansion /
    Σ opening MRR. Pooling weights each month by its base, which is steadier than a
    single month. Also ``months`` (months found in the window), ``new_customers``
    (Σ new), ``new_mrr_per_month`` (mean of new + reactivation MRR per month),
    ``mrr`` and ``customers`` at ``month`` and ``arpa`` = mrr / customers (NaN when
    there are none). Rates are NaN when their base is 0."""
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise ParameterError(f"window must be a whole number of months >= 1, got {window!r}")
    try:
        m = pd.Period(month, freq="M")
    except (TypeError, ValueError):
        raise ParameterError(f"month must be a month such as '2026-10', got {month!r}") from None
    months = pd.PeriodIndex(bridge["month"], freq="M")
    sel = bridge[(months <= m) & (months > m - window)]
    now = bridge[months == m]
    s = sel[["opening_mrr", "new", "reactivation", "expansion", "contraction", "churn",
             "opening_customers", "churned_customers", "new_customers"]].sum()
    n = len(sel)
    mrr = float(now["closing_mrr"].iloc[0]) if len(now) else float("nan")
    customers = float(now["customers"].iloc[0]) if len(now) else float("nan")
    return pd.Series({
        "months": n,
        "logo_churn": float(_ratio_array(s["churned_customers"], s["opening_customers"])),
        "revenue_churn": float(_ratio_array(s["churn"] + s["contraction"], s["opening_mrr"])),
        "revenue_churn_plain": float(_ratio_array(s["churn"], s["opening_mrr"])),
        "expansion_rate": float(_ratio_array(s["expansion"], s["opening_mrr"])),
        "new_customers": float(s["new_customers"]),
        "new_mrr_per_month": float(_ratio_array(s["new"] + s["reactivation"], n)),
        "mrr": mrr,
        "customers": customers,
        "arpa": float(_ratio_array(mrr, customers)),
    })


def trailing_cac(company: pd.DataFrame | None, bridge: pd.DataFrame, month, window: int = 12) -> pd.Series:
    """CAC over the ``window`` months up to ``month`` (metrics.md §4, seed 004):
    Σ sales and marketing spend (``company``) / Σ new customers (``bridge``).

    Returns ``spend``, ``spend_months`` (months of the window with a spend figure),
    ``new_customers`` and ``cac``. CAC is NaN when there is no company file, when
    any month of the window lacks a spend figure (a partial sum would understate
    CAC), or when nobody new arrived. Reactivated customers are not counted as new."""
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise ParameterError(f"window must be a whole number of months >= 1, got {window!r}")
    m = pd.Period(month, freq="M")
    bm = pd.PeriodIndex(bridge["month"], freq="M")
    new = float(bridge.loc[(bm <= m) & (bm > m - window), "new_customers"].sum())
    spend, spend_months = float("nan"), 0
    if company is not None and "sales_marketing_spend" in company.columns:
        cm = pd.PeriodIndex(company["month"], freq="M")
        rows = company[(cm <= m) & (cm > m - window)]
        values = rows["sales_marketing_spend"].dropna()
        spend_months = int(len(values))
        spend = float(values.sum()) if spend_months else float("nan")
    value = cac(spend, new) if spend_months == window else float("nan")
    return pd.Series({"spend": spend, "spend_months": spend_months, "new_customers": new, "cac": value})


def churn_rates_around(c: float, step: float = 0.01, count: int = 2) -> list[float]:
    """Monthly churn rates for a sensitivity table: ``c`` first, then ``c ± k × step``
    for k = 1..``count``, keeping only rates in [0, 1) and sorted after the first
    (so ``vs_first_rate`` of :func:`arr_sensitivity_to_churn` reads "against today's
    churn"). ``churn_rates_around(0.03)`` -> [0.03, 0.01, 0.02, 0.04, 0.05]."""
    c = float(c)
    if not (math.isfinite(c) and 0 <= c < 1):
        raise ParameterError(f"c must be a monthly rate in [0, 1), got {c!r}")
    step = float(step)
    if not (math.isfinite(step) and step > 0):
        raise ParameterError(f"step must be a positive rate, got {step!r}")
    others = {round(c + k * step, 10) for k in range(-int(count), int(count) + 1) if k != 0}
    return [c] + sorted(r for r in others if 0 <= r < 1)
