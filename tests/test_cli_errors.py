"""``saas-kit movements`` / ``metrics`` on bad input: exit code 2, the located message on
stderr, nothing on stdout (issue 2 §5, issue 5 "Bad input")."""
from __future__ import annotations

from pathlib import Path

import pytest

from saas_kit.cli import main
from test_loading import VALID, with_cell, write


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def csv_file(tmp_path: Path, text: str | bytes, name: str = "subscriptions.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


BAD_FILES = {
    "empty": (b"", None, None, "empty"),
    "header only": ("customer_id,start_date,amount\n", None, None, "no data rows"),
    "missing column": ("customer_id,start_date\nC1,2024-01-01\n", 1, "amount", "missing required column"),
    "semicolons": ("customer_id;start_date;amount\nC1;2024-01-01;100\n", 1, None, "semicolon"),
    "undecodable": (b"customer_id,start_date,amount\nC1,2024-01-01,\x81\x20\n", None, None, "cannot decode"),
    "bad date": ("customer_id,start_date,amount\nC1,2024-01-01,100\nC2,2026-02-30,100\n", 3, "start_date",
                 "impossible date"),
    "far future": ("customer_id,start_date,amount\nC1,2999-01-01,100\n", 2, "start_date", "far future"),
    "end before start": ("customer_id,start_date,end_date,amount\nC1,2024-03-01,2024-02-01,100\n", 2, "end_date",
                         "before start_date"),
    "negative": ("customer_id,start_date,amount\nC1,2024-01-01,-100\n", 2, "amount", "negative"),
    "thousands": ('customer_id,start_date,amount\nC1,2024-01-01,"¥1,200"\n', 2, "amount", "thousands separators"),
    "billing period": ("customer_id,start_date,amount,billing_period\nC1,2024-01-01,100,weekly\n", 2,
                       "billing_period", "unknown billing period"),
    "currencies": ("customer_id,start_date,amount,currency\nC1,2024-01-01,100,JPY\nC2,2024-01-01,100,USD\n", 3,
                   "currency", "mixed currencies"),
    "duplicate id": ("subscription_id,customer_id,start_date,amount\nS1,C1,2024-01-01,100\nS1,C2,2024-01-01,100\n",
                     3, "subscription_id", "duplicate subscription id"),
    "mrr table month": ("customer_id,month,mrr\nC1,2024-13,100\n", 2, "month", "cannot read month"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_movements_on_bad_file(tmp_path, capsys, case):
    text, row, column, words = BAD_FILES[case]
    path = csv_file(tmp_path, text)
    code, out, err = run(capsys, "movements", str(path))
    assert code == 2 and out == ""
    assert err.startswith("saas-kit movements: error: ") and str(path) in err and words in err
    if row is not None:
        assert f"row {row}" in err
    if column is not None:
        assert f"column '{column}'" in err


def test_movements_on_missing_file_and_directory(tmp_path, capsys):
    for path in (tmp_path / "nope.csv", tmp_path):
        code, out, err = run(capsys, "movements", str(path))
        assert code == 2 and out == "" and str(path) in err


def test_movements_bad_mapping_is_a_parameter_error(tmp_path, capsys):
    path = write(tmp_path, "subscriptions")
    code, out, err = run(capsys, "movements", str(path), "--map", "monthly_amount")
    assert code == 2 and out == "" and "OLD=NEW" in err


def test_movements_with_mapping_on_good_file(tmp_path, capsys):
    path = write(tmp_path, "subscriptions", [["C1", "2024-01-01", "2024-03-01", "100"]],
                 ["customer_id", "start_date", "end_date", "monthly_amount"])
    code, out, err = run(capsys, "movements", str(path), "--map", "monthly_amount=amount", "--through", "2024-03")
    assert code == 0 and err == ""
    lines = out.splitlines()
    # C1 100/month active at the ends of 2024-01 and 2024-02, churned in 2024-03
    assert lines[1] == "2024-01,0,100,0,0,0,0,100,1,1,0"
    assert lines[-1] == "2024-03,100,0,0,0,0,100,0,0,0,1"


def test_metrics_on_bad_directory_and_month(tmp_path, capsys):
    code, out, err = run(capsys, "metrics", str(tmp_path / "nope"))
    assert code == 2 and out == "" and "data directory not found" in err
    write(tmp_path, "subscriptions", with_cell("subscriptions", 1, "amount", "1,200"))
    code, out, err = run(capsys, "metrics", str(tmp_path))
    assert code == 2 and out == "" and "row 3" in err and "column 'amount'" in err
    write(tmp_path, "subscriptions", VALID["subscriptions"][1])
    for month, words in (("2026-13", "YYYY-MM"), ("2999-01", "future"), ("2019-01", "outside the data")):
        code, out, err = run(capsys, "metrics", str(tmp_path), "--month", month)
        assert code == 2 and out == "" and words in err
