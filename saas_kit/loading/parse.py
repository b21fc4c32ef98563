"""Parsing cells: text, dates, amounts, ids, currencies and months, each failing with a
DataError that names the file, the row and the column."""
from __future__ import annotations

import datetime as _dt
import re
from typing import Iterable

import numpy as np
import pandas as pd

from saas_kit.calendar import months_from_numbers
from saas_kit.errors import DataError, DataWarning, ParameterError
from saas_kit.mrr import period_to_number
from saas_kit.loading.data_warnings import data_warning
from saas_kit.loading.schema import (
    EARLIEST_DATE, FUTURE_TOLERANCE, LATEST_DATE, MAX_AMOUNT, CURRENCY_CODE, DATE_PATTERN, MONTH_PATTERN, PLAIN_NUMBER,
    current_month)


def cell_text(v: object) -> str:
    """One cell as text: missing values (None, NaN, NaT) as "", whole floats without ".0"."""
    if isinstance(v, str):
        return v
    if v is None or (pd.api.types.is_scalar(v) and pd.isna(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (_dt.datetime, _dt.date)):
        return v.isoformat()
    return str(v)


def is_number_column(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def as_text(series: pd.Series) -> pd.Series:
    """Cells as stripped text (see :func:`cell_text`). Columns that hold only text (every CSV
    column, most Parquet ones) are stripped in Arrow's C code, not cell by cell."""
    if is_all_text(series):
        return strip_text(series)
    return series.map(cell_text).astype(object).str.strip()


def is_all_text(series: pd.Series) -> bool:
    """Only Python/Arrow strings, no missing values."""
    return (series.dtype == object or isinstance(series.dtype, pd.StringDtype)) and \
        pd.api.types.infer_dtype(series, skipna=False) == "string"


def strip_text(series: pd.Series) -> pd.Series:
    """Strip surrounding whitespace in Arrow's C code; object dtype out, like the rest.
    Cells without such whitespace keep their own string object (no copy of the text)."""
    arrow = series.astype("string[pyarrow]")
    stripped = arrow.str.strip()
    changed = (stripped != arrow).to_numpy(dtype=bool, na_value=False)
    out = series.astype(object)
    if changed.any():
        values = out.to_numpy(copy=True)
        values[changed] = stripped[changed].to_numpy(dtype=object)
        out = pd.Series(values, index=series.index, name=series.name, dtype=object)
    return out


def distinct_codes(series: pd.Series, mostly_distinct_ok: bool = True) -> tuple[np.ndarray | None, pd.Series]:
    """(row -> distinct-value codes, the distinct cells) of a text column: parsing and
    checking the distinct values and expanding the results with :func:`expand_codes` gives
    the same row values as doing it on every row, at the cost of the distinct values (a
    ledger of millions of rows has a few thousand distinct dates, prices and plans).
    Columns that are not all text come back whole, with codes None; so do columns whose
    first rows are nearly all distinct unless ``mostly_distinct_ok`` (ids such as
    subscription ids: counting them distinct first would only add a pass). A Categorical
    of text without missing cells (``read_table(..., text_codes=True)``) gives its codes
    and categories as they are."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        cells = pd.Series(series.cat.categories.to_numpy(dtype=object), dtype=object)
        if (len(codes) == 0 or codes.min() >= 0) and is_all_text(cells) and \
                np.bincount(codes, minlength=len(cells)).all():  # each category used: checks see only real cells
            return codes, cells
        series = series.astype(object)
    if not is_all_text(series):
        return None, series
    if not mostly_distinct_ok and len(series) > 40_000 and len(pd.unique(series.to_numpy()[:20_000])) > 16_000:
        return None, series
    codes, uniques = pd.factorize(series.to_numpy(dtype=object), sort=False)
    return codes, pd.Series(uniques, dtype=object)


def expand_codes(values: pd.Series | np.ndarray, codes: np.ndarray | None, index: pd.Index) -> pd.Series:
    """Row values from the values of the distinct cells (see :func:`distinct_codes`)."""
    if codes is None and isinstance(values, pd.Series):
        return values
    arr = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    name = values.name if isinstance(values, pd.Series) else None
    # object stays object (pandas 3 would otherwise infer its Arrow-backed "str" dtype)
    return pd.Series(arr if codes is None else arr[codes], index=index, name=name,
                     dtype=object if arr.dtype == object else None)


def distinct_text(series: pd.Series) -> pd.Series:
    """:func:`as_text` of a column, computed on its distinct cells."""
    codes, cells = distinct_codes(series)
    return expand_codes(as_text(cells), codes, series.index)


def _first_bad(df: pd.DataFrame, mask: pd.Series) -> int:
    return int(df.loc[mask, "_row"].iloc[0])


def fail_rows(df: pd.DataFrame, mask: pd.Series, message: str, file: str, column: str) -> None:
    raise DataError(message, file=file, row=_first_bad(df, mask), column=column)


_FAST_FORMATS = ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")


def _fast_iso(text: pd.Series) -> pd.Series:
    """The plain ISO forms every billing system writes, parsed in C; NaT elsewhere
    (those cells go through the general parser) and for years outside 1900-2199."""
    fast = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    todo = text != ""
    for fmt in _FAST_FORMATS:
        if not todo.any():
            break
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        parsed = parsed.where(parsed.dt.year.between(1900, 2199))
        hit = parsed.notna()
        if hit.any():
            fast[hit[hit].index] = parsed[hit].astype("datetime64[ns]")
        todo = todo & fast.isna()
    return fast


def _dates_from_text(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(timestamps, year) of text cells; NaT for blank, unreadable and impossible dates
    and for years outside 1900-2199 (the caller rejects those by their year)."""
    # Fast path: plain ISO dates (almost every export) parse in C; the rest below.
    fast = _fast_iso(text)
    if fast.notna().all():
        return fast.astype("datetime64[ns]"), pd.Series(fast.dt.year, index=text.index, dtype="float64")
    rest = fast.isna()
    if (~rest).any():
        slow_ts, slow_year = _dates_from_text(text[rest])
        ts = fast.astype("datetime64[ns]").copy()
        ts[rest] = slow_ts
        year = pd.Series(fast.dt.year, index=text.index, dtype="float64")
        year[rest] = slow_year
        return ts, year
    parts = text.str.extract(DATE_PATTERN, flags=re.ASCII)
    num = parts.drop(columns="frac").apply(pd.to_numeric)
    usec = parts["frac"].fillna("0").str.ljust(6, "0").str[:6].astype("int64")
    convertible = (num["year"].between(1900, 2199) & num["month"].between(1, 12) & num["day"].between(1, 31)
                   & num["hour"].fillna(0).between(0, 23) & num["minute"].fillna(0).between(0, 59)
                   & num["second"].fillna(0).between(0, 59))
    ts = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if convertible.any():
        comp = num.loc[convertible].fillna(0).astype("int64")
        comp["us"] = usec[convertible]
        ts[convertible] = pd.to_datetime(comp, errors="coerce").astype("datetime64[ns]")
    return ts, num["year"]


def parse_dates(df: pd.DataFrame, column: str, file: str, required: bool = True,
                with_time: bool = False, end_date: bool = False) -> pd.Series:
    """Dates ``YYYY-MM-DD`` (also ``YYYY/M/D``, ``YYYY年M月D日``; an optional time is kept
    only ``with_time``). Unreadable or impossible dates (2026-02-30), dates before 1990
    and dates more than a year after today raise DataError naming the first bad row.
    ``end_date``: any future date is fine, and dates from 2100 on become NaT
    (placeholders such as 9999-12-31 for "no end")."""
    col = df[column]
    if pd.api.types.is_datetime64_any_dtype(col):
        parsed = col.dt.tz_localize(None) if col.dt.tz is not None else col
        year = parsed.dt.year
        blank = parsed.isna()
    else:
        codes, cells = distinct_codes(col)
        text_distinct = as_text(cells)
        parsed, year = _dates_from_text(text_distinct)
        blank = expand_codes((text_distinct == "").to_numpy(dtype=bool), codes, col.index)
        text, parsed, year = (expand_codes(v, codes, col.index) for v in (text_distinct, parsed, year))
        unreadable = ~blank & year.isna()
        if unreadable.any():
            fail_rows(df, unreadable, f"cannot read date {text[unreadable].iloc[0][:40]!r} (expected YYYY-MM-DD)",
                  file, column)
        if end_date:
            far = ~blank & (year >= LATEST_DATE.year)
            parsed = parsed.where(~far)
            blank = blank | far
        impossible = ~blank & parsed.isna() & year.between(1900, 2199)
        if impossible.any():
            fail_rows(df, impossible, f"impossible date {text[impossible].iloc[0][:40]!r} (no such day or time)",
                  file, column)
    if required and blank.any():
        fail_rows(df, blank, "date is missing", file, column)
    _check_date_range(df, parsed, year, blank, column, file, future_ok=end_date)
    parsed = parsed.astype("datetime64[ns]")
    return parsed if with_time else parsed.dt.normalize()


def _check_date_range(df: pd.DataFrame, parsed: pd.Series, year: pd.Series, blank: pd.Series,
                      column: str, file: str, future_ok: bool = False) -> None:
    early = ~blank & (year < EARLIEST_DATE.year)
    if early.any():
        fail_rows(df, early, f"implausible date in year {int(year[early].iloc[0])} (dates before "
              f"{EARLIEST_DATE.year} are rejected)", file, column)
    if future_ok:
        return
    limit = pd.Timestamp.today().normalize() + FUTURE_TOLERANCE
    future = ~blank & ((year > limit.year) | (parsed > limit))
    if future.any():
        shown = parsed[future].iloc[0]
        shown = f"date {shown.date()}" if pd.notna(shown) else f"date in year {int(year[future].iloc[0])}"
        fail_rows(df, future, f"{shown} is in the far future (more than a year after today)", file, column)


def parse_amounts(df: pd.DataFrame, column: str, file: str, allow_negative: bool = False,
                  what: str = "amount") -> pd.Series:
    """Plain decimal numbers only. ``1,200`` or ``¥1,200`` are rejected with a message
    (a comma can be a thousands or a decimal separator; guessing would change numbers).
    Blank, non-finite, negative (unless allowed) and larger than 10^12 are errors."""
    if is_number_column(df[column]):  # Parquet numbers: nothing to parse
        values = df[column].astype("float64")
        text = None
        if values.isna().any():
            fail_rows(df, values.isna(), f"{what} is missing", file, column)
        return _check_amount_values(df, values, text, column, file, allow_negative, what)
    codes, cells = distinct_codes(df[column])
    text_distinct = as_text(cells)
    text = expand_codes(text_distinct, codes, df.index)
    blank = expand_codes((text_distinct == "").to_numpy(dtype=bool), codes, df.index)
    if blank.any():
        fail_rows(df, blank, f"{what} is missing", file, column)
    plain = text_distinct.astype("string[pyarrow]").str.fullmatch(PLAIN_NUMBER.pattern).astype(bool).to_numpy()
    bad = expand_codes(~plain, codes, df.index)
    if bad.any():
        value = str(text[bad].iloc[0])[:40]
        why = "not a number"
        if re.search(r"\d,\d", value) or re.search(r"[¥$€£円￥]", value):
            why = ("not a plain number (thousands separators and currency symbols are not accepted: "
                   "export plain numbers such as 1200)")
        fail_rows(df, bad, f"{what} {value!r} is {why}", file, column)
    values = expand_codes(text_distinct.astype("float64"), codes, df.index)
    return _check_amount_values(df, values, text, column, file, allow_negative, what)


def _check_amount_values(df: pd.DataFrame, values: pd.Series, text: pd.Series | None, column: str, file: str,
                         allow_negative: bool, what: str) -> pd.Series:
    """Range checks shared by text and numeric amount columns."""
    big = ~(values.abs() <= MAX_AMOUNT)
    if big.any():
        shown = text[big].iloc[0][:40] if text is not None else f"{values[big].iloc[0]:g}"
        fail_rows(df, big, f"{what} {shown} is implausibly large (limit {MAX_AMOUNT:.0e})", file, column)
    if not allow_negative and (values < 0).any():
        fail_rows(df, values < 0, f"negative {what} {values[values < 0].iloc[0]:g} (refunds and credits are "
              f"not recurring revenue; remove them or export them separately)", file, column)
    return values


def parse_ids(df: pd.DataFrame, column: str, file: str, warnings: list[DataWarning]) -> pd.Series:
    """Ids as trimmed text (a number 7.0 from Parquet becomes '7'); blank ids are errors,
    trimmed ones and ids that differ only by leading zeros are warnings."""
    import pyarrow as pa
    import pyarrow.compute as pc

    col = df[column]
    # Each check runs once per distinct id (a customer's rows share one id), in Arrow's
    # C++ kernels; the results are expanded back to the rows.
    codes, cells = distinct_codes(col, mostly_distinct_ok=False)
    raw = cells.astype(object) if codes is not None or is_all_text(cells) else cells.map(cell_text).astype(object)
    values = raw.to_numpy(copy=True)
    arrow = pa.array(values, type=pa.string())
    trimmed = pc.utf8_trim_whitespace(arrow)  # what Series.str.strip does on Arrow strings
    padded_distinct = pc.not_equal(trimmed, arrow).to_numpy(zero_copy_only=False)
    if padded_distinct.any():
        values[padded_distinct] = trimmed.filter(pa.array(padded_distinct)).to_numpy(zero_copy_only=False)
    blank = expand_codes(pc.equal(trimmed, "").to_numpy(zero_copy_only=False), codes, df.index)
    if blank.any():
        fail_rows(df, blank, "id is missing", file, column)
    stripped = expand_codes(values, codes, df.index)
    if padded_distinct.any():
        padded = expand_codes(padded_distinct, codes, df.index)
        warnings.append(data_warning(file, "whitespace_in_id", "whitespace_in_id", df.loc[padded, "_row"].tolist(),
                                     column))
    digits_only = pc.match_substring_regex(trimmed, "^[0-9]+$").to_numpy(zero_copy_only=False)
    clashes = leading_zero_clashes(values[digits_only])  # only ids of digits can clash
    if clashes:
        warnings.append(data_warning(file, "ambiguous_ids", "ambiguous_ids", (), column, ids=", ".join(clashes[:4])))
    return stripped


def leading_zero_clashes(ids: Iterable[str]) -> list[str]:
    """Ids that are equal as numbers but differ as text ('007' and '7'), sorted."""
    s = pd.Series(pd.unique(pd.Series(list(ids) if not isinstance(ids, (pd.Series, np.ndarray)) else ids)),
                  dtype="string[pyarrow]")
    numeric = s[s.str.fullmatch(r"[0-9]+").fillna(False).astype(bool)].astype(object)
    canon = numeric.str.lstrip("0").replace("", "0")
    return sorted(numeric[canon.duplicated(keep=False)].tolist())


def leading_zero_matches(ids: Iterable[str], known: set[str]) -> list[str]:
    """Ids (not in ``known``) equal as numbers to a known id: '007' when '7' is known."""
    canon = {k.lstrip("0") or "0" for k in known if k.isascii() and k.isdigit()}
    return sorted(i for i in ids if i.isascii() and i.isdigit() and (i.lstrip("0") or "0") in canon)


def check_duplicates(df: pd.DataFrame, ids: pd.Series, what: str, file: str, column: str) -> None:
    """DataError naming the first duplicated id and its rows. Ids in strictly ascending
    order (how most exports list them) are distinct without hashing; otherwise one
    hash pass answers "all distinct" and only a file with duplicates is searched."""
    values = ids.to_numpy()
    if _strictly_ascending(values) or pd.Index(values, dtype=values.dtype).is_unique:
        return
    dup = ids.duplicated(keep=False)
    if not dup.any():
        return
    first = ids[dup].iloc[0]
    rows = df.loc[ids == first, "_row"].tolist()
    raise DataError(f"duplicate {what} {first!r} (rows {', '.join(map(str, rows[:5]))})",
                    file=file, row=rows[1], column=column)


def _strictly_ascending(values: np.ndarray) -> bool:
    """Is every value greater than the one before it (so no two are equal)?"""
    if len(values) < 2:
        return True
    try:
        return bool((values[1:] > values[:-1]).all())
    except TypeError:  # values of mixed types: no order to rely on
        return False


def parse_currency_column(df: pd.DataFrame, file: str, currency: str | None) -> str | None:
    """The one currency of the file (ISO code; None when neither the file nor the
    caller gives one); a second one is an error (metrics.md §1)."""
    expected = currency_parameter(currency)
    if "currency" not in df.columns:
        return expected
    row_codes, cells = distinct_codes(df["currency"])  # checked once per distinct cell, expanded to the rows
    distinct = as_text(cells).astype("string[pyarrow]").str.upper()
    given_distinct = (distinct != "").to_numpy(dtype=bool)
    well_formed = distinct.str.fullmatch(CURRENCY_CODE.pattern).fillna(False).astype(bool).to_numpy(dtype=bool)
    codes = expand_codes(distinct.astype(object), row_codes, df.index)
    given = expand_codes(given_distinct, row_codes, df.index)
    malformed = expand_codes(given_distinct & ~well_formed, row_codes, df.index)
    if malformed.any():
        fail_rows(df, malformed, f"currency {codes[malformed].iloc[0][:20]!r} is not a 3-letter ISO code such as JPY",
              file, "currency")
    if expected is None:
        expected = codes[given].iloc[0] if given.any() else None
    if expected is None:
        return None
    bad = expand_codes(given_distinct & (distinct.astype(object) != expected).to_numpy(dtype=bool), row_codes, df.index)
    if bad.any():
        fail_rows(df, bad, f"mixed currencies: {codes[bad].iloc[0]} where the data is in {expected} "
              f"(convert to one currency before loading)", file, "currency")
    return expected


def currency_parameter(currency: str | None) -> str | None:
    """A ``--currency`` / ``currency=`` argument as an upper-case ISO code (None or blank = None);
    anything but three letters is a ParameterError."""
    if currency is None or (isinstance(currency, str) and not currency.strip()):
        return None
    code = str(currency).strip().upper()
    if not CURRENCY_CODE.fullmatch(code):
        raise ParameterError(f"currency must be a 3-letter ISO code such as JPY, got {currency!r}")
    return code


def parse_months(df: pd.DataFrame, column: str, file: str) -> pd.Series:
    """``YYYY-MM`` (or a date, whose day is ignored) -> Period[M], checked like dates."""
    col = df[column]
    if pd.api.types.is_datetime64_any_dtype(col):
        text = col.dt.strftime("%Y-%m").fillna("")
    else:
        text = as_text(col)
    parts = text.str.extract(f"^{MONTH_PATTERN.pattern}$", flags=re.ASCII)
    year = pd.to_numeric(parts[0])
    month = pd.to_numeric(parts[1])
    bad = year.isna() | ~month.between(1, 12)
    if bad.any():
        value = text[bad].iloc[0][:40]
        fail_rows(df, bad, "month is missing" if value == "" else f"cannot read month {value!r} (expected YYYY-MM)",
              file, column)
    early = year < EARLIEST_DATE.year
    if early.any():
        fail_rows(df, early, f"implausible month in year {int(year[early].iloc[0])}", file, column)
    numbers = (year * 12 + month - 1).astype("int64")
    future = numbers > period_to_number(current_month())
    if future.any():
        fail_rows(df, future, f"month {text[future].iloc[0][:7]!r} is in the future", file, column)
    return pd.Series(months_from_numbers(numbers.to_numpy()), index=df.index)
