"""Rates of metrics.md §4 and the worked examples of §5 that they cover (one test each)."""
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from conftest import customer_months
from saas_kit.movements import mrr_movements
from saas_kit.arr import arr_from_mrr
from saas_kit.rates import (grr, logo_churn_rate, monthly_rates, net_revenue_churn_rate, new_arr_mix,
                            nrr, plain_revenue_churn_rate, quick_ratio, segment_rates, trailing_retention)


def two_month_bridge(before: dict, after: dict) -> pd.Series:
    rows = [(c, "2025-01", v) for c, v in before.items() if v] + [(c, "2025-02", v) for c, v in after.items() if v]
    return monthly_rates(mrr_movements(customer_months(rows))).iloc[-1]


def test_example_1_seed_000_nrr_102_percent():
    assert nrr(10_000_000, 1_000_000, 300_000, 500_000) == pytest.approx(1.02)


def test_example_1_seed_000_from_a_ledger():
    before = {"A": 6_000_000, "B": 3_000_000, "C": 500_000, "D": 500_000}
    after = {"A": 7_000_000, "B": 2_700_000, "C": 500_000, "D": 0, "N": 2_000_000}  # N is new: excluded
    r = two_month_bridge(before, after)
    assert r.nrr == pytest.approx(1.02) and r.grr == pytest.approx(0.92)


def test_example_2_seed_001_arr_from_mrr():
    assert arr_from_mrr(5_000_000) == 60_000_000


def test_example_5_seed_002_mrr_bridge_and_arr():
    before = {"A": 5_000_000, "B": 4_600_000, "C": 200_000, "D": 200_000}
    after = {"A": 5_200_000, "B": 4_600_000, "C": 0, "D": 100_000, "E": 1_000_000}
    r = two_month_bridge(before, after)
    assert (r.opening_mrr, r.new, r.expansion, r.contraction, r.churn) == (10_000_000, 1_000_000, 200_000,
                                                                          100_000, 200_000)
    assert r.closing_mrr == 10_900_000 and r.arr == 130_800_000


def test_example_6_seed_002_net_new_arr_12m():
    # New ARR 12M, expansion 3M, churn 2M, downgrade 1M in one month (MRR: 1M, 0.25M, ...).
    bridge = pd.DataFrame({"opening_mrr": [10_000_000.0], "new": [1_000_000.0], "expansion": [250_000.0],
                           "reactivation": [0.0], "contraction": [83_333.0 + 1 / 3], "churn": [166_666.0 + 2 / 3],
                           "net_new_mrr": [1_000_000.0], "closing_mrr": [11_000_000.0],
                           "opening_customers": [10], "churned_customers": [1]})
    r = monthly_rates(bridge).iloc[0]
    assert (r.new_arr, r.expansion_arr, r.churn_arr, r.contraction_arr) == (12_000_000, 3_000_000, 2_000_000, 1_000_000)
    assert r.net_new_arr == 12_000_000


def test_example_7_seed_002_new_arr_from_new_mrr():
    assert arr_from_mrr(1_000_000) == 12_000_000


def test_example_8_seed_002_churn_arr():
    assert arr_from_mrr(500_000) == 6_000_000


def test_example_9_seed_002_same_net_growth_different_quality():
    case1 = quick_ratio(6_000_000, 0, 0, 0, 1_000_000)
    case2 = quick_ratio(8_000_000, 0, 0, 0, 3_000_000)
    assert 6_000_000 - 1_000_000 == 8_000_000 - 3_000_000 == 5_000_000
    assert case1 == pytest.approx(6.0) and case2 == pytest.approx(2.6667, abs=1e-4)


def test_example_10_seed_004_net_new_mrr_85k():
    before = {"A": 500_000, "B": 300_000, "C": 40_000}
    after = {"A": 550_000, "B": 275_000, "C": 0, "N": 100_000}
    r = two_month_bridge(before, after)
    assert (r.new, r.expansion, r.contraction, r.churn) == (100_000, 50_000, 25_000, 40_000)
    assert r.net_new_mrr == 85_000 and r.closing_mrr - r.opening_mrr == 85_000


def test_example_12_seed_004_negative_churn():
    assert net_revenue_churn_rate(1_000_000, 100_000, 0, 50_000) == pytest.approx(-0.05)


