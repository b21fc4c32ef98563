"""The Spark engine's month facts equal the embedded engine's to the tick (issue 12).

One SparkSession (local mode) serves the whole test run (``spark`` in conftest). Equality
is exact: :func:`saas_kit.spark.facts.spark_facts` and
:func:`saas_kit.facts.embedded.embedded_facts` are compared field by field, every frame
with ``assert_frame_equal(check_exact=True)`` (same columns, dtypes, order and values),
and the commands print the same bytes. Ledgers: the bundled sample (every chapter's
facts, activation included), a generated 100,000-customer company (about 1.6 million
customer-months: every stage at a size where Spark partitions and shuffles for real),
the edge ledgers of test_movements / test_mrr / test_rates in one folder, the as-of
ledgers of test_as_of (metrics.md §2) and small random ledgers (hypothesis).
"""
from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from conftest import ROOT
from spark_guard import skip_without_spark

skip_without_spark()

import saas_kit.spark.ledger as ledger  # noqa: E402
from saas_kit.cli import main  # noqa: E402
from saas_kit.errors import DataError, ParameterError  # noqa: E402
from saas_kit.facts import MonthFacts  # noqa: E402
from saas_kit.facts.embedded import embedded_facts  # noqa: E402
from saas_kit.facts.model import ACTIVATION_DEFAULTS  # noqa: E402
from saas_kit.loading import load_dataset, load_subscriptions  # noqa: E402
from saas_kit.mrr import latest_month_number, number_to_period  # noqa: E402
from saas_kit.spark.data import load_spark_data  # noqa: E402
from saas_kit.spark.facts import spark_facts  # noqa: E402

SAMPLE = ROOT / "data" / "sample"
LEDGER_CHAPTERS = {"01_nrr": {"segment_column": "segment"}, "04_churn_compounding": {"segment_column": "segment"}}
ALL_CHAPTERS = {**LEDGER_CHAPTERS, "05_activation": dict(ACTIVATION_DEFAULTS)}


def equal(left, right, what: str) -> None:
    if isinstance(left, pd.DataFrame) or isinstance(right, pd.DataFrame):
        assert isinstance(left, pd.DataFrame) and isinstance(right, pd.DataFrame), what
        pd.testing.assert_frame_equal(left, right, check_exact=True, obj=what)
    elif isinstance(left, pd.Series):
        pd.testing.assert_series_equal(left, right, check_exact=True, obj=what)
    elif isinstance(left, dict):
        assert left.keys() == right.keys(), what
        for key in left:
            equal(left[key], right[key], f"{what}[{key}]")
    elif isinstance(left, float) and math.isnan(left):
        assert isinstance(right, float) and math.isnan(right), what
    else:
        assert left == right, f"{what}: {left!r} != {right!r}"


def assert_facts_equal(embedded: MonthFacts, on_spark: MonthFacts) -> None:
    """Every field of the two engines' facts, frame by frame."""
    assert (embedded.engine, on_spark.engine) == ("embedded", "spark")
    equal(embedded.month, on_spark.month, "month")
    for name in embedded.data.__dataclass_fields__:
        equal(getattr(embedded.data, name), getattr(on_spark.data, name), f"data.{name}")
    for name in embedded.ledger.__dataclass_fields__:
        if name == "segments":
            assert list(embedded.ledger.segments) == list(on_spark.ledger.segments)
            for column, seg in embedded.ledger.segments.items():
                for part in ("column", "bridge", "ttm"):
                    equal(getattr(seg, part), getattr(on_spark.ledger.segments[column], part),
                          f"segments[{column}].{part}")
        else:
            equal(getattr(embedded.ledger, name), getattr(on_spark.ledger, name), f"ledger.{name}")
    assert (embedded.activation is None) == (on_spark.activation is None)
    if embedded.activation is not None:
        for name in embedded.activation.__dataclass_fields__:
            equal(getattr(embedded.activation, name), getattr(on_spark.activation, name), f"activation.{name}")


def both_facts(spark, folder, months, parameters, as_of=None) -> list[tuple[MonthFacts, MonthFacts]]:
    """(embedded, spark) facts of ``folder`` for each month of ``months`` (None = the latest)."""
    ds = load_dataset(folder, as_of=as_of)
    data = load_spark_data(spark, str(folder), as_of=as_of)
    try:
        assert (data.first_month, data.latest_month, data.as_of) == (ds.first_month, ds.latest_month, ds.as_of)
        out = []
        for month in months:
            month = ds.check_month(month)
            assert data.check_month(month) == month
            out.append((embedded_facts(ds, month, parameters), spark_facts(data, month, parameters)))
        return out
    finally:
        data.unpersist()


