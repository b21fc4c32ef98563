"""MRR movements: the monthly bridge from opening to closing MRR (metrics.md §3).

Each customer gets at most one movement a month, comparing their MRR at the end of
month M (``cur``) with the end of M-1 (``prev``):

======================  =====================================================  ==========
movement                condition                                              amount
======================  =====================================================  ==========
new                     prev = 0, cur > 0, never had MRR > 0 before            cur
reactivation            prev = 0, cur > 0, had MRR > 0 in an earlier month     cur
expansion               prev > 0, cur > prev                                   cur - prev
contraction             prev > 0, 0 < cur < prev                               prev - cur
churn                   prev > 0, cur = 0                                      prev
======================  =====================================================  ==========

and every month reconciles exactly (seed 004's Net New MRR identity):
``closing = opening + new + reactivation + expansion - contraction - churn``.
All arithmetic runs in int64 ticks (:mod:`saas_kit.money`), so there is no drift.

The computation walks the customer-month rows in (customer, month) order: a
customer's previous row is their previous month only if it is exactly one month
earlier, and a row whose next month is missing produces a churn in the month after
it. Rows from :func:`saas_kit.mrr.monthly_mrr` already come in that order and are not
sorted again (linear); other frames are sorted once (O(n log n)). Work arrays of the
size of the customer-month frame are boolean or int32 wherever the values allow.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from saas_kit.calendar import month_number, month_numbers, months_from_numbers
from saas_kit.money import from_ticks, ticks_to_text, to_ticks
from saas_kit.rows import SortedRows, customer_groups, int_bincount, sorted_rows

MOVEMENTS = ("new", "expansion", "reactivation", "contraction", "churn")
_CODE = {name: i for i, name in enumerate(MOVEMENTS)}


def customer_movements(
    customer_mrr: pd.DataFrame,
    last_month: pd.Period | str | None = None,
) -> pd.DataFrame:
    """One row per customer and month in which the customer's MRR moved.

    Columns: ``customer_id``, ``month`` (Period[M]), ``movement`` (one of
    new / expansion / reactivation / contraction / churn), ``prev_mrr``, ``mrr``,
    ``amount`` (positive; its sign in the bridge is + for the first three, - for
    the last two), plus any extra columns of ``customer_mrr`` that are constant per
    customer (e.g. ``segment``) carried over. Churn after the last month with MRR is
    emitted in the following month when that month is ``<= last_month`` (default:
    ``customer_mrr.attrs["through"]``, the last complete month before the as-of date
    set by the loader (metrics.md §2), else the latest month in ``customer_mrr``).
    """
    last_month = last_month if last_month is not None else customer_mrr.attrs.get("through")
    customer_mrr = _positive(customer_mrr)
    if customer_mrr.empty:
        z = np.zeros(0, dtype="int64")
        codes, uniques, month, kind, prev, cur = z, pd.Index([], dtype="object"), z, z.astype("int8"), z, z
    else:
        rows = sorted_rows(customer_mrr)
        uniques = rows.uniques
        codes, month, kind, prev, cur = _classify(rows, _last_month_number(customer_mrr, last_month))
    amount = np.where(kind == _CODE["churn"], prev, np.abs(cur - prev))
    out = pd.DataFrame(
        {
            "customer_id": uniques.take(codes) if len(codes) else pd.Series([], dtype="object"),
            "month": months_from_numbers(month) if len(month) else pd.PeriodIndex([], freq="M"),
            "movement": pd.Categorical.from_codes(kind, categories=list(MOVEMENTS)),
            "prev_mrr": from_ticks(prev),
            "mrr": from_ticks(cur),
            "amount": from_ticks(amount),
        }
    )
    extra = [c for c in customer_mrr.columns if c not in ("customer_id", "month", "mrr")]
    if extra:
        attrs = customer_mrr.drop_duplicates("customer_id").set_index("customer_id")[extra]
        out = out.join(attrs, on="customer_id")
    return out


def mrr_movements(
    customer_mrr: pd.DataFrame,
    start_month: pd.Period | str | None = None,
    last_month: pd.Period | str | None = None,
    by: str | None = None,
) -> pd.DataFrame:
    """The MRR bridge per month (metrics.md §3; seeds 002 and 004).

    One row per month from ``start_month`` (default: the first month with MRR) to
    ``last_month`` (default: ``customer_mrr.attrs["through"]``, the last complete month
    before the as-of date set by the loader, so that a churn in it shows (metrics.md §2);
    else the latest month in the data), every month present, with
    ``opening_mrr`` (total MRR at the end of M-1), ``new``, ``expansion``,
    ``reactivation``, ``contraction``, ``churn`` (positive amounts), ``net_new_mrr``
    ``= new + reactivation + expansion - contraction - churn``, ``closing_mrr``, and
    customer counts ``opening_customers``, ``customers`` (MRR > 0 at month end),
    ``new_customers``, ``expansion_customers``, ``reactivated_customers``,
    ``contraction_customers``, ``churned_customers``.

    ``by`` names a column of ``customer_mrr`` constant per customer (e.g. ``segment``,
    joined with :func:`with_attribute`): the bridge is then computed per group, with
    the group as the first column. Raises ``AssertionError`` if a month fails to
    reconcile exactly (it cannot, by construction; the check guards regressions).
    """
    last_month = last_month if last_month is not None else customer_mrr.attrs.get("through")
    customer_mrr = _positive(customer_mrr)
    if customer_mrr.empty:
        return empty_bridge(by)
    rows = sorted_rows(customer_mrr)
    hi = _last_month_number(customer_mrr, last_month) if last_month is not None else int(rows.month.max())
    lo = int(rows.month.min()) if start_month is None else month_number(start_month)
    if hi < lo:
        return empty_bridge(by)
    codes, month, kind, prev, cur = _classify(rows, hi)
    groups, group_of_customer = customer_groups(customer_mrr, by, rows.uniques)
    n_groups, span = len(groups), hi - lo + 1
    delta = np.where(kind == _CODE["churn"], prev, np.abs(cur - prev))

    def cell(values: np.ndarray | None, g: np.ndarray, m: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        keep = (m >= lo) & (m <= hi) if mask is None else mask & (m >= lo) & (m <= hi)
        idx = g[keep] * span + (m[keep] - lo)
        if values is None:
            return np.bincount(idx, minlength=n_groups * span).astype("int64")
        return int_bincount(idx, values[keep], n_groups * span)

    g_mov = group_of_customer[codes]
    cols: dict[str, np.ndarray] = {}
    for name in MOVEMENTS:
        is_kind = kind == _CODE[name]
        cols[name] = cell(delta, g_mov, month, is_kind)
        cols[count_column(name)] = cell(None, g_mov, month, is_kind)

    # Closing MRR and customer counts from the customer-month rows themselves (one
    # index array of customer-month size, built in place: this is the memory peak).
    closing, customers, before, before_n = _closing_cells(rows, group_of_customer, lo, hi, n_groups)
    closing_2d = closing.reshape(n_groups, span)
    customers_2d = customers.reshape(n_groups, span)
    opening = np.concatenate([before[:, None], closing_2d[:, :-1]], axis=1).ravel()
    opening_n = np.concatenate([before_n[:, None], customers_2d[:, :-1]], axis=1).ravel()

    return bridge_frame(groups, by, lo, hi, opening, opening_n, closing, customers,
                        {name: cols[name] for name in MOVEMENTS},
                        {name: cols[count_column(name)] for name in MOVEMENTS})


def bridge_frame(groups: list, by: str | None, lo: int, hi: int, opening: np.ndarray, opening_n: np.ndarray,
                 closing: np.ndarray, customers: np.ndarray, amounts: dict[str, np.ndarray],
                 counts: dict[str, np.ndarray]) -> pd.DataFrame:
    """The bridge frame from per-(group, month) cells (flattened group-major, months
    ``lo..hi``): opening and closing MRR in ticks, customer counts, and each movement's
    ticks and customer count. Checks the identity of metrics.md §3 exactly in int64 ticks
    (closing = opening + new + reactivation + expansion - contraction - churn) and raises
    AssertionError naming the first cell that breaks it. Shared by both engines."""
    net = amounts["new"] + amounts["reactivation"] + amounts["expansion"] - amounts["contraction"] - amounts["churn"]
    if not np.array_equal(opening + net, closing):
        bad = np.flatnonzero(opening + net != closing)[0]
        raise AssertionError(f"MRR bridge does not reconcile in month index {bad}")
    span = hi - lo + 1
    out = pd.DataFrame({"month": months_from_numbers(np.tile(np.arange(lo, hi + 1), len(groups)))})
    if by is not None:
        out.insert(0, by, np.repeat(np.asarray(groups, dtype=object), span))
    out["opening_mrr"] = from_ticks(opening)
    for name in MOVEMENTS:
        out[name] = from_ticks(amounts[name])
    out["net_new_mrr"] = from_ticks(net)
    out["closing_mrr"] = from_ticks(closing)
    out["opening_customers"] = opening_n
    out["customers"] = customers
    for name in MOVEMENTS:
        out[count_column(name)] = counts[name]
    return out


def reconciles(bridge: pd.DataFrame) -> pd.Series:
    """Per month: does ``closing = opening + new + reactivation + expansion -
    contraction - churn`` hold exactly (compared in ticks)?"""
    t = {c: to_ticks(bridge[c]) for c in ("opening_mrr", "closing_mrr", *MOVEMENTS)}
    lhs = t["opening_mrr"] + t["new"] + t["reactivation"] + t["expansion"] - t["contraction"] - t["churn"]
    return pd.Series(lhs == t["closing_mrr"], index=bridge.index, name="reconciles")


def with_attribute(customer_mrr: pd.DataFrame, customers: pd.DataFrame, column: str) -> pd.DataFrame:
    """Attach a customer attribute (e.g. ``segment``) to the customer-month frame;
    customers missing from ``customers`` get ``"(unknown)"``."""
    attrs = customers.drop_duplicates("customer_id").set_index("customer_id")[column]
    out = customer_mrr.copy()
    out[column] = out["customer_id"].map(attrs).astype("object").fillna("(unknown)")
    return out


# ----------------------------------------------------------------------------- internals


def _positive(customer_mrr: pd.DataFrame) -> pd.DataFrame:
    """Rows with MRR > 0; the frame itself (no copy) when that is every row."""
    positive = customer_mrr["mrr"].to_numpy() > 0
    return customer_mrr if positive.all() else customer_mrr[positive]


def _closing_cells(rows: SortedRows, group_of_customer: np.ndarray, lo: int, hi: int, n_groups: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Closing MRR ticks and customer counts per (group, month lo..hi), flattened, and
    the same per group for month lo - 1 (the first opening)."""
    span = hi - lo + 1
    idx = rows.month - (lo - 1)  # 0 is month lo - 1, 1..span are lo..hi
    if n_groups > 1:
        idx = group_of_customer[rows.codes] * (span + 1) + idx  # int64
    in_range = (rows.month >= lo - 1) & (rows.month <= hi)
    if not in_range.all():
        idx, ticks = idx[in_range], rows.ticks[in_range]
    else:
        ticks = rows.ticks
    size = n_groups * (span + 1)
    closing = int_bincount(idx, ticks, size).reshape(n_groups, span + 1)
    customers = np.bincount(idx, minlength=size).astype("int64").reshape(n_groups, span + 1)
    return closing[:, 1:].ravel(), customers[:, 1:].ravel(), closing[:, 0].copy(), customers[:, 0].copy()