def test_example_13_seed_004_logo_vs_revenue_churn():
    small = {f"S{i}": 1_000 for i in range(1000)}
    r1 = two_month_bridge(small, {k: (0 if i < 50 else v) for i, (k, v) in enumerate(small.items())})
    assert r1.logo_churn == pytest.approx(0.05) and r1.churn == 50_000
    big = {f"S{i}": 1_000 for i in range(999)} | {"BIG": 100_000}
    r2 = two_month_bridge(big, {k: (0 if k == "BIG" else v) for k, v in big.items()})
    assert r2.logo_churn == pytest.approx(0.001) and r2.churn == 100_000


def test_quick_ratio_is_undefined_not_infinite_when_nothing_lost():
    assert math.isnan(quick_ratio(100, 0, 10, 0, 0))


def test_rates_undefined_on_zero_opening():
    assert math.isnan(nrr(0, 0, 0, 0)) and math.isnan(grr(0, 0, 0)) and math.isnan(logo_churn_rate(0, 0))


def test_plain_vs_gross_revenue_churn():
    r = two_month_bridge({"A": 1000, "B": 1000}, {"A": 0, "B": 500})
    assert r.revenue_churn == pytest.approx(0.75) and r.revenue_churn_plain == pytest.approx(0.5)
    assert plain_revenue_churn_rate(2000, 1000) == pytest.approx(0.5)


def test_trailing_twelve_month_nrr_and_grr():
    rows = [("A", "2024-01", 100), ("B", "2024-01", 100), ("C", "2024-01", 100), ("N", "2025-01", 999),
            ("A", "2025-01", 150), ("B", "2025-01", 60)]  # C churned, N is new (not in the base)
    t = trailing_retention(customer_months(rows)).set_index("month")
    r = t.loc[pd.Period("2025-01", "M")]
    assert r.base_mrr == 300 and r.retained_mrr == 210 and r.retained_mrr_capped == 160
    assert r.nrr_ttm == pytest.approx(0.7) and r.grr_ttm == pytest.approx(160 / 300)
    assert r.base_customers == 3 and r.retained_customers == 2


def test_segment_rates_pool_the_window():
    cm = customer_months([("A", "2025-01", 100), ("A", "2025-02", 100), ("B", "2025-01", 100)])
    cm["segment"] = cm.customer_id.map({"A": "SMB", "B": "Ent"})
    seg = segment_rates(mrr_movements(cm, by="segment"), "segment", "2025-02", window=1).set_index("segment")
    assert seg.loc["Ent", "logo_churn"] == 1.0 and seg.loc["SMB", "nrr"] == 1.0


def test_new_arr_mix_over_trailing_window():
    b = pd.DataFrame({"new": [30.0, 30.0, 40.0], "expansion": [10.0, 10.0, 0.0]})
    mix = new_arr_mix(b, window=2)
    assert np.isnan(mix.iloc[0]) and mix.iloc[1] == pytest.approx(0.75) and mix.iloc[2] == pytest.approx(70 / 80)


# --- net_new, trailing_flows, net_new_drivers (added for the New ARR mix notebook) ---

from saas_kit.errors import ParameterError  # noqa: E402
from saas_kit.rates import net_new, net_new_drivers, trailing_flows  # noqa: E402


def test_example_6_seed_002_net_new_arr_with_net_new():
    # New ARR 12M + expansion 3M - churn 2M - downgrade 1M = 12M (seed 002).
    assert net_new(12_000_000, 3_000_000, 1_000_000, 2_000_000) == 12_000_000


def test_example_9_seed_002_net_new_of_both_cases_is_5m():
    assert net_new(6_000_000, 0, 0, 1_000_000) == net_new(8_000_000, 0, 0, 3_000_000) == 5_000_000


def test_example_10_seed_004_net_new_mrr_with_net_new():
    assert net_new(100_000, 50_000, 25_000, 40_000) == 85_000


def test_net_new_counts_reactivation_as_a_gain():
    assert net_new(10, 0, 0, 0, reactivation=5) == 15


def _bridge(rows):
    """Bridge-like frame from (month, new, expansion, reactivation, contraction, churn)."""
    df = pd.DataFrame(rows, columns=["month", "new", "expansion", "reactivation", "contraction", "churn"])
    df["month"] = pd.PeriodIndex(df["month"], freq="M")
    return df


