"""CSV downloads (saas_kit.export): formula injection is neutralised in text cells,
numbers stay numbers, files are UTF-8 with BOM, written atomically, and read back
with the csv module exactly (issue 5, "Security of the published report")."""
from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from saas_kit import export
from saas_kit.analysis import build_analysis
from saas_kit.export import safe_cell, write_csv
from saas_kit.loading import load_dataset

INJECTIONS = ['=HYPERLINK("http://x")', "+cmd", "@SUM(1)", "-2+3", "\t=1+1", "\r=1+1", "=1+1;DDE"]


def _read(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


@pytest.mark.parametrize("text", INJECTIONS)
def test_text_starting_with_a_formula_character_is_quoted(text):
    assert safe_cell(text) == "'" + text


def test_full_width_formula_characters_are_quoted_too():
    for text in ["＝SUM(1)", "＋1", "－1", "＠A1"]:
        assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["Starter", "C000001", "SMB", "2026-10", "a=b", "1-2", " =1", "スタンダード", ""])
def test_ordinary_text_is_unchanged(text):
    assert safe_cell(text) == text


@pytest.mark.parametrize("value, expected", [
    (-2, "-2"), (np.int64(-1200), "-1200"), (-2.5, "-2.5"), (np.float64(-0.05), "-0.05"), (0.1, "0.1"),
    (1e12, "1000000000000.0"), (12345.678, "12345.678"),
])
def test_numbers_are_written_as_numbers(value, expected):
    assert safe_cell(value) == expected
    assert float(safe_cell(value)) == float(value)


def test_missing_values_are_empty_and_other_types_are_text():
    assert [safe_cell(v) for v in (None, float("nan"), np.nan, pd.NA, pd.NaT)] == ["", "", "", "", ""]
    assert safe_cell(True) == "TRUE" and safe_cell(np.bool_(False)) == "FALSE"
    assert safe_cell(pd.Period("2026-10", "M")) == "2026-10"
    assert safe_cell(pd.Timestamp("2026-10-01")) == "2026-10-01"


def test_write_csv_round_trips_and_quotes_only_text(tmp_path):
    frame = pd.DataFrame({
        "customer_id": ["=HYPERLINK(\"http://x\")", "C2", "@SUM(1)", "C4"],
        "plan": ["+cmd", "Standard, annual", "-2+3", "スタンダード\nplan"],
        "segment": ["SMB", "=1+1", "Enterprise", "中堅"],
        "amount": [-1200.5, 3000.0, 0.0, 1e9],
        "customers": np.array([-3, 4, 0, 7], dtype="int64"),
        "nrr": [1.05, float("nan"), 0.9, 1.0],
    })
    path = write_csv(frame, tmp_path / "t.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the Japanese text
    rows = _read(path)
    assert rows[0] == list(frame.columns)
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(\"http://x\")", "C2", "'@SUM(1)", "C4"]
    assert [r[1] for r in rows[1:]] == ["'+cmd", "Standard, annual", "'-2+3", "スタンダード\nplan"]
    assert [r[2] for r in rows[1:]] == ["SMB", "'=1+1", "Enterprise", "中堅"]
    assert [float(r[3]) for r in rows[1:]] == [-1200.5, 3000.0, 0.0, 1e9]
    assert [r[3] for r in rows[1:]][0] == "-1200.5"  # a negative number is not escaped
    assert [int(r[4]) for r in rows[1:]] == [-3, 4, 0, 7]
    assert [r[5] for r in rows[1:]] == ["1.05", "", "0.9", "1.0"]
    # no cell of the file starts with a formula character unless it is a number
    for row in rows[1:]:
        for cell in row:
            if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
                float(cell)


def test_header_cells_are_escaped_too(tmp_path):
    frame = pd.DataFrame({"=cmd|' /C calc'!A0": ["x"]})
    assert _read(write_csv(frame, tmp_path / "h.csv"))[0] == ["'=cmd|' /C calc'!A0"]


def test_write_csv_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "kpis.csv"
    path.write_bytes(b"old contents")

    class Boom:
        def __str__(self):
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        write_csv(pd.DataFrame({"a": ["fine", Boom()]}), path)
    assert path.read_bytes() == b"old contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kpis.csv"]  # no temporary file left

    def no_space(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_space)
    with pytest.raises(OSError):
        write_csv(pd.DataFrame({"a": [1]}), path)
    assert path.read_bytes() == b"old contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kpis.csv"]


# ------------------------------------------------------------- report downloads


