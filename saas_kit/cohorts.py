"""Cohort retention tables by start month (metrics.md §4, seeds 003 and 004).

A customer's cohort is the first month in which they had MRR > 0; their age in month
M is ``M - cohort`` (age 0 = the start month).

- logo retention at age k = customers of the cohort with MRR > 0 at age k / cohort size;
- revenue retention at age k = the cohort's MRR at age k / its MRR at age 0 (this is a
  net figure: expansion of the survivors can lift it above 100%, as in seed 003's
  cohort view of NRR).

Customers who leave and come back count again from the month they return. Cost: linear
in the points where the customers' MRR changes (:mod:`saas_kit.mrr_steps`): each run
of months at one level adds to all its ages at once.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from saas_kit.calendar import months_from_numbers
from saas_kit.money import from_ticks
from saas_kit.mrr import ChangePoints
from saas_kit.mrr_steps import cohort_cells
from saas_kit.rows import points_from_rows, sorted_rows


def cohort_sizes(customer_mrr: pd.DataFrame) -> pd.DataFrame:
    """Per cohort month: ``customers`` and starting ``mrr`` (at age 0)."""
    long = cohort_long(customer_mrr)
    first = long[long["age"] == 0]
    return first[["cohort", "customers", "mrr"]].reset_index(drop=True)


COHORT_COLUMNS = ["cohort", "age", "customers", "mrr", "logo_retention", "revenue_retention"]


def cohort_long(customer_mrr: pd.DataFrame, max_age: int | None = None) -> pd.DataFrame:
    """Tidy cohort table: one row per (cohort, age) with ``customers`` (MRR > 0),
    ``mrr`` (exact sum), ``logo_retention`` and ``revenue_retention``, over the frame's
    months (:func:`cohorts_from_points`)."""
    cm = customer_mrr[customer_mrr["mrr"] > 0]
    if cm.empty:
        return pd.DataFrame(columns=COHORT_COLUMNS)
    rows = sorted_rows(cm)
    return cohorts_from_points(points_from_rows(rows), int(rows.month.max()), max_age)


def cohorts_from_points(points: ChangePoints | None, until: int, max_age: int | None = None) -> pd.DataFrame:
    """:func:`cohort_long` of the customer-months up to month number ``until`` from the
    points of the customers' MRR (:func:`saas_kit.mrr_steps.cohort_cells`); cohorts in
    order, each with its ages in order, only the cells with a customer."""
    cells = None if points is None else cohort_cells(points, until, max_age)
    if cells is None:
        return pd.DataFrame(columns=COHORT_COLUMNS)
    ages = cells.n_ages
    nonzero = np.flatnonzero(cells.customers)
    cohort_no, age_no = nonzero // ages + cells.first, nonzero % ages
    start = (cohort_no - cells.first) * ages
    customers, ticks = cells.customers[nonzero], cells.ticks[nonzero]
    return pd.DataFrame({
        "cohort": months_from_numbers(cohort_no),
        "age": age_no,
        "customers": customers,
        "mrr": from_ticks(ticks),
        "logo_retention": customers / cells.customers[start],
        "revenue_retention": ticks / cells.ticks[start],
    })


def cohort_table(customer_mrr: pd.DataFrame, kind: str = "logo", max_age: int | None = 24) -> pd.DataFrame:
    """Cohort matrix: rows = cohort month, columns = age in months (0..max_age),
    values = ``logo`` or ``revenue`` retention. Cells not yet observed are NaN; cells of
    cohorts that lost everyone are 0."""
    if kind not in ("logo", "revenue"):
        raise ValueError("kind must be 'logo' or 'revenue'")
    return cohort_matrix(cohort_long(customer_mrr, max_age), customer_mrr["month"].max(), kind, max_age)


def cohort_matrix(long: pd.DataFrame, last_month: pd.Period | str, kind: str = "logo",
                  max_age: int | None = 24) -> pd.DataFrame:
    """The cohort matrix of :func:`cohort_table` from a :func:`cohort_long` table (computed
    with the same ``max_age``) and the data's last month: cells of ages already observed
    by ``last_month`` but with nobody left are 0, later cells NaN."""
    if kind not in ("logo", "revenue"):
        raise ValueError("kind must be 'logo' or 'revenue'")
    if long.empty:
        return pd.DataFrame()
    table = long.pivot(index="cohort", columns="age", values=f"{kind}_retention")
    last = pd.Period(last_month, freq="M")
    observed_ages = np.array([(last - c).n for c in table.index])
    ages = np.arange(table.columns.max() + 1 if max_age is None else max_age + 1)
    table = table.reindex(columns=ages)
    mask = ages[None, :] <= observed_ages[:, None]
    table = table.where(~(table.isna() & mask), 0.0)
    table.columns.name = "age (months)"
    return table
