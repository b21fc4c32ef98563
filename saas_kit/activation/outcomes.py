"""Who stayed and who activated: retention outcomes per customer, a rule evaluated per customer,
activation rates by signup cohort and retention of activated against not (metrics.md §7, seed 004)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from saas_kit.activation.frames import (SignupIndex, DAY_NS, FAR_FUTURE, NAT_I8, check_event_names,
    check_events_frame, events_in_window, ns_values, rank_within_groups, require_columns, sort_pairs, timestamp,
    to_datetime_ns)
from saas_kit.activation.rule import ActivationRule, positive_int
from saas_kit.activation.stats import ratio, two_proportion_z_test, wilson_interval
from saas_kit.errors import DataError, ParameterError


def customer_outcomes(
    customers: pd.DataFrame,
    subscriptions: pd.DataFrame,
    as_of: object,
    retention_days: int = 90,
) -> pd.DataFrame:
    """What became of each customer by ``as_of``: paid, churned, retained (metrics.md §7, seed 004).

    One row per customer of ``customers`` (same order) with:

    * ``signup_date``;
    * ``first_paid``: earliest ``start_date`` of a paid subscription (``amount > 0``),
      NaT for customers who never paid;
    * ``active_at_as_of``: a paid subscription is active at ``as_of``
      (``start_date <= as_of < end_date``);
    * ``churned`` / ``churn_date``: a customer who paid but has no active subscription at
      ``as_of`` churned; ``churn_date`` is the latest ``end_date``, i.e. the end of the
      last paid day (``end_date`` is exclusive). NaT otherwise, also for reactivated
      customers who are active again;
    * ``days_to_churn = (churn_date - signup_date)`` in days (float);
    * ``observable = signup_date + retention_days <= as_of``;
    * ``retained``: a paid subscription is active at ``signup_date + retention_days``
      (nullable boolean; NA when not observable). SignupIndex who never paid count as
      not retained.

    Subscriptions that start after ``as_of`` and subscriptions of customers missing from
    ``customers`` are ignored.
    """
    as_of_ts = timestamp(as_of, "as_of")
    retention_days = positive_int(retention_days, "retention_days")
    cust = SignupIndex(customers)
    require_columns(subscriptions, ("customer_id", "start_date"), "subscriptions")
    as_of_ns = as_of_ts.value

    start = ns_values(subscriptions["start_date"], "subscriptions", "start_date", allow_nat=False)
    if "end_date" in subscriptions.columns:
        end = ns_values(subscriptions["end_date"], "subscriptions", "end_date", allow_nat=True).copy()
        end[end == NAT_I8] = FAR_FUTURE
    else:
        end = np.full(len(subscriptions), FAR_FUTURE, dtype="int64")
    codes = cust.codes(subscriptions["customer_id"]) if len(subscriptions) else np.empty(0, "int64")
    keep = (codes >= 0) & (start <= as_of_ns)
    if "amount" in subscriptions.columns:
        amount = pd.to_numeric(subscriptions["amount"], errors="coerce").to_numpy(dtype="float64")
        keep &= amount > 0
    codes, start, end = codes[keep], start[keep], end[keep]

    check_ns = cust.signup_ns + retention_days * DAY_NS
    ck = check_ns[codes]
    per_sub = pd.DataFrame(
        {
            "code": codes,
            "start": start,
            "end": end,
            "active_now": (start <= as_of_ns) & (as_of_ns < end),
            "active_check": (start <= ck) & (ck < end),
        }
    )
    agg = per_sub.groupby("code", sort=False).agg(
        first=("start", "min"), last_end=("end", "max"),
        active_now=("active_now", "max"), active_check=("active_check", "max"),
    )
    idx = agg.index.to_numpy(dtype="int64")

    first_paid = np.full(cust.n, NAT_I8, dtype="int64")
    first_paid[idx] = agg["first"].to_numpy()
    active_now = np.zeros(cust.n, dtype=bool)
    active_now[idx] = agg["active_now"].to_numpy(dtype=bool)
    active_check = np.zeros(cust.n, dtype=bool)
    active_check[idx] = agg["active_check"].to_numpy(dtype=bool)
    churned = np.zeros(cust.n, dtype=bool)
    churned[idx] = ~agg["active_now"].to_numpy(dtype=bool)
    churn_ns = np.full(cust.n, NAT_I8, dtype="int64")
    churn_ns[idx] = np.where(agg["active_now"].to_numpy(dtype=bool), NAT_I8, agg["last_end"].to_numpy())

    observable = check_ns <= as_of_ns
    retained = pd.array(np.where(observable, active_check, False), dtype="boolean")
    retained[~observable] = pd.NA

    signup = to_datetime_ns(cust.signup_ns)
    churn_dt = to_datetime_ns(churn_ns)
    out = pd.DataFrame(
        {
            "customer_id": cust.ids.to_numpy(),
            "signup_date": signup,
            "first_paid": to_datetime_ns(first_paid),
            "active_at_as_of": active_now,
            "churned": churned,
            "churn_date": churn_dt,
            "days_to_churn": (pd.Series(churn_dt) - pd.Series(signup)) / pd.Timedelta(days=1),
            "observable": observable,
            "retained": retained,
        }
    )
    out.attrs["as_of"] = as_of_ts
    out.attrs["retention_days"] = retention_days
    return out


# ----------------------------------------------------------------- activation


def evaluate_rule(
    events: pd.DataFrame,
    customers: pd.DataFrame,
    rule: ActivationRule | str,
    as_of: object = None,
) -> pd.DataFrame:
    """Which customers met an activation rule, and when (metrics.md §7, seed 004).

    One row per customer of ``customers`` (same order):

    * ``event_count``: rows of ``rule.event`` in ``[signup_date, signup_date + window_days)``;
    * ``activated = event_count >= rule.min_count``;
    * ``activated_at``: timestamp of the ``min_count``-th such event (NaT if not activated);
    * ``days_to_activation = (activated_at - signup_date)`` in days (float);
    * ``window_complete``: ``signup_date + window_days <= as_of``. SignupIndex whose window
      is still open may activate later, so recent cohorts look worse than they will be.
      ``as_of`` defaults to the latest timestamp in ``events`` (NA if there are none).

    SignupIndex with no events are not activated; an empty ``events`` frame activates
    nobody. An event name that never occurs in a non-empty ``events`` frame raises
    ParameterError listing the known names. ``rule`` may be the text form
    ``"event>=3@14d"``. ``out.attrs["rule"]`` holds the rule.
    """
    rule = ActivationRule.parse(rule) if isinstance(rule, str) else rule
    if not isinstance(rule, ActivationRule):
        raise ParameterError(f"rule must be an ActivationRule or text like 'event>=3@14d', got {rule!r}")
    check_events_frame(events)
    cust = SignupIndex(customers)

    mask = (events["event"] == rule.event).to_numpy(dtype=bool, na_value=False) if len(events) else None
    if mask is not None and not mask.any():
        check_event_names([rule.event], events, "activation event")
    sub = events.loc[mask, ["customer_id", "timestamp"]] if mask is not None else events.iloc[0:0]
    _, codes, delay = events_in_window(sub, cust, rule.window_days)

    codes, delay = sort_pairs(codes, delay)
    rank = rank_within_groups(codes)
    hit = rank == rule.min_count - 1
    act_delay = np.full(cust.n, NAT_I8, dtype="int64")
    act_delay[codes[hit]] = delay[hit]
    activated = act_delay != NAT_I8
    activated_at = np.where(activated, cust.signup_ns + np.where(activated, act_delay, 0), NAT_I8)

    if as_of is None:
        ts = events["timestamp"] if len(events) else pd.Series([], dtype="datetime64[ns]")
        as_of_ts = ts.max() if len(ts) else pd.NaT
        as_of_ts = pd.NaT if pd.isna(as_of_ts) else pd.Timestamp(as_of_ts).as_unit("ns")
    else:
        as_of_ts = timestamp(as_of, "as_of")
    if as_of_ts is pd.NaT:
        complete = pd.array([pd.NA] * cust.n, dtype="boolean")
    else:
        complete = pd.array(cust.signup_ns + rule.window_days * DAY_NS <= as_of_ts.value, dtype="boolean")

    out = pd.DataFrame(
        {
            "customer_id": cust.ids.to_numpy(),
            "signup_date": to_datetime_ns(cust.signup_ns),
            "event_count": np.bincount(codes, minlength=cust.n).astype("int64"),
            "activated": activated,
            "activated_at": to_datetime_ns(activated_at),
            "days_to_activation": np.where(activated, act_delay / DAY_NS, np.nan),
            "window_complete": complete,
        }
    )
    out.attrs["rule"] = rule
    out.attrs["as_of"] = as_of_ts
    return out


def activation_rate_by_cohort(
    activation: pd.DataFrame, customers: pd.DataFrame, freq: str = "M"
) -> pd.DataFrame:
    """Activation rate per signup cohort: ``activated / signups`` (metrics.md §7, seed 004).

    Cohort = the period (``freq``: "M" month, "Q" quarter, "Y" year, "W" week) of the
    customer's ``signup_date`` in ``customers``; only customers present in both frames
    count. Columns: ``cohort`` (Period), ``signups``, ``activated``, ``rate`` (NaN for
    a cohort with no signups; empty periods between the first and last cohort are
    shown with 0 signups) and ``open_windows``: signups whose activation window had not
    closed at the data's ``as_of`` — their cohort's rate is still a lower bound.
    """
    require_columns(activation, ("customer_id", "activated"), "activation")
    cust = SignupIndex(customers)
    codes = cust.codes(activation["customer_id"])
    keep = codes >= 0
    signup = pd.Series(to_datetime_ns(cust.signup_ns[codes[keep]]))
    try:
        ordinals = signup.dt.to_period(freq).array.asi8
        lo, hi = (int(ordinals.min()), int(ordinals.max())) if len(ordinals) else (0, -1)
        full = pd.PeriodIndex.from_ordinals(np.arange(lo, hi + 1, dtype="int64"), freq=freq)
    except (ValueError, TypeError, AttributeError) as exc:
        raise ParameterError(f"freq must be a period frequency such as 'M', 'Q' or 'Y', got {freq!r}") from exc
    act = activation["activated"].to_numpy(dtype=bool, na_value=False)[keep]
    if "window_complete" in activation.columns:
        open_w = (activation["window_complete"] == False).to_numpy(dtype=bool, na_value=False)[keep]  # noqa: E712
    else:
        open_w = np.zeros(int(keep.sum()), dtype=bool)
    slot = ordinals - lo
    size = hi - lo + 1
    out = pd.DataFrame(
        {
            "cohort": full,
            "signups": np.bincount(slot, minlength=size).astype("int64"),
            "activated": np.bincount(slot[act], minlength=size).astype("int64"),
        }
    )
    out["rate"] = ratio(out["activated"], out["signups"])
    out["open_windows"] = np.bincount(slot[open_w], minlength=size).astype("int64")
    return out


def _observable_pairs(activation: pd.DataFrame, outcomes: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, int]:
    require_columns(activation, ("customer_id", "activated"), "activation")
    require_columns(outcomes, ("customer_id", "observable", "retained"), "outcomes")
    ids = pd.Index(outcomes["customer_id"].to_numpy())
    if not ids.is_unique:
        raise DataError("outcomes has duplicate customer_id values", column="customer_id")
    pos = ids.get_indexer(activation["customer_id"].to_numpy())
    found = pos >= 0
    observable = outcomes["observable"].to_numpy(dtype=bool, na_value=False)
    retained_all = outcomes["retained"].to_numpy(dtype=bool, na_value=False)
    known_ret = outcomes["retained"].notna().to_numpy()
    p = pos[found]
    use = observable[p] & known_ret[p]
    act = activation["activated"].to_numpy(dtype=bool, na_value=False)[found][use]
    ret = retained_all[p][use]
    return act, ret, int(found.sum() - use.sum())


def retention_by_activation(activation: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """Retention of activated vs not-activated customers, with 95% Wilson intervals (metrics.md §7, seed 004).

    **Only observable customers count** (``outcomes.observable``: signup at least
    ``retention_days`` before ``as_of``), because retention of the others is not known
    yet; customers in ``activation`` but not in ``outcomes`` are left out too.

    Two rows, ``group`` = "activated" / "not activated": ``customers`` (n),
    ``retained`` (k), ``rate = k / n`` and ``ci_low`` / ``ci_high`` (Wilson score
    interval, see :func:`wilson_interval`). ``out.attrs["summary"]`` holds
    ``observable_customers``, ``excluded_customers`` (not observable), ``rate_activated``,
    ``rate_not_activated``, ``lift_difference = rate_activated - rate_not_activated``,
    ``lift_ratio = rate_activated / rate_not_activated``, and the pooled two-proportion
    ``z`` and two-sided ``p_value`` (:func:`two_proportion_z_test`). Undefined values are NaN.
    """
    act, ret, excluded = _observable_pairs(activation, outcomes)
    rows = []
    for label, sel in (("activated", act), ("not activated", ~act)):
        n = int(sel.sum())
        k = int(ret[sel].sum())
        lo, hi = wilson_interval(k, n)
        rows.append({"group": label, "customers": n, "retained": k, "rate": ratio(k, n), "ci_low": lo, "ci_high": hi})
    out = pd.DataFrame(rows)
    (n1, k1), (n0, k0) = out[["customers", "retained"]].to_numpy().tolist()
    r1, r0 = out["rate"].tolist()
    z, p = two_proportion_z_test(k1, n1, k0, n0)
    out.attrs["summary"] = {
        "observable_customers": int(n1 + n0),
        "excluded_customers": excluded,
        "rate_activated": r1,
        "rate_not_activated": r0,
        "lift_difference": r1 - r0,
        "lift_ratio": ratio(r1, r0) if not (math.isnan(r1) or math.isnan(r0)) else float("nan"),
        "z": z,
        "p_value": p,
    }
    if "rule" in activation.attrs:
        out.attrs["rule"] = activation.attrs["rule"]
    return out
