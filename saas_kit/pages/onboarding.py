"""Facts of the activation chapter (notebooks/05_activation.ipynb): the rule, activation
by cohort and its trend, retention of activated vs not, the magic-moment search, early
churn, time to first value and the funnel (metrics.md §7, seed 004)."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from saas_kit import activation
from saas_kit.activation import onboarding_scope
from saas_kit.bands import bands_for, bands_table, position_in_band, range_text
from saas_kit.formatting import format_count, format_days, format_p_value, format_points
from saas_kit.i18n import message
from saas_kit.pages.base import MonthBasis, Page

#: Half-year change of the pooled activation rate read as "about flat" (two points).
FLAT_CHANGE = 0.02
EXAMPLE_RULE = "add_friend>=7@10d"
#: The sample product's onboarding steps, in order; the magic-moment search grid.
FUNNEL_STEPS = ("login", "import_data", "create_project", "invite_teammate", "create_report")
SEARCH_THRESHOLDS = (1, 2, 3, 5, 10)
SEARCH_WINDOWS = (7, 14, 30)


def pooled_rate(cohorts: pd.DataFrame) -> float:
    """activated / signups over the cohorts given (NaN without signups)."""
    signups = cohorts["signups"].sum()
    return cohorts["activated"].sum() / signups if signups else float("nan")


def activation_trend(closed: pd.DataFrame, fmt) -> dict[str, str]:
    """The last six closed cohorts against the six before, pooled: up, down or about flat
    (a change within ±2 points)."""
    recent, earlier = pooled_rate(closed.tail(6)), pooled_rate(closed.iloc[-12:-6])
    change = recent - earlier
    word = "n/a" if not np.isfinite(change) else (
        "up" if change > FLAT_CHANGE else ("down" if change < -FLAT_CHANGE else "about flat"))
    return {"activation_trend_recent": fmt.pct(recent), "activation_trend_earlier": fmt.pct(earlier),
            "activation_trend_change": format_points(change), "activation_trend_word": word}


def magic_moment_texts(search: pd.DataFrame, rule: activation.ActivationRule, fmt) -> dict[str, str]:
    """The strongest candidate rule of the search, and where the report's rule ranks."""
    best = search.iloc[0] if len(search) else None
    ours = search.loc[search["rule"] == str(rule), "rank"]
    return {
        "magic_best_rule": "n/a" if best is None else activation.ActivationRule(
            best["event"], int(best["threshold"]), int(best["window_days"])).describe(),
        "magic_best_phi": "n/a" if best is None else f"{best['phi']:.3f}",
        "magic_best_lift": "n/a" if best is None else format_points(best["lift_difference"]),
        "magic_best_share": "n/a" if best is None else fmt.pct(best["share_reached"]),
        "magic_candidates": format_count(len(search)),
        "magic_rule_verdict": "No candidate has groups large enough to rank yet." if best is None else (
            "The report's rule is the strongest candidate too." if best["rule"] == str(rule)
            else "The candidate differs from the report's rule: test it before adopting it."),
        "magic_rule_rank": (f"number {int(ours.iloc[0])} of {len(search)}" if len(ours) else
                            "not among the ranked candidates (a group below the minimum size, or outside the grid)"),
    }


def early_churn_next(share_30: float, band30) -> str:
    """Where retention is won or lost, from the share of churn within 30 days (seed 004)."""
    if not np.isfinite(share_30):
        return "there is no churn yet to split by age"
    if share_30 >= band30.low:
        return "most churn comes early, so onboarding is where retention is won or lost"
    return "most churn comes after the first month, so look at renewals and product value as well as onboarding"


