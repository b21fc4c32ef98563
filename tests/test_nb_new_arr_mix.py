"""notebooks/03_new_arr_mix.ipynb: executed with papermill on the sample data; every glued
figure must equal what saas_kit computes directly (formatted the same way)."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from glued import ROOT, execute_notebook, glued_values as glued
from saas_kit import benchmarks, kpis, movements, rates
from saas_kit.formatting import format_money, format_percent, format_ratio

NOTEBOOK = "03_new_arr_mix.ipynb"
KPI_KEYS = ("net_new_arr", "quick_ratio")


def check(values: dict[str, str], dataset, month: pd.Period, style: str) -> None:
    table = kpis.headline_kpis(dataset, month, style=style).set_index("key")
    for key in KPI_KEYS:
        row = table.loc[key]
        assert values[f"kpi_{key}"] == row["value_text"], key
        assert values[f"kpi_{key}_mom"] == row["mom_text"], key
        assert values[f"kpi_{key}_yoy"] == row["yoy_text"], key
        assert values[f"kpi_{key}_band"] == row["band"], key

    money = lambda v: format_money(v, dataset.currency, style)  # noqa: E731
    bridge = movements.mrr_movements(dataset.customer_mrr).set_index("month")
    now = bridge.loc[month]
    assert values["nna_arr"] == money(now["closing_mrr"] * 12)
    assert values["nna_new_arr"] == money(now["new"] * 12)
    assert values["nna_churn_arr"] == money(now["churn"] * 12)
    assert values["nna_gains"] == money((now["new"] + now["expansion"] + now["reactivation"]) * 12)

    # Pooled twelve-month Quick Ratio, recomputed from the bridge's monthly movements.
    last12 = bridge.loc[month - 11:month]
    assert len(last12) == 12
    gains = (last12["new"] + last12["expansion"] + last12["reactivation"]).sum()
    losses = (last12["contraction"] + last12["churn"]).sum()
    assert values["nna_qr_ttm"] == format_ratio(gains / losses)
    assert values["nna_net_new_ttm"] == money((gains - losses) * 12)

    share = last12["new"].sum() / (last12["new"].sum() + last12["expansion"].sum())
    assert values["nna_share"] == format_percent(share, 1)
    band = benchmarks.bands_for("new_arr_share", arr=now["closing_mrr"] * 12)[0]
    assert values["nna_stage_band"].startswith(benchmarks.range_text(band))

    company = dataset.company.set_index("month")
    employees = company.loc[month, "employees"]
    assert values["nna_employees"] == f"{int(employees):,}"
    assert values["nna_ape"] == money(now["closing_mrr"] * 12 / employees)

    # What changed Net New ARR against the same month a year ago: gains and losses add up.
    before = bridge.loc[month - 12]
    gain_change = sum(now[c] - before[c] for c in ("new", "expansion", "reactivation")) * 12
    loss_effect = -sum(now[c] - before[c] for c in ("contraction", "churn")) * 12
    signed = lambda v: ("+" if v > 0 else "") + money(v)  # noqa: E731
    assert values["nna_next_gains"] == signed(gain_change)
    assert values["nna_next_losses"] == signed(loss_effect)
    assert values["nna_next_change"] == signed((now["net_new_mrr"] - before["net_new_mrr"]) * 12)


@pytest.mark.slow
def test_new_arr_mix_notebook_default_month(tmp_path, dataset):
    values = glued(execute_notebook(NOTEBOOK, tmp_path))
    month = dataset.latest_month
    assert values["report_month"] == str(month)
    assert values["report_month_label"] == month.strftime("%B %Y")
    # Seed 002's worked examples (expected values from the seed).
    assert values["nna_example_net_new"] == "¥12M"      # 12M + 3M - 2M - 1M
    assert values["nna_example_new_arr"] == "¥12M"      # New MRR 1M x 12
    assert values["nna_example_churn_arr"] == "¥6M"     # churned MRR 500K x 12
    assert values["nna_case1_net"] == values["nna_case2_net"] == "¥5M"
    assert (values["nna_case1_qr"], values["nna_case2_qr"]) == ("6.00×", "2.67×")
    assert (values["nna_case1_band"], values["nna_case2_band"]) == ("excellent", "average")
    check(values, dataset, month, "en")


@pytest.mark.slow
def test_new_arr_mix_notebook_japanese_style_earlier_month(tmp_path, dataset):
    month = dataset.latest_month - 5
    values = glued(execute_notebook(NOTEBOOK, tmp_path, month=str(month), style="ja"))
    assert values["report_month"] == str(month)
    assert values["report_month_label"] == f"{month.year}年{month.month}月"
    assert values["nna_example_net_new"] == "1,200万円"
    check(values, dataset, month, "ja")


def test_new_arr_mix_notebook_is_committed_clean_with_one_title():
    nb = json.loads((ROOT / "notebooks" / NOTEBOOK).read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code[0]["metadata"]["tags"] == ["parameters", "remove-cell"]
    assert all(not c["outputs"] and c["execution_count"] is None for c in code)
    headings = [line for c in nb["cells"] if c["cell_type"] == "markdown"
                for line in "".join(c["source"]).splitlines() if line.startswith("# ")]
    assert len(headings) == 1 and "".join(nb["cells"][0]["source"]).startswith("# ")
