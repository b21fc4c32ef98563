"""notebooks/05_activation.ipynb: executed with papermill on the sample data; every glued
figure must equal what saas_kit computes directly, formatted the same way (metrics.md §7)."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from glued import ROOT, execute_notebook, glued_values as glued
from saas_kit import activation, kpis
from saas_kit.formatting import format_count, format_percent

NOTEBOOK = "05_activation.ipynb"
RULE = "invite_teammate>=3@14d"
FUNNEL = ["login", "import_data", "create_project", "invite_teammate", "create_report"]

pytestmark = pytest.mark.slow




@pytest.fixture(scope="module")
def run_en(dataset, tmp_path_factory):
    path = execute_notebook(NOTEBOOK, tmp_path_factory.mktemp("nb05en"))
    return path, glued(path)


@pytest.fixture(scope="module")
def run_ja(dataset, tmp_path_factory):
    path = execute_notebook(NOTEBOOK, tmp_path_factory.mktemp("nb05ja"), style="ja", month="2026-03")
    return path, glued(path)


def pct(x: float) -> str:
    return format_percent(x, 1)


def expected(dataset, month: pd.Period) -> dict[str, str]:
    """Every glued figure recomputed with saas_kit, independently of the notebook."""
    rule = activation.ActivationRule.parse(RULE)
    kpi = kpis.activation_kpis(dataset, month, RULE).iloc[0]
    scope = kpis.onboarding_scope(dataset, month)
    act = activation.evaluate_rule(scope.events, scope.customers, rule, as_of=scope.as_of)
    out = activation.customer_outcomes(scope.customers, dataset.subscriptions, scope.as_of, 90)
    ret = activation.retention_by_activation(act, out).attrs["summary"]
    early = activation.early_churn_shares(
        activation.customer_outcomes(scope.all_customers, dataset.subscriptions, scope.as_of, 90), (30, 45, 90)
    ).set_index("days")["share"]
    done = act[act["window_complete"].fillna(False).to_numpy(dtype=bool)]
    done.attrs["rule"] = rule
    ttfv = activation.time_to_first_value(done).attrs["summary"]
    fcust = scope.customers[scope.customers["signup_date"] + pd.Timedelta(days=30) <= scope.as_of]
    funnel = activation.onboarding_funnel(scope.events, fcust, FUNNEL, 30)
    search = activation.magic_moment_search(scope.events, out, None, [1, 2, 3, 5, 10], [7, 14, 30])
    best = search.iloc[0]
    return {
        "kpi_activation_rate": kpi["value_text"],
        "kpi_activation_rate_mom": kpi["mom_text"],
        "kpi_activation_rate_yoy": kpi["yoy_text"],
        "kpi_activation_rate_band": kpi["band"],
        "activation_cohort": str(kpi["cohort"]),
        "activation_cohort_signups": format_count(kpi["signups"]),
        "activation_rule_text": rule.describe(),
        "activation_ret_activated": pct(ret["rate_activated"]),
        "activation_ret_not_activated": pct(ret["rate_not_activated"]),
        "activation_ret_lift": format_percent(ret["lift_difference"], 1, signed=True).replace("%", " pt"),
        "early_churn_30d": pct(early[30]),
        "early_churn_45d": pct(early[45]),
        "early_churn_90d": pct(early[90]),
        "ttfv_median": f"{ttfv['median']:.1f} days",
        "ttfv_p90": f"{ttfv['p90']:.1f} days",
        "funnel_customers": format_count(funnel["customers"].iloc[0]),
        "funnel_completed": pct(funnel["conversion_from_start"].iloc[-1]),
        "magic_best_rule": activation.ActivationRule(
            best["event"], int(best["threshold"]), int(best["window_days"])).describe(),
        "magic_candidates": format_count(len(search)),
    }


def test_glued_figures_equal_saas_kit_default_month(dataset, run_en):
    _, values = run_en
    month = dataset.latest_month
    assert values["report_month"] == str(month)
    assert values["report_month_label"] == month.strftime("%B %Y")
    want = expected(dataset, month)
    for key, text in want.items():
        assert values[key] == text, key
    # the overview's row: the cohort a month before the report month, for a 14-day rule
    assert values["activation_cohort"] == str(month - 1)


def test_glued_figures_equal_saas_kit_japanese_style_earlier_month(dataset, run_ja):
    _, values = run_ja
    month = pd.Period("2026-03", "M")
    assert values["report_month"] == "2026-03"
    assert values["report_month_label"] == "2026年3月"
    want = expected(dataset, month)
    for key, text in want.items():
        assert values[key] == text, key


def test_activation_rate_matches_cohort_table(dataset, run_en):
    """The headline rate is activated / signups of the cohort, counted here by hand."""
    _, values = run_en
    month = dataset.latest_month
    scope = kpis.onboarding_scope(dataset, month)
    act = activation.evaluate_rule(scope.events, scope.customers, RULE, as_of=scope.as_of)
    cohort = act["signup_date"].dt.to_period("M") == month - 1
    assert values["kpi_activation_rate"] == pct(act.loc[cohort, "activated"].mean())


def test_executed_notebook_is_clean(run_en, run_ja):
    for path, _ in (run_en, run_ja):
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            for output in cell.get("outputs", []):
                assert output["output_type"] != "error"
                assert not (output["output_type"] == "stream" and output["name"] == "stderr"), output["text"]
        images = [o for c in nb["cells"] for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
        assert 4 <= len(images) <= 6


def test_committed_notebook_has_no_outputs_and_tags():
    nb = json.loads((ROOT / "notebooks" / NOTEBOOK).read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code[0]["metadata"]["tags"] == ["parameters", "remove-cell"]
    assert all(not c["outputs"] and c["execution_count"] is None for c in code)
    assert all(c["metadata"].get("tags") for c in code)
    headings = [line for c in nb["cells"] if c["cell_type"] == "markdown"
                for line in "".join(c["source"]).splitlines() if line.startswith("# ")]
    assert len(headings) == 1
