"""notebooks/01_nrr.ipynb: executed with papermill on the sample data; every glued figure
must equal what saas_kit computes directly (formatted the same way)."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from glued import ROOT, execute_notebook, glued_values as glued
from saas_kit import kpis, movements, rates
from saas_kit.formatting import format_money, format_percent

NOTEBOOK = "01_nrr.ipynb"
KPI_KEYS = ("mrr", "nrr_monthly", "nrr_ttm", "grr_monthly", "grr_ttm")




def check_kpis(values: dict[str, str], dataset, month: pd.Period, style: str) -> None:
    table = kpis.headline_kpis(dataset, month, style=style).set_index("key")
    for key in KPI_KEYS:
        row = table.loc[key]
        assert values[f"kpi_{key}"] == row["value_text"], key
        assert values[f"kpi_{key}_mom"] == row["mom_text"], key
        assert values[f"kpi_{key}_yoy"] == row["yoy_text"], key
        assert values[f"kpi_{key}_band"] == row["band"], key


def check_company_figures(values: dict[str, str], dataset, month: pd.Period, style: str) -> None:
    bridge = rates.monthly_rates(movements.mrr_movements(dataset.customer_mrr)).set_index("month")
    row = bridge.loc[month]
    money = lambda v: format_money(v, dataset.currency, style)  # noqa: E731
    assert values["nrr_opening"] == money(row["opening_mrr"])
    assert values["nrr_closing"] == money(row["closing_mrr"])
    assert values["nrr_expansion"] == money(row["expansion"])
    assert values["nrr_churn"] == money(row["churn"])
    assert values["nrr_new"] == money(row["new"] + row["reactivation"])
    assert values["nrr_net_churn"] == format_percent(row["net_revenue_churn"], 1, signed=True)
    # The misreading: counting new + reactivated MRR as expansion is closing / opening.
    assert values["nrr_with_new"] == format_percent(row["closing_mrr"] / row["opening_mrr"], 1)

    seg = movements.with_attribute(dataset.customer_mrr, dataset.customers, "segment")
    ttm = rates.trailing_retention(seg, by="segment")
    ttm = ttm[ttm["month"] == month].set_index("segment")
    worst = ttm["nrr_ttm"].idxmin()
    assert values["nrr_next_segment"] == worst
    assert values["nrr_next_segment_nrr"] == format_percent(ttm.loc[worst, "nrr_ttm"], 1)
    assert values["nrr_next_segment_grr"] == format_percent(ttm.loc[worst, "grr_ttm"], 1)

    last12 = bridge.loc[month - 11:month]
    assert values["nrr_next_worst_month_nrr"] == format_percent(last12["nrr"].min(), 1)


@pytest.mark.slow
def test_nrr_notebook_default_month(tmp_path, dataset):
    values = glued(execute_notebook(NOTEBOOK, tmp_path))
    month = dataset.latest_month
    assert values["report_month"] == str(month)
    assert values["report_month_label"] == month.strftime("%B %Y")
    # Seed 000's worked example: NRR 102%; GRR by hand (10M - 0.3M - 0.5M) / 10M = 92%.
    assert values["nrr_example_nrr"] == "102.0%"
    assert values["nrr_example_grr"] == "92.0%"
    assert values["nrr_example_net_churn"] == "-2.0%"
    check_kpis(values, dataset, month, "en")
    check_company_figures(values, dataset, month, "en")


@pytest.mark.slow
def test_nrr_notebook_japanese_style_earlier_month(tmp_path, dataset):
    month = dataset.latest_month - 3
    values = glued(execute_notebook(NOTEBOOK, tmp_path, month=str(month), style="ja"))
    assert values["report_month"] == str(month)
    assert values["report_month_label"] == f"{month.year}年{month.month}月"
    assert values["kpi_mrr"].endswith("円")
    check_kpis(values, dataset, month, "ja")
    check_company_figures(values, dataset, month, "ja")


def test_nrr_notebook_is_committed_clean_with_one_title():
    nb = json.loads((ROOT / "notebooks" / NOTEBOOK).read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code[0]["metadata"]["tags"] == ["parameters", "remove-cell"]
    assert all(not c["outputs"] and c["execution_count"] is None for c in code)
    headings = [line for c in nb["cells"] if c["cell_type"] == "markdown"
                for line in "".join(c["source"]).splitlines() if line.startswith("# ")]
    assert len(headings) == 1 and "".join(nb["cells"][0]["source"]).startswith("# ")
    assert nb["metadata"]["kernelspec"]["name"] == "saas-kit"
