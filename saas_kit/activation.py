"""Onboarding activation: rules, magic-moment search, early churn, time to value (metrics.md §7, seed 004).

Seed 004 argues that the first weeks decide whether a customer stays: 40-60% of all
churn happens in the first 30 days, one B2B case lost about 65% of its churned
customers within 45 days, and customers who reach a product's "magic moment" (X:
follow 5 accounts; Facebook: 7 friends in 10 days; Dropbox: first file synced; Zoom:
first meeting) keep paying far more often than those who do not. This module measures
those claims on the canonical ``customers``, ``subscriptions`` and ``events`` frames.

Conventions used by every function here (write them on the methodology page):

* **Windows start at signup and are half-open.** A rule's window of ``N`` days covers
  ``signup_date <= timestamp < signup_date + N days``. With a midnight signup on
  1 January, a 14-day window ends just before 15 January 00:00: an event at
  14 January 23:59 counts, one at 15 January 00:00 does not. Events before signup are
  ignored; so are events of customers missing from ``customers``.
* **Counts are event rows**, not distinct users or days: "invite_teammate >= 3" means
  three ``invite_teammate`` rows inside the window (``user_id`` is not used).
* **Retention** is "still has a paid subscription (``amount > 0``) active on
  ``signup_date + retention_days``" (default 90, seed 004's "still paying 90 days
  after signup"); a subscription is active at instant ``t`` when
  ``start_date <= t < end_date`` (``end_date`` exclusive, NaT = still active).
  It is only known for customers whose check date is on or before ``as_of``
  (``observable``); all retention comparisons use observable customers only.
* Undefined ratios are NaN, never inf. Bad parameters raise
  :class:`~saas_kit.errors.ParameterError`, bad data :class:`~saas_kit.errors.DataError`.

Everything is vectorised: each function sorts or groups the events once
(``O(E log E)`` for ``E`` events) and never loops over customers, so it scales to
millions of customers and tens of millions of events.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from saas_kit.errors import DataError, ParameterError
from saas_kit.rows import chunks

__all__ = [
    "ActivationRule",
    "customer_outcomes",
    "evaluate_rule",
    "activation_rate_by_cohort",
    "retention_by_activation",
    "magic_moment_search",
    "early_churn_shares",
    "time_to_first_value",
    "onboarding_funnel",
    "wilson_interval",
    "two_proportion_z_test",
]

DAY_NS = 86_400 * 10**9
Z_95 = 1.959963984540054  # two-sided 95% normal quantile
_NAT_I8 = np.iinfo("int64").min
_FAR_FUTURE = np.iinfo("int64").max
_CAUSATION_CAVEAT = (
    "Reaching a rule is correlated with retention here; that does not show that making "
    "customers reach it would cause them to stay (seed 004's magic moments were found "
    "by correlation and then tested by changing onboarding)."
)

# --------------------------------------------------------------------------- rules

_RULE_RE = re.compile(
    r"^\s*(?P<event>[^@]+?)\s*(?:>=|≥)\s*(?P<count>\d+)\s*@\s*(?P<window>\d+)\s*(?:d|days?)\s*$"
)


def _positive_int(value: object, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ParameterError(f"{name} must be a whole number, got {value!r}")
    if int(value) < 1:
        raise ParameterError(f"{name} must be at least 1, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class ActivationRule:
    """"Did ``event`` at least ``min_count`` times within ``window_days`` days of signup" (metrics.md §7).

    Seed 004's examples read as rules: Facebook's "7 friends in 10 days" is
    ``ActivationRule("add_friend", 7, 10)``. ``str(rule)`` gives the compact text
    form ``"add_friend>=7@10d"`` that :meth:`parse` reads back.
    """

    event: str
    min_count: int
    window_days: int

    def __post_init__(self) -> None:
        if not isinstance(self.event, str) or not self.event.strip():
            raise ParameterError(f"activation rule event must be a non-empty name, got {self.event!r}")
        object.__setattr__(self, "event", self.event.strip())
        object.__setattr__(self, "min_count", _positive_int(self.min_count, "min_count"))
        object.__setattr__(self, "window_days", _positive_int(self.window_days, "window_days"))

    def describe(self) -> str:
        """Human-readable text, e.g. ``"invite_teammate ≥ 3 within 14 days"``."""
        unit = "day" if self.window_days == 1 else "days"
        return f"{self.event} ≥ {self.min_count} within {self.window_days} {unit}"

    def __str__(self) -> str:
        return f"{self.event}>={self.min_count}@{self.window_days}d"

    @classmethod
    def parse(cls, text: str) -> "ActivationRule":
        """Read ``"event>=count@Nd"`` (as passed in papermill parameters).

        Spaces around the parts, ``≥`` for ``>=`` and ``days`` for ``d`` are accepted:
        ``"invite_teammate >= 3 @ 14d"``. Anything else raises ParameterError.
        """
        if isinstance(text, cls):
            return text
        if not isinstance(text, str):
            raise ParameterError(f"activation rule must be text like 'invite_teammate>=3@14d', got {text!r}")
        m = _RULE_RE.match(text)
        if m is None:
            raise ParameterError(
                f"cannot read activation rule {text!r}: expected 'event>=count@<days>d', "
                "e.g. 'invite_teammate>=3@14d'"
            )
        return cls(m["event"], int(m["count"]), int(m["window"]))


# ------------------------------------------------------------------ statistics


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a proportion ``successes / n`` (default 95%).

    ``centre = (p + z²/2n) / (1 + z²/n)``, ``half = z / (1 + z²/n) * sqrt(p(1-p)/n + z²/4n²)``.
    Unlike ``p ± z·sqrt(p(1-p)/n)`` it stays inside [0, 1] and is sensible for small
    groups. Returns (NaN, NaN) when ``n == 0``. Used for retention of activated vs
    not activated customers (metrics.md §7: "how sure we are").
    """
    if n <= 0:
        return (float("nan"), float("nan"))
    p = successes / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return (max(0.0, centre - half), min(1.0, centre + half))


