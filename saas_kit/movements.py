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

The computation works on the points where a customer's MRR changes
(:mod:`saas_kit.mrr_steps`): a customer-month frame is turned into them in one linear
pass over its rows in (customer, month) order (rows from :func:`saas_kit.mrr.monthly_mrr`
come in that order; other frames are sorted once), and a loaded dataset carries them
already (:attr:`saas_kit.loading.Dataset.steps`), so :func:`bridge_from_points` and
:func:`month_movements` never need the customer-month frame.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from saas_kit.calendar import month_number, month_numbers, months_from_numbers
from saas_kit.money import from_ticks, ticks_to_text, to_ticks
from saas_kit.mrr import ChangePoints
from saas_kit.mrr_steps import MOVEMENTS, BridgeCells, Moves, bridge_cells, month_moves, moves_at
from saas_kit.rows import customer_groups, points_from_rows, sorted_rows


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
        return moves_frame(None, Moves.empty(), _attributes(customer_mrr))
    rows = sorted_rows(customer_mrr)
    points = points_from_rows(rows)
    last = _last_month_number(customer_mrr, last_month)
    # every change of a customer's MRR; a drop to 0 (churn) only up to last_month
    selected = np.flatnonzero((points.level > 0) | (points.month <= last))
    return moves_frame(points, moves_at(points, selected), _attributes(customer_mrr))


def month_movements(points: ChangePoints | None, month: pd.Period | str) -> pd.DataFrame:
    """The movements of one month: ``customer_movements(cm, last_month=month)`` limited
    to the rows of ``month``, from the points of ``cm`` (:mod:`saas_kit.mrr_steps`)."""
    if points is None:
        return moves_frame(None, Moves.empty())
    return moves_frame(points, month_moves(points, month_number(month)))


def moves_frame(points: ChangePoints | None, moves: Moves, attributes: pd.DataFrame | None = None) -> pd.DataFrame:
    """The frame of :func:`customer_movements` from movements at points (``attributes``:
    per customer id, columns carried over)."""
    amount = np.where(moves.kind == _CODE["churn"], moves.prev, np.abs(moves.cur - moves.prev))
    empty = points is None or len(moves.at) == 0
    out = pd.DataFrame(
        {
            "customer_id": pd.Series([], dtype="object") if empty else points.uniques.take(moves.customer),
            "month": pd.PeriodIndex([], freq="M") if empty else months_from_numbers(points.month[moves.at]),
            "movement": pd.Categorical.from_codes(moves.kind, categories=list(MOVEMENTS)),
            "prev_mrr": from_ticks(moves.prev),
            "mrr": from_ticks(moves.cur),
            "amount": from_ticks(amount),
        }
    )
    if attributes is not None and len(attributes.columns):
        out = out.join(attributes, on="customer_id")
    return out


def _attributes(customer_mrr: pd.DataFrame) -> pd.DataFrame | None:
    """The columns of ``customer_mrr`` besides customer_id, month and mrr, per customer id."""
    extra = [c for c in customer_mrr.columns if c not in ("customer_id", "month", "mrr")]
    if not extra:
        return None
    return customer_mrr.drop_duplicates("customer_id").set_index("customer_id")[extra]


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
    groups, group_of_customer = customer_groups(customer_mrr, by, rows.uniques)
    return bridge_from_points(points_from_rows(rows), lo, hi, groups, group_of_customer, by)


def bridge_from_points(points: ChangePoints | None, lo: int, hi: int, groups: list | None = None,
                       group_of_customer: np.ndarray | None = None, by: str | None = None) -> pd.DataFrame:
    """The bridge of :func:`mrr_movements` for months ``lo..hi`` (month numbers, ``hi >= lo``)
    from the points of the customers' MRR (:func:`saas_kit.mrr_steps.bridge_cells`); with
    ``by``, per group (``groups``: the group values, sorted; ``group_of_customer``: each
    customer code's index into them). No point, or ``hi < lo``: the bridge with no month."""
    if points is None or hi < lo:
        return empty_bridge(by)
    groups = [None] if by is None else list(groups)
    cells = bridge_cells(points, lo, hi, None if by is None else group_of_customer, len(groups))
    return cells_bridge(cells, groups, by, lo, hi)


def bridges_from_points(points: ChangePoints | None, lo: int, hi: int,
                        groupings: dict[str, tuple[list, np.ndarray]]) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """The whole bridge and the bridge per group of each grouping (column -> its sorted
    groups and each customer code's group, as :func:`attribute_groups` gives them), the
    frames :func:`bridge_from_points` returns; the whole bridge is summed from the first
    grouping's cells (exact in int64 ticks) instead of being computed again."""
    if points is None or hi < lo:
        return empty_bridge(None), {column: empty_bridge(column) for column in groupings}
    whole, by_column = None, {}
    for column, (groups, group_of_customer) in groupings.items():
        cells = bridge_cells(points, lo, hi, group_of_customer, len(groups))
        by_column[column] = cells_bridge(cells, list(groups), column, lo, hi)
        if whole is None:
            whole = cells_bridge(cells.whole(len(groups)), [None], None, lo, hi)
    if whole is None:
        whole = bridge_from_points(points, lo, hi)
    return whole, by_column


def cells_bridge(cells: BridgeCells, groups: list, by: str | None, lo: int, hi: int) -> pd.DataFrame:
    """The bridge frame of per-(group, month) cells (:func:`bridge_frame`), openings from the closings."""
    span = hi - lo + 1
    closing_2d = cells.closing.reshape(len(groups), span)
    customers_2d = cells.customers.reshape(len(groups), span)
    opening = np.concatenate([cells.before[:, None], closing_2d[:, :-1]], axis=1).ravel()
    opening_n = np.concatenate([cells.before_customers[:, None], customers_2d[:, :-1]], axis=1).ravel()
    return bridge_frame(groups, by, lo, hi, opening, opening_n, cells.closing, cells.customers, cells.amounts,
                        cells.counts)


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


def attribute_groups(customer_ids: pd.Index, customers: pd.DataFrame, column: str,
                     present: np.ndarray | None = None) -> tuple[list, np.ndarray]:
    """The groups of a customer attribute as :func:`with_attribute` attaches it (customers
    missing from ``customers``, or without a value, in ``"(unknown)"``), sorted, and the
    group of each of ``customer_ids`` (an index into them): what ``mrr_movements`` and
    ``trailing_retention`` get with ``by=column`` from the frame :func:`with_attribute` returns.
    ``present``: which of the customers have MRR in some month (the others are in no row of
    that frame, so their values make no group; their code is 0)."""
    attrs = customers.drop_duplicates("customer_id").set_index("customer_id")[column]
    values = attrs.reindex(customer_ids).astype("object").fillna("(unknown)")
    if present is None or present.all():
        codes, groups = pd.factorize(values, sort=True)
        return list(groups), codes.astype("int64")
    codes = np.zeros(len(customer_ids), dtype="int64")
    present_codes, groups = pd.factorize(values[present], sort=True)
    codes[present] = present_codes
    return list(groups), codes


# ----------------------------------------------------------------------------- internals

_CODE = {name: i for i, name in enumerate(MOVEMENTS)}


def _positive(customer_mrr: pd.DataFrame) -> pd.DataFrame:
    """Rows with MRR > 0; the frame itself (no copy) when that is every row."""
    positive = customer_mrr["mrr"].to_numpy() > 0
    return customer_mrr if positive.all() else customer_mrr[positive]


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
