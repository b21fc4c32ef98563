"""Load and validate the inputs of metrics.md §1 from CSV or Parquet.

Every problem that makes a number wrong raises :class:`~saas_kit.errors.DataError`
naming the file, the row and the column. Row numbers are those a spreadsheet shows:
for CSV the header is row 1 and the first record row 2 (blank lines and cells with
line breaks count as a spreadsheet counts them); for Parquet the first record is
row 1. Suspicious but usable data is kept unchanged and reported as
:class:`~saas_kit.errors.DataWarning` (listed on the report's data page).

Real exports rarely use our column names, so every loader takes a column mapping
``{"export name": "canonical name"}`` (on the command line ``--map OLD=NEW``).

Choices where metrics.md §1 is silent (for the methodology page):

- CSV must be comma-separated, UTF-8 (with or without BOM), Shift_JIS (cp932) or
  UTF-16 with BOM; a semicolon- or tab-separated file is rejected with a message.
- Dates are ``YYYY-MM-DD`` (also ``YYYY/M/D`` and ``2024年1月5日``), optionally with a
  time; a UTC offset is dropped, keeping the local wall-clock time as written.
- Dates must lie between 1990 and one year after today; an ``end_date`` from 2100 on
  (placeholders such as ``9999-12-31``) means "still active" and is reported as a warning.
- Amounts are plain numbers (``1200``, ``1200.50``); ``1,200`` and ``¥1,200`` are
  rejected rather than guessed; negative amounts and amounts above 10^12 are errors.
- MRR is computed up to the last complete month before the as-of date (metrics.md §2):
  the ``as_of`` argument, else ``dataset.yml``'s ``as_of`` (saas_kit.metadata), else today.
  Nothing dated after the as-of date counts; rows of a ready ``mrr`` table for later months,
  and charges and events dated after it, are set aside with a warning.
- The currency is never assumed: the ``currency`` column, ``dataset.yml`` or the
  ``currency`` argument; without any, :func:`load_dataset` raises (unless the caller only
  prints plain numbers and passes ``require_currency=False``).
- Internal columns (``_row``) cannot collide with a user's column: a user column of that
  name is renamed ``_row (column N)``. All-empty rows (a trailing Excel row of commas) are
  ignored. A row whose customer id is a total label (合計, 小計, 総計, Total, Subtotal,
  Grand total, Sum) is set aside with a warning naming it, never counted; so is a row of a
  ready ``mrr`` table whose customer's every value equals the sum of the other customers'
  that month.
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from saas_kit.errors import DataError, DataWarning, ParameterError
from saas_kit.metadata import last_complete_month, parse_as_of, read_metadata, today
from saas_kit.mrr import monthly_mrr, mrr_from_table, period_to_number

# kind -> (required columns, optional columns)
SCHEMAS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "subscriptions": (("customer_id", "start_date", "amount"),
                      ("subscription_id", "end_date", "billing_period", "plan", "currency")),
    "mrr": (("customer_id", "month", "mrr"), ("currency",)),
    "customers": (("customer_id",), ("segment", "signup_date")),
    "charges": (("customer_id", "date", "amount"), ("kind", "currency")),
    "events": (("customer_id", "event", "timestamp"), ("user_id",)),
    "company": (("month",), ("employees", "sales_marketing_spend")),
}
# Other columns of these kinds are kept as attributes (e.g. customers' industry).
KEEPS_EXTRA_COLUMNS = {"customers"}

BILLING_PERIODS = {
    "month": "month", "monthly": "month", "m": "month", "1": "month",
    "quarter": "quarter", "quarterly": "quarter", "q": "quarter", "3": "quarter",
    "year": "year", "yearly": "year", "annual": "year", "annually": "year", "y": "year", "12": "year",
}
EARLIEST_DATE = pd.Timestamp("1990-01-01")
LATEST_DATE = pd.Timestamp("2100-01-01")  # end dates from here on are "open" placeholders
FUTURE_TOLERANCE = pd.Timedelta(days=366)  # other dates may be at most this far after today
MAX_AMOUNT = 1e12  # keeps every sum of ticks (1/1200 unit) far inside int64
_PLAIN_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_DATE = (r"^(?P<year>\d{4})[-/.年](?P<month>\d{1,2})[-/.月](?P<day>\d{1,2})日?"
         r"(?:[T ]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<frac>\d{1,9}))?)?)?"
         r"\s*(?:Z|UTC|[+-]\d{2}(?::?\d{2})?)?$")
_MONTH = re.compile(r"(\d{4})[-/.年](\d{1,2})月?(?:[-/.]\d{1,2}日?)?(?:[T ].*)?", re.ASCII)
_CURRENCY = re.compile(r"[A-Z]{3}")
_NON_SJIS = re.compile("[\x80-\x9f\ue000-\uf8ff]")  # what cp932 makes of bytes that are not Shift_JIS
_COMMA_SEPARATED_HINT = "export it as comma-separated CSV"
#: Columns the loader adds to every frame it reads; a user column of the same name is renamed.
INTERNAL_COLUMNS = ("_row",)
#: Customer ids that label a total row of a spreadsheet (compared case-insensitively, trimmed).
TOTAL_LABELS = frozenset({"合計", "小計", "総計", "総合計", "計", "total", "totals", "subtotal", "sub total",
                          "sub-total", "grand total", "sum", "合計金額"})
CURRENCY_HINT = ("give it with --currency CODE (e.g. --currency USD), add a currency column, "
                 "or write 'currency: USD' in the folder's dataset.yml")


@dataclass
class Dataset:
    """Everything read from a data directory, validated.

    ``customer_mrr`` is the customer-month MRR frame (from subscriptions or from a
    ready ``mrr`` table); ``files`` lists what was read (file, kind, rows, columns,
    period); ``warnings`` the usable-but-suspicious findings.
    """

    directory: Path
    currency: str | None
    customer_mrr: pd.DataFrame
    subscriptions: pd.DataFrame | None = None
    customers: pd.DataFrame | None = None
    charges: pd.DataFrame | None = None
    events: pd.DataFrame | None = None
    company: pd.DataFrame | None = None
    files: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: list[DataWarning] = field(default_factory=list)
    #: when the export was taken (metrics.md §2); None only for hand-built datasets
    as_of: pd.Timestamp | None = None
    #: the last complete month before ``as_of`` (the last month any output shows)
    last_month: pd.Period | None = None
    #: the keys of the folder's dataset.yml ({} without one)
    metadata: dict = field(default_factory=dict)

    @property
    def first_month(self) -> pd.Period:
        return self.customer_mrr["month"].min()

    @property
    def latest_month(self) -> pd.Period:
        """The last month reported: the last complete month before the as-of date (a
        churn in it shows even when no row mentions that month), else the latest month
        with MRR."""
        if self.last_month is not None:
            return self.last_month
        return self.customer_mrr["month"].max()

    def require_currency(self) -> str:
        """The dataset's currency, or a DataError saying how to give one (metrics.md §8:
        a currency is never silently assumed)."""
        if not self.currency:
            raise DataError(f"the data has no currency: {CURRENCY_HINT}", file=str(self.directory))
        return self.currency

    def warnings_table(self) -> pd.DataFrame:
        """The warnings as a table for the report's data page: file names only (never a
        machine's folder paths), the column, how many rows and the first row numbers."""
        def first_rows(rows: tuple[int, ...]) -> str:
            shown = ", ".join(map(str, rows[:10]))
            return shown + (f" and {len(rows) - 10} more" if len(rows) > 10 else "")

        return pd.DataFrame(
            [{"file": Path(w.file).name, "kind": w.kind, "column": w.column or "", "rows": len(w.rows),
              "first rows": first_rows(w.rows), "message": w.message} for w in self.warnings],
            columns=["file", "kind", "column", "rows", "first rows", "message"],
        )

    def check_month(self, month: str | pd.Period | None) -> pd.Period:
        """Validate a report month (``YYYY-MM``) against the data; None or "" = latest."""
        if month is None or (isinstance(month, str) and not month.strip()):
            return self.latest_month
        p = parse_month_parameter(month)
        if self.as_of is not None and p > self.latest_month and p >= self.first_month:
            raise ParameterError(
                f"report month {p} is not complete at the as-of date {self.as_of.date()} (a month counts once its "
                f"last day is before the as-of date; the last complete month is {self.latest_month}; "
                f"give a later date with --as-of YYYY-MM-DD)")
        if p < self.first_month or p > self.latest_month:
            raise ParameterError(
                f"report month {p} is outside the data, which covers {self.first_month} to {self.latest_month}"
            )
        return p


