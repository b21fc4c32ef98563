"""Tests of the seeded sample-company generator (saas_kit.generate).

Expected values come from the brief and metrics.md (§1 schemas, §2 MRR = amount /
months in period, §3 contraction vs churn, §7 activation), never from the code's output.
"""
from __future__ import annotations

import argparse
import re

import numpy as np
import pandas as pd
import pytest

from saas_kit.errors import ParameterError
from saas_kit.loading import load_dataset
from saas_kit.generate import (
    add_generate_arguments,
    generate_company,
    run_generate,
    write_company,
)

MONTHS = {"month": 1, "quarter": 3, "year": 12}
FILES = ["subscriptions", "customers", "charges", "events", "company"]
WINDOW_START = pd.Timestamp("2023-11-01")  # 36 months ending 2026-10
WINDOW_END = pd.Timestamp("2026-10-31")


@pytest.fixture(scope="module")
def sample() -> dict[str, pd.DataFrame]:
    return generate_company()


def _paying_on(subs: pd.DataFrame, when: pd.Series) -> pd.Series:
    """Per customer (index of ``when``): does some subscription cover that day?"""
    x = subs.merge(when.rename("d"), left_on="customer_id", right_index=True)
    covered = (x.start_date <= x.d) & (x.end_date.isna() | (x.end_date > x.d))
    return when.index.isin(x.loc[covered, "customer_id"].unique())


def test_same_arguments_give_equal_frames():
    a = generate_company(customers=300, seed=7)
    b = generate_company(customers=300, seed=7)
    for name in FILES:
        pd.testing.assert_frame_equal(a[name], b[name])
    c = generate_company(customers=300, seed=8)
    assert not a["subscriptions"].equals(c["subscriptions"])


def test_files_are_byte_identical(tmp_path):
    for fmt in ("csv", "parquet"):
        p1 = write_company(generate_company(customers=250, seed=3), tmp_path / f"a_{fmt}", fmt=fmt)
        p2 = write_company(generate_company(customers=250, seed=3), tmp_path / f"b_{fmt}", fmt=fmt)
        assert [p.name for p in p1] == [f"{n}.{fmt}" for n in FILES] + ["dataset.yml"]
        for x, y in zip(p1, p2):
            assert x.read_bytes() == y.read_bytes(), x.name


def test_canonical_schemas(sample):
    subs = sample["subscriptions"]
    assert list(subs.columns) == [
        "customer_id", "subscription_id", "start_date", "end_date",
        "amount", "billing_period", "plan", "currency",
    ]
    assert subs.start_date.dtype == "datetime64[ns]" and subs.end_date.dtype == "datetime64[ns]"
    assert subs.amount.dtype == "float64"
    assert set(subs.currency) == {"JPY"}
    cust = sample["customers"]
    assert list(cust.columns)[:1] == ["customer_id"]
    assert {"segment", "signup_date", "name", "industry"} <= set(cust.columns)
    assert cust.signup_date.dtype == "datetime64[ns]"
    assert set(cust.segment) == {"SMB", "Mid-market", "Enterprise"}
    ch = sample["charges"]
    assert list(ch.columns) == ["customer_id", "date", "amount", "kind"]
    assert ch.date.dtype == "datetime64[ns]" and ch.amount.dtype == "float64"
    ev = sample["events"]
    assert list(ev.columns) == ["customer_id", "user_id", "event", "timestamp"]
    assert ev.timestamp.dtype == "datetime64[ns]"
    co = sample["company"]
    assert list(co.columns) == ["month", "employees", "sales_marketing_spend"]
    assert isinstance(co.month.dtype, pd.PeriodDtype) and co.month.dtype == pd.PeriodDtype("M")
    assert co.employees.dtype == "int64" and co.sales_marketing_spend.dtype == "float64"
    for frame in (subs, cust, ch, ev):
        for col in frame.columns:
            if frame[col].dtype == object:  # every text column is a real string dtype
                pytest.fail(f"{col} is object dtype")


