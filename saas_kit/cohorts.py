"""Cohort retention tables by start month (metrics.md §4, seeds 003 and 004).

A customer's cohort is the first month in which they had MRR > 0; their age in month
M is ``M - cohort`` (age 0 = the start month).

- logo retention at age k = customers of the cohort with MRR > 0 at age k / cohort size;
- revenue retention at age k = the cohort's MRR at age k / its MRR at age 0 (this is a
  net figure: expansion of the survivors can lift it above 100%, as in seed 003's
  cohort view of NRR).

Customers who leave and come back count again from the month they return. Cost: one
pass over the customer-month rows (a million at a time) and a bincount, so linear in
the size of the ledger.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from saas_kit.calendar import months_from_numbers
from saas_kit.money import from_ticks
from saas_kit.rows import chunks, int_bincount, sorted_rows


def cohort_sizes(customer_mrr: pd.DataFrame) -> pd.DataFrame:
    """Per cohort month: ``customers`` and starting ``mrr`` (at age 0)."""
    long = cohort_long(customer_mrr)
    first = long[long["age"] == 0]
    return first[["cohort", "customers", "mrr"]].reset_index(drop=True)


def cohort_long(customer_mrr: pd.DataFrame, max_age: int | None = None) -> pd.DataFrame:
    """Tidy cohort table: one row per (cohort, age) with ``customers`` (MRR > 0),
    ``mrr`` (exact sum), ``logo_retention`` and ``revenue_retention``."""
    cm = customer_mrr[customer_mrr["mrr"] > 0]
    columns = ["cohort", "age", "customers", "mrr", "logo_retention", "revenue_retention"]
    if cm.empty:
        return pd.DataFrame(columns=columns)
    rows = sorted_rows(cm)  # by customer, then month: a customer's first row is their cohort
    starts = np.flatnonzero(np.r_[True, rows.codes[1:] != rows.codes[:-1]])
    cohort_of_customer = rows.month[starts]  # customer codes run 0, 1, 2, ... in this order
    m0 = int(cohort_of_customer.min())
    ages = int(rows.month.max()) - m0 + 1  # no age can exceed this
    if max_age is not None:
        ages = min(ages, max_age + 1)
    size = (int(cohort_of_customer.max()) - m0 + 1) * ages
    customers = np.zeros(size, dtype="int64")
    ticks = np.zeros(size, dtype="int64")
    for part in chunks(len(rows.codes)):  # bounded temporaries; exact int64 sums per chunk
        cohort = cohort_of_customer[rows.codes[part]]
        age = rows.month[part] - cohort
        keep = age < ages
        idx = (cohort[keep] - m0) * ages + age[keep]
        customers += np.bincount(idx, minlength=size)
        ticks += int_bincount(idx, rows.ticks[part][keep], size)
    cells = np.flatnonzero(customers)
    cohort_no, age_no = cells // ages + m0, cells % ages
    start_customers = customers[(cohort_no - m0) * ages]
    start_ticks = ticks[(cohort_no - m0) * ages]
    return pd.DataFrame({
        "cohort": months_from_numbers(cohort_no),
        "age": age_no,
        "customers": customers[cells],
        "mrr": from_ticks(ticks[cells]),
        "logo_retention": customers[cells] / start_customers,
        "revenue_retention": ticks[cells] / start_ticks,
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