def count_column(movement: str) -> str:
    """The bridge column counting the customers of ``movement`` (``"churn"`` -> ``"churned_customers"``)."""
    return {
        "new": "new_customers",
        "expansion": "expansion_customers",
        "reactivation": "reactivated_customers",
        "contraction": "contraction_customers",
        "churn": "churned_customers",
    }[movement]


def _last_month_number(customer_mrr: pd.DataFrame, last_month) -> int:
    if last_month is not None:
        return month_number(last_month)
    return int(month_numbers(customer_mrr["month"]).max())


def _classify(rows: SortedRows, last_month: int):
    """(customer code, month number, movement code, prev ticks, cur ticks) of every
    movement, sorted by customer and month. A row's previous month is the row before
    it when that row is the same customer exactly one month earlier; a row with no
    row in the next month churns then (if that month is <= ``last_month``).

    Every row has MRR > 0, so a row without its previous month is new (first row of the
    customer) or a reactivation, and a row with it moves by the difference. Work arrays
    of row size are boolean; only the movements themselves get integer arrays."""
    c, m, t = rows.codes, rows.month, rows.ticks
    n = len(c)
    same_prev = np.zeros(n, dtype=bool)
    np.equal(c[1:], c[:-1], out=same_prev[1:])
    consecutive = np.zeros(n, dtype=bool)
    consecutive[1:] = np.diff(m) == 1
    consecutive &= same_prev
    up = np.zeros(n, dtype=bool)
    np.greater(t[1:], t[:-1], out=up[1:])
    up &= consecutive
    down = np.zeros(n, dtype=bool)
    np.less(t[1:], t[:-1], out=down[1:])
    down &= consecutive
    moved = up | down
    moved |= ~consecutive
    churn = np.ones(n, dtype=bool)  # no row in the next month ...
    churn[:-1] = ~consecutive[1:]
    churn &= m < last_month  # ... and that month is in range

    move_at, churn_at = np.flatnonzero(moved), np.flatnonzero(churn)
    kind = np.full(len(move_at), _CODE["new"], dtype="int8")
    kind[same_prev[move_at]] = _CODE["reactivation"]
    kind[up[move_at]] = _CODE["expansion"]
    kind[down[move_at]] = _CODE["contraction"]
    prev = np.where(consecutive[move_at], t[move_at - 1], 0)
    del same_prev, up, down, moved, churn

    # Row i's movement (month m) comes before its churn (month m + 1), which comes before
    # the customer's next row (not consecutive, so later): merging by row keeps the order.
    move_pos = np.arange(len(move_at)) + np.searchsorted(churn_at, move_at, side="left")
    churn_pos = np.arange(len(churn_at)) + np.searchsorted(move_at, churn_at, side="right")
    size = len(move_at) + len(churn_at)
    codes, month = np.empty(size, dtype=c.dtype), np.empty(size, dtype=m.dtype)
    kinds, prevs, curs = np.empty(size, dtype="int8"), np.empty(size, dtype="int64"), np.zeros(size, dtype="int64")
    codes[move_pos], month[move_pos], kinds[move_pos], prevs[move_pos], curs[move_pos] = (
        c[move_at], m[move_at], kind, prev, t[move_at])
    codes[churn_pos], month[churn_pos], kinds[churn_pos], prevs[churn_pos] = (
        c[churn_at], m[churn_at] + 1, _CODE["churn"], t[churn_at])
    return codes, month, kinds, prevs, curs


