"""Validators per input kind (metrics.md §1): the canonical frame of each file, its
currency and its warnings (total rows, overlaps, zero-length rows, sub-tick amounts)."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from saas_kit.errors import DataError, DataWarning
from saas_kit.loading.data_warnings import data_warning
from saas_kit.mrr import customer_codes
from saas_kit.loading.schema import BILLING_PERIODS, TOTAL_LABELS
from saas_kit.loading.parse import (
    parse_currency_column, distinct_codes, distinct_text, check_duplicates, expand_codes, fail_rows, parse_ids, parse_months, as_text, parse_amounts, parse_dates)


def validate_subscriptions(df: pd.DataFrame, file: str, currency: str | None = None, overlaps: bool = True
                           ) -> tuple[pd.DataFrame, str, list[DataWarning]]:
    """Canonical subscriptions frame (customer_id, subscription_id, start_date, end_date,
    amount, billing_period, plan, currency; plus ``_row``) + currency + warnings
    (metrics.md §1). ``overlaps=False`` leaves out the search for overlapping
    subscriptions (:func:`overlap_warnings`), a warning only, for callers that show no
    warnings (``saas-kit movements``); every error is checked either way."""
    warnings: list[DataWarning] = []
    out = pd.DataFrame({"_row": df["_row"]})
    out["customer_id"] = parse_ids(df, "customer_id", file, warnings)
    if "subscription_id" in df.columns:
        out["subscription_id"] = parse_ids(df, "subscription_id", file, warnings)
        check_duplicates(df, out["subscription_id"], "subscription id", file, "subscription_id")
    else:
        out["subscription_id"] = "row-" + df["_row"].astype(str)
    out["start_date"] = parse_dates(df, "start_date", file)
    out["end_date"] = _end_dates(df, out, file, warnings)
    out["amount"] = parse_amounts(df, "amount", file)
    out["billing_period"] = _billing_periods(df, file)
    out["plan"] = distinct_text(df["plan"]) if "plan" in df.columns else ""
    currency = parse_currency_column(df, file, currency)
    out["currency"] = currency
    out = out[~_total_rows(out, file, warnings)]
    warnings.extend(_amount_warnings(out, file))
    if overlaps:
        warnings.extend(overlap_warnings(out, file))
    return out.reset_index(drop=True), currency, warnings


def _end_dates(df: pd.DataFrame, out: pd.DataFrame, file: str, warnings: list[DataWarning]) -> pd.Series:
    if "end_date" not in df.columns:
        return pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    end = parse_dates(df, "end_date", file, required=False, end_date=True)
    if pd.api.types.is_datetime64_any_dtype(df["end_date"]):
        placeholder = pd.Series(False, index=df.index)  # typed dates: no 9999-12-31 text to read
    else:
        placeholder = end.isna() & (distinct_text(df["end_date"]) != "")
    if placeholder.any():
        warnings.append(data_warning(file, "open_end_placeholder", "open_end_placeholder",
                                     df.loc[placeholder, "_row"].tolist(), "end_date"))
    before = end.notna() & (end < out["start_date"])
    if before.any():
        i = before[before].index[0]
        raise DataError(f"end_date {end[i].date()} is before start_date {out.at[i, 'start_date'].date()}",
                        file=file, row=int(df.at[i, "_row"]), column="end_date")
    same = end.notna() & (end == out["start_date"])
    if same.any():
        warnings.append(data_warning(file, "zero_length", "zero_length", df.loc[same, "_row"].tolist(), "end_date"))
    return end


def _billing_periods(df: pd.DataFrame, file: str) -> pd.Series:
    if "billing_period" not in df.columns:
        return pd.Series("month", index=df.index, dtype=object)
    codes, cells = distinct_codes(df["billing_period"])
    raw = as_text(cells).str.lower()
    raw, mapped = expand_codes(raw, codes, df.index), expand_codes(raw.where(raw != "", "month").map(BILLING_PERIODS), codes,
                                                         df.index)
    if mapped.isna().any():
        fail_rows(df, mapped.isna(), f"unknown billing period {raw[mapped.isna()].iloc[0][:40]!r} "
              "(use month, quarter or year)", file, "billing_period")
    return mapped.astype(object)


def is_total_label(value: object) -> bool:
    """True for a spreadsheet's total label (合計, 小計, Total, Grand total, ...)."""
    text = re.sub(r"[\s:：]+", " ", str(value)).strip().lower()
    return text in TOTAL_LABELS or text.replace(" ", "") in TOTAL_LABELS


