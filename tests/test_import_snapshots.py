"""``saas-kit import stripe-subscriptions`` and ``chargebee-subscriptions`` (metrics.md §8).

Month-end MRR is worked out by hand in each test."""
from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from saas_kit.cli import main
from saas_kit.errors import DataError
from saas_kit.loading import load_dataset

STRIPE_HEADER = ("id,customer,status,start_date,trial_start,trial_end,cancel_at_period_end,canceled_at,ended_at,"
                 "current_period_start,current_period_end,quantity,unit_amount,currency,interval,interval_count\n")


def _import(tmp_path, fmt, text, *extra, encoding="utf-8", name="export.csv"):
    export = tmp_path / name
    export.write_bytes(text.encode(encoding))
    out = tmp_path / "out"
    code = main(["import", fmt, str(export), "--out", str(out), *extra])
    return code, out


def _month_mrr(out, as_of=None) -> dict[str, float]:
    dataset = load_dataset(out, as_of=as_of)
    return {str(m): v for m, v in dataset.customer_mrr.groupby("month")["mrr"].sum().items()}


def _movements(out, capsys) -> list[dict]:
    capsys.readouterr()
    assert main(["movements", str(out)]) == 0
    return list(csv.DictReader(io.StringIO(capsys.readouterr().out)))


def test_stripe_statuses_trials_intervals_and_cents(tmp_path, capsys):
    text = STRIPE_HEADER + "\n".join([
        # A: 2 seats x $25.00 = $50/month from 2026-01-10 (active)
        "sub_A,cus_A,active,2026-01-10,,,false,,,,,2,2500,usd,month,1",
        # B: $1,200/year = $100/month, past_due still counts; start as Unix seconds (2026-01-01T00:00Z)
        "sub_B,cus_B,past_due,1767225600,,,false,,,,,1,120000,usd,year,1",
        # C: incomplete_expired never counts
        "sub_C,cus_C,incomplete_expired,2026-03-01,,,false,,,,,1,9900,usd,month,1",
        # D: trial across a month-end: trial ends 2026-04-10, so it counts from April, not March
        "sub_D,cus_D,active,2026-03-20,2026-03-20,2026-04-10,false,,,,,1,4900,usd,month,1",
        # E: still trialing at the as-of date: not counted
        "sub_E,cus_E,trialing,2026-05-20,2026-05-20,2026-06-20,false,,,,,1,4900,usd,month,1",
        # F: $300 every 3 months (interval_count 3) = $100/month, canceled, ended 2026-04-01 -> Feb, Mar
        "sub_F,cus_F,canceled,2026-02-01,,,false,2026-03-20,2026-04-01,,,1,30000,usd,month,3",
        # G: $10/week = 10 x 52 / 12 = $43.3333/month from 2026-05-01
        "sub_G,cus_G,active,2026-05-01,,,false,,,,,1,1000,usd,week,1",
        # H: canceled during its trial: never paid
        "sub_H,cus_H,canceled,2026-02-01,2026-02-01,2026-02-15,false,2026-02-10,2026-02-10,,,1,4900,usd,month,1",
    ]) + "\n"
    code, out = _import(tmp_path, "stripe-subscriptions", text, "--as-of", "2026-06-01")
    assert code == 0
    printed = capsys.readouterr().out
    assert "rows read: 8" in printed and "rows kept: 5" in printed
    assert "incomplete" in printed and "MRR 99 USD" in printed  # the incomplete row, listed with its MRR
    assert "still in its trial" in printed and "ended during its trial" in printed
    assert "no history of plan changes" in printed
    assert (out / "import-summary.txt").read_text(encoding="utf-8") in printed
    mrr = _month_mrr(out)
    # Jan: A 50 + B 100; Feb: + F 100; Mar: same; Apr: F gone, D 49 in; May: + G 43.3333
    assert mrr == {"2026-01": 150, "2026-02": 250, "2026-03": 250, "2026-04": 199,
                   "2026-05": pytest.approx(242 + 1 / 3, abs=1e-9)}
    assert load_dataset(out).customer_mrr.query("customer_id == 'cus_G'")["mrr"].iloc[0] == 52000 / 1200  # exact tick
    dataset = load_dataset(out)
    assert (dataset.currency, dataset.as_of, dataset.latest_month) == ("USD", pd.Timestamp("2026-06-01"),
                                                                      pd.Period("2026-05", "M"))
    assert not [w for w in dataset.warnings if w.kind == "sub_cent_amounts"]


