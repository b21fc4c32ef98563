"""The Spark engine's inputs: the same errors as the embedded loader (file, row, column, words),
column mapping, Parquet, the command line, and the message when Spark cannot start."""
from __future__ import annotations

import pandas as pd
import pytest

from saas_kit.errors import DataError
import saas_kit.spark.session as spark_session_module
from saas_kit.spark.session import SparkUnavailable, require_spark
from spark_guard import skip_without_spark

skip_without_spark()

from conftest import ROOT  # noqa: E402
from saas_kit import cli  # noqa: E402
from saas_kit.loading import load_subscriptions  # noqa: E402
from saas_kit.spark.data import load_subscriptions_file  # noqa: E402
from saas_kit.spark.ledger import to_pandas  # noqa: E402

HEADER = "customer_id,subscription_id,start_date,end_date,amount,billing_period,currency"
GOOD = ["A,S1,2025-01-01,,1000,month,JPY", "B,S2,2025-02-15,2025-06-01,90000,quarter,JPY"]


def both_errors(spark, path, mapping=None) -> tuple[str, str]:
    with pytest.raises(DataError) as embedded:
        load_subscriptions(path, mapping)
    with pytest.raises(DataError) as on_spark:
        load_subscriptions_file(spark, str(path), mapping)
    return str(embedded.value), str(on_spark.value)


BAD_ROWS = {
    "missing id": ",S3,2025-01-01,,1000,month,JPY",
    "unreadable date": "C,S3,yesterday,,1000,month,JPY",
    "impossible date": "C,S3,2025-02-30,,1000,month,JPY",
    "date before 1990": "C,S3,1989-12-31,,1000,month,JPY",
    "thousands separator": 'C,S3,2025-01-01,,"1,000",month,JPY',
    "negative amount": "C,S3,2025-01-01,,-5,month,JPY",
    "unknown period": "C,S3,2025-01-01,,1000,fortnight,JPY",
    "end before start": "C,S3,2025-03-01,2025-02-01,1000,month,JPY",
    "duplicate subscription": "C,S1,2025-01-01,,1000,month,JPY",
    "mixed currency": "C,S3,2025-01-01,,1000,month,USD",
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_bad_csv_rows_give_the_embedded_loaders_error(spark, tmp_path, case):
    path = tmp_path / "subscriptions.csv"
    path.write_text("\n".join([HEADER, *GOOD, BAD_ROWS[case], "D,S9,2025-01-01,,5,month,JPY"]) + "\n", encoding="utf-8")
    embedded, on_spark = both_errors(spark, path)
    assert on_spark == embedded
    assert ", row 4, column '" in on_spark


def test_missing_required_column_and_mapping(spark, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("customer_id,start_date,monthly_amount\nA,2025-01-01,1000\nB,2025-02-01,2500.5\n", encoding="utf-8")
    embedded, on_spark = both_errors(spark, path)
    assert on_spark == embedded and "row 1, column 'amount'" in on_spark
    subs, _, _ = load_subscriptions(path, {"monthly_amount": "amount"})
    cm, _ = load_subscriptions_file(spark, str(path), {"monthly_amount": "amount"})
    from saas_kit.metadata import last_complete_month, today
    from saas_kit.mrr import monthly_mrr
    # no as-of date and no dataset.yml: the months run to the last complete month before today
    pd.testing.assert_frame_equal(to_pandas(cm), monthly_mrr(subs, last_complete_month(today())), check_exact=True)


def test_parquet_rows_count_from_one(spark, tmp_path):
    frame = pd.DataFrame({"customer_id": ["A", "B", "C"], "start_date": pd.to_datetime(["2025-01-01"] * 3),
                          "amount": [100.0, 200.0, -3.0]})
    path = tmp_path / "subscriptions.parquet"
    frame.to_parquet(path)
    embedded, on_spark = both_errors(spark, path)
    assert on_spark == embedded and "row 3, column 'amount'" in on_spark


def test_cli_movements_on_spark_prints_the_same_bytes(spark, capsys):
    path = str(ROOT / "data" / "sample" / "subscriptions.csv")
    assert cli.main(["movements", path]) == 0
    embedded = capsys.readouterr().out
    assert cli.main(["movements", path, "--engine", "spark"]) == 0
    assert capsys.readouterr().out == embedded


def test_cli_metrics_on_spark_prints_the_same_table(spark, capsys):
    sample = str(ROOT / "data" / "sample")
    assert cli.main(["metrics", sample, "--month", "2026-06", "--format", "csv"]) == 0
    embedded = capsys.readouterr().out
    assert cli.main(["metrics", sample, "--month", "2026-06", "--format", "csv", "--engine", "spark"]) == 0
    assert capsys.readouterr().out == embedded


def test_a_clear_error_names_the_extra_and_the_java_package(monkeypatch, capsys, tmp_path):
    real_find_spec = spark_session_module.importlib.util.find_spec
    monkeypatch.setattr(spark_session_module.importlib.util, "find_spec",
                        lambda name, *a: None if name == "pyspark" else real_find_spec(name, *a))
    assert cli.main(["movements", "x.csv", "--engine", "spark"]) == 2
    err = capsys.readouterr().err
    assert "pip install -e .[spark]" in err and "openjdk-17-jre-headless" in err
    assert cli.main(["report", "--engine", "spark", "--no-pdf", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "pip install -e .[spark]" in err and "openjdk-17-jre-headless" in err
    assert not any(tmp_path.iterdir())  # nothing written
    monkeypatch.undo()
    monkeypatch.setattr(spark_session_module.shutil, "which", lambda name: None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.delenv("SPARK_REMOTE", raising=False)
    with pytest.raises(SparkUnavailable, match="no Java runtime.*openjdk-17-jre-headless"):
        require_spark("local[2]")


def test_parquet_with_nanosecond_timestamps_says_how_to_write_it(spark, tmp_path):
    """pandas/pyarrow can write nanosecond timestamps, which Spark cannot read: the error
    names the file and how to write microseconds instead."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"customer_id": ["A"], "start_date": pa.array([pd.Timestamp("2025-01-01").value],
                                                                    type=pa.timestamp("ns")), "amount": [10.0]})
    path = tmp_path / "subscriptions.parquet"
    pq.write_table(table, path, coerce_timestamps=None, version="2.6")
    with pytest.raises(DataError, match="nanoseconds.*coerce_timestamps='us'") as err:
        load_subscriptions_file(spark, str(path))
    assert "subscriptions.parquet" in str(err.value)
