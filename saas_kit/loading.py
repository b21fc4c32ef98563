"""Load and validate the inputs of metrics.md §1 from CSV or Parquet.

Every problem that makes a number wrong raises :class:`~saas_kit.errors.DataError`
naming the file, the row and the column. Row numbers are those a spreadsheet shows:
for CSV the header is row 1 and the first record row 2; for Parquet the first record
is row 1. Suspicious but usable data is kept unchanged and reported as
:class:`~saas_kit.errors.DataWarning` (listed on the report's data page).

Real exports rarely use our column names, so every loader takes a column mapping
``{"export name": "canonical name"}`` (on the command line ``--map OLD=NEW``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from saas_kit.errors import DataError, DataWarning, ParameterError
from saas_kit.money import MONTHS_IN_PERIOD
from saas_kit.mrr import monthly_mrr, mrr_from_table, number_to_period, period_to_number

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
LATEST_DATE = pd.Timestamp("2100-01-01")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_ENCODINGS = ("utf-8-sig", "cp932")


@dataclass
class Dataset:
    """Everything read from a data directory, validated.

    ``customer_mrr`` is the customer-month MRR frame (from subscriptions or from a
    ready ``mrr`` table); ``files`` lists what was read (file, kind, rows, columns,
    period); ``warnings`` the usable-but-suspicious findings.
    """

    directory: Path
    currency: str
    customer_mrr: pd.DataFrame
    subscriptions: pd.DataFrame | None = None
    customers: pd.DataFrame | None = None
    charges: pd.DataFrame | None = None
    events: pd.DataFrame | None = None
    company: pd.DataFrame | None = None
    files: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: list[DataWarning] = field(default_factory=list)

    @property
    def first_month(self) -> pd.Period:
        return self.customer_mrr["month"].min()

    @property
    def latest_month(self) -> pd.Period:
        return self.customer_mrr["month"].max()

    def warnings_table(self) -> pd.DataFrame:
        """The warnings as a table for the report's data page."""
        return pd.DataFrame(
            [{"file": w.file, "kind": w.kind, "column": w.column or "", "rows": len(w.rows),
              "message": str(w)} for w in self.warnings],
            columns=["file", "kind", "column", "rows", "message"],
        )

    def check_month(self, month: str | pd.Period | None) -> pd.Period:
        """Validate a report month (``YYYY-MM``) against the data; None = latest."""
        if month in (None, ""):
            return self.latest_month
        p = parse_month_parameter(month)
        if p < self.first_month or p > self.latest_month:
            raise ParameterError(
                f"report month {p} is outside the data, which covers {self.first_month} to {self.latest_month}"
            )
        return p


def parse_month_parameter(month: str | pd.Period) -> pd.Period:
    """'YYYY-MM' -> Period; ParameterError for anything else or a month in the future."""
    if isinstance(month, pd.Period):
        p = month.asfreq("M")
    else:
        text = str(month).strip()
        if not re.fullmatch(r"\d{4}-\d{2}", text) or not 1 <= int(text[5:]) <= 12:
            raise ParameterError(f"month must look like YYYY-MM (e.g. 2026-10), got {month!r}")
        p = pd.Period(text, freq="M")
    if p > pd.Timestamp.today().to_period("M"):
        raise ParameterError(f"report month {p} is in the future")
    return p


def parse_mapping(pairs: Iterable[str] | Mapping[str, str] | None) -> dict[str, str]:
    """``["monthly_amount=amount", ...]`` (or a dict) -> ``{"monthly_amount": "amount"}``."""
    if pairs is None:
        return {}
    if isinstance(pairs, Mapping):
        return {str(k): str(v) for k, v in pairs.items()}
    mapping: dict[str, str] = {}
    for pair in pairs:
        old, sep, new = str(pair).partition("=")
        if not sep or not old.strip() or not new.strip():
            raise ParameterError(f"column mapping must look like OLD=NEW, got {pair!r}")
        mapping[old.strip()] = new.strip()
    return mapping


# ----------------------------------------------------------------------------- reading


