import math

import numpy as np
import pandas as pd
import pytest

from saas_kit.arr import arr_from_mrr, mrr_from_arr
from saas_kit.errors import DataError, ParameterError
from saas_kit.growth import (
    T2D3_MULTIPLIERS,
    arr_multiple_band,
    cagr,
    churn_lift_on_arr,
    growth_stage,
    t2d3_actual_vs_plan,
    t2d3_plan,
    yoy_growth,
)

M = 1_000_000


def monthly(values: dict[str, float]) -> pd.Series:
    return pd.Series(list(values.values()), index=pd.PeriodIndex(list(values), freq="M"), name="arr")


# --- worked examples (metrics.md §5) -------------------------------------------------

def test_worked_example_2_seed_001_arr_from_mrr():
    assert arr_from_mrr(5_000_000) == 60_000_000


def test_arr_from_mrr_on_series_and_back():
    s = pd.Series([5_000_000.0, 1_000_000.0, 0.0, np.nan])
    out = arr_from_mrr(s)
    assert out.iloc[:3].tolist() == [60_000_000.0, 12_000_000.0, 0.0]
    assert math.isnan(out.iloc[3])
    assert mrr_from_arr(60_000_000) == 5_000_000


def test_worked_example_7_and_8_seed_002_new_and_churn_arr():
    assert arr_from_mrr(1_000_000) == 12_000_000  # New ARR
    assert arr_from_mrr(500_000) == 6_000_000  # Churn ARR


def test_worked_example_15_seed_004_mrr_from_arr():
    mrr = mrr_from_arr(100_000_000)
    assert mrr == pytest.approx(8_333_333.333, abs=0.001)
    assert round(mrr) == 8_333_333


def test_worked_example_4_seed_001_t2d3_plan():
    plan = t2d3_plan(10 * M, 2024)
    assert plan["year"].tolist() == [2025, 2026, 2027, 2028, 2029]
    assert plan["multiplier"].tolist() == [3, 3, 2, 2, 2]
    assert plan["target_arr"].tolist() == [30 * M, 90 * M, 180 * M, 360 * M, 720 * M]
    assert plan["cumulative_multiple"].iloc[-1] == 72


def test_t2d3_plan_rejects_bad_base():
    with pytest.raises(ParameterError):
        t2d3_plan(0, 2024)
    with pytest.raises(ParameterError):
        t2d3_plan(float("nan"), 2024)
    with pytest.raises(ParameterError):
        t2d3_plan(10 * M, "2024")


def test_claim_seed_001_churn_5_to_4_lifts_arr_13_4_percent_not_15():
    lift = churn_lift_on_arr(0.05, 0.04)
    # (0.96 / 0.95) ** 12 - 1 = 0.13389..., metrics.md §5
    assert lift == pytest.approx(0.1339, abs=0.0001)
    assert lift < 0.15


def test_churn_lift_edge_cases():
    assert churn_lift_on_arr(0.05, 0.05) == 0.0
    assert churn_lift_on_arr(0.04, 0.05) < 0
    assert churn_lift_on_arr(0.10, 0.0, months=1) == pytest.approx(1 / 0.9 - 1)
    with pytest.raises(ParameterError):
        churn_lift_on_arr(1.0, 0.5)
    with pytest.raises(ParameterError):
        churn_lift_on_arr(0.05, -0.01)
    with pytest.raises(ParameterError):
        churn_lift_on_arr(0.05, 0.04, months=1.5)


# --- year-on-year growth and CAGR ---------------------------------------------------

def test_yoy_growth_matches_calendar_months_not_positions():
    s = monthly({"2023-01": 100.0, "2023-02": 0.0, "2023-04": 50.0,
                 "2024-01": 150.0, "2024-02": 80.0, "2024-03": 70.0, "2024-04": 100.0})
    g = yoy_growth(s)
    assert g.name == "yoy_growth"
    assert g[pd.Period("2024-01", "M")] == pytest.approx(0.5)
    assert math.isnan(g[pd.Period("2024-02", "M")])  # base 0 -> undefined, not inf
    assert math.isnan(g[pd.Period("2024-03", "M")])  # no 2023-03 row
    assert g[pd.Period("2024-04", "M")] == pytest.approx(1.0)  # 100 vs 50, not vs 2023-03
    assert g.iloc[:3].isna().all()  # 2023 has no base


def test_yoy_growth_accepts_datetime_index_and_unsorted_input():
    s = pd.Series([120.0, 100.0], index=pd.to_datetime(["2025-06-30", "2024-06-30"]))
    g = yoy_growth(s)
    assert g[pd.Period("2025-06", "M")] == pytest.approx(0.2)


def test_yoy_growth_rejects_duplicate_months_and_non_monthly_index():
    s = pd.Series([1.0, 2.0], index=pd.PeriodIndex(["2024-01", "2024-01"], freq="M"))
    with pytest.raises(DataError):
        yoy_growth(s)
    with pytest.raises(ParameterError):
        yoy_growth(pd.Series([1.0], index=pd.PeriodIndex(["2024Q1"], freq="Q")))
    with pytest.raises(ParameterError):
        yoy_growth([1.0, 2.0])