def test_stripe_zero_decimal_currency_and_reactivation(tmp_path, capsys):
    """JPY is already whole yen: unit_amount 4900 is ¥4,900, not ¥49. cus_R comes back
    with a second subscription after a gap: a reactivation."""
    text = STRIPE_HEADER + "\n".join([
        "s1,cus_R,canceled,2026-01-01,,,false,2026-02-15,2026-03-01,,,1,4900,jpy,month,1",
        "s2,cus_R,active,2026-04-01,,,false,,,,,1,9800,jpy,month,1",
        "s3,cus_K,active,2026-01-01,,,false,,,,,3,1000,jpy,month,1",
    ]) + "\n"
    code, out = _import(tmp_path, "stripe-subscriptions", text, "--as-of", "2026-05-01")
    assert code == 0
    assert _month_mrr(out) == {"2026-01": 7900, "2026-02": 7900, "2026-03": 3000, "2026-04": 12800}
    rows = {r["month"]: r for r in _movements(out, capsys)}
    assert rows["2026-03"]["churn"] == "4900" and rows["2026-04"]["reactivation"] == "9800"


def test_stripe_dashboard_export_headers_read_amounts_in_currency_units(tmp_path):
    text = ("id,Customer ID,Customer Email,Plan,Quantity,Currency,Interval,Amount,Status,Created (UTC),Start (UTC),"
            "Trial End (UTC),Canceled At (UTC),Ended At (UTC)\n"
            "sub_1,cus_1,a@example.com,Pro,1,usd,month,49.00,active,2026-01-01 10:00,2026-01-01 10:00,,,\n"
            "sub_2,cus_2,b@example.com,Pro,2,usd,year,588.00,canceled,2026-01-05 09:00,2026-01-05 09:00,,"
            "2026-02-20 12:00,2026-03-05 12:00\n")
    code, out = _import(tmp_path, "stripe-subscriptions", text, "--as-of", "2026-04-01")
    assert code == 0
    # cus_1 $49; cus_2 2 x $588/year = $98/month, Jan and Feb (ended 2026-03-05, so March's end is not covered)
    assert _month_mrr(out) == {"2026-01": 147, "2026-02": 147, "2026-03": 49}


def test_stripe_cents_with_decimals_are_refused_with_a_hint(tmp_path, capsys):
    text = STRIPE_HEADER + "s1,c1,active,2026-01-01,,,false,,,,,1,49.50,usd,month,1\n"
    code, out = _import(tmp_path, "stripe-subscriptions", text, "--as-of", "2026-03-01")
    err = capsys.readouterr().err
    assert code == 2 and "export.csv, row 2, column 'unit_amount'" in err and "--amounts major" in err
    assert not out.exists()  # nothing half-written


def test_stripe_without_currency_needs_one(tmp_path, capsys):
    text = "id,customer,status,start_date,unit_amount\ns1,c1,active,2026-01-01,4900\n"
    code, _ = _import(tmp_path, "stripe-subscriptions", text, "--as-of", "2026-03-01")
    assert code == 2 and "--currency" in capsys.readouterr().err
    code, out = _import(tmp_path, "stripe-subscriptions", text, "--as-of", "2026-03-01", "--currency", "usd")
    assert code == 0 and _month_mrr(out) == {"2026-01": 49, "2026-02": 49}


def test_stripe_mixed_currencies_are_refused(tmp_path, capsys):
    text = STRIPE_HEADER + ("s1,c1,active,2026-01-01,,,false,,,,,1,100,usd,month,1\n"
                            "s2,c2,active,2026-01-01,,,false,,,,,1,100,eur,month,1\n")
    code, _ = _import(tmp_path, "stripe-subscriptions", text, "--as-of", "2026-03-01")
    assert code == 2 and "mixes currencies" in capsys.readouterr().err


