"""The ledger figures from the change points of the customers' MRR (saas_kit.mrr_steps,
issue 14): hand-worked cases, and properties against the row-by-row implementations
they replace (tests/ledger_reference.py), on random customer-month frames and on
random subscriptions."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger_reference import (old_cohort_long, old_customer_movements, old_mrr_by_month, old_mrr_movements,
                              old_trailing_retention)
from saas_kit.calendar import month_number
from saas_kit.cohorts import cohort_long, cohorts_from_points
from saas_kit.movements import (attribute_groups, bridge_from_points, bridges_from_points, customer_movements,
                                month_movements, mrr_movements, with_attribute)
from saas_kit.mrr import change_points, monthly_mrr, mrr_by_month, number_to_period
from saas_kit.mrr_steps import (cohort_cells, customers_with_points, last_month_with_mrr, month_moves, mrr_totals,
                                retention_cells)
from saas_kit.rates import retention_from_points, retentions_from_points, trailing_retention
from saas_kit.rows import points_from_rows, sorted_rows


def frame(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": pd.Series([r[0] for r in rows], dtype=object),
                         "month": pd.PeriodIndex([r[1] for r in rows], freq="M"),
                         "mrr": [float(r[2]) for r in rows]})


def points_of(rows: list[tuple[str, str, float]]):
    return points_from_rows(sorted_rows(frame(rows)))


def described(points) -> list[tuple[str, str, int]]:
    """(customer, month, level in currency units) of every point."""
    return [(points.uniques[c], str(p), int(lv) // 1200) for c, p, lv in
            zip(points.customer, pd.PeriodIndex.from_ordinals(points.month - 1970 * 12, freq="M"), points.level)]


# ----------------------------------------------------------------------------- hand-worked

LEDGER = [("A", "2025-01", 100), ("A", "2025-02", 100), ("A", "2025-03", 120), ("A", "2025-05", 50),
          ("B", "2025-02", 10)]


def test_points_start_each_run_and_drop_to_zero_after_it():
    # A: 100 from January, 120 in March, nothing in April, 50 in May; B: 10 in February only
    assert described(points_of(LEDGER)) == [
        ("A", "2025-01", 100), ("A", "2025-03", 120), ("A", "2025-04", 0), ("A", "2025-05", 50),
        ("A", "2025-06", 0), ("B", "2025-02", 10), ("B", "2025-03", 0)]


def test_last_month_with_mrr_and_totals():
    points = points_of(LEDGER)
    assert last_month_with_mrr(points) == month_number("2025-05")
    first, totals = mrr_totals(points)
    assert first == month_number("2025-01")
    # Jan 100, Feb 100 + 10, Mar 120, Apr 0, May 50
    assert (totals // 1200).tolist() == [100, 110, 120, 0, 50]


def test_month_moves_of_march_and_may():
    points = points_of(LEDGER)
    march = month_moves(points, month_number("2025-03"))
    # A expands 100 -> 120; B churns 10 -> 0
    assert [(points.uniques[c], k, p // 1200, q // 1200) for c, k, p, q in
            zip(march.customer, march.kind, march.prev, march.cur)] == [("A", 1, 100, 120), ("B", 4, 10, 0)]
    may = month_moves(points, month_number("2025-05"))
    assert may.kind.tolist() == [2] and may.cur.tolist() == [50 * 1200]  # A comes back: reactivation


def test_retention_over_two_months():
    # base January (A 100): in March A pays 120 -> NRR 1.2, GRR 1.0; base February (A 100, B 10):
    # in April nobody pays -> 0; base March (A 120): in May A pays 50 -> NRR 50/120, GRR 50/120
    cells = retention_cells(points_of(LEDGER), months=2)
    assert (cells.lo, cells.hi) == (month_number("2025-03"), month_number("2025-05"))
    assert cells.base_customers.tolist() == [1, 2, 1]
    assert (cells.base // 1200).tolist() == [100, 110, 120]
    assert (cells.cur // 1200).tolist() == [120, 0, 50]
    assert (cells.capped // 1200).tolist() == [100, 0, 50]
    assert cells.kept.tolist() == [1, 0, 1]
    assert retention_cells(points_of(LEDGER), months=5) is None  # January to May: no month has a base 5 back


def test_cohort_cells_up_to_april():
    # cohort January: A at ages 0, 1, 2 (100, 100, 120), none at age 3 (April);
    # cohort February: B at age 0 (10), none at ages 1, 2
    cells = cohort_cells(points_of(LEDGER), month_number("2025-04"))
    assert cells.first == month_number("2025-01") and cells.n_ages == 4
    grid = cells.customers.reshape(-1, 4)
    assert grid.tolist() == [[1, 1, 1, 0], [1, 0, 0, 0]]
    assert (cells.ticks.reshape(-1, 4) // 1200).tolist() == [[100, 100, 120, 0], [10, 0, 0, 0]]
    assert cohort_cells(points_of(LEDGER), month_number("2024-12")) is None


def test_a_replaced_subscription_of_the_same_price_moves_nothing():
    subs = pd.DataFrame({"customer_id": ["A", "A"], "start_date": pd.to_datetime(["2025-01-01", "2025-03-01"]),
                         "end_date": pd.to_datetime(["2025-03-01", None]), "amount": [100.0, 100.0],
                         "billing_period": ["month", "month"]})
    points = change_points(subs, month_number("2025-04"))
    assert month_moves(points, month_number("2025-03")).at.tolist() == []  # the point of March stays at 100
    bridge = bridge_from_points(points, month_number("2025-01"), month_number("2025-04"))
    assert bridge["new"].tolist() == [100, 0, 0, 0] and bridge["closing_mrr"].tolist() == [100] * 4


# ----------------------------------------------------------------------------- properties

customer_month = st.tuples(st.sampled_from(["A", "B", "C", "D", "E", "F"]), st.integers(0, 30),
                           st.sampled_from([0, 1, 7, 100, 101, 1200, 2400, 2401, 36000]))


def random_frame(cells, rnd) -> pd.DataFrame:
    seen = {}
    for customer, month, ticks in cells:
        seen.setdefault((customer, month), ticks)
    rows = [(c, str(pd.Period("2023-01", "M") + m), t / 1200) for (c, m), t in seen.items()]
    rnd.shuffle(rows)
    cm = frame(rows)
    cm["segment"] = cm["customer_id"].map({"A": "x", "B": "y", "C": "x", "D": "z", "E": "y", "F": "x"})
    return cm


@settings(max_examples=200, deadline=None)
@given(st.lists(customer_month, min_size=1, max_size=60), st.randoms(use_true_random=False), st.integers(0, 35),
       st.integers(0, 35), st.booleans())
def test_the_bridge_equals_the_row_by_row_bridge(cells, rnd, start, last, by_segment):
    cm = random_frame(cells, rnd)
    by = "segment" if by_segment else None
    base = pd.Period("2023-01", "M")
    pd.testing.assert_frame_equal(mrr_movements(cm, by=by), old_mrr_movements(cm, by=by))
    pd.testing.assert_frame_equal(mrr_movements(cm, start_month=base + start, last_month=base + last, by=by),
                                  old_mrr_movements(cm, start_month=base + start, last_month=base + last, by=by))


@settings(max_examples=200, deadline=None)
@given(st.lists(customer_month, min_size=1, max_size=60), st.randoms(use_true_random=False), st.integers(0, 35),
       st.booleans())
def test_customer_movements_equal_the_row_by_row_ones(cells, rnd, last, with_segment):
    cm = random_frame(cells, rnd)
    if not with_segment:
        cm = cm.drop(columns="segment")
    last_month = pd.Period("2023-01", "M") + last
    pd.testing.assert_frame_equal(customer_movements(cm, last_month), old_customer_movements(cm, last_month))
    pd.testing.assert_frame_equal(customer_movements(cm), old_customer_movements(cm))
    positive = cm[cm["mrr"] > 0]
    if len(positive):
        points = points_from_rows(sorted_rows(positive))
        expected = old_customer_movements(cm[["customer_id", "month", "mrr"]], last_month)
        expected = expected[expected["month"] == last_month].reset_index(drop=True)
        pd.testing.assert_frame_equal(month_movements(points, last_month), expected)


@settings(max_examples=200, deadline=None)
@given(st.lists(customer_month, min_size=1, max_size=60), st.randoms(use_true_random=False), st.integers(1, 14),
       st.booleans())
def test_trailing_retention_equals_the_row_by_row_one(cells, rnd, months, by_segment):
    cm = random_frame(cells, rnd)
    by = "segment" if by_segment else None
    pd.testing.assert_frame_equal(trailing_retention(cm, months, by=by), old_trailing_retention(cm, months, by=by))


@settings(max_examples=200, deadline=None)
@given(st.lists(customer_month, min_size=1, max_size=60), st.randoms(use_true_random=False),
       st.one_of(st.none(), st.integers(0, 12)), st.integers(0, 35))
def test_cohorts_and_mrr_by_month_equal_the_row_by_row_ones(cells, rnd, max_age, until):
    cm = random_frame(cells, rnd)
    pd.testing.assert_frame_equal(cohort_long(cm, max_age), old_cohort_long(cm, max_age))
    pd.testing.assert_series_equal(mrr_by_month(cm), old_mrr_by_month(cm))
    month = pd.Period("2023-01", "M") + until
    positive = cm[cm["mrr"] > 0]
    if len(positive):
        points = points_from_rows(sorted_rows(positive))
        pd.testing.assert_frame_equal(cohorts_from_points(points, month_number(month)),
                                      old_cohort_long(cm[cm["month"] <= month]))


MONTH_STARTS = [dt.date(2024, m, d) for m in range(1, 13) for d in (1, 15)]
subscription = st.tuples(st.sampled_from(["A", "B", "C", "D"]), st.sampled_from(MONTH_STARTS),
                         st.one_of(st.none(), st.integers(0, 14)), st.sampled_from([0, 10, 99.99, 1200, 3000]),
                         st.sampled_from(["month", "quarter", "year"]))


def subscriptions(rows) -> pd.DataFrame:
    ends = []
    for _, start, length, _, _ in rows:
        if length is None:
            ends.append(None)
        else:
            y, m = divmod(start.month - 1 + length, 12)
            ends.append(dt.date(start.year + y, m + 1, start.day))
    return pd.DataFrame({"customer_id": pd.Series([r[0] for r in rows], dtype=object),
                         "start_date": pd.to_datetime([r[1] for r in rows]),
                         "end_date": pd.to_datetime(ends), "amount": [float(r[3]) for r in rows],
                         "billing_period": [r[4] for r in rows]})


@settings(max_examples=150, deadline=None)
@given(st.lists(subscription, min_size=1, max_size=20), st.integers(0, 15))
def test_the_points_of_subscriptions_give_the_figures_of_their_customer_months(rows, month_offset):
    """Points straight from subscriptions (where a replaced subscription of the same price
    leaves a point that changes nothing) give what the customer-month frame gives."""
    subs = subscriptions(rows)
    through = pd.Period("2025-03", "M")
    cm = monthly_mrr(subs, through)
    points = change_points(subs, month_number(through))
    if cm.empty:
        assert points is None
        return
    lo, hi = month_number(cm["month"].min()), month_number(through)
    pd.testing.assert_frame_equal(bridge_from_points(points, lo, hi), old_mrr_movements(cm, last_month=through))
    pd.testing.assert_frame_equal(retention_from_points(points, 3), old_trailing_retention(cm, 3))
    month = pd.Period("2024-01", "M") + month_offset
    pd.testing.assert_frame_equal(cohorts_from_points(points, month_number(month)),
                                  old_cohort_long(cm[cm["month"] <= month]))
    expected = old_customer_movements(cm, month)
    expected = expected[expected["month"] == month].reset_index(drop=True)
    pd.testing.assert_frame_equal(month_movements(points, month), expected)
    first, totals = mrr_totals(points)
    np.testing.assert_array_equal(totals / 1200, old_mrr_by_month(cm).to_numpy())


@settings(max_examples=150, deadline=None)
@given(st.lists(customer_month, min_size=1, max_size=60), st.randoms(use_true_random=False), st.integers(0, 35),
       st.integers(1, 13))
def test_the_whole_from_a_groupings_cells_equals_the_whole_computed_alone(cells, rnd, last, months):
    """bridges_from_points / retentions_from_points sum the whole from the first grouping's
    cells: the same frames as computing it alone, and each grouping's frame as with by=."""
    cm = random_frame(cells, rnd)
    positive = cm[cm["mrr"] > 0]
    if positive.empty:
        return
    rows = sorted_rows(positive)
    points = points_from_rows(rows)
    segments = pd.DataFrame({"customer_id": ["A", "B", "C", "D", "E", "F"], "segment": ["x", "y", None, "z", "y", "x"]})
    groupings = {"segment": attribute_groups(points.uniques, segments, "segment"),
                 "tier": attribute_groups(points.uniques, segments.assign(tier="one"), "tier")}
    lo, hi = points.first_month, points.first_month + last
    whole, by_column = bridges_from_points(points, lo, hi, groupings)
    pd.testing.assert_frame_equal(whole, bridge_from_points(points, lo, hi))
    seg_mrr = with_attribute(positive, segments, "segment")
    pd.testing.assert_frame_equal(by_column["segment"], old_mrr_movements(seg_mrr, last_month=number_to_period(hi),
                                                                          by="segment"))
    whole_ttm, ttm_by_column = retentions_from_points(points, months, groupings)
    pd.testing.assert_frame_equal(whole_ttm, old_trailing_retention(positive, months))
    pd.testing.assert_frame_equal(ttm_by_column["segment"], old_trailing_retention(seg_mrr, months, by="segment"))
    assert list(ttm_by_column) == list(by_column) == ["segment", "tier"]


