"""The facts each chapter narrates (saas_kit.pages), on small hand-made data with the
expected values worked out by hand in the tests (issue 11)."""
from __future__ import annotations

import pandas as pd
import pytest

from saas_kit.activation import ActivationRule
from saas_kit.analysis import build_analysis
from saas_kit.bands import bands_for
from saas_kit.formatting import Formatter
from saas_kit.loading import load_dataset
from saas_kit.pages import arr, churn, data_quality, new_arr_mix, nrr, onboarding

FMT = Formatter("en", "JPY")


@pytest.fixture
def tiny(tmp_path):
    """Four customers over three months (hand-checked bridge, March 2025):
    A 1,000/month from January; B 2,000/month January-February (churns in March);
    C an annual contract of 12,000 from February (1,000/month); D 500/month from March.
    March: opening 4,000 (A, B, C), new 500 (D), churn 2,000 (B), closing 2,500."""
    (tmp_path / "subscriptions.csv").write_text(
        "customer_id,start_date,end_date,amount,billing_period\n"
        "A,2025-01-01,,1000,month\nB,2025-01-01,2025-03-01,2000,month\n"
        "C,2025-02-01,,12000,year\nD,2025-03-01,,500,month\n", encoding="utf-8")
    (tmp_path / "customers.csv").write_text(
        "customer_id,segment,signup_date\nA,SMB,2025-01-01\nB,SMB,2025-01-01\n"
        "C,Enterprise,2025-02-01\nD,SMB,2025-03-01\n", encoding="utf-8")
    return load_dataset(tmp_path, currency="JPY", as_of="2025-04-01")  # March 2025 is the last complete month


# ------------------------------------------------------------------------ NRR


def test_nrr_page_of_a_hand_made_month(tiny):
    t = build_analysis(tiny, "2025-03", chapters={"01_nrr": {}}).pages["01_nrr"].texts
    assert (t["nrr_opening"], t["nrr_new"], t["nrr_churn"], t["nrr_closing"]) == ("¥4K", "¥500", "¥2K", "¥2.5K")
    assert t["kpi_nrr_monthly"] == "50.0%"  # (4,000 - 2,000) / 4,000
    assert t["nrr_net_churn"] == "+50.0%"  # 2,000 / 4,000
    assert t["nrr_with_new"] == "62.5%"  # wrongly counting D's 500 as expansion: 2,500 / 4,000
    assert t["nrr_negative_months"] == "0 of the last 3"
    assert t["nrr_ttm_state"] == "not available yet (less than a year of data)"
    assert t["nrr_next_segment"] == "n/a"  # no twelve-month figure yet
    assert t["nrr_next_worst_month"] == "March 2025" and t["nrr_next_worst_month_churned"] == "1"
    assert t["report_month_label"] == "March 2025"


def test_worst_segment_is_the_lowest_twelve_month_nrr():
    seg_ttm = pd.DataFrame({"nrr_ttm": [1.10, 0.85], "grr_ttm": [0.95, 0.80], "base_mrr": [3000.0, 1000.0],
                            "base_customers": [10, 8], "retained_customers": [9, 5]},
                           index=pd.Index(["Enterprise", "SMB"], name="segment"))
    t = nrr.worst_segment(seg_ttm, FMT)
    assert t["nrr_next_segment"] == "SMB" and t["nrr_next_segment_nrr"] == "85.0%"
    assert t["nrr_next_segment_share"] == "25.0%"  # 1,000 of 4,000
    assert (t["nrr_next_segment_base"], t["nrr_next_segment_left"]) == ("8", "3")
    assert set(nrr.worst_segment(None, FMT).values()) == {"n/a"}


def test_weakest_month_of_the_last_twelve():
    last12 = pd.DataFrame({"month": pd.period_range("2025-01", periods=3, freq="M"), "nrr": [1.01, 0.97, 0.99],
                           "churn": [100.0, 2500.0, 300.0], "churned_customers": [1, 4, 2]})
    t = nrr.weakest_month(last12, Formatter("ja", "JPY"))
    assert t == {"nrr_next_worst_month": "2025年2月", "nrr_next_worst_month_nrr": "97.0%",
                 "nrr_next_worst_month_churn": "2,500円", "nrr_next_worst_month_churned": "4"}


def test_negative_churn_and_twelve_month_states():
    assert nrr.net_churn_state(-0.01).startswith("negative churn")
    assert nrr.net_churn_state(0.02).startswith("positive net churn")
    assert nrr.net_churn_state(0.0) == "no net change in the existing base"
    assert nrr.ttm_state(1.05).startswith("above 100%")
    assert nrr.ttm_state(1.0).startswith("not above 100%")
    assert nrr.ttm_state(float("nan")).startswith("not available")