def test_at_least_1500_customers_in_the_window(sample):
    cust, subs = sample["customers"], sample["subscriptions"]
    assert len(cust) == 1600
    in_window = subs[subs.end_date.isna() | (subs.end_date > WINDOW_START)]
    assert in_window.customer_id.nunique() >= 1500
    # and some were already paying when the window starts (trailing-12-month NRR exists)
    assert _paying_on(subs, pd.Series(WINDOW_START, index=cust.customer_id)).sum() >= 100


def test_mrr_is_whole_yen(sample):
    subs = sample["subscriptions"]
    months = subs.billing_period.map(MONTHS)
    assert months.notna().all()
    mrr = subs.amount / months
    assert (mrr == np.round(mrr)).all()
    assert (subs.amount > 0).all()
    assert (subs.loc[subs.billing_period == "year", "amount"] % 12 == 0).all()
    assert (subs.loc[subs.billing_period == "quarter", "amount"] % 3 == 0).all()


def test_ids_unique_and_referentially_sound(sample):
    cust, subs = sample["customers"], sample["subscriptions"]
    assert cust.customer_id.is_unique
    assert subs.subscription_id.is_unique
    assert cust.customer_id.str.fullmatch(r"C\d{6}").all()
    ids = set(cust.customer_id)
    for name in ("subscriptions", "charges", "events"):
        assert set(sample[name].customer_id) <= ids, name
    assert set(cust.customer_id) == set(subs.customer_id)


def test_end_after_start_and_dates_first_or_mid_month(sample):
    subs = sample["subscriptions"]
    closed = subs.dropna(subset=["end_date"])
    assert (closed.end_date > closed.start_date).all()
    assert subs.end_date.isna().any()
    assert set(subs.start_date.dt.day) == {1, 15}
    assert (subs.start_date.dt.day == 15).mean() > 0.1
    assert subs.start_date.max() <= WINDOW_END
    assert closed.end_date.max() <= WINDOW_END


def test_signup_date_is_first_start_or_a_trial_before_it(sample):
    cust, subs = sample["customers"], sample["subscriptions"]
    first = subs.groupby("customer_id").start_date.min()
    lead = (first.reindex(cust.customer_id).to_numpy() - cust.signup_date.to_numpy()) / np.timedelta64(1, "D")
    assert (lead >= 0).all() and (lead <= 14).all()
    assert (lead > 0).any() and (lead == 0).any()


def test_every_billing_period_plan_and_segment_present(sample):
    subs = sample["subscriptions"]
    assert set(subs.billing_period) == {"month", "quarter", "year"}
    assert set(subs.plan) == {"Starter", "Business", "Enterprise"}
    # annual billing is mostly a Mid-market / Enterprise choice
    seg = subs.merge(sample["customers"][["customer_id", "segment"]]).drop_duplicates("customer_id")
    annual = seg[seg.billing_period == "year"]
    assert (annual.segment != "SMB").mean() > 0.5


def test_charges_are_one_off_and_present(sample):
    ch = sample["charges"]
    assert len(ch) > 0
    assert {"setup_fee", "consulting"} <= set(ch.kind)
    assert (ch.amount > 0).all()


def test_a_customer_leaves_and_returns_after_a_gap(sample):
    subs = sample["subscriptions"].sort_values(["customer_id", "start_date"])
    far = pd.Timestamp("2262-01-01")
    covered_until = (
        subs.assign(e=subs.end_date.fillna(far))
        .groupby("customer_id")
        .e.transform(lambda s: s.cummax().shift())
    )
    gap = subs.start_date - covered_until
    returns = subs[gap >= pd.Timedelta(days=28)]
    assert returns.customer_id.nunique() >= 5


