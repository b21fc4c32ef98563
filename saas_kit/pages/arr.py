"""Facts of the ARR and T2D3 chapter (notebooks/02_arr_t2d3.ipynb): ARR and its
composition, one-off charges, growth, the T2D3 verdict, the growth stage and the churn
claim of seed 001 (metrics.md §5, seeds 001, 002, 004)."""
from __future__ import annotations

import pandas as pd

from saas_kit import compounding, growth
from saas_kit.arr import arr_from_mrr, mrr_by_billing_period, mrr_from_arr, one_off_by_kind, recurring_and_one_off
from saas_kit.bands import bands_table
from saas_kit.formatting import format_count, format_ratio
from saas_kit.i18n import message
from saas_kit.mrr import mrr_by_month
from saas_kit.pages.base import MonthBasis, Page
from saas_kit.sources import citation

PERIOD_NAMES = {"month": "Monthly", "quarter": "Quarterly", "year": "Annual"}
MONTHS_IN = {"month": 1, "quarter": 3, "year": 12}
KIND_NAMES = {"setup_fee": "Set-up fee", "consulting": "Consulting", "training": "Training"}


def company_churn_lift(arr_now: float, recent: pd.Series) -> tuple[float, float, float]:
    """Seed 001's "one point less churn" applied to the company's own pooled monthly
    revenue churn ``c`` (:func:`saas_kit.compounding.trailing_churn`, twelve months):
    the lift of ARR a year out when ``c`` falls to ``max(c - 1 pt, c / 2)`` (a company
    churning under 2% cannot lose a whole point and stay meaningful), with its average
    new ARR and expansion rate (:func:`saas_kit.compounding.arr_sensitivity_to_churn`).
    Returns (c, the lower rate, the lift)."""
    rate = float(recent["revenue_churn"])
    lower = max(rate - 0.01, rate / 2)
    own = compounding.arr_sensitivity_to_churn(
        arr_now, [rate, lower], 12, monthly_new_arr=float(arr_from_mrr(recent["new_mrr_per_month"])),
        monthly_expansion_rate=float(recent["expansion_rate"]))
    return rate, lower, float(own["vs_first_rate"].iloc[1])


def seed_examples(fmt) -> tuple[dict[str, str], pd.DataFrame]:
    """Seeds 001 and 004's small examples recomputed: MRR -> ARR, an annual contract,
    the ¥100M milestone and a T2D3 plan from ¥10M."""
    seed_mrr = 5_000_000
    seed_arr = float(arr_from_mrr(seed_mrr))
    one_annual_contract = pd.DataFrame({
        "customer_id": ["example"], "subscription_id": ["S1"],
        "start_date": pd.to_datetime(["2025-04-01"]), "end_date": pd.to_datetime(["2026-04-01"]),
        "amount": [1_200_000.0], "billing_period": ["year"], "plan": ["Annual"], "currency": ["JPY"],
    })
    annual_split = mrr_by_billing_period(one_annual_contract, "2025-09").set_index("billing_period")
    annual_mrr = float(annual_split.loc["year", "mrr"])
    annual_arr = float(annual_split.loc["year", "arr"])
    milestone_mrr = float(mrr_from_arr(100_000_000))
    seed_plan = growth.t2d3_plan(10_000_000, 2025)
    yen = fmt.yen
    texts = {"arr_example_arr": yen(seed_arr), "arr_example_annual_mrr": yen(annual_mrr),
             "arr_example_milestone_mrr": yen(milestone_mrr),
             "arr_example_t2d3_final": yen(seed_plan["target_arr"].iloc[-1])}
    table = pd.DataFrame({
        "Example": ["MRR → ARR", "Annual contract → MRR", "Annual contract → ARR contribution",
                    "ARR milestone → MRR needed"]
                   + [f"T2D3 from ¥10M, year {k} (×{m})" for k, m in zip(seed_plan["plan_year"], seed_plan["multiplier"])],
        "Source": [citation(s) for s in ["001", "001", "001", "004"] + ["001"] * len(seed_plan)],
        "Input": [yen(seed_mrr) + " a month", yen(1_200_000) + " a year", yen(1_200_000) + " a year",
                  yen(100_000_000) + " ARR"] + [yen(10_000_000)] * len(seed_plan),
        "Computed": [yen(seed_arr), yen(annual_mrr), yen(annual_arr), yen(milestone_mrr)]
                    + [yen(v) for v in seed_plan["target_arr"]],
    }).set_index("Example")
    return texts, table


