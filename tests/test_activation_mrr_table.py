"""The activation chapter on a ready MRR table (mrr.csv, no subscriptions; metrics.md §2,
§7, §8): the paid spans its customer-months imply (:func:`saas_kit.activation.paid_spans_from_mrr`,
each run of months with MRR > 0 paid from the first day of its first month to the first
day of the month after its last, open when it reaches the last complete month), the
customer outcomes found in them, and ``saas-kit metrics --activation --tables`` on the
sample's customer-months.

Expected values are written by hand from the rows, or counted straight from mrr.csv
and customers.csv with the month-granular rule (a customer is paying on a day when that
day's month has MRR; churned on the first day of the month after the last month with MRR).
"""
from __future__ import annotations

import pandas as pd
import pytest

from conftest import customer_months, sample_as_mrr_table
from saas_kit import activation
from saas_kit.cli import main
from saas_kit.errors import ParameterError
from saas_kit.loading import load_dataset

T = pd.Timestamp
NAT = pd.NaT


def spans(rows, through=None) -> list[tuple]:
    """The spans of (customer, 'YYYY-MM', mrr) rows as (customer, start, end, amount) tuples."""
    out = activation.paid_spans_from_mrr(customer_months(rows), through)
    assert list(out.columns) == ["customer_id", "start_date", "end_date", "amount"]
    return list(out.itertuples(index=False, name=None))


def same(left: list[tuple], right: list[tuple]) -> bool:
    """Equal tuples, NaT equal to NaT."""
    return len(left) == len(right) and all(
        all((pd.isna(a) and pd.isna(b)) or a == b for a, b in zip(x, y)) for x, y in zip(left, right))


# ----------------------------------------------------------------------------- the spans


def test_one_run_is_paid_from_its_first_day_to_the_first_day_after_it():
    """March to May: paid from 1 March to 1 June (exclusive); amount = March's MRR."""
    got = spans([("A", "2025-03", 100), ("A", "2025-04", 120), ("A", "2025-05", 120)], through="2025-12")
    assert same(got, [("A", T("2025-03-01"), T("2025-06-01"), 100.0)])


def test_a_gap_ends_a_run_and_the_next_run_is_a_reactivation():
    rows = [("A", "2025-01", 50), ("A", "2025-02", 50), ("A", "2025-05", 60), ("A", "2025-06", 60),
            ("A", "2025-09", 70)]
    got = spans(rows, through="2025-12")
    assert same(got, [("A", T("2025-01-01"), T("2025-03-01"), 50.0),
                      ("A", T("2025-05-01"), T("2025-07-01"), 60.0),
                      ("A", T("2025-09-01"), T("2025-10-01"), 70.0)])


def test_zero_mrr_months_are_months_without_mrr():
    """A month with MRR 0 splits a run; a customer with MRR 0 only has no span."""
    rows = [("A", "2025-01", 10), ("A", "2025-02", 0), ("A", "2025-03", 10), ("Z", "2025-01", 0),
            ("Z", "2025-02", 0)]
    got = spans(rows, through="2025-12")
    assert same(got, [("A", T("2025-01-01"), T("2025-02-01"), 10.0),
                      ("A", T("2025-03-01"), T("2025-04-01"), 10.0)])


def test_a_run_reaching_the_last_month_is_open():
    """A run whose last month is ``through`` (the last complete month) has no end; one that
    stopped earlier ends; without ``through`` the table's latest month is the last one."""
    rows = [("A", "2025-10", 10), ("A", "2025-11", 10), ("A", "2025-12", 10), ("B", "2025-02", 5),
            ("B", "2025-03", 5)]
    open_a = [("A", T("2025-10-01"), NAT, 10.0), ("B", T("2025-02-01"), T("2025-04-01"), 5.0)]
    assert same(spans(rows, through="2025-12"), open_a)
    assert same(spans(rows), open_a)
    assert same(spans(rows, through=pd.Period("2026-01", freq="M")),
                [("A", T("2025-10-01"), T("2026-01-01"), 10.0), ("B", T("2025-02-01"), T("2025-04-01"), 5.0)])


def test_runs_cross_years_and_customers_are_sorted_and_kept_apart():
    rows = [("B", "2025-12", 8), ("B", "2026-01", 8), ("A", "2026-01", 3), ("B", "2026-03", 9)]
    got = spans(rows, through="2026-06")
    assert same(got, [("A", T("2026-01-01"), T("2026-02-01"), 3.0),
                      ("B", T("2025-12-01"), T("2026-02-01"), 8.0),
                      ("B", T("2026-03-01"), T("2026-04-01"), 9.0)])


def test_text_months_a_repeated_month_and_an_empty_table():
    table = pd.DataFrame({"customer_id": ["A", "A", "A"], "month": ["2025-04", "2025-04", "2025-05"],
                          "mrr": [1.0, 2.0, 3.0]})
    got = activation.paid_spans_from_mrr(table, "2025-08")
    assert same(list(got.itertuples(index=False, name=None)), [("A", T("2025-04-01"), T("2025-06-01"), 1.0)])
    empty = activation.paid_spans_from_mrr(table.iloc[0:0])
    assert empty.empty and list(empty.columns) == ["customer_id", "start_date", "end_date", "amount"]
    assert str(empty["start_date"].dtype) == "datetime64[ns]"
    with pytest.raises(ParameterError, match="mrr"):
        activation.paid_spans_from_mrr(table.drop(columns="mrr"))


# ----------------------------------------------------------------------------- outcomes from the spans


