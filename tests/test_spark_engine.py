"""The Spark engine equals the embedded engine to the tick (issue 12).

One SparkSession (local mode) serves the whole test run: ``spark_session()`` returns
the JVM's session after the first call. Equality is exact: ``assert_frame_equal`` with
``check_exact`` on every frame (same columns, dtypes, order and values) and the same
bytes of ``saas-kit movements`` CSV. Ledgers: the bundled sample, a generated
20,000-customer company (about 320,000 customer-months: every stage at a size where
Spark partitions and shuffles for real, kept small so the file runs in minutes on a
shared 2-core machine; benchmarks/ measures the large sizes), the edge ledgers of
test_movements / test_mrr / test_rates grouped into few files, the as-of ledgers of
test_as_of (metrics.md §2), and small random ledgers (hypothesis).
"""
from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import ROOT
from saas_kit.spark.session import SparkUnavailable, require_spark

try:
    require_spark()
except SparkUnavailable as exc:  # pragma: no cover - CI installs PySpark and Java
    if os.environ.get("SAAS_KIT_REQUIRE_SPARK") == "1":
        raise
    pytest.skip(str(exc), allow_module_level=True)

import saas_kit.spark.bridge as sb  # noqa: E402
import saas_kit.spark.ledger as ledger  # noqa: E402
import saas_kit.spark.retention as sr  # noqa: E402
from saas_kit.activation import (activation_rate_by_cohort, customer_outcomes, evaluate_rule,  # noqa: E402
                                 magic_moment_search, onboarding_funnel, onboarding_scope)
from saas_kit.cli import main  # noqa: E402
from saas_kit.cohorts import cohort_long, cohort_matrix, cohort_table  # noqa: E402
from saas_kit.errors import ParameterError  # noqa: E402
from saas_kit.loading import load_dataset, load_subscriptions  # noqa: E402
from saas_kit.metadata import last_complete_month  # noqa: E402
from saas_kit.movements import customer_movements, mrr_movements, write_movements_csv  # noqa: E402
from saas_kit.mrr import latest_month_number, monthly_mrr, number_to_period, period_to_number  # noqa: E402
from saas_kit.rates import monthly_rates, segment_rates, trailing_retention  # noqa: E402
from saas_kit.spark.analysis import month_analysis  # noqa: E402
from saas_kit.spark.data import load_spark_data, load_subscriptions_file  # noqa: E402

SAMPLE = ROOT / "data" / "sample"