def t2d3_verdict(arr_series: pd.Series, base: pd.Period | None, month: pd.Period, yoy_now: float,
                 fmt) -> tuple[dict[str, str], pd.DataFrame | None]:
    """The T2D3 comparison (seed 001): texts ``arr_t2d3_base``, ``_base_arr``,
    ``_summary`` (ahead of or behind the path after the last finished plan year) and
    ``_next`` (the growth the next target needs), and the plan-vs-actual table."""
    if base is None:
        return {"arr_t2d3_base": "n/a", "arr_t2d3_base_arr": "n/a",
                "arr_t2d3_summary": "The data hold less than a year of ARR before the report month, "
                                    "so no plan year can be compared yet.",
                "arr_t2d3_next": "a T2D3 comparison needs at least a year of history"}, None
    vs_plan = growth.t2d3_actual_vs_plan(arr_series, base)
    done = vs_plan[vs_plan["actual_arr"].notna()]
    texts = {"arr_t2d3_base": str(base), "arr_t2d3_base_arr": fmt.money(float(arr_series[base]))}
    if len(done):
        last = done.iloc[-1]
        verdict = "ahead of" if last["actual_to_plan"] >= 1 else "behind"
        texts["arr_t2d3_summary"] = (
            f"After plan year {int(last['plan_year'])} ({last['month']}) ARR is {fmt.money(last['actual_arr'])} "
            f"against a plan of {fmt.money(last['plan_arr'])}: {fmt.pct(last['actual_to_plan'])} of plan, "
            f"{verdict} the path. In that year ARR grew {format_ratio(last['actual_multiplier'])} "
            f"where the plan asks for ×{int(last['multiplier'])}.")
    else:
        texts["arr_t2d3_summary"] = "No plan year has ended yet, so the chart shows the first target only."
    upcoming = vs_plan[vs_plan["actual_arr"].isna()]
    if len(upcoming):
        nxt = upcoming.iloc[0]
        months_left = (nxt["month"] - month).n
        needed = (growth.cagr(float(arr_series[month]), nxt["plan_arr"], months_left / 12)
                  if months_left > 0 else float("nan"))
        texts["arr_t2d3_next"] = (f"staying on the T2D3 path means ARR of {fmt.money(nxt['plan_arr'])} by "
                                  f"{nxt['month']}, an annualised growth of {fmt.pct(needed, signed=True)} from today "
                                  f"(the last twelve months gave {fmt.pct(yoy_now, signed=True)})")
    else:
        texts["arr_t2d3_next"] = "all five T2D3 plan years are already behind the report month"
    return texts, vs_plan


