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

from typing import NamedTuple

import numpy as np
import pandas as pd

from saas_kit.calendar import EPOCH_MONTH_NUMBER, month_numbers
from saas_kit.calendar import month_number as period_to_number  # noqa: F401  (the names callers use)
from saas_kit.calendar import months_from_numbers as number_to_period  # noqa: F401
from saas_kit.money import MONTHS_IN_PERIOD, from_ticks, int_bincount, to_ticks


def month_number(values: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Dates (datetime64) -> integer month numbers ``year * 12 + month - 1``."""
    dt = pd.DatetimeIndex(values)
    return (dt.year.to_numpy(dtype="int64") * 12 + dt.month.to_numpy(dtype="int64") - 1)


def subscription_mrr_ticks(subscriptions: pd.DataFrame) -> np.ndarray:
    """Exact MRR of each subscription in ticks: ``amount / months_in_period``."""
    period = subscriptions["billing_period"].to_numpy()
    months_arr = np.zeros(len(period), dtype="int64")
    for name, months in MONTHS_IN_PERIOD.items():  # a comparison per period name: no hashing of every row
        months_arr[period == name] = months
    if (months_arr == 0).any():
        bad = pd.unique(period[months_arr == 0])[:5]
        raise ValueError(f"unknown billing_period values {list(bad)}; validate with saas_kit.loading first")
    amount_ticks = to_ticks(subscriptions["amount"].to_numpy(dtype="float64"))
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


def customer_codes(ids: pd.Series, sort: bool = True) -> tuple[np.ndarray, pd.Index]:
    """``pd.factorize(ids, sort=sort)``, without hashing when the ids are already in
    ascending order (as :func:`saas_kit.mrr.monthly_mrr` returns them, and as exports
    usually list subscriptions): each run of equal ids gets the next code. Comparing a
    cell with its neighbour is nearly free when both are the same string object, which
    they are within a run of monthly_mrr's output."""
    values = ids.to_numpy()
    if values.dtype == object and len(values) > 1:
        try:
            change = np.flatnonzero(values[1:] != values[:-1])
            ascending = bool((values[change] < values[change + 1]).all())
        except TypeError:  # ids of mixed types: no order to rely on
            ascending = False
        if ascending:
            codes = np.zeros(len(values), dtype="int64")
            codes[change + 1] = 1
            np.cumsum(codes, out=codes)
            return codes, pd.Index(values[np.r_[0, change + 1]], dtype=object)
    codes, uniques = pd.factorize(ids, sort=sort)
    return codes, pd.Index(uniques)


class ChangePoints(NamedTuple):
    """Every customer's MRR as a step function: at change point j (sorted by customer
    then month; one per customer and month at most) the customer's MRR becomes
    ``level[j]`` ticks and stays there until the customer's next change point. The
    customer of point j is ``uniques[key[j] // span]``, its month number
    ``key[j] % span + first_month``. A customer's last point has level 0, so the level
    before a customer's first point (``level[j - 1]``) is 0 too."""

    key: np.ndarray  # int64, strictly ascending
    level: np.ndarray  # int64 ticks >= 0
    span: int
    first_month: int
    uniques: pd.Index  # customer ids, sorted

    @property
    def customer(self) -> np.ndarray:
        return self.key // self.span

    @property
    def month(self) -> np.ndarray:
        return self.key % self.span + self.first_month


def change_points(subscriptions: pd.DataFrame, last_month: int, sort_customers: bool = True) -> ChangePoints | None:
    """The points where a customer's month-end MRR changes, up to ``last_month``
    (metrics.md §2); None when no subscription counts in any month.

    Each subscription adds its ticks in its first active month and takes them away in
    the month after its last one (``last_month + 1`` for those still active then).
    Sorting those 2 x subscriptions change points by (customer, month) and summing the
    ones of the same customer and month gives, per customer, a step function whose
    every step is a run of months at one exact MRR level (int64 ticks). A point whose
    changes cancel (one subscription replaced by another of the same price) keeps the
    level it had. ``sort_customers=False`` numbers the customers in order of appearance
    (``uniques`` then not sorted): cheaper, for callers that only total over customers."""
    if subscriptions.empty:
        return None
    ticks = subscription_mrr_ticks(subscriptions)
    first, last = active_month_range(subscriptions, last_month)
    keep = (last >= first) & (ticks != 0)
    codes, uniques = customer_codes(subscriptions["customer_id"], sort=sort_customers)
    codes, first, last, ticks = codes[keep].astype("int64"), first[keep], last[keep], ticks[keep]
    if len(codes) == 0:
        return None
    m0 = int(first.min())
    span = int(last.max()) + 2 - m0
    key = np.concatenate([codes * span + (first - m0), codes * span + (last + 1 - m0)])
    delta = np.concatenate([ticks, -ticks])
    # Any order among equal keys will do (their changes are summed below); the stable
    # sort (timsort) merges the two halves in linear time when the subscriptions come
    # grouped by customer, as exports list them.
    order = np.argsort(key, kind="stable")
    key, delta = key[order], delta[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    key, delta = key[starts], np.add.reduceat(delta, starts)
    # A customer's changes sum to zero, so one running total over all customers is
    # every customer's exact MRR level, back at 0 after their last change point.
    return ChangePoints(key, np.cumsum(delta), span, m0, pd.Index(uniques))


def _customer_months(subscriptions: pd.DataFrame, last_month: int) -> pd.DataFrame:
    """Customer-month rows of the subscriptions up to ``last_month`` (:func:`customer_months_from_points`)."""
    return customer_months_from_points(change_points(subscriptions, last_month))


def customer_months_from_points(points: ChangePoints | None) -> pd.DataFrame:
    """Customer-month rows from the points where a customer's MRR changes
    (:func:`change_points`). Only the runs with MRR > 0 are expanded to rows, straight
    into the output arrays: memory stays a small multiple of the result and nothing of
    customer-month size is ever sorted.
    """
    if points is None:
        return empty_customer_months()
    key, level, span, m0, uniques = points.key, points.level, points.span, points.first_month, points.uniques
    # Run j covers months key[j] .. key[j+1] - 1. A positive level is never a
    # customer's last change point, so key[j+1] belongs to the same customer.
    run = np.flatnonzero(level[:-1] > 0)
    run_key, length = key[run], key[run + 1] - key[run]
    run_customer, run_month = run_key // span, run_key % span + m0

    # Expand the runs: month ordinals by a running sum of +1 steps, restarting at each run.
    n_rows = int(length.sum())
    run_row = np.cumsum(length) - length
    ordinal = np.ones(n_rows, dtype="int64")
    run_ordinal = run_month - EPOCH_MONTH_NUMBER  # Period[M] ordinals count months since 1970-01
    ordinal[0] = run_ordinal[0]
    ordinal[run_row[1:]] = run_ordinal[1:] - (run_ordinal[:-1] + length[:-1] - 1)
    np.cumsum(ordinal, out=ordinal)
    return pd.DataFrame(
        {
            "customer_id": uniques.take(run_customer).repeat(length),
            "month": pd.PeriodIndex.from_ordinals(ordinal, freq="M"),
            "mrr": np.repeat(from_ticks(level[run]), length),
        },
        copy=False,
    )


def empty_customer_months() -> pd.DataFrame:
    """The customer-month MRR frame with no row (the columns and dtypes of :func:`monthly_mrr`)."""
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
    """Total MRR per month (exact sum), indexed by Period[M], every month in range.
    One integer pass: month numbers and ticks, summed per month by a bincount."""
    if customer_mrr.empty:
        return pd.Series([], dtype="float64", index=pd.PeriodIndex([], freq="M"), name="mrr")
    months = month_numbers(customer_mrr["month"])
    lo, hi = int(months.min()), int(months.max())
    totals = int_bincount(months - lo, to_ticks(customer_mrr["mrr"]), hi - lo + 1)
    return pd.Series(from_ticks(totals), index=number_to_period(np.arange(lo, hi + 1)), name="mrr")
