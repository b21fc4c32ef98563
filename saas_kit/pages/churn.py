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
from saas_kit.movements import mrr_movements, with_attribute
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


def logo_churn_verdict(value: float, segment: str) -> str:
    """``good (1–2% a month)``-style verdict of seed 004's logo churn band."""
    band = place_in_band("logo_churn_monthly", value, segment=segment)
    return f"{band.verdict} ({band.label})" if band else "n/a"


def cac_payback_months(cac: float, arpa: float, gross_margin: float) -> float:
    """Months of gross profit from one customer needed to earn back its acquisition cost
    (metrics.md §4, source [5]'s unit economics): ``CAC / (ARPA × gross margin)``. NaN
    when CAC is unknown or the monthly gross profit is not positive."""
    profit = arpa * gross_margin
    if not (np.isfinite(cac) and np.isfinite(profit)) or profit <= 0:
        return float("nan")
    return float(cac / profit)


def ltv_cac_verdict(band) -> str:
    """LTV/CAC against seed 004's rule of thumb of 3."""
    if band is None:
        return "not computable (no complete sales and marketing spend for the window)"
    return "above seed 004's rule of thumb of 3" if band.verdict == "good" else "at or below seed 004's rule of thumb of 3"


def next_actions(logo_churn: float, ratio: float, band, fmt) -> dict[str, str]:
    """What to look at next: how much bringing logo churn to 2% keeps, and what LTV/CAC needs."""
    if logo_churn > GOOD_LOGO_CHURN_TOP:
        gain = growth.churn_lift_on_arr(logo_churn, GOOD_LOGO_CHURN_TOP, 12)
        to_good = (f"pooled logo churn of {fmt.pct(logo_churn)} is above the 1–2% band; bringing it to 2% would keep "
                   f"{fmt.pct(gain, signed=True)} more of today's customers a year from now.")
    else:
        to_good = f"pooled logo churn of {fmt.pct(logo_churn)} is already within or below the 1–2% band."
    if band is None:
        ltv_next = "complete the sales and marketing spend in the company file to compute it."
    elif band.verdict == "good":
        ltv_next = "acquisition pays back; the question is how fast to grow spend."
    else:
        needed = 3 / ratio if ratio > 0 else float("nan")
        ltv_next = (f"LTV would have to rise {format_ratio(needed)} (or CAC fall by as much) to clear 3: lower churn "
                    f"raises LTV in proportion (halving churn doubles it).")
    return {"churn_to_good_text": to_good, "churn_ltv_cac_next": ltv_next}