def test_cancelling_one_of_two_subscriptions_exists(sample):
    """metrics.md §3: a customer with two subscriptions who cancels one is contraction."""
    subs = sample["subscriptions"]
    x = subs.merge(subs, on="customer_id", suffixes=("", "_o"))
    x = x[x.subscription_id != x.subscription_id_o]
    ended_while_other_runs = (
        x.end_date.notna()
        & (x.start_date_o < x.end_date)
        & (x.end_date_o.isna() | (x.end_date_o > x.end_date))
    )
    # the other subscription started before this one and outlives it: a real second subscription
    second = x[ended_while_other_runs & (x.start_date > x.start_date_o)]
    assert second.customer_id.nunique() >= 3


def test_planted_activation_rule_drives_90_day_retention(sample):
    """metrics.md §7 / seed 004: invite_teammate >= 3 within 14 days of signup."""
    cust, subs, ev = sample["customers"], sample["subscriptions"], sample["events"]
    signups = cust[cust.signup_date >= WINDOW_START].set_index("customer_id")
    e = ev.merge(signups.signup_date, left_on="customer_id", right_index=True)
    early = e[(e.event == "invite_teammate") & (e.timestamp < e.signup_date + pd.Timedelta(days=14))]
    invites = early.groupby("customer_id").size().reindex(signups.index, fill_value=0)
    activated = invites >= 3
    assert 0.35 <= activated.mean() <= 0.50
    day90 = signups.signup_date + pd.Timedelta(days=90)
    eligible = day90 <= WINDOW_END
    retained = pd.Series(_paying_on(subs, day90[eligible]), index=day90[eligible].index)
    act = activated[eligible]
    r_act, r_non = retained[act].mean(), retained[~act].mean()
    assert act.sum() >= 200 and (~act).sum() >= 200
    assert r_act - r_non >= 0.08, (r_act, r_non)
    # other events correlate only weakly: no rule on another event within the same 14 days
    # separates retained from churned customers as well as the planted one
    counts = (
        e[e.timestamp < e.signup_date + pd.Timedelta(days=14)]
        .groupby(["customer_id", "event"]).size().unstack(fill_value=0)
        .reindex(signups.index, fill_value=0)[eligible]
    )
    for event in counts.columns.drop("invite_teammate"):
        for k in (1, 2, 3, 5, 8, 12):
            rule = counts[event] >= k
            if min(rule.sum(), (~rule).sum()) < 50:
                continue
            lift = retained[rule].mean() - retained[~rule].mean()
            assert lift < r_act - r_non, (event, k, lift)


def test_events_fall_in_the_onboarding_window(sample):
    cust, ev = sample["customers"], sample["events"]
    assert 10_000 <= len(ev) < 80_000
    e = ev.merge(cust[["customer_id", "signup_date"]])
    age = (e.timestamp - e.signup_date) / pd.Timedelta(days=1)
    assert (age >= 0).all() and (age < 61).all()
    assert (e.signup_date >= WINDOW_START).all()
    assert set(ev.event) == {
        "login", "import_data", "create_project", "invite_teammate", "connect_integration", "create_report",
    }
    assert (ev.user_id.str.split("-").str[0] == ev.customer_id).all()


def test_company_has_one_row_per_window_month(sample):
    co = sample["company"]
    assert list(co.month.astype(str)) == [str(p) for p in pd.period_range("2023-11", "2026-10", freq="M")]
    assert co.employees.iloc[-1] > co.employees.iloc[0]
    assert (co.employees.diff().dropna() >= 0).all()
    assert (co.sales_marketing_spend > 0).all()