def test_cagr():
    assert cagr(100, 121, 2) == pytest.approx(0.10)
    # T2D3: x72 in five years = 72 ** 0.2 - 1, about 135% a year
    assert cagr(10 * M, 720 * M, 5) == pytest.approx(72 ** 0.2 - 1)
    assert 1.35 < cagr(1, 72, 5) < 1.36
    assert cagr(100, 0, 3) == -1.0
    assert math.isnan(cagr(0, 100, 3))
    assert math.isnan(cagr(float("nan"), 100, 3))
    with pytest.raises(ParameterError):
        cagr(1, 2, 0)


# --- T2D3 actual vs plan ------------------------------------------------------------

def test_t2d3_actual_vs_plan():
    s = monthly({"2021-03": 10 * M, "2021-09": 20 * M, "2022-03": 30 * M, "2023-03": 45 * M,
                 "2024-02": 99 * M})
    out = t2d3_actual_vs_plan(s, "2021-03")
    assert out["plan_year"].tolist() == [1, 2, 3, 4, 5]
    assert [str(p) for p in out["month"]] == ["2022-03", "2023-03", "2024-03", "2025-03", "2026-03"]
    assert out["plan_arr"].tolist() == [30 * M, 90 * M, 180 * M, 360 * M, 720 * M]
    assert out["actual_arr"].iloc[0] == 30 * M
    assert out["actual_arr"].iloc[1] == 45 * M
    assert out["actual_arr"].iloc[2:].isna().all()  # 2024-03 missing, later years in the future
    assert out["actual_to_plan"].iloc[0] == pytest.approx(1.0)
    assert out["actual_to_plan"].iloc[1] == pytest.approx(0.5)
    assert out["actual_multiplier"].iloc[0] == pytest.approx(3.0)
    assert out["actual_multiplier"].iloc[1] == pytest.approx(1.5)
    assert out["actual_multiplier"].iloc[2:].isna().all()


def test_t2d3_actual_vs_plan_needs_positive_base():
    s = monthly({"2021-03": 0.0, "2022-03": 30 * M})
    with pytest.raises(ParameterError):
        t2d3_actual_vs_plan(s, "2021-03")
    with pytest.raises(ParameterError):
        t2d3_actual_vs_plan(s, "2020-01")
    with pytest.raises(ParameterError):
        t2d3_actual_vs_plan(s, "not a month")


def test_t2d3_multipliers_give_72():
    assert math.prod(T2D3_MULTIPLIERS) == 72


# --- growth stage and ARR multiple (metrics.md §6, seed 001) ------------------------

@pytest.mark.parametrize(
    "arr, stage",
    [
        (0, "seed"),
        (29_999_999, "seed"),
        (30 * M, "early"),
        (299_999_999, "early"),
        (300 * M, "growth"),
        (999_999_999, "growth"),
        (1000 * M, "mature"),
        (50_000 * M, "mature"),
    ],
)
def test_growth_stage_by_arr(arr, stage):
    assert growth_stage(arr, 0.5).stage == stage


@pytest.mark.parametrize(
    "arr, yoy, position",
    [
        (10 * M, 2.0, "within"),  # seed: +200-300%
        (10 * M, 3.0, "within"),
        (10 * M, 1.99, "below"),
        (10 * M, 3.5, "above"),
        (100 * M, 1.0, "within"),  # early: +100-200%
        (100 * M, 0.8, "below"),
        (500 * M, 0.3, "within"),  # growth: +30-50%
        (500 * M, 0.51, "above"),
        (2000 * M, 0.25, "within"),  # mature: +20-30%
        (2000 * M, 0.1, "below"),
        (2000 * M, float("nan"), None),
    ],
)
def test_growth_stage_position(arr, yoy, position):
    assert growth_stage(arr, yoy).position == position


def test_growth_stage_bands_and_listing():
    s = growth_stage(100 * M, 1.5)
    assert (s.growth_low, s.growth_high) == (1.0, 2.0)
    assert s.band.source_seed == "001"
    unlisted = growth_stage(2000 * M, 0.4, listed=False)
    assert unlisted.stage == "growth" and unlisted.position == "within"
    assert growth_stage(2000 * M, 0.4, listed=True).stage == "mature"
    with pytest.raises(ParameterError):
        growth_stage(-1, 0.5)
    with pytest.raises(ParameterError):
        growth_stage(float("nan"), 0.5)


def test_arr_multiple_seed_001_example_1b_arr_at_50_percent():
    # seed 001: ARR 1B yen growing 50% a year -> about 10B yen at 10x
    band = arr_multiple_band(0.5, arr=1000 * M)
    assert (band.multiple_low, band.multiple_high) == (10, 20)
    assert band.valuation_low == 10_000 * M
    assert band.valuation_high == 20_000 * M