def _seed_examples(page: Page) -> None:
    fmt, t = page.fmt, page.texts
    curves = compounding.retention_curve(SEED_004_RATES, months=24, customers=1000)
    at12 = curves[curves["month"] == 12].reset_index(drop=True)
    for r in (0.05, 0.03, 0.07, 0.10):
        t[f"churn_example_left_{int(round(r * 100))}"] = format_count(at12.loc[at12["rate"] == r, "customers_left"].iloc[0])
    t["churn_example_lost_5"] = fmt.pct(compounding.share_lost_after(0.05, 12), 0)
    t["churn_example_half_life_5"] = f"{compounding.half_life(0.05):.1f}"
    page.tables["curves"] = pd.DataFrame({
        "Monthly churn": [fmt.pct(r, 0) for r in at12["rate"]],
        "Left after 12 months": [fmt.pct(v) for v in at12["retained_share"]],
        "Customers left of 1,000": [format_count(v) for v in at12["customers_left"]],
        "Seed 004 prints": [f"{SEED_004_TABLE[r][0]} / {SEED_004_TABLE[r][1]}" for r in at12["rate"]],
        "Lost in a year": [fmt.pct(compounding.share_lost_after(r, 12)) for r in at12["rate"]],
        "Half-life (months)": [f"{v:.1f}" for v in compounding.half_life(np.array(SEED_004_RATES))],
        "Expected lifetime (months)": [f"{v:.1f}" for v in compounding.expected_lifetime(np.array(SEED_004_RATES))],
    }).set_index("Monthly churn")
    page.data["curves"] = curves

    small = two_months([1_000.0] * 1000, leavers=50)
    large = two_months([100_000.0] + [1_000.0] * 999, leavers=1)
    t["churn_example_logo_small"] = fmt.pct(small["logo_churn"])
    t["churn_example_logo_large"] = fmt.pct(large["logo_churn"])
    t["churn_example_lost_small"] = fmt.yen(small["churn"])
    t["churn_example_lost_large"] = fmt.yen(large["churn"])
    page.tables["logo_vs_revenue"] = pd.DataFrame({
        "Case": ["50 customers at ¥1,000 leave", "1 customer at ¥100,000 leaves"],
        "Customers lost": [format_count(small["churned_customers"]), format_count(large["churned_customers"])],
        "Logo churn": [fmt.pct(small["logo_churn"]), fmt.pct(large["logo_churn"])],
        "MRR lost": [fmt.yen(small["churn"]), fmt.yen(large["churn"])],
        "Revenue churn (churn / opening MRR)": [fmt.pct(small["revenue_churn_plain"]),
                                                fmt.pct(large["revenue_churn_plain"])],
    }).set_index("Case")

    cvr = compounding.cac_by_conversion_rate(1_000_000, 10_000, [0.01, 0.02, 0.03])
    ltv_case = pd.DataFrame({"from": [0.07, 0.075, 0.08], "to": [0.04, 0.035, 0.03]})
    ltv_case["ratio"] = compounding.ltv_ratio_from_churn_change(ltv_case["from"], ltv_case["to"])
    for i, name in enumerate(("low", "mid", "high")):
        t[f"churn_example_ltv_{name}"] = format_ratio(ltv_case["ratio"].iloc[i])
    page.tables["cac_by_conversion"] = pd.DataFrame({
        "Conversion rate": [fmt.pct(r, 0) for r in cvr["conversion_rate"]],
        "New customers": [format_count(n) for n in cvr["new_customers"]],
        "CAC": [fmt.yen(v) for v in cvr["cac"]],
    }).set_index("Conversion rate")
    page.tables["ltv_from_churn"] = pd.DataFrame({
        "Churn before → after": [f"{fmt.pct(a)} → {fmt.pct(b)}" for a, b in zip(ltv_case["from"], ltv_case["to"])],
        "LTV multiplied by": [format_ratio(v) for v in ltv_case["ratio"]],
    }).set_index("Churn before → after")


