"""Facts of the activation chapter (notebooks/05_activation.ipynb): the rule, activation
by cohort and its trend, retention of activated vs not, the magic-moment search, early
churn, time to first value and the funnel (metrics.md §7, seed 004)."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from saas_kit import activation
from saas_kit.bands import bands_for, bands_table, position_in_band, range_text
from saas_kit.errors import ParameterError
from saas_kit.facts.embedded import activation_parameters
from saas_kit.facts.model import DEFAULT_ACTIVATION_RULE, FUNNEL_STEPS, SEARCH_THRESHOLDS, SEARCH_WINDOWS
from saas_kit.formatting import Formatter, format_count, format_percent
from saas_kit.i18n import message
from saas_kit.pages.base import MonthBasis, Page

#: Half-year change of the pooled activation rate read as "about flat" (two points).
FLAT_CHANGE = 0.02
EXAMPLE_RULE = "add_friend>=7@10d"
#: The sample product's onboarding steps, in order, and the magic-moment search grid
#: (FUNNEL_STEPS, SEARCH_THRESHOLDS, SEARCH_WINDOWS) are the facts' defaults (saas_kit.facts.model).


def _points(value: float, fmt: Formatter) -> str:
    """A difference of two rates in percentage points: ``+13.2 pt`` / ``+13.2ポイント``."""
    if not np.isfinite(value):
        return fmt.msg("na")
    return fmt.msg("change.points", points=format_percent(value, 1, signed=True)[:-1])


def _days(value: float, fmt: Formatter) -> str:
    """A duration in days with one decimal: ``3.5 days`` / ``3.5日``."""
    return fmt.msg("na") if not np.isfinite(float(value)) else fmt.msg("onboarding.days", days=f"{value:.1f}")


def _p_value(p: float, fmt: Formatter) -> str:
    """A p-value as the report prints it: ``below 0.001`` or three decimals."""
    if p is None or not np.isfinite(float(p)):
        return fmt.msg("na")
    return fmt.msg("onboarding.p_below") if p < 0.001 else f"{p:.3f}"


def _pct(value: float, fmt: Formatter) -> str:
    """A percentage; an undefined one in the page's language."""
    return fmt.pct(value) if np.isfinite(value) else fmt.msg("na")


def pooled_rate(cohorts: pd.DataFrame) -> float:
    """activated / signups over the cohorts given (NaN without signups)."""
    signups = cohorts["signups"].sum()
    return cohorts["activated"].sum() / signups if signups else float("nan")


def _step_name(step: str, fmt: Formatter) -> str:
    """A funnel step as the page names it: an event of the data as it is, the start row
    (``(signup)`` in :func:`saas_kit.activation.onboarding_funnel`) in the page's language."""
    return fmt.msg("onboarding.funnel_start") if step == "(signup)" else step


def activation_trend(closed: pd.DataFrame, fmt) -> dict[str, str]:
    """The last six closed cohorts against the six before, pooled: up, down or about flat
    (a change within ±2 points)."""
    recent, earlier = pooled_rate(closed.tail(6)), pooled_rate(closed.iloc[-12:-6])
    change = recent - earlier
    word = "na" if not np.isfinite(change) else (
        "onboarding.trend.up" if change > FLAT_CHANGE else (
            "onboarding.trend.down" if change < -FLAT_CHANGE else "onboarding.trend.flat"))
    return {"activation_trend_recent": _pct(recent, fmt), "activation_trend_earlier": _pct(earlier, fmt),
            "activation_trend_change": _points(change, fmt), "activation_trend_word": fmt.msg(word)}


