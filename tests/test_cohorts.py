"""Cohort tables (logo and revenue retention by start month)."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from conftest import customer_months
from saas_kit.cohorts import cohort_long, cohort_table


def test_logo_and_revenue_retention_by_age():
    cm = customer_months([("A", "2025-01", 100), ("A", "2025-02", 200), ("A", "2025-03", 200),
                          ("B", "2025-01", 100), ("B", "2025-02", 100),
                          ("C", "2025-02", 50), ("C", "2025-03", 50)])
    logo = cohort_table(cm, "logo", max_age=2)
    rev = cohort_table(cm, "revenue", max_age=2)
    jan, feb = pd.Period("2025-01", "M"), pd.Period("2025-02", "M")
    assert logo.loc[jan].tolist() == [1.0, 1.0, 0.5]
    assert rev.loc[jan].tolist() == [1.0, 1.5, 1.0]
    assert logo.loc[feb, 0] == 1.0 and logo.loc[feb, 1] == 1.0 and np.isnan(logo.loc[feb, 2])


def test_cohort_that_lost_everyone_shows_zero_not_missing():
    cm = customer_months([("A", "2025-01", 100), ("B", "2025-03", 100)])
    logo = cohort_table(cm, "logo", max_age=2)
    assert logo.loc[pd.Period("2025-01", "M")].tolist() == [1.0, 0.0, 0.0]


def test_long_table_counts():
    cm = customer_months([("A", "2025-01", 100), ("B", "2025-01", 300)])
    long = cohort_long(cm)
    assert long.customers.tolist() == [2] and long.mrr.tolist() == [400.0]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ABCDEFG"), st.integers(0, 20), st.integers(1, 900)), min_size=1,
                max_size=50))
def test_cohort_long_matches_a_naive_computation(rows):
    mrr = {}
    for customer, offset, value in rows:
        mrr[(customer, offset)] = mrr.get((customer, offset), 0) + value
    months = pd.period_range("2024-01", periods=21, freq="M")
    cm = customer_months([(c, str(months[o]), v) for (c, o), v in mrr.items()])
    first = {}
    for (c, o) in mrr:
        first[c] = min(first.get(c, o), o)
    expected = {}
    for (c, o), v in mrr.items():
        n, total = expected.get((first[c], o - first[c]), (0, 0))
        expected[(first[c], o - first[c])] = (n + 1, total + v)
    got = {(months.get_loc(r.cohort), r.age): (r.customers, r.mrr) for r in cohort_long(cm).itertuples()}
    assert got == expected


def test_chunked_passes_equal_one_pass(dataset, monkeypatch):
    """Cohorts and trailing NRR/GRR run a million rows at a time; tiny chunks (chunk
    edges inside customers, a customer's month M and M+12 in different chunks) give
    exactly the same tables."""
    import saas_kit.rows as rows
    from saas_kit.cohorts import cohort_long
    from saas_kit.movements import with_attribute
    from saas_kit.rates import trailing_retention

    cm = with_attribute(dataset.customer_mrr, dataset.customers, "segment")
    whole = (cohort_long(cm), cohort_long(cm, max_age=6), trailing_retention(cm), trailing_retention(cm, by="segment"))
    monkeypatch.setattr(rows, "CHUNK_ROWS", 7)
    chunked = (cohort_long(cm), cohort_long(cm, max_age=6), trailing_retention(cm), trailing_retention(cm, by="segment"))
    assert len(cm) > 7 * 100
    for a, b in zip(whole, chunked):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