def parse_month_parameter(month: str | pd.Period | _dt.date) -> pd.Period:
    """'YYYY-MM' (or a Period / date) -> Period[M]; ParameterError for anything else,
    a month before 1990 or a month after the current one."""
    if isinstance(month, pd.Period):
        p = month.asfreq("M")
    elif isinstance(month, (_dt.date, pd.Timestamp)) and not pd.isna(month):
        p = pd.Timestamp(month).to_period("M")
    elif isinstance(month, str) and re.fullmatch(r"\d{4}-\d{2}", month.strip(), re.ASCII) \
            and 1 <= int(month.strip()[5:]) <= 12:
        p = pd.Period(month.strip(), freq="M")
    else:
        raise ParameterError(f"month must look like YYYY-MM (e.g. 2026-10), got {month!r} "
                             f"({type(month).__name__})")
    if p.year < EARLIEST_DATE.year:
        raise ParameterError(f"report month {p} is before {EARLIEST_DATE.year}")
    if p > pd.Timestamp.today().to_period("M"):
        raise ParameterError(f"report month {p} is in the future")
    return p


def parse_mapping(pairs: Iterable[str] | Mapping[str, str] | None) -> dict[str, str]:
    """``["monthly_amount=amount", ...]`` (or a dict) -> ``{"monthly_amount": "amount"}``."""
    if pairs is None:
        return {}
    if isinstance(pairs, Mapping):
        items = [(str(k).strip(), str(v).strip()) for k, v in pairs.items()]
    elif isinstance(pairs, (str, bytes)):
        raise ParameterError(f"column mapping must be a list of OLD=NEW, got the string {pairs!r}")
    else:
        items = []
        for pair in pairs:
            old, sep, new = str(pair).partition("=")
            if not sep:
                raise ParameterError(f"column mapping must look like OLD=NEW, got {pair!r}")
            items.append((old.strip(), new.strip()))
    for old, new in items:
        if not old or not new:
            raise ParameterError(f"column mapping must look like OLD=NEW with both names, got {old!r}={new!r}")
    return dict(items)


def _current_month() -> pd.Period:
    return pd.Timestamp.today().to_period("M")


# ----------------------------------------------------------------------------- reading files


