"""Trailing twelve-month NRR/GRR and cohort sums in Spark (metrics.md §4; seeds 003, 004).

Same definitions as :func:`saas_kit.rates.trailing_retention` and
:func:`saas_kit.cohorts.cohort_long` / :func:`saas_kit.cohorts.cohort_table`: the sums
over customers run in Spark in BIGINT ticks and come back per (group, month) or per
(cohort, age); the ratios are then taken in pandas with the embedded engine's own
arithmetic, so every value is the same double.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from saas_kit.money import from_ticks
from saas_kit.mrr import number_to_period
from saas_kit.rates import _ratio

TTM_COLUMNS = ["month", "base_customers", "base_mrr", "retained_mrr", "retained_mrr_capped",
               "retained_customers", "nrr_ttm", "grr_ttm", "logo_retention_ttm"]


def trailing_retention(cm, months: int = 12, by: str | None = None,
                       span: tuple[int, int] | None = None) -> pd.DataFrame:
    """Base of month M = customers with MRR > 0 in M - ``months``; ``nrr_ttm = Σ mrr(M) /
    Σ mrr(M - months)`` and ``grr_ttm`` with each customer capped at their base MRR."""
    from pyspark.sql import functions as F

    from saas_kit.spark.bridge import month_range

    empty = pd.DataFrame(columns=([by] if by else []) + TTM_COLUMNS)
    span = span or month_range(cm)
    if span is None or span[1] - span[0] < months:
        return empty
    m0, last = span
    keys = [by] if by else []
    base = cm.where(F.col("month") + months <= last).select("customer_id", "month", "mrr_ticks", *keys)
    later = cm.select("customer_id", (F.col("month") - months).alias("month"), F.col("mrr_ticks").alias("cur"))
    joined = base.join(later, ["customer_id", "month"], "left")
    cur = F.coalesce(F.col("cur"), F.lit(0).cast("long"))
    sums = (joined.groupBy(*keys, (F.col("month") + months).alias("m"))
            .agg(F.count(F.lit(1)).alias("base_n"), F.count("cur").alias("kept_n"),
                 F.sum("mrr_ticks").alias("base"), F.sum(cur).alias("cur"),
                 F.sum(F.least(cur, F.col("mrr_ticks"))).alias("capped")).collect())
    groups = sorted({r[by] for r in cm.select(by).distinct().collect()}) if by else [None]
    lo, n_months = m0 + months, last - (m0 + months) + 1
    gi = {g: i for i, g in enumerate(groups)}
    size = len(groups) * n_months
    arrays = {k: np.zeros(size, dtype="int64") for k in ("base_n", "kept_n", "base", "cur", "capped")}
    for r in sums:
        i = gi[r[by] if by else None] * n_months + (r["m"] - lo)
        for k in arrays:
            arrays[k][i] += r[k]
    present = arrays["base_n"] > 0
    out = pd.DataFrame()
    if by is not None:
        out[by] = np.repeat(np.asarray(groups, dtype=object), n_months)[present]
    out["month"] = number_to_period(np.tile(np.arange(lo, last + 1), len(groups))[present])
    out["base_customers"] = arrays["base_n"][present]
    out["base_mrr"] = from_ticks(arrays["base"][present])
    out["retained_mrr"] = from_ticks(arrays["cur"][present])
    out["retained_mrr_capped"] = from_ticks(arrays["capped"][present])
    out["retained_customers"] = arrays["kept_n"][present]
    out["nrr_ttm"] = _ratio(arrays["cur"][present], arrays["base"][present])
    out["grr_ttm"] = _ratio(arrays["capped"][present], arrays["base"][present])
    out["logo_retention_ttm"] = _ratio(arrays["kept_n"][present], arrays["base_n"][present])
    return out.reset_index(drop=True)


def cohort_long(cm, max_age: int | None = None, span: tuple[int, int] | None = None) -> pd.DataFrame:
    """One row per (cohort, age) with ``customers``, ``mrr``, ``logo_retention`` and
    ``revenue_retention``; cohort = a customer's first month with MRR > 0."""
    from pyspark.sql import Window, functions as F

    from saas_kit.spark.bridge import month_range

    columns = ["cohort", "age", "customers", "mrr", "logo_retention", "revenue_retention"]
    span = span or month_range(cm)
    if span is None:
        return pd.DataFrame(columns=columns)
    cohort = F.min("month").over(Window.partitionBy("customer_id"))
    aged = cm.select("month", "mrr_ticks", cohort.alias("cohort")).withColumn("age", F.col("month") - F.col("cohort"))
    ages = span[1] - span[0] + 1
    if max_age is not None:
        ages = min(ages, max_age + 1)
    rows = (aged.where(F.col("age") < ages).groupBy("cohort", "age")
            .agg(F.count(F.lit(1)).alias("n"), F.sum("mrr_ticks").alias("t")).orderBy("cohort", "age").collect())
    cohort_no = np.asarray([r["cohort"] for r in rows], dtype="int64")
    age_no = np.asarray([r["age"] for r in rows], dtype="int64")
    customers = np.asarray([r["n"] for r in rows], dtype="int64")
    ticks = np.asarray([r["t"] for r in rows], dtype="int64")
    start = {int(c): (n, t) for c, a, n, t in zip(cohort_no, age_no, customers, ticks) if a == 0}
    start_customers = np.asarray([start[int(c)][0] for c in cohort_no], dtype="int64")
    start_ticks = np.asarray([start[int(c)][1] for c in cohort_no], dtype="int64")
    return pd.DataFrame({
        "cohort": number_to_period(cohort_no),
        "age": age_no,
        "customers": customers,
        "mrr": from_ticks(ticks),
        "logo_retention": customers / start_customers,
        "revenue_retention": ticks / start_ticks,
    })


def cohort_table(long: pd.DataFrame, last_month, kind: str = "logo", max_age: int | None = 24) -> pd.DataFrame:
    """The cohort matrix of :func:`saas_kit.cohorts.cohort_table` from :func:`cohort_long`
    (computed with the same ``max_age``) and the data's last month."""
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