def test_segment_grr_against_seed_000():
    band = bands_for("grr", segment="SMB")[0]
    assert nrr.grr_benchmark("SMB", band.low - 0.05).startswith("below")
    assert nrr.grr_benchmark("Mid-market", 0.9) == "—"  # no figure for that segment
    assert nrr.grr_benchmark("SMB", float("nan")) == "—"


# ------------------------------------------------------------------- ARR, T2D3


def _arr(values: dict[str, float]) -> pd.Series:
    s = pd.Series(values, dtype="float64")
    s.index = pd.PeriodIndex(s.index, freq="M")
    return s.reindex(pd.period_range(s.index.min(), s.index.max(), freq="M")).interpolate()


def _t2d3(series: pd.Series, base: str, month: str, yoy: float):
    return arr.t2d3_verdict(series, pd.Period(base, "M"), pd.Period(month, "M"), yoy, FMT)


def test_t2d3_verdict_after_one_plan_year():
    # Base 2024-01 at 100; a year later 300 = ×3, exactly the plan: "ahead of" (>= 100% of plan).
    series = _arr({"2024-01": 100.0, "2025-01": 300.0, "2025-07": 450.0})
    t, table = _t2d3(series, "2024-01", "2025-07", 0.5)
    assert "After plan year 1 (2025-01)" in t["arr_t2d3_summary"] and "100.0% of plan, ahead of" in t["arr_t2d3_summary"]
    # Next target: ×9 = 900 by 2026-01, six months away: (900 / 450) ** 2 - 1 = +300%.
    assert "¥900 by 2026-01" in t["arr_t2d3_next"] and "+300.0% from today" in t["arr_t2d3_next"]
    assert t["arr_t2d3_base"] == "2024-01" and len(table) == 5


def test_t2d3_verdict_behind_and_without_history():
    series = _arr({"2024-01": 100.0, "2025-01": 200.0, "2025-03": 220.0})
    t, _ = _t2d3(series, "2024-01", "2025-03", 1.0)
    assert "66.7% of plan, behind the path" in t["arr_t2d3_summary"]  # 200 / 300
    t, table = arr.t2d3_verdict(series, None, pd.Period("2025-03", "M"), 1.0, FMT)
    assert table is None and t["arr_t2d3_base"] == "n/a"


def test_arr_page_billing_mix(tiny):
    t = build_analysis(tiny, "2025-03", chapters={"02_arr_t2d3": {}}).pages["02_arr_t2d3"].texts
    # March MRR 2,500: A 1,000 and D 500 monthly, C 1,000 annual -> 40% prepaid, all of it annual.
    assert t["arr_prepaid_share"] == "40.0%" and t["arr_annual_share"] == "40.0%"
    assert t["kpi_arr"] == "¥30K"  # 2,500 x 12
    assert t["arr_t2d3_base"] == "n/a"  # three months of history
    assert t["arr_example_arr"] == "¥60,000,000"  # seed 001: MRR 5M -> ARR 60M


# ------------------------------------------------------------------ New ARR mix


def test_who_moved_net_new_arr():
    drivers = pd.DataFrame({"movement": ["new", "expansion", "reactivation", "contraction", "churn"],
                            "change": [1200.0, -600.0, 0.0, 0.0, 2400.0],
                            "effect": [1200.0, -600.0, 0.0, 0.0, -2400.0]})
    t = new_arr_mix.who_moved(drivers, drivers, FMT)
    assert t["nna_next_change"] == "-¥1.8K"  # 1,200 - 600 - 2,400
    assert (t["nna_next_gains"], t["nna_next_losses"]) == ("+¥600", "-¥2.4K")
    assert t["nna_next_driver"] == "churn ARR (+¥2.4K against a year ago)"
    assert t["nna_next_side"] == "losses (a change in ARR lost)"
    drivers.loc[0, "effect"] = float("nan")
    assert new_arr_mix.who_moved(drivers, drivers, FMT)["nna_next_driver"] == "n/a (less than a year of data)"


def test_share_reading_and_headcount():
    assert new_arr_mix.share_reading("above").startswith("Growth leans on new customers")
    assert new_arr_mix.share_reading(None).startswith("There is not yet")
    company = pd.DataFrame({"month": ["2025-02", "2025-03"], "employees": [10, 12]})
    assert new_arr_mix.employees_in(company, pd.Period("2025-03", "M")) == 12
    assert pd.isna(new_arr_mix.employees_in(company, pd.Period("2025-04", "M")))
    assert pd.isna(new_arr_mix.employees_in(None, pd.Period("2025-03", "M")))


