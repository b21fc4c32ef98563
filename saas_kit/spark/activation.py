"""Activation stages in Spark (metrics.md §7, seed 004; the embedded :mod:`saas_kit.activation`).

The stages that grow with the event log run in Spark: per-customer event counts inside
the window after signup (``[signup, signup + N days)``, event rows counted), the
activation rate per signup month, the onboarding funnel and the magic-moment candidate
counts (for every event × threshold × window: customers who reached it and how many of
them were retained). Only those counts come back; rates, intervals and the ranking are
computed in pandas with the embedded engine's formulas.

Frames: ``customers`` (``customer_id``, ``signup_micros``), ``events`` (``customer_id``,
``event``, ``ts_micros``) and ``subscriptions`` (``customer_id``, ``start_micros``,
``end_micros``, ``amount_ticks``) as :mod:`saas_kit.spark.validation` returns them, or,
for a ready MRR table, the month-granular paid spans of :func:`paid_spans_from_mrr`;
instants are micros since 1970 (wall clock, UTC session).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from saas_kit.calendar import months_from_numbers
from saas_kit.activation import ActivationRule
from saas_kit.activation.onboarding import funnel_steps
from saas_kit.activation.frames import sorted_positive_ints
from saas_kit.activation.rule import positive_int
from saas_kit.activation.search import rank_rules
from saas_kit.activation.stats import ratio
from saas_kit.errors import ParameterError

DAY = 86_400 * 10**6
FAR_FUTURE = 2**62


def micros(ts) -> int:
    return int((pd.Timestamp(ts) - pd.Timestamp(0)) // pd.Timedelta(microseconds=1))


def _F():
    from pyspark.sql import functions as F
    return F


def events_in_window(events, customers, window_days: int, names: Sequence[str] | None = None):
    """Events of known customers with ``0 <= ts - signup < window_days`` days:
    ``customer_id``, ``event``, ``delay`` (micros)."""
    F = _F()
    ev = events if names is None else events.where(F.col("event").isin(list(names)))
    joined = ev.join(customers.select("customer_id", "signup_micros").where(F.col("signup_micros").isNotNull()),
                     "customer_id")
    delay = F.col("ts_micros") - F.col("signup_micros")
    return (joined.select("customer_id", "event", delay.alias("delay"))
            .where((F.col("delay") >= 0) & (F.col("delay") < window_days * DAY)))


def known_event_names(events) -> list[str]:
    """The distinct event names, sorted."""
    return sorted(r["event"] for r in events.select("event").distinct().collect())


def check_event_names(names: Sequence[str], events, what: str) -> None:
    """ParameterError listing the known names when one of ``names`` never occurs (none
    raised for an empty event log), in the embedded engine's words."""
    known = known_event_names(events)
    missing = [n for n in names if n not in set(known)] if known else []
    if missing:
        shown = ", ".join(known[:50]) + (f" ... ({len(known)} in all)" if len(known) > 50 else "")
        raise ParameterError(f"{what} {', '.join(repr(m) for m in missing)} not found in the events data; "
                             f"known event names: {shown or '(none)'}")


def rule_counts(events, customers, rule: ActivationRule | str, with_delay: bool = False):
    """Per customer of ``customers``: ``event_count`` in the rule's window and
    ``activated`` (``event_count >= min_count``), as in :func:`saas_kit.activation.evaluate_rule`;
    ``with_delay``: also ``delay``, the micros from signup to the ``min_count``-th such
    event (null when not activated)."""
    F = _F()
    rule = ActivationRule.parse(rule)
    aggs = [F.count(F.lit(1)).alias("event_count")]
    if with_delay:
        aggs.append(F.try_element_at(F.sort_array(F.collect_list("delay")), F.lit(rule.min_count)).alias("nth"))
    counts = (events_in_window(events, customers, rule.window_days, [rule.event])
              .groupBy("customer_id").agg(*aggs))
    out = customers.select("customer_id", "signup_micros").join(counts, "customer_id", "left")
    n = F.coalesce(F.col("event_count"), F.lit(0).cast("long"))
    cols = ["customer_id", "signup_micros", n.alias("event_count"), (n >= rule.min_count).alias("activated")]
    if with_delay:
        cols.append(F.when(n >= rule.min_count, F.col("nth")).alias("delay"))
    return out.select(*cols)


def month_start_micros(number):
    """A column of month numbers (``year * 12 + month - 1``) -> midnight on each month's
    first day, in micros since 1970."""
    F = _F()
    first_day = F.make_date(F.floor(number / 12).cast("int"), (number % 12 + 1).cast("int"), F.lit(1))
    return F.unix_date(first_day).cast("long") * DAY


