"""Tests of saas_kit.activation (metrics.md §7, seed 004).

Expected values are worked out by hand in the comments next to each frame.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from saas_kit.activation import (
    ActivationRule,
    activation_rate_by_cohort,
    customer_outcomes,
    early_churn_shares,
    evaluate_rule,
    magic_moment_search,
    onboarding_funnel,
    retention_by_activation,
    time_to_first_value,
    two_proportion_z_test,
    wilson_interval,
)
from saas_kit.errors import DataError, ParameterError

T = pd.Timestamp


def customers_frame(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "segment": "SMB",
            "signup_date": pd.to_datetime([r[1] for r in rows]).astype("datetime64[ns]"),
        }
    )


def events_frame(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": pd.Series([r[0] for r in rows], dtype="str"),
            "user_id": pd.Series(["u1"] * len(rows), dtype="str"),
            "event": pd.Series([r[1] for r in rows], dtype="str"),
            "timestamp": pd.to_datetime([r[2] for r in rows], format="ISO8601").astype("datetime64[ns]"),
        }
    )


def subscriptions_frame(rows: list[tuple[str, str, str | None, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "subscription_id": [f"s{i}" for i in range(len(rows))],
            "start_date": pd.to_datetime([r[1] for r in rows]).astype("datetime64[ns]"),
            "end_date": pd.to_datetime([r[2] for r in rows]).astype("datetime64[ns]"),
            "amount": [r[3] for r in rows],
            "billing_period": "month",
            "plan": "basic",
            "currency": "JPY",
        }
    )


# ------------------------------------------------------------------ the rule


def test_rule_describe_and_text_round_trip():
    rule = ActivationRule("invite_teammate", 3, 14)
    assert rule.describe() == "invite_teammate ≥ 3 within 14 days"
    assert str(rule) == "invite_teammate>=3@14d"
    assert ActivationRule.parse(str(rule)) == rule
    assert ActivationRule("file_synced", 1, 1).describe() == "file_synced ≥ 1 within 1 day"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("invite_teammate>=3@14d", ("invite_teammate", 3, 14)),
        ("  add_friend >= 7 @ 10d ", ("add_friend", 7, 10)),  # Facebook: 7 friends in 10 days (seed 004)
        ("follow≥5@30days", ("follow", 5, 30)),  # X: follow 5 accounts (seed 004)
    ],
)
def test_rule_parse_accepts_papermill_text(text, expected):
    rule = ActivationRule.parse(text)
    assert (rule.event, rule.min_count, rule.window_days) == expected


@pytest.mark.parametrize(
    "text", ["", "invite_teammate", "invite>=3", "invite>=3@14", "invite>3@14d", ">=3@14d", "invite>=0@14d",
             "invite>=3@0d", "invite>=-1@14d", "invite>=3@14w"]
)
def test_rule_parse_rejects_bad_text(text):
    with pytest.raises(ParameterError):
        ActivationRule.parse(text)


def test_rule_rejects_bad_fields():
    with pytest.raises(ParameterError):
        ActivationRule("x", 0, 14)
    with pytest.raises(ParameterError):
        ActivationRule("x", 3, 2.5)  # type: ignore[arg-type]
    with pytest.raises(ParameterError):
        ActivationRule("", 3, 14)


# --------------------------------------------------------------- evaluate_rule

# Signup at 2024-01-01 00:00 for everyone; rule invite>=3@14d, i.e. the window is
# [2024-01-01 00:00, 2024-01-15 00:00): 14 January 23:59:59 is inside, 15 January 00:00 is not.
RULE_CUSTOMERS = customers_frame(
    [("a", "2024-01-01"), ("b", "2024-01-01"), ("c", "2024-01-01"), ("d", "2024-01-01"),
     ("e", "2024-01-01"), ("f", "2024-01-01")]
)
RULE_EVENTS = events_frame(
    [
        # a: third invite at 14 Jan 23:59:59 -> activated, 13 days + 86399 s after signup
        ("a", "invite", "2024-01-14T23:59:59"),
        ("a", "invite", "2024-01-02T00:00:00"),  # rows deliberately out of time order
        ("a", "invite", "2024-01-05T12:00:00"),
        # b: third invite exactly 14 days after signup -> outside the window, not activated
        ("b", "invite", "2024-01-01T00:00:00"),  # at the signup instant: inside
        ("b", "invite", "2024-01-03T00:00:00"),
        ("b", "invite", "2024-01-15T00:00:00"),
        # c: only two invites -> not activated at >= 3
        ("c", "invite", "2024-01-02T00:00:00"),
        ("c", "invite", "2024-01-03T00:00:00"),
        # d: three invites before signup are ignored, one after
        ("d", "invite", "2023-12-29T00:00:00"),
        ("d", "invite", "2023-12-30T00:00:00"),
        ("d", "invite", "2023-12-31T23:59:59"),
        ("d", "invite", "2024-01-02T00:00:00"),
        # e: four invites; activation is the third one, 2024-01-04 06:00
        ("e", "invite", "2024-01-02T00:00:00"),
        ("e", "invite", "2024-01-03T00:00:00"),
        ("e", "invite", "2024-01-04T06:00:00"),
        ("e", "invite", "2024-01-06T00:00:00"),
        # f: no invite at all, only logins; "zz" is a customer missing from the customers frame
        ("f", "login", "2024-01-02T00:00:00"),
        ("zz", "invite", "2024-01-02T00:00:00"),
    ]
)


def test_evaluate_rule_hand_example_and_14_day_boundary():
    out = evaluate_rule(RULE_EVENTS, RULE_CUSTOMERS, ActivationRule("invite", 3, 14)).set_index("customer_id")
    assert out.loc[["a", "b", "c", "d", "e", "f"], "activated"].tolist() == [True, False, False, False, True, False]
    assert out.loc[["a", "b", "c", "d", "e", "f"], "event_count"].tolist() == [3, 2, 2, 1, 4, 0]
    assert out.loc["a", "activated_at"] == T("2024-01-14 23:59:59")
    assert out.loc["a", "days_to_activation"] == pytest.approx(13 + 86399 / 86400)
    assert out.loc["e", "activated_at"] == T("2024-01-04 06:00")
    assert out.loc["e", "days_to_activation"] == pytest.approx(3.25)
    assert pd.isna(out.loc["b", "activated_at"]) and math.isnan(out.loc["b", "days_to_activation"])


def test_evaluate_rule_window_is_half_open_one_second_matters():
    # b's third invite lands at signup + 14 days exactly: with a 15-day window it counts.
    out = evaluate_rule(RULE_EVENTS, RULE_CUSTOMERS, "invite>=3@15d").set_index("customer_id")
    assert bool(out.loc["b", "activated"]) is True
    assert out.loc["b", "days_to_activation"] == pytest.approx(14.0)


def test_evaluate_rule_keeps_every_customer_in_order_and_ignores_unknown_customers():
    out = evaluate_rule(RULE_EVENTS, RULE_CUSTOMERS, "invite>=1@14d")
    assert out["customer_id"].tolist() == ["a", "b", "c", "d", "e", "f"]
    assert "zz" not in set(out["customer_id"])


def test_evaluate_rule_window_complete_against_as_of():
    out = evaluate_rule(RULE_EVENTS, RULE_CUSTOMERS, "invite>=3@14d", as_of="2024-01-15")
    assert out["window_complete"].tolist() == [True] * 6  # 1 Jan + 14 days = 15 Jan <= as_of
    out = evaluate_rule(RULE_EVENTS, RULE_CUSTOMERS, "invite>=3@14d", as_of="2024-01-14 23:00")
    assert out["window_complete"].tolist() == [False] * 6


def test_evaluate_rule_unknown_event_lists_known_names():
    with pytest.raises(ParameterError) as err:
        evaluate_rule(RULE_EVENTS, RULE_CUSTOMERS, "invite_teammate>=3@14d")
    assert "invite_teammate" in str(err.value)
    assert "known event names: invite, login" in str(err.value)


def test_evaluate_rule_empty_events_activates_nobody():
    empty = RULE_EVENTS.iloc[0:0]
    out = evaluate_rule(empty, RULE_CUSTOMERS, "invite>=1@14d")
    assert len(out) == 6
    assert not out["activated"].any()
    assert (out["event_count"] == 0).all()


def test_evaluate_rule_missing_column_is_data_error():
    with pytest.raises(DataError):
        evaluate_rule(RULE_EVENTS.drop(columns="timestamp"), RULE_CUSTOMERS, "invite>=1@14d")
    dup = pd.concat([RULE_CUSTOMERS, RULE_CUSTOMERS.iloc[:1]])
    with pytest.raises(DataError):
        evaluate_rule(RULE_EVENTS, dup, "invite>=1@14d")


def _brute_force_activation(events, customers, rule):
    """Reference: loop over customers (test only)."""
    result = {}
    for cid, signup in zip(customers["customer_id"], customers["signup_date"]):
        ts = sorted(
            t for c, e, t in zip(events["customer_id"], events["event"], events["timestamp"])
            if c == cid and e == rule.event and signup <= t < signup + pd.Timedelta(days=rule.window_days)
        )
        result[cid] = ts[rule.min_count - 1] if len(ts) >= rule.min_count else pd.NaT
    return result


def test_evaluate_rule_matches_brute_force_on_random_data():
    rng = np.random.default_rng(7)
    n_c, n_e = 40, 600
    cust = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n_c)],
            "signup_date": (T("2024-01-01") + pd.to_timedelta(rng.integers(0, 30 * 86400, n_c), unit="s"))
            .astype("datetime64[ns]"),
        }
    )
    who = rng.integers(0, n_c + 3, n_e)  # a few events of unknown customers
    ev = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in who],
            "event": rng.choice(["invite", "login"], n_e),
            "timestamp": (T("2023-12-25") + pd.to_timedelta(rng.integers(0, 80 * 86400, n_e), unit="s"))
            .astype("datetime64[ns]"),
        }
    )
    for rule in (ActivationRule("invite", 1, 7), ActivationRule("invite", 3, 14), ActivationRule("login", 5, 30)):
        expected = _brute_force_activation(ev, cust, rule)
        got = evaluate_rule(ev, cust, rule).set_index("customer_id")["activated_at"]
        for cid, at in expected.items():
            assert (pd.isna(at) and pd.isna(got[cid])) or at == got[cid], (rule, cid)
        # object-dtype ids take the pandas lookup path: same answer
        got_obj = evaluate_rule(ev.astype({"customer_id": object}), cust.astype({"customer_id": object}), rule)
        assert got_obj["activated_at"].equals(evaluate_rule(ev, cust, rule)["activated_at"])


# ------------------------------------------------------------ customer_outcomes

# as_of 2024-07-01, retention 90 days. 2024 is a leap year: 1 Jan + 90 days = 31 Mar.
OUT_CUSTOMERS = customers_frame(
    [("A", "2024-01-01"), ("B", "2024-01-01"), ("C", "2024-01-01"), ("C2", "2024-01-01"), ("D", "2024-05-01"),
     ("E", "2024-01-01"), ("F", "2024-01-01"), ("G", "2024-01-01")]
)
OUT_SUBS = subscriptions_frame(
    [
        ("A", "2024-01-01", None, 10.0),  # still active: retained, not churned
        ("B", "2024-01-15", "2024-02-15", 10.0),  # churned 15 Feb: 45 days after signup
        ("C", "2024-01-01", "2024-03-31", 10.0),  # ends exactly on the check date (exclusive): not retained
        ("C2", "2024-01-01", "2024-04-01", 10.0),  # one day later: active on 31 Mar, retained
        ("D", "2024-05-01", None, 10.0),  # signed up 1 May: check date 30 Jul > as_of, not observable
        ("E", "2024-01-01", None, 0.0),  # free plan only: never paid
        ("F", "2024-01-01", "2024-02-01", 10.0),  # churned, then came back on 1 Mar: active, not churned
        ("F", "2024-03-01", None, 10.0),
        ("G", "2024-08-01", None, 10.0),  # starts after as_of: ignored
        ("X", "2024-01-01", None, 10.0),  # not in customers: ignored
    ]
)


def test_customer_outcomes_hand_example():
    out = customer_outcomes(OUT_CUSTOMERS, OUT_SUBS, "2024-07-01", retention_days=90).set_index("customer_id")
    assert list(out.index) == ["A", "B", "C", "C2", "D", "E", "F", "G"]
    assert out.loc["A", "first_paid"] == T("2024-01-01")
    assert out.loc["B", "first_paid"] == T("2024-01-15")
    assert pd.isna(out.loc["E", "first_paid"]) and pd.isna(out.loc["G", "first_paid"])
    assert out["churned"].to_dict() == {
        "A": False, "B": True, "C": True, "C2": True, "D": False, "E": False, "F": False, "G": False
    }
    assert out.loc["B", "churn_date"] == T("2024-02-15")
    assert out.loc["B", "days_to_churn"] == 45.0
    assert out.loc["C", "churn_date"] == T("2024-03-31")
    assert out.loc["C", "days_to_churn"] == 90.0
    assert pd.isna(out.loc["F", "churn_date"]) and math.isnan(out.loc["A", "days_to_churn"])
    assert out["observable"].to_dict() == {k: k != "D" for k in out.index}
    retained = out["retained"]
    assert str(retained.dtype) == "boolean"
    assert pd.isna(retained["D"])
    assert {k: bool(retained[k]) for k in out.index if k != "D"} == {
        "A": True, "B": False, "C": False, "C2": True, "E": False, "F": True, "G": False
    }
    assert out["active_at_as_of"].to_dict() == {
        "A": True, "B": False, "C": False, "C2": False, "D": True, "E": False, "F": True, "G": False
    }


def test_customer_outcomes_observable_boundary_is_inclusive():
    # signup 1 Jan + 90 days = 31 Mar: observable on 31 Mar, not on 30 Mar
    cust = customers_frame([("A", "2024-01-01")])
    subs = subscriptions_frame([("A", "2024-01-01", None, 5.0)])
    assert bool(customer_outcomes(cust, subs, "2024-03-31")["observable"].iloc[0]) is True
    assert bool(customer_outcomes(cust, subs, "2024-03-30")["observable"].iloc[0]) is False


def test_customer_outcomes_bad_parameters():
    with pytest.raises(ParameterError):
        customer_outcomes(OUT_CUSTOMERS, OUT_SUBS, "not a date")
    with pytest.raises(ParameterError):
        customer_outcomes(OUT_CUSTOMERS, OUT_SUBS, "2024-07-01", retention_days=0)


# ---------------------------------------------------------- cohort activation


def test_activation_rate_by_cohort_hand_example():
    cust = customers_frame([("a", "2024-01-03"), ("b", "2024-01-20"), ("c", "2024-01-31"), ("d", "2024-03-02")])
    act = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "activated": [True, False, True, False]})
    out = activation_rate_by_cohort(act, cust)
    assert out["cohort"].tolist() == [pd.Period("2024-01", "M"), pd.Period("2024-02", "M"), pd.Period("2024-03", "M")]
    assert out["signups"].tolist() == [3, 0, 1]
    assert out["activated"].tolist() == [2, 0, 0]
    assert out["rate"].iloc[0] == pytest.approx(2 / 3)
    assert math.isnan(out["rate"].iloc[1])  # no signups: undefined, not 0 and not inf
    assert out["rate"].iloc[2] == 0.0
    quarterly = activation_rate_by_cohort(act, cust, freq="Q")
    assert quarterly["signups"].tolist() == [4] and quarterly["activated"].tolist() == [2]


def test_activation_rate_by_cohort_counts_open_windows():
    act = evaluate_rule(RULE_EVENTS, RULE_CUSTOMERS, "invite>=3@14d", as_of="2024-01-10")
    out = activation_rate_by_cohort(act, RULE_CUSTOMERS)
    assert out["open_windows"].tolist() == [6]
    with pytest.raises(ParameterError):
        activation_rate_by_cohort(act, RULE_CUSTOMERS, freq="fortnightly")


# ------------------------------------------------------------------ statistics


def test_wilson_interval_known_values():
    lo, hi = wilson_interval(50, 100)
    assert lo == pytest.approx(0.4038, abs=5e-5)
    assert hi == pytest.approx(0.5962, abs=5e-5)
    # 0 of 10: lower bound 0, upper z²/(n + z²) = 3.8415/13.8415 = 0.2775
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0
    assert hi == pytest.approx(0.2775, abs=1e-4)
    assert all(math.isnan(v) for v in wilson_interval(0, 0))


def test_two_proportion_z_test_known_value():
    # 60/100 vs 40/100: pooled 0.5, se = sqrt(0.25 * 0.02) = 0.070711, z = 0.2 / se = 2√2,
    # two-sided p = erfc(2) = 0.0046777 (normal table: 2 * (1 - Φ(2.8284)) = 0.00468)
    z, p = two_proportion_z_test(60, 100, 40, 100)
    assert z == pytest.approx(2 * math.sqrt(2))
    assert p == pytest.approx(0.0046777, abs=1e-6)
    z, p = two_proportion_z_test(40, 100, 60, 100)
    assert z == pytest.approx(-2 * math.sqrt(2)) and p == pytest.approx(0.0046777, abs=1e-6)
    # no variation at all: nothing to test
    assert all(math.isnan(v) for v in two_proportion_z_test(10, 10, 5, 5))
    assert all(math.isnan(v) for v in two_proportion_z_test(0, 0, 5, 10))


def test_retention_by_activation_hand_example():
    # activated: 4 observable, 3 retained; not activated: 6 observable, 2 retained; 2 not observable.
    ids = [f"c{i}" for i in range(12)]
    act = pd.DataFrame({"customer_id": ids, "activated": [True] * 4 + [False] * 6 + [True, False]})
    retained = pd.array([True, True, True, False] + [True, True, False, False, False, False] + [None, None],
                        dtype="boolean")
    outcomes = pd.DataFrame({"customer_id": ids, "observable": [True] * 10 + [False] * 2, "retained": retained})
    out = retention_by_activation(act, outcomes)
    assert out["group"].tolist() == ["activated", "not activated"]
    assert out["customers"].tolist() == [4, 6]
    assert out["retained"].tolist() == [3, 2]
    assert out["rate"].tolist() == pytest.approx([0.75, 1 / 3])
    assert (out.loc[0, "ci_low"], out.loc[0, "ci_high"]) == pytest.approx(wilson_interval(3, 4))
    # Wilson 3/4 by hand: centre (0.75 + 0.48020)/1.96040 = 0.62750, half 0.99977 * sqrt(0.046875 + 0.060025) = 0.32679
    assert out.loc[0, "ci_low"] == pytest.approx(0.3007, abs=1e-3)
    assert out.loc[0, "ci_high"] == pytest.approx(0.9544, abs=1e-3)
    s = out.attrs["summary"]
    assert s["observable_customers"] == 10 and s["excluded_customers"] == 2
    assert s["lift_difference"] == pytest.approx(0.75 - 1 / 3)
    assert s["lift_ratio"] == pytest.approx(2.25)
    # pooled 5/10: z = (5/12) / sqrt(0.25 * (1/4 + 1/6)) = sqrt(5/3) = 1.29099; p = 2(1 - Φ(1.291)) ≈ 0.1967
    assert s["z"] == pytest.approx(math.sqrt(5 / 3))
    assert s["p_value"] == pytest.approx(0.1967, abs=5e-4)


def test_retention_by_activation_end_to_end_uses_only_observable():
    act = evaluate_rule(
        events_frame([("A", "invite", "2024-01-02"), ("D", "invite", "2024-05-02"), ("B", "invite", "2024-01-20")]),
        OUT_CUSTOMERS, "invite>=1@14d",
    )
    outcomes = customer_outcomes(OUT_CUSTOMERS, OUT_SUBS, "2024-07-01")
    out = retention_by_activation(act, outcomes)
    # activated: A (retained) and D (not observable -> left out); B's invite is on day 19 -> not activated
    assert out["customers"].tolist() == [1, 6]
    assert out["retained"].tolist() == [1, 2]  # not activated & retained: C2, F
    assert out.attrs["summary"]["excluded_customers"] == 1


# -------------------------------------------------------------- magic moments


def test_magic_moment_search_hand_example_phi():
    # 4 observable customers; login>=1@7d: reached {a, b, c}, retained {a, b}.
    # n1 = 3, r1 = 2, n0 = 1, r0 = 0, N = 4, R = 2:
    # phi = (2*1 - 1*0) / sqrt(3*1*2*2) = 2/sqrt(12) = 0.57735; z = phi*sqrt(4) = 1.1547
    ev = events_frame([("a", "login", "2024-01-02"), ("b", "login", "2024-01-03"), ("c", "login", "2024-01-04")])
    outcomes = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "signup_date": pd.to_datetime(["2024-01-01"] * 4).astype("datetime64[ns]"),
            "observable": True,
            "retained": pd.array([True, True, False, False], dtype="boolean"),
        }
    )
    out = magic_moment_search(ev, outcomes, thresholds=(1,), windows=(7,), min_group_size=1)
    assert len(out) == 1
    row = out.iloc[0]
    assert row["rule"] == "login>=1@7d" and row["rank"] == 1
    assert (row["customers"], row["reached"], row["retained_reached"]) == (4, 3, 2)
    assert row["share_reached"] == 0.75
    assert row["retention_reached"] == pytest.approx(2 / 3)
    assert row["retention_not_reached"] == 0.0
    assert row["lift_difference"] == pytest.approx(2 / 3)
    assert math.isnan(row["lift_ratio"])  # 2/3 divided by 0: undefined, never inf
    assert row["phi"] == pytest.approx(2 / math.sqrt(12))
    assert row["z"] == pytest.approx(2 / math.sqrt(12) * 2)
    # with min_group_size 2 the not-reached group (1 customer) is too small
    assert magic_moment_search(ev, outcomes, thresholds=(1,), windows=(7,), min_group_size=2).empty


def _planted_company(seed: int = 11, n: int = 800):
    """Synthetic signups where 'invite_teammate >= 3 within 14 days' drives retention."""
    rng = np.random.default_rng(seed)
    ids = [f"c{i:04d}" for i in range(n)]
    signup = T("2024-01-01") + pd.to_timedelta(rng.integers(0, 120 * 24, n), unit="h")
    good = rng.random(n) < 0.45
    rows = []
    for i in range(n):
        s = signup[i]
        if good[i]:
            k = int(rng.integers(3, 7))
            # the third invite comes on day 2..12, so a 7-day window misses some of them
            days = np.sort(rng.uniform(0.0, 12.5, k))
        else:
            k = int(rng.integers(0, 3))  # at most two invites within 14 days
            days = rng.uniform(0.0, 13.5, k)
            if rng.random() < 0.3:  # some invite more later, reaching 3 only by day 30
                days = np.concatenate([days, rng.uniform(15.0, 29.0, 3)])
        rows += [(ids[i], "invite_teammate", s + pd.Timedelta(days=float(d))) for d in days]
        rows += [(ids[i], "login", s + pd.Timedelta(days=float(d))) for d in rng.uniform(0, 30, rng.integers(0, 12))]
        rows += [(ids[i], "create_project", s + pd.Timedelta(days=float(d))) for d in rng.uniform(0, 30, rng.integers(0, 4))]
    retained_flag = np.where(good, rng.random(n) < 0.85, rng.random(n) < 0.25)
    events = pd.DataFrame(rows, columns=["customer_id", "event", "timestamp"])
    events["timestamp"] = events["timestamp"].astype("datetime64[ns]")
    events = events.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # order must not matter
    customers = pd.DataFrame({"customer_id": ids, "segment": "SMB", "signup_date": signup.astype("datetime64[ns]")})
    end = [pd.NaT if r else s + pd.Timedelta(days=int(d)) for r, s, d in zip(retained_flag, signup, rng.integers(5, 80, n))]
    subs = pd.DataFrame(
        {
            "customer_id": ids, "subscription_id": ids, "start_date": signup.astype("datetime64[ns]"),
            "end_date": pd.to_datetime(pd.Series(end)).astype("datetime64[ns]"), "amount": 3000.0,
            "billing_period": "month", "plan": "team", "currency": "JPY",
        }
    )
    return events, customers, subs


def test_magic_moment_search_finds_planted_rule():
    events, customers, subs = _planted_company()
    outcomes = customer_outcomes(customers, subs, "2025-01-01")
    assert outcomes["observable"].all()
    out = magic_moment_search(events, outcomes)
    assert out.iloc[0]["rule"] == "invite_teammate>=3@14d"
    assert out["rank"].tolist() == list(range(1, len(out) + 1))
    assert out["phi"].is_monotonic_decreasing
    assert (out[["reached", "not_reached"]] >= 30).all().all()
    assert "not" in out.attrs["caveat"] and "cause" in out.attrs["caveat"]
    # the top rule's counts agree with evaluate_rule + retention_by_activation
    act = evaluate_rule(events, customers, "invite_teammate>=3@14d")
    table = retention_by_activation(act, outcomes)
    assert out.iloc[0]["reached"] == table.loc[0, "customers"]
    assert out.iloc[0]["retained_reached"] == table.loc[0, "retained"]
    assert out.iloc[0]["z"] == pytest.approx(table.attrs["summary"]["z"])


def test_magic_moment_search_counts_match_evaluate_rule_for_every_candidate():
    events, customers, subs = _planted_company(seed=3, n=300)
    outcomes = customer_outcomes(customers, subs, "2025-01-01")
    out = magic_moment_search(events, outcomes, min_group_size=1)
    for _, row in out.sample(12, random_state=1).iterrows():
        act = evaluate_rule(events, customers, row["rule"])
        assert int(act["activated"].sum()) == row["reached"], row["rule"]


def test_magic_moment_search_parameters():
    events, customers, subs = _planted_company(seed=5, n=120)
    outcomes = customer_outcomes(customers, subs, "2025-01-01")
    only = magic_moment_search(events, outcomes, events_to_try=["login"], min_group_size=1)
    assert set(only["event"]) == {"login"}
    with pytest.raises(ParameterError) as err:
        magic_moment_search(events, outcomes, events_to_try=["follow"])
    assert "create_project, invite_teammate, login" in str(err.value)
    with pytest.raises(ParameterError):
        magic_moment_search(events, outcomes, thresholds=(0, 1))
    with pytest.raises(ParameterError):
        magic_moment_search(events, outcomes, windows=())
    assert magic_moment_search(events.iloc[0:0], outcomes).empty


# ------------------------------------------------------------------ early churn


def test_early_churn_shares_hand_example():
    # six churned customers lost 10, 30, 31, 45, 60 and 100 days after signup; two never churned
    outcomes = pd.DataFrame(
        {
            "churned": [True] * 6 + [False] * 2,
            "days_to_churn": [10.0, 30.0, 31.0, 45.0, 60.0, 100.0, np.nan, np.nan],
        }
    )
    out = early_churn_shares(outcomes)
    assert out["days"].tolist() == [30, 45, 90]
    assert out["churned_within"].tolist() == [2, 4, 5]  # day 30 and day 45 are inclusive
    assert out["churned"].tolist() == [6, 6, 6]
    assert out["share"].tolist() == pytest.approx([2 / 6, 4 / 6, 5 / 6])


def test_early_churn_seed_004_case_65_percent_within_45_days():
    # seed 004's case: about 65% of churn within the first 45 days -> 13 of 20 churned customers
    days = [5.0] * 8 + [40.0] * 5 + [60.0] * 7
    out = early_churn_shares(pd.DataFrame({"churned": True, "days_to_churn": days}), days=(30, 45))
    assert out["share"].tolist() == pytest.approx([0.40, 0.65])


def test_early_churn_shares_end_to_end_and_no_churn():
    outcomes = customer_outcomes(OUT_CUSTOMERS, OUT_SUBS, "2024-07-01")
    out = early_churn_shares(outcomes, days=(45, 90))
    # churned: B (45 days), C (90), C2 (91)
    assert out["churned_within"].tolist() == [1, 2] and out["churned"].tolist() == [3, 3]
    none = early_churn_shares(pd.DataFrame({"churned": [False], "days_to_churn": [np.nan]}))
    assert none["share"].isna().all()


# ---------------------------------------------------------------- time to value


def test_time_to_first_value_hand_example():
    act = pd.DataFrame(
        {
            "customer_id": list("abcde"),
            "activated": [True, True, True, True, False],
            "days_to_activation": [0.5, 1.5, 1.7, 3.2, np.nan],
        }
    )
    act.attrs["rule"] = ActivationRule("invite", 3, 5)
    out = time_to_first_value(act)
    assert out["days_from"].tolist() == [0, 1, 2, 3, 4]
    assert out["customers"].tolist() == [1, 2, 0, 1, 0]
    assert out["share"].tolist() == pytest.approx([0.25, 0.5, 0.0, 0.25, 0.0])
    assert out["cumulative_share"].iloc[-1] == pytest.approx(1.0)
    s = out.attrs["summary"]
    assert (s["customers"], s["activated"]) == (5, 4)
    assert s["activation_rate"] == pytest.approx(0.8)
    # sorted 0.5, 1.5, 1.7, 3.2 with linear interpolation at positions 0.75, 1.5, 2.25, 2.7
    assert s["p25"] == pytest.approx(1.25)
    assert s["median"] == pytest.approx(1.6)
    assert s["p75"] == pytest.approx(2.075)
    assert s["p90"] == pytest.approx(2.75)
    assert s["mean"] == pytest.approx(1.725)


def test_time_to_first_value_nobody_activated():
    act = pd.DataFrame({"activated": [False, False], "days_to_activation": [np.nan, np.nan]})
    out = time_to_first_value(act)
    assert out["customers"].sum() == 0
    assert math.isnan(out.attrs["summary"]["median"])
    with pytest.raises(ParameterError):
        time_to_first_value(act, bin_days=0)


# ----------------------------------------------------------------------- funnel

FUNNEL_CUSTOMERS = customers_frame([(c, "2024-01-01") for c in "abcde"])
FUNNEL_EVENTS = events_frame(
    [
        ("a", "create_channel", "2024-01-01T00:05"), ("a", "invite", "2024-01-01T00:06"),
        ("a", "message", "2024-01-01T00:07"), ("a", "message", "2024-01-02T00:00"),
        ("b", "create_channel", "2024-01-01T00:05"), ("b", "message", "2024-01-01T00:09"),  # never invites
        ("c", "invite", "2024-01-02T00:00"), ("c", "create_channel", "2024-01-03T00:00"),  # out of order
        ("c", "message", "2024-01-04T00:00"),
        ("e", "create_channel", "2024-01-31T00:00"),  # day 30: outside the 30-day window
    ]
)


def test_onboarding_funnel_any_order_hand_example():
    # step 1 create_channel: a, b, c; step 2 (+ invite): a, c; step 3 (+ message): a, c; d and e: nothing
    out = onboarding_funnel(FUNNEL_EVENTS, FUNNEL_CUSTOMERS, ["create_channel", "invite", "message"])
    assert out["step"].tolist() == ["(signup)", "create_channel", "invite", "message"]
    assert out["customers"].tolist() == [5, 3, 2, 2]
    assert out["conversion_from_previous"].iloc[1:].tolist() == pytest.approx([0.6, 2 / 3, 1.0])
    assert math.isnan(out["conversion_from_previous"].iloc[0])
    assert out["conversion_from_start"].tolist() == pytest.approx([1.0, 0.6, 0.4, 0.4])


def test_onboarding_funnel_in_order():
    # c invited before creating the channel: in order, c stops after step 1
    out = onboarding_funnel(FUNNEL_EVENTS, FUNNEL_CUSTOMERS, ["create_channel", "invite", "message"], ordered=True)
    assert out["customers"].tolist() == [5, 3, 1, 1]


def test_onboarding_funnel_window_and_errors():
    out = onboarding_funnel(FUNNEL_EVENTS, FUNNEL_CUSTOMERS, ["create_channel"], window_days=31)
    assert out["customers"].tolist() == [5, 4]  # e's day-30 channel counts with a 31-day window
    with pytest.raises(ParameterError) as err:
        onboarding_funnel(FUNNEL_EVENTS, FUNNEL_CUSTOMERS, ["create_channel", "send_first_message"])
    assert "known event names: create_channel, invite, message" in str(err.value)
    with pytest.raises(ParameterError):
        onboarding_funnel(FUNNEL_EVENTS, FUNNEL_CUSTOMERS, ["invite", "invite"])
    with pytest.raises(ParameterError):
        onboarding_funnel(FUNNEL_EVENTS, FUNNEL_CUSTOMERS, [])
    empty = onboarding_funnel(FUNNEL_EVENTS.iloc[0:0], FUNNEL_CUSTOMERS, ["create_channel", "invite"])
    assert empty["customers"].tolist() == [5, 0, 0]


def test_magic_moment_search_counts_match_a_brute_force_count():
    """Every candidate's reached / retained-reached counts against a plain Python count,
    on events with ties and sub-second timestamps (the packed sort must stay exact)."""
    events, customers, subs = _planted_company(seed=8, n=200)
    jitter = pd.to_timedelta(np.random.default_rng(8).integers(0, 1000, len(events)), unit="ms")
    events = pd.concat([events.assign(timestamp=events["timestamp"] + jitter), events.iloc[:40]], ignore_index=True)
    outcomes = customer_outcomes(customers, subs, "2025-01-01")
    out = magic_moment_search(events, outcomes, min_group_size=1).set_index("rule")
    obs = outcomes[outcomes["observable"] & outcomes["retained"].notna()]
    by_customer = {}
    for c, e, t in zip(events["customer_id"], events["event"], events["timestamp"]):
        by_customer.setdefault((c, e), []).append(t)
    checked = 0
    for event in ("invite_teammate", "login", "create_project"):
        for threshold in (1, 2, 3, 5, 10):
            for window in (7, 14, 30):
                reached = retained = 0
                for c, signup, kept in zip(obs["customer_id"], obs["signup_date"], obs["retained"]):
                    inside = [t for t in by_customer.get((c, event), [])
                              if signup <= t < signup + pd.Timedelta(days=window)]
                    if len(inside) >= threshold:
                        reached += 1
                        retained += bool(kept)
                rule = f"{event}>={threshold}@{window}d"
                if rule in out.index:
                    assert (out.at[rule, "reached"], out.at[rule, "retained_reached"]) == (reached, retained), rule
                    checked += 1
                else:  # dropped only when a group is empty (min_group_size=1)
                    assert reached in (0, len(obs)), rule
    assert checked > 20


@pytest.mark.parametrize("seed", range(6))
def test_sort_pairs_orders_by_group_then_delay(seed):
    """Packed path (small ranges, any time unit) and fallback path (huge ranges) alike."""
    from saas_kit.activation.frames import sort_pairs

    rng = np.random.default_rng(seed)
    n = 500
    unit = [1, 1_000, 1_000_000, 1_000_000_000][seed % 4]
    group = rng.integers(-5, 40, n) if seed < 4 else rng.integers(0, 2**40, n)
    delay = rng.integers(-3, 30 * 86_400, n) * unit if seed < 4 else rng.integers(0, 2**50, n)
    g, d = sort_pairs(group, delay)
    order = np.lexsort((delay, group))
    assert g.tolist() == group[order].tolist() and d.tolist() == delay[order].tolist()


def test_magic_moment_search_in_chunks_equals_one_pass(monkeypatch):
    """The per-row steps run a million events at a time; tiny chunks give the same table."""
    import saas_kit.rows as rows

    events, customers, subs = _planted_company(seed=4, n=150)
    outcomes = customer_outcomes(customers, subs, "2025-01-01")
    whole = magic_moment_search(events, outcomes, min_group_size=1)
    monkeypatch.setattr(rows, "CHUNK_ROWS", 37)
    assert len(events) > 37 * 5
    pd.testing.assert_frame_equal(magic_moment_search(events, outcomes, min_group_size=1), whole)
    only = magic_moment_search(events, outcomes, events_to_try=["login"], min_group_size=1)
    monkeypatch.setattr(rows, "CHUNK_ROWS", 1 << 20)
    pd.testing.assert_frame_equal(magic_moment_search(events, outcomes, events_to_try=["login"], min_group_size=1), only)