def test_seed_002_cases_on_the_page(tiny):
    t = build_analysis(tiny, "2025-03", chapters={"03_new_arr_mix": {}}).pages["03_new_arr_mix"].texts
    # Case 1: 6M new, 1M churn -> net 5M, Quick Ratio 6; case 2: 8M - 3M -> 5M, 8/3.
    assert (t["nna_case1_net"], t["nna_case1_qr"]) == ("¥5M", "6.00×")
    assert (t["nna_case2_net"], t["nna_case2_qr"]) == ("¥5M", "2.67×")
    assert t["nna_losses"] == "¥24K"  # B's 2,000 churned, x 12


# --------------------------------------------------------------------- churn


def test_logo_and_revenue_churn_of_two_months():
    small = churn.two_months([1_000.0] * 20, leavers=1)
    assert small["logo_churn"] == pytest.approx(1 / 20) and small["churn"] == 1_000
    large = churn.two_months([9_000.0, 1_000.0], leavers=1)
    assert large["logo_churn"] == pytest.approx(0.5) and large["revenue_churn_plain"] == pytest.approx(0.9)


def test_churn_next_actions():
    above = churn.next_actions(0.03, 2.0, None, FMT)
    # (0.98 / 0.97) ** 12 - 1 = +13.1% more customers kept after a year
    assert above["churn_to_good_text"].endswith("would keep +13.1% more of today's customers a year from now.")
    assert above["churn_ltv_cac_next"].startswith("complete the sales and marketing spend")
    below = churn.next_actions(0.015, 2.0, bands_for("ltv_to_cac")[-1], FMT)
    assert "already within or below" in below["churn_to_good_text"]
    assert churn.ltv_cac_verdict(None).startswith("not computable")


# ----------------------------------------------------------------- activation


def _cohorts(rates: list[float], signups: int = 100) -> pd.DataFrame:
    return pd.DataFrame({"signups": [signups] * len(rates), "activated": [round(r * signups) for r in rates]})


def test_activation_trend_pools_six_cohorts_against_six():
    up = onboarding.activation_trend(_cohorts([0.40] * 6 + [0.50] * 6), FMT)
    assert up == {"activation_trend_recent": "50.0%", "activation_trend_earlier": "40.0%",
                  "activation_trend_change": "+10.0 pt", "activation_trend_word": "up"}
    assert onboarding.activation_trend(_cohorts([0.40] * 6 + [0.41] * 6), FMT)["activation_trend_word"] == "about flat"
    assert onboarding.activation_trend(_cohorts([0.50] * 6 + [0.40] * 6), FMT)["activation_trend_word"] == "down"
    assert onboarding.activation_trend(_cohorts([0.5] * 3), FMT)["activation_trend_word"] == "n/a"
    assert onboarding.pooled_rate(_cohorts([])) != onboarding.pooled_rate(_cohorts([]))  # NaN without signups


def test_magic_moment_texts():
    rule = ActivationRule.parse("login>=3@7d")
    empty = pd.DataFrame(columns=["rule", "rank", "event", "threshold", "window_days", "phi", "lift_difference",
                                  "share_reached"])
    t = onboarding.magic_moment_texts(empty, rule, FMT)
    assert t["magic_best_rule"] == "n/a" and t["magic_candidates"] == "0"
    search = pd.DataFrame({"rule": ["login>=3@7d", "invite>=1@14d"], "rank": [1, 2], "event": ["login", "invite"],
                           "threshold": [3, 1], "window_days": [7, 14], "phi": [0.25, 0.1],
                           "lift_difference": [0.132, 0.05], "share_reached": [0.4, 0.6]})
    t = onboarding.magic_moment_texts(search, rule, FMT)
    assert t["magic_best_lift"] == "+13.2 pt" and t["magic_rule_rank"] == "number 1 of 2"
    assert t["magic_rule_verdict"] == "The report's rule is the strongest candidate too."


def test_early_churn_reading():
    band30 = bands_for("early_churn_share_30d")[0]
    assert onboarding.early_churn_next(band30.low, band30).startswith("most churn comes early")
    assert onboarding.early_churn_next(band30.low / 2, band30).startswith("most churn comes after")
    assert onboarding.early_churn_next(float("nan"), band30) == "there is no churn yet to split by age"


# ------------------------------------------------------------------- data page


def test_data_page_names_the_folder_not_its_path(tiny, tmp_path):
    page = build_analysis(tiny, "2025-03", chapters={"00_data_quality": {}}).pages["00_data_quality"]
    assert page.texts["data_folder"] == tmp_path.name
    assert page.texts["data_period"] == "2025-01 to 2025-03"
    assert page.texts["data_files_count"] == "2"
    assert str(tmp_path) not in repr(page.tables)
    assert data_quality.warnings_summary(0) == "No warnings"
    assert data_quality.warnings_summary(1) == "1 warning"
    assert data_quality.warnings_summary(1200) == "1,200 warnings"
