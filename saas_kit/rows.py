"""The row engine shared by the bridge, the rates, the cohorts and the magic-moment
search: customer-month rows as integer arrays in (customer, month) order, exact int64
sums per index, and chunked loops with bounded temporaries (issue 11: these lived as
private helpers of :mod:`saas_kit.movements`).

Money is in int64 ticks (:mod:`saas_kit.money`); months are month numbers
(:mod:`saas_kit.calendar`).
"""
from __future__ import annotations

from typing import Iterator, NamedTuple

import numpy as np
import pandas as pd

from saas_kit.calendar import month_numbers
from saas_kit.money import int_bincount, to_ticks  # noqa: F401  (exact sums live with the ticks)
from saas_kit.mrr import customer_codes  # noqa: F401  (numbering lives with the change points)

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
