"""The MRR bridge straight from the change points of the customers' MRR (metrics.md §3;
seeds 002 and 004), without expanding subscriptions to customer-months.

A customer's month-end MRR is a step function (:func:`saas_kit.mrr.change_points`):
it only moves in the months where one of their subscriptions starts or ends. Comparing
the level before and after each change point (``prev``, ``cur``) gives exactly the
movements of metrics.md §3 that :func:`saas_kit.movements.mrr_movements` finds by
walking every customer-month:

======================  ==============================================  ==========
movement                at a change point                               amount
======================  ==============================================  ==========
new                     prev = 0, cur > 0, the customer's first point   cur
reactivation            prev = 0, cur > 0, a later point                cur
expansion               prev > 0, cur > prev                            cur - prev
contraction             prev > 0, 0 < cur < prev                        prev - cur
churn                   prev > 0, cur = 0                               prev
======================  ==============================================  ==========

Closing MRR and the customer count of month M are running sums of ``cur - prev`` and
of ``[cur > 0] - [prev > 0]`` over the points up to M. Everything is int64 ticks, so
the bridge is the same to the tick as ``mrr_movements(monthly_mrr(...))``, in
O(subscriptions log subscriptions) time and memory instead of O(customer-months).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from saas_kit.money import from_ticks
from saas_kit.mrr import ChangePoints, change_points, number_to_period, period_to_number

MOVEMENTS = ("new", "expansion", "reactivation", "contraction", "churn")
COUNT_NAMES = {"new": "new_customers", "expansion": "expansion_customers", "reactivation": "reactivated_customers",
               "contraction": "contraction_customers", "churn": "churned_customers"}
BRIDGE_COLUMNS = ["month", "opening_mrr", *MOVEMENTS, "net_new_mrr", "closing_mrr", "opening_customers",
                  "customers", *COUNT_NAMES.values()]


def bridge_from_subscriptions(subscriptions: pd.DataFrame, last_month: pd.Period | str,
                              through: pd.Period | str | None = None) -> pd.DataFrame | None:
    """The bridge ``mrr_movements(monthly_mrr(subscriptions, last_month), last_month=through)``
    returns (``through`` defaults to ``last_month`` and must not be after it), the same
    columns and values, computed from the change points. None when no subscription
    has MRR at any month end up to ``last_month`` (monthly_mrr's frame would be empty)."""
    last = period_to_number(last_month)
    points = change_points(subscriptions, last, sort_customers=False)
    if points is None:
        return None
    return bridge_from_change_points(points, last if through is None else period_to_number(through))


def bridge_from_change_points(points: ChangePoints, hi: int) -> pd.DataFrame:
    """One bridge row per month from the first month with MRR to month number ``hi``
    (an empty frame when ``hi`` is earlier). Points after ``hi`` are ignored."""
    customer, month, cur = points.customer, points.month, points.level
    lo = int(month.min())  # the first point of the earliest customer: the first month with MRR
    if hi < lo:
        return pd.DataFrame({c: [] for c in BRIDGE_COLUMNS})
    prev = np.empty_like(cur)
    prev[0] = 0
    prev[1:] = cur[:-1]  # 0 before a customer's first point: the previous customer ended at 0
    first_of_customer = np.ones(len(cur), dtype=bool)
    np.not_equal(customer[1:], customer[:-1], out=first_of_customer[1:])
    in_range = month <= hi
    idx = (month - lo)[in_range]
    prev, cur, first_of_customer = prev[in_range], cur[in_range], first_of_customer[in_range]
    span = hi - lo + 1

    was, now = prev > 0, cur > 0
    kinds = {
        "new": (~was & now & first_of_customer, cur),
        "reactivation": (~was & now & ~first_of_customer, cur),
        "expansion": (was & (cur > prev), cur - prev),
        "contraction": (was & now & (cur < prev), prev - cur),
        "churn": (was & ~now, prev),
    }
    out = pd.DataFrame({"month": number_to_period(np.arange(lo, hi + 1))})
    amounts, counts = {}, {}
    for name in MOVEMENTS:
        mask, amount = kinds[name]
        amounts[name] = _sum_by(idx[mask], amount[mask], span)
        counts[name] = np.bincount(idx[mask], minlength=span).astype("int64")
    closing = np.cumsum(_sum_by(idx, cur - prev, span))
    customers = np.cumsum(np.bincount(idx, weights=now.astype("int64") - was.astype("int64"), minlength=span)
                          ).astype("int64")
    net = amounts["new"] + amounts["reactivation"] + amounts["expansion"] - amounts["contraction"] - amounts["churn"]
    opening = np.r_[0, closing[:-1]]
    if not np.array_equal(opening + net, closing):  # exact in int64 ticks; guards regressions
        bad = np.flatnonzero(opening + net != closing)[0]
        raise AssertionError(f"MRR bridge does not reconcile in month index {bad}")
    out["opening_mrr"] = from_ticks(opening)
    for name in MOVEMENTS:
        out[name] = from_ticks(amounts[name])
    out["net_new_mrr"] = from_ticks(net)
    out["closing_mrr"] = from_ticks(closing)
    out["opening_customers"] = np.r_[0, customers[:-1]].astype("int64")
    out["customers"] = customers
    for name in MOVEMENTS:
        out[COUNT_NAMES[name]] = counts[name]
    return out


def _sum_by(idx: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Exact int64 sums of ``values`` per index. A float64 bincount is exact while the
    sum of the absolute values stays below 2**53 ticks (every partial sum is then a
    whole number a double holds exactly); beyond that, an integer ``np.add.at``."""
    if len(idx) and np.abs(values).sum(dtype="float64") >= 2**52:
        out = np.zeros(size, dtype="int64")
        np.add.at(out, idx, values)
        return out
    return np.bincount(idx, weights=values, minlength=size).astype("int64")
