"""Shared parsing for the billing-export importers (metrics.md §8).

Exports name their columns in many ways (``customer``, ``Customer ID``,
``subscriptions.customer_id``); :func:`normalise_header` reduces a header to snake case
(``Ended At (UTC)`` -> ``ended_at``) and :func:`pick_columns` finds each field by its
aliases. Money is read as exact integers of the currency's minor unit (cents; whole
units for zero-decimal currencies such as JPY and KRW) and turned into ticks (1/1200 of
a unit, saas_kit.money) only at the end, so no float ever touches an amount.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from saas_kit.errors import DataError, ParameterError
from saas_kit.loading import read_raw
from saas_kit.money import TICKS_PER_UNIT

#: ISO 4217 currencies Stripe (and most billing systems) bill in whole units.
ZERO_DECIMAL = frozenset({"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND",
                          "VUV", "XAF", "XOF", "XPF"})
#: Currencies with three decimals (minor unit = 1/1000).
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
_UNIX_SECONDS = re.compile(r"[0-9]{9,11}(\.[0-9]+)?")


def minor_exponent(currency: str) -> int:
    """Decimals of the currency's minor unit: 0 for JPY/KRW..., 3 for KWD..., else 2."""
    return 0 if currency in ZERO_DECIMAL else 3 if currency in THREE_DECIMAL else 2


def normalise_header(name: str) -> str:
    """``Ended At (UTC)`` -> ``ended_at``; ``subscriptions.customer_id`` -> ``customer_id``;
    ``Plan Unit Price`` -> ``plan_unit_price``."""
    text = re.sub(r"\((utc|gmt)\)", "", str(name), flags=re.IGNORECASE)
    text = re.sub(r"^(subscriptions?|invoice_line_items|line_items)\.", "", text.strip(), flags=re.IGNORECASE)
    text = re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_").lower()
    return text


def read_export(paths: Sequence[str | Path], mapping: Mapping[str, str] | None) -> pd.DataFrame:
    """Read one or more exports of the same format into one frame with normalised
    headers, the spreadsheet row ``_row`` and the file name ``_file`` of each record."""
    frames = []
    for path in paths:
        df = read_raw(path, mapping)
        renamed = {c: normalise_header(c) for c in df.columns if c != "_row"}
        df = df.rename(columns=renamed)
        dup = df.columns[df.columns.duplicated()]
        if len(dup):
            raise DataError(f"two columns read as {dup[0]!r} (rename one with --map)", file=str(path), row=1)
        df.insert(1, "_file", Path(path).name)
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def pick_columns(df: pd.DataFrame, aliases: Mapping[str, Sequence[str]], required: Sequence[str],
                 file: str) -> dict[str, str | None]:
    """field -> the first alias found among the (normalised) columns, or None. A missing
    required field is a DataError listing the columns found and the names accepted."""
    found: dict[str, str | None] = {}
    for field, names in aliases.items():
        found[field] = next((n for n in names if n in df.columns), None)
    missing = [f for f in required if found[f] is None]
    if missing:
        accepted = "; ".join(f"{f}: {' or '.join(aliases[f])}" for f in missing)
        have = ", ".join(c for c in df.columns if not c.startswith("_"))
        raise DataError(f"missing column(s) for {', '.join(missing)} (accepted names: {accepted}); found {have} "
                        "(rename an export column with --map OLD=NEW)", file=file, row=1)
    return found


