"""Facts of the ARR and T2D3 chapter (notebooks/02_arr_t2d3.ipynb): ARR and its
composition, one-off charges, growth, the T2D3 verdict, the growth stage and the churn
claim of seed 001 (metrics.md §5, seeds 001, 002, 004)."""
from __future__ import annotations

import pandas as pd

from saas_kit import compounding, growth
from saas_kit.arr import arr_from_mrr, mrr_by_billing_period, mrr_from_arr
from saas_kit.bands import band_label, bands_table
from saas_kit.pages.base import MonthBasis, Page
from saas_kit.sources import citation

#: Billing periods (their names: messages ``arr.period.<period>``) and their months.
MONTHS_IN = {"month": 1, "quarter": 3, "year": 12}
#: One-off charge kinds with a name in words (``arr.kind.<kind>``); others print as in the data.
KNOWN_KINDS = ("setup_fee", "consulting", "training")


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
    yen, msg = fmt.yen, fmt.msg
    texts = {"arr_example_arr": yen(seed_arr), "arr_example_annual_mrr": yen(annual_mrr),
             "arr_example_milestone_mrr": yen(milestone_mrr),
             "arr_example_t2d3_final": yen(seed_plan["target_arr"].iloc[-1])}
    table = pd.DataFrame({
        msg("arr.example.col.example"): [msg(f"arr.example.{k}") for k in
                                         ("mrr_to_arr", "annual_to_mrr", "annual_to_arr", "milestone_to_mrr")]
                   + [msg("arr.example.t2d3_year", year=k, multiple=m)
                      for k, m in zip(seed_plan["plan_year"], seed_plan["multiplier"])],
        msg("arr.example.col.source"): [citation(s) for s in ["001", "001", "001", "004"] + ["001"] * len(seed_plan)],
        msg("arr.example.col.input"): [msg("arr.example.per_month", amount=yen(seed_mrr)),
                                       msg("arr.example.per_year", amount=yen(1_200_000)),
                                       msg("arr.example.per_year", amount=yen(1_200_000)),
                                       msg("arr.example.arr", amount=yen(100_000_000))]
                                      + [yen(10_000_000)] * len(seed_plan),
        msg("arr.example.col.computed"): [yen(seed_arr), yen(annual_mrr), yen(annual_arr), yen(milestone_mrr)]
                    + [yen(v) for v in seed_plan["target_arr"]],
    }).set_index(msg("arr.example.col.example"))
    return texts, table


def t2d3_verdict(arr_series: pd.Series, base: pd.Period | None, month: pd.Period, yoy_now: float,
                 fmt) -> tuple[dict[str, str], pd.DataFrame | None]:
    """The T2D3 comparison (seed 001): texts ``arr_t2d3_base``, ``_base_arr``,
    ``_summary`` (ahead of or behind the path after the last finished plan year) and
    ``_next`` (the growth the next target needs), and the plan-vs-actual table."""
    msg = fmt.msg
    if base is None:
        return {"arr_t2d3_base": msg("na"), "arr_t2d3_base_arr": msg("na"),
                "arr_t2d3_summary": msg("arr.t2d3.no_history_summary"),
                "arr_t2d3_next": msg("arr.t2d3.no_history_next")}, None
    vs_plan = growth.t2d3_actual_vs_plan(arr_series, base)
    done = vs_plan[vs_plan["actual_arr"].notna()]
    texts = {"arr_t2d3_base": fmt.month_short(base), "arr_t2d3_base_arr": fmt.money(float(arr_series[base]))}
    if len(done):
        last = done.iloc[-1]
        key = "arr.t2d3.summary_ahead" if last["actual_to_plan"] >= 1 else "arr.t2d3.summary_behind"
        texts["arr_t2d3_summary"] = msg(
            key, year=int(last["plan_year"]), month=fmt.month_short(last["month"]), actual=fmt.money(last["actual_arr"]),
            plan=fmt.money(last["plan_arr"]), share=fmt.pct(last["actual_to_plan"]),
            growth=fmt.ratio(last["actual_multiplier"]), multiple=int(last["multiplier"]))
    else:
        texts["arr_t2d3_summary"] = msg("arr.t2d3.no_year_ended")
    upcoming = vs_plan[vs_plan["actual_arr"].isna()]
    if len(upcoming):
        nxt = upcoming.iloc[0]
        months_left = (nxt["month"] - month).n
        needed = (growth.cagr(float(arr_series[month]), nxt["plan_arr"], months_left / 12)
                  if months_left > 0 else float("nan"))
        texts["arr_t2d3_next"] = msg("arr.t2d3.next", plan=fmt.money(nxt["plan_arr"]), month=fmt.month_short(nxt["month"]),
                                     needed=fmt.pct(needed, signed=True), yoy=fmt.pct(yoy_now, signed=True))
    else:
        texts["arr_t2d3_next"] = msg("arr.t2d3.all_behind")
    return texts, vs_plan


