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
from saas_kit.activation import activation_cohort
from saas_kit.mrr import number_to_period
from saas_kit.cohorts import cohort_matrix
from saas_kit.formatting import format_percent
from saas_kit import kpis as embedded_kpis
from saas_kit.rates import monthly_rates, segment_rates
import saas_kit.spark.activation as sa
import saas_kit.spark.bridge as sb
import saas_kit.spark.retention as sr
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
    cm, span, mrr_span = data.customer_mrr, data.span, data.mrr_span
    bridge = sb.mrr_movements(cm, span=span)
    long = sr.cohort_long(cm, max_age, span=mrr_span)
    attrs = data.attributes
    moves = sb.customer_movements(cm, span[1], attrs)
    out = SparkMonthAnalysis(
        month=month, currency=data.currency, first_month=data.first_month, latest_month=data.latest_month,
        mrr_by_month=mrr_by_month_from(bridge), bridge=bridge, rates=monthly_rates(bridge),
        ttm=sr.trailing_retention(cm, span=mrr_span), cohorts=long,
        cohort_logo=cohort_matrix(long, number_to_period(mrr_span[1]), "logo", max_age),
        cohort_revenue=cohort_matrix(long, number_to_period(mrr_span[1]), "revenue", max_age),
        top_movers=sb.top_movers(moves, month, top_n, attrs),
    )
    if "segment" in attrs:
        out.bridge_by_segment = sb.mrr_movements(cm, by="segment", span=span)
        out.ttm_by_segment = sr.trailing_retention(cm, by="segment", span=mrr_span)
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
    """The overview table of :func:`saas_kit.kpis.headline_kpis` from the Spark aggregates:
    the KPI series come from the Spark bridge rates and twelve-month retention
    (:func:`saas_kit.kpis.monthly_kpi_series` given both, so nothing is recomputed)."""
    month = pd.Period(month or analysis.month, freq="M")
    series = embedded_kpis.monthly_kpi_series(None, bridge=analysis.rates, ttm=analysis.ttm)
    return embedded_kpis.headline_kpis(pd.DataFrame(), month, analysis.currency, style, series=series)


def rate_change_texts(now: float, previous: float, year_ago: float) -> tuple[str, str]:
    """(month-on-month, year-on-year) change texts of a rate in percentage points, exactly as
    :func:`saas_kit.kpis.headline_kpis` writes them for its rate KPIs (``+0.4 pt``, ``n/a``)."""
    rate_key = next(spec.key for spec in embedded_kpis.KPIS if spec.kind == embedded_kpis.ACTIVATION_SPEC.kind)
    months = pd.period_range(pd.Period("2000-01", freq="M"), periods=13, freq="M")
    values = pd.Series(np.nan, index=months)
    values.iloc[[0, 11, 12]] = [year_ago, previous, now]
    series = pd.DataFrame({spec.key: values for spec in embedded_kpis.KPIS}, index=months)
    row = embedded_kpis.headline_kpis(pd.DataFrame(), months[-1], "JPY", series=series).set_index("key").loc[rate_key]
    return row["mom_text"], row["yoy_text"]


def activation_kpis(analysis: SparkMonthAnalysis, month=None) -> pd.DataFrame:
    """The activation-rate row of :func:`saas_kit.kpis.activation_kpis` from the Spark counts."""
    month = pd.Period(month or analysis.month, freq="M")
    parsed = ActivationRule.parse(analysis.activation["rule"])
    cohort = activation_cohort(month, parsed.window_days)
    rates = analysis.activation["by_cohort"].set_index("cohort")

    def rate(c: pd.Period) -> float:
        return float(rates["rate"].get(c, np.nan))

    now, prev, year = rate(cohort), rate(cohort - 1), rate(cohort - 12)
    mom, yoy = rate_change_texts(now, prev, year)
    band = (f"no benchmark: the rate depends on the rule ({parsed.describe()}); "
            f"signups of {cohort} [seed 004]")
    spec = embedded_kpis.ACTIVATION_SPEC
    return pd.DataFrame([{
        "key": spec.key, "metric": spec.label, "value": now, "previous_month": prev,
        "year_ago": year, "value_text": format_percent(now, 1), "mom_text": mom,
        "yoy_text": yoy, "band": band, "cohort": cohort,
        "signups": int(rates["signups"].get(cohort, 0)), "rule": str(parsed),
    }])
