"""Monthly MRR per customer from subscription periods (metrics.md §2, seed 001).

A subscription's MRR is its recurring price divided by the months in its billing
period (month 1, quarter 3, year 12): seed 001's annual contract of 1,200,000 yen is
MRR 100,000 yen. MRR is a **month-end snapshot**: a subscription counts in month M
when it is active on the last day of M, ``start_date <= last_day(M) < end_date``
(``end_date`` exclusive, empty = still active). A customer's MRR in M is the sum over
their active subscriptions.

Months are handled as integer month numbers internally (``year * 12 + month - 1``)
and as ``pandas.Period[M]`` in every frame handed back.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from saas_kit.money import MONTHS_IN_PERIOD, from_ticks, to_ticks


def month_number(values: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Dates (datetime64) -> integer month numbers ``year * 12 + month - 1``."""
    dt = pd.DatetimeIndex(values)
    return (dt.year.to_numpy(dtype="int64") * 12 + dt.month.to_numpy(dtype="int64") - 1)


def period_to_number(month: pd.Period | str) -> int:
    """A month (Period or 'YYYY-MM') -> integer month number."""
    p = pd.Period(month, freq="M")
    return p.year * 12 + p.month - 1


def number_to_period(numbers: np.ndarray | int) -> pd.PeriodIndex | pd.Period:
    """Integer month numbers -> Period[M] (array or scalar)."""
    if np.ndim(numbers) == 0:
        n = int(numbers)
        return pd.Period(year=n // 12, month=n % 12 + 1, freq="M")
    arr = np.asarray(numbers, dtype="int64")
    # Period ordinals for monthly frequency count months since 1970-01.
    return pd.PeriodIndex.from_ordinals(arr - (1970 * 12), freq="M")


def subscription_mrr_ticks(subscriptions: pd.DataFrame) -> np.ndarray:
    """Exact MRR of each subscription in ticks: ``amount / months_in_period``."""
    months = subscriptions["billing_period"].map(MONTHS_IN_PERIOD)
    if months.isna().any():
        bad = subscriptions.loc[months.isna(), "billing_period"].unique()[:5]
        raise ValueError(f"unknown billing_period values {list(bad)}; validate with saas_kit.loading first")
    amount_ticks = to_ticks(subscriptions["amount"].to_numpy(dtype="float64"))
    months_arr = months.to_numpy(dtype="int64")
    # amount * 1200 is divisible by 1, 3 and 12 for every amount with at most two
    # decimals; for anything finer, round half up to the nearest tick.
    return (2 * amount_ticks + months_arr) // (2 * months_arr)


def active_month_range(
    subscriptions: pd.DataFrame, last_month: int
) -> tuple[np.ndarray, np.ndarray]:
    """First and last month number in which each subscription is active at month end.

    ``start_date <= last_day(M)`` holds from ``month(start_date)`` on, and
    ``end_date > last_day(M)`` means ``end_date >= first_day(M + 1)``, i.e.
    ``M <= month(end_date) - 1`` (whether end_date is the first or mid-month).
    Open subscriptions run to ``last_month``. An empty range has first > last.
    """
    first = month_number(subscriptions["start_date"])
    end = subscriptions["end_date"]
    last = np.full(len(subscriptions), last_month, dtype="int64")
    has_end = end.notna().to_numpy()
    if has_end.any():
        last[has_end] = np.minimum(month_number(end[has_end]) - 1, last_month)
    return first, last


def monthly_mrr(
    subscriptions: pd.DataFrame,
    last_month: pd.Period | str | None = None,
) -> pd.DataFrame:
    """MRR per customer and month: one row per customer-month with MRR > 0.

    ``mrr(customer, M) = Σ amount_s / months_in_period_s`` over the customer's
    subscriptions s active at the end of M (metrics.md §2; seed 001 for annual
    normalisation). Months with no active subscription are absent (MRR 0).

    ``last_month`` bounds open subscriptions; by default the latest month any date in
    ``subscriptions`` falls in (start dates, and the last active day of ended ones).
    Returns columns ``customer_id``, ``month`` (Period[M]), ``mrr`` (float64 currency
    units, exact to the tick), sorted by customer and month.
    """
    if last_month is None:
        last = latest_month_number(subscriptions)
    else:
        last = period_to_number(last_month)
    return _customer_months(subscriptions, last)


def latest_month_number(subscriptions: pd.DataFrame) -> int:
    """Latest month in which any subscription date falls (start, or last active day)."""
    candidates = [month_number(subscriptions["start_date"].dropna()).max(initial=-1)]
    ends = subscriptions["end_date"].dropna()
    if len(ends):
        candidates.append(month_number(ends - pd.Timedelta(days=1)).max())
    return int(max(candidates))


def _customer_months(subscriptions: pd.DataFrame, last_month: int) -> pd.DataFrame:
    if subscriptions.empty:
        return _empty_customer_months()
    ticks = subscription_mrr_ticks(subscriptions)
    first, last = active_month_range(subscriptions, last_month)
    n_months = np.clip(last - first + 1, 0, None)
    keep = (n_months > 0) & (ticks != 0)
    codes, uniques = pd.factorize(subscriptions["customer_id"], sort=True)
    codes, first, n_months, ticks = codes[keep], first[keep], n_months[keep], ticks[keep]
    if len(codes) == 0:
        return _empty_customer_months()

    # Expand every subscription to one row per active month.
    rows = np.repeat(np.arange(len(codes)), n_months)
    offsets = np.arange(len(rows)) - np.repeat(np.cumsum(n_months) - n_months, n_months)
    month = first[rows] + offsets
    m0 = int(month.min())
    span = int(month.max()) - m0 + 1
    key = codes[rows].astype("int64") * span + (month - m0)

    # Sum per (customer, month) exactly in int64.
    order = np.argsort(key, kind="stable")
    key_sorted = key[order]
    starts = np.flatnonzero(np.r_[True, key_sorted[1:] != key_sorted[:-1]])
    total = np.add.reduceat(ticks[rows][order], starts)
    ukey = key_sorted[starts]
    positive = total > 0
    ukey, total = ukey[positive], total[positive]
    return pd.DataFrame(
        {
            "customer_id": uniques.take(ukey // span),
            "month": number_to_period(ukey % span + m0),
            "mrr": from_ticks(total),
        }
    )


def _empty_customer_months() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": pd.Series([], dtype="object"),
            "month": pd.PeriodIndex([], freq="M"),
            "mrr": pd.Series([], dtype="float64"),
        }
    )


