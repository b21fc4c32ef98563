"""The Spark engine with a ready monthly MRR table as the ledger (issue 12; metrics.md §1,
§2, §8): a data folder (or catalog schema) with ``mrr.csv`` / ``mrr.parquet`` and no
subscriptions gives the embedded engine's facts (the activation chapter's too, its customer
outcomes found in the month-granular paid spans of the customer-months), warnings, errors
and command output.

Every expected value comes from the embedded engine run on the same files: the facts
compared field by field (:func:`test_spark_engine.assert_facts_equal`), the warnings
and error messages as text, ``saas-kit metrics --tables`` and ``saas-kit movements``
byte for byte. Each test loads its folder once on Spark (one SparkSession per run).
"""
from __future__ import annotations

import pandas as pd
import pytest

from conftest import sample_as_mrr_table
from spark_guard import skip_without_spark

skip_without_spark()

import saas_kit.spark.ledger as ledger  # noqa: E402
from saas_kit.cli import main  # noqa: E402
from saas_kit.errors import DataError  # noqa: E402
from saas_kit.facts.embedded import embedded_facts  # noqa: E402
from saas_kit.loading import load_dataset  # noqa: E402
from saas_kit.spark.data import load_spark_data  # noqa: E402
from saas_kit.spark.facts import spark_facts  # noqa: E402
from test_spark_engine import ALL_CHAPTERS, LEDGER_CHAPTERS, assert_facts_equal, both_facts  # noqa: E402


def run_both(argv: list[str], capsys, spark_argv: list[str] | None = None
             ) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    """(exit code, stdout, stderr) of a command on the embedded engine and on Spark
    (``spark_argv``: the Spark run's arguments when they differ, e.g. another output folder)."""
    capsys.readouterr()
    embedded = (main(argv), *capsys.readouterr())
    on_spark = (main([*(spark_argv or argv), "--engine", "spark"]), *capsys.readouterr())
    return embedded, on_spark


def assert_metrics_equal(folder, out, capsys, options: tuple[str, ...] = ()) -> None:
    """``saas-kit metrics FOLDER [OPTIONS] --tables OUT`` on both engines: the same exit code,
    stdout and stderr (the warnings), and the same table files byte for byte."""
    argv = ["metrics", str(folder), *options, "--tables"]
    embedded, on_spark = run_both([*argv, str(out / "embedded")], capsys, [*argv, str(out / "spark")])
    assert embedded[0] == 0 and embedded[1]
    assert on_spark == embedded
    assert_same_files(out / "embedded", out / "spark")


def assert_same_files(left, right) -> None:
    """Two folders hold the same files with the same bytes (``diff -r``)."""
    names = sorted(p.name for p in left.iterdir())
    assert names == sorted(p.name for p in right.iterdir()) and names
    for name in names:
        assert (left / name).read_bytes() == (right / name).read_bytes(), name


# ----------------------------------------------------------------------------- (a) the sample as mrr.csv


def test_sample_as_mrr_csv_facts_equal(spark, tmp_path):
    """The sample's customer-month MRR as mrr.csv with every optional file: the same facts,
    the activation chapter's included, in the latest month and an earlier one (no
    subscriptions: no billing periods, no plans; the customer outcomes come from the
    month-granular paid spans of the customer-months on both engines)."""
    folder = sample_as_mrr_table(tmp_path / "sample-mrr")
    latest, earlier = both_facts(spark, folder, [None, "2026-06"], ALL_CHAPTERS)
    assert latest[0].ledger.billing_periods is None and not latest[0].data.has_subscriptions
    assert len(latest[0].ledger.movers) > 0
    for embedded, _ in (latest, earlier):
        assert embedded.activation.early_churn["churned"].iloc[0] > 0
        assert embedded.activation.retention["retained"].sum() > 0
    assert list(latest[0].data.files["kind"]) == ["mrr", "customers", "charges", "events", "company"]
    assert_facts_equal(*latest)
    assert_facts_equal(*earlier)


def test_sample_as_mrr_csv_activation_metrics_equal(spark, tmp_path, capsys):
    """``saas-kit metrics FOLDER --activation --tables OUT`` on the sample as mrr.csv with
    its events: the same output and the same tables (activation_*.csv included) byte for
    byte on both engines."""
    folder = sample_as_mrr_table(tmp_path / "sample-mrr")
    assert_metrics_equal(folder, tmp_path, capsys, ("--activation",))
    assert (tmp_path / "spark" / "activation_early_churn.csv").exists()


# ----------------------------------------------------------------------------- (a) saas-kit import invoice-lines

