"""Executes notebooks/02_arr_t2d3.ipynb on the sample data and checks that every glued
figure equals what saas_kit computes directly (formatted the same way)."""
from __future__ import annotations

import pytest

from glued import ROOT, execute_notebook, glued_values
from saas_kit import compounding, growth, kpis, movements, mrr
from saas_kit.formatting import format_money, format_money_exact, format_percent

NB = "02_arr_t2d3.ipynb"
pytestmark = pytest.mark.slow


def expected(ds, style: str) -> dict[str, str]:
    month = ds.latest_month
    cur = ds.currency
    money = lambda x: format_money(x, cur, style)  # noqa: E731
    head = kpis.headline_kpis(ds, month, style=style).set_index("key").loc["arr"]
    arr = growth.arr_from_mrr(mrr.mrr_by_month(ds.customer_mrr)).loc[:month]
    yoy = growth.yoy_growth(arr)
    by_period = growth.mrr_by_billing_period(ds.subscriptions, month).set_index("billing_period")
    base = growth.default_t2d3_base_month(arr, month)
    plan = growth.t2d3_actual_vs_plan(arr, base)
    stage = growth.growth_stage(arr[month], yoy[month])
    band = growth.arr_multiple_band(yoy[month], arr[month])
    one_off = growth.one_off_by_kind(ds.charges, month - 11, month)["amount"].sum()
    return {
        "report_month": str(month),
        "kpi_arr": head["value_text"], "kpi_arr_mom": head["mom_text"], "kpi_arr_yoy": head["yoy_text"],
        "kpi_arr_band": head["band"],
        "arr_example_arr": format_money_exact(60_000_000, "JPY", style),
        "arr_example_annual_mrr": format_money_exact(100_000, "JPY", style),
        "arr_example_milestone_mrr": format_money_exact(8_333_333, "JPY", style),
        "arr_example_t2d3_final": format_money_exact(720_000_000, "JPY", style),
        "arr_prepaid_share": format_percent(1 - by_period.loc["month", "mrr_share"]),
        "arr_annual_share": format_percent(by_period.loc["year", "mrr_share"]),
        "arr_one_off_12m": money(one_off),
        "arr_one_off_vs_arr": format_percent(one_off / arr[month]),
        "arr_yoy_now": format_percent(yoy[month], signed=True),
        "arr_yoy_year_ago": format_percent(yoy[month - 12], signed=True),
        "arr_t2d3_base": str(base),
        "arr_t2d3_base_arr": money(arr[base]),
        "arr_stage": stage.stage,
        "arr_stage_position": stage.position,
        "arr_valuation_range": f"{money(band.valuation_low)} to {money(band.valuation_high)}",
        "arr_churn_lift_12": "+13.4%",  # metrics.md §5: (0.96/0.95)^12 - 1
        "arr_churn_lift_company": format_percent(
            compounding.arr_sensitivity_to_churn(
                arr[month], [0.05, 0.04], 12,
                monthly_new_arr=12 * compounding.trailing_churn(
                    movements.mrr_movements(ds.customer_mrr, last_month=month), month)["new_mrr_per_month"],
            )["vs_first_rate"].iloc[1], signed=True),
        "_plan_done": plan[plan["actual_arr"].notna()].iloc[-1],
    }


def check(values: dict[str, str], exp: dict[str, str]) -> None:
    done = exp.pop("_plan_done")
    for key, text in exp.items():
        assert values.get(key) == text, key
    assert f"{format_percent(done['actual_to_plan'])} of plan" in values["arr_t2d3_summary"]


def test_notebook_glues_the_library_figures(tmp_path, dataset):
    values = glued_values(execute_notebook(NB, tmp_path))
    check(values, expected(dataset, "en"))
    assert values["report_month_label"] == dataset.latest_month.strftime("%B %Y")


def test_notebook_japanese_style(tmp_path, dataset):
    values = glued_values(execute_notebook(NB, tmp_path, style="ja"))
    check(values, expected(dataset, "ja"))
    m = dataset.latest_month
    assert values["report_month_label"] == f"{m.year}年{m.month}月"
    assert values["kpi_arr"].endswith("円")


def test_notebook_explicit_base_month_and_earlier_report_month(tmp_path, dataset):
    month = dataset.latest_month - 3
    base = month - 12
    values = glued_values(execute_notebook(NB, tmp_path, month=str(month), t2d3_base_month=str(base)))
    arr = growth.arr_from_mrr(mrr.mrr_by_month(dataset.customer_mrr))
    assert values["report_month"] == str(month)
    assert values["arr_t2d3_base"] == str(base)
    assert values["arr_t2d3_base_arr"] == format_money(arr[base], dataset.currency, "en")
    assert values["kpi_arr"] == format_money(arr[month], dataset.currency, "en")