def test_sample_facts_equal(spark):
    """The latest month with every chapter (activation tables included) and an earlier
    month with the ledger chapters."""
    latest, earlier = both_facts(spark, SAMPLE, [None, "2026-06"], ALL_CHAPTERS)
    assert latest[0].activation.search is not None and len(latest[0].ledger.movers) > 0
    assert_facts_equal(*latest)
    assert_facts_equal(*earlier)


@pytest.fixture(scope="session")
def company_100k(tmp_path_factory):
    """A generated company of 100,000 customers (about 1.6 million customer-months)."""
    out = tmp_path_factory.mktemp("spark100k")
    subprocess.run([sys.executable, "-m", "saas_kit.cli", "generate", "--customers", "100000", "--out", str(out)],
                   check=True, capture_output=True)
    return out


def test_generated_100k_company_facts_equal(spark, company_100k):
    ((embedded, on_spark),) = both_facts(spark, company_100k, [None], ALL_CHAPTERS)
    assert embedded.data.files["rows"].iloc[0] > 200_000
    assert_facts_equal(embedded, on_spark)


# ----------------------------------------------------------------------------- edge ledgers

EDGE_LEDGERS = {  # (rows, last month): the ledgers of test_movements, test_mrr and test_rates
    "gap_then_return": ([("A", "2025-01-01", "2025-03-01", 1000), ("A", "2025-05-01", "", 1200)], "2025-06"),
    "cancel_one_of_two": ([("A", "2025-01-01", "", 1000), ("A", "2025-01-01", "2025-03-01", 400)], "2025-04"),
    "upgrade": ([("A", "2025-01-01", "2025-03-01", 1000), ("A", "2025-03-01", "", 3000)], "2025-04"),
    "same_month_start_end": ([("A", "2025-02-03", "2025-02-20", 1000), ("B", "2025-01-01", "", 500)], "2025-04"),
    "annual": ([("A", "2025-01-01", "2026-01-01", 1_200_000, "year")], "2026-02"),
    "open_end": ([("A", "2024-01-01", "", 1000)], "2025-12"),
    "mid_month": ([("A", "2025-01-20", "2025-03-10", 1000)], "2025-05"),
    "zero_amount": ([("A", "2025-01-01", "", 0), ("B", "2025-01-01", "", 100)], "2025-02"),
    "empty_months": ([("A", "2025-01-01", "2025-02-01", 1000), ("A", "2025-06-01", "", 1000)], "2025-06"),
    "quarterly": ([("A", "2025-01-01", "", 90_000, "quarter")], "2025-12"),
    "exclusive_end": ([("A", "2025-01-01", "2025-03-01", 1000)], "2025-06"),
    "only_inside_a_month": ([("A", "2025-01-05", "2025-01-25", 1000), ("B", "2024-12-01", "", 10)], "2025-06"),
    "annual_not_divisible_by_12": ([(f"C{i}", "2025-01-01", "", 1_000_000, "year") for i in range(12)], "2025-03"),
    "fractions_of_a_unit": ([("A", "2025-01-01", "", 100.01, "year"), ("B", "2025-02-01", "2025-04-01", 0.05, "quarter"),
                             ("A", "2025-03-01", "", 0.01)], "2025-05"),
    "ttm_seed_003": ([("A", "2024-01-01", "2024-02-01", 100), ("B", "2024-01-01", "2024-02-01", 100),
                      ("C", "2024-01-01", "2024-02-01", 100), ("N", "2025-01-01", "2025-02-01", 999),
                      ("A", "2025-01-01", "2025-02-01", 150), ("B", "2025-01-01", "2025-02-01", 60)], None),
    "seed_000_nrr_102": ([("A", "2025-01-01", "2025-02-01", 6_000_000), ("A", "2025-02-01", "2025-03-01", 7_000_000),
                          ("B", "2025-01-01", "2025-02-01", 3_000_000), ("B", "2025-02-01", "2025-03-01", 2_700_000),
                          ("C", "2025-01-01", "2025-03-01", 500_000), ("D", "2025-01-01", "2025-02-01", 500_000),
                          ("N", "2025-02-01", "2025-03-01", 2_000_000)], None),
    "churn_in_last_month": ([("A", "2025-01-01", "2025-04-01", 1000), ("B", "2025-01-01", "", 5)], "2025-04"),
    "through_before_data_end": ([("A", "2025-01-01", "", 1000), ("B", "2025-03-01", "2025-09-01", 70)], "2025-05"),
}
COMMON_LAST = pd.Period("2026-06", freq="M")


