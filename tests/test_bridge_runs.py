"""The bridge from the change points (saas_kit.bridge_runs) equals the bridge from the
customer-month frame, ``mrr_movements(monthly_mrr(...))``, cell by cell and tick by tick
(metrics.md §2-§3): every month, every as-of edge, ``--through`` before the as-of month."""
import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from conftest import ledger
from saas_kit.bridge_runs import bridge_from_subscriptions
from saas_kit.money import to_ticks
from saas_kit.movements import mrr_movements
from saas_kit.mrr import monthly_mrr

DAYS = [dt.date(2023, 11, 1) + dt.timedelta(days=d) for d in range(0, 560, 3)] + [dt.date(2024, 2, 29)]
subscription = st.tuples(
    st.sampled_from(["A", "B", "C", "D", "007", "7", "E"]),
    st.sampled_from(DAYS),
    st.one_of(st.none(), st.integers(min_value=0, max_value=420), st.just(-1)),  # days; None open; -1 = 9999
    st.one_of(st.integers(min_value=0, max_value=90_000), st.sampled_from([0.01, 33.33, 1e9]),
              st.decimals(min_value=0, max_value=5000, places=2, allow_nan=False)),
    st.sampled_from(["month", "month", "quarter", "year"]),
)
LAST_MONTHS = [pd.Period(p, "M") for p in ("2023-10", "2023-11", "2024-01", "2024-06", "2024-12", "2025-05")]


def to_ledger(rows):
    recs = []
    for customer, start, days, amount, period in rows:
        end = "" if days is None else ("9999-12-31" if days == -1 else (start + dt.timedelta(days=days)).isoformat())
        recs.append((customer, start.isoformat(), end, amount, period))
    subs = ledger(recs)
    subs.loc[subs["end_date"] >= pd.Timestamp("2100-01-01"), "end_date"] = pd.NaT  # as the loader reads 9999
    return subs


def expected(subs, last, through=None):
    cm = monthly_mrr(subs, last)
    if cm.empty:
        return None
    return mrr_movements(cm, last_month=through if through is not None else last)


def assert_same(got, want):
    if want is None:
        assert got is None
        return
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    money = [c for c in want.columns if c.endswith("_mrr") or c in ("new", "expansion", "reactivation",
                                                                  "contraction", "churn")]
    for column in money:  # and tick by tick
        assert (to_ticks(got[column]) == to_ticks(want[column])).all(), column


@settings(max_examples=250, deadline=None)
@given(st.lists(subscription, min_size=1, max_size=30), st.sampled_from(LAST_MONTHS), st.integers(0, 14))
def test_bridge_from_change_points_equals_the_customer_month_bridge(rows, last, back):
    subs = to_ledger(rows)
    assert_same(bridge_from_subscriptions(subs, last), expected(subs, last))
    through = last - back  # --through before the as-of month, possibly before the first month
    assert_same(bridge_from_subscriptions(subs, last, through), expected(subs, last, through))


def test_replacing_a_subscription_by_one_of_the_same_price_is_no_movement():
    subs = ledger([("A", "2024-01-01", "2024-03-01", 100), ("A", "2024-03-01", "", 100)])
    got = bridge_from_subscriptions(subs, "2024-05").set_index("month")
    assert to_ticks(got["new"]).tolist() == [120_000, 0, 0, 0, 0]
    assert to_ticks(got["churn"]).sum() == 0 and to_ticks(got["expansion"]).sum() == 0
    assert got["customers"].tolist() == [1, 1, 1, 1, 1]


def test_gap_is_churn_then_reactivation_and_a_later_start_is_new():
    subs = ledger([("A", "2024-01-10", "2024-02-15", 50), ("A", "2024-04-01", "", 80),
                   ("B", "2024-03-31", "2024-04-01", 30)])
    got = bridge_from_subscriptions(subs, "2024-04").set_index("month")
    # A: Jan new 50, Feb churn 50 (ends mid-February), Apr reactivation 80; B: new in Mar, churn in Apr
    assert to_ticks(got["new"]).tolist() == [60_000, 0, 36_000, 0]
    assert to_ticks(got["churn"]).tolist() == [0, 60_000, 0, 36_000]
    assert to_ticks(got["reactivation"]).tolist() == [0, 0, 0, 96_000]
    assert got["new_customers"].tolist() == [1, 0, 1, 0] and got["churned_customers"].tolist() == [0, 1, 0, 1]


@pytest.mark.parametrize("last", ["2023-05", "2023-12"])
def test_nothing_active_by_the_last_month_is_none(last):
    subs = ledger([("A", "2024-01-31", "", 10), ("B", "2023-06-01", "2023-06-20", 10)])  # B ends before June ends
    assert bridge_from_subscriptions(subs, last) is None
    assert monthly_mrr(subs, last).empty


@pytest.mark.parametrize("through", [None, "2025-06"])
def test_movements_of_a_data_folder_equals_the_customer_month_bridge(capsys, through):
    """``saas-kit movements DIR`` (now from the change points) prints what the bridge of
    the folder's customer-month frame prints, and what the folder's subscriptions file
    alone prints."""
    import io

    from conftest import ROOT
    from saas_kit.cli import main
    from saas_kit.loading import load_dataset
    from saas_kit.movements import write_movements_csv

    sample = ROOT / "data" / "sample"
    extra = ["--through", through] if through else []
    assert main(["movements", str(sample), *extra]) == 0
    folder = capsys.readouterr().out
    dataset = load_dataset(sample, require_currency=False)
    want = io.StringIO()
    write_movements_csv(mrr_movements(dataset.customer_mrr, last_month=through or dataset.latest_month), want)
    assert folder == want.getvalue()
    assert main(["movements", str(sample / "subscriptions.csv"), *extra]) == 0
    assert capsys.readouterr().out == folder
