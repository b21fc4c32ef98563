"""One validated dataset on Spark: the Spark engine's counterpart of :func:`saas_kit.loading.load_dataset`.

The inputs are read and validated (:mod:`saas_kit.spark.validation`), the customer-month
MRR is computed (:mod:`saas_kit.spark.ledger`) and persisted (memory, spilling to disk),
so that the bridge, retention and cohorts reuse it instead of re-reading the ledger.

**Months and the as-of date** (metrics.md §2), exactly as :func:`saas_kit.loading.load_dataset`:
the as-of date is the ``as_of`` argument, else ``as_of`` of the location's ``dataset.yml``
(:mod:`saas_kit.metadata`; read with Spark, so on any path Spark reads; a catalog location
``spark-table:`` has none), else today. Month M is complete when ``last_day(M) < as_of``;
the last reported month is the last complete month (:func:`saas_kit.metadata.last_complete_month`)
even when no row mentions it, so a churn in it shows; subscriptions starting after the
as-of date never count, and events dated after it are set aside.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import pandas as pd

from saas_kit.errors import DataError, ParameterError
from saas_kit.loading import currency_parameter, find_file
from saas_kit.loading.dataset import check_report_month
from saas_kit.metadata import METADATA_FILE, last_complete_month, parse_as_of, parse_metadata, today
from saas_kit.mrr import number_to_period, period_to_number
import saas_kit.spark.ledger as ledger
import saas_kit.spark.validation as validation
from saas_kit.spark.activation import micros
from saas_kit.spark.reading import is_table_location, open_file, open_kind


@dataclass
class SparkData:
    """Validated inputs as Spark DataFrames and the customer-month MRR (persisted)."""

    location: str
    currency: str
    customer_mrr: object             # customer_id, month, mrr_ticks[, segment]
    first_month_number: int
    #: the last complete month before the as-of date (the last month reported)
    last_month_number: int
    subscriptions: object | None = None
    customers: object | None = None
    events: object | None = None
    as_of: pd.Timestamp | None = None
    attributes: tuple[str, ...] = field(default_factory=tuple)
    #: the latest month with MRR (<= last_month_number; earlier when everyone churned before it)
    mrr_last_month_number: int | None = None

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
        for frame in (self.customer_mrr, self.subscriptions, self.customers, self.events):
            if frame is not None:
                frame.unpersist()


def read_location_metadata(spark, location: str) -> dict:
    """The keys of ``dataset.yml`` at ``location`` (:func:`saas_kit.metadata.parse_metadata`),
    read with Spark so that any path Spark reads works; ``{}`` without one (and for a
    ``spark-table:`` catalog location)."""
    location = str(location)
    if is_table_location(location):
        return {}
    path = f"{location.rstrip('/')}/{METADATA_FILE}"
    try:
        rows = spark.read.text(path, wholetext=True).collect()
    except Exception as exc:  # noqa: BLE001 - PySpark raises AnalysisException (classic) or its Connect twin
        if "PATH_NOT_FOUND" in str(exc) or "does not exist" in str(exc):
            return {}
        raise DataError(f"cannot read the metadata file ({type(exc).__name__})", file=path) from None
    return parse_metadata(rows[0][0], path) if rows else {}


def as_of_and_currency(spark, location: str, as_of, currency) -> tuple[pd.Timestamp, str | None]:
    """(as-of date, currency or None) as :func:`saas_kit.loading.load_dataset` takes them:
    the arguments win, then the location's ``dataset.yml``, then today (for the date)."""
    metadata = read_location_metadata(spark, location)
    as_of_ts = parse_as_of(as_of) or metadata.get("as_of") or today()
    return as_of_ts, currency_parameter(currency) or metadata.get("currency")


def customer_mrr_from_subscriptions(subscriptions, last_month: int, as_of: pd.Timestamp | None):
    from pyspark.sql import functions as F

    if as_of is not None:  # nothing dated after the as-of date counts
        subscriptions = subscriptions.where(F.col("start_micros") < micros(as_of + pd.Timedelta(days=1)))
    return ledger.customer_mrr(subscriptions, last_month)