def empty_bridge(by: str | None) -> pd.DataFrame:
    """The bridge with no month: the columns of :func:`mrr_movements` (with ``by`` first when given)."""
    cols = ["month", "opening_mrr", *MOVEMENTS, "net_new_mrr", "closing_mrr", "opening_customers",
            "customers", *(count_column(n) for n in MOVEMENTS)]
    if by is not None:
        cols.insert(0, by)
    return pd.DataFrame({c: [] for c in cols})


#: The columns of ``saas-kit movements`` CSV, in order.
MOVEMENTS_COLUMNS = ["month", "opening_mrr", "new", "expansion", "reactivation", "contraction", "churn",
                     "closing_mrr", "customers", "new_customers", "churned_customers"]


def write_movements_csv(bridge: pd.DataFrame, out) -> None:
    """The bridge as the CSV of ``saas-kit movements`` (both engines): :data:`MOVEMENTS_COLUMNS`,
    amounts exact in currency units (whole numbers as such, fractions with up to 4 decimals)."""
    out.write(",".join(MOVEMENTS_COLUMNS) + "\n")
    money = ["opening_mrr", *MOVEMENTS, "closing_mrr"]
    ticks = {c: to_ticks(bridge[c]) for c in money}
    for i, row in enumerate(bridge.itertuples(index=False)):
        cells = []
        for col in MOVEMENTS_COLUMNS:
            if col == "month":
                cells.append(str(row.month))
            elif col in ticks:
                cells.append(ticks_to_text(int(ticks[col][i])))
            else:
                cells.append(str(int(getattr(row, col))))
        out.write(",".join(cells) + "\n")