def test_attribute_groups_sorts_the_values_and_puts_missing_customers_in_unknown():
    customers = pd.DataFrame({"customer_id": ["A", "B", "C"], "segment": ["SMB", None, "Enterprise"]})
    groups, codes = attribute_groups(pd.Index(["A", "B", "C", "D"]), customers, "segment")
    assert groups == ["(unknown)", "Enterprise", "SMB"] and codes.tolist() == [2, 0, 1, 0]


def test_a_segment_of_customers_never_active_makes_no_group():
    """The points of subscriptions number every customer of the file; one whose only
    subscription starts after the last month has no point, so its segment is no group
    (as with_attribute on the customer-month frame, where it has no row)."""
    subs = pd.DataFrame({"customer_id": ["A", "B"], "start_date": pd.to_datetime(["2025-01-01", "2025-09-01"]),
                         "end_date": pd.to_datetime([None, None]), "amount": [100.0, 50.0],
                         "billing_period": ["month", "month"]})
    points = change_points(subs, month_number("2025-03"))
    assert list(points.uniques) == ["A", "B"] and customers_with_points(points).tolist() == [True, False]
    customers = pd.DataFrame({"customer_id": ["A", "B"], "segment": ["SMB", "Enterprise"]})
    groups, codes = attribute_groups(points.uniques, customers, "segment", customers_with_points(points))
    assert groups == ["SMB"] and codes[0] == 0
    cm = with_attribute(monthly_mrr(subs, "2025-03"), customers, "segment")
    pd.testing.assert_frame_equal(bridge_from_points(points, month_number("2025-01"), month_number("2025-03"), groups,
                                                     codes, "segment"),
                                  mrr_movements(cm, last_month="2025-03", by="segment"))