def arr_page(basis: MonthBasis, t2d3_base_month: str = "", trend_months: int = 36) -> Page:
    """Every figure of the ARR and T2D3 chapter."""
    fmt, month, ds = basis.fmt, basis.month, basis.dataset
    page = Page("02_arr_t2d3", fmt, month)
    t = page.texts
    t.update(basis.common_texts())
    t.update(basis.kpi_texts(["arr"]))
    arr_series = arr_from_mrr(mrr_by_month(ds.customer_mrr)).loc[:month]
    arr_now = float(arr_series[month])
    yoy_series = growth.yoy_growth(arr_series)
    yoy_now = float(yoy_series[month])

    example_texts, page.tables["examples"] = seed_examples(fmt)
    t.update(example_texts)

    if ds.subscriptions is None:  # an MRR file (mrr.csv) has no billing periods
        t["arr_prepaid_share"] = t["arr_annual_share"] = message("na", basis.style)
        page.tables["billing_periods"] = message("arr.missing_billing_periods", basis.style)
    else:
        by_period = mrr_by_billing_period(ds.subscriptions, month)
        prepaid = by_period[by_period["billing_period"] != "month"]
        shares = by_period.set_index("billing_period")["mrr_share"]
        t["arr_prepaid_share"] = fmt.pct(prepaid["mrr"].sum() / by_period["mrr"].sum())
        t["arr_annual_share"] = fmt.pct(float(shares.get("year", 0.0)))
        page.tables["billing_periods"] = pd.DataFrame({
            "Billing period": [PERIOD_NAMES[p] for p in by_period["billing_period"]],
            "Active subscriptions": [format_count(n) for n in by_period["subscriptions"]],
            "Invoiced per period": [fmt.money(v) for v in by_period["billed_amount"]],
            "Divided by (months)": [str(MONTHS_IN[p]) for p in by_period["billing_period"]],
            "MRR": [fmt.money(v) for v in by_period["mrr"]],
            "ARR": [fmt.money(v) for v in by_period["arr"]],
            "Share of MRR": [fmt.pct(v) for v in by_period["mrr_share"]],
        })

    split = recurring_and_one_off(ds.customer_mrr, ds.charges)
    page.data["one_off"] = split[split["month"] <= month].tail(24)
    by_kind = one_off_by_kind(ds.charges, month - 11, month)
    one_off_12m = by_kind["amount"].sum()
    t["arr_one_off_12m"] = fmt.money(one_off_12m)
    t["arr_one_off_vs_arr"] = fmt.pct(one_off_12m / arr_now)
    page.tables["one_off"] = pd.DataFrame({
        "Kind": [KIND_NAMES.get(k, k) for k in by_kind["kind"]],
        "Charges": [format_count(n) for n in by_kind["charges"]],
        "Amount, last 12 months": [fmt.money(v) for v in by_kind["amount"]],
        "Counted in ARR": ["no"] * len(by_kind),
    }).set_index("Kind")

    trend = arr_series.tail(trend_months)
    page.data["arr_trend"] = trend
    page.data["yoy_trend"] = yoy_series.reindex(trend.index)
    yoy_year_ago = float(yoy_series.get(month - 12, float("nan")))
    cagr_start = max(month - 36, arr_series[arr_series > 0].index.min())
    cagr_years = (month - cagr_start).n / 12
    cagr_value = growth.cagr(arr_series[cagr_start], arr_now, cagr_years) if cagr_years > 0 else float("nan")
    t["arr_yoy_now"] = fmt.pct(yoy_now, signed=True)
    t["arr_yoy_year_ago"] = fmt.pct(yoy_year_ago, signed=True)
    t["arr_cagr_from"] = str(cagr_start)
    t["arr_cagr"] = fmt.pct(cagr_value, signed=True)
    rows = [(month - 12 * k) for k in (0, 1, 2) if (month - 12 * k) in arr_series.index]
    page.tables["yoy"] = pd.DataFrame({
        "Month": [str(m) for m in rows],
        "MRR": [fmt.money(float(mrr_from_arr(arr_series[m]))) for m in rows],
        "ARR": [fmt.money(arr_series[m]) for m in rows],
        "YoY growth": [fmt.pct(yoy_series[m], signed=True) for m in rows],
    }).set_index("Month")

    base = (pd.Period(t2d3_base_month, freq="M") if t2d3_base_month
            else growth.default_t2d3_base_month(arr_series, month))
    t2d3_texts, vs_plan = t2d3_verdict(arr_series, base, month, yoy_now, fmt)
    t.update(t2d3_texts)
    page.data.update(t2d3_base=base, t2d3=vs_plan, arr_series=arr_series)
    if vs_plan is None:
        page.tables["t2d3"] = "Not enough history for a T2D3 comparison."
    else:
        page.tables["t2d3"] = pd.DataFrame({
            "Plan year": [str(k) for k in vs_plan["plan_year"]],
            "Month": [str(m) for m in vs_plan["month"]],
            "Plan multiple": [f"×{m} (×{c} cumulative)"
                              for m, c in zip(vs_plan["multiplier"], vs_plan["cumulative_multiple"])],
            "Plan ARR": [fmt.money(v) for v in vs_plan["plan_arr"]],
            "Actual ARR": [fmt.money(v) if pd.notna(v) else "not yet" for v in vs_plan["actual_arr"]],
            "Actual / plan": [fmt.pct(v) if pd.notna(v) else "—" for v in vs_plan["actual_to_plan"]],
            "Actual growth in the year": [format_ratio(v) if pd.notna(v) else "—" for v in vs_plan["actual_multiplier"]],
        }).set_index("Plan year")

    stage = growth.growth_stage(arr_now, yoy_now)
    multiple = growth.arr_multiple_band(yoy_now, arr_now)
    t["arr_stage"] = stage.stage
    t["arr_stage_band"] = f"{fmt.pct(stage.growth_low, 0, signed=True)} to {fmt.pct(stage.growth_high, 0, signed=True)}"
    t["arr_stage_position"] = stage.position or "not comparable with"
    t["arr_stage_currency_note"] = (
        "The stage thresholds are quoted in yen, the currency of this dataset." if basis.currency == "JPY" else
        f"The stage thresholds are quoted in yen while this dataset is in {basis.currency}: read the stage with care.")
    if multiple is None:
        t["arr_multiple_band"] = "n/a (growth is not known yet)"
        t["arr_valuation_range"] = "no figure"
    else:
        t["arr_multiple_band"] = f"{multiple.multiple_low:g}× to {multiple.multiple_high:g}× ({multiple.label})"
        t["arr_valuation_range"] = f"{fmt.money(multiple.valuation_low)} to {fmt.money(multiple.valuation_high)}"
    page.tables["stage"] = pd.DataFrame({
        "": ["ARR", "Year-on-year growth", "Stage (seed 001)", "Typical growth in the stage", "Position",
             "ARR multiple band (seed 001)", "Implied value range (rule of thumb)"],
        "Value": [fmt.money(arr_now), fmt.pct(yoy_now, signed=True), stage.stage,
                  f"{fmt.pct(stage.growth_low, 0)}–{fmt.pct(stage.growth_high, 0)}", stage.position or "n/a",
                  "n/a" if multiple is None else f"{multiple.multiple_low:g}–{multiple.multiple_high:g}×",
                  "n/a" if multiple is None
                  else f"{fmt.money(multiple.valuation_low)} – {fmt.money(multiple.valuation_high)}"],
    }).set_index("")

    lifts = [growth.churn_lift_on_arr(0.05, 0.04, n) for n in (12, 13, 14)]
    recent = compounding.trailing_churn(basis.bridge, month)
    own_rate, own_lower, lift_own = company_churn_lift(arr_now, recent)
    for n, lift in zip((12, 13, 14), lifts):
        t[f"arr_churn_lift_{n}"] = fmt.pct(lift, signed=True)
    t["arr_churn_lift_company"] = fmt.pct(lift_own, signed=True)
    t["arr_own_churn"] = fmt.pct(own_rate)
    t["arr_own_churn_lower"] = fmt.pct(own_lower)
    page.tables["churn_lift"] = pd.DataFrame({
        "Assumption": ["Seed 001's case: 5% → 4%, starting base only, 12 months", "The same, 13 months",
                       "The same, 14 months",
                       f"The company: {fmt.pct(own_rate)} → {fmt.pct(own_lower)} (its own revenue churn), "
                       "with its average new ARR and expansion, 12 months"],
        "ARR lift a year out": [fmt.pct(v, signed=True) for v in (*lifts, lift_own)],
        "Seed 001 says": ["about +15%", "", "", ""],
    })

    bands = pd.concat([bands_table(m) for m in ("arr_growth", "t2d3", "arr_multiple", "arr_milestone")],
                      ignore_index=True)
    page.tables["bands"] = bands[["metric_name", "band", "range", "applies_to", "source", "caveat"]].rename(columns={
        "metric_name": "Metric", "band": "Band", "range": "Range", "applies_to": "Applies to",
        "source": "Source", "caveat": "Caveat"}).set_index("Metric")
    return page
