"""``saas-kit import mrr-matrix``: the spreadsheet shape (metrics.md §8)."""
from __future__ import annotations

import pandas as pd
import pytest

from saas_kit.cli import main
from saas_kit.imports.mrr_matrix import month_of_header
from saas_kit.loading import load_dataset


def _import(tmp_path, text, *extra, encoding="utf-8"):
    export = tmp_path / "matrix.csv"
    export.write_bytes(text.encode(encoding))
    out = tmp_path / "out"
    return main(["import", "mrr-matrix", str(export), "--out", str(out), *extra]), out


def _mrr(out, **kw) -> dict[tuple[str, str], float]:
    cm = load_dataset(out, **kw).customer_mrr
    return {(r.customer_id, str(r.month)): r.mrr for r in cm.itertuples()}


@pytest.mark.parametrize("header,month", [("2026-01", "2026-01"), ("2026/1", "2026-01"), ("2026年1月", "2026-01"),
                                          ("2026.12", "2026-12"), ("2026-01-01", "2026-01"), ("2026/1/31", "2026-01"),
                                          ("name", None), ("2026-13", None), ("合計", None)])
def test_month_headers(header, month):
    n = month_of_header(header)
    assert (None if n is None else f"{n // 12:04d}-{n % 12 + 1:02d}") == month


def test_shift_jis_matrix_with_yen_signs_a_total_row_and_leading_zero_ids(tmp_path, capsys):
    """Saved from Japanese Excel as Shift_JIS: ￥ and thousands separators in cells, a
    blank cell and '-' as 0, a 合計 row, ids 007 and 7 kept apart."""
    text = ("顧客ID,顧客名,2026年1月,2026年2月,2026年3月\n"
            "007,山田商事,\"￥10,000\",\"￥10,000\",\"￥12,000\"\n"
            "7,鈴木工業,\\5000,,\\5000\n"
            "010,佐藤,\"3,000\",\"3,000\",-\n"
            "合計,,\"￥18,000\",\"￥13,000\",\"￥17,000\"\n"
            ",,,,\n")
    code, out = _import(tmp_path, text, encoding="cp932")
    assert code == 0
    printed = capsys.readouterr().out
    assert "total row ('合計'" in printed and "sum of cells 48000 JPY" in printed
    assert "rows read: 4" in printed and "rows kept: 3" in printed and "no subscriptions" in printed
    assert _mrr(out) == {("007", "2026-01"): 10000, ("007", "2026-02"): 10000, ("007", "2026-03"): 12000,
                         ("7", "2026-01"): 5000, ("7", "2026-03"): 5000,
                         ("010", "2026-01"): 3000, ("010", "2026-02"): 3000}
    dataset = load_dataset(out)
    assert dataset.currency == "JPY" and dataset.as_of == pd.Timestamp("2026-04-01")  # the day after the sheet
    assert dataset.customers.set_index("customer_id").loc["007", "顧客名"] == "山田商事"
    assert main(["metrics", str(out)]) == 0
    assert "Headline metrics for 2026-03 (JPY" in capsys.readouterr().out


def test_utf8_bom_matrix_total_by_sums_dollars_and_as_of(tmp_path, capsys):
    """A row without a total label whose every month is the sum of the others is a total."""
    text = ("customer,2026-01,2026-02,2026-03\n"
            "acme,\"$1,000.50\",\"$1,000.50\",$900\n"
            "globex,$200,$300,$300\n"
            "initech,$50,$50,\n"
            "All customers,\"$1,250.50\",\"$1,350.50\",\"$1,200\"\n")
    code, _ = _import(tmp_path, text, encoding="utf-8-sig")
    assert code == 2 and "which dollar" in capsys.readouterr().err
    code, out = _import(tmp_path, text, "--currency", "USD", "--as-of", "2026-03-15", encoding="utf-8-sig")
    assert code == 0
    printed = capsys.readouterr().out
    assert "total row ('All customers'" in printed
    assert "months after 2026-02" in printed and "2026-03" in printed  # March is not complete on 03-15
    assert _mrr(out) == {("acme", "2026-01"): 1000.5, ("acme", "2026-02"): 1000.5, ("globex", "2026-01"): 200,
                         ("globex", "2026-02"): 300, ("initech", "2026-01"): 50, ("initech", "2026-02"): 50}


def test_a_total_column_is_set_aside(tmp_path, capsys):
    text = "id,2026-01,2026-02,Total\na,10,20,30\nb,5,5,10\n"
    code, out = _import(tmp_path, text, "--currency", "EUR")
    assert code == 0 and "total column 'Total'" in capsys.readouterr().out
    assert sum(_mrr(out).values()) == 40


def test_a_bad_cell_is_named(tmp_path, capsys):
    text = "id,2026-01,2026-02\na,10,ten\n"
    code, out = _import(tmp_path, text, "--currency", "EUR")
    err = capsys.readouterr().err
    assert code == 2 and "row 2" in err and "column '2026-02'" in err and "'ten'" in err and not out.exists()


def test_duplicate_customer_rows_are_refused(tmp_path, capsys):
    code, _ = _import(tmp_path, "id,2026-01\na,10\na,5\n", "--currency", "EUR")
    assert code == 2 and "appears on several rows" in capsys.readouterr().err