def paid_spans_from_mrr(customer_mrr, through: int):
    """The paid spans a customer-month MRR frame (``customer_id``, ``month`` number,
    ``mrr_ticks``; each customer-month once, as ``SparkData.customer_mrr``) implies, as a
    subscriptions frame (``customer_id``, ``start_micros``, ``end_micros``,
    ``amount_ticks``), as :func:`saas_kit.activation.paid_spans_from_mrr`: each run of
    consecutive months ``M1..Mk`` with MRR > 0 is paid from ``first_day(M1)`` to
    ``first_day(Mk + 1)`` (exclusive), open (null end) when ``Mk >= through`` (the last
    complete month); ``amount_ticks`` is the run's first month's MRR. The runs are
    found by gaps and islands: ``month - row_number()`` per customer is constant within
    a run."""
    from pyspark.sql import Window

    F = _F()
    by_month = Window.partitionBy("customer_id").orderBy("month")
    runs = (customer_mrr.where(F.col("mrr_ticks") > 0)
            .select("customer_id", "month", "mrr_ticks", (F.col("month") - F.row_number().over(by_month)).alias("run"))
            .groupBy("customer_id", "run")
            .agg(F.min("month").alias("first"), F.max("month").alias("last"),
                 F.min_by("mrr_ticks", "month").alias("amount_ticks")))
    end = F.when(F.col("last") < int(through), month_start_micros(F.col("last") + 1))
    return runs.select("customer_id", month_start_micros(F.col("first")).alias("start_micros"),
                       end.alias("end_micros"), "amount_ticks")


def churn_outcomes(customers, subscriptions, as_of):
    """Per customer: ``signup_micros``, ``churned`` (paid, with no paid subscription
    active at ``as_of``) and ``churn_micros`` (the latest end of a paid subscription, for
    churned customers), as :func:`saas_kit.activation.customer_outcomes`; subscriptions
    starting after ``as_of`` are ignored."""
    F = _F()
    at = micros(as_of)
    end = F.coalesce(F.col("end_micros"), F.lit(FAR_FUTURE))
    paid = (subscriptions.where((F.col("amount_ticks") > 0) & (F.col("start_micros") <= at))
            .join(customers.select("customer_id"), "customer_id", "left_semi")
            .groupBy("customer_id").agg(F.max(F.when((F.col("start_micros") <= at) & (F.lit(at) < end), 1))
                                        .alias("active"), F.max(end).alias("last_end")))
    joined = customers.select("customer_id", "signup_micros").join(paid, "customer_id", "left")
    churned = F.col("last_end").isNotNull() & F.col("active").isNull()
    return joined.select("customer_id", "signup_micros", churned.alias("churned"),
                         F.when(churned, F.col("last_end")).alias("churn_micros"))


def activation_rate_by_cohort(events, customers, rule: ActivationRule | str, as_of=None) -> pd.DataFrame:
    """Per signup month: ``cohort``, ``signups``, ``activated``, ``rate``, ``open_windows``,
    equal to ``activation_rate_by_cohort(evaluate_rule(events, customers, rule, as_of), customers)``
    (``as_of`` defaults to the latest event timestamp; every month from the first to the
    last signup month is shown)."""
    F = _F()
    rule = ActivationRule.parse(rule)
    check_event_names([rule.event], events, "activation event")
    if as_of is None:
        latest = events.agg(F.max("ts_micros")).collect()[0][0]
        as_of_micros = None if latest is None else int(latest)
    else:
        as_of_micros = micros(as_of)
    per = rule_counts(events, customers, rule)
    ts = F.timestamp_micros("signup_micros")
    month = (F.year(ts) * 12 + F.month(ts) - 1).alias("m")
    open_w = (F.lit(False) if as_of_micros is None
              else (F.col("signup_micros") + rule.window_days * DAY > as_of_micros))
    rows = (per.groupBy(month).agg(F.count(F.lit(1)).alias("signups"),
                                   F.count(F.when(F.col("activated"), 1)).alias("activated"),
                                   F.count(F.when(open_w, 1)).alias("open")).collect())
    if not rows:
        lo, hi = 0, -1
    else:
        lo, hi = min(r["m"] for r in rows), max(r["m"] for r in rows)
    size = hi - lo + 1
    arrays = {k: np.zeros(size, dtype="int64") for k in ("signups", "activated", "open")}
    for r in rows:
        for k in arrays:
            arrays[k][r["m"] - lo] += r[k]
    out = pd.DataFrame({
        "cohort": months_from_numbers(np.arange(lo, hi + 1, dtype="int64")),
        "signups": arrays["signups"], "activated": arrays["activated"],
    })
    out["rate"] = ratio(out["activated"], out["signups"])
    out["open_windows"] = arrays["open"]
    return out


def retained_outcomes(customers, subscriptions, as_of, retention_days: int = 90):
    """Per customer: ``observable`` (signup + retention_days <= as_of) and ``retained``
    (a paid subscription active at that check date; null when not observable), as
    :func:`saas_kit.activation.customer_outcomes` defines them."""
    F = _F()
    as_of_micros = micros(as_of)
    retention_days = positive_int(retention_days, "retention_days")
    cust = customers.select("customer_id", "signup_micros", (F.col("signup_micros") + retention_days * DAY).alias("check"))
    paid = subscriptions.where((F.col("amount_ticks") > 0) & (F.col("start_micros") <= as_of_micros))
    end = F.coalesce(F.col("end_micros"), F.lit(FAR_FUTURE))
    hits = (paid.join(cust, "customer_id").where((F.col("start_micros") <= F.col("check")) & (F.col("check") < end))
            .select("customer_id").distinct().withColumn("hit", F.lit(True)))
    observable = F.col("check") <= as_of_micros
    return (cust.join(hits, "customer_id", "left")
            .select("customer_id", "signup_micros", observable.alias("observable"),
                    F.when(observable, F.coalesce(F.col("hit"), F.lit(False))).alias("retained")))