def read_table(path: str | Path, kind: str, mapping: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Read a CSV (text: UTF-8 with or without BOM, Shift_JIS/cp932 or UTF-16 with BOM;
    comma-separated) or Parquet file, apply the column mapping and check the required
    columns of ``kind``.

    Every cell of a CSV is kept as text (``""`` when blank). The returned frame has an
    ``_row`` column with the spreadsheet row number of each record.
    """
    if kind not in SCHEMAS:
        raise ParameterError(f"unknown input kind {kind!r} (one of {', '.join(SCHEMAS)})")
    name = str(path)
    df = read_raw(path, mapping)
    if len(df) == 0:
        raise DataError("file has a header but no data rows", file=name, row=1 if "_row" in df else None)
    _check_required(df, kind, name)
    return df


def read_raw(path: str | Path, mapping: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Any CSV or Parquet export read as :func:`read_table` reads it (encodings, ``_row``
    numbers, all-empty rows dropped, the column mapping applied) without checking it
    against a canonical schema: the billing-export importers start here."""
    path = Path(path)
    _check_file(path)
    df = _read_parquet(path) if path.suffix.lower() in (".parquet", ".pq") else _read_csv(path)
    return _apply_mapping(_drop_empty_rows(df), mapping, str(path))


def _drop_empty_rows(df: pd.DataFrame) -> pd.DataFrame:
    """Rows with every cell blank (a trailing Excel row of commas, an all-null Parquet
    row) are not records: a spreadsheet shows them as blank rows. Only the rows still
    blank in every earlier column are looked at, so a normal file costs one pass over
    its first column."""
    if len(df) == 0 or len(df.columns) < 2:
        return df
    candidates = np.arange(len(df))
    for j in range(1, len(df.columns)):  # by position: a duplicated header is reported later
        cells = df.iloc[candidates, j]
        if cells.dtype == object:
            text = cells.map(_cell) if not _all_text(cells) else cells
            blank = (text.astype("string[pyarrow]").str.strip() == "").to_numpy(dtype=bool, na_value=True)
        else:
            blank = cells.isna().to_numpy()
        candidates = candidates[blank]
        if len(candidates) == 0:
            return df
    return df.drop(index=df.index[candidates]).reset_index(drop=True)


def _check_file(path: Path) -> None:
    name = str(path)
    try:
        if not path.exists():
            raise DataError("file not found", file=name)
        if path.is_dir():
            raise DataError("is a directory, expected a CSV or Parquet file", file=name)
        if path.stat().st_size == 0:
            raise DataError("file is empty", file=name)
    except OSError as exc:
        raise DataError(f"cannot open the file ({exc.strerror or exc})", file=name) from None


def _read_parquet(path: Path) -> pd.DataFrame:
    import pyarrow as pa

    try:
        # Text arrives dictionary-encoded (categorical): a value repeated on many rows
        # (a plan, an event name, a customer's id in the events) becomes one Python
        # string shared by those rows below, not one string per row.
        df = pd.read_parquet(path, to_pandas_kwargs={"strings_to_categorical": True})
    except Exception as exc:  # pyarrow raises many types for broken files
        raise DataError(f"cannot read Parquet file ({type(exc).__name__}: {exc})", file=str(path)) from None
    finally:
        pa.default_memory_pool().release_unused()  # hand the file's Arrow buffers back to the system
    df = df.reset_index(drop=True)
    df.columns = _safe_names([str(c).strip() for c in df.columns])
    # Text columns as Python text like the CSV reader gives; numbers and dates keep their
    # types (the validators take them as they are, which is much faster).
    df = df.astype({c: "object" for c in df.columns
                    if not (pd.api.types.is_datetime64_any_dtype(df[c]) or _is_number_column(df[c]))})
    df.insert(0, "_row", np.arange(1, len(df) + 1))
    return df


def _read_csv(path: Path) -> pd.DataFrame:
    text = _decode(path)
    if not text.strip():
        raise DataError("file is empty", file=str(path))
    if "\x00" in text:
        raise DataError("file contains NUL bytes: it is not a text CSV (Parquet files need the .parquet "
                        "extension)", file=str(path))
    fast = _read_csv_fast(text, str(path))
    if fast is not None:
        return fast
    header_row, header, records = _csv_records(text, str(path))
    return _frame(header_row, header, records, str(path))


def _read_csv_fast(text: str, name: str) -> pd.DataFrame | None:
    """Read a well-formed CSV with pyarrow (multi-threaded C) when its row numbers are
    certain: the file has exactly one line per record after the header (no blank lines,
    no line breaks inside quoted values). None = use the exact reader, which also
    produces every error message."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    first = text.split("\n", 1)[0].rstrip("\r")
    try:
        header = next(csv.reader([first]), [])
    except csv.Error:
        return None
    if len(header) < 2 or "\r" in text.replace("\r\n", "") or any(not h.strip() for h in header):
        return None
    data = text.encode("utf-8")
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(data),
            read_options=pa_csv.ReadOptions(column_names=[f"c{i}" for i in range(len(header))], skip_rows=1),
            parse_options=pa_csv.ParseOptions(newlines_in_values=False),
            convert_options=pa_csv.ConvertOptions(column_types={f"c{i}": pa.string() for i in range(len(header))},
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    if table.num_rows != lines - 1 or table.num_rows == 0:
        return None
    columns = [c for c in _frame(1, header, [], name).columns if c != "_row"]  # the header checks
    df = pd.DataFrame({i: table.column(i).to_numpy(zero_copy_only=False) for i in range(len(columns))},
                      dtype=object)
    df.columns = columns  # positionally: a duplicated header name must survive to be reported
    df.insert(0, "_row", np.arange(2, 2 + len(df), dtype="int64"))
    return df


def _decode(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read the file ({exc.strerror or exc})", file=str(path)) from None
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    else:
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
        try:
            text = raw.decode("cp932")
            if not _NON_SJIS.search(text):
                return text
        except UnicodeDecodeError:
            pass
    raise DataError("cannot decode the file: it is neither UTF-8 nor Shift_JIS (cp932) text; "
                    "save it as UTF-8 CSV", file=str(path))


def _csv_records(text: str, name: str) -> tuple[int, list[str], list[tuple[int, list[str]]]]:
    """(header row, header, [(spreadsheet row, fields)]) of non-blank records."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    header_row = 0
    records: list[tuple[int, list[str]]] = []
    row = 0
    try:
        for row, fields in enumerate(reader, start=1):
            if not any(f.strip() for f in fields):
                continue  # a blank line: a blank spreadsheet row
            if header is None:
                header, header_row = fields, row
            else:
                records.append((row, fields))
    except csv.Error as exc:
        raise DataError(f"malformed CSV ({exc}; check the quotes in this row)", file=name, row=row + 1,
                        column=None) from None
    if header is None:
        raise DataError("file is empty", file=name)
    return header_row, header, records


def _frame(header_row: int, header: list[str], records: list[tuple[int, list[str]]], name: str) -> pd.DataFrame:
    columns = [h.strip() for h in header]
    if len(columns) == 1 and re.search(r"[;\t|]", columns[0]):
        sep = {";": "semicolon", "\t": "tab", "|": "pipe"}[re.search(r"[;\t|]", columns[0]).group()]
        raise DataError(f"the file seems to be {sep}-separated, not comma-separated; {_COMMA_SEPARATED_HINT}",
                        file=name, row=header_row, column=columns[0][:40])
    columns = _safe_names([c or f"(unnamed column {i + 1})" for i, c in enumerate(columns)])
    n = len(columns)
    rows = np.empty(len(records), dtype="int64")
    cells: list[list[str]] = []
    for i, (row, fields) in enumerate(records):
        if len(fields) > n:
            if any(f.strip() for f in fields[n:]):
                raise DataError(f"row has {len(fields)} values but the header has {n} columns (an unquoted comma, "
                                f"e.g. in 1,200? quote such values or {_COMMA_SEPARATED_HINT} with plain numbers)",
                                file=name, row=row, column=columns[-1])
            fields = fields[:n]
        elif len(fields) < n:
            fields = fields + [""] * (n - len(fields))
        rows[i] = row
        cells.append(fields)
    df = pd.DataFrame(cells, columns=columns, dtype=object) if cells else pd.DataFrame(columns=columns, dtype=object)
    df.insert(0, "_row", rows)
    return df


def _safe_names(columns: list[str]) -> list[str]:
    """A user column named like an internal column (``_row``) becomes ``_row (column N)``."""
    return [f"{c} (column {i + 1})" if c in INTERNAL_COLUMNS else c for i, c in enumerate(columns)]


def _original_name(column: str) -> str:
    """The header as written in the file (undoes :func:`_safe_names`)."""
    m = re.fullmatch(r"(.*) \(column \d+\)", column)
    return m.group(1) if m and m.group(1) in INTERNAL_COLUMNS else column


def _apply_mapping(df: pd.DataFrame, mapping: Mapping[str, str] | None, name: str) -> pd.DataFrame:
    mapping = dict(mapping or {})
    for old, new in mapping.items():
        if new in INTERNAL_COLUMNS:
            raise ParameterError(f"column mapping {old}={new}: {new!r} is a name the loader uses itself; "
                                 "map the column to a canonical name such as customer_id")
    cols = [c if i == 0 and c == "_row" else mapping.get(_original_name(str(c).strip()), str(c).strip())
            for i, c in enumerate(df.columns)]
    df.columns = cols
    dup = df.columns[df.columns.duplicated()]
    if len(dup):
        raise DataError("column appears twice (in the header or after the column mapping)", file=name,
                        row=1, column=str(dup[0]))
    return df


def _check_required(df: pd.DataFrame, kind: str, name: str) -> None:
    required, _ = SCHEMAS[kind]
    found = [c for c in df.columns if c != "_row"]
    missing = [c for c in required if c not in df.columns]
    if not missing:
        return
    hints = [f"{c}={m}" for m in missing for c in found if c.lower().replace(" ", "_") == m]
    hint = f" (map export headers with --map {' --map '.join(hints) if hints else 'OLD=NEW'})"
    raise DataError(f"missing required column(s) {', '.join(missing)}; found {', '.join(found)}{hint}",
                    file=name, row=1, column=missing[0])


# ----------------------------------------------------------------------------- parsing cells


def _cell(v: object) -> str:
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


def _is_number_column(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _text(series: pd.Series) -> pd.Series:
    """Cells as stripped text (see :func:`_cell`). Columns that hold only text (every CSV
    column, most Parquet ones) are stripped in Arrow's C code, not cell by cell."""
    if _all_text(series):
        return _strip(series)
    return series.map(_cell).astype(object).str.strip()


def _all_text(series: pd.Series) -> bool:
    """Only Python/Arrow strings, no missing values."""
    return (series.dtype == object or isinstance(series.dtype, pd.StringDtype)) and \
        pd.api.types.infer_dtype(series, skipna=False) == "string"


def _strip(series: pd.Series) -> pd.Series:
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


def _first_bad(df: pd.DataFrame, mask: pd.Series) -> int:
    return int(df.loc[mask, "_row"].iloc[0])


def _fail(df: pd.DataFrame, mask: pd.Series, message: str, file: str, column: str) -> None:
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
    parts = text.str.extract(_DATE, flags=re.ASCII)
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
        text = _text(col)
        blank = text == ""
        parsed, year = _dates_from_text(text)
        unreadable = ~blank & year.isna()
        if unreadable.any():
            _fail(df, unreadable, f"cannot read date {text[unreadable].iloc[0][:40]!r} (expected YYYY-MM-DD)",
                  file, column)
        if end_date:
            far = ~blank & (year >= LATEST_DATE.year)
            parsed = parsed.where(~far)
            blank = blank | far
        impossible = ~blank & parsed.isna() & year.between(1900, 2199)
        if impossible.any():
            _fail(df, impossible, f"impossible date {text[impossible].iloc[0][:40]!r} (no such day or time)",
                  file, column)
    if required and blank.any():
        _fail(df, blank, "date is missing", file, column)
    _check_date_range(df, parsed, year, blank, column, file, future_ok=end_date)
    parsed = parsed.astype("datetime64[ns]")
    return parsed if with_time else parsed.dt.normalize()


def _check_date_range(df: pd.DataFrame, parsed: pd.Series, year: pd.Series, blank: pd.Series,
                      column: str, file: str, future_ok: bool = False) -> None:
    early = ~blank & (year < EARLIEST_DATE.year)
    if early.any():
        _fail(df, early, f"implausible date in year {int(year[early].iloc[0])} (dates before "
              f"{EARLIEST_DATE.year} are rejected)", file, column)
    if future_ok:
        return
    limit = pd.Timestamp.today().normalize() + FUTURE_TOLERANCE
    future = ~blank & ((year > limit.year) | (parsed > limit))
    if future.any():
        shown = parsed[future].iloc[0]
        shown = f"date {shown.date()}" if pd.notna(shown) else f"date in year {int(year[future].iloc[0])}"
        _fail(df, future, f"{shown} is in the far future (more than a year after today)", file, column)


def parse_amounts(df: pd.DataFrame, column: str, file: str, allow_negative: bool = False,
                  what: str = "amount") -> pd.Series:
    """Plain decimal numbers only. ``1,200`` or ``¥1,200`` are rejected with a message
    (a comma can be a thousands or a decimal separator; guessing would change numbers).
    Blank, non-finite, negative (unless allowed) and larger than 10^12 are errors."""
    if _is_number_column(df[column]):  # Parquet numbers: nothing to parse
        values = df[column].astype("float64")
        text = None
        if values.isna().any():
            _fail(df, values.isna(), f"{what} is missing", file, column)
        return _check_amount_values(df, values, text, column, file, allow_negative, what)
    text = _text(df[column])
    blank = text == ""
    if blank.any():
        _fail(df, blank, f"{what} is missing", file, column)
    bad = ~text.astype("string[pyarrow]").str.fullmatch(_PLAIN_NUMBER.pattern).astype(bool).to_numpy()
    bad = pd.Series(bad, index=text.index)
    if bad.any():
        value = str(text[bad].iloc[0])[:40]
        why = "not a number"
        if re.search(r"\d,\d", value) or re.search(r"[¥$€£円￥]", value):
            why = ("not a plain number (thousands separators and currency symbols are not accepted: "
                   "export plain numbers such as 1200)")
        _fail(df, bad, f"{what} {value!r} is {why}", file, column)
    return _check_amount_values(df, text.astype("float64"), text, column, file, allow_negative, what)


def _check_amount_values(df: pd.DataFrame, values: pd.Series, text: pd.Series | None, column: str, file: str,
                         allow_negative: bool, what: str) -> pd.Series:
    """Range checks shared by text and numeric amount columns."""
    big = ~(values.abs() <= MAX_AMOUNT)
    if big.any():
        shown = text[big].iloc[0][:40] if text is not None else f"{values[big].iloc[0]:g}"
        _fail(df, big, f"{what} {shown} is implausibly large (limit {MAX_AMOUNT:.0e})", file, column)
    if not allow_negative and (values < 0).any():
        _fail(df, values < 0, f"negative {what} {values[values < 0].iloc[0]:g} (refunds and credits are "
              f"not recurring revenue; remove them or export them separately)", file, column)
    return values


def _ids(df: pd.DataFrame, column: str, file: str, warnings: list[DataWarning]) -> pd.Series:
    """Ids as trimmed text (a number 7.0 from Parquet becomes '7'); blank ids are errors,
    trimmed ones and ids that differ only by leading zeros are warnings."""
    col = df[column]
    raw = col.astype(object) if _all_text(col) else col.map(_cell).astype(object)
    stripped = _strip(raw)
    blank = stripped == ""
    if blank.any():
        _fail(df, blank, "id is missing", file, column)
    padded = stripped != raw
    if padded.any():
        warnings.append(DataWarning(file, "whitespace_in_id", "ids with leading or trailing spaces were trimmed",
                                    tuple(df.loc[padded, "_row"].tolist()), column))
    clashes = leading_zero_clashes(stripped.unique())
    if clashes:
        warnings.append(DataWarning(file, "ambiguous_ids", "ids that differ only by leading zeros are treated as "
                                    f"different customers: {', '.join(clashes[:4])}", (), column))
    return stripped


def leading_zero_clashes(ids: Iterable[str]) -> list[str]:
    """Ids that are equal as numbers but differ as text ('007' and '7'), sorted."""
    s = pd.Series(pd.unique(pd.Series(list(ids) if not isinstance(ids, (pd.Series, np.ndarray)) else ids)),
                  dtype="string[pyarrow]")
    numeric = s[s.str.fullmatch(r"[0-9]+").fillna(False).astype(bool)].astype(object)
    canon = numeric.str.lstrip("0").replace("", "0")
    return sorted(numeric[canon.duplicated(keep=False)].tolist())


def _leading_zero_matches(ids: Iterable[str], known: set[str]) -> list[str]:
    """Ids (not in ``known``) equal as numbers to a known id: '007' when '7' is known."""
    canon = {k.lstrip("0") or "0" for k in known if k.isascii() and k.isdigit()}
    return sorted(i for i in ids if i.isascii() and i.isdigit() and (i.lstrip("0") or "0") in canon)


def _duplicates(df: pd.DataFrame, ids: pd.Series, what: str, file: str, column: str) -> None:
    dup = ids.duplicated(keep=False)
    if not dup.any():
        return
    first = ids[dup].iloc[0]
    rows = df.loc[ids == first, "_row"].tolist()
    raise DataError(f"duplicate {what} {first!r} (rows {', '.join(map(str, rows[:5]))})",
                    file=file, row=rows[1], column=column)


def _currency(df: pd.DataFrame, file: str, currency: str | None) -> str | None:
    """The one currency of the file (ISO code; None when neither the file nor the
    caller gives one); a second one is an error (metrics.md §1)."""
    expected = _currency_parameter(currency)
    if "currency" not in df.columns:
        return expected
    codes = _text(df["currency"]).astype("string[pyarrow]").str.upper()
    given = codes != ""
    malformed = given & ~codes.str.fullmatch(_CURRENCY.pattern).fillna(False).astype(bool)
    codes = codes.astype(object)
    if malformed.any():
        _fail(df, malformed, f"currency {codes[malformed].iloc[0][:20]!r} is not a 3-letter ISO code such as JPY",
              file, "currency")
    if expected is None:
        expected = codes[given].iloc[0] if given.any() else None
    if expected is None:
        return None
    bad = given & (codes != expected)
    if bad.any():
        _fail(df, bad, f"mixed currencies: {codes[bad].iloc[0]} where the data is in {expected} "
              f"(convert to one currency before loading)", file, "currency")
    return expected


def _currency_parameter(currency: str | None) -> str | None:
    if currency is None or (isinstance(currency, str) and not currency.strip()):
        return None
    code = str(currency).strip().upper()
    if not _CURRENCY.fullmatch(code):
        raise ParameterError(f"currency must be a 3-letter ISO code such as JPY, got {currency!r}")
    return code


def _months(df: pd.DataFrame, column: str, file: str) -> pd.Series:
    """``YYYY-MM`` (or a date, whose day is ignored) -> Period[M], checked like dates."""
    col = df[column]
    if pd.api.types.is_datetime64_any_dtype(col):
        text = col.dt.strftime("%Y-%m").fillna("")
    else:
        text = _text(col)
    parts = text.str.extract(f"^{_MONTH.pattern}$", flags=re.ASCII)
    year = pd.to_numeric(parts[0])
    month = pd.to_numeric(parts[1])
    bad = year.isna() | ~month.between(1, 12)
    if bad.any():
        value = text[bad].iloc[0][:40]
        _fail(df, bad, "month is missing" if value == "" else f"cannot read month {value!r} (expected YYYY-MM)",
              file, column)
    early = year < EARLIEST_DATE.year
    if early.any():
        _fail(df, early, f"implausible month in year {int(year[early].iloc[0])}", file, column)
    numbers = (year * 12 + month - 1).astype("int64")
    future = numbers > period_to_number(_current_month())
    if future.any():
        _fail(df, future, f"month {text[future].iloc[0][:7]!r} is in the future", file, column)
    return pd.Series(pd.PeriodIndex.from_ordinals(numbers.to_numpy() - 1970 * 12, freq="M"), index=df.index)


# ----------------------------------------------------------------------------- validators per kind


def validate_subscriptions(df: pd.DataFrame, file: str, currency: str | None = None
                           ) -> tuple[pd.DataFrame, str, list[DataWarning]]:
    """Canonical subscriptions frame (customer_id, subscription_id, start_date, end_date,
    amount, billing_period, plan, currency; plus ``_row``) + currency + warnings
    (metrics.md §1)."""
    warnings: list[DataWarning] = []
    out = pd.DataFrame({"_row": df["_row"]})
    out["customer_id"] = _ids(df, "customer_id", file, warnings)
    if "subscription_id" in df.columns:
        out["subscription_id"] = _ids(df, "subscription_id", file, warnings)
        _duplicates(df, out["subscription_id"], "subscription id", file, "subscription_id")
    else:
        out["subscription_id"] = "row-" + df["_row"].astype(str)
    out["start_date"] = parse_dates(df, "start_date", file)
    out["end_date"] = _end_dates(df, out, file, warnings)
    out["amount"] = parse_amounts(df, "amount", file)
    out["billing_period"] = _billing_periods(df, file)
    out["plan"] = _text(df["plan"]) if "plan" in df.columns else ""
    currency = _currency(df, file, currency)
    out["currency"] = currency
    out = out[~_total_rows(out, file, warnings)]
    warnings.extend(_amount_warnings(out, file))
    warnings.extend(_overlaps(out, file))
    return out.reset_index(drop=True), currency, warnings


def _end_dates(df: pd.DataFrame, out: pd.DataFrame, file: str, warnings: list[DataWarning]) -> pd.Series:
    if "end_date" not in df.columns:
        return pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    end = parse_dates(df, "end_date", file, required=False, end_date=True)
    if pd.api.types.is_datetime64_any_dtype(df["end_date"]):
        placeholder = pd.Series(False, index=df.index)  # typed dates: no 9999-12-31 text to read
    else:
        placeholder = end.isna() & (_text(df["end_date"]) != "")
    if placeholder.any():
        warnings.append(DataWarning(file, "open_end_placeholder", "end dates from 2100 on (such as 9999-12-31) "
                                    "are read as 'still active'", tuple(df.loc[placeholder, "_row"].tolist()),
                                    "end_date"))
    before = end.notna() & (end < out["start_date"])
    if before.any():
        i = before[before].index[0]
        raise DataError(f"end_date {end[i].date()} is before start_date {out.at[i, 'start_date'].date()}",
                        file=file, row=int(df.at[i, "_row"]), column="end_date")
    same = end.notna() & (end == out["start_date"])
    if same.any():
        warnings.append(DataWarning(file, "zero_length", "subscriptions that end on their start date never "
                                    "count in MRR", tuple(df.loc[same, "_row"].tolist()), "end_date"))
    return end


def _billing_periods(df: pd.DataFrame, file: str) -> pd.Series:
    if "billing_period" not in df.columns:
        return pd.Series("month", index=df.index, dtype=object)
    raw = _text(df["billing_period"]).str.lower()
    mapped = raw.where(raw != "", "month").map(BILLING_PERIODS)
    if mapped.isna().any():
        _fail(df, mapped.isna(), f"unknown billing period {raw[mapped.isna()].iloc[0][:40]!r} "
              "(use month, quarter or year)", file, "billing_period")
    return mapped.astype(object)


def is_total_label(value: object) -> bool:
    """True for a spreadsheet's total label (合計, 小計, Total, Grand total, ...)."""
    text = re.sub(r"[\s:：]+", " ", str(value)).strip().lower()
    return text in TOTAL_LABELS or text.replace(" ", "") in TOTAL_LABELS


def _total_rows(out: pd.DataFrame, file: str, warnings: list[DataWarning], amount: str = "amount") -> pd.Series:
    """Mask of total rows, set aside with a warning naming them (never counted): rows
    whose customer id is a total label, and (``mrr`` tables) the rows of a customer
    whose value in each of its months equals the sum of at least two other customers'
    values that month."""
    ids = out["customer_id"]
    labelled = ids.isin(ids[ids.map(is_total_label)].unique()) if len(ids) else pd.Series(False, index=out.index)
    total = labelled.copy()
    if amount == "mrr" and len(out) > 2:
        rest = out[~labelled]
        cm = rest.groupby(["customer_id", "month"], observed=True, sort=False)["mrr"].sum()
        by_month = cm.groupby(level="month", observed=True)
        month_sum, month_n = by_month.transform("sum"), by_month.transform("size")
        equal = (np.isclose(cm.to_numpy(), (month_sum - cm).to_numpy(), rtol=0, atol=1e-6)
                 & (month_n.to_numpy() >= 3) & (cm.to_numpy() > 0))
        is_total = pd.Series(equal, index=cm.index).groupby(level="customer_id", sort=False).all()
        if is_total.any():
            total |= ids == is_total[is_total].index[0]  # one such row at most: the others are customers
    if total.any():
        names = ", ".join(repr(x) for x in pd.unique(ids[total])[:3])
        warnings.append(DataWarning(file, "total_row", f"total row(s) {names} set aside: a total is not a customer "
                                    "and is never counted", tuple(out.loc[total, "_row"].tolist()), "customer_id"))
    return total


def _amount_warnings(out: pd.DataFrame, file: str) -> list[DataWarning]:
    found = []
    ticks = out["amount"] * 1200
    # a whole number of ticks written to 6 decimals (43.333333 = 52000 ticks) is exact, not rounded
    fine = (ticks - np.round(ticks)).abs() > 1e-3
    if fine.any():
        found.append(DataWarning(file, "sub_cent_amounts", "amounts with more than two decimals are rounded to "
                                 "1/1200 of a unit in MRR", tuple(out.loc[fine, "_row"].tolist()), "amount"))
    zero = out["amount"] == 0
    if zero.any():
        found.append(DataWarning(file, "zero_amount", "zero-amount subscriptions (free plans or 100% discounts) "
                                 "are kept but add no MRR", tuple(out.loc[zero, "_row"].tolist()), "amount"))
    return found


def _overlaps(subs: pd.DataFrame, file: str) -> list[DataWarning]:
    """Same customer and plan with overlapping periods: often a duplicated export row.

    Rows sorted by (customer, plan, start); a row overlaps when it starts before the
    latest end among the earlier rows of its customer and plan. Works on integer
    arrays only (no copy of the frame)."""
    subs = subs[~(subs["end_date"] == subs["start_date"]).to_numpy()]  # zero-length rows never count
    if len(subs) < 2:
        return []
    customer = pd.factorize(subs["customer_id"])[0].astype("int64")
    plan = pd.factorize(subs["plan"])[0].astype("int64")
    group = customer * (int(plan.max()) + 1) + plan  # one integer per customer and plan
    del customer, plan
    start = subs["start_date"].to_numpy(dtype="datetime64[ns]").view("int64")
    end = subs["end_date"].to_numpy(dtype="datetime64[ns]").view("int64").copy()
    end[subs["end_date"].isna().to_numpy()] = np.iinfo("int64").max  # open: runs forever
    order = np.lexsort((start, group))
    group, start, end = group[order], start[order], end[order]
    latest_end = pd.Series(end).groupby(group, sort=False).cummax().to_numpy()
    overlap = np.zeros(len(group), dtype=bool)
    overlap[1:] = (group[1:] == group[:-1]) & (start[1:] < latest_end[:-1])
    if not overlap.any():
        return []
    rows = subs["_row"].to_numpy()[order][overlap]
    return [DataWarning(file, "overlapping_subscriptions",
                        "the same customer has overlapping subscriptions to the same plan (both count in MRR)",
                        tuple(sorted(rows.tolist())), "start_date")]


def validate_mrr_table(df: pd.DataFrame, file: str, currency: str | None = None
                       ) -> tuple[pd.DataFrame, str, list[DataWarning]]:
    """Ready monthly MRR table (customer_id, month, mrr; metrics.md §1) + currency + warnings."""
    warnings: list[DataWarning] = []
    out = pd.DataFrame({"_row": df["_row"]})
    out["customer_id"] = _ids(df, "customer_id", file, warnings)
    out["month"] = _months(df, "month", file)
    out["mrr"] = parse_amounts(df, "mrr", file, what="mrr")
    out = out[~_total_rows(out, file, warnings, "mrr")]
    dup = out.duplicated(["customer_id", "month"], keep=False)
    if dup.any():
        warnings.append(DataWarning(file, "duplicate_customer_month", "several rows for the same customer and "
                                    "month are added together", tuple(out.loc[dup, "_row"].tolist()), "month"))
    return out.reset_index(drop=True), _currency(df, file, currency), warnings


def validate_customers(df: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[DataWarning]]:
    """Customers (customer_id, optional segment and signup_date, other attributes kept)."""
    warnings: list[DataWarning] = []
    out = df.copy()
    out["customer_id"] = _ids(df, "customer_id", file, warnings)
    _duplicates(df, out["customer_id"], "customer id", file, "customer_id")
    if "signup_date" in df.columns:
        out["signup_date"] = parse_dates(df, "signup_date", file, required=False)
    if "segment" in df.columns:
        out["segment"] = _text(df["segment"]).replace("", "(unknown)")
    return out.reset_index(drop=True), warnings


def validate_charges(df: pd.DataFrame, file: str, currency: str | None = None
                     ) -> tuple[pd.DataFrame, list[DataWarning]]:
    """One-off charges (customer_id, date, amount, kind); never part of MRR (seed 001)."""
    warnings: list[DataWarning] = []
    out = pd.DataFrame({"_row": df["_row"]})
    out["customer_id"] = _ids(df, "customer_id", file, warnings)
    out["date"] = parse_dates(df, "date", file)
    out["amount"] = parse_amounts(df, "amount", file)
    out["kind"] = _text(df["kind"]).replace("", "one-off") if "kind" in df.columns else "one-off"
    _currency(df, file, currency)
    return out.reset_index(drop=True), warnings


def validate_events(df: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[DataWarning]]:
    """Product events (customer_id, user_id, event, timestamp) for activation (metrics.md §7)."""
    warnings: list[DataWarning] = []
    out = pd.DataFrame({"_row": df["_row"]})
    out["customer_id"] = _ids(df, "customer_id", file, warnings)
    out["user_id"] = _text(df["user_id"]) if "user_id" in df.columns else ""
    event = _text(df["event"])
    if (event == "").any():
        _fail(df, event == "", "event name is missing", file, "event")
    out["event"] = event
    out["timestamp"] = parse_dates(df, "timestamp", file, with_time=True)
    return out.reset_index(drop=True), warnings


def validate_company(df: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[DataWarning]]:
    """Monthly company figures (month, employees, sales_marketing_spend) for ARR per
    employee and CAC (metrics.md §4)."""
    out = pd.DataFrame({"_row": df["_row"]})
    out["month"] = _months(df, "month", file)
    dup = out["month"].duplicated()
    if dup.any():
        _fail(out, dup, "month appears twice", file, "month")
    if "sales_marketing_spend" in df.columns:
        out["sales_marketing_spend"] = parse_amounts(df, "sales_marketing_spend", file, what="spend")
    if "employees" in df.columns:
        employees = parse_amounts(df, "employees", file, what="employees")
        fraction = employees != np.round(employees)
        if fraction.any():
            _fail(df, fraction, f"employees {employees[fraction].iloc[0]:g} is not a whole number", file, "employees")
        out["employees"] = employees.astype("int64")
    return out.reset_index(drop=True), []


# ----------------------------------------------------------------------------- directory


def find_file(directory: Path, kind: str) -> Path | None:
    """``<kind>.csv`` or else ``<kind>.parquet`` in ``directory`` (None if neither)."""
    for suffix in (".csv", ".parquet"):
        p = directory / f"{kind}{suffix}"
        if p.exists():
            return p
    return None


def load_subscriptions(path: str | Path, mapping: Mapping[str, str] | None = None,
                       currency: str | None = None) -> tuple[pd.DataFrame, str, list[DataWarning]]:
    """Read and validate one subscriptions file: (frame, currency, warnings)."""
    df = read_table(path, "subscriptions", mapping)
    warnings: list[DataWarning] = []
    _note_extra(df, "subscriptions", Path(path), warnings)
    subs, currency, w = validate_subscriptions(df, str(path), currency)
    return subs, currency, warnings + w


def load_dataset(directory: str | Path, mapping: Mapping[str, str] | None = None,
                 currency: str | None = None, as_of: str | _dt.date | pd.Timestamp | None = None,
                 require_currency: bool = True) -> Dataset:
    """Load every input found in ``directory``: ``subscriptions`` (or ``mrr``) is
    required; ``customers``, ``charges``, ``events``, ``company`` are optional. Each as
    ``<kind>.csv`` or ``<kind>.parquet``; ``dataset.yml`` (saas_kit.metadata) gives the
    as-of date and the currency when the arguments do not.

    Customer-month MRR (metrics.md §2) runs to the last complete month before the
    as-of date (``as_of``, else dataset.yml, else today): nothing dated after it counts.
    ``require_currency``: raise when no currency is known (the default; commands that
    print plain numbers pass False and get ``Dataset.currency`` None). Cross-file
    checks (charges or events of customers that appear nowhere else, ids that differ
    only by leading zeros between files) become warnings."""
    directory = Path(directory)
    _check_directory(directory)
    metadata = read_metadata(directory)
    currency = _currency_parameter(currency) or metadata.get("currency")
    as_of = parse_as_of(as_of) or metadata.get("as_of") or today()
    through = last_complete_month(as_of)
    warnings: list[DataWarning] = []
    files: list[dict] = []
    subs_path = _pick_file(directory, "subscriptions", warnings)
    mrr_path = _pick_file(directory, "mrr", warnings)
    if subs_path is not None:
        if mrr_path is not None:
            warnings.append(DataWarning(mrr_path.name, "ignored_file", "the subscriptions file is used; this ready "
                                        "MRR table is ignored"))
        subscriptions, currency, w = load_subscriptions(subs_path, mapping, currency)
        warnings += w
        warnings += _after_as_of(subscriptions, "start_date", subs_path, as_of, "subscriptions starting after the "
                                 "as-of date are not yet MRR")
        customer_mrr, main_path, main_frame = monthly_mrr(subscriptions, through), subs_path, subscriptions
    elif mrr_path is not None:
        raw = read_table(mrr_path, "mrr", mapping)
        _note_extra(raw, "mrr", mrr_path, warnings)
        table, currency, w = validate_mrr_table(raw, str(mrr_path), currency)
        warnings += w
        late = table["month"] > through
        if late.any():
            warnings.append(DataWarning(mrr_path.name, "after_as_of", f"months after {through} (not complete at the "
                                        f"as-of date {as_of.date()}) are not counted",
                                        tuple(table.loc[late, "_row"].tolist()), "month"))
            table = table[~late]
        subscriptions, customer_mrr, main_path, main_frame = None, mrr_from_table(table), mrr_path, table
    else:
        raise DataError("no subscriptions.csv / subscriptions.parquet (or mrr.csv / mrr.parquet) in the data "
                        "directory", file=str(directory))
    if customer_mrr.empty:
        raise DataError(f"no subscription is active at any month end up to {through}, the last complete month "
                        f"before the as-of date {as_of.date()}: nothing to report", file=str(main_path))
    if require_currency and not currency:
        raise DataError(f"the data has no currency: {CURRENCY_HINT}", file=str(main_path))
    customer_mrr.attrs["through"] = through
    files.append(_file_entry(main_path, main_path.stem, main_frame, f"{customer_mrr['month'].min()} to {through}"))
    loaded = {kind: _load_optional(directory, kind, mapping, currency, warnings, files, as_of)
              for kind in ("customers", "charges", "events", "company")}
    warnings += _cross_file_warnings(customer_mrr, subscriptions, loaded)
    return Dataset(
        directory=directory,
        currency=currency,
        customer_mrr=customer_mrr,
        subscriptions=None if subscriptions is None else subscriptions.drop(columns="_row"),
        **{kind: None if frame is None else frame.drop(columns="_row") for kind, (frame, _) in loaded.items()},
        files=pd.DataFrame(files, columns=["file", "kind", "rows", "columns", "period"]),
        warnings=warnings,
        as_of=as_of,
        last_month=through,
        metadata=metadata,
    )


def _after_as_of(frame: pd.DataFrame, column: str, path: Path, as_of: pd.Timestamp, message: str
                 ) -> list[DataWarning]:
    late = frame[column] >= as_of + pd.Timedelta(days=1)
    if not late.any():
        return []
    return [DataWarning(path.name, "after_as_of", f"{message} ({as_of.date()})", tuple(frame.loc[late, "_row"]
                                                                                         .tolist()), column)]


def _check_directory(directory: Path) -> None:
    if not directory.exists():
        raise DataError("data directory not found", file=str(directory))
    if not directory.is_dir():
        raise DataError("expected a data directory, got a file", file=str(directory))


def _pick_file(directory: Path, kind: str, warnings: list[DataWarning]) -> Path | None:
    path = find_file(directory, kind)
    if path is not None and path.suffix == ".csv" and (directory / f"{kind}.parquet").exists():
        warnings.append(DataWarning(f"{kind}.parquet", "ignored_file", f"{kind}.csv is used; the Parquet file "
                                    "of the same kind is ignored"))
    return path


def _file_entry(path: Path, kind: str, frame: pd.DataFrame, period: str) -> dict:
    return {"file": path.name, "kind": kind, "rows": len(frame),
            "columns": ", ".join(c for c in frame.columns if c != "_row"), "period": period}


def _load_optional(directory: Path, kind: str, mapping: Mapping[str, str] | None, currency: str | None,
                   warnings: list[DataWarning], files: list[dict], as_of: pd.Timestamp | None = None
                   ) -> tuple[pd.DataFrame | None, str]:
    """(validated frame with ``_row`` or None, file name) of one optional input."""
    path = _pick_file(directory, kind, warnings)
    if path is None:
        return None, ""
    raw = read_table(path, kind, mapping)
    _note_extra(raw, kind, path, warnings)
    if kind == "charges":
        frame, w = validate_charges(raw, str(path), currency)
    else:
        frame, w = {"customers": validate_customers, "events": validate_events,
                    "company": validate_company}[kind](raw, str(path))
    warnings += w
    date_col = {"charges": "date", "events": "timestamp", "company": "month", "customers": "signup_date"}[kind]
    if as_of is not None and kind in ("charges", "events"):
        found = _after_as_of(frame, date_col, path, as_of, f"{kind} dated after the as-of date are not counted")
        if found:
            warnings += found
            frame = frame[frame[date_col] < as_of + pd.Timedelta(days=1)].reset_index(drop=True)
    if as_of is not None and kind == "company":
        late = frame["month"] > last_complete_month(as_of)
        if late.any():
            warnings.append(DataWarning(path.name, "after_as_of", f"months after {last_complete_month(as_of)} (not "
                                        f"complete at the as-of date {as_of.date()}) are not shown",
                                        tuple(frame.loc[late, "_row"].tolist()), "month"))
            frame = frame[~late].reset_index(drop=True)
    span = ""
    if date_col in frame.columns and frame[date_col].notna().any():
        lo, hi = frame[date_col].min(), frame[date_col].max()
        span = f"{pd.Period(lo, 'M')} to {pd.Period(hi, 'M')}"
    files.append(_file_entry(path, kind, frame, span))
    return frame, path.name


def _cross_file_warnings(customer_mrr: pd.DataFrame, subscriptions: pd.DataFrame | None,
                         loaded: dict[str, tuple[pd.DataFrame | None, str]]) -> list[DataWarning]:
    found: list[DataWarning] = []
    known = set(customer_mrr["customer_id"].unique())
    if subscriptions is not None:
        known |= set(subscriptions["customer_id"].unique())
    for kind in ("customers", "charges", "events"):
        frame, name = loaded[kind]
        if frame is None:
            continue
        ids = frame["customer_id"]
        clashes = _leading_zero_matches(set(ids.unique()) - known, known)
        if clashes:
            found.append(DataWarning(name, "ids_differ_by_leading_zeros", "customer ids here and in the "
                                     "subscriptions differ only by leading zeros and are treated as different "
                                     f"customers: {', '.join(clashes[:4])}", (), "customer_id"))
        unknown = ~ids.isin(known)
        if kind != "customers" and unknown.any():
            found.append(DataWarning(name, "unknown_customers",
                                     f"{int(unknown.sum())} {kind} rows belong to customers without any "
                                     f"subscription (kept; they do not affect MRR)",
                                     tuple(frame.loc[unknown, "_row"].tolist()), "customer_id"))
    customers, name = loaded["customers"]
    if customers is not None:
        missing = known - set(customers["customer_id"])
        if missing:
            found.append(DataWarning(name, "customers_missing",
                                     f"{len(missing)} customers with subscriptions are missing from the customers "
                                     f"file; their segment shows as '(unknown)'", (), "customer_id"))
    return found


def _note_extra(raw: pd.DataFrame, kind: str, path: Path, warnings: list[DataWarning]) -> None:
    if kind in KEEPS_EXTRA_COLUMNS:
        return
    required, optional = SCHEMAS[kind]
    extra = [c for c in raw.columns if c != "_row" and c not in required and c not in optional]
    if extra:
        warnings.append(DataWarning(path.name, "ignored_columns",
                                    f"columns not used and ignored: {', '.join(extra)}", ()))


# ----------------------------------------------------------------------------- one load per report run

#: Environment variable naming a validated dataset snapshot written by ``saas-kit report``.
SNAPSHOT_ENV = "SAAS_KIT_DATASET_SNAPSHOT"


def _snapshot_key(directory: str | Path, mapping: Mapping[str, str] | None, currency: str | None,
                  as_of: object = None) -> tuple:
    as_of = parse_as_of(as_of)
    return (str(Path(directory).resolve()), tuple(sorted((mapping or {}).items())), (currency or "").upper(),
            "" if as_of is None else as_of.date().isoformat())


def write_snapshot(dataset: Dataset, path: str | Path, mapping: Mapping[str, str] | None = None,
                   currency: str | None = None, as_of: object = None) -> Path:
    """Save a validated dataset so that the notebooks of one report run reuse it instead
    of reading and validating the same export six times. The file lives in the run's
    private staging folder and is deleted with it."""
    import pickle

    path = Path(path)
    with open(path, "wb") as f:
        pickle.dump({"key": _snapshot_key(dataset.directory, mapping, currency, as_of), "dataset": dataset}, f,
                    protocol=pickle.HIGHEST_PROTOCOL)
    return path


def load_dataset_cached(directory: str | Path, mapping: Mapping[str, str] | None = None,
                        currency: str | None = None, as_of: object = None) -> Dataset:
    """:func:`load_dataset`, or the snapshot of this run when ``SAAS_KIT_DATASET_SNAPSHOT``
    names one made from the same folder, mapping and currency (set by ``saas-kit
    report`` for its notebooks only)."""
    import os
    import pickle

    snapshot = os.environ.get(SNAPSHOT_ENV)
    if snapshot and Path(snapshot).is_file():
        with open(snapshot, "rb") as f:
            saved = pickle.load(f)  # written by this package into its own staging folder
        if saved.get("key") == _snapshot_key(directory, mapping, currency, as_of):
            return saved["dataset"]
    return load_dataset(directory, mapping, currency, as_of=as_of)