def text(df: pd.DataFrame, column: str | None) -> pd.Series:
    """The column as stripped text ("" when absent or blank)."""
    if column is None:
        return pd.Series("", index=df.index, dtype=object)
    col = df[column]
    return col.map(lambda v: "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v).strip()) \
        .astype(object)


def fail(df: pd.DataFrame, index, message: str, column: str | None) -> None:
    """Raise a DataError for the record at ``index`` (file, spreadsheet row, column)."""
    raise DataError(message, file=str(df.at[index, "_file"]), row=int(df.at[index, "_row"]), column=column)


def instants(df: pd.DataFrame, column: str | None, required: bool = False) -> pd.Series:
    """Timestamps as UTC calendar dates (datetime64 at midnight): ISO 8601 text (with or
    without a time and an offset; an offset is converted to UTC) or Unix seconds (what
    Stripe's API and Sigma give). Blank -> NaT (an error when ``required``)."""
    values = text(df, column)
    out = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    if column is None:
        return out
    unix = values.str.fullmatch(_UNIX_SECONDS.pattern)
    if unix.any():
        out[unix] = pd.to_datetime(values[unix].astype(float), unit="s", utc=True).dt.tz_localize(None)
    rest = ~unix & (values != "")
    if rest.any():
        parsed = pd.to_datetime(values[rest], errors="coerce", utc=True, format="mixed")
        bad = parsed.isna()
        if bad.any():
            i = bad[bad].index[0]
            fail(df, i, f"cannot read the date {values[i][:40]!r} (expected an ISO date such as 2026-01-15, "
                        "2026-01-15T09:30:00Z, or Unix seconds)", column)
        out[rest] = parsed.dt.tz_localize(None)
    if required and (values == "").any():
        fail(df, (values == "").idxmax(), "date is missing", column)
    years = out.dt.year
    odd = out.notna() & ~years.between(1990, 2200)
    if odd.any():
        fail(df, odd.idxmax(), f"implausible date {out[odd].iloc[0].date()}", column)
    return out.dt.normalize()


def amounts_minor(df: pd.DataFrame, column: str | None, exponent: pd.Series | int, unit: str,
                  required: bool = True, allow_negative: bool = True, default: int = 0) -> pd.Series:
    """Exact integer amounts in the minor unit (Python ints in an object Series).

    ``unit`` ``minor``: the cells are already minor units (Stripe's API and Sigma: 4900
    for $49.00, 4900 for ¥4,900); a cell with decimals is an error that suggests
    ``--amounts major``. ``major``: the cells are currency units (49.00) and are scaled
    by 10^exponent; more decimals than the currency has is an error."""
    values = text(df, column)
    if isinstance(exponent, int):
        exponent = pd.Series(exponent, index=df.index)
    out = []
    for i, cell in values.items():
        if cell == "":
            if required and column is not None:
                fail(df, i, "amount is missing", column)
            out.append(default)
            continue
        try:
            number = Decimal(cell.replace(",", "") if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", cell) else cell)
        except InvalidOperation:
            fail(df, i, f"amount {cell[:40]!r} is not a number", column)
        if not number.is_finite():
            fail(df, i, f"amount {cell[:40]!r} is not a number", column)
        if unit == "major":
            number = number.scaleb(int(exponent[i]))
        if number != number.to_integral_value():
            hint = ("; these look like currency units: pass --amounts major" if unit == "minor"
                    else f" (the currency has {int(exponent[i])} decimals)")
            fail(df, i, f"amount {cell[:40]!r} is not a whole number of the currency's minor unit{hint}", column)
        if number < 0 and not allow_negative:
            fail(df, i, f"negative amount {cell[:40]!r}", column)
        if abs(number) > 10**15:
            fail(df, i, f"amount {cell[:40]!r} is implausibly large", column)
        out.append(int(number))
    return pd.Series(out, index=df.index, dtype=object)


def currencies(df: pd.DataFrame, column: str | None, given: str | None, what: str) -> str:
    """The one currency of the export: its column (upper-cased), else ``--currency``.
    Two currencies, or none at all, are errors (metrics.md §8: never assumed)."""
    codes = text(df, column).str.upper()
    present = codes[codes != ""]
    found = sorted(present.unique())
    given = given.strip().upper() if given else None
    if given and found and found != [given]:
        other = [c for c in found if c != given][0]
        fail(df, present[present == other].index[0], f"currency {other} where --currency says {given}", column)
    if len(found) > 1:
        counts = present.value_counts()
        listed = ", ".join(f"{c} ({n} rows)" for c, n in counts.items())
        raise DataError(f"the export mixes currencies ({listed}); MRR needs one currency: split the export by "
                        f"currency and import each part into its own folder", file=str(df["_file"].iloc[0]),
                        column=column)
    code = given or (found[0] if found else None)
    if code is None:
        raise ParameterError(f"the {what} has no currency column: give the currency with --currency CODE "
                             "(e.g. --currency USD); it is never assumed")
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ParameterError(f"currency must be a 3-letter ISO code such as USD, got {code!r}")
    return code


def minor_to_ticks(amount_minor: int | Fraction, exponent: int) -> Fraction:
    """Minor units -> ticks (exact Fraction): 1 cent = 12 ticks, 1 yen = 1200 ticks."""
    return Fraction(amount_minor) * Fraction(TICKS_PER_UNIT, 10**exponent)


def round_ticks(value: Fraction) -> int:
    """Nearest whole tick, halves away from zero."""
    sign = -1 if value < 0 else 1
    return sign * int((abs(value) * 2 + 1) // 2)


def month_ends_in(start: pd.Timestamp, end: pd.Timestamp) -> range:
    """Month numbers (year*12 + month-1) whose last day lies in ``[start, end)``
    (metrics.md §2: counted at every month end inside the period)."""
    first = start.year * 12 + start.month - 1
    last = end.year * 12 + end.month - 2  # last_day(M) < end  <=>  M + 1 <= month(end)
    return range(first, last + 1)


def as_number(period: pd.Period) -> int:
    return period.year * 12 + period.month - 1


def number_to_month(number: int) -> str:
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


def bool_cells(df: pd.DataFrame, column: str | None) -> np.ndarray:
    """true/false/1/0/yes/no (blank = false)."""
    values = text(df, column).str.lower()
    known = values.isin(["", "true", "false", "1", "0", "yes", "no", "t", "f", "y", "n"])
    if not known.all():
        fail(df, (~known).idxmax(), f"expected true or false, got {values[~known].iloc[0][:20]!r}", column)
    return values.isin(["true", "1", "yes", "t", "y"]).to_numpy()