def churn_page(basis: MonthBasis, gross_margin: float = 0.8, window_months: int = 12, trend_months: int = 24,
               cohorts_shown: int = 18, segment_column: str = "segment") -> Page:
    """Every figure of the churn compounding chapter."""
    fmt, month, ds = basis.fmt, basis.month, basis.dataset
    page = Page("04_churn_compounding", fmt, month)
    t = page.texts
    t.update(basis.common_texts())
    t.update(basis.kpi_texts(KPI_KEYS))
    customer_mrr = ds.customer_mrr[ds.customer_mrr["month"] <= month]
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
        "Month": [str(m) for m in last["month"]],
        "Opening customers": [format_count(v) for v in last["opening_customers"]],
        "Customers lost": [format_count(v) for v in last["churned_customers"]],
        "Logo churn": [fmt.pct(v) for v in last["logo_churn"]],
        "Opening MRR": [fmt.money(v) for v in last["opening_mrr"]],
        "Churned MRR": [fmt.money(v) for v in last["churn"]],
        "Contraction": [fmt.money(v) for v in last["contraction"]],
        "Revenue churn (seed 004)": [fmt.pct(v) for v in last["revenue_churn_plain"]],
        "Revenue churn (gross)": [fmt.pct(v) for v in last["revenue_churn"]],
    }).set_index("Month")

    if ds.customers is not None and segment_column in ds.customers.columns:
        with_segment = with_attribute(customer_mrr, ds.customers, segment_column)
        seg_bridge = mrr_movements(with_segment, last_month=month, by=segment_column)
        seg = rates.segment_rates(seg_bridge, segment_column, month, window=window_months)
        seg = seg[seg["customers"] > 0].sort_values("logo_churn", ascending=False, ignore_index=True)
        worst = seg.iloc[0]
        t["churn_worst_segment"] = str(worst[segment_column])
        t["churn_worst_segment_rate"] = fmt.pct(worst["logo_churn"])
        t["churn_worst_segment_text"] = (
            f"The highest logo churn is in {worst[segment_column]}: {fmt.pct(worst['logo_churn'])} a month, "
            f"{logo_churn_verdict(worst['logo_churn'], 'B2B')} by the B2B standard.")
        page.tables["segments"] = pd.DataFrame({
            "Segment": seg[segment_column].astype(str),
            "Customers now": [format_count(v) for v in seg["customers"]],
            "MRR now": [fmt.money(v) for v in seg["mrr"]],
            "Logo churn, monthly": [fmt.pct(v) for v in seg["logo_churn"]],
            "Revenue churn, gross": [fmt.pct(v) for v in seg["revenue_churn"]],
            "B2B band (seed 004)": [logo_churn_verdict(v, "B2B") for v in seg["logo_churn"]],
            "B2C band (seed 004)": [logo_churn_verdict(v, "B2C") for v in seg["logo_churn"]],
        }).set_index("Segment")
    else:
        t["churn_worst_segment"] = t["churn_worst_segment_rate"] = "n/a"
        t["churn_worst_segment_text"] = "The data have no customer segments, so no breakdown is shown."
        page.tables["segments"] = "No customer segments in the data."

    table = cohorts.cohort_table(customer_mrr, "logo", max_age=cohorts_shown)
    table = table[table.index <= month].tail(cohorts_shown)
    page.data["cohorts"] = table
    page.data["cohort_sizes"] = cohorts.cohort_sizes(customer_mrr).set_index("cohort")["customers"].reindex(table.index)
    year_cohort = month - 12
    year_row = table.loc[year_cohort] if year_cohort in table.index else None
    t["churn_cohort_name"] = str(year_cohort)
    t["churn_cohort_m3"] = fmt.pct(year_row[3]) if year_row is not None else "n/a"
    t["churn_cohort_m12"] = fmt.pct(year_row[12]) if year_row is not None else "n/a"
    t["churn_model_m12"] = fmt.pct(compounding.retention_after(steady["logo_churn"], 12))

    c_logo = steady["logo_churn"]
    ltv_value = compounding.ltv(steady["arpa"], gross_margin, c_logo)
    acquisition = compounding.trailing_cac(ds.company, bridge, month, window_months)
    ratio = compounding.ltv_to_cac(ltv_value, acquisition["cac"])
    band = place_in_band("ltv_to_cac", ratio)
    unit = {"churn_lifetime": f"{compounding.expected_lifetime(c_logo):.1f}",
            "churn_half_life": f"{compounding.half_life(c_logo):.1f}", "churn_arpa": fmt.money(steady["arpa"]),
            "churn_gross_margin": fmt.pct(gross_margin, 0), "churn_ltv": fmt.money(ltv_value),
            "churn_spend": fmt.money(acquisition["spend"]),
            "churn_new_customers": format_count(acquisition["new_customers"]),
            "churn_cac": fmt.money(acquisition["cac"]), "churn_ltv_cac": format_ratio(ratio)}
    payback = cac_payback_months(float(acquisition["cac"]), float(steady["arpa"]), gross_margin)
    unit["churn_cac_payback"] = "n/a" if not np.isfinite(payback) else f"{payback:.1f}"
    t.update(unit)
    t["churn_ltv_cac_verdict"] = ltv_cac_verdict(band)
    page.tables["ltv_cac"] = pd.DataFrame({
        "": ["Logo churn, pooled monthly", "Expected lifetime (months)", "Half-life (months)",
             "ARPA (MRR per customer)", "Gross margin (parameter)", "LTV", "Sales and marketing spend",
             "New customers", "CAC", "LTV / CAC", "CAC payback (months of gross profit)"],
        "Value": [fmt.pct(c_logo), *unit.values()],
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
        "Monthly revenue churn": [fmt.pct(r) + (" (today)" if np.isclose(r, grid[0]) else "")
                                  for r in shown["monthly_churn"]],
        "ARR in 12 months": [fmt.money(v) for v in shown["ending_arr"]],
        "Change on today's ARR": [fmt.pct(v, signed=True) for v in shown["change"]],
        "Against today's churn": [fmt.pct(v, signed=True) for v in shown["vs_first_rate"]],
    }).set_index("Monthly revenue churn")

    bands = pd.concat([bands_table(m) for m in ("logo_churn_monthly", "ltv_to_cac", "early_churn_share_30d")],
                      ignore_index=True)
    page.tables["bands"] = bands[["metric_name", "band", "range", "applies_to", "verdict", "source", "caveat"]].rename(
        columns={"metric_name": "Metric", "band": "Band", "range": "Range", "applies_to": "Applies to",
                 "verdict": "Verdict", "source": "Source", "caveat": "Caveat"}).set_index("Metric")
    t.update(next_actions(steady["logo_churn"], ratio, band, fmt))
    return page
