"""Shared test helpers."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SAMPLE = ROOT / "data" / "sample"
sys.path.insert(0, str(Path(__file__).parent))
#: The sample's files besides its ledger, copied beside a ready MRR table.
SAMPLE_OPTIONAL = ("customers.csv", "charges.csv", "events.csv", "company.csv", "dataset.yml")


def ledger(rows) -> pd.DataFrame:
    """Canonical subscriptions frame from (customer, start, end or '', amount[, period[, plan]]) tuples."""
    recs = []
    for i, r in enumerate(rows):
        customer, start, end, amount = r[:4]
        period = r[4] if len(r) > 4 else "month"
        plan = r[5] if len(r) > 5 else "Standard"
        recs.append({"customer_id": customer, "subscription_id": f"S{i}", "start_date": pd.Timestamp(start),
                     "end_date": pd.Timestamp(end) if end else pd.NaT, "amount": float(amount),
                     "billing_period": period, "plan": plan, "currency": "JPY"})
    df = pd.DataFrame(recs)
    df["end_date"] = pd.to_datetime(df["end_date"])
    return df


def customer_months(rows) -> pd.DataFrame:
    """Customer-month MRR frame from (customer, 'YYYY-MM', mrr) tuples."""
    df = pd.DataFrame(rows, columns=["customer_id", "month", "mrr"])
    df["month"] = pd.PeriodIndex(df["month"], freq="M")
    df["mrr"] = df["mrr"].astype("float64")
    return df


def sample_as_mrr_table(folder: Path, fmt: str = "csv", optional=SAMPLE_OPTIONAL) -> Path:
    """The sample company with its ledger given as a ready MRR table: the embedded
    customer-month MRR of ``data/sample`` written as ``mrr.<fmt>`` (months as text
    ``YYYY-MM``), beside the sample's other files (``optional``)."""
    from saas_kit.loading import load_dataset

    folder.mkdir(parents=True, exist_ok=True)
    cm = load_dataset(SAMPLE).customer_mrr
    table = pd.DataFrame({"customer_id": cm["customer_id"], "month": cm["month"].astype(str), "mrr": cm["mrr"]})
    if fmt == "csv":
        table.to_csv(folder / "mrr.csv", index=False)
    else:
        table.to_parquet(folder / "mrr.parquet", index=False)
    for name in optional:
        shutil.copy(SAMPLE / name, folder / name)
    return folder


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.exists():
        pytest.skip("../shared is not beside the project")
    return SHARED


@pytest.fixture(scope="session")
def dataset():
    """The bundled sample company, loaded and validated once per test session."""
    from saas_kit.loading import load_dataset

    sample = ROOT / "data" / "sample"
    if not (sample / "subscriptions.csv").exists():
        pytest.skip("data/sample has not been generated (make sample)")
    return load_dataset(sample)


@pytest.fixture(scope="session")
def spark():
    """The one local SparkSession of the test run (tests/test_spark_*.py; those modules
    skip, or fail under SAAS_KIT_REQUIRE_SPARK=1, before asking for it without PySpark)."""
    from saas_kit.spark.session import spark_session

    return spark_session("local[2]")