INVOICE_LINES = """customer_id,subscription_id,type,service_period_start,service_period_end,amount,discount_amount,\
tax_amount,prorated,currency,date,description
K1,S1,subscription,2025-01-01,2025-04-01,300000,0,30000,false,JPY,2025-01-01,Quarterly
K1,S1,subscription,2025-04-01,2025-07-01,330000,0,33000,false,JPY,2025-04-01,Quarterly (price rise)
K1,S1,subscription,2025-07-01,2025-10-01,330000,0,33000,false,JPY,2025-07-01,Quarterly
K2,S2,subscription,2025-02-01,2025-03-01,50000,5000,0,false,JPY,2025-02-01,Monthly
K2,,one_time,,,100000,0,0,false,JPY,2025-02-01,Onboarding
K2,S2,subscription,2025-04-01,2025-05-01,50000,5000,0,false,JPY,2025-04-01,Monthly again
K3,S3,subscription,2025-01-15,2026-01-15,1200000,200000,0,false,JPY,2025-01-15,Annual
K4,S4,subscription,2025-03-01,2025-04-01,20000,0,0,false,JPY,2025-03-01,Monthly
K4,S4,subscription,2025-04-01,2025-05-01,20000,0,0,false,JPY,2025-04-01,Monthly
K4,S4,invoiceitem,2025-04-16,2025-05-01,10000,0,0,true,JPY,2025-04-16,Upgrade
K4,S4,subscription,2025-05-01,2025-06-01,40000,0,0,false,JPY,2025-05-01,Monthly
K5,S5,subscription,2025-06-01,2025-07-01,15000,0,0,false,JPY,2025-06-01,Monthly
"""


def test_imported_invoice_lines_commands_equal(spark, tmp_path, capsys):
    """``saas-kit import invoice-lines`` writes mrr.csv (with a currency column), charges.csv
    and dataset.yml; on that folder ``metrics --tables`` prints the same bytes and writes the
    same tables on both engines, and ``movements`` (the folder, its mrr.csv, ``--through``)
    prints the same bytes."""
    export = tmp_path / "lines.csv"
    export.write_text(INVOICE_LINES, encoding="utf-8")
    folder = tmp_path / "imported"
    assert main(["import", "invoice-lines", str(export), "--out", str(folder), "--as-of", "2025-11-01"]) == 0
    assert (folder / "mrr.csv").exists() and not (folder / "subscriptions.csv").exists()
    assert_metrics_equal(folder, tmp_path, capsys)
    for argv in (["movements", str(folder)], ["movements", str(folder / "mrr.csv")],
                 ["movements", str(folder / "mrr.csv"), "--through", "2025-06"]):
        embedded, on_spark = run_both(argv, capsys)
        assert embedded[0] == 0 and on_spark == embedded, argv


# ----------------------------------------------------------------------------- (b) mrr.parquet


def test_sample_as_mrr_parquet_metrics_equal(spark, tmp_path, capsys):
    """The sample's ledger as mrr.parquet with the months as timestamps (microseconds, as
    Spark reads them) and customers.csv for the segment tables: ``metrics --tables`` gives
    the same bytes on both engines."""
    folder = sample_as_mrr_table(tmp_path / "parquet", "csv", optional=("customers.csv", "dataset.yml"))
    table = pd.read_csv(folder / "mrr.csv", dtype={"customer_id": str})
    (folder / "mrr.csv").unlink()
    table["month"] = pd.PeriodIndex(table["month"], freq="M").to_timestamp()
    table.to_parquet(folder / "mrr.parquet", index=False, coerce_timestamps="us")
    assert_metrics_equal(folder, tmp_path, capsys)


# ----------------------------------------------------------------------------- (c) as-of date and warnings

WARNINGS_TABLE = {  # every warning of a ready MRR table, months after the as-of date among them
    "mrr.csv": """customer_id,month,mrr,currency,note
A,2025-01,1000,JPY,x
 B ,2025-01,2000,JPY,
7,2025-02,500,JPY,
007,2025-02,500,JPY,
合計,2025-01,3000,JPY,
A,2025-01,100,JPY,
A,2025-02,1000,JPY,
B,2025-02,2000,JPY,
TOT,2025-01,3100,JPY,
TOT,2025-02,4000,JPY,
A,2025-12,10,JPY,
C,2025/3,10.0001,JPY,
D,2025-03-01,0,JPY,
A,2025年3月,1000,,
E,2025-11,70,JPY,
B,2025-10,2000,JPY,
""",
    "customers.csv": "customer_id,name,segment\nA,Alpha,SMB\n0007,Seven,Enterprise\nZ,Zed,SMB\n",
    "charges.csv": "customer_id,date,amount,kind\nA,2025-02-10,50,setup\nQ,2025-03-10,100,consulting\n",
    "dataset.yml": "as_of: '2025-11-15'\ncurrency: JPY\n",
}