def write_ledger(folder, rows, as_of: str) -> None:
    """``subscriptions.csv`` of ``rows`` (customer, start, end, amount[, period]) and a
    dataset.yml with the as-of date and the currency."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["customer_id,start_date,end_date,amount,billing_period"]
    lines += [f"{r[0]},{r[1]},{r[2]},{r[3]},{r[4] if len(r) > 4 else 'month'}" for r in rows]
    (folder / "subscriptions.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "dataset.yml").write_text(f"as_of: '{as_of}'\ncurrency: JPY\n", encoding="utf-8")


def shifted(date: str, months: int) -> str:
    """``date`` moved by whole months (the edge ledgers' days are all <= 28, so the day stays)."""
    return "" if not date else str((pd.Timestamp(date) + pd.DateOffset(months=months)).date())


def edge_ledgers_in_one_file(tmp_path) -> list[tuple]:
    """Every edge ledger in one file (one Spark round trip instead of one per ledger): each
    is moved by whole months so that its last month is :data:`COMMON_LAST`, and its customer
    ids are prefixed with its name, so ledgers never meet (every rule is per customer; the
    bridge sums them). A ledger without a last month ends at its latest month."""
    out: list[tuple] = []
    for name, (rows, last) in sorted(EDGE_LEDGERS.items()):
        write_ledger(tmp_path / name, rows, "2030-01-01")
        subs, _, _ = load_subscriptions(tmp_path / name / "subscriptions.csv")
        end = pd.Period(last, freq="M") if last else number_to_period(latest_month_number(subs))
        k = (COMMON_LAST - end).n
        out += [(f"{name}.{r[0]}", shifted(r[1], k), shifted(r[2], k), *r[3:]) for r in rows]
    return out


def test_edge_ledgers_facts_equal(spark, tmp_path, capsys):
    """All edge ledgers at once, to the last complete month before the as-of date
    (2026-07-01); every report month of the ledger; the same ``movements`` bytes."""
    folder = tmp_path / "edges"
    write_ledger(folder, edge_ledgers_in_one_file(tmp_path), str((COMMON_LAST + 1).start_time.date()))
    months = [None, "2025-12", "2026-01", "2026-05"]
    for embedded, on_spark in both_facts(spark, folder, months, LEDGER_CHAPTERS):
        assert_facts_equal(embedded, on_spark)
    argv = ["movements", str(folder / "subscriptions.csv")]
    assert main(argv) == 0
    embedded_out = capsys.readouterr().out
    assert main([*argv, "--engine", "spark"]) == 0
    assert capsys.readouterr().out == embedded_out


def test_metrics_tables_with_the_activation_chapter_are_the_same_bytes(spark, tmp_path, capsys):
    """``saas-kit metrics --tables OUT --activation`` on the sample: every file of the two
    engines byte for byte (the ledger tables and the activation chapter's)."""
    argv = ["metrics", str(SAMPLE), "--activation", "--activation-rule", "create_report>=1@7d"]
    assert main([*argv, "--tables", str(tmp_path / "embedded")]) == 0
    embedded_out = capsys.readouterr().out
    assert main([*argv, "--tables", str(tmp_path / "spark"), "--engine", "spark"]) == 0
    assert capsys.readouterr().out == embedded_out
    names = sorted(p.name for p in (tmp_path / "embedded").iterdir())
    assert "activation_search.csv" in names and "activation_funnel.csv" in names
    assert sorted(p.name for p in (tmp_path / "spark").iterdir()) == names
    for name in names:
        assert (tmp_path / "spark" / name).read_bytes() == (tmp_path / "embedded" / name).read_bytes(), name
    summary = (tmp_path / "spark" / "activation_summary.csv").read_text("utf-8")
    assert "parameters,activation_rule,create_report>=1@7d" in summary


@pytest.mark.parametrize("name", ["churn_in_last_month", "through_before_data_end"])
def test_single_edge_ledgers_with_through(spark, tmp_path, capsys, name):
    """Two ledgers alone, ``movements --through`` their own last month: the same bytes."""
    rows, last = EDGE_LEDGERS[name]
    write_ledger(tmp_path, rows, "2026-01-01")
    argv = ["movements", str(tmp_path / "subscriptions.csv"), "--through", last]
    assert main(argv) == 0
    embedded_out = capsys.readouterr().out
    assert main([*argv, "--engine", "spark"]) == 0
    assert capsys.readouterr().out == embedded_out


WARNINGS_LEDGER = {  # every warning of the loader at least once (and a total row, set aside)
    "subscriptions.csv": """customer_id,subscription_id,start_date,end_date,amount,billing_period,plan,currency,note
A,S1,2025-01-01,,1000,month,basic,JPY,x
 B ,S2,2025-01-01,9999-12-31,2000,month,basic,JPY,
7,S3,2025-02-01,,500,month,pro,JPY,
007,S4,2025-02-01,2025-02-01,500,month,pro,JPY,
合計,S5,2025-01-01,,3500,month,,JPY,
C,007,2025-01-01,,10.0001,month,basic,JPY,
D,7,2025-01-01,,0,month,basic,JPY,
A,S8,2025-03-01,,300,month,basic,JPY,
E,S9,2026-03-01,,100,month,basic,JPY,
42,S10,2025-01-01,,100,month,basic,JPY,
""",
    "customers.csv": "customer_id,name,segment,signup_date\nA,Alpha,SMB,2024-12-01\n B ,Beta,,2024-12-15\n"
                     "0042,Forty,Enterprise,2024-12-01\nZ,Zed,SMB,2024-11-01\n",
    "charges.csv": "customer_id,date,amount,kind,extra\nA,2025-02-10,5000,setup,1\nQ,2025-03-10,100,consulting,2\n"
                   "A,2026-03-01,100,setup,3\n",
    "company.csv": "month,employees,sales_marketing_spend\n2025-01,10,1000\n2026-02,11,1100\n",
    "dataset.yml": "as_of: '2026-01-15'\ncurrency: JPY\n",
}


def test_warnings_ledger_facts_equal(spark, tmp_path):
    """A folder with every warning of the loader: the same warnings (kind, file, rows,
    column, message fields) in the same order, and the same facts otherwise."""
    for name, text in WARNINGS_LEDGER.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    ((embedded, on_spark),) = both_facts(spark, tmp_path, [None], LEDGER_CHAPTERS)
    assert len(embedded.data.warnings) == 18
    assert_facts_equal(embedded, on_spark)


# ----------------------------------------------------------------------------- random ledgers

MONTH_STARTS = [dt.date(2024, m, d) for m in range(1, 13) for d in (1, 15)]
subscription = st.tuples(
    st.sampled_from(["A", "B", "C", "D", "E", "F"]),
    st.sampled_from(MONTH_STARTS),
    st.one_of(st.none(), st.integers(min_value=0, max_value=14)),
    st.one_of(st.integers(min_value=0, max_value=200_000),
              st.decimals(min_value=0, max_value=5000, places=2, allow_nan=False)),
    st.sampled_from(["month", "month", "quarter", "year"]),
)


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(subscription, min_size=1, max_size=14),
       as_of=st.sampled_from(["2025-01-01", "2025-04-01", "2026-02-01"]))