def equal(left: pd.DataFrame, right: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(left, right, check_exact=True)


def movements_csv(bridge: pd.DataFrame) -> str:
    out = io.StringIO()
    write_movements_csv(bridge, out)
    return out.getvalue()


def assert_ledger_agrees(spark, path, last: str | None = None, as_of: str | None = None) -> None:
    """Every customer-month stage of both engines on one subscriptions file, with the months
    of ``saas-kit movements``: to ``last`` if given, else to the last complete month before
    ``as_of`` (default: the first day after the ledger's latest month or ``last``, so that
    month is complete)."""
    subs, _, _ = load_subscriptions(path)
    if as_of is None:
        newest = max(number_to_period(latest_month_number(subs)), pd.Period(last or "1990-01", freq="M"))
        as_of = str((newest + 1).start_time.date())
    end = pd.Period(last, freq="M") if last else last_complete_month(pd.Timestamp(as_of))
    cm_e = monthly_mrr(subs, end)
    cm_s, span = load_subscriptions_file(spark, str(path), through=last, as_of=as_of)
    if span is None:
        assert cm_e.empty
        return
    try:
        assert span[1] == period_to_number(end)  # the last complete month, even without rows in it
        equal(ledger.to_pandas(cm_s), cm_e)
        bridge_e = mrr_movements(cm_e, last_month=end)
        bridge_s = sb.mrr_movements(cm_s, last_month=last, span=span)
        equal(bridge_s, bridge_e)
        assert movements_csv(bridge_s) == movements_csv(bridge_e)
        equal(monthly_rates(bridge_s), monthly_rates(bridge_e))
        equal(sb.top_movers(sb.customer_movements(cm_s, span[1]), None, 3),
              sb.top_movers_pandas(customer_movements(cm_e, end), None, 3))
        # twelve-month retention and cohorts run to the latest month with MRR, as embedded
        equal(sr.trailing_retention(cm_s, 12), trailing_retention(cm_e))
        equal(sr.trailing_retention(cm_s, 2), trailing_retention(cm_e, months=2))
        long_s = sr.cohort_long(cm_s, 24)
        equal(long_s, cohort_long(cm_e, 24))
        for kind in ("logo", "revenue"):
            equal(cohort_matrix(long_s, cm_e["month"].max(), kind), cohort_table(cm_e, kind))
    finally:
        cm_s.unpersist()


# ----------------------------------------------------------------------------- whole datasets


def assert_dataset_agrees(spark, directory, month=None, activation=True):
    ds = load_dataset(directory)
    data = load_spark_data(spark, str(directory))
    try:
        month = ds.check_month(month)
        assert data.check_month(None) == ds.latest_month and data.first_month == ds.first_month
        a = month_analysis(data, month, rule="invite_teammate>=3@14d" if activation else None,
                           funnel_steps=["create_project", "invite_teammate", "create_report"] if activation else None)
        cm = ds.customer_mrr
        equal(ledger.to_pandas(data.customer_mrr), cm)
        equal(a.bridge, mrr_movements(cm))
        assert movements_csv(a.bridge) == movements_csv(mrr_movements(cm))
        equal(a.rates, monthly_rates(mrr_movements(cm)))
        equal(a.ttm, trailing_retention(cm))
        equal(a.cohorts, cohort_long(cm, 24))
        equal(a.cohort_logo, cohort_table(cm, "logo"))
        equal(a.cohort_revenue, cohort_table(cm, "revenue"))
        from saas_kit.mrr import mrr_by_month
        pd.testing.assert_series_equal(a.mrr_by_month, mrr_by_month(cm), check_exact=True, check_freq=False)
        from saas_kit.movements import with_attribute
        seg = with_attribute(cm, ds.customers, "segment")
        by_e = mrr_movements(seg, by="segment")
        equal(a.bridge_by_segment, by_e)
        equal(a.ttm_by_segment, trailing_retention(seg, by="segment"))
        equal(a.segments, segment_rates(by_e, "segment", month))
        equal(a.top_movers.drop(columns="segment"), sb.top_movers_pandas(customer_movements(cm), month, 10))
        if activation:
            scope = onboarding_scope(ds, month)
            act = evaluate_rule(scope.events, scope.customers, "invite_teammate>=3@14d", as_of=scope.as_of)
            equal(a.activation["by_cohort"], activation_rate_by_cohort(act, scope.customers))
            outcomes = customer_outcomes(scope.customers, ds.subscriptions, scope.as_of)
            equal(a.activation["magic_moment"], magic_moment_search(scope.events, outcomes))
            steps = ["create_project", "invite_teammate", "create_report"]
            equal(a.activation["funnel"], onboarding_funnel(scope.events, scope.customers, steps))
            from saas_kit.spark import activation as sa
            from saas_kit.spark.analysis import onboarding_scope as spark_scope
            _, customers, events = spark_scope(data, month)
            equal(sa.onboarding_funnel(events, customers, steps, 30, ordered=True),
                  onboarding_funnel(scope.events, scope.customers, steps, 30, ordered=True))
    finally:
        data.unpersist()


def test_sample_company_every_stage_equal(spark):
    """(An earlier report month is covered by test_spark_inputs' metrics command test.)"""
    assert_dataset_agrees(spark, SAMPLE)


@pytest.fixture(scope="session")
def company_20k(tmp_path_factory):
    """A generated company of 20,000 customers (about 320,000 customer-months)."""
    out = tmp_path_factory.mktemp("spark20k")
    subprocess.run([sys.executable, "-m", "saas_kit.cli", "generate", "--customers", "20000", "--out", str(out)],
                   check=True, capture_output=True)
    return out


def test_generated_20k_company_equal(spark, company_20k):
    assert_dataset_agrees(spark, company_20k, activation=False)


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


def write_ledger(path, rows) -> None:
    lines = ["customer_id,start_date,end_date,amount,billing_period"]
    for r in rows:
        amount = r[3]
        lines.append(f"{r[0]},{r[1]},{r[2]},{amount},{r[4] if len(r) > 4 else 'month'}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


COMMON_LAST = pd.Period("2026-06", freq="M")


def shifted(date: str, months: int) -> str:
    """``date`` moved by whole months (the edge ledgers' days are all <= 28, so the day stays)."""
    return "" if not date else str((pd.Timestamp(date) + pd.DateOffset(months=months)).date())


def edge_ledgers_in_one_file() -> list[tuple]:
    """Every edge ledger in one file (one Spark round trip instead of one per ledger): each
    is moved by whole months so that its last month is :data:`COMMON_LAST`, and its customer
    ids are prefixed with its name, so ledgers never meet (every rule is per customer; the
    bridge sums them). A ledger without a last month ends at its latest month."""
    rows_out: list[tuple] = []
    for name, (rows, last) in sorted(EDGE_LEDGERS.items()):
        subs, _, _ = load_subscriptions_from_rows(rows)
        end = pd.Period(last, freq="M") if last else number_to_period(latest_month_number(subs))
        k = (COMMON_LAST - end).n
        rows_out += [(f"{name}.{r[0]}", shifted(r[1], k), shifted(r[2], k), *r[3:]) for r in rows]
    return rows_out


def load_subscriptions_from_rows(rows):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "subscriptions.csv"
        write_ledger(path, rows)
        return load_subscriptions(path)


def test_edge_ledgers_equal(spark, tmp_path):
    """All edge ledgers at once, to the last complete month before the as-of date (2026-07-01)."""
    path = tmp_path / "subscriptions.csv"
    write_ledger(path, edge_ledgers_in_one_file())
    assert_ledger_agrees(spark, path, None, as_of=str((COMMON_LAST + 1).start_time.date()))


@pytest.mark.parametrize("name", ["churn_in_last_month", "through_before_data_end"])
def test_single_edge_ledgers_equal(spark, tmp_path, name):
    """Two ledgers alone, with ``--through`` (the months end at their own last month)."""
    rows, last = EDGE_LEDGERS[name]
    path = tmp_path / "subscriptions.csv"
    write_ledger(path, rows)
    assert_ledger_agrees(spark, path, last)


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
@given(rows=st.lists(subscription, min_size=1, max_size=14), last=st.sampled_from([None, "2024-12", "2025-03"]))
def test_random_ledgers_equal(spark, tmp_path, rows, last):
    recs = []
    for customer, start, length, amount, period in rows:
        end = ""
        if length is not None:
            y, m = divmod(start.month - 1 + length, 12)
            end = dt.date(start.year + y, m + 1, start.day).isoformat()
        recs.append((customer, start.isoformat(), end, amount, period))
    path = tmp_path / "subscriptions.csv"
    write_ledger(path, recs)
    assert_ledger_agrees(spark, path, last)


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
        equal(ledger.to_pandas(data.customer_mrr), ds.customer_mrr)
        a = month_analysis(data, None, rule=None)
        cm = ds.customer_mrr
        equal(a.bridge, mrr_movements(cm))  # to the last complete month (the loader's default)
        equal(a.ttm, trailing_retention(cm))
        equal(a.cohort_logo, cohort_table(cm, "logo"))
        equal(a.top_movers, sb.top_movers_pandas(customer_movements(cm), ds.latest_month, 10))
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
