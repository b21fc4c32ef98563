"""One validated dataset on Spark: the Spark engine's counterpart of :func:`saas_kit.loading.load_dataset`.

The inputs are read and validated (:mod:`saas_kit.spark.validation`, one pass each,
persisted), the customer-month MRR is computed (:mod:`saas_kit.spark.ledger`) and
persisted, hash-partitioned by customer and sorted by customer and month, so that the
movements, the twelve-month retention and the cohorts read it without another shuffle.

**Months and the as-of date** (metrics.md §2), exactly as :func:`saas_kit.loading.load_dataset`:
the as-of date is the ``as_of`` argument, else ``as_of`` of the location's ``dataset.yml``
(:mod:`saas_kit.metadata`; read with Spark, so on any path Spark reads; a catalog location
``spark-table:`` has none), else today. Month M is complete when ``last_day(M) < as_of``;
the last reported month is the last complete month (:func:`saas_kit.metadata.last_complete_month`)
even when no row mentions it, so a churn in it shows; subscriptions starting after the
as-of date never count, and charges and events dated after it are set aside.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import pandas as pd

from saas_kit.errors import DataError, ParameterError
from saas_kit.loading import currency_parameter, find_file
from saas_kit.loading.schema import CURRENCY_HINT
from saas_kit.loading.dataset import check_report_month
from saas_kit.metadata import (METADATA_FILE, last_complete_month, parse_as_of, parse_metadata, read_metadata,
                               today)
from saas_kit.mrr import number_to_period, period_to_number
import saas_kit.spark.ledger as ledger
import saas_kit.spark.validation as validation
from saas_kit.spark.activation import micros
from saas_kit.spark.reading import is_table_location, open_file, open_kind

#: The optional inputs, in the embedded loader's order.
OPTIONAL_KINDS = ("customers", "charges", "events", "company")


@dataclass
class SparkData:
    """Validated inputs as Spark DataFrames and the customer-month MRR (persisted)."""

    location: str
    currency: str
    customer_mrr: object             # customer_id, month, mrr_ticks[, attributes]
    first_month_number: int
    #: the last complete month before the as-of date (the last month reported)
    last_month_number: int
    subscriptions: object | None = None
    customers: object | None = None
    events: object | None = None
    charges: object | None = None
    #: company.csv as the embedded loader returns it (small: read on the driver), or None
    company: pd.DataFrame | None = None
    company_name: str = ""
    as_of: pd.Timestamp | None = None
    attributes: tuple[str, ...] = field(default_factory=tuple)
    #: the latest month with MRR (<= last_month_number; earlier when everyone churned before it)
    mrr_last_month_number: int | None = None
    #: kind -> :class:`saas_kit.spark.validation.Validated` (typed rows, origin, warning bits)
    inputs: dict = field(default_factory=dict)
    #: the location's dataset.yml keys ({} without one)
    metadata: dict = field(default_factory=dict)
    #: company.csv's warnings (months after the last complete month), found when it was read
    company_warnings: list = field(default_factory=list)
    _warnings: list | None = None

    @property
    def warnings(self) -> list:
        """The loader's warnings (:class:`saas_kit.errors.DataWarning`), as the embedded
        loader gives them, found in Spark on first use (:mod:`saas_kit.spark.warnings`)."""
        if self._warnings is None:
            from saas_kit.spark.warnings import dataset_warnings

            self._warnings = dataset_warnings(self)
        return self._warnings

    @property
    def span(self) -> tuple[int, int]:
        return self.first_month_number, self.last_month_number

    @property
    def mrr_span(self) -> tuple[int, int]:
        """(first, latest) month with MRR: the months of the twelve-month retention and the
        cohorts, which the embedded engine computes up to the latest month with MRR."""
        last = self.last_month_number if self.mrr_last_month_number is None else self.mrr_last_month_number
        return self.first_month_number, last

    @property
    def first_month(self) -> pd.Period:
        return number_to_period(self.first_month_number)

    @property
    def latest_month(self) -> pd.Period:
        return number_to_period(self.last_month_number)

    def check_month(self, month) -> pd.Period:
        """A report month inside the data (None or "" = the latest), as ``Dataset.check_month``."""
        return check_report_month(month, self.first_month, self.latest_month, self.as_of)

    def unpersist(self) -> None:
        """Release the persisted frames (the customer-months and the validated inputs)."""
        self.customer_mrr.unpersist()
        for validated in self.inputs.values():
            validated.unpersist()
        if self.events is not None:
            self.events.unpersist()


def read_location_metadata(spark, location: str) -> dict:
    """The keys of ``dataset.yml`` at ``location`` (:func:`saas_kit.metadata.parse_metadata`),
    read with Spark so that any path Spark reads works; ``{}`` without one (and for a
    ``spark-table:`` catalog location)."""
    location = str(location)
    if is_table_location(location):
        return {}
    if "://" not in location and Path(location).is_dir():  # a local folder: no Spark job needed
        return read_metadata(location)
    path = f"{location.rstrip('/')}/{METADATA_FILE}"
    try:
        rows = spark.read.text(path, wholetext=True).collect()
    except Exception as exc:  # noqa: BLE001 - PySpark raises AnalysisException (classic) or its Connect twin
        if "PATH_NOT_FOUND" in str(exc) or "does not exist" in str(exc):
            return {}
        raise DataError(f"cannot read the metadata file ({type(exc).__name__})", file=path) from None
    return parse_metadata(rows[0][0], path) if rows else {}


def as_of_and_currency(spark, location: str, as_of, currency) -> tuple[pd.Timestamp, str | None, dict]:
    """(as-of date, currency or None, metadata) as :func:`saas_kit.loading.load_dataset` takes
    them: the arguments win, then the location's ``dataset.yml``, then today (for the date)."""
    metadata = read_location_metadata(spark, location)
    as_of_ts = parse_as_of(as_of) or metadata.get("as_of") or today()
    return as_of_ts, currency_parameter(currency) or metadata.get("currency"), metadata


