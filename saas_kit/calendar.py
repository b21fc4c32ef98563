"""Calendar months, one type end to end (issue 11).

A month is a :class:`pandas.Period` with frequency ``M`` (:data:`Month`). Where whole
columns of months are computed on, they travel as integer *month numbers*
``year * 12 + month - 1`` (2026-10 is 24321); :data:`EPOCH_MONTH_NUMBER` is the month
number of 1970-01, where pandas' monthly Period ordinals start. Text is ``YYYY-MM``
(:func:`check_month_name`, the only form that may become part of a path) and labels are
``October 2026`` or ``2026年10月`` (:func:`month_label`, independent of the locale).
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from saas_kit.errors import ParameterError

#: A calendar month: ``pd.Period(..., freq="M")``.
Month = pd.Period
#: Months in a year (ARR = MRR × 12, year-on-year = twelve months back).
MONTHS_PER_YEAR = 12
#: Month number of 1970-01: Period[M] ordinals count months from there.
EPOCH_MONTH_NUMBER = 1970 * 12
MONTH_NAME = re.compile(r"\d{4}-(0[1-9]|1[0-2])", re.ASCII)  # always used with fullmatch
MONTH_NAMES_EN = ("January", "February", "March", "April", "May", "June", "July",
                  "August", "September", "October", "November", "December")


def to_month(value: Month | str) -> Month:
    """A Period[M] from a Period, a date or ``YYYY-MM`` text (pandas' parser)."""
    return pd.Period(value, freq="M")


def check_month_name(month: str) -> str:
    """``month`` must be exactly ``YYYY-MM`` before it becomes part of a path: no
    separators, no ``..``, nothing that could leave the output folder. Returns it;
    :class:`saas_kit.errors.ParameterError` otherwise."""
    if not isinstance(month, str) or not MONTH_NAME.fullmatch(month):
        raise ParameterError(f"report month must look like YYYY-MM (e.g. 2026-10), got {month!r}")
    return month


def month_number(month: Month | str) -> int:
    """A month (Period or ``YYYY-MM``) -> its month number ``year * 12 + month - 1``."""
    p = to_month(month)
    return p.year * 12 + p.month - 1


def month_numbers(months: pd.Series | pd.PeriodIndex) -> np.ndarray:
    """A column of months -> their month numbers (a new int64 array)."""
    return pd.PeriodIndex(months, freq="M").asi8 + EPOCH_MONTH_NUMBER


def months_from_numbers(numbers: np.ndarray | int) -> pd.PeriodIndex | Month:
    """Month numbers -> Period[M] (an index for an array, one Period for a scalar)."""
    if np.ndim(numbers) == 0:
        n = int(numbers)
        return pd.Period(year=n // 12, month=n % 12 + 1, freq="M")
    return pd.PeriodIndex.from_ordinals(np.asarray(numbers, dtype="int64") - EPOCH_MONTH_NUMBER, freq="M")


def month_label(month: Month | str, style: str = "en") -> str:
    """``October 2026`` (English names whatever the locale) or, in style ``ja``, ``2026年10月``."""
    p = to_month(month)
    if style == "ja":
        return f"{p.year}年{p.month}月"
    return f"{MONTH_NAMES_EN[p.month - 1]} {p.year}"