def two_proportion_z_test(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float]:
    """Pooled two-proportion z-test of ``k1/n1`` against ``k2/n2``: (z, two-sided p-value).

    ``p = (k1 + k2) / (n1 + n2)``, ``z = (k1/n1 - k2/n2) / sqrt(p(1-p)(1/n1 + 1/n2))``,
    p-value ``= 2(1 - Φ(|z|)) = erfc(|z| / √2)`` (``math.erfc``, the complement of
    ``math.erf``, keeps precision for large ``|z|``). Both are NaN when a group is empty
    or the pooled proportion is 0 or 1 (no variation: nothing to test).
    """
    if n1 <= 0 or n2 <= 0:
        return (float("nan"), float("nan"))
    pooled = (k1 + k2) / (n1 + n2)
    var = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if var <= 0:
        return (float("nan"), float("nan"))
    z = (k1 / n1 - k2 / n2) / math.sqrt(var)
    return (z, math.erfc(abs(z) / math.sqrt(2)))


def _ratio(num: np.ndarray | float, den: np.ndarray | float) -> np.ndarray | float:
    """num / den with NaN (never inf) where den == 0."""
    num_a = np.asarray(num, dtype="float64")
    den_a = np.asarray(den, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den_a != 0, num_a / np.where(den_a != 0, den_a, 1.0), np.nan)
    return float(out) if out.ndim == 0 else out


# ------------------------------------------------------------- input checking