def load_spark_data(spark, location: str, mapping: Mapping[str, str] | None = None, currency: str | None = None,
                    as_of=None, with_activation: bool = True) -> SparkData:
    """Read, validate and compute the customer-month MRR of a data location (a folder on
    any path Spark reads, or ``spark-table:catalog.schema``). ``customers`` (segment
    attached to every customer-month, "(unknown)" when missing) and ``events`` are
    optional, as in the embedded loader."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    as_of_ts, currency = as_of_and_currency(spark, location, as_of, currency)
    through = last_complete_month(as_of_ts)
    subs_src = open_kind(spark, location, "subscriptions", mapping, required=True)
    # The validated inputs are persisted (memory, spilling to disk): every later stage
    # reads them instead of parsing the files again.
    level = StorageLevel.MEMORY_AND_DISK
    subs, code = validation.validate_subscriptions(subs_src, currency)
    subs = subs.persist(level)
    customers = events = None
    cust_src = open_kind(spark, location, "customers", mapping)
    if cust_src is not None:
        customers = validation.validate_customers(cust_src).persist(level)
    if with_activation:
        ev_src = open_kind(spark, location, "events", mapping)
        if ev_src is not None:
            events = validation.validate_events(ev_src)
            # events dated after the as-of date are set aside (as load_dataset does)
            after = micros(as_of_ts + pd.Timedelta(days=1))
            events = events.where(F.col("ts_micros") < after).persist(level)
    last = period_to_number(through)
    cm = customer_mrr_from_subscriptions(subs, last, as_of_ts)
    attributes: tuple[str, ...] = ()
    if customers is not None and "segment" in customers.columns:
        seg = customers.select("customer_id", "segment")
        cm = cm.join(seg, "customer_id", "left").withColumn("segment", F.coalesce("segment", F.lit("(unknown)")))
        attributes = ("segment",)
    cm = cm.persist(level)
    row = cm.agg(F.min("month").alias("lo"), F.max("month").alias("hi")).collect()[0]
    if row["lo"] is None:
        cm.unpersist()
        raise DataError(f"no subscription is active at any month end up to {through}, the last complete month "
                        f"before the as-of date {as_of_ts.date()}: nothing to report", file=subs_src.name)
    return SparkData(location=str(location), currency=code, customer_mrr=cm, first_month_number=int(row["lo"]),
                     last_month_number=last, mrr_last_month_number=int(row["hi"]), subscriptions=subs, customers=customers, events=events,
                     as_of=as_of_ts, attributes=attributes)


def load_subscriptions_file(spark, path: str, mapping: Mapping[str, str] | None = None, currency: str | None = None,
                            through=None, as_of=None):
    """(customer-month Spark frame, span or None) of one subscriptions file or table, with the
    months of ``saas-kit movements``: up to the last complete month before the as-of date
    (``as_of``, else the ``dataset.yml`` of the file's folder, else today), or to ``through``
    when given (a ParameterError when it is after that month). The span's last month is that
    month even when no row reaches it, so a churn in it shows."""
    from pyspark.sql import functions as F

    local = Path(str(path))
    if local.is_dir() and find_file(local, "subscriptions") is not None:  # a data folder, as the embedded command
        folder, path = str(local), str(find_file(local, "subscriptions"))
    else:
        folder = str(path).rstrip("/").rsplit("/", 1)[0] if "/" in str(path).rstrip("/") else "."
    as_of_ts, currency = as_of_and_currency(spark, folder if not is_table_location(str(path)) else str(path),
                                            as_of, currency)
    last_complete = last_complete_month(as_of_ts)
    if through is not None and pd.Period(through, freq="M") > last_complete:
        raise ParameterError(f"--through {pd.Period(through, freq='M')} is after {last_complete}, the last complete "
                             "month before the as-of date (give a later --as-of if the export is newer)")
    last = period_to_number(through if through is not None else last_complete)
    src = open_file(spark, path, "subscriptions", mapping)
    subs, _ = validation.validate_subscriptions(src, currency)
    cm = customer_mrr_from_subscriptions(subs, last, as_of_ts).cache()
    row = cm.agg(F.min("month").alias("lo")).collect()[0]
    return cm, (None if row["lo"] is None else (int(row["lo"]), last))