def test_random_ledgers_facts_equal(spark, tmp_path_factory, rows, as_of):
    recs = []
    for customer, start, length, amount, period in rows:
        end = ""
        if length is not None:
            y, m = divmod(start.month - 1 + length, 12)
            end = dt.date(start.year + y, m + 1, start.day).isoformat()
        recs.append((customer, start.isoformat(), end, amount, period))
    folder = tmp_path_factory.mktemp("random")
    write_ledger(folder, recs, as_of)
    try:
        load_dataset(folder)
    except DataError:  # nothing active at any month end: both engines refuse alike (test_as_of)
        assume(False)
    for embedded, on_spark in both_facts(spark, folder, [None], LEDGER_CHAPTERS):
        assert_facts_equal(embedded, on_spark)


# ----------------------------------------------------------------------------- the as-of date (metrics.md §2)

LAST_CHURN = "customer_id,start_date,end_date,amount,currency\nA,2024-01-01,,10,USD\nB,2024-01-01,2024-03-01,100,USD\n"
FUTURE_STARTS = ("customer_id,start_date,amount,currency\nA,2024-01-01,10,USD\nB,2024-02-20,50,USD\n"
                 "C,2024-03-01,70,USD\n")
AS_OF_CASES = {  # the ledgers of test_as_of: (subscriptions, dataset.yml, --as-of, last complete month)
    # B's last active day is 2024-02-29: its churn belongs to March, complete at 2024-04-01 (no row mentions March)
    "final_churn_shown": (LAST_CHURN, None, "2024-04-01", "2024-03"),
    "unfinished_month_not_shown": (LAST_CHURN, None, "2024-03-15", "2024-02"),
    # starts on 2024-02-20 and 2024-03-01 are after the as-of date 2024-02-10: not MRR
    "future_starts_not_counted": (FUTURE_STARTS, None, "2024-02-10", "2024-01"),
    "dataset_yml_gives_as_of_and_currency": (LAST_CHURN.replace(",currency", "").replace(",USD", ""),
                                             "as_of: 2024-04-01\ncurrency: USD\n", None, "2024-03"),
    "argument_beats_dataset_yml": (LAST_CHURN, "as_of: 2024-04-01\n", "2024-03-15", "2024-02"),
}