def test_an_existing_import_is_not_overwritten_without_force(tmp_path, capsys):
    text = STRIPE_HEADER + "s1,c1,active,2026-01-01,,,false,,,,,1,100,usd,month,1\n"
    assert _import(tmp_path, "stripe-subscriptions", text, "--as-of", "2026-03-01")[0] == 0
    assert _import(tmp_path, "stripe-subscriptions", text, "--as-of", "2026-03-01")[0] == 2
    assert "--force" in capsys.readouterr().err
    assert _import(tmp_path, "stripe-subscriptions", text, "--as-of", "2026-03-01", "--force")[0] == 0


CHARGEBEE_HEADER = ("Subscription Id,Customer Id,Plan Id,Plan Quantity,Plan Unit Price,Status,Started At,Trial Start,"
                    "Trial End,Cancelled At,Currency Code,Billing Period,Billing Period Unit\n")


def test_chargebee_periods_statuses_and_trials(tmp_path, capsys):
    text = CHARGEBEE_HEADER + "\n".join([
        # quarterly: billing_period 3 month, 2 x €300.00 = €600 a quarter = €200/month
        "s1,c1,pro,2,30000,active,2026-01-01,,,,EUR,3,month",
        # trial across a month-end: ends 2026-03-05, so counts from March (€10)
        "s2,c2,basic,1,1000,active,2026-02-20,2026-02-20,2026-03-05,,EUR,1,month",
        # still in trial at the as-of date
        "s3,c3,basic,1,1000,in_trial,2026-04-20,2026-04-20,2026-05-20,,EUR,1,month",
        # cancelled 2026-03-15: counted in Feb only (March's end is after it)
        "s4,c4,basic,1,1000,cancelled,2026-02-01,,,2026-03-15,EUR,1,month",
        # not started
        "s5,c5,basic,1,1000,future,2026-06-01,,,,EUR,1,month",
        # annual, non_renewing still counts: €2,400/year = €200/month
        "s6,c6,annual,1,240000,non_renewing,2026-03-10,,,,EUR,1,year",
        # 6-monthly: €600 / 6 = €100/month, written as a monthly amount
        "s7,c7,half,1,60000,active,2026-04-01,,,,EUR,6,month",
    ]) + "\n"
    code, out = _import(tmp_path, "chargebee-subscriptions", text, "--as-of", "2026-05-01")
    assert code == 0
    printed = capsys.readouterr().out
    assert "rows read: 7" in printed and "rows kept: 5" in printed and "not started" in printed
    assert _month_mrr(out) == {"2026-01": 200, "2026-02": 210, "2026-03": 410, "2026-04": 510}
    subs = pd.read_csv(out / "subscriptions.csv", dtype=str)
    assert subs.set_index("subscription_id").loc["s7", ["amount", "billing_period"]].tolist() == ["100", "month"]
    assert subs.set_index("subscription_id").loc["s1", ["amount", "billing_period"]].tolist() == ["600", "quarter"]


def test_chargebee_unknown_status_names_the_row(tmp_path, capsys):
    text = CHARGEBEE_HEADER + "s1,c1,pro,1,100,dormant,2026-01-01,,,,EUR,1,month\n"
    code, _ = _import(tmp_path, "chargebee-subscriptions", text, "--as-of", "2026-03-01")
    err = capsys.readouterr().err
    assert code == 2 and "row 2" in err and "'dormant'" in err


def test_an_import_with_nothing_countable_writes_nothing(tmp_path, capsys):
    text = STRIPE_HEADER + "s1,c1,incomplete,2026-01-01,,,false,,,,,1,100,usd,month,1\n"
    code, out = _import(tmp_path, "stripe-subscriptions", text, "--as-of", "2026-03-01")
    assert code == 2 and "nothing written" in capsys.readouterr().err and not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["export.csv"]  # no temporary folder left


def test_import_errors_are_data_errors_not_tracebacks():
    with pytest.raises(DataError):
        from saas_kit.imports.common import read_export
        read_export(["/nonexistent/export.csv"], None)
