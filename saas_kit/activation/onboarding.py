"""Early churn, time to first value and the onboarding funnel (metrics.md §7, seed 004)."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd

from saas_kit.activation.frames import (SignupIndex, check_event_names, check_events_frame, events_in_window,
    index_in, event_name_index, rank_within_groups, require_columns, sort_pairs, sorted_positive_ints)
from saas_kit.activation.rule import ActivationRule, positive_int
from saas_kit.activation.stats import ratio
from saas_kit.errors import ParameterError


def early_churn_shares(outcomes: pd.DataFrame, days: Sequence[int] = (30, 45, 90)) -> pd.DataFrame:
    """Share of churned customers lost within ``d`` days of signup (metrics.md §6 and §7, seed 004).

    Among customers with ``churned`` true, ``churned_within = #(days_to_churn <= d)``
    (inclusive: a customer whose exclusive ``end_date`` is exactly 30 days after signup,
    i.e. whose last paid day is day 30, counts as lost within 30 days), and
    ``share = churned_within / churned`` (NaN when nobody churned). Seed 004's benchmark:
    40-60% of churn in the first 30 days; one case, about 65% within 45 days.

    Columns: ``days``, ``churned_within``, ``churned``, ``share``. Recent signups can only
    have churned early, so a young customer base overstates the share.
    """
    require_columns(outcomes, ("days_to_churn",), "outcomes")
    d = sorted_positive_ints(days, "days")
    if "churned" in outcomes.columns:
        churned = outcomes["churned"].to_numpy(dtype=bool, na_value=False)
    else:
        churned = outcomes["days_to_churn"].notna().to_numpy()
    dtc = outcomes["days_to_churn"].to_numpy(dtype="float64", na_value=np.nan)[churned]
    total = int(churned.sum())
    within = np.array([int((dtc <= x).sum()) for x in d], dtype="int64")
    return pd.DataFrame(
        {"days": d, "churned_within": within, "churned": total, "share": ratio(within, total)}
    )


# --------------------------------------------------------------- time to value


def time_to_first_value(activation: pd.DataFrame, bin_days: float = 1.0) -> pd.DataFrame:
    """Distribution of days from signup to activation, "time to first value" (metrics.md §7, seed 004).

    Uses activated customers' ``days_to_activation`` (fractional days). Returns a
    histogram-ready frame with one row per bin ``[days_from, days_to)`` of width
    ``bin_days`` (default: whole days; bins run from 0 to the rule's window when
    ``activation.attrs["rule"]`` is set, else to the largest value): ``customers``,
    ``share`` of activated customers and ``cumulative_share``.

    ``out.attrs["summary"]`` holds ``customers``, ``activated``, ``activation_rate``,
    ``mean``, ``median``, ``p25``, ``p75``, ``p90`` (days; quantiles by linear
    interpolation, NaN when nobody activated).
    """
    require_columns(activation, ("activated", "days_to_activation"), "activation")
    if not isinstance(bin_days, (int, float, np.integer, np.floating)) or not bin_days > 0 or isinstance(bin_days, bool):
        raise ParameterError(f"bin_days must be a positive number, got {bin_days!r}")
    act = activation["activated"].to_numpy(dtype=bool, na_value=False)
    vals = activation["days_to_activation"].to_numpy(dtype="float64", na_value=np.nan)[act]
    vals = vals[~np.isnan(vals)]
    rule = activation.attrs.get("rule")
    upper = float(rule.window_days) if isinstance(rule, ActivationRule) else (float(vals.max()) if len(vals) else 0.0)
    upper = max(upper, float(vals.max()) if len(vals) else 0.0)
    n_bins = max(1, int(math.ceil(upper / bin_days - 1e-12)))
    edges = np.arange(n_bins + 1, dtype="float64") * bin_days
    if len(vals) and vals.max() >= edges[-1]:  # a value exactly on the top edge gets a bin of its own
        edges = np.append(edges, edges[-1] + bin_days)
    idx = np.minimum(np.floor(vals / bin_days).astype("int64"), len(edges) - 2)
    counts = np.bincount(idx, minlength=len(edges) - 1).astype("int64")
    share = ratio(counts, len(vals))
    out = pd.DataFrame(
        {
            "days_from": edges[:-1],
            "days_to": edges[1:],
            "customers": counts,
            "share": share,
            "cumulative_share": ratio(np.cumsum(counts), len(vals)),
        }
    )

    def q(p: float) -> float:
        return float(np.quantile(vals, p)) if len(vals) else float("nan")

    out.attrs["summary"] = {
        "customers": int(len(act)),
        "activated": int(len(vals)),
        "activation_rate": ratio(len(vals), len(act)),
        "mean": float(vals.mean()) if len(vals) else float("nan"),
        "median": q(0.5),
        "p25": q(0.25),
        "p75": q(0.75),
        "p90": q(0.9),
    }
    return out


# --------------------------------------------------------------------- funnel


def onboarding_funnel(
    events: pd.DataFrame,
    customers: pd.DataFrame,
    steps: Sequence[str],
    window_days: int = 30,
    ordered: bool = False,
) -> pd.DataFrame:
    """Conversion through onboarding steps within ``window_days`` of signup (metrics.md §7, seed 004).

    Seed 004's Slack example: create account, name the team, first channel, invite
    teammates, first message. A customer *reaches* step ``k`` when they did every step
    ``1..k`` at least once in ``[signup, signup + window_days)``:

    * ``ordered=False`` (default): in any order — doing step 3 without step 2 does not
      count for step 3 (a step is only reached on top of all earlier ones);
    * ``ordered=True``: in the listed order — each step's first occurrence at or after
      the time the previous step was reached (equal timestamps are accepted).

    Row 0 is ``"(signup)"`` with every customer in ``customers`` (the start). Columns:
    ``step_number``, ``step``, ``customers``, ``conversion_from_previous =
    customers_k / customers_{k-1}`` and ``conversion_from_start = customers_k /
    signups`` (NaN when the denominator is 0). Unknown step names raise ParameterError
    listing the known event names; duplicate steps are a ParameterError.
    """
    steps = funnel_steps(steps)
    window_days = positive_int(window_days, "window_days")
    check_events_frame(events)
    cust = SignupIndex(customers)
    check_event_names(steps, events, "funnel step")

    ev = events.loc[events["event"].isin(steps).to_numpy(dtype=bool, na_value=False)] if len(events) else events
    pos, codes, delay = events_in_window(ev, cust, window_days)
    if len(pos):
        step_code = index_in(ev["event"], event_name_index(steps, ev["event"]))[pos]
    else:
        step_code = np.empty(0, dtype="int64")

    counts = []
    if not ordered:
        has = np.zeros((cust.n, len(steps)), dtype=bool)
        has[codes, step_code] = True
        reach = np.logical_and.accumulate(has, axis=1)
        counts = reach.sum(axis=0).astype("int64").tolist()
    else:
        prev = np.zeros(cust.n, dtype="int64")  # delay at which the previous step was reached
        reached = np.ones(cust.n, dtype=bool)
        for k in range(len(steps)):
            sel = step_code == k
            c, d = codes[sel], delay[sel]
            ok = reached[c] & (d >= prev[c])
            c, d = c[ok], d[ok]
            c, d = sort_pairs(c, d)
            first = rank_within_groups(c) == 0
            new_prev = np.zeros(cust.n, dtype="int64")
            new_prev[c[first]] = d[first]
            now = np.zeros(cust.n, dtype=bool)
            now[c[first]] = True
            reached, prev = now, new_prev
            counts.append(int(reached.sum()))

    all_counts = np.asarray([cust.n] + counts, dtype="int64")
    prev_counts = np.concatenate([[np.nan], all_counts[:-1]]).astype("float64")
    out = pd.DataFrame(
        {
            "step_number": np.arange(len(all_counts), dtype="int64"),
            "step": ["(signup)"] + steps,
            "customers": all_counts,
            "conversion_from_previous": ratio(all_counts, prev_counts),
            "conversion_from_start": ratio(all_counts, cust.n),
        }
    )
    out.loc[0, "conversion_from_previous"] = np.nan
    return out


def funnel_steps(steps: Sequence[str]) -> list[str]:
    """The funnel's step names checked: a list (not one string) of at least one event,
    none repeated. ParameterError otherwise. Shared by both engines."""
    if isinstance(steps, str) or not isinstance(steps, Sequence):
        raise ParameterError(f"steps must be a list of event names, got {steps!r}")
    steps = [str(s) for s in steps]
    if not steps:
        raise ParameterError("steps must name at least one event")
    if len(set(steps)) != len(steps):
        raise ParameterError(f"steps must not repeat an event: {steps}")
    return steps
