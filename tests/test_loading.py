"""Loading and validation (issue 2 §2, issue 5 "Bad input"; metrics.md §1).

Every error test checks the exception type and that the message names the file, the
spreadsheet row (CSV header = row 1; Parquet first record = row 1) and the column.
Expected values are written by hand from the input rows.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from saas_kit.errors import DataError, ParameterError
from saas_kit.loading import (
    SCHEMAS, Dataset, load_dataset, load_subscriptions, parse_mapping, parse_month_parameter, read_table,
    validate_charges, validate_company, validate_customers, validate_events, validate_mrr_table,
    validate_subscriptions,
)
from saas_kit.loading import overlap_warnings, strip_text  # helpers with properties of their own

# Minimal valid input of every kind: header and rows (all text, as in a CSV export).
VALID: dict[str, tuple[list[str], list[list[str]]]] = {
    "subscriptions": (["customer_id", "subscription_id", "start_date", "end_date", "amount", "billing_period",
                       "plan", "currency"],
                      [["C1", "S1", "2024-01-01", "", "1000", "month", "Basic", "JPY"],
                       ["C2", "S2", "2024-02-01", "2025-02-01", "12000", "year", "Pro", "JPY"]]),
    "mrr": (["customer_id", "month", "mrr", "currency"],
            [["C1", "2024-01", "1000", "JPY"], ["C1", "2024-02", "1500", "JPY"]]),
    "customers": (["customer_id", "segment", "signup_date"],
                  [["C1", "SMB", "2023-12-15"], ["C2", "Enterprise", "2024-01-20"]]),
    "charges": (["customer_id", "date", "amount", "kind", "currency"],
                [["C1", "2024-01-10", "5000", "setup", "JPY"], ["C2", "2024-02-10", "80000", "consulting", "JPY"]]),
    "events": (["customer_id", "user_id", "event", "timestamp"],
               [["C1", "U1", "login", "2024-01-02T10:00:00"], ["C2", "U2", "invite", "2024-02-03 09:30"]]),
    "company": (["month", "employees", "sales_marketing_spend"],
                [["2024-01", "10", "500000"], ["2024-02", "11", "600000"]]),
}
KINDS = list(VALID)
FORMATS = ["csv", "parquet"]


def validate(kind: str, df: pd.DataFrame, file: str) -> pd.DataFrame:
    """The validator of ``kind``; returns the validated frame."""
    if kind == "subscriptions":
        return validate_subscriptions(df, file)[0]
    if kind == "mrr":
        return validate_mrr_table(df, file)[0]
    if kind == "charges":
        return validate_charges(df, file, None)[0]
    return {"customers": validate_customers, "events": validate_events, "company": validate_company}[kind](df, file)[0]


def write(directory: Path, kind: str, rows: list[list[str]] | None = None, header: list[str] | None = None,
          fmt: str = "csv", name: str | None = None) -> Path:
    """Write rows of text cells as ``<kind>.csv`` (quoted where needed) or ``.parquet`` (string columns)."""
    header = header or VALID[kind][0]
    rows = VALID[kind][1] if rows is None else rows
    path = directory / f"{name or kind}.{fmt}"
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    if fmt == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return path


def load(path: Path, kind: str, mapping=None) -> pd.DataFrame:
    return validate(kind, read_table(path, kind, mapping), str(path))


def with_cell(kind: str, row: int, column: str, value: str) -> list[list[str]]:
    """The valid rows of ``kind`` with one cell (0-based record ``row``) replaced."""
    header, rows = VALID[kind]
    rows = [list(r) for r in rows]
    rows[row][header.index(column)] = value
    return rows


def sheet_row(record: int, fmt: str) -> int:
    """Spreadsheet row of 0-based record ``record``: CSV header is row 1, Parquet has none."""
    return record + (2 if fmt == "csv" else 1)


def assert_located(exc: pytest.ExceptionInfo, path: Path, row: int | None, column: str | None, *words: str) -> None:
    err = exc.value
    assert type(err) is DataError
    text = str(err)
    assert str(path) in text and err.file == str(path)
    if row is not None:
        assert f"row {row}" in text and err.row == row
    if column is not None:
        assert f"column '{column}'" in text and err.column == column
    for word in words:
        assert word.lower() in text.lower(), (word, text)


# ----------------------------------------------------------------------------- valid input


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", KINDS)
def test_valid_minimal_file_of_every_kind_loads(tmp_path, kind, fmt):
    frame = load(write(tmp_path, kind, fmt=fmt), kind)
    assert len(frame) == 2
    assert set(SCHEMAS[kind][0]) <= set(frame.columns)


def test_subscriptions_are_canonical(tmp_path):
    subs, currency, warnings = load_subscriptions(write(tmp_path, "subscriptions"))
    assert currency == "JPY" and warnings == []
    assert subs["customer_id"].tolist() == ["C1", "C2"]
    assert subs["start_date"].dtype == "datetime64[ns]" and subs["end_date"].dtype == "datetime64[ns]"
    assert pd.isna(subs.loc[0, "end_date"]) and subs.loc[1, "end_date"] == pd.Timestamp("2025-02-01")
    assert subs["amount"].tolist() == [1000.0, 12000.0]
    assert subs["billing_period"].tolist() == ["month", "year"]
    assert subs["_row"].tolist() == [2, 3]


def test_parquet_with_native_types_loads(tmp_path):
    path = tmp_path / "subscriptions.parquet"
    pd.DataFrame({"customer_id": [7, 8], "start_date": pd.to_datetime(["2024-01-01", "2024-02-15"]),
                  "end_date": pd.to_datetime([None, "2024-06-01"]), "amount": [1000, 1200.5]}).to_parquet(path)
    subs, _, _ = load_subscriptions(path)
    assert subs["customer_id"].tolist() == ["7", "8"]
    assert subs["amount"].tolist() == [1000.0, 1200.5]
    assert subs["end_date"].iloc[1] == pd.Timestamp("2024-06-01")


def test_date_spellings_and_offsets(tmp_path):
    rows = with_cell("subscriptions", 0, "start_date", "2024/1/5")
    rows[1][2] = "2024年2月1日"
    subs, _, _ = load_subscriptions(write(tmp_path, "subscriptions", rows))
    assert subs["start_date"].tolist() == [pd.Timestamp("2024-01-05"), pd.Timestamp("2024-02-01")]
    events = load(write(tmp_path, "events", with_cell("events", 0, "timestamp", "2024-01-31T23:30:00+09:00")),
                  "events")
    # the offset is dropped: the event stays on its local (Japanese) calendar day
    assert events["timestamp"].iloc[0] == pd.Timestamp("2024-01-31 23:30")


def test_row_numbers_count_blank_lines_and_line_breaks_in_cells(tmp_path):
    path = tmp_path / "subscriptions.csv"
    path.write_text('customer_id,start_date,amount,plan\n'
                    'C1,2024-01-01,100,"Basic\nplus"\n'   # rows 2 (one record over two lines)
                    '\n'                                   # row 3 blank
                    'C2,2024-01-01,abc,Pro\n', encoding="utf-8")  # row 4
    with pytest.raises(DataError) as exc:
        load_subscriptions(path)
    assert_located(exc, path, 4, "amount", "not a number")


def test_trailing_comma_and_short_rows_are_fine(tmp_path):
    path = tmp_path / "subscriptions.csv"
    path.write_text("customer_id,start_date,amount,plan\nC1,2024-01-01,100,Basic,\nC2,2024-01-01,200\n")
    subs, _, _ = load_subscriptions(path)
    assert subs["amount"].tolist() == [100.0, 200.0] and subs["plan"].tolist() == ["Basic", ""]


# ----------------------------------------------------------------------------- missing / empty


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_file(tmp_path, kind, fmt):
    path = tmp_path / f"{kind}.{fmt}"
    with pytest.raises(DataError) as exc:
        read_table(path, kind)
    assert_located(exc, path, None, None, "not found")


@pytest.mark.parametrize("kind", KINDS)
def test_directory_instead_of_file(tmp_path, kind):
    path = tmp_path / f"{kind}.csv"
    path.mkdir()
    with pytest.raises(DataError) as exc:
        read_table(path, kind)
    assert_located(exc, path, None, None, "directory")


def test_missing_data_directory(tmp_path):
    with pytest.raises(DataError) as exc:
        load_dataset(tmp_path / "nope")
    assert_located(exc, tmp_path / "nope", None, None, "not found")


def test_data_directory_without_subscriptions(tmp_path):
    write(tmp_path, "customers")
    with pytest.raises(DataError) as exc:
        load_dataset(tmp_path)
    assert_located(exc, tmp_path, None, None, "subscriptions.csv")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("content", [b"", b"\n\n  \n", b"\xef\xbb\xbf"], ids=["zero-bytes", "blank-lines", "bom-only"])
def test_empty_file(tmp_path, kind, content):
    path = tmp_path / f"{kind}.csv"
    path.write_bytes(content)
    with pytest.raises(DataError) as exc:
        read_table(path, kind)
    assert_located(exc, path, None, None, "empty")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_header_only(tmp_path, kind, fmt):
    path = write(tmp_path, kind, rows=[], fmt=fmt)
    with pytest.raises(DataError) as exc:
        read_table(path, kind)
    assert_located(exc, path, None, None, "no data rows")


def test_empty_subscription_directory_is_an_error_in_load_dataset(tmp_path):
    write(tmp_path, "subscriptions", rows=[])
    with pytest.raises(DataError) as exc:
        load_dataset(tmp_path)
    assert_located(exc, tmp_path / "subscriptions.csv", None, None, "no data rows")


# ----------------------------------------------------------------------------- columns


MISSING_COLUMN_CASES = [(kind, col) for kind in KINDS for col in SCHEMAS[kind][0]]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind,column", MISSING_COLUMN_CASES)
def test_missing_required_column(tmp_path, kind, column, fmt):
    header, rows = VALID[kind]
    i = header.index(column)
    path = write(tmp_path, kind, [r[:i] + r[i + 1:] for r in rows], header[:i] + header[i + 1:], fmt=fmt)
    with pytest.raises(DataError) as exc:
        read_table(path, kind)
    assert_located(exc, path, 1, column, "missing required column", "--map")


def test_missing_column_hint_names_a_case_variant(tmp_path):
    header = ["Customer_ID", "start_date", "amount"]
    path = write(tmp_path, "subscriptions", [["C1", "2024-01-01", "1"]], header)
    with pytest.raises(DataError) as exc:
        read_table(path, "subscriptions")
    assert_located(exc, path, 1, "customer_id", "--map Customer_ID=customer_id")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", KINDS)
def test_unknown_extra_columns_are_allowed_ignored_and_listed(tmp_path, kind, fmt):
    header, rows = VALID[kind]
    directory = tmp_path / "data"
    directory.mkdir()
    if kind != "subscriptions" and kind != "mrr":
        write(directory, "subscriptions")
    write(directory, kind, [r + ["x", "y"] for r in rows], header + ["note", "owner"], fmt=fmt)
    dataset = load_dataset(directory)
    frame = dataset.subscriptions if kind == "subscriptions" else (
        dataset.customer_mrr if kind == "mrr" else getattr(dataset, kind))
    ignored = [w for w in dataset.warnings if w.kind == "ignored_columns"]
    if kind == "customers":  # customer attributes are kept (metrics.md §1: "other attributes")
        assert frame["note"].tolist() == ["x", "x"] and ignored == []
    else:
        assert "note" not in frame.columns
        assert len(ignored) == 1 and "note, owner" in str(ignored[0]) and f"{kind}.{fmt}" in str(ignored[0])


def test_duplicate_column_after_mapping(tmp_path):
    path = write(tmp_path, "subscriptions", [["C1", "2024-01-01", "1", "2"]],
                 ["customer_id", "start_date", "amount", "monthly_amount"])
    with pytest.raises(DataError) as exc:
        read_table(path, "subscriptions", {"monthly_amount": "amount"})
    assert_located(exc, path, 1, "amount", "twice")


def test_duplicate_header_in_csv(tmp_path):
    path = tmp_path / "subscriptions.csv"
    path.write_text("customer_id,start_date,amount,amount\nC1,2024-01-01,1,2\n")
    with pytest.raises(DataError) as exc:
        read_table(path, "subscriptions")
    assert_located(exc, path, 1, "amount", "twice")


# ----------------------------------------------------------------------------- delimiters and encodings


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("sep,word", [(";", "semicolon"), ("\t", "tab")])
def test_wrong_delimiter_is_named(tmp_path, kind, sep, word):
    header, rows = VALID[kind]
    path = tmp_path / f"{kind}.csv"
    path.write_text("\n".join(sep.join(r) for r in [header] + rows) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as exc:
        read_table(path, kind)
    assert_located(exc, path, 1, sep.join(header)[:40], word, "comma-separated")


def test_semicolon_file_with_decimal_commas_is_named(tmp_path):
    path = tmp_path / "subscriptions.csv"
    path.write_text("customer_id;start_date;amount\nC1;2024-01-01;1200,50\n")
    with pytest.raises(DataError) as exc:
        read_table(path, "subscriptions")
    assert "semicolon" in str(exc.value)


JAPANESE = {"subscriptions": ("plan", "スタンダード"), "customers": ("segment", "中堅企業"),
            "charges": ("kind", "導入支援"), "events": ("event", "ダッシュボード作成"),
            "mrr": ("customer_id", "株式会社テスト"), "company": None}


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932", "utf-16"])
@pytest.mark.parametrize("kind", KINDS)
def test_bom_and_shift_jis_exports_load(tmp_path, kind, encoding):
    header, rows = VALID[kind]
    rows = [list(r) for r in rows]
    if JAPANESE[kind]:
        column, value = JAPANESE[kind]
        for r in rows:
            r[header.index(column)] = value
    path = tmp_path / f"{kind}.csv"
    text = "\r\n".join(",".join(r) for r in [header] + rows) + "\r\n"
    path.write_bytes(text.encode(encoding))
    frame = load(path, kind)
    assert len(frame) == 2
    assert list(frame.columns[:2]) != []  # header read without a BOM glued to it
    assert header[0] in frame.columns
    if JAPANESE[kind]:
        column, value = JAPANESE[kind]
        assert frame[column].tolist() == [value, value]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("raw", [b"caf\xe9,", b"\x81\x20", b"\xff\xfd\x80"], ids=["latin1", "bad-sjis", "binary"])
def test_undecodable_bytes_say_so(tmp_path, kind, raw):
    header, rows = VALID[kind]
    path = tmp_path / f"{kind}.csv"
    path.write_bytes((",".join(header) + "\n").encode() + raw + b"\n")
    with pytest.raises(DataError) as exc:
        read_table(path, kind)
    assert_located(exc, path, None, None, "cannot decode", "UTF-8", "Shift_JIS")


def test_binary_file_named_csv(tmp_path):
    path = write(tmp_path, "subscriptions", fmt="parquet")
    target = tmp_path / "subscriptions.csv"
    target.write_bytes(path.read_bytes())
    with pytest.raises(DataError) as exc:
        read_table(target, "subscriptions")
    assert_located(exc, target, None, None)


def test_csv_named_parquet(tmp_path):
    path = write(tmp_path, "subscriptions")
    target = tmp_path / "subscriptions.parquet"
    target.write_bytes(path.read_bytes())
    with pytest.raises(DataError) as exc:
        read_table(target, "subscriptions")
    assert_located(exc, target, None, None, "Parquet")


def test_unclosed_quote(tmp_path):
    path = tmp_path / "subscriptions.csv"
    path.write_text('customer_id,start_date,amount\nC1,2024-01-01,100\n"C2,2024-01-01,100\n')
    with pytest.raises(DataError) as exc:
        read_table(path, "subscriptions")
    assert_located(exc, path, 3, None, "malformed CSV")


def test_unquoted_thousands_separator_shifts_no_column(tmp_path):
    path = tmp_path / "subscriptions.csv"
    path.write_text("customer_id,start_date,amount\nC1,2024-01-01,100\nC2,2024-01-01,1,200\n")
    with pytest.raises(DataError) as exc:
        read_table(path, "subscriptions")
    assert_located(exc, path, 3, "amount", "4 values", "3 columns", "1,200")


# ----------------------------------------------------------------------------- dates

DATE_COLUMNS = [("subscriptions", "start_date"), ("subscriptions", "end_date"), ("customers", "signup_date"),
                ("charges", "date"), ("events", "timestamp")]
MONTH_COLUMNS = [("mrr", "month"), ("company", "month")]
BAD_DATES = [("2024-13-45x", "cannot read date"), ("next week", "cannot read date"), ("45292", "cannot read date"),
             ("2026-02-30", "impossible date"), ("2024-04-31", "impossible date"), ("1985-06-01", "before 1990")]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("value,words", BAD_DATES)
@pytest.mark.parametrize("kind,column", DATE_COLUMNS)
def test_bad_dates(tmp_path, kind, column, value, words, fmt):
    path = write(tmp_path, kind, with_cell(kind, 1, column, value), fmt=fmt)
    with pytest.raises(DataError) as exc:
        load(path, kind)
    assert_located(exc, path, sheet_row(1, fmt), column, words)


@pytest.mark.parametrize("value", ["2150-01-01", "2999-12-31", "2099-05-01"])
@pytest.mark.parametrize("kind,column", [c for c in DATE_COLUMNS if c[1] != "end_date"])
def test_far_future_dates(tmp_path, kind, column, value):
    path = write(tmp_path, kind, with_cell(kind, 1, column, value))
    with pytest.raises(DataError) as exc:
        load(path, kind)
    assert_located(exc, path, 3, column, "far future")


def test_far_future_end_date_placeholder_means_open_and_warns(tmp_path):
    path = write(tmp_path, "subscriptions", with_cell("subscriptions", 1, "end_date", "9999-12-31"))
    subs, _, warnings = load_subscriptions(path)
    assert pd.isna(subs.loc[1, "end_date"])
    assert [w.rows for w in warnings if w.kind == "open_end_placeholder"] == [(3,)]


def test_future_end_date_of_a_contract_is_fine(tmp_path):
    end = (pd.Timestamp.today() + pd.DateOffset(years=3)).strftime("%Y-%m-01")
    subs, _, _ = load_subscriptions(write(tmp_path, "subscriptions", with_cell("subscriptions", 1, "end_date", end)))
    assert subs.loc[1, "end_date"] == pd.Timestamp(end)


@pytest.mark.parametrize("kind,column", [("subscriptions", "start_date"), ("charges", "date"), ("events", "timestamp")])
def test_missing_required_date(tmp_path, kind, column):
    path = write(tmp_path, kind, with_cell(kind, 0, column, ""))
    with pytest.raises(DataError) as exc:
        load(path, kind)
    assert_located(exc, path, 2, column, "missing")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("value,words", [("2024-13", "cannot read month"), ("Jan 2024", "cannot read month"),
                                         ("", "missing"), ("1985-01", "1985"), ("2999-01", "future")])
@pytest.mark.parametrize("kind,column", MONTH_COLUMNS)
def test_bad_months(tmp_path, kind, column, value, words, fmt):
    path = write(tmp_path, kind, with_cell(kind, 1, column, value), fmt=fmt)
    with pytest.raises(DataError) as exc:
        load(path, kind)
    assert_located(exc, path, sheet_row(1, fmt), column, words)


def test_month_with_trailing_garbage_is_rejected(tmp_path):
    path = write(tmp_path, "mrr", with_cell("mrr", 0, "month", "2024-01xyz"))
    with pytest.raises(DataError) as exc:
        load(path, "mrr")
    assert_located(exc, path, 2, "month", "cannot read month")


def test_duplicate_company_month(tmp_path):
    path = write(tmp_path, "company", with_cell("company", 1, "month", "2024-01"))
    with pytest.raises(DataError) as exc:
        load(path, "company")
    assert_located(exc, path, 3, "month", "twice")


@pytest.mark.parametrize("fmt", FORMATS)
def test_end_before_start(tmp_path, fmt):
    path = write(tmp_path, "subscriptions", with_cell("subscriptions", 1, "end_date", "2024-01-31"), fmt=fmt)
    with pytest.raises(DataError) as exc:
        load_subscriptions(path)
    assert_located(exc, path, sheet_row(1, fmt), "end_date", "2024-01-31", "before start_date 2024-02-01")


# ----------------------------------------------------------------------------- amounts

AMOUNT_COLUMNS = [("subscriptions", "amount"), ("mrr", "mrr"), ("charges", "amount"),
                  ("company", "sales_marketing_spend"), ("company", "employees")]
BAD_AMOUNTS = [("-100", "negative"), ("abc", "not a number"), ("1,200", "thousands separators"),
               ("¥1,200", "currency symbols"), ("1200円", "currency symbols"), ("", "missing"),
               ("1e400", "implausibly large"), ("nan", "not a number"), ("１２００", "not a number")]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("value,words", BAD_AMOUNTS)
@pytest.mark.parametrize("kind,column", AMOUNT_COLUMNS)
def test_bad_amounts(tmp_path, kind, column, value, words, fmt):
    path = write(tmp_path, kind, with_cell(kind, 1, column, value), fmt=fmt)
    with pytest.raises(DataError) as exc:
        load(path, kind)
    assert_located(exc, path, sheet_row(1, fmt), column, words)


def test_fractional_employees_are_not_rounded(tmp_path):
    path = write(tmp_path, "company", with_cell("company", 0, "employees", "10.5"))
    with pytest.raises(DataError) as exc:
        load(path, "company")
    assert_located(exc, path, 2, "employees", "whole number")


def test_plain_number_spellings(tmp_path):
    rows = with_cell("subscriptions", 0, "amount", " 1200.50 ")
    rows[1][4] = "1.2e4"
    subs, _, _ = load_subscriptions(write(tmp_path, "subscriptions", rows))
    assert subs["amount"].tolist() == [1200.5, 12000.0]


@pytest.mark.parametrize("value", ["weekly", "2", "nan"])
def test_unknown_billing_period(tmp_path, value):
    path = write(tmp_path, "subscriptions", with_cell("subscriptions", 1, "billing_period", value))
    with pytest.raises(DataError) as exc:
        load_subscriptions(path)
    assert_located(exc, path, 3, "billing_period", f"unknown billing period '{value}'")


def test_billing_period_spellings_and_blank_default(tmp_path):
    rows = with_cell("subscriptions", 0, "billing_period", " Annual ")
    rows[1][5] = ""
    subs, _, _ = load_subscriptions(write(tmp_path, "subscriptions", rows))
    assert subs["billing_period"].tolist() == ["year", "month"]


# ----------------------------------------------------------------------------- currencies and ids


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", ["subscriptions", "mrr", "charges"])
def test_mixed_currencies(tmp_path, kind, fmt):
    path = write(tmp_path, kind, with_cell(kind, 1, "currency", "USD"), fmt=fmt)
    with pytest.raises(DataError) as exc:
        load(path, kind)
    assert_located(exc, path, sheet_row(1, fmt), "currency", "mixed currencies", "USD", "JPY")


def test_currency_not_an_iso_code(tmp_path):
    path = write(tmp_path, "subscriptions", with_cell("subscriptions", 0, "currency", "円"))
    with pytest.raises(DataError) as exc:
        load_subscriptions(path)
    assert_located(exc, path, 2, "currency", "ISO code")


def test_charges_in_another_currency_than_subscriptions(tmp_path):
    write(tmp_path, "subscriptions")
    charges = write(tmp_path, "charges", [r[:4] + ["USD"] for r in VALID["charges"][1]])
    with pytest.raises(DataError) as exc:
        load_dataset(tmp_path)
    assert_located(exc, charges, 2, "currency", "mixed currencies")


def test_currency_parameter_must_be_a_code(tmp_path):
    write(tmp_path, "subscriptions")
    with pytest.raises(ParameterError):
        load_dataset(tmp_path, currency="円")


@pytest.mark.parametrize("fmt", FORMATS)
def test_duplicate_subscription_ids(tmp_path, fmt):
    rows = VALID["subscriptions"][1] + [["C3", "S9", "2024-03-01", "", "10", "month", "Basic", "JPY"],
                                        ["C4", "S2", "2024-03-01", "", "10", "month", "Basic", "JPY"],
                                        ["C5", "S9", "2024-03-01", "", "10", "month", "Basic", "JPY"]]
    path = write(tmp_path, "subscriptions", rows, fmt=fmt)
    with pytest.raises(DataError) as exc:
        load_subscriptions(path)
    # S2 is the first duplicated id: records 1 and 3 -> its second occurrence is named
    assert_located(exc, path, sheet_row(3, fmt), "subscription_id", "duplicate subscription id 'S2'")


def test_duplicate_customer_ids_in_customers(tmp_path):
    path = write(tmp_path, "customers", with_cell("customers", 1, "customer_id", " C1 "))
    with pytest.raises(DataError) as exc:
        load(path, "customers")
    assert_located(exc, path, 3, "customer_id", "duplicate customer id 'C1'")


@pytest.mark.parametrize("kind", ["subscriptions", "mrr", "customers", "charges", "events"])
def test_missing_id(tmp_path, kind):
    path = write(tmp_path, kind, with_cell(kind, 1, "customer_id", "  "))
    with pytest.raises(DataError) as exc:
        load(path, kind)
    assert_located(exc, path, 3, "customer_id", "missing")


def test_ids_differing_by_whitespace_are_one_customer_with_a_warning(tmp_path):
    path = write(tmp_path, "subscriptions", with_cell("subscriptions", 1, "customer_id", " C1"))
    subs, _, warnings = load_subscriptions(path)
    assert subs["customer_id"].tolist() == ["C1", "C1"]
    assert [(w.kind, w.rows, w.column) for w in warnings if w.kind == "whitespace_in_id"] == \
        [("whitespace_in_id", (3,), "customer_id")]


def test_ids_differing_by_leading_zeros_stay_apart_with_a_warning(tmp_path):
    rows = with_cell("subscriptions", 0, "customer_id", "007")
    rows[1][0] = "7"
    subs, _, warnings = load_subscriptions(write(tmp_path, "subscriptions", rows))
    assert subs["customer_id"].tolist() == ["007", "7"]
    found = [w for w in warnings if w.kind == "ambiguous_ids"]
    assert len(found) == 1 and "007, 7" in str(found[0])


def test_ids_of_another_type_across_files_warn(tmp_path):
    """Parquet subscriptions with integer ids 7, 8 and a CSV customers file with '007', '8'."""
    pd.DataFrame({"customer_id": [7, 8], "start_date": ["2024-01-01"] * 2, "amount": [100, 200]}).to_parquet(
        tmp_path / "subscriptions.parquet")
    write(tmp_path, "customers", [["007", "SMB", "2023-12-01"], ["8", "SMB", "2023-12-01"]])
    dataset = load_dataset(tmp_path, currency="JPY")
    assert sorted(dataset.customer_mrr["customer_id"].unique()) == ["7", "8"]
    kinds = {w.kind: w for w in dataset.warnings}
    assert "007" in str(kinds["ids_differ_by_leading_zeros"]) and "customers.csv" in str(kinds["ids_differ_by_leading_zeros"])
    assert "1 customers with subscriptions are missing" in str(kinds["customers_missing"])


def test_float_ids_from_parquet_are_not_abbreviated(tmp_path):
    path = tmp_path / "subscriptions.parquet"
    pd.DataFrame({"customer_id": [1234567.0, 7654321.0], "start_date": ["2024-01-01"] * 2,
                  "amount": ["1", "2"]}).to_parquet(path)
    subs, _, _ = load_subscriptions(path)
    assert subs["customer_id"].tolist() == ["1234567", "7654321"]


def test_missing_values_in_parquet_text_columns_are_blank_not_nan(tmp_path):
    path = tmp_path / "subscriptions.parquet"
    pd.DataFrame({"customer_id": ["C1", "C2"], "start_date": ["2024-01-01"] * 2, "amount": ["1", "2"],
                  "billing_period": [None, "year"], "plan": [None, "Pro"], "currency": [None, "JPY"]}).to_parquet(path)
    subs, currency, _ = load_subscriptions(path)
    assert subs["billing_period"].tolist() == ["month", "year"]
    assert subs["plan"].tolist() == ["", "Pro"] and currency == "JPY"


# ----------------------------------------------------------------------------- suspicious but usable


def test_overlapping_subscriptions_load_with_a_warning_and_both_count(tmp_path):
    rows = [["C1", "S1", "2024-01-01", "", "1000", "month", "Basic", "JPY"],
            ["C1", "S2", "2024-02-01", "2024-04-01", "500", "month", "Basic", "JPY"],
            ["C1", "S3", "2024-05-01", "2024-06-01", "300", "month", "Basic", "JPY"]]
    write(tmp_path, "subscriptions", rows)
    dataset = load_dataset(tmp_path)
    overlaps = [w for w in dataset.warnings if w.kind == "overlapping_subscriptions"]
    assert [w.rows for w in overlaps] == [(3, 4)]  # S3 overlaps the still-open S1 too
    mrr = dataset.customer_mrr.set_index("month")["mrr"]
    assert mrr[pd.Period("2024-03", "M")] == 1500.0 and mrr[pd.Period("2024-05", "M")] == 1300.0


def test_zero_amount_subscription_loads_with_a_warning(tmp_path):
    write(tmp_path, "subscriptions", with_cell("subscriptions", 1, "amount", "0"))
    dataset = load_dataset(tmp_path)
    assert dataset.subscriptions["amount"].tolist() == [1000.0, 0.0]
    assert [w.rows for w in dataset.warnings if w.kind == "zero_amount"] == [(3,)]
    assert set(dataset.customer_mrr["customer_id"]) == {"C1"}


def test_charges_and_events_of_unknown_customers_load_with_warnings(tmp_path):
    write(tmp_path, "subscriptions")
    write(tmp_path, "charges", with_cell("charges", 1, "customer_id", "C99"))
    write(tmp_path, "events", with_cell("events", 0, "customer_id", "C98"))
    dataset = load_dataset(tmp_path)
    assert dataset.charges["amount"].tolist() == [5000.0, 80000.0]
    assert dataset.charges["customer_id"].tolist() == ["C1", "C99"]
    unknown = {w.file: w for w in dataset.warnings if w.kind == "unknown_customers"}
    assert unknown["charges.csv"].rows == (3,) and unknown["events.csv"].rows == (2,)
    table = dataset.warnings_table()
    assert list(table.columns) == ["file", "kind", "column", "rows", "first rows", "message"] and len(table) == 2
    assert table["first rows"].tolist() == ["3", "2"]
    assert not any(str(tmp_path) in m for m in table["message"]) and set(table["file"]) == {"charges.csv", "events.csv"}


def test_both_csv_and_parquet_present_warns(tmp_path):
    write(tmp_path, "subscriptions")
    write(tmp_path, "subscriptions", fmt="parquet")
    dataset = load_dataset(tmp_path)
    assert [w.file for w in dataset.warnings if w.kind == "ignored_file"] == ["subscriptions.parquet"]


# ----------------------------------------------------------------------------- the dataset and months


def test_load_dataset_of_every_kind(tmp_path):
    for kind in ("subscriptions", "customers", "charges", "events", "company"):
        write(tmp_path, kind)
    dataset = load_dataset(tmp_path, as_of="2025-02-01")
    assert dataset.currency == "JPY" and dataset.warnings == []
    # C1 1000/month from 2024-01 (open); C2 12000/year = 1000/month 2024-02 to 2025-01
    months = dataset.customer_mrr.groupby("month")["mrr"].sum()
    assert months[pd.Period("2024-01", "M")] == 1000.0 and months[pd.Period("2024-02", "M")] == 2000.0
    assert months[pd.Period("2025-01", "M")] == 2000.0  # C2's last active day is 2025-01-31
    # the data ends with the last complete month before the as-of date, metrics.md §2
    assert (dataset.first_month, dataset.latest_month) == (pd.Period("2024-01", "M"), pd.Period("2025-01", "M"))
    assert dataset.company["employees"].dtype == "int64"
    assert dataset.files["kind"].tolist() == ["subscriptions", "customers", "charges", "events", "company"]


def test_mrr_is_not_projected_past_the_last_complete_month(tmp_path):
    """Without an as-of date it is today: the current month is unfinished, so the last
    month shown is the one before (metrics.md §2)."""
    end = (pd.Timestamp.today() + pd.DateOffset(years=2)).strftime("%Y-%m-01")
    write(tmp_path, "subscriptions", with_cell("subscriptions", 1, "end_date", end))
    dataset = load_dataset(tmp_path)
    assert dataset.latest_month == pd.Timestamp.today().to_period("M") - 1
    assert dataset.customer_mrr["month"].max() == dataset.latest_month


def test_load_dataset_from_mrr_table(tmp_path):
    write(tmp_path, "mrr")
    dataset = load_dataset(tmp_path, as_of="2024-03-01")
    assert dataset.customer_mrr["mrr"].tolist() == [1000.0, 1500.0]
    assert (dataset.first_month, dataset.latest_month) == (pd.Period("2024-01", "M"), pd.Period("2024-02", "M"))


def _dataset(tmp_path) -> Dataset:
    write(tmp_path, "mrr")
    return load_dataset(tmp_path, as_of="2024-03-01")


def test_check_month_default_and_inside(tmp_path):
    dataset = _dataset(tmp_path)
    assert dataset.check_month(None) == pd.Period("2024-02", "M")
    assert dataset.check_month("") == pd.Period("2024-02", "M")
    assert dataset.check_month("2024-01") == pd.Period("2024-01", "M")
    assert dataset.check_month(pd.Period("2024-01", "M")) == pd.Period("2024-01", "M")


@pytest.mark.parametrize("month,words", [("2023-12", "outside the data"), ("2024-03", "not complete at the as-of date 2024-03-01"), ("2024-04", "not complete"),
                                         ("2999-01", "future"), ("2024-13", "YYYY-MM"), ("2024-1", "YYYY-MM"),
                                         ("202401", "YYYY-MM"), (202401, "int"), ("Jan 2024", "YYYY-MM"),
                                         (float("nan"), "YYYY-MM"), ("1900-01", "before 1990")])
def test_check_month_rejects(tmp_path, month, words):
    dataset = _dataset(tmp_path)
    with pytest.raises(ParameterError) as exc:
        dataset.check_month(month)
    assert words in str(exc.value)


def test_parse_month_parameter():
    assert parse_month_parameter(" 2024-05 ") == pd.Period("2024-05", "M")
    assert parse_month_parameter(pd.Timestamp("2024-05-17")) == pd.Period("2024-05", "M")
    next_month = (pd.Timestamp.today().to_period("M") + 1).strftime("%Y-%m")
    with pytest.raises(ParameterError, match="future"):
        parse_month_parameter(next_month)


@pytest.mark.parametrize("pairs", [["amount"], ["=amount"], ["monthly_amount="], "monthly_amount=amount"])
def test_parse_mapping_rejects(pairs):
    with pytest.raises(ParameterError):
        parse_mapping(pairs)


def test_parse_mapping():
    assert parse_mapping(["monthly_amount = amount", "cust=customer_id"]) == {
        "monthly_amount": "amount", "cust": "customer_id"}
    assert parse_mapping({"a": "b"}) == {"a": "b"} and parse_mapping(None) == {}


def test_column_mapping_renames_export_headers(tmp_path):
    path = write(tmp_path, "subscriptions", [["C1", "2024-01-01", "100"]], ["cust", "started", "monthly_amount"])
    subs, _, _ = load_subscriptions(path, {"cust": "customer_id", "started": "start_date",
                                           "monthly_amount": "amount"})
    assert subs[["customer_id", "amount"]].values.tolist() == [["C1", 100.0]]


def test_playbook_reference_data_loads_with_a_mapping():
    path = Path(__file__).resolve().parents[2] / "shared/reference-data/mrr_playbook_subscription_periods.csv"
    if not path.exists():
        pytest.skip("../shared is not beside the project")
    with pytest.raises(DataError) as exc:
        load_subscriptions(path)
    assert_located(exc, path, 1, "amount", "monthly_amount")
    subs, currency, warnings = load_subscriptions(path, {"monthly_amount": "amount"})
    assert len(subs) == 121 and subs["customer_id"].nunique() == 55  # per the reference-data README
    assert subs["start_date"].min() == pd.Timestamp("2017-09-01")
    # first data row of the file: 1,1,2018-11-01,2019-02-01,50
    first = subs.iloc[0]
    assert (first.subscription_id, first.customer_id, first.amount) == ("1", "1", 50.0)
    assert first.end_date == pd.Timestamp("2019-02-01") and first.billing_period == "month"
    # no currency column: none is assumed (metrics.md §8); the report and `metrics` ask for one
    assert currency is None and not [w for w in warnings if w.kind == "ignored_columns"]
    assert np.isfinite(subs["amount"]).all()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["C1", "C2"]), st.sampled_from(["Basic", "Pro"]), st.integers(0, 8),
                          st.one_of(st.none(), st.integers(0, 6))), min_size=1, max_size=12))
def test_overlap_warning_matches_a_pairwise_definition(rows):
    """A row is flagged when an earlier-starting row (or an equal start listed before it)
    of the same customer and plan is still running when it starts. Zero-length rows
    (start == end) never count, so they neither overlap nor are overlapped."""
    frame = pd.DataFrame({
        "_row": np.arange(2, len(rows) + 2),
        "customer_id": [r[0] for r in rows], "plan": [r[1] for r in rows],
        "start_date": pd.Timestamp("2024-01-01") + pd.to_timedelta([r[2] for r in rows], unit="D"),
        "end_date": pd.Timestamp("2024-01-01") + pd.to_timedelta([np.nan if r[3] is None else r[2] + r[3]
                                                                 for r in rows], unit="D"),
    })
    flagged = set()
    counted = [(j, r) for j, r in enumerate(rows) if r[3] != 0]
    for i, (c, p, s, length) in counted:
        for j, (c2, p2, s2, length2) in counted:
            earlier = s2 < s or (s2 == s and j < i)
            running = length2 is None or s2 + length2 > s
            if (c2, p2) == (c, p) and earlier and running:
                flagged.add(i + 2)
    warnings = overlap_warnings(frame, "subscriptions.csv")
    assert (warnings[0].rows if warnings else ()) == tuple(sorted(flagged))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=" \tab", max_size=4).filter(lambda t: t.strip() != ""), min_size=1, max_size=8))
def test_strip_trims_text_and_keeps_untouched_cells_as_they_are(cells):
    series = pd.Series(cells, dtype=object)
    out = strip_text(series)
    assert out.tolist() == [c.strip() for c in cells] and out.dtype == object
    assert all(o is c for o, c in zip(out, cells) if c == c.strip())