def mrr_from_table(mrr_table: pd.DataFrame) -> pd.DataFrame:
    """Normalise a ready monthly MRR table (metrics.md §1 ``mrr`` input) to the
    customer-month frame: sums duplicate rows, drops MRR 0, sorts."""
    df = mrr_table[["customer_id", "month", "mrr"]].copy()
    df["month"] = pd.PeriodIndex(df["month"], freq="M")
    df["_t"] = to_ticks(df["mrr"])
    out = df.groupby(["customer_id", "month"], sort=True, observed=True)["_t"].sum().reset_index()
    out = out[out["_t"] > 0]
    return pd.DataFrame(
        {"customer_id": out["customer_id"].to_numpy(), "month": out["month"].to_numpy(),
         "mrr": from_ticks(out["_t"].to_numpy())}
    ).reset_index(drop=True)


def mrr_by_month(customer_mrr: pd.DataFrame) -> pd.Series:
    """Total MRR per month (exact sum), indexed by Period[M], every month in range."""
    if customer_mrr.empty:
        return pd.Series([], dtype="float64", index=pd.PeriodIndex([], freq="M"), name="mrr")
    t = pd.Series(to_ticks(customer_mrr["mrr"]), index=customer_mrr["month"].to_numpy())
    totals = t.groupby(level=0).sum()
    full = pd.period_range(totals.index.min(), totals.index.max(), freq="M")
    totals = totals.reindex(full, fill_value=0)
    return pd.Series(from_ticks(totals.to_numpy()), index=full, name="mrr")
