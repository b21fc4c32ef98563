"""Executes notebooks/04_churn_compounding.ipynb on the sample data and checks that every
glued figure equals what saas_kit computes directly (formatted the same way)."""
from __future__ import annotations

import pytest

from glued import ROOT, execute_notebook, glued_values
from saas_kit import compounding, kpis, movements, rates
from saas_kit.formatting import format_count, format_money, format_money_exact, format_percent, format_ratio

NB = "04_churn_compounding.ipynb"
pytestmark = pytest.mark.slow


def expected(ds, style: str) -> dict[str, str]:
    month = ds.latest_month
    money = lambda x: format_money(x, ds.currency, style)  # noqa: E731
    head = kpis.headline_kpis(ds, month, style=style).set_index("key")
    bridge = rates.monthly_rates(movements.mrr_movements(ds.customer_mrr, last_month=month))
    now = bridge.set_index("month").loc[month]
    steady = compounding.trailing_churn(bridge, month, 12)
    ltv = compounding.ltv(steady["arpa"], 0.8, steady["logo_churn"])
    acq = compounding.trailing_cac(ds.company, bridge, month, 12)
    seg_bridge = movements.mrr_movements(movements.with_attribute(ds.customer_mrr, ds.customers, "segment"),
                                         last_month=month, by="segment")
    seg = rates.segment_rates(seg_bridge, "segment", month, window=12)
    worst = seg[seg["customers"] > 0].sort_values("logo_churn", ascending=False).iloc[0]
    out = {"report_month": str(month)}
    for key in ("logo_churn", "revenue_churn"):
        row = head.loc[key]
        out.update({f"kpi_{key}": row["value_text"], f"kpi_{key}_mom": row["mom_text"],
                    f"kpi_{key}_yoy": row["yoy_text"], f"kpi_{key}_band": row["band"]})
    out.update({
        # seed 004 worked examples (metrics.md §5, examples 11, 13, 14 and the LTV claim)
        "churn_example_left_5": "540", "churn_example_left_3": "694", "churn_example_left_7": "419",
        "churn_example_left_10": "282", "churn_example_lost_5": "46%", "churn_example_half_life_5": "13.5",
        "churn_example_logo_small": "5.0%", "churn_example_logo_large": "0.1%",
        "churn_example_lost_small": format_money_exact(50_000, "JPY", style),
        "churn_example_lost_large": format_money_exact(100_000, "JPY", style),
        "churn_example_ltv_low": "1.75×", "churn_example_ltv_mid": "2.14×", "churn_example_ltv_high": "2.67×",
        # the company's figures
        "churn_lost_customers": format_count(now["churned_customers"]),
        "churn_opening_customers": format_count(now["opening_customers"]),
        "churn_plain_now": format_percent(now["churn"] / now["opening_mrr"]),
        "churn_logo_steady": format_percent(steady["logo_churn"]),
        "churn_revenue_steady": format_percent(steady["revenue_churn"]),
        "churn_worst_segment": str(worst["segment"]),
        "churn_worst_segment_rate": format_percent(worst["logo_churn"]),
        "churn_arpa": money(now["closing_mrr"] / now["customers"]),
        "churn_ltv": money(ltv),
        "churn_spend": money(acq["spend"]),
        "churn_new_customers": format_count(acq["new_customers"]),
        "churn_cac": money(acq["cac"]),
        "churn_ltv_cac": format_ratio(ltv / acq["cac"]),
        "churn_lifetime": f"{1 / steady['logo_churn']:.1f}",
        "churn_model_m12": format_percent((1 - steady["logo_churn"]) ** 12),
    })
    return out


def test_notebook_glues_the_library_figures(tmp_path, dataset):
    values = glued_values(execute_notebook(NB, tmp_path))
    for key, text in expected(dataset, "en").items():
        assert values.get(key) == text, key
    assert values["churn_gross_margin"] == "80%"


def test_notebook_japanese_style_and_parameters(tmp_path, dataset):
    values = glued_values(execute_notebook(NB, tmp_path, style="ja", gross_margin=0.6))
    exp = expected(dataset, "ja")
    for key in ("kpi_logo_churn", "kpi_revenue_churn", "churn_cac", "churn_arpa", "churn_example_lost_large",
                "churn_logo_steady"):
        assert values[key] == exp[key], key
    month = dataset.latest_month
    bridge = rates.monthly_rates(movements.mrr_movements(dataset.customer_mrr, last_month=month))
    steady = compounding.trailing_churn(bridge, month, 12)
    assert values["churn_ltv"] == format_money(steady["arpa"] * 0.6 / steady["logo_churn"], dataset.currency, "ja")
    assert values["churn_gross_margin"] == "60%"
    assert values["report_month_label"] == f"{month.year}年{month.month}月"