def test_customer_outcomes_from_spans_by_hand():
    """as_of 1 August 2025, 90 days. A: signed up 20 February, paid March-May: first paid
    1 March, churned 1 June (101 days after signup), retained (day 90 is 21 May). B: signed
    up 10 January, paid January, then again from June to July (the last month): active, not
    churned, not retained (day 90 is 10 April, in the gap). C: never paid."""
    customers = pd.DataFrame({"customer_id": ["A", "B", "C"],
                              "signup_date": pd.to_datetime(["2025-02-20", "2025-01-10", "2025-01-05"])})
    rows = [("A", "2025-03", 10), ("A", "2025-04", 10), ("A", "2025-05", 10), ("B", "2025-01", 7),
            ("B", "2025-06", 7), ("B", "2025-07", 7)]
    paid = activation.paid_spans_from_mrr(customer_months(rows), "2025-07")
    out = activation.customer_outcomes(customers, paid, "2025-08-01", 90).set_index("customer_id")
    assert out.loc["A", "first_paid"] == T("2025-03-01") and out.loc["A", "churned"]
    assert out.loc["A", "churn_date"] == T("2025-06-01") and out.loc["A", "days_to_churn"] == 101.0
    assert bool(out.loc["A", "retained"]) and not out.loc["A", "active_at_as_of"]
    assert out.loc["B", "first_paid"] == T("2025-01-01") and out.loc["B", "active_at_as_of"]
    assert not out.loc["B", "churned"] and pd.isna(out.loc["B", "churn_date"]) and not bool(out.loc["B", "retained"])
    assert pd.isna(out.loc["C", "first_paid"]) and not out.loc["C", "churned"] and not bool(out.loc["C", "retained"])


# ----------------------------------------------------------------------------- the sample as mrr.csv


@pytest.fixture(scope="module")
def mrr_folder(tmp_path_factory):
    """The sample's customer-months as mrr.csv beside its customers, events and other files."""
    return sample_as_mrr_table(tmp_path_factory.mktemp("mrr") / "sample-mrr")


def test_sample_outcomes_by_hand(mrr_folder):
    """Two customers of the sample, from their rows in subscriptions.csv and customers.csv:
    C000001 (signed up 2019-10-23, monthly from 2019-11-01 to 2020-10-01) first paid on
    1 November 2019 and churned on 1 October 2020, 344 days after signup, retained on day
    90 (2020-01-21); C000004 (signed up 2020-01-11, annual from 2020-01-15, never ended)
    is active, first paid on 1 January 2020 (month-granular: its January counts)."""
    ds = load_dataset(mrr_folder)
    assert ds.subscriptions is None
    scope = activation.onboarding_scope(ds, ds.latest_month)
    out = activation.customer_outcomes(scope.all_customers, activation.paid_subscriptions(ds), scope.as_of, 90)
    out = out.set_index("customer_id")
    c1, c4 = out.loc["C000001"], out.loc["C000004"]
    assert (c1["first_paid"], c1["churned"], c1["churn_date"]) == (T("2019-11-01"), True, T("2020-10-01"))
    assert c1["days_to_churn"] == 344.0 and bool(c1["retained"])
    assert (c4["first_paid"], c4["active_at_as_of"], c4["churned"]) == (T("2020-01-01"), True, False)
    assert pd.isna(c4["churn_date"]) and bool(c4["retained"])


def test_metrics_activation_tables_on_the_mrr_folder(mrr_folder, tmp_path, capsys):
    """``saas-kit metrics DIR --activation --tables OUT`` works on an MRR table with events,
    and its early churn and retention count what mrr.csv and customers.csv say by the
    month-granular rule."""
    out = tmp_path / "tables"
    assert main(["metrics", str(mrr_folder), "--activation", "--tables", str(out)]) == 0
    assert "Activation rate" in capsys.readouterr().out
    table = pd.read_csv(mrr_folder / "mrr.csv", dtype={"customer_id": str})
    table = table[table["mrr"] > 0].assign(month=lambda t: pd.PeriodIndex(t["month"], freq="M"))
    customers = pd.read_csv(mrr_folder / "customers.csv", dtype={"customer_id": str}, parse_dates=["signup_date"])
    through = load_dataset(mrr_folder).last_month
    as_of = (through + 1).start_time

    last = table.groupby("customer_id")["month"].max()
    known = customers[customers["signup_date"] < as_of].set_index("customer_id")
    churned = last[(last < through) & last.index.isin(known.index)]
    lived = ((churned + 1).dt.start_time - known.loc[churned.index, "signup_date"]).dt.days
    early = pd.read_csv(out / "activation_early_churn.csv").set_index("days")
    assert (early["churned"] == len(churned)).all()
    for days in (30, 45, 90):
        assert early.loc[days, "churned_within"] == int((lived <= days).sum())

    events_start = pd.read_csv(mrr_folder / "events.csv", parse_dates=["timestamp"])["timestamp"].min()
    scope = known[known["signup_date"] >= events_start.to_period("M").start_time]
    check = scope["signup_date"] + pd.Timedelta(days=90)
    observable = check[check <= as_of]
    paying = set(zip(table["customer_id"], table["month"]))
    # a check on the as-of instant itself falls in the open run of the last month
    retained = sum((cid, min(day.to_period("M"), through)) in paying for cid, day in observable.items())
    retention = pd.read_csv(out / "activation_retention.csv")
    assert retention["customers"].sum() == len(observable)
    assert retention["retained"].sum() == retained > 0
