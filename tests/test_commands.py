"""The quick-check commands print what the library computes (issue 2, section 5)."""
import csv
import io
from fractions import Fraction

import pytest

from conftest import ROOT
from saas_kit.cli import main
from saas_kit.kpis import activation_kpis, headline_kpis
from saas_kit.loading import load_dataset
from saas_kit.movements import mrr_movements

SAMPLE = ROOT / "data" / "sample"
COLUMNS = ["month", "opening_mrr", "new", "expansion", "reactivation", "contraction", "churn", "closing_mrr",
           "customers", "new_customers", "churned_customers"]


def test_movements_csv_has_the_columns_and_reconciles_exactly(capsys):
    assert main(["movements", str(SAMPLE / "subscriptions.csv")]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(rows[0]) == COLUMNS
    expected = mrr_movements(load_dataset(SAMPLE).customer_mrr).set_index("month")
    for row in rows:
        v = {k: Fraction(row[k]) for k in COLUMNS[1:8]}
        assert v["opening_mrr"] + v["new"] + v["expansion"] + v["reactivation"] - v["contraction"] - v["churn"] \
            == v["closing_mrr"], row["month"]
        e = expected.loc[row["month"]]
        assert float(v["closing_mrr"]) == e.closing_mrr and int(row["customers"]) == e.customers
        assert int(row["new_customers"]) == e.new_customers and int(row["churned_customers"]) == e.churned_customers
    assert len(rows) == len(expected)


def test_movements_with_a_column_mapping(tmp_path, capsys):
    export = tmp_path / "export.csv"
    export.write_text("cust,begin,monthly_amount\nA,2025-01-01,100\nB,2025-02-01,50\n", encoding="utf-8")
    assert main(["movements", str(export), "--map", "cust=customer_id", "--map", "begin=start_date",
                 "--map", "monthly_amount=amount", "--through", "2025-03"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["month"], r["new"], r["closing_mrr"]) for r in rows] == [
        ("2025-01", "100", "100"), ("2025-02", "50", "150"), ("2025-03", "0", "150")]


def test_metrics_prints_the_library_figures(capsys):
    assert main(["metrics", str(SAMPLE), "--month", "2026-10"]) == 0
    out = capsys.readouterr().out
    dataset = load_dataset(SAMPLE)
    table = headline_kpis(dataset, "2026-10")
    for row in table.itertuples():
        assert row.metric in out and row.value_text in out
    assert activation_kpis(dataset, "2026-10").iloc[0]["value_text"] in out


def test_metrics_rejects_a_month_outside_the_data(capsys):
    assert main(["metrics", str(SAMPLE), "--month", "2001-01"]) == 2
    assert "outside the data" in capsys.readouterr().err
