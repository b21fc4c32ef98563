"""One validated dataset on Spark: the Spark engine's counterpart of :func:`saas_kit.loading.load_dataset`.

The inputs are read and validated (:mod:`saas_kit.spark.validation`), the customer-month
MRR is computed (:mod:`saas_kit.spark.ledger`) and persisted (memory, spilling to disk),
so that the bridge, retention and cohorts reuse it instead of re-reading the ledger.

**Months and the as-of date** (metrics.md §2). With ``as_of`` (the moment the export
was taken) month M is complete when ``last_day(M) < as_of``: the last reported month is
``month(as_of) - 1``, subscriptions starting after ``as_of`` are dropped, and a churn on
the first day of the month after a customer's last active day is reported in that month
as soon as it is complete. Without ``as_of`` the months run, as in the embedded loader,
to the latest month of the data, at most the current month.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import pandas as pd

from saas_kit.errors import DataError, ParameterError
from saas_kit.loading import _current_month, parse_month_parameter
from saas_kit.mrr import number_to_period, period_to_number
from saas_kit.spark import ledger, validation
from saas_kit.spark.reading import open_file, open_kind


@dataclass
class SparkData:
    """Validated inputs as Spark DataFrames and the customer-month MRR (persisted)."""

    location: str
    currency: str
    customer_mrr: object             # customer_id, month, mrr_ticks[, segment]
    first_month_number: int
    last_month_number: int
    subscriptions: object | None = None
    customers: object | None = None
    events: object | None = None
    as_of: pd.Timestamp | None = None
    attributes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def span(self) -> tuple[int, int]:
        return self.first_month_number, self.last_month_number

    @property
    def first_month(self) -> pd.Period:
        return number_to_period(self.first_month_number)

    @property
    def latest_month(self) -> pd.Period:
        return number_to_period(self.last_month_number)

    def check_month(self, month) -> pd.Period:
        """A report month inside the data (None or "" = the latest), as ``Dataset.check_month``."""
        if month is None or (isinstance(month, str) and not month.strip()):
            return self.latest_month
        p = parse_month_parameter(month)
        if p < self.first_month or p > self.latest_month:
            raise ParameterError(
                f"report month {p} is outside the data, which covers {self.first_month} to {self.latest_month}")
        return p

    def unpersist(self) -> None:
        """Release the persisted frames (the customer-months and the validated inputs)."""
        for frame in (self.customer_mrr, self.subscriptions, self.customers, self.events):
            if frame is not None:
                frame.unpersist()


def last_month_for(subscriptions, as_of: pd.Timestamp | None, through=None, cap_at_today: bool = True) -> int | None:
    """The last month to compute: ``through`` if given; else ``month(as_of) - 1``; else
    the latest month of the data (at most the current month with ``cap_at_today``)."""
    if through is not None:
        return period_to_number(through)
    if as_of is not None:
        return period_to_number(pd.Period(as_of, freq="M")) - 1
    latest = ledger.latest_month(subscriptions)
    if latest is None:
        return None
    return min(latest, period_to_number(_current_month())) if cap_at_today else latest


def as_of_timestamp(as_of) -> pd.Timestamp | None:
    if as_of is None or (isinstance(as_of, str) and not as_of.strip()):
        return None
    try:
        ts = pd.Timestamp(as_of)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"as_of must be a date such as 2026-12-01, got {as_of!r}") from exc
    if ts is pd.NaT:
        raise ParameterError(f"as_of must be a date such as 2026-12-01, got {as_of!r}")
    return ts.tz_localize(None) if ts.tzinfo is not None else ts


def customer_mrr_from_subscriptions(subscriptions, last_month: int, as_of: pd.Timestamp | None):
    from pyspark.sql import functions as F

    if as_of is not None:  # nothing dated after the as-of date counts
        as_of_micros = (as_of - pd.Timestamp(0)) // pd.Timedelta(microseconds=1)
        subscriptions = subscriptions.where(F.col("start_micros") <= as_of_micros)
    return ledger.customer_mrr(subscriptions, last_month)


def load_spark_data(spark, location: str, mapping: Mapping[str, str] | None = None, currency: str | None = None,
                    as_of=None, with_activation: bool = True) -> SparkData:
    """Read, validate and compute the customer-month MRR of a data location (a folder on
    any path Spark reads, or ``spark-table:catalog.schema``). ``customers`` (segment
    attached to every customer-month, "(unknown)" when missing) and ``events`` are
    optional, as in the embedded loader."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    as_of_ts = as_of_timestamp(as_of)
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
            events = validation.validate_events(ev_src).persist(level)
    last = last_month_for(subs, as_of_ts)
    if last is None:
        raise DataError("no subscription is active at any month end: nothing to report", file=subs_src.name)
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
        raise DataError("no subscription is active at any month end up to the current month: nothing to report",
                        file=subs_src.name)
    return SparkData(location=str(location), currency=code, customer_mrr=cm, first_month_number=int(row["lo"]),
                     last_month_number=int(row["hi"]), subscriptions=subs, customers=customers, events=events,
                     as_of=as_of_ts, attributes=attributes)


def load_subscriptions_file(spark, path: str, mapping: Mapping[str, str] | None = None, currency: str | None = None,
                            through=None, as_of=None):
    """(customer-month Spark frame, span or None) of one subscriptions file or table, with the
    months of ``saas-kit movements`` (to ``through``, else the latest month of the file)."""
    from pyspark.sql import functions as F

    src = open_file(spark, path, "subscriptions", mapping)
    subs, _ = validation.validate_subscriptions(src, currency)
    as_of_ts = as_of_timestamp(as_of)
    last = last_month_for(subs, as_of_ts, through, cap_at_today=False)
    if last is None:
        return None, None
    cm = customer_mrr_from_subscriptions(subs, last, as_of_ts).cache()
    row = cm.agg(F.min("month").alias("lo"), F.max("month").alias("hi")).collect()[0]
    return cm, (None if row["lo"] is None else (int(row["lo"]), int(row["hi"])))
