"""The activation facts on Spark (metrics.md §7, seed 004): the
:class:`~saas_kit.facts.model.ActivationFacts` of :func:`saas_kit.facts.embedded.activation_facts`.

The population is :func:`saas_kit.activation.onboarding_scope`'s: customers who signed
up while the event log was recording (``events_start <= signup < as_of``, ``as_of`` the
first instant after the report month) and their events before ``as_of``. Per customer,
Spark counts the rule's events inside the window after signup, finds whether the
customer paid, stayed and churned (:mod:`saas_kit.spark.activation`; with a ready MRR
table as the ledger, in the month-granular paid spans of its customer-months,
:func:`saas_kit.spark.activation.paid_spans_from_mrr`), and only counts
per signup cohort, per group, per candidate rule and per funnel step come back; the
time-to-first-value distribution comes back as the activated customers' delays (its
mean and quantiles are those of exactly these values). The tables are then built
with the embedded engine's functions.
"""
from __future__ import annotations

from typing import Any

import math

import numpy as np
import pandas as pd

from saas_kit import activation
from saas_kit.activation.stats import ratio, two_proportion_z_test, wilson_interval
from saas_kit.errors import DataError
from saas_kit.facts.embedded import activation_parameters
from saas_kit.facts.model import ActivationFacts
import saas_kit.spark.activation as sa

DAY = sa.DAY


def _F():
    from pyspark.sql import functions as F
    return F


def scope(data, month: pd.Period):
    """(as_of, events_start, scope customers, all known customers, scope events) as
    :func:`saas_kit.activation.onboarding_scope` defines them (Spark frames)."""
    F = _F()
    if data.events is None:
        raise DataError("the activation analysis needs an events file (customer_id, event, timestamp)", file="events")
    if data.customers is None or "signup_date" not in data.inputs["customers"].source.columns:
        raise DataError("the activation analysis needs a customers file with signup_date",
                        file="customers", column="signup_date")
    as_of = (pd.Period(month, freq="M") + 1).start_time
    first = data.events.agg(F.min("ts_micros")).collect()[0][0]
    if first is None:
        raise DataError("the activation analysis needs an events file (customer_id, event, timestamp)", file="events")
    events_start = (pd.Timestamp(0) + pd.Timedelta(microseconds=int(first))).to_period("M").start_time
    hi = sa.micros(as_of)
    known = data.customers.where(F.col("signup_micros").isNotNull() & (F.col("signup_micros") < hi))
    customers = known.where(F.col("signup_micros") >= sa.micros(events_start))
    events = data.events.where(F.col("ts_micros") < hi).join(customers.select("customer_id"), "customer_id",
                                                             "left_semi")
    return as_of, events_start, customers, known, events


def activation_facts(data, month: pd.Period, kpi_rule: str, chapter: dict[str, Any] | None = None) -> ActivationFacts:
    """The activation figures of ``month`` (see :func:`saas_kit.facts.embedded.activation_facts`)."""
    from pyspark import StorageLevel

    as_of, events_start, customers, known, events = scope(data, month)
    events = events.persist(StorageLevel.MEMORY_AND_DISK)
    spans = None  # the paid spans of a ready MRR table, persisted while the outcomes read them
    try:
        kpi = activation.ActivationRule.parse(kpi_rule)
        kpi_by_cohort = sa.activation_rate_by_cohort(events, customers, kpi, as_of)
        out = ActivationFacts(kpi_rule=str(kpi), kpi_by_cohort=kpi_by_cohort, events_start=events_start,
                              customers=int(customers.count()))
        if chapter is None:
            return out
        params = activation_parameters(chapter)
        rule = activation.ActivationRule.parse(params["activation_rule"])
        by_cohort = kpi_by_cohort if rule == kpi else sa.activation_rate_by_cohort(events, customers, rule, as_of)
        days = params["retention_days"]
        if data.subscriptions is None:  # a ready MRR table: month-granular paid spans
            spans = sa.paid_spans_from_mrr(data.customer_mrr, data.last_month_number).persist(
                StorageLevel.MEMORY_AND_DISK)
        paid = data.subscriptions if spans is None else spans
        outcomes = sa.retained_outcomes(customers, paid, as_of, days)
        per = sa.rule_counts(events, customers, rule, with_delay=True)
        out.parameters = params
        out.by_cohort = by_cohort
        out.retention, out.retention_summary = retention_by_activation(per, outcomes)
        out.search = sa.magic_moment_search(events, outcomes, None, params["search_thresholds"],
                                            params["search_windows"])
        out.early_churn = early_churn(sa.churn_outcomes(known, paid, as_of), (30, 45, 90))
        out.ttfv, out.ttfv_summary = time_to_first_value(data, per, rule, as_of)
        window = params["funnel_window_days"]
        F = _F()
        funnel_customers = customers.where(F.col("signup_micros") + window * DAY <= sa.micros(as_of))
        out.funnel = sa.onboarding_funnel(events, funnel_customers, params["funnel_steps"], window)
        return out
    finally:
        events.unpersist()
        if spans is not None:
            spans.unpersist()


