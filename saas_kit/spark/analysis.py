"""Everything a month's report needs, computed on Spark (the Spark side of the month analysis).

:func:`month_analysis` runs every stage that grows with the data in Spark and returns
only monthly aggregates and short lists, as the pandas frames the embedded engine's
functions return (same columns, dtypes and order): the bridge and its rates, the
twelve-month NRR/GRR, the bridge and twelve-month retention by segment, the segment
table, cohort sums and matrices, the "who moved" lists of the month, MRR per month and
the activation counts (rate per signup cohort, magic-moment candidates, funnel).
:func:`headline_kpis` and :func:`activation_kpis` give the overview rows of
:mod:`saas_kit.kpis` from them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from saas_kit.activation import ActivationRule
from saas_kit.errors import DataError
from saas_kit.formatting import format_percent
from saas_kit.kpis import ACTIVATION_SPEC, KPIS, _at, _change, _format, activation_cohort, band_text
from saas_kit.rates import monthly_rates, segment_rates
from saas_kit.spark import activation as sa
from saas_kit.spark import bridge as sb
from saas_kit.spark import retention as sr
from saas_kit.spark.data import SparkData


@dataclass
class SparkMonthAnalysis:
    """The month's aggregates (pandas), computed by the Spark engine."""

    month: pd.Period
    currency: str
    first_month: pd.Period
    latest_month: pd.Period
    mrr_by_month: pd.Series
    bridge: pd.DataFrame
    rates: pd.DataFrame
    ttm: pd.DataFrame
    cohorts: pd.DataFrame
    cohort_logo: pd.DataFrame
    cohort_revenue: pd.DataFrame
    top_movers: pd.DataFrame
    bridge_by_segment: pd.DataFrame | None = None
    ttm_by_segment: pd.DataFrame | None = None
    segments: pd.DataFrame | None = None
    activation: dict = field(default_factory=dict)


def mrr_by_month_from(bridge: pd.DataFrame) -> pd.Series:
    """Total MRR per month (:func:`saas_kit.mrr.mrr_by_month`) from the bridge's closing MRR."""
    return pd.Series(bridge["closing_mrr"].to_numpy(), index=pd.PeriodIndex(bridge["month"].to_numpy(), freq="M"), name="mrr")


def month_analysis(data: SparkData, month=None, top_n: int = 10, max_age: int | None = 24,
                   rule: str | None = "invite_teammate>=3@14d", magic_moment: bool = True,
                   funnel_steps: list[str] | None = None, retention_days: int = 90) -> SparkMonthAnalysis:
    """Compute every aggregate of ``month`` (default: the latest) on Spark."""
    month = data.check_month(month)
    cm, span = data.customer_mrr, data.span
    bridge = sb.mrr_movements(cm, span=span)
    long = sr.cohort_long(cm, max_age, span=span)
    attrs = data.attributes
    moves = sb.customer_movements(cm, span[1], attrs)
    out = SparkMonthAnalysis(
        month=month, currency=data.currency, first_month=data.first_month, latest_month=data.latest_month,
        mrr_by_month=mrr_by_month_from(bridge), bridge=bridge, rates=monthly_rates(bridge),
        ttm=sr.trailing_retention(cm, span=span), cohorts=long,
        cohort_logo=sr.cohort_table(long, data.latest_month, "logo", max_age),
        cohort_revenue=sr.cohort_table(long, data.latest_month, "revenue", max_age),
        top_movers=sb.top_movers(moves, month, top_n, attrs),
    )
    if "segment" in attrs:
        out.bridge_by_segment = sb.mrr_movements(cm, by="segment", span=span)
        out.ttm_by_segment = sr.trailing_retention(cm, by="segment", span=span)
        out.segments = segment_rates(out.bridge_by_segment, "segment", month)
    if rule and data.events is not None and data.customers is not None:
        out.activation = activation_stages(data, month, rule, magic_moment, funnel_steps, retention_days)
    return out


