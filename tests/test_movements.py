"""MRR movements and the bridge (metrics.md §3): edge cases and properties."""
import datetime as dt
from fractions import Fraction

import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st

import oracle
from conftest import customer_months, ledger
from saas_kit.money import to_ticks
from saas_kit.movements import customer_movements, mrr_movements, reconciles, with_attribute
from saas_kit.mrr import monthly_mrr
from saas_kit.rates import monthly_rates


def moves(subs, last):
    return customer_movements(monthly_mrr(subs, last), last)


def test_gap_then_return_is_reactivation_not_new():
    subs = ledger([("A", "2025-01-01", "2025-03-01", 1000), ("A", "2025-05-01", "", 1200)])
    m = moves(subs, "2025-06")
    assert list(zip(m.month.astype(str), m.movement.astype(str), m.amount)) == [
        ("2025-01", "new", 1000.0), ("2025-03", "churn", 1000.0), ("2025-05", "reactivation", 1200.0)]


def test_cancelling_one_of_two_subscriptions_is_contraction_not_churn():
    subs = ledger([("A", "2025-01-01", "", 1000), ("A", "2025-01-01", "2025-03-01", 400)])
    m = moves(subs, "2025-04")
    assert list(zip(m.month.astype(str), m.movement.astype(str), m.amount)) == [
        ("2025-01", "new", 1400.0), ("2025-03", "contraction", 400.0)]


def test_upgrade_is_expansion_by_the_difference():
    subs = ledger([("A", "2025-01-01", "2025-03-01", 1000), ("A", "2025-03-01", "", 3000)])
    m = moves(subs, "2025-04")
    assert m.movement.astype(str).tolist() == ["new", "expansion"]
    assert m.amount.tolist() == [1000.0, 2000.0]


def test_start_and_end_in_same_month_produces_no_movement():
    subs = ledger([("A", "2025-02-03", "2025-02-20", 1000), ("B", "2025-01-01", "", 500)])
    assert set(moves(subs, "2025-04").customer_id) == {"B"}


def test_annual_billing_moves_by_monthly_amount():
    subs = ledger([("A", "2025-01-01", "2026-01-01", 1_200_000, "year")])
    m = moves(subs, "2026-02")
    assert list(zip(m.month.astype(str), m.movement.astype(str), m.amount)) == [
        ("2025-01", "new", 100_000.0), ("2026-01", "churn", 100_000.0)]


def test_open_end_date_never_churns():
    subs = ledger([("A", "2024-01-01", "", 1000)])
    assert moves(subs, "2025-12").movement.astype(str).tolist() == ["new"]


def test_mid_month_dates_follow_month_end_snapshot():
    subs = ledger([("A", "2025-01-20", "2025-03-10", 1000)])
    m = moves(subs, "2025-05")
    assert list(zip(m.month.astype(str), m.movement.astype(str))) == [("2025-01", "new"), ("2025-03", "churn")]


def test_only_zero_amount_subscription_is_never_a_customer():
    subs = ledger([("A", "2025-01-01", "", 0), ("B", "2025-01-01", "", 100)])
    b = mrr_movements(monthly_mrr(subs, "2025-02"))
    assert b.customers.tolist() == [1, 1] and b.new_customers.tolist() == [1, 0]


def test_every_month_in_range_is_present_even_when_empty():
    subs = ledger([("A", "2025-01-01", "2025-02-01", 1000), ("A", "2025-06-01", "", 1000)])
    b = mrr_movements(monthly_mrr(subs, "2025-06"))
    assert b.month.astype(str).tolist() == [f"2025-0{i}" for i in range(1, 7)]
    assert b.closing_mrr.tolist() == [1000, 0, 0, 0, 0, 1000]


def test_bridge_by_segment_adds_up_to_the_total():
    cm = customer_months([("A", "2025-01", 100), ("A", "2025-02", 150), ("B", "2025-01", 50),
                          ("C", "2025-02", 70)])
    customers = pd.DataFrame({"customer_id": ["A", "B", "C"], "segment": ["SMB", "Ent", "SMB"]})
    by = mrr_movements(with_attribute(cm, customers, "segment"), by="segment")
    total = mrr_movements(cm)
    summed = by.groupby("month")[["opening_mrr", "new", "expansion", "churn", "closing_mrr"]].sum().reset_index()
    pd.testing.assert_frame_equal(summed, total[["month", "opening_mrr", "new", "expansion", "churn", "closing_mrr"]])


def test_start_month_sets_opening_from_previous_month():
    cm = customer_months([("A", "2025-01", 100), ("A", "2025-02", 100), ("A", "2025-03", 120)])
    b = mrr_movements(cm, start_month="2025-03")
    assert b.opening_mrr.tolist() == [100.0] and b.expansion.tolist() == [20.0]


# ----------------------------------------------------------------------------- properties

MONTH_STARTS = [dt.date(2024, m, d) for m in range(1, 13) for d in (1, 15)]
subscription = st.tuples(
    st.sampled_from(["A", "B", "C", "D", "E", "F"]),
    st.sampled_from(MONTH_STARTS),
    st.one_of(st.none(), st.integers(min_value=0, max_value=14)),  # length in months, None = open
    st.one_of(st.integers(min_value=0, max_value=200_000),
              st.decimals(min_value=0, max_value=5000, places=2, allow_nan=False)),
    st.sampled_from(["month", "month", "quarter", "year"]),
)
LAST = (2025, 3)