def test_small_run_through_the_cli_hooks(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    add_generate_arguments(parser)
    out = tmp_path / "out"
    args = parser.parse_args(["--customers", "200", "--out", str(out)])
    assert args.months == 36 and args.end_month == "2026-10" and args.format == "csv"
    assert run_generate(args) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 6
    for name in FILES:
        assert (out / f"{name}.csv").is_file()
    # the as-of date is the day after the window, so 2026-10 is the last complete month (metrics.md §2)
    from saas_kit.loading import load_dataset
    dataset = load_dataset(out)
    assert (dataset.as_of, dataset.latest_month, dataset.currency) == (
        pd.Timestamp("2026-11-01"), pd.Period("2026-10", "M"), "JPY")
    assert not [p for p in tmp_path.iterdir() if p.name != "out"]  # no temp dir left behind
    subs = pd.read_csv(out / "subscriptions.csv", dtype=str, keep_default_na=False)
    assert subs.start_date.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert (subs.end_date == "").any()
    assert subs.end_date[subs.end_date != ""].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert subs.amount.str.fullmatch(r"\d+").all()
    ev = pd.read_csv(out / "events.csv", dtype=str)
    assert ev.timestamp.str.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}").all()
    co = pd.read_csv(out / "company.csv", dtype=str)
    assert co.month.str.fullmatch(r"\d{4}-\d{2}").all() and len(co) == 36
    cust = pd.read_csv(out / "customers.csv", dtype=str)
    assert len(cust) == 200
    header = (out / "customers.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "customer_id,name,segment,signup_date,industry"


def test_parquet_round_trip(tmp_path):
    frames = generate_company(customers=150, months=24, end_month="2025-03", seed=11)
    paths = write_company(frames, tmp_path / "pq", fmt="parquet")
    back = pd.read_parquet(paths[0])
    assert len(back) == len(frames["subscriptions"])
    assert back.end_date.isna().sum() == frames["subscriptions"].end_date.isna().sum()
    co = pd.read_parquet(paths[4])
    assert list(co.month) == [str(p) for p in pd.period_range("2023-04", "2025-03", freq="M")]


@pytest.mark.parametrize(
    "kwargs",
    [{"customers": 0}, {"months": 0}, {"end_month": "2026/10"}, {"end_month": "2026-13"}, {"seed": -1}],
)
def test_bad_parameters(kwargs):
    with pytest.raises(ParameterError):
        generate_company(**kwargs)


def test_bad_format(tmp_path):
    with pytest.raises(ParameterError):
        write_company(generate_company(customers=20), tmp_path / "x", fmt="xlsx")


def test_event_cap_keeps_the_subscriptions(tmp_path):
    full = generate_company(customers=400, seed=5)
    capped = generate_company(customers=400, seed=5, max_event_customers=50)
    assert capped["events"].customer_id.nunique() <= 50
    assert re.match(r"C\d{6}", capped["events"].customer_id.iloc[0])
    assert len(capped["subscriptions"]) > 0 and len(full["events"]) > len(capped["events"])


@pytest.mark.parametrize("value, expected", [("all", None), ("ALL", None), ("0", 0), ("120", 120)])
def test_event_customers_option(tmp_path, value, expected):
    parser = argparse.ArgumentParser()
    add_generate_arguments(parser)
    args = parser.parse_args(["--customers", "300", "--event-customers", value, "--out", str(tmp_path / "o")])
    assert args.event_customers == expected
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "events.csv").write_text("stale from an earlier run\n", encoding="utf-8")
    assert run_generate(args) == 0
    direct = generate_company(customers=300, max_event_customers=expected)["events"]
    if expected == 0:  # no events file at all (a header-only file would not load), nothing stale left
        assert direct.empty and not (tmp_path / "o" / "events.csv").exists()
    else:
        events = pd.read_csv(tmp_path / "o" / "events.csv", dtype=str)
        assert len(events) == len(direct)
        assert events.customer_id.nunique() == direct.customer_id.nunique()
    assert load_dataset(tmp_path / "o").customer_mrr is not None  # what was written loads


@pytest.mark.parametrize("value", ["-1", "many", "1.5"])
def test_event_customers_option_rejects_bad_values(tmp_path, value, capsys):
    parser = argparse.ArgumentParser()
    add_generate_arguments(parser)
    with pytest.raises(SystemExit):
        parser.parse_args(["--customers", "300", "--event-customers", value, "--out", str(tmp_path / "o")])
    assert "--event-customers" in capsys.readouterr().err