def onboarding_scope(data: SparkData, month):
    """(as_of, scope customers, scope events) as :func:`saas_kit.kpis.onboarding_scope`:
    customers who signed up in ``[first month of the event log, as_of)`` and their
    events before ``as_of`` (the first instant after ``month``)."""
    from pyspark.sql import functions as F

    if data.events is None:
        raise DataError("the activation analysis needs an events file (customer_id, event, timestamp)", file="events")
    if data.customers is None:
        raise DataError("the activation analysis needs a customers file with signup_date",
                        file="customers", column="signup_date")
    as_of = (pd.Period(month, freq="M") + 1).start_time
    first = data.events.agg(F.min("ts_micros")).collect()[0][0]
    if first is None:
        raise DataError("the activation analysis needs an events file (customer_id, event, timestamp)", file="events")
    events_start = (pd.Timestamp(0) + pd.Timedelta(microseconds=int(first))).to_period("M").start_time
    lo, hi = sa.micros(events_start), sa.micros(as_of)
    customers = data.customers.where(F.col("signup_micros").isNotNull()
                                     & (F.col("signup_micros") >= lo) & (F.col("signup_micros") < hi))
    events = data.events.where(F.col("ts_micros") < hi).join(customers.select("customer_id"), "customer_id", "left_semi")
    return as_of, customers, events


def activation_stages(data: SparkData, month, rule: str, magic_moment: bool = True,
                      funnel_steps: list[str] | None = None, retention_days: int = 90) -> dict:
    """Activation rate per signup cohort, the magic-moment table and the funnel of ``month``."""
    as_of, customers, events = onboarding_scope(data, month)
    parsed = ActivationRule.parse(rule)
    stages = {"as_of": as_of, "rule": str(parsed),
              "by_cohort": sa.activation_rate_by_cohort(events, customers, parsed, as_of)}
    if magic_moment and data.subscriptions is not None:
        outcomes = sa.retained_outcomes(customers, data.subscriptions, as_of, retention_days)
        stages["magic_moment"] = sa.magic_moment_search(events, outcomes)
    if funnel_steps:
        stages["funnel"] = sa.onboarding_funnel(events, customers, funnel_steps)
    return stages


def headline_kpis(analysis: SparkMonthAnalysis, month=None, style: str = "en") -> pd.DataFrame:
    """The overview table of :func:`saas_kit.kpis.headline_kpis` from the Spark aggregates."""
    month = pd.Period(month or analysis.month, freq="M")
    rates = analysis.rates.set_index("month")
    ttm = analysis.ttm.set_index("month")
    series = pd.DataFrame(index=rates.index)
    series["mrr"] = rates["closing_mrr"]
    series["arr"] = rates["arr"]
    series["net_new_arr"] = rates["net_new_arr"]
    series["nrr_monthly"] = rates["nrr"]
    series["grr_monthly"] = rates["grr"]
    series["nrr_ttm"] = ttm["nrr_ttm"].reindex(series.index)
    series["grr_ttm"] = ttm["grr_ttm"].reindex(series.index)
    series["quick_ratio"] = rates["quick_ratio"]
    series["logo_churn"] = rates["logo_churn"]
    series["revenue_churn"] = rates["revenue_churn"]
    rows = []
    for spec in KPIS:
        col = series[spec.key]
        now, prev, year = _at(col, month), _at(col, month - 1), _at(col, month - 12)
        rows.append({
            "key": spec.key, "metric": spec.label, "value": now, "previous_month": prev, "year_ago": year,
            "value_text": _format(spec, now, analysis.currency, style), "mom_text": _change(spec, now, prev),
            "yoy_text": _change(spec, now, year), "band": band_text(spec.key, now),
        })
    return pd.DataFrame(rows)


def activation_kpis(analysis: SparkMonthAnalysis, month=None) -> pd.DataFrame:
    """The activation-rate row of :func:`saas_kit.kpis.activation_kpis` from the Spark counts."""
    month = pd.Period(month or analysis.month, freq="M")
    parsed = ActivationRule.parse(analysis.activation["rule"])
    cohort = activation_cohort(month, parsed.window_days)
    rates = analysis.activation["by_cohort"].set_index("cohort")

    def rate(c: pd.Period) -> float:
        return float(rates["rate"].get(c, np.nan))

    now, prev, year = rate(cohort), rate(cohort - 1), rate(cohort - 12)
    band = (f"no benchmark: the rate depends on the rule ({parsed.describe()}); "
            f"signups of {cohort} [seed 004]")
    return pd.DataFrame([{
        "key": ACTIVATION_SPEC.key, "metric": ACTIVATION_SPEC.label, "value": now, "previous_month": prev,
        "year_ago": year, "value_text": format_percent(now, 1), "mom_text": _change(ACTIVATION_SPEC, now, prev),
        "yoy_text": _change(ACTIVATION_SPEC, now, year), "band": band, "cohort": cohort,
        "signups": int(rates["signups"].get(cohort, 0)), "rule": str(parsed),
    }])
