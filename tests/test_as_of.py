"""The as-of date (metrics.md §2), the currency rule (§8) and the input bugs of issue 9.

Every expected value is worked out by hand in the test."""
from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from saas_kit.cli import main
from saas_kit.errors import DataError, ParameterError
from saas_kit.loading import load_dataset, load_subscriptions
from saas_kit.metadata import last_complete_month, read_metadata, write_metadata
from saas_kit.movements import mrr_movements

LAST_CHURN = "customer_id,start_date,end_date,amount,currency\nA,2024-01-01,,10,USD\nB,2024-01-01,2024-03-01,100,USD\n"


def _folder(tmp_path, text=LAST_CHURN, name="subscriptions.csv", meta=None):
    folder = tmp_path / "data"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    if meta is not None:
        (folder / "dataset.yml").write_text(meta, encoding="utf-8")
    return folder


def _movements(capsys, *argv):
    assert main(["movements", *map(str, argv)]) == 0
    return list(csv.DictReader(io.StringIO(capsys.readouterr().out)))


def test_last_complete_month():
    assert last_complete_month(pd.Timestamp("2024-04-01")) == pd.Period("2024-03", "M")  # 03-31 < 04-01
    assert last_complete_month(pd.Timestamp("2024-03-31")) == pd.Period("2024-02", "M")  # 03-31 is not < 03-31
    assert last_complete_month(pd.Timestamp("2024-03-15")) == pd.Period("2024-02", "M")


def test_the_last_churn_is_reported_once_its_month_is_complete(tmp_path, capsys):
    """B's last active day is 2024-02-29: its churn of 100 belongs to March, which is
    complete at 2024-04-01 though no row mentions March."""
    folder = _folder(tmp_path)
    rows = _movements(capsys, folder / "subscriptions.csv", "--as-of", "2024-04-01")
    assert [(r["month"], r["churn"], r["closing_mrr"]) for r in rows] == [
        ("2024-01", "0", "110"), ("2024-02", "0", "110"), ("2024-03", "100", "10")]
    dataset = load_dataset(folder, as_of="2024-04-01")
    assert dataset.check_month(None) == pd.Period("2024-03", "M")
    bridge = mrr_movements(dataset.customer_mrr).set_index("month")  # the loader's last month is the default
    assert bridge.loc["2024-03", "churn"] == 100 and bridge.loc["2024-03", "closing_mrr"] == 10
    assert main(["metrics", str(folder), "--as-of", "2024-04-01", "--month", "2024-03"]) == 0


def test_an_unfinished_month_is_not_shown(tmp_path, capsys):
    folder = _folder(tmp_path)
    rows = _movements(capsys, folder / "subscriptions.csv", "--as-of", "2024-03-15")
    assert [r["month"] for r in rows] == ["2024-01", "2024-02"]
    dataset = load_dataset(folder, as_of="2024-03-15")
    assert dataset.check_month(None) == pd.Period("2024-02", "M")
    with pytest.raises(ParameterError, match="not complete at the as-of date 2024-03-15"):
        dataset.check_month("2024-03")
    assert main(["metrics", str(folder), "--as-of", "2024-03-15", "--month", "2024-03"]) == 2
    assert "not complete" in capsys.readouterr().err


def test_future_starts_are_not_mrr_and_no_month_after_the_as_of_month(tmp_path, capsys):
    """A start on 2024-02-20 with as_of 2024-02-10 is not yet MRR; a start on
    2024-03-01 neither; nothing is shown after January."""
    text = ("customer_id,start_date,amount,currency\nA,2024-01-01,10,USD\nB,2024-02-20,50,USD\n"
            "C,2024-03-01,70,USD\n")
    folder = _folder(tmp_path, text)
    rows = _movements(capsys, folder, "--as-of", "2024-02-10")
    assert [(r["month"], r["closing_mrr"]) for r in rows] == [("2024-01", "10")]
    dataset = load_dataset(folder, as_of="2024-02-10")
    assert dataset.customer_mrr["month"].max() == pd.Period("2024-01", "M")
    assert any(w.kind == "after_as_of" for w in dataset.warnings)