def retention_by_activation(per, outcomes) -> tuple[pd.DataFrame, dict]:
    """:func:`saas_kit.activation.retention_by_activation` from four counts (observable
    customers by activated x retained) and the unobservable count, counted in Spark."""
    F = _F()
    joined = per.join(outcomes.select("customer_id", "observable", "retained"), "customer_id")
    use = F.col("observable") & F.col("retained").isNotNull()
    row = joined.agg(
        F.count(F.when(use & F.col("activated"), 1)).alias("n1"),
        F.count(F.when(use & F.col("activated") & F.col("retained"), 1)).alias("k1"),
        F.count(F.when(use & ~F.col("activated"), 1)).alias("n0"),
        F.count(F.when(use & ~F.col("activated") & F.col("retained"), 1)).alias("k0"),
        F.count(F.when(~use, 1)).alias("excluded")).collect()[0]
    rows = []
    for label, n, k in (("activated", row["n1"], row["k1"]), ("not activated", row["n0"], row["k0"])):
        lo, hi = wilson_interval(int(k), int(n))
        rows.append({"group": label, "customers": int(n), "retained": int(k), "rate": ratio(int(k), int(n)),
                     "ci_low": lo, "ci_high": hi})
    out = pd.DataFrame(rows)
    (n1, k1), (n0, k0) = out[["customers", "retained"]].to_numpy().tolist()
    r1, r0 = out["rate"].tolist()
    z, p = two_proportion_z_test(k1, n1, k0, n0)
    summary = {
        "observable_customers": int(n1 + n0), "excluded_customers": int(row["excluded"]),
        "rate_activated": r1, "rate_not_activated": r0, "lift_difference": r1 - r0,
        "lift_ratio": ratio(r1, r0) if not (math.isnan(r1) or math.isnan(r0)) else float("nan"),
        "z": z, "p_value": p,
    }
    return out, summary


def early_churn(churn, days) -> pd.DataFrame:
    """:func:`saas_kit.activation.early_churn_shares` from counts: the churned customers and
    those whose churn date is at most ``d`` days after signup (whole days: exact)."""
    F = _F()
    d = sorted(int(x) for x in days)
    span = F.col("churn_micros") - F.col("signup_micros")
    row = churn.agg(F.count(F.when(F.col("churned"), 1)).alias("total"),
                    *[F.count(F.when(F.col("churned") & (span <= x * DAY), 1)).alias(f"d{x}") for x in d]).collect()[0]
    total = int(row["total"])
    within = np.asarray([int(row[f"d{x}"]) for x in d], dtype="int64")
    return pd.DataFrame({"days": np.asarray(d, dtype="int64"), "churned_within": within, "churned": total,
                         "share": ratio(within, total)})


def time_to_first_value(data, per, rule: activation.ActivationRule, as_of: pd.Timestamp) -> tuple[pd.DataFrame, dict]:
    """:func:`saas_kit.activation.time_to_first_value` of the customers whose window has
    closed: the activated ones' delays come back in customers.csv order (the order the
    embedded mean adds them in), the others as a count."""
    F = _F()
    closed = per.where(F.col("signup_micros") + rule.window_days * DAY <= sa.micros(as_of))
    rows = data.inputs["customers"].rows
    order = ["_src_file", "_src_row"] if "_src_row" in rows.columns else ["_src_file", "_src_block", "_src_id"]
    activated = (closed.where(F.col("activated")).join(rows.select("customer_id", *order), "customer_id")
                 .orderBy(*order).select("delay").collect())
    others = closed.where(~F.col("activated")).count()
    delays = np.asarray([r["delay"] for r in activated], dtype="int64")
    frame = pd.DataFrame({
        "activated": np.concatenate([np.ones(len(delays), dtype=bool), np.zeros(others, dtype=bool)]),
        "days_to_activation": np.concatenate([(delays * 1000) / activation.frames.DAY_NS, np.full(others, np.nan)]),
    })
    frame.attrs["rule"] = rule
    ttfv = activation.time_to_first_value(frame)
    summary = dict(ttfv.attrs["summary"])
    ttfv = ttfv.copy()
    ttfv.attrs = {}
    return ttfv, summary