def test_months_after_as_of_and_warnings_equal(spark, tmp_path):
    """A table with months after the last complete month before the as-of date (set aside
    with ``months_after_as_of_not_counted``), a total row under a label and one under a
    customer's name (found by its sums), a repeated customer-month, trimmed and
    leading-zero ids, an unused column, a Parquet file beside the CSV, and cross-file
    findings: the same warnings, customer-months and facts on both engines."""
    for name, text in WARNINGS_TABLE.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    pd.DataFrame({"customer_id": ["X"], "month": ["2025-01"], "mrr": [1.0]}).to_parquet(tmp_path / "mrr.parquet")
    ds = load_dataset(tmp_path)
    data = load_spark_data(spark, str(tmp_path))
    try:
        keys = [w.key for w in ds.warnings]
        assert "warning.months_after_as_of_not_counted" in keys and "warning.duplicate_customer_month" in keys
        assert any(w.key == "warning.total_row" and "'TOT'" in w.message for w in ds.warnings)
        assert data.latest_month == ds.latest_month == pd.Period("2025-10", freq="M")
        expected = ds.customer_mrr.astype({"customer_id": object})  # pandas' string dtype here, ids all the same
        pd.testing.assert_frame_equal(ledger.to_pandas(data.customer_mrr), expected, check_exact=True)
        assert_facts_equal(embedded_facts(ds, ds.latest_month, LEDGER_CHAPTERS),
                           spark_facts(data, ds.latest_month, LEDGER_CHAPTERS))
    finally:
        data.unpersist()


# ----------------------------------------------------------------------------- (d) bad rows

HEADER = "customer_id,month,mrr,currency"
GOOD = ["A,2025-01,1000,JPY", "B,2025-02,90000.5,JPY"]
BAD_ROWS = {
    "missing id": ",2025-01,100,JPY",
    "missing month": "C,,100,JPY",
    "unreadable month": "C,yesterday,100,JPY",
    "month 13": "C,2025-13,100,JPY",
    "month before 1990": "C,1989-12,100,JPY",
    "month in the future": "C,2099-01,100,JPY",
    "missing mrr": "C,2025-01,,JPY",
    "non-numeric mrr": "C,2025-01,abc,JPY",
    "thousands separator": 'C,2025-01,"1,000",JPY',
    "implausibly large mrr": "C,2025-01,2e12,JPY",
    "negative mrr": "C,2025-01,-5,JPY",
    "malformed currency": "C,2025-01,100,YENS",
    "mixed currency": "C,2025-01,100,USD",
}


def both_errors(spark, folder) -> tuple[str, str]:
    """The DataError of the embedded loader and of the Spark engine on ``folder``, as text."""
    with pytest.raises(DataError) as embedded:
        load_dataset(folder)
    with pytest.raises(DataError) as on_spark:
        load_spark_data(spark, str(folder)).unpersist()
    return str(embedded.value), str(on_spark.value)


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_bad_rows_give_the_embedded_loaders_error(spark, tmp_path, case):
    (tmp_path / "mrr.csv").write_text("\n".join([HEADER, *GOOD, BAD_ROWS[case], "D,2025-03,5,JPY"]) + "\n",
                                      encoding="utf-8")
    embedded, on_spark = both_errors(spark, tmp_path)
    assert on_spark == embedded
    assert ", row 4, column '" in on_spark


@pytest.mark.parametrize("mrr", [-3.0, float("nan")])
def test_bad_parquet_rows_count_from_one(spark, tmp_path, mrr):
    """Parquet rows are numbered from 1; a NaN is a missing value, as in the embedded loader."""
    pd.DataFrame({"customer_id": ["A", "B", "C"], "month": ["2025-01", "2025-02", "2025-02"],
                  "mrr": [100.0, 200.0, mrr]}).to_parquet(tmp_path / "mrr.parquet", index=False)
    embedded, on_spark = both_errors(spark, tmp_path)
    assert on_spark == embedded and "row 3, column 'mrr'" in on_spark


