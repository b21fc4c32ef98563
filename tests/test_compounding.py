import math

import numpy as np
import pandas as pd
import pytest

from saas_kit.compounding import (
    arr_sensitivity_to_churn,
    cac,
    cac_by_conversion_rate,
    expected_lifetime,
    half_life,
    ltv,
    ltv_ratio_from_churn_change,
    ltv_to_cac,
    retention_after,
    retention_curve,
    share_lost_after,
)
from saas_kit.errors import ParameterError
from saas_kit.growth import churn_lift_on_arr

# --- worked examples (metrics.md §5) -------------------------------------------------

def test_worked_example_11_seed_004_retention_after_12_months():
    curve = retention_curve(rates=(0.03, 0.05, 0.07, 0.10), months=12, customers=1000)
    year = curve[curve["month"] == 12].set_index("rate")
    # seed's table: 69% / 54% / 42% / 28%
    shares = [round(year.loc[r, "retained_share"] * 100) for r in (0.03, 0.05, 0.07, 0.10)]
    assert shares == [69, 54, 42, 28]
    # 540 customers of 1,000 at 5%: 0.95 ** 12 = 0.5404 -> 540.4
    assert round(year.loc[0.05, "customers_left"]) == 540
    assert year.loc[0.05, "customers_left"] == pytest.approx(540.36, abs=0.01)


def test_worked_example_11_seed_counts_come_from_rounded_percentages():
    # the seed prints 690 / 420 / 280 customers; exact compounding gives 694 / 419 / 282
    exact = [round(1000 * retention_after(r, 12)) for r in (0.03, 0.07, 0.10)]
    assert exact == [694, 419, 282]


def test_worked_example_14_seed_004_cac_by_conversion_rate():
    table = cac_by_conversion_rate(1_000_000, 10_000, [0.01, 0.02, 0.03])
    assert table["new_customers"].round(6).tolist() == [100, 200, 300]
    assert table["cac"].round(0).tolist() == [10_000, 5_000, 3_333]
    assert cac(1_000_000, 300) == pytest.approx(3_333.33, abs=0.01)


def test_claim_seed_004_ltv_about_1_8x_when_churn_falls_from_7_8_to_3_4_percent():
    assert ltv_ratio_from_churn_change(0.07, 0.04) == pytest.approx(1.75)
    assert ltv_ratio_from_churn_change(0.075, 0.035) == pytest.approx(2.142857, abs=1e-6)
    assert ltv_ratio_from_churn_change(0.08, 0.03) == pytest.approx(2.666667, abs=1e-6)
    # same as LTV computed both ways at constant ARPA and margin
    assert ltv(10_000, 0.8, 0.04) / ltv(10_000, 0.8, 0.07) == pytest.approx(1.75)


def test_claim_seed_004_title_5_percent_churn_loses_46_percent_not_half_in_a_year():
    lost = share_lost_after(0.05, 12)
    assert lost == pytest.approx(0.4596, abs=0.0001)
    assert lost < 0.5
    assert half_life(0.05) == pytest.approx(13.51, abs=0.01)
    # half is lost between month 13 and month 14
    assert share_lost_after(0.05, 13) < 0.5 < share_lost_after(0.05, 14)


def test_claim_seed_001_churn_5_to_4_through_the_sensitivity_table():
    table = arr_sensitivity_to_churn(100_000_000, [0.05, 0.04])
    # (0.96 / 0.95) ** 12 - 1 = 13.4%, not the seed's "about 15%"
    assert table["vs_first_rate"].iloc[1] == pytest.approx(0.1339, abs=0.0001)
    assert table["vs_first_rate"].iloc[1] == pytest.approx(churn_lift_on_arr(0.05, 0.04))


# --- formulas -----------------------------------------------------------------------