@pytest.mark.parametrize(
    "yoy, low, high",
    [(0.8, 10, 20), (0.5, 10, 20), (0.4999, 5, 10), (0.3, 5, 10), (0.2999, 3, 5), (-0.1, 3, 5)],
)
def test_arr_multiple_band_boundaries(yoy, low, high):
    band = arr_multiple_band(yoy)
    assert (band.multiple_low, band.multiple_high) == (low, high)
    assert math.isnan(band.valuation_low)


def test_arr_multiple_band_nan():
    assert arr_multiple_band(float("nan"), arr=1000 * M) is None


# --- helpers for the ARR notebook ---------------------------------------------------

from conftest import customer_months, ledger  # noqa: E402

from saas_kit.arr import mrr_by_billing_period, one_off_by_kind, recurring_and_one_off  # noqa: E402
from saas_kit.growth import default_t2d3_base_month  # noqa: E402


def test_default_t2d3_base_month_is_24_months_back():
    s = monthly({f"{y}-{m:02d}": 1.0 + i for i, (y, m) in enumerate(
        (y, m) for y in (2023, 2024, 2025, 2026) for m in range(1, 13))})
    assert default_t2d3_base_month(s, "2026-10") == pd.Period("2024-10", "M")


def test_default_t2d3_base_month_falls_back_to_first_month_with_a_year_after_it():
    s = monthly({"2025-03": 0.0, "2025-04": 5.0, "2025-05": 6.0, "2025-06": 7.0,
                 "2026-04": 9.0, "2026-05": 10.0})
    assert default_t2d3_base_month(s, "2026-05") == pd.Period("2025-04", "M")
    # less than a year of history: no base
    assert default_t2d3_base_month(s, "2025-06") is None


def test_mrr_by_billing_period_seed_001_annual_contract_normalised():
    subs = ledger([("A", "2026-01-01", "", 1_200_000, "year"),
                   ("B", "2026-01-01", "", 30_000, "quarter"),
                   ("C", "2026-01-01", "", 50_000, "month"),
                   ("D", "2026-01-01", "2026-03-01", 999_999, "month")])  # ended before March ends
    out = mrr_by_billing_period(subs, "2026-03").set_index("billing_period")
    assert list(out.index) == ["month", "quarter", "year"]
    assert out.loc["year", "mrr"] == 100_000  # seed 001: 1.2M a year -> 100k a month
    assert out.loc["year", "arr"] == 1_200_000
    assert out.loc["quarter", "mrr"] == 10_000
    assert out.loc["month", "mrr"] == 50_000 and out.loc["month", "subscriptions"] == 1
    assert out.loc["year", "billed_amount"] == 1_200_000
    assert out["mrr_share"].sum() == pytest.approx(1.0)
    assert out.loc["year", "mrr_share"] == pytest.approx(100_000 / 160_000)


def test_mrr_by_billing_period_empty_month_has_zero_rows_and_nan_share():
    subs = ledger([("A", "2026-05-01", "", 1_200, "year")])
    out = mrr_by_billing_period(subs, "2026-03")
    assert (out["mrr"] == 0).all() and out["mrr_share"].isna().all()


def test_recurring_and_one_off_keeps_charges_out_of_arr():
    cm = customer_months([("A", "2026-01", 100.0), ("A", "2026-02", 100.0), ("B", "2026-02", 50.0)])
    charges = pd.DataFrame({"customer_id": ["A", "B", "B", "Z"],
                            "date": pd.to_datetime(["2026-01-10", "2026-02-01", "2026-02-20", "2025-06-01"]),
                            "amount": [300.0, 25.0, 25.0, 999.0], "kind": ["setup_fee"] * 4})
    out = recurring_and_one_off(cm, charges).set_index("month")
    assert out.loc[pd.Period("2026-01", "M"), "arr"] == 1_200  # MRR × 12, charges excluded
    assert out.loc[pd.Period("2026-02", "M"), "arr"] == 1_800
    assert out.loc[pd.Period("2026-01", "M"), "one_off"] == 300
    assert out.loc[pd.Period("2026-02", "M"), "one_off"] == 50
    assert out.loc[pd.Period("2026-01", "M"), "one_off_share"] == pytest.approx(300 / 400)
    assert len(out) == 2  # the 2025 charge lies outside the MRR range


def test_recurring_and_one_off_without_charges():
    cm = customer_months([("A", "2026-01", 100.0)])
    out = recurring_and_one_off(cm, None)
    assert out["one_off"].tolist() == [0.0] and out["one_off_share"].tolist() == [0.0]


def test_one_off_by_kind_window_and_order():
    charges = pd.DataFrame({"customer_id": ["A", "B", "C", "D"],
                            "date": pd.to_datetime(["2026-01-10", "2026-02-01", "2026-02-20", "2025-12-31"]),
                            "amount": [100.0, 500.0, 250.0, 9_999.0],
                            "kind": ["setup_fee", "consulting", "setup_fee", "consulting"]})
    out = one_off_by_kind(charges, "2026-01", "2026-02")
    assert out["kind"].tolist() == ["consulting", "setup_fee"]
    assert out["amount"].tolist() == [500.0, 350.0]
    assert out["charges"].tolist() == [1, 2]
    assert one_off_by_kind(None, "2026-01", "2026-02").empty
