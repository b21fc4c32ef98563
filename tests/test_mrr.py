"""Monthly MRR per customer (metrics.md §2)."""
import pandas as pd
import pytest

from conftest import ledger
from saas_kit.mrr import mrr_by_month, monthly_mrr


def mrr_of(subs, customer, month, last="2025-12"):
    cm = monthly_mrr(subs, last)
    hit = cm[(cm.customer_id == customer) & (cm.month == pd.Period(month, "M"))]
    return float(hit.mrr.sum())


def test_seed_001_annual_contract_of_1_2m_is_mrr_100k():
    """Worked example 3 (seed 001): annual contract 1,200,000 yen -> MRR 100,000."""
    subs = ledger([("A", "2025-01-01", "", 1_200_000, "year")])
    assert mrr_of(subs, "A", "2025-06") == 100_000


def test_quarterly_billing_divides_by_three():
    subs = ledger([("A", "2025-01-01", "", 90_000, "quarter")])
    assert mrr_of(subs, "A", "2025-01") == 30_000


def test_month_end_snapshot_with_mid_month_dates():
    # Starts mid-January: active at the end of January. Ends 2025-03-15 (exclusive):
    # active at the end of February, not at the end of March.
    subs = ledger([("A", "2025-01-15", "2025-03-15", 1000)])
    cm = monthly_mrr(subs, "2025-06")
    assert list(cm.month.astype(str)) == ["2025-01", "2025-02"]


def test_end_date_is_exclusive_on_first_of_month():
    subs = ledger([("A", "2025-01-01", "2025-03-01", 1000)])
    cm = monthly_mrr(subs, "2025-06")
    assert list(cm.month.astype(str)) == ["2025-01", "2025-02"]


def test_start_and_end_in_the_same_month_never_counts():
    subs = ledger([("A", "2025-01-05", "2025-01-25", 1000)])
    assert monthly_mrr(subs, "2025-06").empty


def test_open_end_runs_to_last_month():
    subs = ledger([("A", "2025-01-01", "", 1000)])
    cm = monthly_mrr(subs, "2025-04")
    assert list(cm.month.astype(str)) == ["2025-01", "2025-02", "2025-03", "2025-04"]


def test_two_subscriptions_add_up_and_zero_amount_adds_nothing():
    subs = ledger([("A", "2025-01-01", "", 1000), ("A", "2025-01-01", "", 2500), ("B", "2025-01-01", "", 0)])
    cm = monthly_mrr(subs, "2025-01")
    assert cm.set_index("customer_id").mrr.to_dict() == {"A": 3500.0}


def test_annual_price_not_divisible_by_12_stays_exact_in_totals():
    # 1,000,000 / 12 = 83,333.33...; 12 such customers are exactly 1,000,000 a month.
    subs = ledger([(f"C{i}", "2025-01-01", "", 1_000_000, "year") for i in range(12)])
    totals = mrr_by_month(monthly_mrr(subs, "2025-03"))
    assert list(totals) == [1_000_000.0] * 3


def test_gap_months_are_absent_and_mrr_by_month_fills_zero():
    subs = ledger([("A", "2025-01-01", "2025-02-01", 1000), ("A", "2025-04-01", "", 1000)])
    totals = mrr_by_month(monthly_mrr(subs, "2025-04"))
    assert list(totals.index.astype(str)) == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert list(totals) == [1000.0, 0.0, 0.0, 1000.0]