def _require_columns(frame: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    for col in columns:
        if col not in frame.columns:
            raise DataError(f"{name} frame has no '{col}' column", column=col)


def _ns_values(series: pd.Series, name: str, column: str, allow_nat: bool) -> np.ndarray:
    """datetime column -> int64 nanoseconds (NaT -> int64 min)."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_localize(None)
    if not pd.api.types.is_datetime64_any_dtype(series.dtype):
        if len(series) == 0:
            return np.empty(0, dtype="int64")
        raise DataError(f"{name}.{column} must be datetime64, got {series.dtype}", column=column)
    values = series.to_numpy(dtype="datetime64[ns]").view("int64")
    if not allow_nat and len(values) and (values == _NAT_I8).any():
        bad = int((values == _NAT_I8).sum())
        raise DataError(f"{name}.{column} has {bad} empty value(s)", column=column)
    return values


def _to_datetime_ns(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype="int64").view("datetime64[ns]")


def _timestamp(value: object, name: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ParameterError(f"{name} must be a date, got {value!r}") from exc
    if ts is pd.NaT or pd.isna(ts):
        raise ParameterError(f"{name} must be a date, got {value!r}")
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.as_unit("ns")


class _Customers:
    """customer_id index and signup instants (int64 ns) of the customers frame."""

    def __init__(self, customers: pd.DataFrame) -> None:
        _require_columns(customers, ("customer_id", "signup_date"), "customers")
        ids = pd.Index(customers["customer_id"].array)
        if not ids.is_unique:
            dup = ids[ids.duplicated()].unique()[:5]
            raise DataError(f"customers has duplicate customer_id values {list(dup)}", column="customer_id")
        self.ids = ids
        self.signup_ns = _ns_values(customers["signup_date"], "customers", "signup_date", allow_nat=False)
        self.n = len(ids)

    def codes(self, customer_ids: pd.Series) -> np.ndarray:
        """Position of each id in ``customers`` (-1 when absent)."""
        return _index_in(customer_ids, self.ids)

    def signup_series(self) -> pd.Series:
        return pd.Series(_to_datetime_ns(self.signup_ns), name="signup_date")


def _check_events_frame(events: pd.DataFrame) -> None:
    _require_columns(events, ("customer_id", "event", "timestamp"), "events")


def _known_event_names(events: pd.DataFrame) -> list[str]:
    """The distinct event names, sorted (one hash pass; missing names left out)."""
    return sorted(str(v) for v in pd.unique(events["event"].to_numpy()) if not pd.isna(v))


def _check_event_names(names: Sequence[str], events: pd.DataFrame, what: str) -> None:
    """ParameterError listing the known names when one of ``names`` never occurs.

    An empty events frame has nothing to check against: every customer simply did nothing.
    """
    if len(events) == 0:
        return
    present = set(pd.unique(events["event"].dropna()))
    missing = [n for n in names if n not in present]
    if missing:
        known = _known_event_names(events)
        shown = ", ".join(known[:50]) + (f" ... ({len(known)} in all)" if len(known) > 50 else "")
        raise ParameterError(
            f"{what} {', '.join(repr(m) for m in missing)} not found in the events data; "
            f"known event names: {shown or '(none)'}"
        )


def _events_in_window(
    events: pd.DataFrame, cust: _Customers, window_days: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row positions, customer codes, delay ns since signup) of events inside the window.

    Keeps events of known customers with ``0 <= timestamp - signup < window_days`` days.
    """
    if len(events) == 0:
        empty = np.empty(0, dtype="int64")
        return empty, empty, empty
    codes = cust.codes(events["customer_id"])
    ts = _ns_values(events["timestamp"], "events", "timestamp", allow_nat=True)
    known = (codes >= 0) & (ts != _NAT_I8)
    pos = np.flatnonzero(known)
    codes = codes[pos].astype("int64")
    delay = ts[pos] - cust.signup_ns[codes]
    keep = (delay >= 0) & (delay < window_days * DAY_NS)
    return pos[keep], codes[keep], delay[keep]


def _sort_pairs(group_key: np.ndarray, delay: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (group_key, delay) pairs sorted by ``group_key``, then ``delay``.

    Callers only read the pairs back, so equal pairs are interchangeable. When
    ``group · (delay range + 1)`` fits in int64, the pairs are packed into one exact
    int64 key, sorted in place and unpacked: one ``np.sort`` and no gathers through a
    permutation, which is what dominates on tens of millions of events. Delays count
    in the coarsest unit that divides them all (whole seconds in most exports), which
    keeps the packed key small. Otherwise two stable argsorts.
    """
    if len(group_key) == 0:
        return group_key.astype("int64"), delay.astype("int64")
    d_min, g_min = int(delay.min()), int(group_key.min())
    d = delay - d_min
    for unit in (1_000_000_000, 1_000_000, 1_000, 1):
        if unit == 1 or not (d % unit).any():
            break
    d //= unit
    width = int(d.max()) + 1
    g = group_key - g_min
    if int(g.max()) < (2**63 - 1) // width - 1:
        g *= width
        g += d
        del d
        g.sort()
        groups, rest = np.divmod(g, width)
        groups += g_min
        rest *= unit
        rest += d_min
        return groups, rest
    by_delay = np.argsort(delay, kind="stable")
    order = by_delay[np.argsort(group_key[by_delay], kind="stable")]
    return group_key[order], delay[order]


def _index_in(values: pd.Series, universe: pd.Index) -> np.ndarray:
    """Position of each value in ``universe`` (unique), -1 when absent."""
    if isinstance(values.dtype, pd.StringDtype) and isinstance(universe.dtype, pd.StringDtype):
        # pyarrow's hash lookup is about 3x faster than pandas' for string keys
        found = pc.index_in(
            pa.array(values.array).cast(pa.large_string()),
            value_set=pa.array(universe.array).cast(pa.large_string()),
        )
        return pc.fill_null(found, -1).to_numpy().astype("int64")
    # Look up each distinct value once: event logs repeat a customer's id and an event
    # name on many rows, and the loader shares one string object between them.
    codes, distinct = pd.factorize(values.to_numpy(), use_na_sentinel=True)
    found = universe.get_indexer(distinct)
    out = np.full(len(codes), -1, dtype="int64")
    known = codes >= 0
    out[known] = found[codes[known]]
    return out


def _name_index(names: Sequence[str], column: pd.Series) -> pd.Index:
    """Event names as an Index whose dtype suits a lookup of ``column``'s values."""
    if isinstance(column.dtype, pd.StringDtype):
        return pd.Index(list(names), dtype=column.dtype)
    return pd.Index(list(names), dtype=object)


def _rank_within_groups(*keys_sorted: np.ndarray) -> np.ndarray:
    """0-based position of each row within runs of equal keys (rows already sorted by the keys)."""
    n = len(keys_sorted[0])
    if n == 0:
        return np.empty(0, dtype="int64")
    new = np.zeros(n, dtype=bool)
    new[0] = True
    for k in keys_sorted:
        new[1:] |= k[1:] != k[:-1]
    starts = np.flatnonzero(new)
    group = np.cumsum(new) - 1
    return np.arange(n, dtype="int64") - starts[group]


# ------------------------------------------------------------------- outcomes


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
      (nullable boolean; NA when not observable). Customers who never paid count as
      not retained.

    Subscriptions that start after ``as_of`` and subscriptions of customers missing from
    ``customers`` are ignored.
    """
    as_of_ts = _timestamp(as_of, "as_of")
    retention_days = _positive_int(retention_days, "retention_days")
    cust = _Customers(customers)
    _require_columns(subscriptions, ("customer_id", "start_date"), "subscriptions")
    as_of_ns = as_of_ts.value

    start = _ns_values(subscriptions["start_date"], "subscriptions", "start_date", allow_nat=False)
    if "end_date" in subscriptions.columns:
        end = _ns_values(subscriptions["end_date"], "subscriptions", "end_date", allow_nat=True).copy()
        end[end == _NAT_I8] = _FAR_FUTURE
    else:
        end = np.full(len(subscriptions), _FAR_FUTURE, dtype="int64")
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

    first_paid = np.full(cust.n, _NAT_I8, dtype="int64")
    first_paid[idx] = agg["first"].to_numpy()
    active_now = np.zeros(cust.n, dtype=bool)
    active_now[idx] = agg["active_now"].to_numpy(dtype=bool)
    active_check = np.zeros(cust.n, dtype=bool)
    active_check[idx] = agg["active_check"].to_numpy(dtype=bool)
    churned = np.zeros(cust.n, dtype=bool)
    churned[idx] = ~agg["active_now"].to_numpy(dtype=bool)
    churn_ns = np.full(cust.n, _NAT_I8, dtype="int64")
    churn_ns[idx] = np.where(agg["active_now"].to_numpy(dtype=bool), _NAT_I8, agg["last_end"].to_numpy())

    observable = check_ns <= as_of_ns
    retained = pd.array(np.where(observable, active_check, False), dtype="boolean")
    retained[~observable] = pd.NA

    signup = _to_datetime_ns(cust.signup_ns)
    churn_dt = _to_datetime_ns(churn_ns)
    out = pd.DataFrame(
        {
            "customer_id": cust.ids.to_numpy(),
            "signup_date": signup,
            "first_paid": _to_datetime_ns(first_paid),
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
    * ``window_complete``: ``signup_date + window_days <= as_of``. Customers whose window
      is still open may activate later, so recent cohorts look worse than they will be.
      ``as_of`` defaults to the latest timestamp in ``events`` (NA if there are none).

    Customers with no events are not activated; an empty ``events`` frame activates
    nobody. An event name that never occurs in a non-empty ``events`` frame raises
    ParameterError listing the known names. ``rule`` may be the text form
    ``"event>=3@14d"``. ``out.attrs["rule"]`` holds the rule.
    """
    rule = ActivationRule.parse(rule) if isinstance(rule, str) else rule
    if not isinstance(rule, ActivationRule):
        raise ParameterError(f"rule must be an ActivationRule or text like 'event>=3@14d', got {rule!r}")
    _check_events_frame(events)
    cust = _Customers(customers)

    mask = (events["event"] == rule.event).to_numpy(dtype=bool, na_value=False) if len(events) else None
    if mask is not None and not mask.any():
        _check_event_names([rule.event], events, "activation event")
    sub = events.loc[mask, ["customer_id", "timestamp"]] if mask is not None else events.iloc[0:0]
    _, codes, delay = _events_in_window(sub, cust, rule.window_days)

    codes, delay = _sort_pairs(codes, delay)
    rank = _rank_within_groups(codes)
    hit = rank == rule.min_count - 1
    act_delay = np.full(cust.n, _NAT_I8, dtype="int64")
    act_delay[codes[hit]] = delay[hit]
    activated = act_delay != _NAT_I8
    activated_at = np.where(activated, cust.signup_ns + np.where(activated, act_delay, 0), _NAT_I8)

    if as_of is None:
        ts = events["timestamp"] if len(events) else pd.Series([], dtype="datetime64[ns]")
        as_of_ts = ts.max() if len(ts) else pd.NaT
        as_of_ts = pd.NaT if pd.isna(as_of_ts) else pd.Timestamp(as_of_ts).as_unit("ns")
    else:
        as_of_ts = _timestamp(as_of, "as_of")
    if as_of_ts is pd.NaT:
        complete = pd.array([pd.NA] * cust.n, dtype="boolean")
    else:
        complete = pd.array(cust.signup_ns + rule.window_days * DAY_NS <= as_of_ts.value, dtype="boolean")

    out = pd.DataFrame(
        {
            "customer_id": cust.ids.to_numpy(),
            "signup_date": _to_datetime_ns(cust.signup_ns),
            "event_count": np.bincount(codes, minlength=cust.n).astype("int64"),
            "activated": activated,
            "activated_at": _to_datetime_ns(activated_at),
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
    _require_columns(activation, ("customer_id", "activated"), "activation")
    cust = _Customers(customers)
    codes = cust.codes(activation["customer_id"])
    keep = codes >= 0
    signup = pd.Series(_to_datetime_ns(cust.signup_ns[codes[keep]]))
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
    out["rate"] = _ratio(out["activated"], out["signups"])
    out["open_windows"] = np.bincount(slot[open_w], minlength=size).astype("int64")
    return out


def _observable_pairs(activation: pd.DataFrame, outcomes: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, int]:
    _require_columns(activation, ("customer_id", "activated"), "activation")
    _require_columns(outcomes, ("customer_id", "observable", "retained"), "outcomes")
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
        rows.append({"group": label, "customers": n, "retained": k, "rate": _ratio(k, n), "ci_low": lo, "ci_high": hi})
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
        "lift_ratio": _ratio(r1, r0) if not (math.isnan(r1) or math.isnan(r0)) else float("nan"),
        "z": z,
        "p_value": p,
    }
    if "rule" in activation.attrs:
        out.attrs["rule"] = activation.attrs["rule"]
    return out


# ------------------------------------------------------------- magic moment


def _sorted_positive_ints(values: Iterable[object], name: str) -> np.ndarray:
    vals = sorted({_positive_int(v, name) for v in values})
    if not vals:
        raise ParameterError(f"{name} must not be empty")
    return np.asarray(vals, dtype="int64")


def magic_moment_search(
    events: pd.DataFrame,
    outcomes: pd.DataFrame,
    events_to_try: Sequence[str] | None = None,
    thresholds: Sequence[int] = (1, 2, 3, 5, 10),
    windows: Sequence[int] = (7, 14, 30),
    min_group_size: int = 30,
) -> pd.DataFrame:
    """Rank candidate activation rules by how well reaching them separates retained customers (metrics.md §7, seed 004).

    For every ``event × threshold × window``, a customer *reaches* the rule when they
    did the event at least ``threshold`` times in ``[signup, signup + window)``.
    Among observable customers (``outcomes.observable``; N customers, R retained) the
    2×2 table reached/not × retained/not gives:

    * ``share_reached = reached / N``; ``retention_reached``, ``retention_not_reached``;
      ``lift_difference`` and ``lift_ratio`` between them;
    * ``phi``: the **phi (Matthews) correlation** between "reached" and "retained",
      ``(n11·n00 − n10·n01) / sqrt(n1·n0·R·(N−R))``. This is the separation score the
      table is ranked by. It is high only when reaching the rule both splits retained
      from churned customers *and* covers a sizeable group: a rule reached by 5
      customers who all stayed scores low, unlike a plain retention difference. Since
      ``N·phi²`` is the 2×2 chi-square statistic, ranking by phi ranks by strength of
      evidence at a fixed N;
    * ``z = phi·sqrt(N)`` — exactly the pooled two-proportion z statistic — and its
      two-sided ``p_value``. Many rules are tried at once, so small p-values are
      expected by chance: read them as a screen, not proof.

    Rules where the reached or the not-reached group has fewer than ``min_group_size``
    customers are dropped. The rest are sorted by ``phi`` (highest first; ties go to
    the shorter window, then the lower threshold, then the event name) and numbered in
    ``rank``. ``events_to_try=None`` tries every event name in ``events``; an unknown
    name raises ParameterError. Reaching a rule is a correlation, not a cause:
    ``out.attrs["caveat"]`` says so for the report.

    Cost: one sort of the events (``O(E log E)``) and one ``bincount`` per window.
    """
    _check_events_frame(events)
    thr = _sorted_positive_ints(thresholds, "thresholds")
    win = _sorted_positive_ints(windows, "windows")
    min_group_size = _positive_int(min_group_size, "min_group_size")
    _require_columns(outcomes, ("customer_id", "signup_date", "observable", "retained"), "outcomes")

    obs_mask = outcomes["observable"].to_numpy(dtype=bool, na_value=False) & outcomes["retained"].notna().to_numpy()
    obs = outcomes.loc[obs_mask, ["customer_id", "signup_date"]]
    cust = _Customers(obs)
    retained = outcomes.loc[obs_mask, "retained"].to_numpy(dtype=bool, na_value=False)
    n_total = cust.n
    r_total = int(retained.sum())

    if events_to_try is None:
        names = _known_event_names(events) if len(events) else []
    else:
        if isinstance(events_to_try, str):
            events_to_try = [events_to_try]
        names = list(dict.fromkeys(str(e) for e in events_to_try))
        if not names:
            raise ParameterError("events_to_try must name at least one event (or be None for all)")
        _check_event_names(names, events, "event")
    name_index = pd.Index(names, dtype=object)

    # (event name, customer) group and delay of every event inside the longest window.
    # Rows are taken a million at a time: the per-row temporaries then reuse memory
    # instead of being fresh arrays of the whole log's size, whose first touch (the
    # kernel zeroing new pages) would cost more than the work on them.
    per_event = max(cust.n, 1)
    groups, delays = [], []
    for rows in chunks(len(events)):
        part = events.iloc[rows]
        pos, codes, delay = _events_in_window(part, cust, int(win[-1]))
        ev_codes = _index_in(part["event"], name_index)[pos]
        ok = ev_codes >= 0
        groups.append(ev_codes[ok] * per_event + codes[ok])
        delays.append(delay[ok])
    group = np.concatenate(groups) if groups else np.empty(0, dtype="int64")
    delay = np.concatenate(delays) if delays else np.empty(0, dtype="int64")
    del groups, delays
    group, delay = _sort_pairs(group, delay)
    ev_codes, codes = np.divmod(group, per_event)
    del group
    nth = _rank_within_groups(ev_codes, codes) + 1  # this row is the customer's nth such event
    t_idx = np.searchsorted(thr, nth)
    is_thr = (t_idx < len(thr)) & (thr[np.minimum(t_idx, len(thr) - 1)] == nth)
    key = ev_codes[is_thr] * len(thr) + t_idx[is_thr]
    key_delay = delay[is_thr]
    key_ret = retained[codes[is_thr]].astype("float64")

    n_combo = len(names) * len(thr)
    blocks = []
    for w in win:
        inside = key_delay < w * DAY_NS
        n1 = np.bincount(key[inside], minlength=n_combo).astype("int64")
        r1 = np.rint(np.bincount(key[inside], weights=key_ret[inside], minlength=n_combo)).astype("int64")
        blocks.append(
            pd.DataFrame(
                {
                    "event": np.repeat(np.asarray(names, dtype=object), len(thr)),
                    "threshold": np.tile(thr, len(names)),
                    "window_days": int(w),
                    "reached": n1,
                    "retained_reached": r1,
                }
            )
        )
    cols = [
        "rank", "rule", "event", "threshold", "window_days", "customers", "reached", "share_reached",
        "retained_reached", "retention_reached", "not_reached", "retained_not_reached",
        "retention_not_reached", "lift_difference", "lift_ratio", "phi", "z", "p_value",
    ]
    if not blocks or n_combo == 0:
        out = pd.DataFrame({c: [] for c in cols})
        out.attrs["caveat"] = _CAUSATION_CAVEAT
        return out
    res = pd.concat(blocks, ignore_index=True)
    n1 = res["reached"].to_numpy(dtype="float64")
    r1 = res["retained_reached"].to_numpy(dtype="float64")
    n0 = n_total - n1
    r0 = r_total - r1
    res["customers"] = n_total
    res["share_reached"] = _ratio(n1, n_total)
    res["retention_reached"] = _ratio(r1, n1)
    res["not_reached"] = n0.astype("int64")
    res["retained_not_reached"] = r0.astype("int64")
    res["retention_not_reached"] = _ratio(r0, n0)
    res["lift_difference"] = res["retention_reached"] - res["retention_not_reached"]
    res["lift_ratio"] = _ratio(res["retention_reached"].fillna(0.0), res["retention_not_reached"].fillna(0.0))
    res.loc[res["retention_reached"].isna() | res["retention_not_reached"].isna(), "lift_ratio"] = np.nan
    # phi = (n11 n00 - n10 n01) / sqrt(n1 n0 R (N - R)) with n11 = r1, n10 = n1 - r1, n01 = r0, n00 = n0 - r0
    num = r1 * (n0 - r0) - (n1 - r1) * r0
    den = np.sqrt(n1 * n0 * float(r_total) * float(n_total - r_total))
    res["phi"] = _ratio(num, den)
    res["z"] = res["phi"] * math.sqrt(n_total)
    res["p_value"] = [math.erfc(abs(z) / math.sqrt(2)) if not math.isnan(z) else float("nan") for z in res["z"]]
    res["rule"] = [f"{e}>={t}@{w}d" for e, t, w in zip(res["event"], res["threshold"], res["window_days"])]

    res = res[(res["reached"] >= min_group_size) & (res["not_reached"] >= min_group_size)]
    res = res.sort_values(
        ["phi", "window_days", "threshold", "event"],
        ascending=[False, True, True, True],
        na_position="last",
        kind="mergesort",
    ).reset_index(drop=True)
    res["rank"] = np.arange(1, len(res) + 1)
    out = res[cols]
    out.attrs["caveat"] = _CAUSATION_CAVEAT
    return out


# ----------------------------------------------------------------- early churn


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
    _require_columns(outcomes, ("days_to_churn",), "outcomes")
    d = _sorted_positive_ints(days, "days")
    if "churned" in outcomes.columns:
        churned = outcomes["churned"].to_numpy(dtype=bool, na_value=False)
    else:
        churned = outcomes["days_to_churn"].notna().to_numpy()
    dtc = outcomes["days_to_churn"].to_numpy(dtype="float64", na_value=np.nan)[churned]
    total = int(churned.sum())
    within = np.array([int((dtc <= x).sum()) for x in d], dtype="int64")
    return pd.DataFrame(
        {"days": d, "churned_within": within, "churned": total, "share": _ratio(within, total)}
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
    _require_columns(activation, ("activated", "days_to_activation"), "activation")
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
    share = _ratio(counts, len(vals))
    out = pd.DataFrame(
        {
            "days_from": edges[:-1],
            "days_to": edges[1:],
            "customers": counts,
            "share": share,
            "cumulative_share": _ratio(np.cumsum(counts), len(vals)),
        }
    )

    def q(p: float) -> float:
        return float(np.quantile(vals, p)) if len(vals) else float("nan")

    out.attrs["summary"] = {
        "customers": int(len(act)),
        "activated": int(len(vals)),
        "activation_rate": _ratio(len(vals), len(act)),
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
    if isinstance(steps, str) or not isinstance(steps, Sequence):
        raise ParameterError(f"steps must be a list of event names, got {steps!r}")
    steps = [str(s) for s in steps]
    if not steps:
        raise ParameterError("steps must name at least one event")
    if len(set(steps)) != len(steps):
        raise ParameterError(f"steps must not repeat an event: {steps}")
    window_days = _positive_int(window_days, "window_days")
    _check_events_frame(events)
    cust = _Customers(customers)
    _check_event_names(steps, events, "funnel step")

    ev = events.loc[events["event"].isin(steps).to_numpy(dtype=bool, na_value=False)] if len(events) else events
    pos, codes, delay = _events_in_window(ev, cust, window_days)
    if len(pos):
        step_code = _index_in(ev["event"], _name_index(steps, ev["event"]))[pos]
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
            c, d = _sort_pairs(c, d)
            first = _rank_within_groups(c) == 0
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
            "conversion_from_previous": _ratio(all_counts, prev_counts),
            "conversion_from_start": _ratio(all_counts, cust.n),
        }
    )
    out.loc[0, "conversion_from_previous"] = np.nan
    return out