def test_retention_after_and_vectorised():
    assert retention_after(0.05, 0) == 1.0
    assert retention_after(0.5, 2) == 0.25
    assert retention_after(1.0, 1) == 0.0
    np.testing.assert_allclose(retention_after(np.array([0.1, 0.2]), 2), [0.81, 0.64])
    with pytest.raises(ParameterError):
        retention_after(1.5, 12)
    with pytest.raises(ParameterError):
        retention_after(0.05, -1)


def test_retention_curve_shape():
    curve = retention_curve(months=24)
    assert len(curve) == 4 * 25
    assert list(curve.columns) == ["rate", "month", "retained_share", "customers_left"]
    start = curve[curve["month"] == 0]
    assert (start["retained_share"] == 1.0).all() and (start["customers_left"] == 1000).all()
    # each curve falls month by month
    for _, g in curve.groupby("rate"):
        assert g["retained_share"].is_monotonic_decreasing
    with pytest.raises(ParameterError):
        retention_curve(rates=(0.05, 1.2))


def test_half_life_and_expected_lifetime():
    assert half_life(0.5) == pytest.approx(1.0)
    assert math.isnan(half_life(0.0))  # undefined, not infinite
    assert half_life(1.0) == 0.0
    assert expected_lifetime(0.05) == pytest.approx(20.0)
    assert expected_lifetime(0.02) == pytest.approx(50.0)
    assert math.isnan(expected_lifetime(0.0))


def test_ltv_and_ltv_to_cac():
    # ARPA 10,000 yen, 80% margin, 2% churn -> 400,000 yen
    assert ltv(10_000, 0.8, 0.02) == pytest.approx(400_000)
    assert math.isnan(ltv(10_000, 0.8, 0.0))
    assert ltv_to_cac(400_000, 100_000) == pytest.approx(4.0)
    assert math.isnan(ltv_to_cac(400_000, 0))
    assert math.isnan(ltv_to_cac(float("nan"), 100_000))
    with pytest.raises(ParameterError):
        ltv(10_000, 80, 0.02)  # margin must be a fraction


def test_cac_elementwise_and_zero_new_customers():
    company = pd.DataFrame({"sales_marketing_spend": [1_000_000.0, 500_000.0, 0.0],
                            "new_customers": [100, 0, 0]})
    out = cac(company["sales_marketing_spend"], company["new_customers"])
    assert out[0] == 10_000
    assert math.isnan(out[1]) and math.isnan(out[2])
    assert math.isnan(cac(1_000_000, 0))
    with pytest.raises(ParameterError):
        cac(1_000_000, -1)


def test_ltv_ratio_undefined_when_churn_goes_to_zero():
    assert math.isnan(ltv_ratio_from_churn_change(0.05, 0.0))


def test_arr_sensitivity_model_by_hand():
    # ARR 1,000; churn 10%, expansion 5%, new 100 a month, two months:
    # month 1: 1000 * 0.95 + 100 = 1050; month 2: 1050 * 0.95 + 100 = 1097.5
    t = arr_sensitivity_to_churn(1_000, [0.10], months=2, monthly_new_arr=100, monthly_expansion_rate=0.05)
    assert t["ending_arr"].iloc[0] == pytest.approx(1097.5)
    assert t["change"].iloc[0] == pytest.approx(0.0975)
    assert t["months"].iloc[0] == 2


def test_arr_sensitivity_no_new_business_is_pure_compounding():
    t = arr_sensitivity_to_churn(120_000_000, [0.03, 0.05, 0.07, 0.10])
    expected = [120_000_000 * (1 - c) ** 12 for c in (0.03, 0.05, 0.07, 0.10)]
    np.testing.assert_allclose(t["ending_arr"], expected)
    assert t["vs_first_rate"].iloc[0] == 0.0


