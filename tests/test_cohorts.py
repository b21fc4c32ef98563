"""Cohort tables (logo and revenue retention by start month)."""
import numpy as np
import pandas as pd
import pytest

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