@pytest.mark.parametrize("case", sorted(AS_OF_CASES))
def test_as_of_cases_equal(spark, tmp_path, capsys, case):
    """Both engines report the same months of the same ledger: the last complete month
    before the as-of date (argument, else dataset.yml), the final churn in it, no start
    after the as-of date; the same error for a month not yet complete; the same bytes of
    ``saas-kit movements`` and ``saas-kit metrics``."""
    text, meta, as_of, last = AS_OF_CASES[case]
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "subscriptions.csv").write_text(text, encoding="utf-8")
    if meta is not None:
        (folder / "dataset.yml").write_text(meta, encoding="utf-8")
    ds = load_dataset(folder, as_of=as_of)
    data = load_spark_data(spark, str(folder), as_of=as_of)
    try:
        assert data.latest_month == ds.latest_month == pd.Period(last, freq="M")
        assert (data.first_month, data.as_of, data.currency) == (ds.first_month, ds.as_of, ds.currency)
        pd.testing.assert_frame_equal(ledger.to_pandas(data.customer_mrr), ds.customer_mrr, check_exact=True)
        assert_facts_equal(embedded_facts(ds, ds.latest_month, LEDGER_CHAPTERS),
                           spark_facts(data, ds.latest_month, LEDGER_CHAPTERS))
        with pytest.raises(ParameterError) as embedded:
            ds.check_month(ds.latest_month + 1)
        with pytest.raises(ParameterError) as on_spark:
            data.check_month(ds.latest_month + 1)
        assert str(on_spark.value) == str(embedded.value)
    finally:
        data.unpersist()
    given = ["--as-of", as_of] if as_of else []
    commands = [["movements", str(folder / "subscriptions.csv"), *given]]
    if case == "future_starts_not_counted":  # as test_as_of: the data folder given to movements
        commands.append(["movements", str(folder), *given])
    if case in ("final_churn_shown", "dataset_yml_gives_as_of_and_currency"):
        commands.append(["metrics", str(folder), "--format", "csv", *given])
    for argv in commands:
        assert main(argv) == 0
        embedded_out = capsys.readouterr().out
        assert main([*argv, "--engine", "spark"]) == 0
        assert capsys.readouterr().out == embedded_out, argv


def test_catalog_tables_give_the_ledger_facts_of_the_files(spark):
    """``spark-table:<schema>``: the sample's files registered as tables of Spark's catalog
    (global temporary views here; Unity Catalog or a Hive metastore on a cluster) give the
    same ledger facts as the files; the data facts name the tables."""
    kinds = ("subscriptions", "customers", "charges", "company")
    for kind in kinds:
        spark.read.options(header="true").csv(str(SAMPLE / f"{kind}.csv")).createOrReplaceGlobalTempView(kind)
    try:
        ds = load_dataset(SAMPLE)
        data = load_spark_data(spark, "spark-table:global_temp", as_of=ds.as_of, currency=ds.currency)
        try:
            embedded = embedded_facts(ds, ds.latest_month, LEDGER_CHAPTERS)
            on_spark = spark_facts(data, ds.latest_month, LEDGER_CHAPTERS)
        finally:
            data.unpersist()
        for name in embedded.ledger.__dataclass_fields__:
            if name != "segments":
                equal(getattr(embedded.ledger, name), getattr(on_spark.ledger, name), f"ledger.{name}")
        equal(embedded.ledger.segments["segment"].bridge, on_spark.ledger.segments["segment"].bridge, "segment bridge")
        assert on_spark.data.folder == "global_temp"
        assert list(on_spark.data.files["file"]) == [f"global_temp.{kind}" for kind in kinds]
        assert list(on_spark.data.files["rows"]) == list(embedded.data.files["rows"].drop(3))  # no events table
    finally:
        for kind in kinds:
            spark.catalog.dropGlobalTempView(kind)