def _dataset(tmp_path: Path, segments: list[str]) -> tuple[object, Path]:
    """Three customers over three months, by hand:
    C1 (segment 0) 1000 from 2026-01, raises to 1500 from 2026-03;
    C2 (segment 1) 2000 in 2026-01 and 2026-02, cancels 2026-03;
    C3 (segment 0) 500 from 2026-02."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "subscriptions.csv").write_text(
        "customer_id,subscription_id,start_date,end_date,amount,billing_period,plan,currency\n"
        "C1,S1,2026-01-01,2026-03-01,1000,month,\"=HYPERLINK(\"\"http://x\"\")\",JPY\n"
        "C1,S2,2026-03-01,,1500,month,+cmd,JPY\n"
        "C2,S3,2026-01-01,2026-03-01,2000,month,@SUM(1),JPY\n"
        "C3,S4,2026-02-01,,500,month,-2+3,JPY\n", encoding="utf-8")
    (data / "customers.csv").write_text(
        "customer_id,name,segment,signup_date\n"
        f"C1,One,\"{segments[0]}\",2026-01-01\n"
        f"C2,Two,\"{segments[1]}\",2026-01-01\n"
        f"C3,Three,\"{segments[0]}\",2026-02-01\n", encoding="utf-8")
    return load_dataset(data), data


def test_downloads_of_a_small_dataset(tmp_path):
    ds, _ = _dataset(tmp_path, ["=1+1", "@SUM(1)"])
    paths = export.write_downloads(build_analysis(ds, "2026-03", chapters={}), tmp_path / "downloads")
    assert [p.name for p in paths] == ["mrr_bridge.csv", "kpis.csv", "segments.csv", "who_moved.csv"]

    bridge = _read(tmp_path / "downloads" / "mrr_bridge.csv")
    head = bridge[0]
    rows = [dict(zip(head, r)) for r in bridge[1:]]
    assert [r["month"] for r in rows] == ["2026-01", "2026-02", "2026-03"]
    march = rows[-1]  # opening 3500; expansion 500 (C1), churn 2000 (C2); closing 2000
    assert float(march["opening_mrr"]) == 3500 and float(march["expansion"]) == 500
    assert float(march["churn"]) == 2000 and float(march["closing_mrr"]) == 2000
    assert float(march["net_new_mrr"]) == -1500  # a negative number, written as a number
    assert march["net_new_mrr"].startswith("-")
    assert float(march["nrr"]) == pytest.approx(2000 / 3500)

    kpis = [dict(zip(_read(tmp_path / "downloads" / "kpis.csv")[0], r))
            for r in _read(tmp_path / "downloads" / "kpis.csv")[1:]]
    by_key = {r["key"]: r for r in kpis}
    assert float(by_key["mrr"]["value"]) == 2000 and float(by_key["mrr"]["previous_month"]) == 3500
    assert by_key["mrr"]["unit"] == "JPY" and by_key["nrr_monthly"]["unit"] == "ratio"
    assert float(by_key["arr"]["value"]) == 24000
    assert float(by_key["net_new_arr"]["value"]) == -18000

    seg = _read(tmp_path / "downloads" / "segments.csv")
    names = sorted(r[0] for r in seg[1:])
    assert names == ["'=1+1", "'@SUM(1)"]  # injected segment names come out quoted
    by_seg = {r[0]: dict(zip(seg[0], r)) for r in seg[1:]}
    # segment "=1+1" (C1, C3): opening 1500, expansion 500, closing 2000 -> NRR 2000/1500
    assert float(by_seg["'=1+1"]["nrr"]) == pytest.approx(2000 / 1500)
    assert float(by_seg["'=1+1"]["mrr"]) == 2000
    # segment "@SUM(1)" (C2): churned entirely
    assert float(by_seg["'@SUM(1)"]["nrr"]) == 0 and float(by_seg["'@SUM(1)"]["mrr"]) == 0

    # who moved in March: C2 ("Two", plan "@SUM(1)") churned 2000 -> 0; C1 ("One") expanded
    # 1000 -> 1500 onto the plan "+cmd" (the subscription started by the end of March)
    moved = _read(tmp_path / "downloads" / "who_moved.csv")
    assert moved[0] == ["movement", "customer_id", "name", "segment", "plan", "mrr_before", "mrr_after", "change"]
    assert [r[:5] + [float(v) for v in r[5:]] for r in moved[1:]] == [
        ["churn", "C2", "Two", "'@SUM(1)", "'@SUM(1)", 2000, 0, -2000],
        ["expansion", "C1", "One", "'=1+1", "'+cmd", 1000, 1500, 500]]


def test_no_segment_column_gives_a_header_only_file(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "subscriptions.csv").write_text("customer_id,start_date,end_date,amount\nc1,2026-01-01,,100\n",
                                            encoding="utf-8")
    export.write_downloads(build_analysis(load_dataset(data, currency="JPY"), "2026-02", chapters={}), tmp_path / "d")
    rows = _read(tmp_path / "d" / "segments.csv")
    assert rows[0][0] == "segment" and len(rows) == 1
