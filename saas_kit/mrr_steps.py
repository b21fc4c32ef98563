"""The ledger's figures from the steps of every customer's MRR (metrics.md §2-§4; issue 14).

A customer's month-end MRR is a step function: it only changes in the months where one
of their subscriptions starts or ends (:class:`saas_kit.mrr.ChangePoints`: at point j
the MRR becomes ``level[j]`` ticks and stays there until the customer's next point; a
customer's last point has level 0). A ledger of S subscriptions has at most 2·S points,
while its customer-month frame has one row per customer and month (ten times more for a
million customers who stay seven years on average). Every figure of the month analysis
is a sum over customer-months, and over a run of months at one level such a sum is the
level times the run's length, so it is computed here from the points in
O(points log points), exactly in int64 ticks:

- :func:`bridge_cells`: closing MRR and customers per (group, month) as running sums of
  the changes, and the five movements of metrics.md §3 at the points themselves;
- :func:`retention_cells`: the twelve-month cohort NRR and GRR sums (seed 003) from the
  merged steps of ``mrr(M)`` and ``mrr(M + 12)``;
- :func:`cohort_cells`: customers and MRR per (start month, age), each run of months
  added to its ages at once;
- :func:`saas_kit.rows.points_from_rows` gives the points of a customer-month frame (for
  the functions that take one: :func:`saas_kit.movements.mrr_movements`,
  :func:`saas_kit.rates.trailing_retention`, :func:`saas_kit.cohorts.cohort_long`, which
  return the same frames either way).

Sums over a range of months use difference arrays: +v at the range's first month, -v
after its last, then a running sum along the months.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from saas_kit.calendar import months_from_numbers
from saas_kit.money import from_ticks, int_bincount
from saas_kit.mrr import ChangePoints

#: The movements of metrics.md §3, in the bridge's column order.
MOVEMENTS = ("new", "expansion", "reactivation", "contraction", "churn")


def customers_with_points(points: ChangePoints) -> np.ndarray:
    """Which customers of ``points.uniques`` have a point (MRR in some month): the points of
    subscriptions number every customer of the file, also those never active at a month end."""
    present = np.zeros(len(points.uniques), dtype=bool)
    present[points.customer] = True
    return present


def previous_levels(points: ChangePoints) -> np.ndarray:
    """The level before each point: the customer's previous level, 0 before their first
    point (the point before it is the previous customer's last, at level 0)."""
    prev = np.empty_like(points.level)
    prev[:1] = 0
    prev[1:] = points.level[:-1]
    return prev


def first_points(customer: np.ndarray) -> np.ndarray:
    """Is point j its customer's first?"""
    first = np.ones(len(customer), dtype=bool)
    np.not_equal(customer[1:], customer[:-1], out=first[1:])
    return first


def last_month_with_mrr(points: ChangePoints) -> int:
    """The latest month in which some customer has MRR > 0 (a run at a positive level
    ends the month before the customer's next point)."""
    positive = np.flatnonzero(points.level[:-1] > 0)
    return int((points.key[positive + 1] % points.span).max()) + points.first_month - 1


def mrr_totals(points: ChangePoints) -> tuple[int, np.ndarray]:
    """(first month, total MRR ticks of every month from it to the last month with MRR):
    the running sum of every point's change."""
    first, last = points.first_month, last_month_with_mrr(points)
    month = points.month
    keep = month <= last
    changes = points.level - previous_levels(points)
    return first, np.cumsum(int_bincount(month[keep] - first, changes[keep], last - first + 1))


def mrr_by_month_from_points(points: ChangePoints | None) -> pd.Series:
    """:func:`saas_kit.mrr.mrr_by_month` of the customer-months of the points."""
    if points is None:
        return pd.Series([], dtype="float64", index=pd.PeriodIndex([], freq="M"), name="mrr")
    first, totals = mrr_totals(points)
    return pd.Series(from_ticks(totals), index=months_from_numbers(np.arange(first, first + len(totals))), name="mrr")


def last_month_with_mrr_by(points: ChangePoints | None, month: int) -> int | None:
    """The latest month up to ``month`` in which some customer has MRR > 0 (None if none)."""
    if points is None or month < points.first_month:
        return None
    first, totals = mrr_totals(points)
    paying = np.flatnonzero(totals[: month - first + 1] > 0)
    return first + int(paying[-1]) if len(paying) else None


class BridgeCells(NamedTuple):
    """Per (group, month lo..hi), flattened group-major: closing MRR (ticks) and customers,
    each movement's ticks and customer count; per group, MRR and customers at lo - 1."""

    closing: np.ndarray
    customers: np.ndarray
    before: np.ndarray
    before_customers: np.ndarray
    amounts: dict[str, np.ndarray]
    counts: dict[str, np.ndarray]

    def whole(self, n_groups: int) -> "BridgeCells":
        """The cells of all groups together: each month's sums over the ``n_groups`` groups
        (exact int64, so the same as :func:`bridge_cells` without groups)."""
        def total(values: np.ndarray) -> np.ndarray:
            return values.reshape(n_groups, -1).sum(axis=0)

        return BridgeCells(total(self.closing), total(self.customers), self.before.sum(keepdims=True),
                           self.before_customers.sum(keepdims=True),
                           {k: total(v) for k, v in self.amounts.items()}, {k: total(v) for k, v in self.counts.items()})


def bridge_cells(points: ChangePoints, lo: int, hi: int, group_of_customer: np.ndarray | None = None,
                 n_groups: int = 1) -> BridgeCells:
    """The bridge of metrics.md §3 per (group, month) for months ``lo..hi`` (``hi >= lo``),
    from the points (``group_of_customer``: each customer code's group, None = one group).

    At point j the customer's MRR goes from ``prev`` (the level before) to ``cur``: new when
    prev = 0 at their first point, reactivation when prev = 0 later, expansion when
    0 < prev < cur, contraction when 0 < cur < prev, churn when prev > 0 = cur. Closing MRR
    and customers of month M are the running sums of ``cur - prev`` and of
    ``[cur > 0] - [prev > 0]`` over the points up to M."""
    customer, month, cur = points.customer, points.month, points.level
    prev = previous_levels(points)
    first = first_points(customer)
    origin = min(lo - 1, points.first_month)  # running sums start before any point
    width = hi - origin + 1
    keep = month <= hi
    group = (np.zeros(int(keep.sum()), dtype="int64") if group_of_customer is None
             else group_of_customer[customer[keep]].astype("int64"))
    month, cur, prev, first = month[keep], cur[keep], prev[keep], first[keep]
    idx = group * width + (month - origin)
    size = n_groups * width
    level_sums = np.cumsum(int_bincount(idx, cur - prev, size).reshape(n_groups, width), axis=1)
    was, now = prev > 0, cur > 0
    counted = np.cumsum(np.bincount(idx, weights=now.astype("int64") - was.astype("int64"), minlength=size)
                        .astype("int64").reshape(n_groups, width), axis=1)
    start = lo - origin
    in_range = month >= lo
    cells = group * (hi - lo + 1) + (month - lo)
    kinds = {
        "new": (~was & now & first, cur),
        "expansion": (was & (cur > prev), cur - prev),
        "reactivation": (~was & now & ~first, cur),
        "contraction": (was & now & (cur < prev), prev - cur),
        "churn": (was & ~now, prev),
    }
    n_cells = n_groups * (hi - lo + 1)
    amounts, counts = {}, {}
    for name in MOVEMENTS:
        mask, amount = kinds[name]
        mask &= in_range
        amounts[name] = int_bincount(cells[mask], amount[mask], n_cells)
        counts[name] = np.bincount(cells[mask], minlength=n_cells).astype("int64")
    return BridgeCells(level_sums[:, start:].ravel(), counted[:, start:].ravel(), level_sums[:, start - 1].copy(),
                       counted[:, start - 1].copy(), amounts, counts)


class RetentionCells(NamedTuple):
    """Per (group, month lo..hi), flattened group-major: the base's customers, MRR at M - k
    (``base``), at M (``cur``), capped at the base MRR (``capped``), and the customers
    of the base still paying at M (``kept``)."""

    lo: int
    hi: int
    base_customers: np.ndarray
    base: np.ndarray
    cur: np.ndarray
    capped: np.ndarray
    kept: np.ndarray

    def whole(self, n_groups: int) -> "RetentionCells":
        """The cells of all groups together (exact int64 sums over the ``n_groups`` groups)."""
        def total(values: np.ndarray) -> np.ndarray:
            return values.reshape(n_groups, -1).sum(axis=0)

        return RetentionCells(self.lo, self.hi, total(self.base_customers), total(self.base), total(self.cur),
                              total(self.capped), total(self.kept))


def retention_cells(points: ChangePoints, months: int = 12, group_of_customer: np.ndarray | None = None,
                    n_groups: int = 1) -> RetentionCells | None:
    """Trailing cohort retention sums (seed 003; metrics.md §4) for every month M from
    ``first + months`` to the last month with MRR: over the customers with MRR > 0 at
    ``B = M - months``, the count, ``Σ mrr(B)``, ``Σ mrr(M)``, ``Σ min(mrr(M), mrr(B))`` and
    the count with ``mrr(M) > 0``. None when no month has a base.

    ``f(B) = mrr(B)`` and ``g(B) = mrr(B + months)`` are both step functions of B; merging
    their points (g's are f's moved ``months`` earlier) cuts each customer's months into
    segments on which both are constant, and each segment adds its values to its range of
    base months at once."""
    first = points.first_month
    last = last_month_with_mrr(points)
    if last - first < months:
        return None
    n_base = last - months - first + 1  # base months first .. last - months
    room = points.span + months
    customer = points.customer
    key_f = customer * room + (points.month - first + months)
    del customer
    n = len(key_f)
    keys = np.concatenate([key_f, key_f - months])
    del key_f
    order = np.argsort(keys, kind="stable")  # two sorted runs: merged in linear time
    keys = keys[order]
    from_f = order < n
    f_at = np.where(from_f, order, -1)
    np.maximum.accumulate(f_at, out=f_at)  # the latest point of f at or before each key
    g_at = np.where(from_f, -1, order - n)
    np.maximum.accumulate(g_at, out=g_at)
    del order, from_f
    last_of_key = np.ones(len(keys), dtype=bool)
    np.not_equal(keys[1:], keys[:-1], out=last_of_key[:-1])
    keys, f_at, g_at = keys[last_of_key], f_at[last_of_key], g_at[last_of_key]
    f = np.where(f_at >= 0, points.level[f_at], 0)
    g = np.where(g_at >= 0, points.level[g_at], 0)
    del f_at, g_at
    seg = np.flatnonzero(f[:-1] > 0)  # a positive f is never its customer's last key: seg + 1 is the same customer
    b_start = keys[seg] % room - months  # base month - first
    b_end = np.minimum(keys[seg + 1] % room - months, n_base)
    useful = b_end > b_start
    seg, b_start, b_end = seg[useful], b_start[useful], b_end[useful]
    f, g = f[seg], g[seg]
    group = (np.zeros(len(seg), dtype="int64") if group_of_customer is None
             else group_of_customer[keys[seg] // room].astype("int64"))
    width = n_base + 1
    idx = np.concatenate([group * width + b_start, group * width + b_end])
    size = n_groups * width

    def over_months(values: np.ndarray) -> np.ndarray:
        values = values.astype("int64", copy=False)
        sums = int_bincount(idx, np.concatenate([values, -values]), size).reshape(n_groups, width)
        return np.cumsum(sums, axis=1)[:, :n_base].ravel()

    ones = np.ones(len(seg), dtype="int64")
    return RetentionCells(first + months, last, over_months(ones), over_months(f), over_months(g),
                          over_months(np.minimum(f, g)), over_months(g > 0))


class CohortCells(NamedTuple):
    """Customers and MRR ticks per (cohort, age) on a grid: cohort months ``first`` ..
    ``first + n_cohorts - 1`` by ages ``0 .. n_ages - 1``, flattened cohort-major."""

    first: int
    n_ages: int
    customers: np.ndarray
    ticks: np.ndarray


def cohort_cells(points: ChangePoints, until: int, max_age: int | None = None) -> CohortCells | None:
    """The cohorts of metrics.md §4 (seeds 003, 004) over the months up to ``until``: a
    customer's cohort is the month of their first point (their first month with MRR),
    each run of months at a positive level adds the customer and their MRR to the ages
    it covers (``max_age``: ages up to it only). None when no customer has MRR by ``until``."""
    customer, month, level = points.customer, points.month, points.level
    first_of = np.where(first_points(customer), np.arange(len(customer)), 0)
    np.maximum.accumulate(first_of, out=first_of)  # each point's customer's first point
    runs = np.flatnonzero((level[:-1] > 0) & (month[:-1] <= until))
    if len(runs) == 0:
        return None
    cohort = month[first_of[runs]]
    first = int(cohort.min())
    n_ages = until - first + 1 if max_age is None else min(until - first + 1, max_age + 1)
    start = month[runs] - cohort
    end = np.minimum(np.minimum(month[runs + 1], until + 1) - cohort, n_ages)
    useful = end > start
    runs, cohort, start, end = runs[useful], cohort[useful], start[useful], end[useful]
    width = n_ages + 1
    row = (cohort - first) * width
    idx = np.concatenate([row + start, row + end])
    n_cohorts = int(cohort.max()) - first + 1 if len(cohort) else 1
    size = n_cohorts * width

    def over_ages(values: np.ndarray) -> np.ndarray:
        sums = int_bincount(idx, np.concatenate([values, -values]), size).reshape(n_cohorts, width)
        return np.cumsum(sums, axis=1)[:, :n_ages].ravel()

    return CohortCells(first, n_ages, over_ages(np.ones(len(runs), dtype="int64")), over_ages(level[runs]))


class Moves(NamedTuple):
    """Movements at points (sorted by customer, then month): the points' indices, the
    customers' codes, the movement (index into :data:`MOVEMENTS`), MRR before and after (ticks)."""

    at: np.ndarray
    customer: np.ndarray
    kind: np.ndarray
    prev: np.ndarray
    cur: np.ndarray

    @classmethod
    def empty(cls) -> "Moves":
        z = np.zeros(0, dtype="int64")
        return cls(z, z, z.astype("int8"), z, z)


def movement_codes(prev: np.ndarray, cur: np.ndarray, first: np.ndarray) -> np.ndarray:
    """The movement (index into :data:`MOVEMENTS`) of each change ``prev -> cur`` (which
    must differ; ``first``: the customer's first point)."""
    kind = np.where(prev == 0, np.where(first, 0, 2), np.where(cur == 0, 4, np.where(cur > prev, 1, 3)))
    return kind.astype("int8")


def moves_at(points: ChangePoints, selected: np.ndarray) -> Moves:
    """The movements at the points ``selected`` (indices, ascending) whose level changes."""
    prev = previous_levels(points)[selected]
    cur = points.level[selected]
    moved = prev != cur
    selected, prev, cur = selected[moved], prev[moved], cur[moved]
    customer = points.key[selected] // points.span
    first = np.ones(len(selected), dtype=bool)
    has_before = selected > 0
    first[has_before] = points.key[selected[has_before] - 1] // points.span != customer[has_before]
    return Moves(selected, customer, movement_codes(prev, cur, first), prev, cur)


def month_moves(points: ChangePoints, month: int) -> Moves:
    """Every customer whose MRR moved in ``month`` (metrics.md §3)."""
    return moves_at(points, np.flatnonzero(points.key % points.span == month - points.first_month))
