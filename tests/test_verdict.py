"""The month at a glance (issue 10): better/worse marks, unusual moves, the verdict's facts."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from conftest import customer_months
from saas_kit import monthly_rates, mrr_movements
from saas_kit.verdict import kpi_marks, month_verdict, unusual_moves


def _series(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    return pd.DataFrame(columns, index=pd.period_range("2026-01", periods=n, freq="M"))


def test_marks_know_which_way_is_good():
    s = _series(logo_churn=[0.014, 0.024], nrr_monthly=[1.0, 1.0004], mrr=[100.0, 90.0], quick_ratio=[2.0, 3.0])
    marks = kpi_marks(s, pd.Period("2026-02", "M")).set_index("key")
    assert marks.loc["logo_churn", ["direction", "assessment", "arrow"]].tolist() == ["up", "worse", "▲"]
    assert marks.loc["logo_churn", "change"] == pytest.approx(0.010)
    # 0.04 pt rounds to the overview's 0.0 pt: unchanged, not "better"
    assert marks.loc["nrr_monthly", ["direction", "assessment", "arrow"]].tolist() == ["flat", "unchanged", "▬"]
    assert marks.loc["mrr", "change"] == pytest.approx(-0.10)  # money: relative change
    assert marks.loc["mrr", "assessment"] == "worse"
    assert marks.loc["quick_ratio", "assessment"] == "better"


def test_marks_without_a_previous_month_are_not_judged():
    s = _series(logo_churn=[0.02])
    row = kpi_marks(s, pd.Period("2026-01", "M")).iloc[0]
    assert (row["direction"], row["assessment"], row["arrow"]) == ("n/a", "n/a", "")
    assert math.isnan(row["change"])


def test_unusual_moves_score_against_the_usual_swing():
    # churn swings ±0.1 pt (std of +1,-1,+1,-1 thousandths = 2/sqrt(3) thousandths), then jumps 0.4 pt
    s = _series(logo_churn=[0.010, 0.011, 0.010, 0.011, 0.010, 0.014],
                nrr_monthly=[1.00, 1.01, 1.00, 1.01, 1.00, 1.02])
    moves = unusual_moves(s, pd.Period("2026-06", "M")).set_index("key")
    assert moves.loc["logo_churn", "score"] == pytest.approx(2 * math.sqrt(3))
    assert moves.loc["nrr_monthly", "score"] == pytest.approx(-0.02 / (0.02 / math.sqrt(3)))  # good move: negative
    assert moves.index[0] == "logo_churn"


def test_unusual_moves_need_three_earlier_changes():
    s = _series(logo_churn=[0.01, 0.02, 0.05])
    assert math.isnan(unusual_moves(s, pd.Period("2026-03", "M")).iloc[0]["score"])


def test_verdict_splits_the_bridge_and_counts_churned_customers():
    # a, b, c pay from January; d joins in March; b expands in March; c churns in March
    rows = [(c, m, v) for m in ("2026-01", "2026-02") for c, v in (("a", 100), ("b", 50), ("c", 30))]
    rows += [("a", "2026-03", 100), ("b", "2026-03", 80), ("d", "2026-03", 40)]
    rates = monthly_rates(mrr_movements(customer_months(rows)))
    series = _series(logo_churn=[math.nan, 0.0, 1 / 3])
    v = month_verdict(rates, series, pd.Period("2026-03", "M"))
    assert v.closing_mrr == 220 and v.mrr_change == pytest.approx(220 / 180 - 1)
    assert v.gains == {"new": 40.0, "expansion": 30.0, "reactivation": 0.0}
    assert v.losses == {"churn": 30.0, "contraction": 0.0}
    assert (v.churned_customers, v.churned_previous) == (1, 0)
    assert v.fastest_growth_in == 1  # faster than February (0%)
    assert v.look_at is None  # too little history to call any move unusual
    with pytest.raises(KeyError, match="2026-07"):
        month_verdict(rates, series, pd.Period("2026-07", "M"))
