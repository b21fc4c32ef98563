"""The activation analysis' shared checks and event primitives: required columns, timestamps as
int64 nanoseconds, events inside a window after signup, ranks within groups (the conventions are
in :mod:`saas_kit.activation`)."""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from saas_kit.activation.rule import positive_int
from saas_kit.errors import DataError, ParameterError


DAY_NS = 86_400 * 10**9
NAT_I8 = np.iinfo("int64").min
FAR_FUTURE = np.iinfo("int64").max
CAUSATION_CAVEAT = (
    "Reaching a rule is correlated with retention here; that does not show that making "
    "customers reach it would cause them to stay (seed 004's magic moments were found "
    "by correlation and then tested by changing onboarding)."
)



def require_columns(frame: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    for col in columns:
        if col not in frame.columns:
            raise DataError(f"{name} frame has no '{col}' column", column=col)


def ns_values(series: pd.Series, name: str, column: str, allow_nat: bool) -> np.ndarray:
    """datetime column -> int64 nanoseconds (NaT -> int64 min)."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_localize(None)
    if not pd.api.types.is_datetime64_any_dtype(series.dtype):
        if len(series) == 0:
            return np.empty(0, dtype="int64")
        raise DataError(f"{name}.{column} must be datetime64, got {series.dtype}", column=column)
    values = series.to_numpy(dtype="datetime64[ns]").view("int64")
    if not allow_nat and len(values) and (values == NAT_I8).any():
        bad = int((values == NAT_I8).sum())
        raise DataError(f"{name}.{column} has {bad} empty value(s)", column=column)
    return values


def to_datetime_ns(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype="int64").view("datetime64[ns]")


def timestamp(value: object, name: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ParameterError(f"{name} must be a date, got {value!r}") from exc
    if ts is pd.NaT or pd.isna(ts):
        raise ParameterError(f"{name} must be a date, got {value!r}")
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.as_unit("ns")


class SignupIndex:
    """customer_id index and signup instants (int64 ns) of the customers frame."""

    def __init__(self, customers: pd.DataFrame) -> None:
        require_columns(customers, ("customer_id", "signup_date"), "customers")
        ids = pd.Index(customers["customer_id"].array)
        if not ids.is_unique:
            dup = ids[ids.duplicated()].unique()[:5]
            raise DataError(f"customers has duplicate customer_id values {list(dup)}", column="customer_id")
        self.ids = ids
        self.signup_ns = ns_values(customers["signup_date"], "customers", "signup_date", allow_nat=False)
        self.n = len(ids)

    def codes(self, customer_ids: pd.Series) -> np.ndarray:
        """Position of each id in ``customers`` (-1 when absent)."""
        return index_in(customer_ids, self.ids)

    def signup_series(self) -> pd.Series:
        return pd.Series(to_datetime_ns(self.signup_ns), name="signup_date")


def check_events_frame(events: pd.DataFrame) -> None:
    require_columns(events, ("customer_id", "event", "timestamp"), "events")


def known_event_names(events: pd.DataFrame) -> list[str]:
    """The distinct event names, sorted (one hash pass; missing names left out)."""
    return sorted(str(v) for v in pd.unique(events["event"].to_numpy()) if not pd.isna(v))


def check_event_names(names: Sequence[str], events: pd.DataFrame, what: str) -> None:
    """ParameterError listing the known names when one of ``names`` never occurs.

    An empty events frame has nothing to check against: every customer simply did nothing.
    """
    if len(events) == 0:
        return
    present = set(pd.unique(events["event"].dropna()))
    missing = [n for n in names if n not in present]
    if missing:
        known = known_event_names(events)
        shown = ", ".join(known[:50]) + (f" ... ({len(known)} in all)" if len(known) > 50 else "")
        raise ParameterError(
            f"{what} {', '.join(repr(m) for m in missing)} not found in the events data; "
            f"known event names: {shown or '(none)'}"
        )


def events_in_window(
    events: pd.DataFrame, cust: SignupIndex, window_days: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row positions, customer codes, delay ns since signup) of events inside the window.

    Keeps events of known customers with ``0 <= timestamp - signup < window_days`` days.
    """
    if len(events) == 0:
        empty = np.empty(0, dtype="int64")
        return empty, empty, empty
    codes = cust.codes(events["customer_id"])
    ts = ns_values(events["timestamp"], "events", "timestamp", allow_nat=True)
    known = (codes >= 0) & (ts != NAT_I8)
    pos = np.flatnonzero(known)
    codes = codes[pos].astype("int64")
    delay = ts[pos] - cust.signup_ns[codes]
    keep = (delay >= 0) & (delay < window_days * DAY_NS)
    return pos[keep], codes[keep], delay[keep]


def sort_pairs(group_key: np.ndarray, delay: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def index_in(values: pd.Series, universe: pd.Index) -> np.ndarray:
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


def event_name_index(names: Sequence[str], column: pd.Series) -> pd.Index:
    """Event names as an Index whose dtype suits a lookup of ``column``'s values."""
    if isinstance(column.dtype, pd.StringDtype):
        return pd.Index(list(names), dtype=column.dtype)
    return pd.Index(list(names), dtype=object)


def rank_within_groups(*keys_sorted: np.ndarray) -> np.ndarray:
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


def sorted_positive_ints(values: Iterable[object], name: str) -> np.ndarray:
    vals = sorted({positive_int(v, name) for v in values})
    if not vals:
        raise ParameterError(f"{name} must not be empty")
    return np.asarray(vals, dtype="int64")
