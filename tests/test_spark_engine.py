"""The Spark engine equals the embedded engine to the tick (issue 12).

One SparkSession (local mode) serves the whole test run: ``spark_session()`` returns
the JVM's session after the first call. Equality is exact: ``assert_frame_equal`` with
``check_exact`` on every frame (same columns, dtypes, order and values) and the same
bytes of ``saas-kit movements`` CSV. Ledgers: the bundled sample, a generated
100,000-customer company, the edge ledgers of test_movements / test_mrr / test_rates,
and small random ledgers (hypothesis).
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

from saas_kit.cohorts import cohort_long, cohort_table  # noqa: E402
from saas_kit.commands import write_movements_csv  # noqa: E402
from saas_kit.kpis import onboarding_scope  # noqa: E402
from saas_kit.activation import (activation_rate_by_cohort, customer_outcomes, evaluate_rule,  # noqa: E402
                                 magic_moment_search, onboarding_funnel)
from saas_kit.loading import load_dataset, load_subscriptions  # noqa: E402
from saas_kit.movements import customer_movements, mrr_movements  # noqa: E402
from saas_kit.mrr import monthly_mrr, period_to_number  # noqa: E402
from saas_kit.rates import monthly_rates, segment_rates, trailing_retention  # noqa: E402
from saas_kit.spark import bridge as sb, ledger, retention as sr  # noqa: E402
from saas_kit.spark.analysis import month_analysis  # noqa: E402
from saas_kit.spark.data import load_spark_data, load_subscriptions_file  # noqa: E402
from saas_kit.spark.session import spark_session  # noqa: E402

SAMPLE = ROOT / "data" / "sample"


def equal(left: pd.DataFrame, right: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(left, right, check_exact=True)


@pytest.fixture(scope="session")
def spark():
    return spark_session("local[2]")


def movements_csv(bridge: pd.DataFrame) -> str:
    out = io.StringIO()
    write_movements_csv(bridge, out)
    return out.getvalue()


def assert_ledger_agrees(spark, path, last: str | None = None) -> None:
    """Every customer-month stage of both engines on one subscriptions file."""
    subs, _, _ = load_subscriptions(path)
    cm_e = monthly_mrr(subs, last)
    cm_s, span = load_subscriptions_file(spark, str(path), through=last)
    if span is None:
        assert cm_e.empty
        return
    try:
        equal(ledger.to_pandas(cm_s), cm_e)
        bridge_e = mrr_movements(cm_e, last_month=last)
        bridge_s = sb.mrr_movements(cm_s, last_month=last, span=span)
        equal(bridge_s, bridge_e)
        assert movements_csv(bridge_s) == movements_csv(bridge_e)
        equal(monthly_rates(bridge_s), monthly_rates(bridge_e))
        hi = period_to_number(last) if last else span[1]
        equal(sb.top_movers(sb.customer_movements(cm_s, hi), None, 3),
              sb.top_movers_pandas(customer_movements(cm_e, last), None, 3))
        equal(sr.trailing_retention(cm_s, 12, span=span), trailing_retention(cm_e))
        equal(sr.trailing_retention(cm_s, 2, span=span), trailing_retention(cm_e, months=2))
        long_s = sr.cohort_long(cm_s, 24, span=span)
        equal(long_s, cohort_long(cm_e, 24))
        for kind in ("logo", "revenue"):
            equal(sr.cohort_table(long_s, cm_e["month"].max(), kind), cohort_table(cm_e, kind))
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
def company_100k(tmp_path_factory):
    """A generated company of 100,000 customers (about 1.6M customer-months; ~10 s to write)."""
    out = tmp_path_factory.mktemp("spark100k")
    subprocess.run([sys.executable, "-m", "saas_kit.cli", "generate", "--customers", "100000", "--out", str(out)],
                   check=True, capture_output=True)
    return out


def test_generated_100k_company_equal(spark, company_100k):
    assert_dataset_agrees(spark, company_100k, activation=False)


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


def edge_groups() -> dict[str, list[tuple]]:
    """The edge ledgers by last month, each customer id prefixed with its ledger's name:
    ledgers with the same last month share one file (one Spark round trip), and their
    customers never meet (every rule is per customer; the bridge sums them)."""
    groups: dict[str, list[tuple]] = {}
    for name, (rows, last) in sorted(EDGE_LEDGERS.items()):
        groups.setdefault(last or "latest", []).extend((f"{name}.{r[0]}", *r[1:]) for r in rows)
    return groups


@pytest.mark.parametrize("last", sorted(edge_groups()))
def test_edge_ledgers_equal(spark, tmp_path, last):
    path = tmp_path / "subscriptions.csv"
    write_ledger(path, edge_groups()[last])
    assert_ledger_agrees(spark, path, None if last == "latest" else last)


@pytest.mark.parametrize("name", ["gap_then_return", "churn_in_last_month", "ttm_seed_003"])
def test_single_edge_ledgers_equal(spark, tmp_path, name):
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


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
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