def test_arr_sensitivity_zero_arr_and_bad_parameters():
    t = arr_sensitivity_to_churn(0, [0.05], monthly_new_arr=10)
    assert math.isnan(t["change"].iloc[0])
    assert t["ending_arr"].iloc[0] > 0
    with pytest.raises(ParameterError):
        arr_sensitivity_to_churn(-1, [0.05])
    with pytest.raises(ParameterError):
        arr_sensitivity_to_churn(100, [])
    with pytest.raises(ParameterError):
        arr_sensitivity_to_churn(100, [0.05], monthly_new_arr=-1)


# --- trailing figures for the churn notebook ------------------------------------------

from saas_kit.compounding import churn_rates_around, trailing_cac, trailing_churn  # noqa: E402


def _bridge(rows):
    cols = ["month", "opening_mrr", "new", "reactivation", "expansion", "contraction", "churn",
            "closing_mrr", "opening_customers", "customers", "churned_customers", "new_customers"]
    df = pd.DataFrame(rows, columns=cols)
    df["month"] = pd.PeriodIndex(df["month"], freq="M")
    return df


BRIDGE = _bridge([
    # month, opening, new, react, exp, contr, churn, closing, open_n, n, churned_n, new_n
    ("2026-01", 1000.0, 100.0, 0.0, 50.0, 25.0, 40.0, 1085.0, 100, 102, 3, 5),
    ("2026-02", 1085.0, 0.0, 15.0, 0.0, 0.0, 100.0, 1000.0, 102, 100, 3, 0),
    ("2026-03", 1000.0, 60.0, 0.0, 40.0, 0.0, 0.0, 1100.0, 100, 104, 0, 4),
])


def test_trailing_churn_pools_over_the_window():
    t = trailing_churn(BRIDGE, "2026-03", window=2)
    assert t["months"] == 2
    assert t["logo_churn"] == pytest.approx(3 / 202)
    assert t["revenue_churn"] == pytest.approx(100 / 2085)
    assert t["revenue_churn_plain"] == pytest.approx(100 / 2085)
    assert t["expansion_rate"] == pytest.approx(40 / 2085)
    assert t["new_customers"] == 4
    assert t["new_mrr_per_month"] == pytest.approx((15 + 60) / 2)
    assert t["arpa"] == pytest.approx(1100 / 104)


def test_trailing_churn_seed_004_bridge_gross_vs_plain():
    # seed 004's month: contraction 25,000 and churn 40,000 on 1,000,000 (scaled by 1,000)
    t = trailing_churn(BRIDGE, "2026-01", window=1)
    assert t["revenue_churn"] == pytest.approx(0.065)
    assert t["revenue_churn_plain"] == pytest.approx(0.04)


def test_trailing_churn_month_outside_data_gives_nan():
    t = trailing_churn(BRIDGE, "2025-06")
    assert t["months"] == 0 and math.isnan(t["logo_churn"]) and math.isnan(t["arpa"])


def test_trailing_cac_needs_spend_for_every_month():
    company = pd.DataFrame({"month": pd.PeriodIndex(["2026-01", "2026-02", "2026-03"], freq="M"),
                            "employees": [5, 5, 6], "sales_marketing_spend": [300.0, 300.0, 300.0]})
    t = trailing_cac(company, BRIDGE, "2026-03", window=3)
    assert t["spend"] == 900 and t["new_customers"] == 9 and t["cac"] == pytest.approx(100.0)
    partial = trailing_cac(company.iloc[1:], BRIDGE, "2026-03", window=3)
    assert partial["spend_months"] == 2 and math.isnan(partial["cac"])
    assert math.isnan(trailing_cac(None, BRIDGE, "2026-03", window=3)["cac"])


def test_churn_rates_around_puts_current_first_and_drops_negative():
    assert churn_rates_around(0.03) == pytest.approx([0.03, 0.01, 0.02, 0.04, 0.05])
    assert churn_rates_around(0.015) == pytest.approx([0.015, 0.005, 0.025, 0.035])
    with pytest.raises(ParameterError):
        churn_rates_around(1.2)