def started_by(subscriptions, as_of: pd.Timestamp | None):
    """Subscriptions that start on or before the as-of date (nothing dated after it counts)."""
    from pyspark.sql import functions as F

    if as_of is None:
        return subscriptions
    return subscriptions.where(F.col("start_micros") < micros(as_of + pd.Timedelta(days=1)))


def load_spark_data(spark, location: str, mapping: Mapping[str, str] | None = None, currency: str | None = None,
                    as_of=None, with_activation: bool = True, attributes: tuple[str, ...] = ("segment",),
                    require_currency: bool = True) -> SparkData:
    """Read, validate and compute the customer-month MRR of a data location (a folder on
    any path Spark reads, or ``spark-table:catalog.schema``). ``customers``, ``charges``,
    ``events`` and ``company`` are optional, as in the embedded loader. ``attributes``:
    the customer columns attached to every customer-month (those customers.csv has;
    "(unknown)" for a customer it lacks), for the bridges by segment. ``require_currency``:
    a DataError when no currency is known (as the embedded loader; metrics.md §8)."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    as_of_ts, currency, metadata = as_of_and_currency(spark, location, as_of, currency)
    through = last_complete_month(as_of_ts)
    after = micros(as_of_ts + pd.Timedelta(days=1))
    subs_src = open_kind(spark, location, "subscriptions", mapping, required=True)
    inputs = {"subscriptions": validation.validate_subscriptions(subs_src, currency)}
    code = inputs["subscriptions"].currency
    sources = {kind: open_kind(spark, location, kind, mapping) for kind in OPTIONAL_KINDS
               if kind != "events" or with_activation}
    if sources.get("customers") is not None:
        inputs["customers"] = validation.validate_customers(sources["customers"], attributes)
    if sources.get("charges") is not None:
        inputs["charges"] = validation.validate_charges(sources["charges"], code)
    events = None
    if sources.get("events") is not None:
        inputs["events"] = validation.validate_events(sources["events"])
        # events dated after the as-of date are set aside (as load_dataset does)
        events = inputs["events"].frame.where(F.col("ts_micros") < after).persist(StorageLevel.MEMORY_AND_DISK)
    company, company_name, company_warnings = None, "", []
    if sources.get("company") is not None:
        company_name = sources["company"].name
        company, company_warnings = _company_frame(spark, location, sources["company"], as_of_ts)
    customers = inputs["customers"].frame if "customers" in inputs else None
    charges = inputs["charges"].frame.where(F.col("date_micros") < after) if "charges" in inputs else None
    attached = tuple(a for a in attributes if customers is not None and a in customers.columns)
    subs = inputs["subscriptions"].frame
    last = period_to_number(through)
    cm = ledger.customer_mrr(started_by(subs, as_of_ts), last, customers, attached,
                             ledger.partitions_for(spark, inputs["subscriptions"].counts[1]))
    cm = cm.persist(StorageLevel.MEMORY_AND_DISK)
    row = cm.agg(F.min("month").alias("lo"), F.max("month").alias("hi")).collect()[0]
    if row["lo"] is None:
        cm.unpersist()
        raise DataError(f"no subscription is active at any month end up to {through}, the last complete month "
                        f"before the as-of date {as_of_ts.date()}: nothing to report", file=subs_src.name)
    if require_currency and not code:
        cm.unpersist()
        raise DataError(f"the data has no currency: {CURRENCY_HINT}", file=subs_src.name)
    data = SparkData(location=str(location), currency=code, customer_mrr=cm, first_month_number=int(row["lo"]),
                     last_month_number=last, mrr_last_month_number=int(row["hi"]), subscriptions=subs,
                     customers=customers, events=events, charges=charges, company=company, company_name=company_name,
                     company_warnings=company_warnings, as_of=as_of_ts,
                     attributes=attached, inputs=inputs, metadata=metadata)
    return data


def _company_frame(spark, location: str, source, as_of: pd.Timestamp) -> tuple[pd.DataFrame, list]:
    """company.csv (one row per month: small) validated on the driver by the embedded
    validator, months after the last complete month left out (as load_dataset does),
    and the warning naming them."""
    from saas_kit.loading.validate import validate_company
    from saas_kit.spark.warnings import company_warnings, parquet_beside_csv, unused_columns

    rows = source.frame.select(*[f"`{c}`" for c in source.columns]).orderBy(*[o for o in (
        "_src_file", "_src_row" if source.fmt == "parquet" else "_src_id")]).collect()
    raw = pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype=object) for c in source.columns})
    raw.insert(0, "_row", range(2, len(raw) + 2) if source.fmt == "csv" else range(1, len(raw) + 1))
    frame, _ = validate_company(raw, source.name)
    found = (parquet_beside_csv(spark, str(location), "company", source) + unused_columns("company", source)
             + company_warnings(source, frame, as_of))
    frame = frame[frame["month"] <= last_complete_month(as_of)].reset_index(drop=True)
    return frame.drop(columns="_row"), found


def load_subscriptions_file(spark, path: str, mapping: Mapping[str, str] | None = None, currency: str | None = None,
                            through=None, as_of=None):
    """(customer-month Spark frame, span or None) of one subscriptions file or table, with the
    months of ``saas-kit movements``: up to the last complete month before the as-of date
    (``as_of``, else the ``dataset.yml`` of the file's folder, else today), or to ``through``
    when given (a ParameterError when it is after that month). The span's last month is that
    month even when no row reaches it, so a churn in it shows."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    local = Path(str(path))
    if local.is_dir() and find_file(local, "subscriptions") is not None:  # a data folder, as the embedded command
        folder, path = str(local), str(find_file(local, "subscriptions"))
    else:
        folder = str(path).rstrip("/").rsplit("/", 1)[0] if "/" in str(path).rstrip("/") else "."
    as_of_ts, currency, _ = as_of_and_currency(spark, folder if not is_table_location(str(path)) else str(path),
                                               as_of, currency)
    last_complete = last_complete_month(as_of_ts)
    if through is not None and pd.Period(through, freq="M") > last_complete:
        raise ParameterError(f"--through {pd.Period(through, freq='M')} is after {last_complete}, the last complete "
                             "month before the as-of date (give a later --as-of if the export is newer)")
    last = period_to_number(through if through is not None else last_complete)
    src = open_file(spark, path, "subscriptions", mapping)
    validated = validation.validate_subscriptions(src, currency)
    cm = ledger.customer_mrr(started_by(validated.frame, as_of_ts), last,
                             partitions=ledger.partitions_for(spark, validated.counts[1]))
    cm = cm.persist(StorageLevel.MEMORY_AND_DISK)
    row = cm.agg(F.min("month").alias("lo")).collect()[0]
    validated.unpersist()
    return cm, (None if row["lo"] is None else (int(row["lo"]), last))
