"""The row engine shared by the bridge, the rates, the cohorts and the magic-moment
search: customer-month rows as integer arrays in (customer, month) order, exact int64
sums per index, chunked loops with bounded temporaries (issue 11: these lived as
private helpers of :mod:`saas_kit.movements`), and the rows' change points
(:func:`points_from_rows`, from which :mod:`saas_kit.mrr_steps` computes the ledger's figures).

Money is in int64 ticks (:mod:`saas_kit.money`); months are month numbers
(:mod:`saas_kit.calendar`).
"""
from __future__ import annotations

from typing import Iterator, NamedTuple

import numpy as np
import pandas as pd

from saas_kit.calendar import month_numbers
from saas_kit.money import int_bincount, to_ticks  # noqa: F401  (exact sums live with the ticks)
from saas_kit.mrr import ChangePoints, customer_codes  # noqa: F401  (numbering lives with the change points)

#: Rows per chunk in per-row steps (rates, cohorts, the magic-moment search).
CHUNK_ROWS = 1 << 20


def chunks(n: int) -> Iterator[slice]:
    """Slices of at most :data:`CHUNK_ROWS` covering ``range(n)``. Per-row temporaries of a
    million rows reuse freed memory; temporaries of tens of millions of rows are fresh
    pages each time, whose zeroing by the kernel costs more than the arithmetic."""
    size = CHUNK_ROWS
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


def customer_groups(customer_mrr: pd.DataFrame, by: str | None, uniques: pd.Index) -> tuple[list, np.ndarray]:
    """The groups of column ``by`` (sorted; ``[None]`` without ``by``) and each customer's
    group code, aligned with ``uniques`` (the customer codes' ids)."""
    if by is None:
        return [None], np.zeros(len(uniques), dtype="int64")
    per_customer = customer_mrr.drop_duplicates("customer_id").set_index("customer_id")[by]
    values = per_customer.reindex(uniques)
    group_codes, groups = pd.factorize(values, sort=True)
    return list(groups), group_codes.astype("int64")


class SortedRows(NamedTuple):
    """Customer-month rows with MRR > 0, sorted by customer then month."""

    codes: np.ndarray  # int64 customer codes into ``uniques``
    uniques: pd.Index
    month: np.ndarray  # int32 month numbers (``year * 12 + month - 1``; half the memory of int64)
    ticks: np.ndarray  # int64 MRR in ticks


def sorted_rows(customer_mrr: pd.DataFrame) -> SortedRows:
    """A customer-month frame (``customer_id``, ``month``, ``mrr``) as :class:`SortedRows`;
    sorted only when it is not already in (customer, month) order. Negative MRR is a ValueError."""
    codes, uniques = customer_codes(customer_mrr["customer_id"])
    codes = codes.astype("int64", copy=False)
    m = month_numbers(customer_mrr["month"]).astype("int32")
    t = to_ticks(customer_mrr["mrr"])
    if (t < 0).any():
        raise ValueError("customer MRR must not be negative")
    if not is_sorted(codes, m):  # monthly_mrr output is already sorted
        order = np.lexsort((m, codes))
        codes, m, t = codes[order], m[order], t[order]
    return SortedRows(codes, pd.Index(uniques), m, t)


def is_sorted(codes: np.ndarray, month: np.ndarray) -> bool:
    """Are the rows in (customer, month) order? Boolean temporaries only."""
    if len(codes) < 2:
        return True
    later = codes[1:] > codes[:-1]
    later |= (codes[1:] == codes[:-1]) & (month[1:] >= month[:-1])
    return bool(later.all())


def points_from_rows(rows: SortedRows) -> ChangePoints | None:
    """The change points of customer-month rows (MRR > 0, sorted by customer then month):
    a point where a run of consecutive months at one level starts (at that level) and one
    in the month after a run's last month when the next row is not that month (level 0).
    None without rows. ``uniques`` are the rows' customer ids."""
    c, t = rows.codes, rows.ticks
    n = len(c)
    if n == 0:
        return None
    m = rows.month.astype("int64")
    follows = np.zeros(n, dtype=bool)  # the row is the same customer's next month
    np.equal(c[1:], c[:-1], out=follows[1:])
    follows[1:] &= m[1:] == m[:-1] + 1
    start = ~follows
    start[1:] |= t[1:] != t[:-1]
    end = np.ones(n, dtype=bool)  # no row in the month after: MRR drops to 0 then
    end[:-1] = ~follows[1:]
    del follows
    slots = start.astype("int64")
    slots += end
    first_slot = np.cumsum(slots)
    first_slot -= slots
    size = int(first_slot[-1] + slots[-1])
    del slots
    m0 = int(m.min())
    span = int(m.max()) + 2 - m0
    key = np.empty(size, dtype="int64")
    level = np.empty(size, dtype="int64")
    at = np.flatnonzero(start)
    key[first_slot[at]] = c[at] * span + (m[at] - m0)
    level[first_slot[at]] = t[at]
    at_end = np.flatnonzero(end)
    slot = first_slot[at_end] + start[at_end]
    key[slot] = c[at_end] * span + (m[at_end] + 1 - m0)
    level[slot] = 0
    return ChangePoints(key, level, span, m0, rows.uniques)