def magic_moment_search(events, outcomes, events_to_try: Sequence[str] | None = None,
                        thresholds: Sequence[int] = (1, 2, 3, 5, 10), windows: Sequence[int] = (7, 14, 30),
                        min_group_size: int = 30) -> pd.DataFrame:
    """The ranked rule table of :func:`saas_kit.activation.magic_moment_search`; ``outcomes``
    is :func:`retained_outcomes`. Spark counts, for every (event, threshold, window),
    the observable customers whose ``threshold``-th such event falls inside the window
    (``reached``) and the retained among them."""
    from pyspark.sql import Window

    F = _F()
    thr = sorted_positive_ints(thresholds, "thresholds")
    win = sorted_positive_ints(windows, "windows")
    min_group_size = positive_int(min_group_size, "min_group_size")
    obs = outcomes.where(F.col("observable") & F.col("retained").isNotNull())
    totals = obs.agg(F.count(F.lit(1)).alias("n"), F.count(F.when(F.col("retained"), 1)).alias("r")).collect()[0]
    n_total, r_total = int(totals["n"]), int(totals["r"])
    if events_to_try is None:
        names = known_event_names(events)
    else:
        names = [events_to_try] if isinstance(events_to_try, str) else list(dict.fromkeys(str(e) for e in events_to_try))
        if not names:
            raise ParameterError("events_to_try must name at least one event (or be None for all)")
        check_event_names(names, events, "event")
    inside = events_in_window(events, obs, int(win[-1]), names).join(obs.select("customer_id", "retained"), "customer_id")
    nth = F.row_number().over(Window.partitionBy("event", "customer_id").orderBy("delay"))
    hits = inside.withColumn("nth", nth).where(F.col("nth").isin([int(t) for t in thr]))
    aggs = []
    for w in win:
        within = F.col("delay") < int(w) * DAY
        aggs += [F.count(F.when(within, 1)).alias(f"n{w}"), F.count(F.when(within & F.col("retained"), 1)).alias(f"r{w}")]
    counts = {(r["event"], r["nth"]): r for r in hits.groupBy("event", "nth").agg(*aggs).collect()}
    blocks = []
    for w in win:
        n1 = [counts[(e, t)][f"n{w}"] if (e, t) in counts else 0 for e in names for t in thr]
        r1 = [counts[(e, t)][f"r{w}"] if (e, t) in counts else 0 for e in names for t in thr]
        blocks.append(pd.DataFrame({"event": np.repeat(np.asarray(names, dtype=object), len(thr)),
                                    "threshold": np.tile(thr, len(names)), "window_days": int(w),
                                    "reached": np.asarray(n1, dtype="int64"),
                                    "retained_reached": np.asarray(r1, dtype="int64")}))
    return rank_rules(blocks, n_total, r_total, min_group_size)


def onboarding_funnel(events, customers, steps: Sequence[str], window_days: int = 30,
                      ordered: bool = False) -> pd.DataFrame:
    """Customers reaching each onboarding step within ``window_days`` of signup, as
    :func:`saas_kit.activation.onboarding_funnel` (every earlier step done too; with
    ``ordered``, each step's first occurrence at or after the previous step's)."""
    F = _F()
    steps = funnel_steps(steps)
    window_days = positive_int(window_days, "window_days")
    check_event_names(steps, events, "funnel step")
    n_customers = customers.count()
    first = (events_in_window(events, customers, window_days, steps)
             .groupBy("customer_id", "event").agg(F.min("delay").alias("first"),
                                                   F.collect_list("delay").alias("delays"))).cache()
    counts = []
    reached = None  # customer_id, at
    for step in steps:
        mine = first.where(F.col("event") == step)
        if reached is None:
            now = mine.select("customer_id", F.col("first").alias("at"))
        elif not ordered:
            now = mine.join(reached, "customer_id", "left_semi").select("customer_id", F.col("first").alias("at"))
        else:
            later = F.array_min(F.filter("delays", lambda d: d >= F.col("at")))
            now = (mine.join(reached, "customer_id").select("customer_id", later.alias("at"))
                   .where(F.col("at").isNotNull()))
        now = now.cache()
        counts.append(now.count())
        reached = now
    first.unpersist()
    all_counts = np.asarray([n_customers] + counts, dtype="int64")
    prev_counts = np.concatenate([[np.nan], all_counts[:-1]]).astype("float64")
    out = pd.DataFrame({
        "step_number": np.arange(len(all_counts), dtype="int64"),
        "step": ["(signup)"] + steps,
        "customers": all_counts,
        "conversion_from_previous": ratio(all_counts, prev_counts),
        "conversion_from_start": ratio(all_counts, n_customers),
    })
    out.loc[0, "conversion_from_previous"] = np.nan
    return out
