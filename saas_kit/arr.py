"""ARR and what it is made of (seed 001; metrics.md §1, §2, §4): ARR = MRR × 12, MRR
split by billing period (annual and quarterly contracts normalised to months), and the
one-off charges that stay out of ARR.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from saas_kit.calendar import MONTHS_PER_YEAR, month_number
from saas_kit.money import MONTHS_IN_PERIOD, from_ticks, to_ticks
from saas_kit.mrr import active_month_range, mrr_by_month, subscription_mrr_ticks


def arr_from_mrr(mrr):
    """ARR = MRR × 12 (seed 001; metrics.md §4). Works on numbers, numpy arrays and
    pandas Series/DataFrames. Worked example 2 (seed 001): MRR 5,000,000 yen ->
    ARR 60,000,000 yen. The same factor turns New / Churn / Net New MRR into ARR
    (seed 002). A list or tuple is treated as a numpy array."""
    if isinstance(mrr, (list, tuple)):
        mrr = np.asarray(mrr, dtype="float64")
    return mrr * MONTHS_PER_YEAR


def mrr_from_arr(arr):
    """MRR = ARR / 12 (seed 001). Worked example 15 (seed 004): ARR 100,000,000 yen
    -> MRR 8,333,333.33 yen, which the seed rounds to "8.33M" (833万円)."""
    if isinstance(arr, (list, tuple)):
        arr = np.asarray(arr, dtype="float64")
    return arr / MONTHS_PER_YEAR


def mrr_by_billing_period(subscriptions: pd.DataFrame, month) -> pd.DataFrame:
    """MRR and ARR of ``month`` split by billing period (seed 001; metrics.md §2).

    Each active subscription (month-end snapshot, as in :func:`saas_kit.mrr.monthly_mrr`)
    contributes ``amount / months_in_period``: seed 001's annual contract of
    1,200,000 yen is MRR 100,000 and ARR 1,200,000. One row per billing period in
    the order month, quarter, year (periods with no active subscription show 0):
    ``billing_period``, ``subscriptions`` (active count), ``billed_amount`` (sum of
    the invoiced amounts per period), ``mrr``, ``arr`` (= mrr × 12) and ``mrr_share``
    (share of the month's total MRR; NaN when the total is 0)."""
    m = month_number(month)
    periods = list(MONTHS_IN_PERIOD)
    if subscriptions.empty:
        active = subscriptions.iloc[0:0]
        ticks = np.zeros(0, dtype="int64")
    else:
        first, last = active_month_range(subscriptions, m)
        mask = (first <= m) & (last >= m)
        active = subscriptions.loc[mask, ["billing_period", "amount"]]  # the two columns used: no copy of the rest
        ticks = subscription_mrr_ticks(active)
    period = active["billing_period"].to_numpy()
    billed = to_ticks(active["amount"].to_numpy(dtype="float64"))
    rows = []
    for p in periods:
        sel = period == p
        rows.append({"billing_period": p, "subscriptions": int(sel.sum()),
                     "billed_t": int(billed[sel].sum()), "mrr_t": int(ticks[sel].sum())})
    out = pd.DataFrame(rows)
    total = out["mrr_t"].sum()
    out["billed_amount"] = from_ticks(out.pop("billed_t").to_numpy())
    out["mrr"] = from_ticks(out.pop("mrr_t").to_numpy())
    out["arr"] = arr_from_mrr(out["mrr"])
    out["mrr_share"] = out["mrr"] / from_ticks(total) if total > 0 else np.nan
    return out


def recurring_and_one_off(customer_mrr: pd.DataFrame, charges: pd.DataFrame | None) -> pd.DataFrame:
    """Recurring revenue beside one-off charges, per month (seed 001; metrics.md §1).

    One-off charges (setup fees, consulting, training: ``charges``) are revenue in the
    month they are dated, but never part of MRR or ARR (seed 001 lists what ARR
    excludes). Columns: ``month`` (every month of the MRR range), ``mrr``, ``arr``
    (= mrr × 12), ``one_off`` (sum of charges dated in the month, 0 when none; charges
    outside the MRR range are left out) and ``one_off_share`` = one_off / (mrr +
    one_off), the share of the month's billed revenue that would wrongly inflate ARR
    if annualised (NaN when both are 0)."""
    return recurring_beside_one_off(mrr_by_month(customer_mrr), charges)


def recurring_beside_one_off(total: pd.Series, charges: pd.DataFrame | None) -> pd.DataFrame:
    """:func:`recurring_and_one_off` from the total MRR by month (:func:`saas_kit.mrr.mrr_by_month`)."""
    one_off = pd.Series(0, index=total.index, dtype="int64")
    if charges is not None and len(charges):
        months = pd.PeriodIndex(pd.DatetimeIndex(charges["date"]), freq="M")
        t = pd.Series(to_ticks(charges["amount"]), index=months).groupby(level=0).sum()
        one_off = t.reindex(total.index, fill_value=0).astype("int64")
    one_off_amount = from_ticks(one_off.to_numpy())
    mrr = total.to_numpy(dtype="float64")
    den = mrr + one_off_amount
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(den > 0, one_off_amount / np.where(den > 0, den, 1.0), np.nan)
    return pd.DataFrame({"month": total.index, "mrr": mrr, "arr": arr_from_mrr(mrr),
                         "one_off": one_off_amount, "one_off_share": share})


def one_off_by_kind(charges: pd.DataFrame | None, start_month, end_month) -> pd.DataFrame:
    """One-off charges dated from ``start_month`` to ``end_month`` (both included) by
    ``kind`` (seed 001: setup fees and one-off consulting stay out of ARR). Columns
    ``kind``, ``charges`` (count), ``amount`` (exact sum), largest amount first."""
    empty = pd.DataFrame({"kind": pd.Series(dtype="object"), "charges": pd.Series(dtype="int64"),
                          "amount": pd.Series(dtype="float64")})
    if charges is None or charges.empty:
        return empty
    lo, hi = pd.Period(start_month, freq="M"), pd.Period(end_month, freq="M")
    months = pd.PeriodIndex(pd.DatetimeIndex(charges["date"]), freq="M")
    sel = charges[(months >= lo) & (months <= hi)]
    if sel.empty:
        return empty
    kind = sel["kind"] if "kind" in sel.columns else pd.Series("one-off", index=sel.index)
    g = pd.DataFrame({"kind": kind.to_numpy(), "t": to_ticks(sel["amount"])}).groupby("kind", sort=True)
    out = g.agg(charges=("t", "size"), t=("t", "sum")).reset_index()
    out["amount"] = from_ticks(out.pop("t").to_numpy())
    out["charges"] = out["charges"].astype("int64")
    return out.sort_values(["amount", "kind"], ascending=[False, True], ignore_index=True)