def arr_page(basis: MonthBasis, t2d3_base_month: str = "", trend_months: int = 36) -> Page:
    """Every figure of the ARR and T2D3 chapter."""
    fmt, month, ledger = basis.fmt, basis.month, basis.facts.ledger
    page = Page("02_arr_t2d3", fmt, month)
    msg = fmt.msg
    t = page.texts
    t.update(basis.common_texts())
    t.update(basis.kpi_texts(["arr"]))
    arr_series = arr_from_mrr(ledger.mrr_by_month).loc[:month]
    arr_now = float(arr_series[month])
    yoy_series = growth.yoy_growth(arr_series)
    yoy_now = float(yoy_series[month])

    example_texts, page.tables["examples"] = seed_examples(fmt)
    t.update(example_texts)

    if ledger.billing_periods is None:  # an MRR file (mrr.csv) has no billing periods
        t["arr_prepaid_share"] = t["arr_annual_share"] = msg("na")
        page.tables["billing_periods"] = msg("arr.missing_billing_periods")
    else:
        by_period = ledger.billing_periods
        prepaid = by_period[by_period["billing_period"] != "month"]
        shares = by_period.set_index("billing_period")["mrr_share"]
        t["arr_prepaid_share"] = fmt.pct(prepaid["mrr"].sum() / by_period["mrr"].sum())
        t["arr_annual_share"] = fmt.pct(float(shares.get("year", 0.0)))
        page.tables["billing_periods"] = pd.DataFrame({
            msg("arr.billing.col.period"): [msg(f"arr.period.{p}") for p in by_period["billing_period"]],
            msg("arr.billing.col.subscriptions"): [fmt.count(n) for n in by_period["subscriptions"]],
            msg("arr.billing.col.invoiced"): [fmt.money(v) for v in by_period["billed_amount"]],
            msg("arr.billing.col.months"): [str(MONTHS_IN[p]) for p in by_period["billing_period"]],
            msg("arr.billing.col.mrr"): [fmt.money(v) for v in by_period["mrr"]],
            msg("arr.billing.col.arr"): [fmt.money(v) for v in by_period["arr"]],
            msg("arr.billing.col.share"): [fmt.pct(v) for v in by_period["mrr_share"]],
        })

    page.data["one_off"] = ledger.recurring_one_off.tail(24)
    by_kind = ledger.one_off_by_kind
    one_off_12m = by_kind["amount"].sum()
    t["arr_one_off_12m"] = fmt.money(one_off_12m)
    t["arr_one_off_vs_arr"] = fmt.pct(one_off_12m / arr_now)
    page.tables["one_off"] = pd.DataFrame({
        msg("arr.one_off.col.kind"): [msg(f"arr.kind.{k}") if k in KNOWN_KINDS else k for k in by_kind["kind"]],
        msg("arr.one_off.col.charges"): [fmt.count(n) for n in by_kind["charges"]],
        msg("arr.one_off.col.amount"): [fmt.money(v) for v in by_kind["amount"]],
        msg("arr.one_off.col.in_arr"): [msg("arr.one_off.no")] * len(by_kind),
    }).set_index(msg("arr.one_off.col.kind"))

    trend = arr_series.tail(trend_months)
    page.data["arr_trend"] = trend
    page.data["yoy_trend"] = yoy_series.reindex(trend.index)
    yoy_year_ago = float(yoy_series.get(month - 12, float("nan")))
    cagr_start = max(month - 36, arr_series[arr_series > 0].index.min())
    cagr_years = (month - cagr_start).n / 12
    cagr_value = growth.cagr(arr_series[cagr_start], arr_now, cagr_years) if cagr_years > 0 else float("nan")
    t["arr_yoy_now"] = fmt.pct(yoy_now, signed=True)
    t["arr_yoy_year_ago"] = fmt.pct(yoy_year_ago, signed=True)
    t["arr_cagr_from"] = fmt.month_short(cagr_start)
    t["arr_cagr"] = fmt.pct(cagr_value, signed=True)
    rows = [(month - 12 * k) for k in (0, 1, 2) if (month - 12 * k) in arr_series.index]
    page.tables["yoy"] = pd.DataFrame({
        msg("arr.yoy.col.month"): [fmt.month_short(m) for m in rows],
        msg("arr.yoy.col.mrr"): [fmt.money(float(mrr_from_arr(arr_series[m]))) for m in rows],
        msg("arr.yoy.col.arr"): [fmt.money(arr_series[m]) for m in rows],
        msg("arr.yoy.col.growth"): [fmt.pct(yoy_series[m], signed=True) for m in rows],
    }).set_index(msg("arr.yoy.col.month"))

    base = (pd.Period(t2d3_base_month, freq="M") if t2d3_base_month
            else growth.default_t2d3_base_month(arr_series, month))
    t2d3_texts, vs_plan = t2d3_verdict(arr_series, base, month, yoy_now, fmt)
    t.update(t2d3_texts)
    page.data.update(t2d3_base=base, t2d3=vs_plan, arr_series=arr_series)
    if vs_plan is None:
        page.tables["t2d3"] = msg("arr.t2d3.no_table")
    else:
        page.tables["t2d3"] = pd.DataFrame({
            msg("arr.t2d3.col.plan_year"): [str(k) for k in vs_plan["plan_year"]],
            msg("arr.t2d3.col.month"): [fmt.month_short(m) for m in vs_plan["month"]],
            msg("arr.t2d3.col.multiple"): [msg("arr.t2d3.multiple_cell", multiple=m, cumulative=c)
                                           for m, c in zip(vs_plan["multiplier"], vs_plan["cumulative_multiple"])],
            msg("arr.t2d3.col.plan_arr"): [fmt.money(v) for v in vs_plan["plan_arr"]],
            msg("arr.t2d3.col.actual_arr"): [fmt.money(v) if pd.notna(v) else msg("arr.t2d3.not_yet")
                                             for v in vs_plan["actual_arr"]],
            msg("arr.t2d3.col.actual_to_plan"): [fmt.pct(v) if pd.notna(v) else "—" for v in vs_plan["actual_to_plan"]],
            msg("arr.t2d3.col.actual_growth"): [fmt.ratio(v) if pd.notna(v) else "—"
                                                for v in vs_plan["actual_multiplier"]],
        }).set_index(msg("arr.t2d3.col.plan_year"))

    stage = growth.growth_stage(arr_now, yoy_now)
    multiple = growth.arr_multiple_band(yoy_now, arr_now)
    stage_name = band_label(stage.band, fmt.lang)
    t["arr_stage"] = stage_name
    t["arr_stage_band"] = msg("arr.range", low=fmt.pct(stage.growth_low, 0, signed=True),
                              high=fmt.pct(stage.growth_high, 0, signed=True))
    t["arr_stage_position"] = msg(f"arr.stage.position.{stage.position or 'none'}")
    t["arr_stage_currency_note"] = (msg("arr.stage.currency_yen") if basis.currency == "JPY" else
                                    msg("arr.stage.currency_other", currency=basis.currency))
    if multiple is None:
        t["arr_multiple_band"] = msg("arr.multiple.unknown")
        t["arr_valuation_range"] = msg("arr.multiple.no_value")
    else:
        t["arr_multiple_band"] = msg("arr.multiple.band", low=f"{multiple.multiple_low:g}",
                                     high=f"{multiple.multiple_high:g}", label=band_label(multiple.band, fmt.lang))
        t["arr_valuation_range"] = msg("arr.range", low=fmt.money(multiple.valuation_low),
                                       high=fmt.money(multiple.valuation_high))
    page.tables["stage"] = pd.DataFrame({
        "": [msg(f"arr.stage.row.{k}") for k in ("arr", "yoy", "stage", "typical", "position", "multiple", "valuation")],
        msg("table.value"): [
            fmt.money(arr_now), fmt.pct(yoy_now, signed=True), stage_name,
            msg("band.range.between", low=fmt.pct(stage.growth_low, 0), high=fmt.pct(stage.growth_high, 0)),
            msg(f"band.{stage.position}") if stage.position else msg("na"),
            msg("na") if multiple is None else msg("band.range.between", low=f"{multiple.multiple_low:g}",
                                                   high=f"{multiple.multiple_high:g}×"),
            msg("na") if multiple is None
            else msg("arr.valuation_cell", low=fmt.money(multiple.valuation_low), high=fmt.money(multiple.valuation_high))],
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
        msg("arr.churn_lift.col.assumption"): [
            msg("arr.churn_lift.seed_case"), msg("arr.churn_lift.13"), msg("arr.churn_lift.14"),
            msg("arr.churn_lift.company", rate=fmt.pct(own_rate), lower=fmt.pct(own_lower))],
        msg("arr.churn_lift.col.lift"): [fmt.pct(v, signed=True) for v in (*lifts, lift_own)],
        msg("arr.churn_lift.col.seed"): [msg("arr.churn_lift.seed_says"), "", "", ""],
    })

    bands = pd.concat([bands_table(m, fmt.lang) for m in ("arr_growth", "t2d3", "arr_multiple", "arr_milestone")],
                      ignore_index=True)
    page.tables["bands"] = bands[["metric_name", "band", "range", "applies_to", "source", "caveat"]].rename(columns={
        "metric_name": msg("table.metric"), "band": msg("band.col.band"), "range": msg("band.col.range"),
        "applies_to": msg("band.col.applies_to"), "source": msg("band.col.source"),
        "caveat": msg("band.col.caveat")}).set_index(msg("table.metric"))
    return page