def to_frame(rows):
    recs = []
    for customer, start, length, amount, period in rows:
        end = None
        if length is not None:
            y, m = divmod(start.month - 1 + length, 12)
            end = dt.date(start.year + y, m + 1, start.day)
        recs.append((customer, start.isoformat(), end.isoformat() if end else "", amount, period))
    return ledger(recs), [(c, s, e, a, p) for (c, s, _, a, p), (_, _, e_iso, _, _) in zip(rows, recs)
                          for e in [dt.date.fromisoformat(e_iso) if e_iso else None]]


@settings(max_examples=150, deadline=None)
@given(st.lists(subscription, min_size=1, max_size=25))
def test_bridge_matches_independent_loop_and_reconciles_exactly(rows):
    subs, oracle_rows = to_frame(rows)
    cm = monthly_mrr(subs, "2025-03")
    expected = oracle.bridge(oracle_rows, LAST)
    expected = [r for r in expected if r["closing"] > 0 or r["opening"] > 0 or r["churn"] > 0]
    if cm.empty:
        assert all(r["closing"] == 0 for r in expected)
        return
    b = mrr_movements(cm, last_month="2025-03").set_index("month")
    assert reconciles(b.reset_index()).all()
    for r in expected:
        month = pd.Period(f"{r['month'][0]}-{r['month'][1]:02d}", "M")
        got = b.loc[month]
        for ours, theirs in [("opening_mrr", "opening"), ("new", "new"), ("expansion", "expansion"),
                             ("reactivation", "reactivation"), ("contraction", "contraction"),
                             ("churn", "churn"), ("closing_mrr", "closing")]:
            # exact: compare in ticks of 1/1200
            assert to_ticks(got[ours]) == int(r[theirs] * 1200), (month, ours)
        assert got["customers"] == r["customers"]
        assert got["new_customers"] == r["new_customers"]
        assert got["churned_customers"] == r["churned_customers"]


@settings(max_examples=100, deadline=None)
@given(st.lists(subscription, min_size=1, max_size=25))
def test_at_most_one_movement_per_customer_month_and_rates_bounded(rows):
    subs, _ = to_frame(rows)
    cm = monthly_mrr(subs, "2025-03")
    if cm.empty:
        return
    m = customer_movements(cm, "2025-03")
    assert not m.duplicated(["customer_id", "month"]).any()
    r = monthly_rates(mrr_movements(cm))
    assert (r.grr.dropna() <= 1 + 1e-12).all()
    assert (r.grr.dropna() >= 0).all()
    no_expansion = r.expansion == 0
    np.testing.assert_allclose(r.nrr[no_expansion].dropna(), r.grr[no_expansion].dropna())


@settings(max_examples=150, deadline=None)
@given(st.lists(subscription, min_size=1, max_size=25))
def test_customer_month_mrr_matches_the_independent_loop_exactly(rows):
    """monthly_mrr (change points summed per customer, runs expanded) against the
    per-customer Fraction loop, cell by cell in ticks: same rows, same amounts, sorted."""
    subs, oracle_rows = to_frame(rows)
    cm = monthly_mrr(subs, "2025-03")
    expected = {(c, pd.Period(year=y, month=m, freq="M")): int(v * 1200)
                for c, series in oracle.customer_month_mrr(oracle_rows, LAST).items()
                for (y, m), v in series.items() if v > 0}
    got = {(c, p): int(t) for c, p, t in zip(cm["customer_id"], cm["month"], to_ticks(cm["mrr"]))}
    assert got == expected
    assert list(zip(cm["customer_id"], cm["month"])) == sorted(got)


@settings(max_examples=100, deadline=None)
@given(st.lists(subscription, min_size=1, max_size=25), st.randoms(use_true_random=False))
def test_bridge_does_not_depend_on_row_order_and_groups_add_up(rows, rnd):
    subs, _ = to_frame(rows)
    cm = monthly_mrr(subs, "2025-03")
    if cm.empty:
        return
    cm = cm.assign(segment=cm["customer_id"].map({"A": "x", "B": "y", "C": "x", "D": "z", "E": "y", "F": "x"}))
    shuffled = cm.iloc[rnd.sample(range(len(cm)), len(cm))]
    sorted_bridge = mrr_movements(cm, last_month="2025-03")
    pd.testing.assert_frame_equal(mrr_movements(shuffled, last_month="2025-03"), sorted_bridge)
    by_segment = mrr_movements(shuffled, last_month="2025-03", by="segment")
    summed = by_segment.drop(columns="segment").groupby("month", sort=True).sum().reset_index()
    for col in ("opening_mrr", "new", "expansion", "reactivation", "contraction", "churn", "closing_mrr",
                "customers", "churned_customers"):
        assert (to_ticks(summed[col]) == to_ticks(sorted_bridge[col])).all(), col


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(["A", "B", "C", "a", "B "]), st.integers(0, 3)), min_size=0, max_size=12),
       st.booleans(), st.booleans())
def test_customer_codes_equal_a_sorted_factorize(ids, sort_first, as_str):
    """The no-hash path for ids already in order gives exactly pd.factorize(sort=True)."""
    from saas_kit.rows import customer_codes

    if as_str:
        ids = [str(i) for i in ids]
    if sort_first:
        try:
            ids = sorted(ids)
        except TypeError:
            pass
    series = pd.Series(ids, dtype="str" if as_str else object)
    codes, uniques = customer_codes(series)
    try:
        expected_codes, expected_uniques = pd.factorize(series, sort=True)
    except TypeError:  # mixed ints and text cannot be sorted: only consistency is asked for
        assert [uniques[c] for c in codes] == ids
        return
    assert codes.tolist() == expected_codes.tolist()
    assert list(uniques) == list(expected_uniques)