def test_dataset_yml_gives_the_as_of_date_and_the_currency(tmp_path, capsys):
    text = "customer_id,start_date,end_date,amount\nA,2024-01-01,,10\nB,2024-01-01,2024-03-01,100\n"
    folder = _folder(tmp_path, text, meta="as_of: 2024-04-01\ncurrency: usd\n")
    dataset = load_dataset(folder)
    assert (dataset.as_of, dataset.currency, dataset.latest_month) == (
        pd.Timestamp("2024-04-01"), "USD", pd.Period("2024-03", "M"))
    assert load_dataset(folder, as_of="2024-03-15").latest_month == pd.Period("2024-02", "M")  # the argument wins
    rows = _movements(capsys, folder)  # a folder works, and its dataset.yml is read
    assert rows[-1]["month"] == "2024-03" and rows[-1]["churn"] == "100"
    assert main(["metrics", str(folder)]) == 0
    assert "Headline metrics for 2024-03 (USD" in capsys.readouterr().out


def test_write_and_read_metadata(tmp_path):
    write_metadata(tmp_path, as_of=pd.Timestamp("2026-11-01"), currency="jpy",
                   source={"format": "mrr-matrix", "files": ["a.csv"]})
    meta = read_metadata(tmp_path)
    assert meta["as_of"] == pd.Timestamp("2026-11-01") and meta["currency"] == "JPY"
    assert meta["source"] == {"format": "mrr-matrix", "files": ["a.csv"]} and "imported_at" in meta


@pytest.mark.parametrize("text,words", [("as_of: 2024-13-01\n", "as_of"), ("currency: 円\n", "3-letter"),
                                        ("- a\n- b\n", "keys"), ("as_of: 2999-01-01\n", "future")])
def test_a_broken_dataset_yml_is_named(tmp_path, text, words):
    folder = _folder(tmp_path, meta=text)
    with pytest.raises(DataError) as exc:
        load_dataset(folder)
    assert "dataset.yml" in str(exc.value) and words in str(exc.value)


def test_the_sample_reports_october_2026_by_default(dataset):
    assert dataset.as_of == pd.Timestamp("2026-11-01") and dataset.currency == "JPY"
    assert dataset.check_month(None) == pd.Period("2026-10", "M")


# ----------------------------------------------------------------------------- currency never assumed


def test_metrics_without_a_currency_says_how_to_give_one(tmp_path, capsys):
    text = "customer_id,start_date,amount\nA,2024-01-01,10\n"
    folder = _folder(tmp_path, text)
    assert main(["metrics", str(folder), "--as-of", "2024-03-01"]) == 2
    err = capsys.readouterr().err
    assert "no currency" in err and "--currency" in err and "dataset.yml" in err
    assert main(["metrics", str(folder), "--as-of", "2024-03-01", "--currency", "usd"]) == 0
    assert "(USD," in capsys.readouterr().out
    # movements prints plain numbers: no currency needed
    rows = _movements(capsys, folder / "subscriptions.csv", "--as-of", "2024-03-01")
    assert [r["closing_mrr"] for r in rows] == ["10", "10"]
    dataset = load_dataset(folder, as_of="2024-03-01", require_currency=False)
    assert dataset.currency is None
    with pytest.raises(DataError, match="--currency"):
        dataset.require_currency()


# ----------------------------------------------------------------------------- the input bugs


def test_a_user_column_named_row_does_not_collide(tmp_path):
    path = tmp_path / "subscriptions.csv"
    path.write_text("_row,customer_id,start_date,amount,currency\n9,A,2024-01-01,10,JPY\n", encoding="utf-8")
    subs, _, warnings = load_subscriptions(path)
    assert subs["customer_id"].tolist() == ["A"] and subs["_row"].tolist() == [2]
    assert any("_row (column 1)" in str(w) for w in warnings)  # listed among the ignored columns
    mapped = tmp_path / "m.csv"
    mapped.write_text("_row,start_date,amount,currency\nA,2024-01-01,10,JPY\n", encoding="utf-8")
    subs, _, _ = load_subscriptions(mapped, {"_row": "customer_id"})  # the header as written can be mapped
    assert subs["customer_id"].tolist() == ["A"]
    with pytest.raises(ParameterError, match="loader uses itself"):
        load_subscriptions(mapped, {"start_date": "_row"})


def test_a_parquet_column_named_row_does_not_collide(tmp_path):
    path = tmp_path / "subscriptions.parquet"
    pd.DataFrame({"_row": [5], "customer_id": ["A"], "start_date": ["2024-01-01"], "amount": [10],
                  "currency": ["JPY"]}).to_parquet(path)
    subs, _, _ = load_subscriptions(path)
    assert subs["_row"].tolist() == [1] and subs["customer_id"].tolist() == ["A"]


