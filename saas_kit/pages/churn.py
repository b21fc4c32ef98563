"""Facts of the churn compounding chapter (notebooks/04_churn_compounding.ipynb):
retention curves, logo against revenue churn, segments, cohorts, LTV/CAC and the
sensitivity of ARR to churn (metrics.md §4 and §6, seeds 001 and 004)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from saas_kit import cohorts, compounding, growth, rates
from saas_kit.arr import arr_from_mrr
from saas_kit.bands import bands_table, place_in_band
from saas_kit.formatting import format_count, format_ratio
from saas_kit.i18n import message
from saas_kit.kpis import band_label, verdict_word
from saas_kit.movements import mrr_movements
from saas_kit.pages.base import MonthBasis, Page

KPI_KEYS = ["logo_churn", "revenue_churn"]
SEED_004_RATES = [0.03, 0.05, 0.07, 0.10]
#: What seed 004 prints for 1,000 customers after twelve months at each monthly rate.
SEED_004_TABLE = {0.03: ("69%", "690"), 0.05: ("54%", "540"), 0.07: ("42%", "420"), 0.10: ("28%", "280")}
#: Seed 004's B2B "good" logo churn band ends at 2% a month.
GOOD_LOGO_CHURN_TOP = 0.02


def two_months(mrr_by_customer: list[float], leavers: int) -> pd.Series:
    """The rates of a two-month book where the first ``leavers`` customers leave (seed 004's logo vs revenue churn)."""
    ids = [f"c{i:04d}" for i in range(len(mrr_by_customer))]
    first = pd.DataFrame({"customer_id": ids, "month": pd.Period("2026-01", "M"), "mrr": mrr_by_customer})
    second = first[~first["customer_id"].isin(ids[:leavers])].assign(month=pd.Period("2026-02", "M"))
    frame = pd.concat([first, second], ignore_index=True)
    return rates.monthly_rates(mrr_movements(frame)).iloc[-1]


def logo_churn_verdict(value: float, segment: str, lang: str = "en") -> str:
    """``good (B2B 1–2%)``-style verdict of seed 004's logo churn band, in ``lang``."""
    band = place_in_band("logo_churn_monthly", value, segment=segment)
    if band is None:
        return message("na", lang)
    return message("churn.band_verdict", lang, verdict=verdict_word(band.verdict, lang), band=band_label(band, lang))


def cac_payback_months(cac: float, arpa: float, gross_margin: float) -> float:
    """Months of gross profit from one customer needed to earn back its acquisition cost
    (metrics.md §4, source [5]'s unit economics): ``CAC / (ARPA × gross margin)``. NaN
    when CAC is unknown or the monthly gross profit is not positive."""
    profit = arpa * gross_margin
    if not (np.isfinite(cac) and np.isfinite(profit)) or profit <= 0:
        return float("nan")
    return float(cac / profit)


def ltv_cac_verdict(band, lang: str = "en") -> str:
    """LTV/CAC against seed 004's rule of thumb of 3 (a phrase: "LTV/CAC is 2.4×: <this>")."""
    if band is None:
        return message("churn.ltv_cac.not_computable", lang)
    return message("churn.ltv_cac.above" if band.verdict == "good" else "churn.ltv_cac.at_or_below", lang)


def next_actions(logo_churn: float, ratio: float, band, fmt) -> dict[str, str]:
    """What to look at next: how much bringing logo churn to 2% keeps, and what LTV/CAC needs."""
    if logo_churn > GOOD_LOGO_CHURN_TOP:
        gain = growth.churn_lift_on_arr(logo_churn, GOOD_LOGO_CHURN_TOP, 12)
        to_good = fmt.msg("churn.to_good.above", rate=fmt.pct(logo_churn), gain=fmt.pct(gain, signed=True))
    else:
        to_good = fmt.msg("churn.to_good.within", rate=fmt.pct(logo_churn))
    if band is None:
        ltv_next = fmt.msg("churn.ltv_next.no_spend")
    elif band.verdict == "good":
        ltv_next = fmt.msg("churn.ltv_next.pays_back")
    else:
        needed = 3 / ratio if ratio > 0 else float("nan")
        ltv_next = fmt.msg("churn.ltv_next.raise", needed=_ratio(needed, fmt))
    return {"churn_to_good_text": to_good, "churn_ltv_cac_next": ltv_next}


def _ratio(value: float, fmt) -> str:
    """``1.03×``; an undefined ratio in the page's language."""
    return format_ratio(value) if np.isfinite(value) else fmt.msg("undefined")


def _seed_examples(page: Page) -> None:
    fmt, t = page.fmt, page.texts
    curves = compounding.retention_curve(SEED_004_RATES, months=24, customers=1000)
    at12 = curves[curves["month"] == 12].reset_index(drop=True)
    for r in (0.05, 0.03, 0.07, 0.10):
        t[f"churn_example_left_{int(round(r * 100))}"] = format_count(at12.loc[at12["rate"] == r, "customers_left"].iloc[0])
    t["churn_example_lost_5"] = fmt.pct(compounding.share_lost_after(0.05, 12), 0)
    t["churn_example_half_life_5"] = f"{compounding.half_life(0.05):.1f}"
    m = fmt.msg
    page.tables["curves"] = pd.DataFrame({
        m("churn.col.monthly_churn"): [fmt.pct(r, 0) for r in at12["rate"]],
        m("churn.col.left_after_12"): [fmt.pct(v) for v in at12["retained_share"]],
        m("churn.col.customers_left_of_1000"): [format_count(v) for v in at12["customers_left"]],
        m("churn.col.seed_prints"): [f"{SEED_004_TABLE[r][0]} / {SEED_004_TABLE[r][1]}" for r in at12["rate"]],
        m("churn.col.lost_in_a_year"): [fmt.pct(compounding.share_lost_after(r, 12)) for r in at12["rate"]],
        m("churn.col.half_life"): [f"{v:.1f}" for v in compounding.half_life(np.array(SEED_004_RATES))],
        m("churn.col.expected_lifetime"): [f"{v:.1f}" for v in compounding.expected_lifetime(np.array(SEED_004_RATES))],
    }).set_index(m("churn.col.monthly_churn"))
    page.data["curves"] = curves

    small = two_months([1_000.0] * 1000, leavers=50)
    large = two_months([100_000.0] + [1_000.0] * 999, leavers=1)
    t["churn_example_logo_small"] = fmt.pct(small["logo_churn"])
    t["churn_example_logo_large"] = fmt.pct(large["logo_churn"])
    t["churn_example_lost_small"] = fmt.yen(small["churn"])
    t["churn_example_lost_large"] = fmt.yen(large["churn"])
    page.tables["logo_vs_revenue"] = pd.DataFrame({
        m("churn.col.case"): [m("churn.case.many_small"), m("churn.case.one_large")],
        m("churn.col.customers_lost"): [format_count(small["churned_customers"]), format_count(large["churned_customers"])],
        m("churn.col.logo_churn"): [fmt.pct(small["logo_churn"]), fmt.pct(large["logo_churn"])],
        m("churn.col.mrr_lost"): [fmt.yen(small["churn"]), fmt.yen(large["churn"])],
        m("churn.col.revenue_churn_plain"): [fmt.pct(small["revenue_churn_plain"]),
                                             fmt.pct(large["revenue_churn_plain"])],
    }).set_index(m("churn.col.case"))

    cvr = compounding.cac_by_conversion_rate(1_000_000, 10_000, [0.01, 0.02, 0.03])
    ltv_case = pd.DataFrame({"from": [0.07, 0.075, 0.08], "to": [0.04, 0.035, 0.03]})
    ltv_case["ratio"] = compounding.ltv_ratio_from_churn_change(ltv_case["from"], ltv_case["to"])
    for i, name in enumerate(("low", "mid", "high")):
        t[f"churn_example_ltv_{name}"] = format_ratio(ltv_case["ratio"].iloc[i])
    page.tables["cac_by_conversion"] = pd.DataFrame({
        m("churn.col.conversion_rate"): [fmt.pct(r, 0) for r in cvr["conversion_rate"]],
        m("churn.col.new_customers"): [format_count(n) for n in cvr["new_customers"]],
        m("churn.col.cac"): [fmt.yen(v) for v in cvr["cac"]],
    }).set_index(m("churn.col.conversion_rate"))
    page.tables["ltv_from_churn"] = pd.DataFrame({
        m("churn.col.churn_before_after"): [f"{fmt.pct(a)} → {fmt.pct(b)}" for a, b in zip(ltv_case["from"], ltv_case["to"])],
        m("churn.col.ltv_multiplied"): [format_ratio(v) for v in ltv_case["ratio"]],
    }).set_index(m("churn.col.churn_before_after"))


def churn_page(basis: MonthBasis, gross_margin: float = 0.8, window_months: int = 12, trend_months: int = 24,
               cohorts_shown: int = 18, segment_column: str = "segment") -> Page:
    """Every figure of the churn compounding chapter."""
    fmt, month, facts = basis.fmt, basis.month, basis.facts
    page = Page("04_churn_compounding", fmt, month)
    t, m, lang = page.texts, fmt.msg, fmt.lang
    t.update(basis.common_texts())
    t.update(basis.kpi_texts(KPI_KEYS))
    bridge = basis.bridge
    steady = compounding.trailing_churn(bridge, month, window_months)
    _seed_examples(page)

    now = bridge.set_index("month").loc[month]
    t["churn_lost_customers"] = format_count(now["churned_customers"])
    t["churn_opening_customers"] = format_count(now["opening_customers"])
    t["churn_plain_now"] = fmt.pct(now["revenue_churn_plain"])
    t["churn_window"] = str(window_months)
    t["churn_logo_steady"] = fmt.pct(steady["logo_churn"])
    t["churn_revenue_steady"] = fmt.pct(steady["revenue_churn"])
    page.data["trend"] = bridge.tail(trend_months)
    last = bridge.tail(6).iloc[::-1]
    page.tables["last_months"] = pd.DataFrame({
        m("churn.col.month"): [str(p) for p in last["month"]],
        m("churn.col.opening_customers"): [format_count(v) for v in last["opening_customers"]],
        m("churn.col.customers_lost"): [format_count(v) for v in last["churned_customers"]],
        m("churn.col.logo_churn"): [fmt.pct(v) for v in last["logo_churn"]],
        m("churn.col.opening_mrr"): [fmt.money(v) for v in last["opening_mrr"]],
        m("churn.col.churned_mrr"): [fmt.money(v) for v in last["churn"]],
        m("churn.col.contraction"): [fmt.money(v) for v in last["contraction"]],
        m("churn.col.revenue_churn_seed"): [fmt.pct(v) for v in last["revenue_churn_plain"]],
        m("churn.col.revenue_churn_gross"): [fmt.pct(v) for v in last["revenue_churn"]],
    }).set_index(m("churn.col.month"))

    segment = basis.segment(segment_column)
    if segment is not None:
        seg = rates.segment_rates(segment.bridge, segment_column, month, window=window_months)
        seg = seg[seg["customers"] > 0].sort_values("logo_churn", ascending=False, ignore_index=True)
        worst = seg.iloc[0]
        t["churn_worst_segment"] = str(worst[segment_column])
        t["churn_worst_segment_rate"] = fmt.pct(worst["logo_churn"])
        t["churn_worst_segment_text"] = m("churn.worst_segment", segment=str(worst[segment_column]),
                                          rate=fmt.pct(worst["logo_churn"]),
                                          verdict=logo_churn_verdict(worst["logo_churn"], "B2B", lang))
        page.tables["segments"] = pd.DataFrame({
            m("churn.col.segment"): seg[segment_column].astype(str),
            m("churn.col.customers_now"): [format_count(v) for v in seg["customers"]],
            m("churn.col.mrr_now"): [fmt.money(v) for v in seg["mrr"]],
            m("churn.col.logo_churn_monthly"): [fmt.pct(v) for v in seg["logo_churn"]],
            m("churn.col.revenue_churn_gross_short"): [fmt.pct(v) for v in seg["revenue_churn"]],
            m("churn.col.b2b_band"): [logo_churn_verdict(v, "B2B", lang) for v in seg["logo_churn"]],
            m("churn.col.b2c_band"): [logo_churn_verdict(v, "B2C", lang) for v in seg["logo_churn"]],
        }).set_index(m("churn.col.segment"))
    else:
        t["churn_worst_segment"] = t["churn_worst_segment_rate"] = m("na")
        t["churn_worst_segment_text"] = m("churn.no_segments_text")
        page.tables["segments"] = m("churn.no_segments_note")

    long = facts.ledger.cohorts
    table = cohorts.cohort_matrix(long[long["age"] <= cohorts_shown], facts.ledger.cohorts_last_month, "logo",
                                  cohorts_shown)
    table = table[table.index <= month].tail(cohorts_shown)
    page.data["cohorts"] = table
    sizes = long[long["age"] == 0][["cohort", "customers"]]
    page.data["cohort_sizes"] = sizes.set_index("cohort")["customers"].reindex(table.index)
    year_cohort = month - 12
    year_row = table.loc[year_cohort] if year_cohort in table.index else None
    t["churn_cohort_name"] = str(year_cohort)
    t["churn_cohort_m3"] = fmt.pct(year_row[3]) if year_row is not None else m("na")
    t["churn_cohort_m12"] = fmt.pct(year_row[12]) if year_row is not None else m("na")
    t["churn_model_m12"] = fmt.pct(compounding.retention_after(steady["logo_churn"], 12))

    c_logo = steady["logo_churn"]
    ltv_value = compounding.ltv(steady["arpa"], gross_margin, c_logo)
    acquisition = compounding.trailing_cac(facts.data.company, bridge, month, window_months)
    ratio = compounding.ltv_to_cac(ltv_value, acquisition["cac"])
    band = place_in_band("ltv_to_cac", ratio)
    unit = {"churn_lifetime": f"{compounding.expected_lifetime(c_logo):.1f}",
            "churn_half_life": f"{compounding.half_life(c_logo):.1f}", "churn_arpa": fmt.money(steady["arpa"]),
            "churn_gross_margin": fmt.pct(gross_margin, 0), "churn_ltv": fmt.money(ltv_value),
            "churn_spend": fmt.money(acquisition["spend"]),
            "churn_new_customers": format_count(acquisition["new_customers"]),
            "churn_cac": fmt.money(acquisition["cac"]), "churn_ltv_cac": _ratio(ratio, fmt)}
    payback = cac_payback_months(float(acquisition["cac"]), float(steady["arpa"]), gross_margin)
    unit["churn_cac_payback"] = m("na") if not np.isfinite(payback) else f"{payback:.1f}"
    t.update(unit)
    t["churn_ltv_cac_verdict"] = ltv_cac_verdict(band, lang)
    page.tables["ltv_cac"] = pd.DataFrame({
        "": [m(f"churn.unit.{k}") for k in ("logo_churn", "lifetime", "half_life", "arpa", "gross_margin", "ltv",
                                            "spend", "new_customers", "cac", "ltv_cac", "cac_payback")],
        m("churn.col.value"): [fmt.pct(c_logo), *unit.values()],
    })

    arr_now = float(arr_from_mrr(steady["mrr"]))
    grid = compounding.churn_rates_around(steady["revenue_churn"], step=0.01, count=2)
    sens = compounding.arr_sensitivity_to_churn(
        arr_now, grid, 12, monthly_new_arr=float(arr_from_mrr(steady["new_mrr_per_month"])),
        monthly_expansion_rate=steady["expansion_rate"])
    one_lower = sens[np.isclose(sens["monthly_churn"], grid[0] - 0.01)]
    point = float(one_lower["ending_arr"].iloc[0] - sens["ending_arr"].iloc[0]) if len(one_lower) else float("nan")
    t["churn_sensitivity_point"] = fmt.money(point)
    shown = sens.sort_values("monthly_churn")
    page.tables["sensitivity"] = pd.DataFrame({
        m("churn.col.monthly_revenue_churn"): [m("churn.today", rate=fmt.pct(r)) if np.isclose(r, grid[0]) else fmt.pct(r)
                                               for r in shown["monthly_churn"]],
        m("churn.col.arr_in_12"): [fmt.money(v) for v in shown["ending_arr"]],
        m("churn.col.change_on_arr"): [fmt.pct(v, signed=True) for v in shown["change"]],
        m("churn.col.against_churn"): [fmt.pct(v, signed=True) for v in shown["vs_first_rate"]],
    }).set_index(m("churn.col.monthly_revenue_churn"))

    bands = pd.concat([bands_table(b, fmt.lang) for b in ("logo_churn_monthly", "ltv_to_cac", "early_churn_share_30d")],
                      ignore_index=True)
    page.tables["bands"] = bands[["metric_name", "band", "range", "applies_to", "verdict", "source", "caveat"]].rename(
        columns={c: m(f"churn.col.bands_{c}") for c in ("metric_name", "band", "range", "applies_to", "verdict",
                                                         "source", "caveat")}).set_index(m("churn.col.bands_metric_name"))
    t.update(next_actions(steady["logo_churn"], ratio, band, fmt))
    return page
