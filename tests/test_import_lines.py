"""``saas-kit import stripe-invoice-lines`` and ``invoice-lines`` (metrics.md §8).

Month-end MRR is worked out by hand in each test."""
from __future__ import annotations

import csv
import io
from fractions import Fraction

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saas_kit.cli import main
from saas_kit.imports.invoice_lines import calendar_months
from saas_kit.loading import load_dataset

HEADER = ("id,invoice_id,customer,subscription,type,amount,discount_amount,tax_amount,currency,period_start,"
          "period_end,proration,quantity,description\n")


def _import(tmp_path, fmt, text, *extra):
    export = tmp_path / "lines.csv"
    export.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    return main(["import", fmt, str(export), "--out", str(out), *extra]), out


def _mrr(out) -> dict[tuple[str, str], float]:
    cm = load_dataset(out).customer_mrr
    return {(r.customer_id, str(r.month)): r.mrr for r in cm.itertuples()}


def _movements(out, capsys) -> dict[str, dict]:
    capsys.readouterr()
    assert main(["movements", str(out)]) == 0
    return {r["month"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}


@pytest.mark.parametrize("start,end,months", [
    ("2026-04-16", "2026-05-01", Fraction(1, 2)),      # 15 of April's 30 days (metrics.md §8)
    ("2026-04-01", "2026-05-01", Fraction(1)),
    ("2026-01-31", "2026-02-28", Fraction(1)),         # the day of month is clamped
    ("2026-01-15", "2027-01-15", Fraction(12)),
    ("2026-01-20", "2026-02-10", Fraction(12, 31) + Fraction(9, 28)),
    ("2026-03-01", "2026-03-01", Fraction(0)),
])
def test_calendar_months(start, end, months):
    assert calendar_months(pd.Timestamp(start), pd.Timestamp(end)) == months


@settings(max_examples=100, deadline=None)
@given(st.dates(min_value=pd.Timestamp("2020-01-01").date(), max_value=pd.Timestamp("2030-01-01").date()),
       st.integers(1, 40))
def test_calendar_months_of_whole_months_is_whole(start, n):
    start = pd.Timestamp(start)
    assert calendar_months(start, start + pd.DateOffset(months=n)) == n


def test_proration_upgrade_mid_month_counts_from_the_day(tmp_path, capsys):
    """$50 plan upgraded to $100 on 16 April: April's month-end MRR is 50 - 50 + 100 = 100."""
    text = HEADER + "\n".join([
        "il_1,in_1,cus_A,sub_A,subscription,5000,0,500,usd,2026-03-01,2026-04-01,false,1,Basic",
        "il_2,in_2,cus_A,sub_A,subscription,5000,0,500,usd,2026-04-01,2026-05-01,false,1,Basic",
        "il_3,in_3,cus_A,sub_A,invoiceitem,-2500,0,0,usd,2026-04-16,2026-05-01,true,1,Unused time on Basic",
        "il_4,in_3,cus_A,sub_A,invoiceitem,5000,0,0,usd,2026-04-16,2026-05-01,true,1,Remaining time on Pro",
        "il_5,in_4,cus_A,sub_A,subscription,10000,0,1000,usd,2026-05-01,2026-06-01,false,1,Pro",
    ]) + "\n"
    code, out = _import(tmp_path, "stripe-invoice-lines", text, "--as-of", "2026-06-01")
    assert code == 0
    printed = capsys.readouterr().out
    assert "tax (never part of MRR): 3 rows, tax 20 USD" in printed
    assert _mrr(out) == {("cus_A", "2026-03"): 50, ("cus_A", "2026-04"): 100, ("cus_A", "2026-05"): 100}
    rows = _movements(out, capsys)
    assert rows["2026-04"]["expansion"] == "50" and rows["2026-05"]["expansion"] == "0"


def test_proration_cent_residues_make_no_phantom_movement(tmp_path, capsys):
    """Upgrade on 14 April (17 of 30 days left): Stripe bills -28.33 and +56.67, so the
    raw rates are -49.994 and +100.0059; each is snapped to the full-period price it
    rounds from (50 and 100), so April is exactly 100 and May shows no movement."""
    text = HEADER + "\n".join([
        "il_1,in_1,cus_A,sub_A,subscription,5000,0,0,usd,2026-04-01,2026-05-01,false,1,Basic",
        "il_2,in_2,cus_A,sub_A,invoiceitem,-2833,0,0,usd,2026-04-14,2026-05-01,true,1,Unused time on Basic",
        "il_3,in_2,cus_A,sub_A,invoiceitem,5667,0,0,usd,2026-04-14,2026-05-01,true,1,Remaining time on Pro",
        "il_4,in_3,cus_A,sub_A,subscription,10000,0,0,usd,2026-05-01,2026-06-01,false,1,Pro",
    ]) + "\n"
    code, out = _import(tmp_path, "stripe-invoice-lines", text, "--as-of", "2026-06-01")
    assert code == 0
    assert _mrr(out) == {("cus_A", "2026-04"): 100, ("cus_A", "2026-05"): 100}
    rows = _movements(out, capsys)
    assert (rows["2026-05"]["expansion"], rows["2026-05"]["contraction"]) == ("0", "0")


def test_annual_discounted_line_one_off_and_credit(tmp_path, capsys):
    """An annual line of $1,200 with a $200 discount: $1,000 / 12 = $83.3333 a month,
    exact to the tick; a setup fee goes to charges.csv; a negative one-off is a credit."""
    text = HEADER + "\n".join([
        "il_6,in_5,cus_B,sub_B,subscription,120000,20000,0,usd,2026-01-15,2027-01-15,false,1,Annual -20%",
        "il_7,in_6,cus_B,,invoiceitem,30000,0,0,usd,2026-01-15,2026-01-15,false,1,Setup fee",
        "il_8,in_7,cus_B,,invoiceitem,-1000,0,0,usd,2026-02-01,2026-02-01,false,1,Goodwill credit",
    ]) + "\n"
    code, out = _import(tmp_path, "stripe-invoice-lines", text, "--as-of", "2026-04-01")
    assert code == 0
    printed = capsys.readouterr().out
    assert "one-off" in printed and "amount 300 USD (written to charges.csv)" in printed
    assert "refund or credit" in printed and "amount -10 USD" in printed
    assert _mrr(out) == {("cus_B", m): 100000 / 1200 for m in ("2026-01", "2026-02", "2026-03")}
    dataset = load_dataset(out)
    assert dataset.charges[["customer_id", "amount", "kind"]].values.tolist() == [["cus_B", 300.0, "Setup fee"]]
    assert dataset.latest_month == pd.Period("2026-03", "M")  # the line runs on, the months are not complete


def test_zero_decimal_currency_lines(tmp_path):
    text = HEADER + ("l1,i1,c1,s1,subscription,4900,0,490,jpy,2026-01-01,2026-02-01,false,1,Pro\n"
                     "l2,i2,c1,s1,subscription,4900,0,490,jpy,2026-02-01,2026-03-01,false,1,Pro\n")
    code, out = _import(tmp_path, "stripe-invoice-lines", text, "--as-of", "2026-03-01")
    assert code == 0 and _mrr(out) == {("c1", "2026-01"): 4900, ("c1", "2026-02"): 4900}
    assert load_dataset(out).currency == "JPY"


GENERIC = ("customer_id,subscription_id,type,service_period_start,service_period_end,amount,discount_amount,"
           "tax_amount,prorated,currency,date,description\n")


def test_generic_invoice_lines_with_a_mapping_quarterly_and_reactivation(tmp_path, capsys):
    text = GENERIC.replace("customer_id", "cust") + "\n".join([
        "K1,S1,subscription,2026-01-01,2026-04-01,300000,0,30000,false,JPY,2026-01-01,Quarterly",
        "K1,S1,subscription,2026-04-01,2026-07-01,300000,0,30000,false,JPY,2026-04-01,Quarterly",
        "K2,S2,subscription,2026-02-01,2026-03-01,50000,5000,0,false,JPY,2026-02-01,Monthly",
        "K2,,one_time,,,100000,0,0,false,JPY,2026-02-01,Onboarding",
        "K2,S2,subscription,2026-04-01,2026-05-01,50000,5000,0,false,JPY,2026-04-01,Monthly again",
    ]) + "\n"
    code, out = _import(tmp_path, "invoice-lines", text, "--map", "cust=customer_id", "--as-of", "2026-06-01")
    assert code == 0
    mrr = _mrr(out)
    # K1: 300,000 a quarter = 100,000/month Jan-May; K2: 50,000 - 5,000 = 45,000 in Feb and Apr
    assert {m: sum(v for (c, mm), v in mrr.items() if mm == m) for m in ("2026-01", "2026-02", "2026-03",
                                                                         "2026-04", "2026-05")} == {
        "2026-01": 100000, "2026-02": 145000, "2026-03": 100000, "2026-04": 145000, "2026-05": 100000}
    rows = _movements(out, capsys)
    assert rows["2026-03"]["churn"] == "45000" and rows["2026-04"]["reactivation"] == "45000"
    assert load_dataset(out).charges["amount"].tolist() == [100000.0]


def test_generic_amounts_in_currency_units_and_in_cents(tmp_path):
    text = GENERIC + "c1,s1,subscription,2026-01-01,2026-02-01,49.99,0,0,false,USD,,Pro\n"
    code, out = _import(tmp_path, "invoice-lines", text, "--as-of", "2026-02-01")
    assert code == 0 and _mrr(out) == {("c1", "2026-01"): 49.99}
    cents = (GENERIC.replace("amount,discount_amount", "amount_in_cents,discount_amount") +
             "c1,s1,subscription,2026-01-01,2026-02-01,4999,0,0,false,USD,,Pro\n")
    code, out = _import(tmp_path, "invoice-lines", cents, "--as-of", "2026-02-01", "--force")
    assert code == 0 and _mrr(out) == {("c1", "2026-01"): 49.99}


def test_a_period_that_ends_before_it_starts_is_named(tmp_path, capsys):
    text = GENERIC + "c1,s1,subscription,2026-02-01,2026-01-01,10,0,0,false,USD,,Pro\n"
    code, _ = _import(tmp_path, "invoice-lines", text, "--as-of", "2026-03-01")
    err = capsys.readouterr().err
    assert code == 2 and "row 2" in err and "service_period_end" in err