@pytest.mark.parametrize("tail", [",,,,\n", ",,,,\n,,,,\n", " , ,,,\n", ",,,,"])
def test_all_empty_rows_are_ignored(tmp_path, tail):
    path = tmp_path / "subscriptions.csv"
    path.write_text("customer_id,start_date,end_date,amount,currency\nA,2024-01-01,,10,JPY\n" + tail,
                    encoding="utf-8")
    subs, _, _ = load_subscriptions(path)
    assert subs["customer_id"].tolist() == ["A"]


def test_all_null_parquet_rows_are_ignored(tmp_path):
    path = tmp_path / "subscriptions.parquet"
    pd.DataFrame({"customer_id": ["A", None], "start_date": ["2024-01-01", None], "amount": [10, None],
                  "currency": ["JPY", None]}).to_parquet(path)
    subs, _, _ = load_subscriptions(path)
    assert subs["customer_id"].tolist() == ["A"]


def test_a_zero_length_row_draws_no_overlap_warning(tmp_path):
    path = tmp_path / "subscriptions.csv"
    path.write_text("customer_id,start_date,end_date,amount,currency\nA,2024-01-01,,10,JPY\n"
                    "A,2024-02-01,2024-02-01,10,JPY\n", encoding="utf-8")
    _, _, warnings = load_subscriptions(path)
    assert [w.kind for w in warnings] == ["zero_length"]


@pytest.mark.parametrize("label", ["合計", "Total", "小計", " total ", "Grand Total", "総計"])
def test_a_total_row_in_subscriptions_is_set_aside_and_named(tmp_path, label):
    path = _folder(tmp_path, "customer_id,start_date,amount,currency\nA,2024-01-01,10,JPY\nB,2024-01-01,20,JPY\n"
                   f"{label},2024-01-01,30,JPY\n")
    dataset = load_dataset(path, as_of="2024-02-01")
    assert dataset.customer_mrr["mrr"].sum() == 30  # 10 + 20, not 60
    found = [w for w in dataset.warnings if w.kind == "total_row"]
    assert len(found) == 1 and label.strip() in str(found[0]) and found[0].rows == (4,)


def test_a_total_row_in_an_mrr_table_is_set_aside_by_label_or_by_its_sums(tmp_path):
    text = ("customer_id,month,mrr,currency\nA,2024-01,10,JPY\nB,2024-01,20,JPY\nC,2024-01,5,JPY\n"
            "A,2024-02,10,JPY\nB,2024-02,25,JPY\nC,2024-02,5,JPY\n"
            "ALL,2024-01,35,JPY\nALL,2024-02,40,JPY\n")  # 'ALL' is not a label, but it sums the others
    dataset = load_dataset(_folder(tmp_path, text, "mrr.csv"), as_of="2024-03-01")
    assert dataset.customer_mrr.groupby("month")["mrr"].sum().tolist() == [35, 40]
    assert sorted(dataset.customer_mrr["customer_id"].unique()) == ["A", "B", "C"]
    found = [w for w in dataset.warnings if w.kind == "total_row"]
    assert len(found) == 1 and "'ALL'" in str(found[0]) and found[0].rows == (8, 9)


def test_a_customer_that_happens_to_equal_one_other_is_not_a_total(tmp_path):
    """Two customers with equal MRR: each equals 'the sum of the others', but a total
    needs at least two others."""
    text = "customer_id,month,mrr,currency\nA,2024-01,10,JPY\nB,2024-01,10,JPY\n"
    dataset = load_dataset(_folder(tmp_path, text, "mrr.csv"), as_of="2024-02-01")
    assert dataset.customer_mrr["mrr"].sum() == 20 and not any(w.kind == "total_row" for w in dataset.warnings)


def test_company_months_and_charges_after_the_as_of_date_are_not_shown(tmp_path):
    folder = _folder(tmp_path)
    (folder / "company.csv").write_text("month,employees\n2024-01,3\n2024-02,3\n2024-03,4\n2024-04,5\n",
                                        encoding="utf-8")
    (folder / "charges.csv").write_text("customer_id,date,amount\nA,2024-02-10,500\nA,2024-04-02,700\n",
                                        encoding="utf-8")
    dataset = load_dataset(folder, as_of="2024-04-01")
    assert dataset.company["month"].astype(str).tolist() == ["2024-01", "2024-02", "2024-03"]
    assert dataset.charges["amount"].tolist() == [500.0]
    assert {w.file for w in dataset.warnings if w.kind == "after_as_of"} == {"company.csv", "charges.csv"}
