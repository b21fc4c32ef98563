"""Exact money arithmetic for the MRR bridge.

Amounts are held as whole **ticks** of 1/1200 of a currency unit. Every monthly,
quarterly and annual price with at most two decimals is then a whole number of
ticks per month (``amount * 1200 / months_in_period`` with months 1, 3 or 12), so
sums and differences are exact integers: the bridge reconciles to the last unit and
there is no float drift.

DataFrames handed to users carry money as ordinary ``float64`` currency units. A
float made from a tick count (``ticks / 1200``) converts back to the same tick count
exactly (for totals below about 3.7 trillion units), so code that must be exact
converts with :func:`to_ticks`, works in ``int64`` and converts back with
:func:`from_ticks`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

TICKS_PER_UNIT = 1200
MONTHS_IN_PERIOD = {"month": 1, "quarter": 3, "year": 12}


def to_ticks(values: pd.Series | np.ndarray | float) -> np.ndarray:
    """Currency units (float) -> int64 ticks, rounding to the nearest tick."""
    scaled = np.asarray(values, dtype="float64") * TICKS_PER_UNIT  # a numpy scalar for a scalar
    if isinstance(scaled, np.ndarray):
        np.rint(scaled, out=scaled)  # in place: one temporary array, not two
    else:
        scaled = np.rint(scaled)
    return scaled.astype("int64")


def from_ticks(ticks: pd.Series | np.ndarray | int) -> np.ndarray:
    """int64 ticks -> currency units as float64 (the nearest double of the exact value)."""
    return np.asarray(ticks, dtype="int64") / TICKS_PER_UNIT


def ticks_to_text(ticks: int, max_decimals: int = 4) -> str:
    """Exact decimal text of a tick count: whole numbers print without decimals,
    others with up to ``max_decimals`` decimals (1/3 and 1/12 do not terminate)."""
    ticks = int(ticks)
    sign = "-" if ticks < 0 else ""
    whole, rest = divmod(abs(ticks), TICKS_PER_UNIT)
    if rest == 0:
        return f"{sign}{whole}"
    scaled = rest * 10**max_decimals
    frac, remainder = divmod(scaled, TICKS_PER_UNIT)
    if 2 * remainder >= TICKS_PER_UNIT:  # round half up on the last decimal
        frac += 1
        if frac == 10**max_decimals:
            return f"{sign}{whole + 1}"
    text = f"{frac:0{max_decimals}d}".rstrip("0")
    return f"{sign}{whole}.{text}"


def int_bincount(idx: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Exact integer sums per index. Float64 bincount is exact while every partial sum
    stays below 2**53 ticks (about 7.5 trillion currency units), which bounds the total
    of absolute values; beyond that an integer sort-and-reduce path is used."""
    if len(idx) == 0:
        return np.zeros(size, dtype="int64")
    bound = max(abs(int(values.max())), abs(int(values.min()))) * len(values)  # >= the sum of |values|
    if bound < 2**53 or np.abs(values).sum(dtype="float64") < 2**53:
        return np.bincount(idx, weights=values.astype("float64"), minlength=size).astype("int64")
    out = np.zeros(size, dtype="int64")
    order = np.argsort(idx, kind="stable")
    idx_s = idx[order]
    starts = np.flatnonzero(np.r_[True, idx_s[1:] != idx_s[:-1]])
    out[idx_s[starts]] += np.add.reduceat(values.astype("int64")[order], starts)
    return out