def test_a_loaded_dataset_builds_its_customer_month_frame_only_when_read(tmp_path):
    """The loader keeps the points; the frame built from them on first use is the one
    monthly_mrr gives, the months the dataset states are the same before and after, and
    a pickled dataset (the report's snapshot) still builds it."""
    import pickle
    from pathlib import Path

    from saas_kit.loading import load_dataset

    dataset = load_dataset(Path(__file__).resolve().parents[1] / "data" / "sample")
    assert dataset.__dict__.get("_customer_mrr") is None and dataset.points is not None
    first, latest = dataset.first_month, dataset.latest_month
    copy = pickle.loads(pickle.dumps(dataset))
    frame = dataset.customer_mrr
    expected = monthly_mrr(dataset.subscriptions, dataset.last_month)
    pd.testing.assert_frame_equal(frame, expected)
    assert frame.attrs["through"] == dataset.last_month
    assert (dataset.first_month, dataset.latest_month) == (first, latest) == (frame["month"].min(), latest)
    assert dataset.mrr_points() is dataset.points  # the frame came from them
    pd.testing.assert_frame_equal(copy.customer_mrr, expected)


def test_a_dataset_given_a_frame_computes_its_points_once_per_frame():
    from saas_kit.loading import Dataset

    cm = frame(LEDGER)
    dataset = Dataset(directory=".", currency="JPY", customer_mrr=cm)
    points = dataset.mrr_points()
    assert described(points) == described(points_of(LEDGER)) and dataset.mrr_points() is points
    dataset.customer_mrr = frame(LEDGER[:2])  # another frame: its own points
    assert described(dataset.mrr_points()) == [("A", "2025-01", 100), ("A", "2025-03", 0)]