def magic_moment_texts(search: pd.DataFrame, rule: activation.ActivationRule, fmt) -> dict[str, str]:
    """The strongest candidate rule of the search, and where the report's rule ranks."""
    best = search.iloc[0] if len(search) else None
    ours = search.loc[search["rule"] == str(rule), "rank"]
    na = fmt.msg("na")
    return {
        "magic_best_rule": na if best is None else activation.ActivationRule(
            best["event"], int(best["threshold"]), int(best["window_days"])).describe(fmt.lang),
        "magic_best_phi": na if best is None else f"{best['phi']:.3f}",
        "magic_best_lift": na if best is None else _points(best["lift_difference"], fmt),
        "magic_best_share": na if best is None else _pct(best["share_reached"], fmt),
        "magic_candidates": format_count(len(search)),
        "magic_rule_verdict": fmt.msg("onboarding.magic.no_candidate" if best is None else (
            "onboarding.magic.ours_strongest" if best["rule"] == str(rule) else "onboarding.magic.differs")),
        "magic_rule_rank": (fmt.msg("onboarding.magic.rank", rank=int(ours.iloc[0]), total=len(search)) if len(ours)
                            else fmt.msg("onboarding.magic.not_ranked")),
    }


def early_churn_next(share_30: float, band30, lang: str = "en") -> str:
    """Where retention is won or lost, from the share of churn within 30 days (seed 004):
    a clause the page ends with a full stop."""
    if not np.isfinite(share_30):
        return message("onboarding.early_next.no_churn", lang)
    if share_30 >= band30.low:
        return message("onboarding.early_next.early", lang)
    return message("onboarding.early_next.later", lang)