def example_table() -> pd.DataFrame:
    """Seed 004's rule on three hand-made customers (seven friends within ten days)."""
    rule = activation.ActivationRule.parse(EXAMPLE_RULE)
    customers = pd.DataFrame({"customer_id": ["A", "B", "C"], "signup_date": pd.to_datetime(["2026-01-01"] * 3)})
    events = pd.DataFrame({
        "customer_id": ["A"] * 7 + ["B"] * 7 + ["C"] * 10, "event": "add_friend",
        "timestamp": pd.to_datetime([f"2026-01-{d:02d} 12:00" for d in range(1, 8)]
                                    + [f"2026-01-{d:02d} 12:00" for d in range(1, 7)] + ["2026-01-11 00:00"]
                                    + [f"2026-01-{d:02d} 12:00" for d in range(15, 25)]),
    })
    example = activation.evaluate_rule(events, customers, rule, as_of="2026-02-01")
    return pd.DataFrame({
        "customer": example["customer_id"], "friends added within 10 days": example["event_count"],
        f"meets '{rule.describe()}'": np.where(example["activated"], "yes", "no"),
        "days to activation": [format_days(x) for x in example["days_to_activation"]],
    })


#: Every text of the activation page besides the common ones (the notebook glues each).
ACTIVATION_TEXT_KEYS = (
    "activation_cohort", "activation_cohort_signups", "activation_customers", "activation_events_start",
    "activation_rate_all_closed", "activation_ret_activated", "activation_ret_excluded", "activation_ret_lift",
    "activation_ret_n_activated", "activation_ret_n_not_activated", "activation_ret_not_activated",
    "activation_ret_p_value", "activation_ret_ratio", "activation_retention_days", "activation_rule_code",
    "activation_rule_text", "activation_trend_change", "activation_trend_earlier", "activation_trend_recent",
    "activation_trend_word", "early_churn_30d", "early_churn_30d_position", "early_churn_45d",
    "early_churn_45d_position", "early_churn_90d", "early_churn_churned", "early_churn_next", "funnel_completed",
    "funnel_customers", "funnel_drop_conversion", "funnel_drop_previous", "funnel_drop_step", "funnel_window",
    "kpi_activation_rate", "kpi_activation_rate_band", "kpi_activation_rate_mom", "kpi_activation_rate_yoy",
    "magic_best_lift", "magic_best_phi", "magic_best_rule", "magic_best_share", "magic_candidates",
    "magic_rule_rank", "magic_rule_verdict", "ttfv_activated", "ttfv_median", "ttfv_p75", "ttfv_p90")
ACTIVATION_TABLES = ("example", "cohorts", "retention", "search", "early_churn", "ttfv", "funnel", "bands")


def missing_events_page(basis: MonthBasis, activation_rule: str) -> Page:
    """The activation page of data without an events file (or without customers.csv):
    every text "n/a", every table a note, no chart, and ``activation_missing`` saying
    plainly what file the chapter needs and its columns (issue 9, part 3)."""
    page = Page("05_activation", basis.fmt, basis.month)
    na = message("na", basis.style)
    page.texts.update(basis.common_texts())
    page.texts.update(dict.fromkeys(ACTIVATION_TEXT_KEYS, na))
    missing = "events" if basis.dataset.events is None else "customers"
    page.texts["activation_missing"] = message(f"activation.missing_{missing}", basis.style)
    page.texts["kpi_activation_rate"] = message("overview.no_events", basis.style)
    page.texts["activation_rule_code"] = str(activation.ActivationRule.parse(activation_rule))
    page.tables.update(dict.fromkeys(ACTIVATION_TABLES, page.texts["activation_missing"]))
    page.tables["example"] = example_table()
    page.data["unavailable"] = True
    return page