def read_table(path: str | Path, kind: str, mapping: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Read a CSV (as text, UTF-8 with or without BOM, or Shift_JIS) or Parquet file,
    apply the column mapping and check the required columns of ``kind``.

    The returned frame has an ``_row`` column with the spreadsheet row number.
    """
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise DataError("file not found", file=name)
    if path.is_dir():
        raise DataError("is a directory, expected a CSV or Parquet file", file=name)
    if path.stat().st_size == 0:
        raise DataError("file is empty", file=name)
    if path.suffix.lower() in (".parquet", ".pq"):
        try:
            df = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises many types for broken files
            raise DataError(f"cannot read Parquet file ({type(exc).__name__}: {exc})", file=name) from None
        df = df.astype({c: "object" for c in df.columns if not pd.api.types.is_datetime64_any_dtype(df[c])})
        first_row = 1
    else:
        df = _read_csv_text(path)
        first_row = 2
    df.columns = [str(c).strip() for c in df.columns]
    df = df.rename(columns=dict(mapping or {}))
    if df.columns.duplicated().any():
        dup = df.columns[df.columns.duplicated()][0]
        raise DataError("column appears twice (after the column mapping)", file=name, column=dup)
    if len(df) == 0:
        raise DataError("file has a header but no data rows", file=name)
    required, _ = SCHEMAS[kind]
    missing = [c for c in required if c not in df.columns]
    if missing:
        hint = ""
        if len(df.columns) == 1 and re.search(r"[;\t|]", df.columns[0]):
            hint = " (the file does not seem to be comma-separated: export it as CSV with commas)"
        raise DataError(
            f"missing required column(s) {', '.join(missing)}; found {', '.join(map(str, df.columns))}"
            f"{hint} (map export headers with --map OLD=NEW)",
            file=name, column=missing[0],
        )
    df.insert(0, "_row", np.arange(first_row, first_row + len(df)))
    return df


def _read_csv_text(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()
    for encoding in _ENCODINGS:
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise DataError("cannot decode the file as UTF-8 or Shift_JIS (cp932); save it as UTF-8 CSV",
                        file=str(path))
    if not text.strip():
        raise DataError("file is empty", file=str(path))
    import io

    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=False)
    except pd.errors.ParserError as exc:
        match = re.search(r"line (\d+)", str(exc))
        row = int(match.group(1)) if match else None
        raise DataError(f"malformed CSV ({exc})", file=str(path), row=row) from None


# ----------------------------------------------------------------------------- parsing cells


def _blank(series: pd.Series) -> pd.Series:
    return series.isna() | (series.astype(str).str.strip() == "")


def _first_bad(df: pd.DataFrame, mask: pd.Series) -> int:
    return int(df.loc[mask, "_row"].iloc[0])


def parse_dates(df: pd.DataFrame, column: str, file: str, required: bool = True,
                with_time: bool = False) -> pd.Series:
    """ISO dates (``YYYY-MM-DD``, also ``YYYY/MM/DD``; with_time: ISO timestamps).
    Impossible dates (2026-02-30), unparseable text and dates before 1990 or after 2100
    raise DataError naming the first bad row."""
    col = df[column]
    if pd.api.types.is_datetime64_any_dtype(col):
        parsed = pd.to_datetime(col).dt.tz_localize(None) if getattr(col.dt, "tz", None) else pd.to_datetime(col)
    else:
        text = col.astype("object").where(~_blank(col), None)
        text = text.map(lambda v: v.strip().replace("/", "-") if isinstance(v, str) else v)
        fmt = "ISO8601"
        parsed = pd.to_datetime(text, errors="coerce", format=fmt)
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_convert(None)
        bad = parsed.isna() & text.notna()
        if bad.any():
            value = text[bad].iloc[0]
            raise DataError(f"cannot read date {value!r} (expected YYYY-MM-DD; impossible dates such as "
                            f"2026-02-30 are rejected)", file=file, row=_first_bad(df, bad), column=column)
    if not with_time:
        parsed = parsed.dt.normalize()
    if required and parsed.isna().any():
        raise DataError("date is missing", file=file, row=_first_bad(df, parsed.isna()), column=column)
    out_of_range = parsed.notna() & ((parsed < EARLIEST_DATE) | (parsed >= LATEST_DATE))
    if out_of_range.any():
        raise DataError(f"implausible date {parsed[out_of_range].iloc[0].date()} (allowed 1990 to 2099)",
                        file=file, row=_first_bad(df, out_of_range), column=column)
    return parsed.astype("datetime64[ns]")


def parse_amounts(df: pd.DataFrame, column: str, file: str, allow_negative: bool = False) -> pd.Series:
    """Plain decimal numbers only. ``1,200`` or ``¥1,200`` are rejected with a message
    (a comma can be a thousands or a decimal separator; guessing would change numbers)."""
    col = df[column]
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        values = pd.to_numeric(col, errors="coerce").astype("float64")
        blank = values.isna()
    else:
        text = col.astype("object").map(lambda v: v.strip() if isinstance(v, str) else v)
        blank = _blank(text)
        ok = text.map(lambda v: isinstance(v, (int, float)) or bool(_PLAIN_NUMBER.match(str(v))))
        bad = ~ok & ~blank
        if bad.any():
            value = str(text[bad].iloc[0])
            why = "not a number"
            if re.search(r"\d,\d", value) or re.search(r"[¥$€£円]", value):
                why = "not a plain number (thousands separators and currency symbols are not accepted: export plain numbers such as 1200)"
            raise DataError(f"amount {value!r} is {why}", file=file, row=_first_bad(df, bad), column=column)
        values = pd.to_numeric(text.where(~blank, None), errors="coerce").astype("float64")
    if blank.any():
        raise DataError("amount is missing", file=file, row=_first_bad(df, blank), column=column)
    if not np.isfinite(values).all():
        raise DataError("amount is not finite", file=file, row=_first_bad(df, ~np.isfinite(values)), column=column)
    if not allow_negative and (values < 0).any():
        raise DataError(f"negative amount {values[values < 0].iloc[0]:g} (refunds and credits are not MRR)",
                        file=file, row=_first_bad(df, values < 0), column=column)
    return values


def _ids(df: pd.DataFrame, column: str, file: str, warnings: list[DataWarning]) -> pd.Series:
    raw = df[column]
    blank = _blank(raw)
    if blank.any():
        raise DataError("id is missing", file=file, row=_first_bad(df, blank), column=column)
    text = raw.map(lambda v: format(v, "g") if isinstance(v, float) else str(v))
    stripped = text.str.strip()
    padded = stripped != text
    if padded.any():
        warnings.append(DataWarning(file, "whitespace_in_id",
                                    "ids with leading or trailing spaces were trimmed",
                                    tuple(df.loc[padded, "_row"].tolist()), column))
    unique = pd.Series(stripped.unique())
    numeric = unique[unique.str.fullmatch(r"\d+")]
    if len(numeric):
        canon = numeric.str.lstrip("0").replace("", "0")
        clashes = canon[canon.duplicated(keep=False)]
        if len(clashes):
            examples = sorted(numeric[canon.duplicated(keep=False)].tolist())[:4]
            warnings.append(DataWarning(file, "ambiguous_ids",
                                        f"ids that differ only by leading zeros are treated as different customers: "
                                        f"{', '.join(examples)}", (), column))
    return stripped


# ----------------------------------------------------------------------------- validators per kind


def validate_subscriptions(df: pd.DataFrame, file: str, currency: str | None = None
                           ) -> tuple[pd.DataFrame, str, list[DataWarning]]:
    """Canonical subscriptions frame (see module docstring) + currency + warnings."""
    warnings: list[DataWarning] = []
    out = pd.DataFrame({"_row": df["_row"]})
    out["customer_id"] = _ids(df, "customer_id", file, warnings)
    if "subscription_id" in df.columns:
        out["subscription_id"] = _ids(df, "subscription_id", file, warnings)
        dup = out["subscription_id"].duplicated(keep=False)
        if dup.any():
            rows = out.loc[dup, "_row"].tolist()
            sid = out.loc[dup, "subscription_id"].iloc[0]
            raise DataError(f"duplicate subscription id {sid!r} (rows {', '.join(map(str, rows[:5]))})",
                            file=file, row=rows[1] if len(rows) > 1 else rows[0], column="subscription_id")
    else:
        out["subscription_id"] = "row-" + df["_row"].astype(str)
    out["start_date"] = parse_dates(df, "start_date", file)
    out["end_date"] = (parse_dates(df, "end_date", file, required=False) if "end_date" in df.columns
                       else pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]"))
    before = out["end_date"].notna() & (out["end_date"] < out["start_date"])
    if before.any():
        r = out.loc[before].iloc[0]
        raise DataError(f"end_date {r.end_date.date()} is before start_date {r.start_date.date()}",
                        file=file, row=int(r["_row"]), column="end_date")
    same = out["end_date"].notna() & (out["end_date"] == out["start_date"])
    if same.any():
        warnings.append(DataWarning(file, "zero_length", "subscriptions that end on their start date never "
                                    "count in MRR", tuple(out.loc[same, "_row"].tolist()), "end_date"))
    out["amount"] = parse_amounts(df, "amount", file)
    if "billing_period" in df.columns:
        raw = df["billing_period"].astype(str).str.strip().str.lower()
        raw = raw.where(raw != "", "month")
        mapped = raw.map(BILLING_PERIODS)
        if mapped.isna().any():
            raise DataError(f"unknown billing period {raw[mapped.isna()].iloc[0]!r} (use month, quarter or year)",
                            file=file, row=_first_bad(df, mapped.isna()), column="billing_period")
        out["billing_period"] = mapped
    else:
        out["billing_period"] = "month"
    out["plan"] = df["plan"].astype(str).str.strip() if "plan" in df.columns else ""
    currency = _currency(df, file, currency)
    out["currency"] = currency
    fine = (out["amount"] * 100 - np.round(out["amount"] * 100)).abs() > 1e-6
    if fine.any():
        warnings.append(DataWarning(file, "sub_cent_amounts", "amounts with more than two decimals are "
                                    "rounded to 1/1200 of a unit in MRR", tuple(out.loc[fine, "_row"].tolist()), "amount"))
    zero = out["amount"] == 0
    if zero.any():
        warnings.append(DataWarning(file, "zero_amount", "zero-amount subscriptions (free plans or 100% "
                                    "discounts) are kept but add no MRR", tuple(out.loc[zero, "_row"].tolist()), "amount"))
    warnings.extend(_overlaps(out, file))
    return out.reset_index(drop=True), currency, warnings


def _currency(df: pd.DataFrame, file: str, currency: str | None) -> str:
    if "currency" in df.columns:
        codes = df["currency"].astype(str).str.strip().str.upper()
        codes = codes.where(codes != "", None)
        first = codes.dropna().iloc[0] if codes.notna().any() else (currency or "JPY")
        expected = (currency or first).upper()
        bad = codes.notna() & (codes != expected)
        if bad.any():
            raise DataError(f"mixed currencies: {codes[bad].iloc[0]} where the data is in {expected} "
                            f"(convert to one currency before loading)", file=file,
                            row=_first_bad(df, bad), column="currency")
        return expected
    return (currency or "JPY").upper()


def _overlaps(subs: pd.DataFrame, file: str) -> list[DataWarning]:
    """Same customer and plan with overlapping periods: often a duplicated export row."""
    s = subs.sort_values(["customer_id", "plan", "start_date"])
    end = s["end_date"].fillna(pd.Timestamp.max)
    prev_end = end.groupby([s["customer_id"], s["plan"]]).shift()
    overlap = prev_end.notna() & (s["start_date"] < prev_end)
    if not overlap.any():
        return []
    return [DataWarning(file, "overlapping_subscriptions",
                        "the same customer has overlapping subscriptions to the same plan (both count in MRR)",
                        tuple(sorted(s.loc[overlap, "_row"].tolist())), "start_date")]


def validate_mrr_table(df: pd.DataFrame, file: str, currency: str | None = None
                       ) -> tuple[pd.DataFrame, str, list[DataWarning]]:
    warnings: list[DataWarning] = []
    out = pd.DataFrame({"_row": df["_row"]})
    out["customer_id"] = _ids(df, "customer_id", file, warnings)
    text = df["month"].astype(str).str.strip().str[:7]
    ok = text.str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])")
    if not ok.all():
        raise DataError(f"cannot read month {df['month'][~ok].iloc[0]!r} (expected YYYY-MM)",
                        file=file, row=_first_bad(df, ~ok), column="month")
    out["month"] = pd.PeriodIndex(text, freq="M")
    out["mrr"] = parse_amounts(df, "mrr", file)
    dup = out.duplicated(["customer_id", "month"], keep=False)
    if dup.any():
        warnings.append(DataWarning(file, "duplicate_customer_month", "several rows for the same customer and "
                                    "month are added together", tuple(out.loc[dup, "_row"].tolist()), "month"))
    return out, _currency(df, file, currency), warnings


def validate_customers(df: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[DataWarning]]:
    warnings: list[DataWarning] = []
    out = df.copy()
    out["customer_id"] = _ids(df, "customer_id", file, warnings)
    dup = out["customer_id"].duplicated(keep=False)
    if dup.any():
        rows = out.loc[dup, "_row"].tolist()
        raise DataError(f"duplicate customer id {out.loc[dup, 'customer_id'].iloc[0]!r} (rows "
                        f"{', '.join(map(str, rows[:5]))})", file=file, row=rows[1], column="customer_id")
    if "signup_date" in df.columns:
        out["signup_date"] = parse_dates(df, "signup_date", file, required=False)
    if "segment" in df.columns:
        out["segment"] = df["segment"].astype(str).str.strip().replace("", "(unknown)")
    return out.reset_index(drop=True), warnings


def validate_charges(df: pd.DataFrame, file: str, currency: str | None) -> tuple[pd.DataFrame, list[DataWarning]]:
    warnings: list[DataWarning] = []
    out = pd.DataFrame({"_row": df["_row"]})
    out["customer_id"] = _ids(df, "customer_id", file, warnings)
    out["date"] = parse_dates(df, "date", file)
    out["amount"] = parse_amounts(df, "amount", file)
    out["kind"] = df["kind"].astype(str).str.strip() if "kind" in df.columns else "one-off"
    _currency(df, file, currency)
    return out.reset_index(drop=True), warnings


def validate_events(df: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[DataWarning]]:
    warnings: list[DataWarning] = []
    out = pd.DataFrame({"_row": df["_row"]})
    out["customer_id"] = _ids(df, "customer_id", file, warnings)
    out["user_id"] = df["user_id"].astype(str).str.strip() if "user_id" in df.columns else ""
    ev = df["event"].astype(str).str.strip()
    if (ev == "").any():
        raise DataError("event name is missing", file=file, row=_first_bad(df, ev == ""), column="event")
    out["event"] = ev
    out["timestamp"] = parse_dates(df, "timestamp", file, with_time=True)
    return out.reset_index(drop=True), warnings


def validate_company(df: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[DataWarning]]:
    out = pd.DataFrame({"_row": df["_row"]})
    text = df["month"].astype(str).str.strip().str[:7]
    ok = text.str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])")
    if not ok.all():
        raise DataError(f"cannot read month {df['month'][~ok].iloc[0]!r} (expected YYYY-MM)",
                        file=file, row=_first_bad(df, ~ok), column="month")
    out["month"] = pd.PeriodIndex(text, freq="M")
    dup = out["month"].duplicated()
    if dup.any():
        raise DataError("month appears twice", file=file, row=_first_bad(out, dup), column="month")
    for col in ("employees", "sales_marketing_spend"):
        if col in df.columns:
            out[col] = parse_amounts(df, col, file)
    if "employees" in out:
        out["employees"] = out["employees"].round().astype("int64")
    return out.reset_index(drop=True), []


# ----------------------------------------------------------------------------- directory


def find_file(directory: Path, kind: str) -> Path | None:
    for suffix in (".csv", ".parquet"):
        p = directory / f"{kind}{suffix}"
        if p.exists():
            return p
    return None


def load_subscriptions(path: str | Path, mapping: Mapping[str, str] | None = None,
                       currency: str | None = None) -> tuple[pd.DataFrame, str, list[DataWarning]]:
    """Read and validate one subscriptions file: (frame, currency, warnings)."""
    df = read_table(path, "subscriptions", mapping)
    return validate_subscriptions(df, str(path), currency)


def load_dataset(directory: str | Path, mapping: Mapping[str, str] | None = None,
                 currency: str | None = None) -> Dataset:
    """Load every input found in ``directory``: ``subscriptions`` (or ``mrr``) is
    required; ``customers``, ``charges``, ``events``, ``company`` are optional. Each as
    ``<kind>.csv`` or ``<kind>.parquet``. Cross-file checks (charges or events of
    customers that appear nowhere else) become warnings."""
    directory = Path(directory)
    if not directory.exists():
        raise DataError("data directory not found", file=str(directory))
    if not directory.is_dir():
        raise DataError("expected a data directory", file=str(directory))
    warnings: list[DataWarning] = []
    files: list[dict] = []

    def note(path: Path, kind: str, frame: pd.DataFrame, period: str) -> None:
        files.append({"file": path.name, "kind": kind, "rows": len(frame),
                      "columns": ", ".join(c for c in frame.columns if c != "_row"), "period": period})

    subs_path = find_file(directory, "subscriptions")
    mrr_path = find_file(directory, "mrr")
    subscriptions = None
    if subs_path is not None:
        raw = read_table(subs_path, "subscriptions", mapping)
        _note_extra(raw, "subscriptions", subs_path, warnings)
        subscriptions, currency, w = validate_subscriptions(raw, str(subs_path), currency)
        warnings += w
        customer_mrr = monthly_mrr(subscriptions)
    elif mrr_path is not None:
        raw = read_table(mrr_path, "mrr", mapping)
        _note_extra(raw, "mrr", mrr_path, warnings)
        table, currency, w = validate_mrr_table(raw, str(mrr_path), currency)
        warnings += w
        customer_mrr = mrr_from_table(table)
    else:
        raise DataError("no subscriptions.csv / subscriptions.parquet (or mrr.csv) in the data directory",
                        file=str(directory))
    if customer_mrr.empty:
        raise DataError("no subscription is active at any month end: nothing to report",
                        file=str(subs_path or mrr_path))
    period = f"{customer_mrr['month'].min()} to {customer_mrr['month'].max()}"
    if subscriptions is not None:
        note(subs_path, "subscriptions", subscriptions, period)
    else:
        note(mrr_path, "mrr", table, period)

    loaded: dict[str, pd.DataFrame | None] = {}
    for kind, validator in (("customers", validate_customers), ("charges", None),
                            ("events", validate_events), ("company", validate_company)):
        path = find_file(directory, kind)
        if path is None:
            loaded[kind] = None
            continue
        raw = read_table(path, kind, mapping)
        _note_extra(raw, kind, path, warnings)
        if kind == "charges":
            frame, w = validate_charges(raw, str(path), currency)
        else:
            frame, w = validator(raw, str(path))
        warnings += w
        date_col = {"charges": "date", "events": "timestamp", "company": "month", "customers": "signup_date"}[kind]
        span = ""
        if date_col in frame.columns and frame[date_col].notna().any():
            lo, hi = frame[date_col].min(), frame[date_col].max()
            span = f"{pd.Period(lo, 'M')} to {pd.Period(hi, 'M')}"
        note(path, kind, frame, span)
        loaded[kind] = frame.drop(columns="_row")

    known = set(customer_mrr["customer_id"].unique())
    if subscriptions is not None:
        known |= set(subscriptions["customer_id"].unique())
    for kind in ("charges", "events"):
        frame = loaded.get(kind)
        if frame is not None:
            unknown = ~frame["customer_id"].isin(known)
            if unknown.any():
                warnings.append(DataWarning(f"{kind}", f"unknown_customers",
                                            f"{int(unknown.sum())} {kind} rows belong to customers without any "
                                            f"subscription (kept; they do not affect MRR)", (), "customer_id"))
    if loaded.get("customers") is not None:
        missing = known - set(loaded["customers"]["customer_id"])
        if missing:
            warnings.append(DataWarning("customers", "customers_missing",
                                        f"{len(missing)} customers with subscriptions are missing from the customers "
                                        f"file; their segment shows as '(unknown)'", (), "customer_id"))
    return Dataset(
        directory=directory,
        currency=currency or "JPY",
        customer_mrr=customer_mrr,
        subscriptions=None if subscriptions is None else subscriptions.drop(columns="_row"),
        customers=loaded["customers"],
        charges=loaded["charges"],
        events=loaded["events"],
        company=loaded["company"],
        files=pd.DataFrame(files, columns=["file", "kind", "rows", "columns", "period"]),
        warnings=warnings,
    )


def _note_extra(raw: pd.DataFrame, kind: str, path: Path, warnings: list[DataWarning]) -> None:
    if kind in KEEPS_EXTRA_COLUMNS:
        return
    required, optional = SCHEMAS[kind]
    extra = [c for c in raw.columns if c != "_row" and c not in required and c not in optional]
    if extra:
        warnings.append(DataWarning(path.name, "ignored_columns",
                                    f"columns not used and ignored: {', '.join(extra)}", ()))