# Every character a total label can be written with: the labels' letters in either case,
# separators, and each character Python counts as whitespace (is_total_label folds those).
_LABEL_CHARS = "".join(sorted({ch for label in TOTAL_LABELS for ch in label + label.upper()} | {":", "：", "-"}))
_WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
_NOT_LABEL = "[^" + "".join(f"\\x{{{ord(ch):x}}}" for ch in _LABEL_CHARS + _WHITESPACE) + "]"  # RE2 (Arrow)


def _label_candidates(ids: pd.Series) -> list:
    """The distinct ids that could be a total label: an id with any other character (a
    digit, a letter no label has) cannot be one. One vectorised pass in Arrow, so that
    :func:`is_total_label` runs on a handful of ids, not on every row."""
    distinct = pd.Series(customer_codes(ids, sort=False)[1].to_numpy(), dtype=object)  # no hashing when in order
    text = distinct.astype(str).astype("string[pyarrow]")
    maybe = ~text.str.contains(_NOT_LABEL, regex=True).to_numpy(dtype=bool, na_value=True)
    return distinct[maybe].tolist()


def _total_rows(out: pd.DataFrame, file: str, warnings: list[DataWarning], amount: str = "amount") -> pd.Series:
    """Mask of total rows, set aside with a warning naming them (never counted): rows
    whose customer id is a total label, and (``mrr`` tables) the rows of a customer
    whose value in each of its months equals the sum of at least two other customers'
    values that month."""
    ids = out["customer_id"]
    labels = [i for i in _label_candidates(ids) if is_total_label(i)]
    labelled = ids.isin(labels) if labels else pd.Series(False, index=out.index)
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
        warnings.append(data_warning(file, "total_row", "total_row", out.loc[total, "_row"].tolist(), "customer_id",
                                     names=names))
    return total


def _amount_warnings(out: pd.DataFrame, file: str) -> list[DataWarning]:
    found = []
    ticks = out["amount"] * 1200
    # a whole number of ticks written to 6 decimals (43.333333 = 52000 ticks) is exact, not rounded
    fine = (ticks - np.round(ticks)).abs() > 1e-3
    if fine.any():
        found.append(data_warning(file, "sub_cent_amounts", "sub_cent_amounts", out.loc[fine, "_row"].tolist(),
                                  "amount"))
    zero = out["amount"] == 0
    if zero.any():
        found.append(data_warning(file, "zero_amount", "zero_amount", out.loc[zero, "_row"].tolist(), "amount"))
    return found


def overlap_warnings(subs: pd.DataFrame, file: str) -> list[DataWarning]:
    """Same customer and plan with overlapping periods: often a duplicated export row.

    Rows sorted by (customer, plan, start); a row overlaps when it starts before the
    latest end among the earlier rows of its customer and plan. Works on integer
    arrays only (no copy of the frame); rows already in that order are not sorted, and
    when no row starts before the end of the row just before it (the common case: each
    subscription follows the last) none overlaps, with no running maximum to compute."""
    start = subs["start_date"].to_numpy(dtype="datetime64[ns]").view("int64")
    open_end = subs["end_date"].isna().to_numpy()
    end = subs["end_date"].to_numpy(dtype="datetime64[ns]").view("int64").copy()
    end[open_end] = np.iinfo("int64").max  # open: runs forever
    counted = open_end | (end != start)  # zero-length rows never count
    if int(counted.sum()) < 2:
        return []
    customer = customer_codes(subs["customer_id"], sort=False)[0].astype("int64")
    plan = pd.factorize(subs["plan"])[0].astype("int64")
    group = customer * (int(plan.max()) + 1) + plan  # one integer per customer and plan
    del customer, plan
    rows = subs["_row"].to_numpy()
    if not counted.all():
        group, start, end, rows = group[counted], start[counted], end[counted], rows[counted]
    same = group[1:] == group[:-1]
    in_order = bool(((group[1:] > group[:-1]) | (same & (start[1:] >= start[:-1]))).all())
    if not in_order:
        order = np.lexsort((start, group))
        group, start, end, rows = group[order], start[order], end[order], rows[order]
        same = group[1:] == group[:-1]
    # Some row overlaps an earlier one of its group iff some row starts before the end of
    # the row just before it: when every row starts at or after the end of the one before,
    # the latest end so far is always the previous row's (no end comes before its start).
    if not (same & (start[1:] < end[:-1])).any():
        return []
    latest_end = pd.Series(end).groupby(group, sort=False).cummax().to_numpy()
    overlap = np.zeros(len(group), dtype=bool)
    overlap[1:] = same & (start[1:] < latest_end[:-1])
    return [data_warning(file, "overlapping_subscriptions", "overlapping_subscriptions", sorted(rows[overlap].tolist()),
                         "start_date")]


