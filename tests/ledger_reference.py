"""The ledger functions as they were before issue 14 (customer-month rows walked one by one),
kept verbatim as the reference the change-point versions are checked against
(tests/test_mrr_steps.py)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from saas_kit.calendar import month_number, month_numbers, months_from_numbers
from saas_kit.money import from_ticks, int_bincount
from saas_kit.movements import MOVEMENTS, bridge_frame, count_column, empty_bridge
from saas_kit.rates import ratio
from saas_kit.rows import SortedRows, chunks, customer_groups, sorted_rows

_CODE = {name: i for i, name in enumerate(MOVEMENTS)}


def old_customer_movements(
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


def old_mrr_movements(
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


def old_trailing_retention(customer_mrr: pd.DataFrame, months: int = 12, by: str | None = None) -> pd.DataFrame:
    """Trailing-twelve-month (cohort) NRR and GRR per month (seed 003; metrics.md §4).

    Base of month M = customers with MRR > 0 in M-``months``.
    ``nrr_ttm = Σ_base mrr(M) / Σ_base mrr(M-12)`` (customers who left count 0;
    customers who joined since are not in the base);
    ``grr_ttm = Σ_base min(mrr(M), mrr(M-12)) / Σ_base mrr(M-12)``.
    Returns ``month``, ``base_customers``, ``base_mrr``, ``retained_mrr``,
    ``retained_mrr_capped``, ``retained_customers``, ``nrr_ttm``, ``grr_ttm``,
    ``logo_retention_ttm``, one row per month that has a base (``by``: per group as
    well, first column). Linear after one sort: each customer-month row finds the same
    customer ``months`` later by binary search in the sorted keys, a million rows at a
    time.
    """
    cm = customer_mrr[customer_mrr["mrr"] > 0]
    empty = pd.DataFrame(columns=([by] if by else []) + ["month", "base_customers", "base_mrr", "retained_mrr",
                                                         "retained_mrr_capped", "retained_customers", "nrr_ttm",
                                                         "grr_ttm", "logo_retention_ttm"])
    if cm.empty:
        return empty
    rows = sorted_rows(cm)
    m0, last = int(rows.month.min()), int(rows.month.max())
    if last - m0 < months:  # no month has a base yet
        return empty
    span = last - m0 + 1 + months  # room so that key + months never reaches the next customer
    key = rows.codes * span + (rows.month - m0)
    groups, group_of_customer = customer_groups(cm, by, rows.uniques)
    lo, n_months = m0 + months, last - (m0 + months) + 1
    size = len(groups) * n_months
    base_n, kept_n = np.zeros(size, dtype="int64"), np.zeros(size, dtype="int64")
    sums = {name: np.zeros(size, dtype="int64") for name in ("base", "cur", "capped")}
    for part in chunks(len(key)):  # bounded temporaries; the sums are exact int64 per chunk
        month = rows.month[part]
        base_rows = np.flatnonzero(month + months <= last)
        if len(base_rows) == 0:
            continue
        target = key[part][base_rows] + months
        pos = np.minimum(np.searchsorted(key, target), len(key) - 1)
        found = key[pos] == target
        base_t = rows.ticks[part][base_rows]
        cur_t = np.where(found, rows.ticks[pos], 0)
        capped_t = np.minimum(cur_t, base_t)
        idx = group_of_customer[rows.codes[part][base_rows]] * n_months + (month[base_rows] + (months - lo))
        base_n += np.bincount(idx, minlength=size)
        kept_n += np.bincount(idx[found], minlength=size)
        for name, values in (("base", base_t), ("cur", cur_t), ("capped", capped_t)):
            sums[name] += int_bincount(idx, values, size)
    present = base_n > 0
    out = pd.DataFrame()
    if by is not None:
        out[by] = np.repeat(np.asarray(groups, dtype=object), n_months)[present]
    out["month"] = months_from_numbers(np.tile(np.arange(lo, last + 1), len(groups))[present])
    out["base_customers"] = base_n[present]
    out["base_mrr"] = from_ticks(sums["base"][present])
    out["retained_mrr"] = from_ticks(sums["cur"][present])
    out["retained_mrr_capped"] = from_ticks(sums["capped"][present])
    out["retained_customers"] = kept_n[present]
    out["nrr_ttm"] = ratio(sums["cur"][present], sums["base"][present])
    out["grr_ttm"] = ratio(sums["capped"][present], sums["base"][present])
    out["logo_retention_ttm"] = ratio(kept_n[present], base_n[present])
    return out.reset_index(drop=True)


def old_cohort_long(customer_mrr: pd.DataFrame, max_age: int | None = None) -> pd.DataFrame:
    """Tidy cohort table: one row per (cohort, age) with ``customers`` (MRR > 0),
    ``mrr`` (exact sum), ``logo_retention`` and ``revenue_retention``."""
    cm = customer_mrr[customer_mrr["mrr"] > 0]
    columns = ["cohort", "age", "customers", "mrr", "logo_retention", "revenue_retention"]
    if cm.empty:
        return pd.DataFrame(columns=columns)
    rows = sorted_rows(cm)  # by customer, then month: a customer's first row is their cohort
    starts = np.flatnonzero(np.r_[True, rows.codes[1:] != rows.codes[:-1]])
    cohort_of_customer = rows.month[starts]  # customer codes run 0, 1, 2, ... in this order
    m0 = int(cohort_of_customer.min())
    ages = int(rows.month.max()) - m0 + 1  # no age can exceed this
    if max_age is not None:
        ages = min(ages, max_age + 1)
    size = (int(cohort_of_customer.max()) - m0 + 1) * ages
    customers = np.zeros(size, dtype="int64")
    ticks = np.zeros(size, dtype="int64")
    for part in chunks(len(rows.codes)):  # bounded temporaries; exact int64 sums per chunk
        cohort = cohort_of_customer[rows.codes[part]]
        age = rows.month[part] - cohort
        keep = age < ages
        idx = (cohort[keep] - m0) * ages + age[keep]
        customers += np.bincount(idx, minlength=size)
        ticks += int_bincount(idx, rows.ticks[part][keep], size)
    cells = np.flatnonzero(customers)
    cohort_no, age_no = cells // ages + m0, cells % ages
    start_customers = customers[(cohort_no - m0) * ages]
    start_ticks = ticks[(cohort_no - m0) * ages]
    return pd.DataFrame({
        "cohort": months_from_numbers(cohort_no),
        "age": age_no,
        "customers": customers[cells],
        "mrr": from_ticks(ticks[cells]),
        "logo_retention": customers[cells] / start_customers,
        "revenue_retention": ticks[cells] / start_ticks,
    })


def old_mrr_by_month(customer_mrr: pd.DataFrame) -> pd.Series:
    """Total MRR per month (exact sum), indexed by Period[M], every month in range."""
    from saas_kit.money import to_ticks
    if customer_mrr.empty:
        return pd.Series([], dtype="float64", index=pd.PeriodIndex([], freq="M"), name="mrr")
    t = pd.Series(to_ticks(customer_mrr["mrr"]), index=customer_mrr["month"].to_numpy())
    totals = t.groupby(level=0).sum()
    full = pd.period_range(totals.index.min(), totals.index.max(), freq="M")
    totals = totals.reindex(full, fill_value=0)
    return pd.Series(from_ticks(totals.to_numpy()), index=full, name="mrr")