def test_no_month_before_the_as_of_date_gives_the_embedded_error(spark, tmp_path, capsys):
    """Every month after the last complete month: nothing to report, in the same words, and
    ``movements`` fails alike."""
    (tmp_path / "mrr.csv").write_text(f"{HEADER}\nA,2025-03,100,JPY\nB,2025-04,100,JPY\n", encoding="utf-8")
    (tmp_path / "dataset.yml").write_text("as_of: '2025-03-15'\n", encoding="utf-8")
    embedded, on_spark = both_errors(spark, tmp_path)
    assert on_spark == embedded and "nothing to report" in on_spark
    embedded, on_spark = run_both(["movements", str(tmp_path / "mrr.csv")], capsys)
    assert embedded[0] != 0 and on_spark == embedded


# ----------------------------------------------------------------------------- (e) subscriptions beside mrr


def test_subscriptions_beside_mrr_table_give_the_same_warnings(spark, tmp_path):
    """With subscriptions present, mrr.csv (and mrr.parquet beside it) are ignored with the
    embedded loader's warnings."""
    (tmp_path / "subscriptions.csv").write_text(
        "customer_id,start_date,end_date,amount,currency\nA,2025-01-01,,1000,JPY\nB,2025-02-01,2025-05-01,500,JPY\n",
        encoding="utf-8")
    (tmp_path / "mrr.csv").write_text(f"{HEADER}\nA,2025-01,1,JPY\n", encoding="utf-8")
    pd.DataFrame({"customer_id": ["A"], "month": ["2025-01"], "mrr": [1.0]}).to_parquet(tmp_path / "mrr.parquet")
    (tmp_path / "dataset.yml").write_text("as_of: '2025-07-01'\n", encoding="utf-8")
    ds = load_dataset(tmp_path)
    data = load_spark_data(spark, str(tmp_path))
    try:
        assert [w.key for w in ds.warnings] == ["warning.ignored_parquet", "warning.ignored_mrr_table"]
        assert [str(w) for w in data.warnings] == [str(w) for w in ds.warnings]
        assert data.warnings == ds.warnings
    finally:
        data.unpersist()


def test_catalog_mrr_table_gives_the_facts_of_the_file(spark, tmp_path):
    """``spark-table:<schema>`` with a table ``mrr`` and no ``subscriptions``: the ledger
    facts of the folder's mrr.csv; with a ``subscriptions`` table too, the mrr table is
    named in the ``ignored_mrr_table`` warning."""
    (tmp_path / "mrr.csv").write_text(WARNINGS_TABLE["mrr.csv"], encoding="utf-8")
    (tmp_path / "dataset.yml").write_text(WARNINGS_TABLE["dataset.yml"], encoding="utf-8")
    spark.read.options(header="true").csv(str(tmp_path / "mrr.csv")).createOrReplaceGlobalTempView("mrr")
    try:
        ds = load_dataset(tmp_path)
        data = load_spark_data(spark, "spark-table:global_temp", as_of=ds.as_of, currency=ds.currency)
        try:
            embedded = embedded_facts(ds, ds.latest_month, {})
            on_spark = spark_facts(data, ds.latest_month, {})
        finally:
            data.unpersist()
        for name in embedded.ledger.__dataclass_fields__:
            assert_facts_field_equal(embedded.ledger, on_spark.ledger, name)
        assert list(on_spark.data.files["file"]) == ["global_temp.mrr"] and list(on_spark.data.files["kind"]) == ["mrr"]
        assert list(on_spark.data.files["rows"]) == list(embedded.data.files["rows"])
        spark.read.options(header="true").csv(str(tmp_path / "mrr.csv")).selectExpr(
            "customer_id", "'2025-01-01' AS start_date", "'10' AS amount").createOrReplaceGlobalTempView("subscriptions")
        from saas_kit.spark.warnings import ignored_mrr_table

        assert [(w.file, w.key) for w in ignored_mrr_table(spark, "spark-table:global_temp")] == [
            ("global_temp.mrr", "warning.ignored_mrr_table")]
    finally:
        spark.catalog.dropGlobalTempView("mrr")
        spark.catalog.dropGlobalTempView("subscriptions")


def assert_facts_field_equal(embedded, on_spark, name: str) -> None:
    """One field of two facts dataclasses equal (segments: their column, bridge and ttm)."""
    from test_spark_engine import equal

    left, right = getattr(embedded, name), getattr(on_spark, name)
    if name == "segments":
        assert list(left) == list(right)
        for column in left:
            for part in ("column", "bridge", "ttm"):
                equal(getattr(left[column], part), getattr(right[column], part), f"segments[{column}].{part}")
    else:
        equal(left, right, name)