def validate_mrr_table(df: pd.DataFrame, file: str, currency: str | None = None
                       ) -> tuple[pd.DataFrame, str, list[DataWarning]]:
    """Ready monthly MRR table (customer_id, month, mrr; metrics.md §1) + currency + warnings."""
    warnings: list[DataWarning] = []
    out = pd.DataFrame({"_row": df["_row"]})
    out["customer_id"] = parse_ids(df, "customer_id", file, warnings)
    out["month"] = parse_months(df, "month", file)
    out["mrr"] = parse_amounts(df, "mrr", file, what="mrr")
    out = out[~_total_rows(out, file, warnings, "mrr")]
    dup = out.duplicated(["customer_id", "month"], keep=False)
    if dup.any():
        warnings.append(data_warning(file, "duplicate_customer_month", "duplicate_customer_month",
                                     out.loc[dup, "_row"].tolist(), "month"))
    return out.reset_index(drop=True), parse_currency_column(df, file, currency), warnings


def validate_customers(df: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[DataWarning]]:
    """Customers (customer_id, optional segment and signup_date, other attributes kept)."""
    warnings: list[DataWarning] = []
    out = df.copy()
    out["customer_id"] = parse_ids(df, "customer_id", file, warnings)
    check_duplicates(df, out["customer_id"], "customer id", file, "customer_id")
    if "signup_date" in df.columns:
        out["signup_date"] = parse_dates(df, "signup_date", file, required=False)
    if "segment" in df.columns:
        out["segment"] = as_text(df["segment"]).replace("", "(unknown)")
    return out.reset_index(drop=True), warnings


def validate_charges(df: pd.DataFrame, file: str, currency: str | None = None
                     ) -> tuple[pd.DataFrame, list[DataWarning]]:
    """One-off charges (customer_id, date, amount, kind); never part of MRR (seed 001)."""
    warnings: list[DataWarning] = []
    out = pd.DataFrame({"_row": df["_row"]})
    out["customer_id"] = parse_ids(df, "customer_id", file, warnings)
    out["date"] = parse_dates(df, "date", file)
    out["amount"] = parse_amounts(df, "amount", file)
    out["kind"] = as_text(df["kind"]).replace("", "one-off") if "kind" in df.columns else "one-off"
    parse_currency_column(df, file, currency)
    return out.reset_index(drop=True), warnings


def validate_events(df: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[DataWarning]]:
    """Product events (customer_id, user_id, event, timestamp) for activation (metrics.md §7)."""
    warnings: list[DataWarning] = []
    out = pd.DataFrame({"_row": df["_row"]})
    out["customer_id"] = parse_ids(df, "customer_id", file, warnings)
    out["user_id"] = as_text(df["user_id"]) if "user_id" in df.columns else ""
    event = as_text(df["event"])
    if (event == "").any():
        fail_rows(df, event == "", "event name is missing", file, "event")
    out["event"] = event
    out["timestamp"] = parse_dates(df, "timestamp", file, with_time=True)
    return out.reset_index(drop=True), warnings


def validate_company(df: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[DataWarning]]:
    """Monthly company figures (month, employees, sales_marketing_spend) for ARR per
    employee and CAC (metrics.md §4)."""
    out = pd.DataFrame({"_row": df["_row"]})
    out["month"] = parse_months(df, "month", file)
    dup = out["month"].duplicated()
    if dup.any():
        fail_rows(out, dup, "month appears twice", file, "month")
    if "sales_marketing_spend" in df.columns:
        out["sales_marketing_spend"] = parse_amounts(df, "sales_marketing_spend", file, what="spend")
    if "employees" in df.columns:
        employees = parse_amounts(df, "employees", file, what="employees")
        fraction = employees != np.round(employees)
        if fraction.any():
            fail_rows(df, fraction, f"employees {employees[fraction].iloc[0]:g} is not a whole number", file, "employees")
        out["employees"] = employees.astype("int64")
    return out.reset_index(drop=True), []