def example_table(fmt: Formatter | None = None) -> pd.DataFrame:
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
    fmt = fmt or Formatter()
    m = fmt.msg
    return pd.DataFrame({
        m("onboarding.col.example_customer"): example["customer_id"],
        m("onboarding.col.friends_added"): example["event_count"],
        m("onboarding.col.meets", rule=rule.describe(fmt.lang)): [
            m("onboarding.yes") if a else m("onboarding.no") for a in example["activated"]],
        m("onboarding.col.days_to_activation"): [_days(x, fmt) for x in example["days_to_activation"]],
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
    na = message("na", basis.lang)
    page.texts.update(basis.common_texts())
    page.texts.update(dict.fromkeys(ACTIVATION_TEXT_KEYS, na))
    missing = "events" if not basis.facts.data.has_events else "customers"
    page.texts["activation_missing"] = message(f"activation.missing_{missing}", basis.lang)
    page.texts["kpi_activation_rate"] = message("overview.no_events", basis.lang)
    page.texts["activation_rule_code"] = str(activation.ActivationRule.parse(activation_rule))
    page.tables.update(dict.fromkeys(ACTIVATION_TABLES, page.texts["activation_missing"]))
    page.tables["example"] = example_table(basis.fmt)
    page.data["unavailable"] = True
    return page


def activation_page(basis: MonthBasis, activation_rule: str = DEFAULT_ACTIVATION_RULE, retention_days: int = 90,
                    funnel_steps: Sequence[str] = FUNNEL_STEPS, funnel_window_days: int = 30,
                    search_thresholds: Sequence[int] = SEARCH_THRESHOLDS,
                    search_windows: Sequence[int] = SEARCH_WINDOWS) -> Page:
    """Every figure of the activation chapter, from the month's activation facts
    (:class:`saas_kit.facts.ActivationFacts`, computed with these parameters)."""
    fmt, month, facts = basis.fmt, basis.month, basis.facts.activation
    if facts is None or basis.activation is None:
        return missing_events_page(basis, activation_rule)
    wanted = activation_parameters({
        "activation_rule": activation_rule, "retention_days": retention_days, "funnel_steps": funnel_steps,
        "funnel_window_days": funnel_window_days, "search_thresholds": search_thresholds,
        "search_windows": search_windows})
    if facts.parameters != wanted:
        raise ParameterError(f"the month's activation facts were computed with {facts.parameters or 'no chapter'}; "
                             f"the activation page asks for {wanted}")
    search_thresholds = list(search_thresholds)
    page = Page("05_activation", fmt, month)
    t, m = page.texts, fmt.msg
    t.update(basis.common_texts())
    # the chapter's data note: empty, or for a ready MRR table that its paid dates are month-granular
    t["activation_missing"] = "" if basis.facts.data.has_subscriptions else m("activation.mrr_table_months")
    rule = activation.ActivationRule.parse(activation_rule)
    t.update({"activation_rule_text": rule.describe(fmt.lang), "activation_rule_code": str(rule),
              "activation_retention_days": str(retention_days),
              "activation_events_start": str(facts.events_start.to_period("M")),
              "activation_customers": format_count(facts.customers)})
    page.data.update(rule=rule, retention_days=retention_days, funnel_window_days=funnel_window_days,
                     search_thresholds=search_thresholds)
    page.tables["example"] = example_table(fmt)

    t.update(basis.kpi_texts(["activation_rate"]))
    kpi_row = basis.activation.iloc[0]
    t["activation_cohort"] = str(kpi_row["cohort"])
    t["activation_cohort_signups"] = format_count(kpi_row["signups"])
    by_cohort = facts.by_cohort
    closed = by_cohort[by_cohort["open_windows"] == 0]
    t["activation_rate_all_closed"] = fmt.pct(pooled_rate(closed))
    page.data.update(by_cohort=by_cohort, headline_cohort=kpi_row["cohort"], closed_rate=pooled_rate(closed),
                     has_closed=len(closed) > 0)
    recent = by_cohort.tail(13).iloc[::-1]
    page.tables["cohorts"] = pd.DataFrame({
        m("onboarding.col.signup_month"): recent["cohort"].astype(str),
        m("onboarding.col.signups"): [format_count(v) for v in recent["signups"]],
        m("onboarding.col.activated"): [format_count(v) for v in recent["activated"]],
        m("onboarding.col.activation_rate"): [_pct(v, fmt) for v in recent["rate"]],
        m("onboarding.col.windows"): [m("onboarding.windows.open", open=n) if n else m("onboarding.windows.closed")
                                      for n in recent["open_windows"]],
    }).set_index(m("onboarding.col.signup_month"))

    retention, summary = facts.retention, facts.retention_summary
    ret = retention.set_index("group")
    t.update({
        "activation_ret_activated": fmt.pct(summary["rate_activated"]),
        "activation_ret_not_activated": fmt.pct(summary["rate_not_activated"]),
        "activation_ret_lift": _points(summary["lift_difference"], fmt),
        "activation_ret_ratio": fmt.ratio(summary["lift_ratio"]),
        "activation_ret_p_value": _p_value(summary["p_value"], fmt),
        "activation_ret_n_activated": format_count(ret.loc["activated", "customers"]),
        "activation_ret_n_not_activated": format_count(ret.loc["not activated", "customers"]),
        "activation_ret_excluded": format_count(summary["excluded_customers"]),
    })
    page.tables["retention"] = pd.DataFrame({
        m("onboarding.col.group"): [m("onboarding.group." + g.replace(" ", "_")) for g in retention["group"]],
        m("onboarding.col.customers"): [format_count(v) for v in retention["customers"]],
        m("onboarding.col.still_paying"): [format_count(v) for v in retention["retained"]],
        m("onboarding.col.retention_at_day", days=retention_days): [_pct(v, fmt) for v in retention["rate"]],
        m("onboarding.col.interval"): [f"{_pct(lo, fmt)} – {_pct(hi, fmt)}"
                                       for lo, hi in zip(retention["ci_low"], retention["ci_high"])],
    }).set_index(m("onboarding.col.group"))
    page.data["retention"] = retention

    search = facts.search
    t.update(magic_moment_texts(search, rule, fmt))
    top = search.head(10)
    page.tables["search"] = pd.DataFrame({
        m("onboarding.col.rank"): top["rank"].astype(int),
        m("onboarding.col.rule"): [activation.ActivationRule(e, int(th), int(w)).describe(fmt.lang)
                                   for e, th, w in zip(top["event"], top["threshold"], top["window_days"])],
        m("onboarding.col.meeting_it"): [_pct(v, fmt) for v in top["share_reached"]],
        m("onboarding.col.retention_if_met"): [_pct(v, fmt) for v in top["retention_reached"]],
        m("onboarding.col.retention_if_not"): [_pct(v, fmt) for v in top["retention_not_reached"]],
        m("onboarding.col.lift"): [_points(v, fmt) for v in top["lift_difference"]],
        m("onboarding.col.phi"): [f"{v:.3f}" for v in top["phi"]],
        m("onboarding.col.p_value"): [_p_value(v, fmt) for v in top["p_value"]],
    }).set_index(m("onboarding.col.rank"))
    page.data["search"] = search

    early = facts.early_churn
    share = early.set_index("days")["share"]
    band30 = bands_for("early_churn_share_30d")[0]
    band45 = bands_for("early_churn_share_45d")[0]
    for d in (30, 45, 90):
        t[f"early_churn_{d}d"] = fmt.pct(share[d])
    t["early_churn_churned"] = format_count(early["churned"].iloc[0])
    t["early_churn_30d_position"] = m(f"onboarding.position30.{position_in_band(band30, share[30]) or 'none'}")
    t["early_churn_45d_position"] = m(f"onboarding.position45.{position_in_band(band45, share[45]) or 'none'}")
    page.tables["early_churn"] = pd.DataFrame({
        m("onboarding.col.lost_within"): [m("onboarding.days_of_signup", days=d) for d in early["days"]],
        m("onboarding.col.churned_customers"): [format_count(v) for v in early["churned_within"]],
        m("onboarding.col.of_all_churned"): [format_count(v) for v in early["churned"]],
        m("onboarding.col.share"): [_pct(v, fmt) for v in early["share"]],
        m("onboarding.col.seed_reference"): [range_text(band30, fmt.lang),
                                             m("onboarding.one_company", range=range_text(band45, fmt.lang)), "—"],
    }).set_index(m("onboarding.col.lost_within"))

    ttfv, ttfv_summary = facts.ttfv, facts.ttfv_summary
    for name in ("median", "p75", "p90"):
        t[f"ttfv_{name}"] = _days(ttfv_summary[name], fmt)
    t["ttfv_activated"] = format_count(ttfv_summary["activated"])
    page.data.update(ttfv=ttfv, ttfv_summary=ttfv_summary)
    page.tables["ttfv"] = pd.DataFrame({
        m("onboarding.col.statistic"): [m(f"onboarding.ttfv.{k}") for k in ("activated", "median", "p75", "p90")],
        m("onboarding.col.value"): [format_count(ttfv_summary["activated"]), _days(ttfv_summary["median"], fmt),
                                    _days(ttfv_summary["p75"], fmt), _days(ttfv_summary["p90"], fmt)],
    }).set_index(m("onboarding.col.statistic"))

    # The funnel counts only customers whose whole funnel window has passed (the facts').
    funnel = facts.funnel
    steps_only = funnel.iloc[1:]
    conv = steps_only["conversion_from_previous"].dropna()
    drop = steps_only.loc[conv.idxmin()] if len(conv) else None
    t["funnel_customers"] = format_count(funnel["customers"].iloc[0])
    t["funnel_window"] = str(funnel_window_days)
    t["funnel_completed"] = _pct(funnel["conversion_from_start"].iloc[-1], fmt)
    t["funnel_drop_step"] = m("na") if drop is None else str(drop["step"])
    t["funnel_drop_conversion"] = m("na") if drop is None else _pct(drop["conversion_from_previous"], fmt)
    t["funnel_drop_previous"] = m("na") if drop is None else _step_name(
        str(funnel["step"].iloc[int(drop["step_number"]) - 1]), fmt)
    page.data["funnel"] = funnel
    page.tables["funnel"] = pd.DataFrame({
        m("onboarding.col.step"): [_step_name(s, fmt) for s in funnel["step"]],
        m("onboarding.col.customers"): [format_count(v) for v in funnel["customers"]],
        m("onboarding.col.from_previous"): [_pct(v, fmt) for v in funnel["conversion_from_previous"]],
        m("onboarding.col.from_signup"): [_pct(v, fmt) for v in funnel["conversion_from_start"]],
    }).set_index(m("onboarding.col.step"))

    bands = pd.concat([bands_table("early_churn_share_30d", fmt.lang), bands_table("early_churn_share_45d", fmt.lang)])
    page.tables["bands"] = pd.DataFrame({
        m(f"onboarding.col.bands_{c}"): bands[c] for c in ("metric_name", "band", "range", "source", "caveat")
    }).set_index(m("onboarding.col.bands_metric_name"))

    t.update(activation_trend(closed, fmt))
    t["early_churn_next"] = early_churn_next(share[30], band30, fmt.lang)
    return page