def test_trailing_flows_pool_gains_over_losses():
    b = _bridge([("2025-01", 100, 0, 0, 0, 0),        # nothing lost: one-month ratio undefined
                 ("2025-02", 50, 30, 20, 10, 40),
                 ("2025-03", 0, 0, 0, 0, 50)])        # nothing gained
    t = trailing_flows(b, window=2).set_index("month")
    assert np.isnan(t.loc[pd.Period("2025-01", "M"), "quick_ratio"])  # no full window yet
    feb = t.loc[pd.Period("2025-02", "M")]
    # gains 100 + 50 + 30 + 20 = 200, losses 10 + 40 = 50 -> 4.0
    assert (feb.gains, feb.losses, feb.net_new_mrr) == (200, 50, 150) and feb.quick_ratio == 4.0
    mar = t.loc[pd.Period("2025-03", "M")]
    # gains 100, losses 100 -> 1.0
    assert (mar.gains, mar.losses) == (100, 100) and mar.quick_ratio == 1.0


def test_trailing_flows_undefined_when_nothing_lost_and_window_one_matches_monthly():
    b = _bridge([("2025-01", 100, 0, 0, 0, 0), ("2025-02", 6_000_000, 0, 0, 0, 1_000_000)])
    t = trailing_flows(b, window=1)
    assert math.isnan(t.quick_ratio.iloc[0])
    assert t.quick_ratio.iloc[1] == pytest.approx(6.0)  # seed 002, case 1


def test_trailing_flows_needs_every_month_of_the_window():
    b = _bridge([("2025-01", 10, 0, 0, 0, 5), ("2025-03", 10, 0, 0, 0, 5)])  # February missing
    t = trailing_flows(b, window=2)
    assert t.month.tolist() == [pd.Period("2025-01", "M"), pd.Period("2025-03", "M")]
    assert t.gains.isna().all()


def test_trailing_flows_rejects_a_bad_window():
    with pytest.raises(ParameterError):
        trailing_flows(_bridge([("2025-01", 1, 0, 0, 0, 0)]), window=0)


def test_net_new_drivers_split_the_change_in_net_new():
    b = _bridge([("2024-01", 100, 20, 0, 10, 30),     # net 80
                 ("2024-02", 0, 0, 0, 0, 0),
                 ("2024-03", 150, 10, 5, 10, 80)])    # net 75
    d = net_new_drivers(b, "2024-03", lag=2).set_index("movement")
    assert d.loc["new", "change"] == 50 and d.loc["new", "effect"] == 50
    assert d.loc["expansion", "effect"] == -10 and d.loc["reactivation", "effect"] == 5
    assert d.loc["contraction", "effect"] == 0
    assert d.loc["churn", "change"] == 50 and d.loc["churn", "effect"] == -50
    assert d["effect"].sum() == 75 - 80


def test_net_new_drivers_over_a_window_and_outside_the_data():
    b = _bridge([("2024-01", 10, 0, 0, 0, 0), ("2024-02", 20, 0, 0, 0, 0),
                 ("2024-03", 30, 0, 0, 0, 0), ("2024-04", 40, 0, 0, 0, 0)])
    d = net_new_drivers(b, "2024-04", lag=2, window=2).set_index("movement")
    assert (d.loc["new", "earlier"], d.loc["new", "now"]) == (30, 70)
    assert net_new_drivers(b, "2024-02", lag=12)["earlier"].isna().all()


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ABCDEFG"), st.integers(0, 30), st.integers(1, 5000)), min_size=1,
                max_size=60))
def test_trailing_retention_matches_a_naive_computation(rows):
    """Each customer's MRR in M against M-12, summed naively, for every month and segment."""
    mrr = {}
    for customer, offset, value in rows:
        mrr[(customer, offset)] = mrr.get((customer, offset), 0) + value
    months = pd.period_range("2023-01", periods=31, freq="M")
    cm = customer_months([(c, str(months[o]), v) for (c, o), v in mrr.items()])
    cm["segment"] = cm["customer_id"].map(lambda c: "odd" if c in "ACEG" else "even")
    got = trailing_retention(cm).set_index("month")
    got_by = trailing_retention(cm, by="segment").set_index(["segment", "month"])
    last = max(o for _, o in mrr)
    for m in range(12, last + 1):
        for seg in (None, "odd", "even"):
            base = {c: v for (c, o), v in mrr.items() if o == m - 12 and (seg is None or
                                                                        ("odd" if c in "ACEG" else "even") == seg)}
            if not base:
                continue
            now = {c: mrr.get((c, m), 0) for c in base}
            r = got.loc[months[m]] if seg is None else got_by.loc[(seg, months[m])]
            assert r.base_customers == len(base) and r.base_mrr == sum(base.values())
            assert r.retained_mrr == sum(now.values())
            assert r.retained_mrr_capped == sum(min(now[c], base[c]) for c in base)
            assert r.retained_customers == sum(1 for c in base if now[c] > 0)
