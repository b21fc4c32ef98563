"""Paid spans from a customer-month MRR table: the "subscriptions" the activation outcomes
look at when the ledger is a ready monthly MRR table (``mrr.csv`` / ``mrr.parquet``,
metrics.md §1, §8), which has no subscription dates."""
from __future__ import annotations

import numpy as np
import pandas as pd

from saas_kit.calendar import month_number, month_numbers, months_from_numbers
from saas_kit.errors import ParameterError

#: The columns of :func:`paid_spans_from_mrr` (those :func:`saas_kit.activation.customer_outcomes` reads).
SPAN_COLUMNS = ("customer_id", "start_date", "end_date", "amount")


def paid_spans_from_mrr(customer_mrr: pd.DataFrame, through: pd.Period | str | None = None) -> pd.DataFrame:
    """The paid spans a customer-month MRR table implies, as a subscriptions frame
    (``customer_id``, ``start_date``, ``end_date``, ``amount``) for
    :func:`saas_kit.activation.customer_outcomes`.

    MRR in month M means the customer was paying at M's month end (metrics.md §2, §3), so
    the table knows paid time to the month only. Each run of consecutive months
    ``M1, M1 + 1, ..., Mk`` with MRR > 0 of one customer is one span::

        start_date = first_day(M1)
        end_date   = first_day(Mk + 1)     (exclusive)

    A customer paying in March, April and May is paid from 1 March to 1 June; a month
    with MRR 0 (or no row) between two runs ends the first and the next run is a
    reactivation. A run that reaches ``through`` (the last month the table covers: the
    last complete month before the as-of date) is still paying as far as the table
    knows: its ``end_date`` is NaT (open), as a subscription without an end date, so
    that a customer paying in the last month is not taken for churned on the first day
    of the month after it. ``through`` None: the table's latest month with MRR.

    ``amount`` is the MRR of the run's first month (positive: the outcomes only test
    ``amount > 0``). Outcomes found from these spans are month-granular: first paid on a
    first of a month, churned on the first of the month after the last paid month.
    ``customer_mrr`` has ``customer_id``, ``month`` (Period[M] or ``YYYY-MM``) and ``mrr``;
    rows with MRR <= 0 or missing are months without MRR, and a customer-month given
    twice counts once. Rows: by customer (ids sorted), then by start.
    """
    missing = [c for c in ("customer_id", "month", "mrr") if c not in customer_mrr.columns]
    if missing:
        raise ParameterError(f"customer_mrr needs the columns customer_id, month and mrr; missing {missing}")
    paid = customer_mrr.loc[(pd.to_numeric(customer_mrr["mrr"], errors="coerce") > 0).to_numpy(dtype=bool)]
    codes, ids = pd.factorize(paid["customer_id"], sort=True)
    months = month_numbers(paid["month"])
    amounts = pd.to_numeric(paid["mrr"]).to_numpy(dtype="float64")
    order = np.lexsort((months, codes))
    codes, months, amounts = codes[order], months[order], amounts[order]
    once = np.ones(len(codes), dtype=bool)
    once[1:] = (codes[1:] != codes[:-1]) | (months[1:] != months[:-1])
    codes, months, amounts = codes[once], months[once], amounts[once]

    starts = _run_starts(codes, months)
    ends = np.append(starts[1:], len(codes))[:len(starts)] - 1  # each run's last row
    if through is not None:
        last_known = month_number(through)
    else:
        last_known = int(months.max()) if len(months) else 0
    open_run = months[ends] >= last_known
    return pd.DataFrame({
        "customer_id": ids.take(codes[starts]).to_numpy(),
        "start_date": _first_days(months[starts]),
        "end_date": _first_days(months[ends] + 1).where(~open_run, pd.NaT),
        "amount": amounts[starts],
    }, columns=list(SPAN_COLUMNS))


def _run_starts(codes: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Positions where a run begins, in rows sorted by customer code and month (each
    customer-month once): a new customer, or a month that does not follow the previous."""
    new_run = np.ones(len(codes), dtype=bool)
    new_run[1:] = (codes[1:] != codes[:-1]) | (months[1:] != months[:-1] + 1)
    return np.flatnonzero(new_run)


def _first_days(numbers: np.ndarray) -> pd.Series:
    """Month numbers -> midnight on each month's first day (datetime64[ns])."""
    if not len(numbers):
        return pd.Series([], dtype="datetime64[ns]")
    return pd.Series(months_from_numbers(numbers).to_timestamp(how="start")).astype("datetime64[ns]")