def activation_page(basis: MonthBasis, activation_rule: str = "invite_teammate>=3@14d", retention_days: int = 90,
                    funnel_steps: Sequence[str] = FUNNEL_STEPS, funnel_window_days: int = 30,
                    search_thresholds: Sequence[int] = SEARCH_THRESHOLDS,
                    search_windows: Sequence[int] = SEARCH_WINDOWS) -> Page:
    """Every figure of the activation chapter."""
    fmt, month, ds = basis.fmt, basis.month, basis.dataset
    if ds.events is None or ds.customers is None or basis.activation is None:
        return missing_events_page(basis, activation_rule)
    funnel_steps, search_thresholds, search_windows = list(funnel_steps), list(search_thresholds), list(search_windows)
    page = Page("05_activation", fmt, month)
    t = page.texts
    t.update(basis.common_texts())
    t["activation_missing"] = ""
    rule = activation.ActivationRule.parse(activation_rule)
    scope = onboarding_scope(ds, month)
    act = activation.evaluate_rule(scope.events, scope.customers, rule, as_of=scope.as_of)
    outcomes = activation.customer_outcomes(scope.customers, ds.subscriptions, scope.as_of, retention_days)
    t.update({"activation_rule_text": rule.describe(), "activation_rule_code": str(rule),
              "activation_retention_days": str(retention_days),
              "activation_events_start": str(scope.events_start.to_period("M")),
              "activation_customers": format_count(len(scope.customers))})
    page.data.update(rule=rule, retention_days=retention_days, funnel_window_days=funnel_window_days,
                     search_thresholds=search_thresholds)
    page.tables["example"] = example_table()

    t.update(basis.kpi_texts(["activation_rate"]))
    kpi_row = basis.activation.iloc[0]
    t["activation_cohort"] = str(kpi_row["cohort"])
    t["activation_cohort_signups"] = format_count(kpi_row["signups"])
    by_cohort = activation.activation_rate_by_cohort(act, scope.customers)
    closed = by_cohort[by_cohort["open_windows"] == 0]
    t["activation_rate_all_closed"] = fmt.pct(pooled_rate(closed))
    page.data.update(by_cohort=by_cohort, headline_cohort=kpi_row["cohort"], closed_rate=pooled_rate(closed),
                     has_closed=len(closed) > 0)
    recent = by_cohort.tail(13).iloc[::-1]
    page.tables["cohorts"] = pd.DataFrame({
        "signup month": recent["cohort"].astype(str),
        "signups": [format_count(v) for v in recent["signups"]],
        "activated": [format_count(v) for v in recent["activated"]],
        "activation rate": [fmt.pct(v) for v in recent["rate"]],
        "windows": [f"open ({n} still open)" if n else "closed" for n in recent["open_windows"]],
    }).set_index("signup month")

    retention = activation.retention_by_activation(act, outcomes)
    summary = retention.attrs["summary"]
    ret = retention.set_index("group")
    t.update({
        "activation_ret_activated": fmt.pct(summary["rate_activated"]),
        "activation_ret_not_activated": fmt.pct(summary["rate_not_activated"]),
        "activation_ret_lift": format_points(summary["lift_difference"]),
        "activation_ret_ratio": fmt.ratio(summary["lift_ratio"]),
        "activation_ret_p_value": format_p_value(summary["p_value"]),
        "activation_ret_n_activated": format_count(ret.loc["activated", "customers"]),
        "activation_ret_n_not_activated": format_count(ret.loc["not activated", "customers"]),
        "activation_ret_excluded": format_count(summary["excluded_customers"]),
    })
    page.tables["retention"] = pd.DataFrame({
        "group": retention["group"],
        "customers": [format_count(v) for v in retention["customers"]],
        "still paying": [format_count(v) for v in retention["retained"]],
        f"retention at day {retention_days}": [fmt.pct(v) for v in retention["rate"]],
        "95% interval": [f"{fmt.pct(lo)} – {fmt.pct(hi)}" for lo, hi in zip(retention["ci_low"], retention["ci_high"])],
    }).set_index("group")
    page.data["retention"] = retention

    search = activation.magic_moment_search(scope.events, outcomes, None, search_thresholds, search_windows)
    t.update(magic_moment_texts(search, rule, fmt))
    top = search.head(10)
    page.tables["search"] = pd.DataFrame({
        "rank": top["rank"].astype(int),
        "rule": [activation.ActivationRule(e, int(th), int(w)).describe()
                 for e, th, w in zip(top["event"], top["threshold"], top["window_days"])],
        "customers meeting it": [fmt.pct(v) for v in top["share_reached"]],
        "retention if met": [fmt.pct(v) for v in top["retention_reached"]],
        "retention if not": [fmt.pct(v) for v in top["retention_not_reached"]],
        "lift": [format_points(v) for v in top["lift_difference"]],
        "phi": [f"{v:.3f}" for v in top["phi"]],
        "p-value": [format_p_value(v) for v in top["p_value"]],
    }).set_index("rank")
    page.data["search"] = search

    all_outcomes = activation.customer_outcomes(scope.all_customers, ds.subscriptions, scope.as_of, retention_days)
    early = activation.early_churn_shares(all_outcomes, (30, 45, 90))
    share = early.set_index("days")["share"]
    band30 = bands_for("early_churn_share_30d")[0]
    band45 = bands_for("early_churn_share_45d")[0]
    for d in (30, 45, 90):
        t[f"early_churn_{d}d"] = fmt.pct(share[d])
    t["early_churn_churned"] = format_count(early["churned"].iloc[0])
    t["early_churn_30d_position"] = position_in_band(band30, share[30]) or "not comparable with"
    t["early_churn_45d_position"] = {"below": "below", "within": "at", "above": "above"}.get(
        position_in_band(band45, share[45]), "not comparable with")
    page.tables["early_churn"] = pd.DataFrame({
        "lost within": [f"{d} days of signup" for d in early["days"]],
        "churned customers": [format_count(v) for v in early["churned_within"]],
        "of all churned": [format_count(v) for v in early["churned"]],
        "share": [fmt.pct(v) for v in early["share"]],
        "seed 004 reference": [range_text(band30), range_text(band45) + " (one company)", "—"],
    }).set_index("lost within")

    closed_act = act.loc[act["window_complete"].fillna(False).to_numpy(dtype=bool)]
    closed_act.attrs["rule"] = rule
    ttfv = activation.time_to_first_value(closed_act)
    ttfv_summary = ttfv.attrs["summary"]
    for name in ("median", "p75", "p90"):
        t[f"ttfv_{name}"] = format_days(ttfv_summary[name])
    t["ttfv_activated"] = format_count(ttfv_summary["activated"])
    page.data.update(ttfv=ttfv, ttfv_summary=ttfv_summary)
    page.tables["ttfv"] = pd.DataFrame({
        "statistic": ["activated customers (closed windows)", "median", "75th percentile", "90th percentile"],
        "value": [format_count(ttfv_summary["activated"]), format_days(ttfv_summary["median"]),
                  format_days(ttfv_summary["p75"]), format_days(ttfv_summary["p90"])],
    }).set_index("statistic")

    # Only customers whose whole funnel window has passed, so every customer had the same time.
    funnel_customers = scope.customers.loc[
        scope.customers["signup_date"] + pd.Timedelta(days=funnel_window_days) <= scope.as_of]
    funnel = activation.onboarding_funnel(scope.events, funnel_customers, funnel_steps, funnel_window_days)
    steps_only = funnel.iloc[1:]
    conv = steps_only["conversion_from_previous"].dropna()
    drop = steps_only.loc[conv.idxmin()] if len(conv) else None
    t["funnel_customers"] = format_count(funnel["customers"].iloc[0])
    t["funnel_window"] = str(funnel_window_days)
    t["funnel_completed"] = fmt.pct(funnel["conversion_from_start"].iloc[-1])
    t["funnel_drop_step"] = "n/a" if drop is None else str(drop["step"])
    t["funnel_drop_conversion"] = "n/a" if drop is None else fmt.pct(drop["conversion_from_previous"])
    t["funnel_drop_previous"] = "n/a" if drop is None else str(funnel["step"].iloc[int(drop["step_number"]) - 1])
    page.data["funnel"] = funnel
    page.tables["funnel"] = pd.DataFrame({
        "step": funnel["step"],
        "customers": [format_count(v) for v in funnel["customers"]],
        "from previous step": [fmt.pct(v) for v in funnel["conversion_from_previous"]],
        "from signup": [fmt.pct(v) for v in funnel["conversion_from_start"]],
    }).set_index("step")

    bands = pd.concat([bands_table("early_churn_share_30d"), bands_table("early_churn_share_45d")])
    page.tables["bands"] = pd.DataFrame({
        "metric": bands["metric_name"], "reference": bands["band"], "range": bands["range"],
        "source": bands["source"], "caveat": bands["caveat"],
    }).set_index("metric")

    t.update(activation_trend(closed, fmt))
    t["early_churn_next"] = early_churn_next(share[30], band30)
    return page
