"""One validated dataset on Spark: the Spark engine's counterpart of :func:`saas_kit.loading.load_dataset`.

The inputs are read and validated (:mod:`saas_kit.spark.validation`, one pass each,
persisted), the customer-month MRR is computed (:mod:`saas_kit.spark.ledger`) and
persisted, hash-partitioned by customer and sorted by customer and month, so that the
movements, the twelve-month retention and the cohorts read it without another shuffle.

**The ledger** is ``subscriptions`` (``.csv``, ``.parquet``, a folder of Parquet parts or
a catalog table) or, when there are none, a ready monthly MRR table ``mrr`` (columns
``customer_id``, ``month``, ``mrr``, optional ``currency``; what ``saas-kit import`` writes
for invoice lines and MRR spreadsheets, metrics.md §1, §8), as in the embedded loader:
validated with its rules and words, its customer-months summed in exact BIGINT ticks
(:mod:`saas_kit.spark.mrr_table`); ``SparkData.subscriptions`` is then None, and so are
the facts' billing periods and the movers' plans. With both present, the MRR table is
ignored with the embedded loader's warning (``ignored_mrr_table``).

**Months and the as-of date** (metrics.md §2), exactly as :func:`saas_kit.loading.load_dataset`:
the as-of date is the ``as_of`` argument, else ``as_of`` of the location's ``dataset.yml``
(:mod:`saas_kit.metadata`; read with Spark, so on any path Spark reads; a catalog location
``spark-table:`` has none), else today. Month M is complete when ``last_day(M) < as_of``;
the last reported month is the last complete month (:func:`saas_kit.metadata.last_complete_month`)
even when no row mentions it, so a churn in it shows; subscriptions starting after the
as-of date never count, the months of an MRR table after the last complete month are
set aside (warning ``months_after_as_of_not_counted``), and charges and events dated
after it are set aside.
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
from saas_kit.spark.mrr_table import MrrTable, read_mrr_table
from saas_kit.spark.reading import TABLE_PREFIX, is_table_location, open_file, open_kind

#: The optional inputs, in the embedded loader's order.
OPTIONAL_KINDS = ("customers", "charges", "events", "company")


@dataclass
class SparkData:
    """Validated inputs as Spark DataFrames and the customer-month MRR (persisted). With a
    ready MRR table as the ledger, ``subscriptions`` is None, ``inputs`` holds ``mrr``
    instead of ``subscriptions`` and ``mrr_table`` its sums."""

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
    #: the ready monthly MRR table when it is the ledger (no subscriptions), else None
    mrr_table: MrrTable | None = None
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

    @property
    def ledger(self):
        """The validated ledger (:class:`~saas_kit.spark.validation.Validated`): the
        subscriptions, or the ``mrr`` table when there are none."""
        return self.inputs["subscriptions"] if "subscriptions" in self.inputs else self.inputs["mrr"]

    def unpersist(self) -> None:
        """Release the persisted frames (the customer-months and the validated inputs)."""
        self.customer_mrr.unpersist()
        if self.mrr_table is not None:
            self.mrr_table.sums.unpersist()
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
    any path Spark reads, or ``spark-table:catalog.schema``). The ledger is ``subscriptions``,
    else a ready monthly ``mrr`` table (:func:`open_ledger`); ``customers``, ``charges``,
    ``events`` and ``company`` are optional, as in the embedded loader. ``attributes``:
    the customer columns attached to every customer-month (those customers.csv has;
    "(unknown)" for a customer it lacks), for the bridges by segment. ``require_currency``:
    a DataError when no currency is known (as the embedded loader; metrics.md §8)."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    as_of_ts, currency, metadata = as_of_and_currency(spark, location, as_of, currency)
    through = last_complete_month(as_of_ts)
    after = micros(as_of_ts + pd.Timedelta(days=1))
    ledger_src = open_ledger(spark, location, mapping)
    kind = ledger_src.kind
    validate = validation.validate_subscriptions if kind == "subscriptions" else validation.validate_mrr_table
    inputs = {kind: validate(ledger_src, currency)}
    code = inputs[kind].currency
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
    last = period_to_number(through)
    subs, table = None, None
    if kind == "subscriptions":
        subs = inputs["subscriptions"].frame
        cm = ledger.customer_mrr(started_by(subs, as_of_ts), last, customers, attached,
                                 ledger.partitions_for(spark, inputs["subscriptions"].counts[1]))
        cm = cm.persist(StorageLevel.MEMORY_AND_DISK)
        row = cm.agg(F.min("month").alias("lo"), F.max("month").alias("hi")).collect()[0]
        span = None if row["lo"] is None else (int(row["lo"]), int(row["hi"]))
    else:
        table = read_mrr_table(inputs["mrr"], last, customers, attached,
                               ledger.partitions_for_months(spark, inputs["mrr"].counts[1]))
        inputs["mrr"] = table.validated  # a customer found to be a total row is set aside
        cm, span = table.customer_mrr(), table.span()
    release = table.unpersist if table is not None else cm.unpersist
    if span is None:
        release()
        raise DataError(f"no subscription is active at any month end up to {through}, the last complete month "
                        f"before the as-of date {as_of_ts.date()}: nothing to report", file=ledger_src.name)
    if require_currency and not code:
        release()
        raise DataError(f"the data has no currency: {CURRENCY_HINT}", file=ledger_src.name)
    data = SparkData(location=str(location), currency=code, customer_mrr=cm, first_month_number=span[0],
                     last_month_number=last, mrr_last_month_number=span[1], subscriptions=subs,
                     customers=customers, events=events, charges=charges, company=company, company_name=company_name,
                     company_warnings=company_warnings, as_of=as_of_ts,
                     attributes=attached, inputs=inputs, metadata=metadata, mrr_table=table)
    return data


def open_ledger(spark, location: str, mapping: Mapping[str, str] | None = None):
    """The ledger of a data location, as the embedded loader picks it: ``subscriptions``, else
    a ready monthly ``mrr`` table (:class:`~saas_kit.spark.reading.SparkSource`); neither is
    a DataError."""
    source = open_kind(spark, location, "subscriptions", mapping)
    if source is None:
        source = open_kind(spark, location, "mrr", mapping)
    if source is not None:
        return source
    if is_table_location(location):
        schema = str(location)[len(TABLE_PREFIX):].rstrip(".")
        raise DataError(f"no table {schema}.subscriptions (or {schema}.mrr) in Spark's catalog", file=str(location))
    raise DataError("no subscriptions.csv / subscriptions.parquet (or mrr.csv / mrr.parquet; or a folder "
                    "subscriptions/ or mrr/ of Parquet parts) in the data location", file=str(location))


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


@dataclass
class LedgerMonths:
    """The customer-months ``saas-kit movements`` reads (:func:`ledger_months`) and where
    they came from, for the embedded command's words when there are none."""

    customer_mrr: object
    #: (first month with MRR, the last month of the bridge), or None without any MRR
    span: tuple[int, int] | None
    last_complete: pd.Period
    as_of: pd.Timestamp
    #: the ledger read (a file, a folder's ledger file or a table) and whether a folder was given
    file: str
    folder: bool = False

    def nothing_error(self) -> DataError:
        """The embedded command's error when no customer has MRR at any month end."""
        what = "nothing to report" if self.folder else "no movements to print"
        return DataError(f"no subscription is active at any month end up to {self.last_complete}, the last complete "
                         f"month before the as-of date {self.as_of.date()}: {what}", file=self.file)


def ledger_months(spark, path: str, mapping: Mapping[str, str] | None = None, currency: str | None = None,
                  through=None, as_of=None) -> LedgerMonths:
    """The customer-months of ``saas-kit movements`` from one ledger: a subscriptions file or
    table, a ready monthly MRR table (a CSV whose header has ``month`` and ``mrr`` but no
    ``start_date``, as the embedded command tells them apart; a table with those columns),
    or a data folder's ``subscriptions`` (else ``mrr``) file. Months up to the last complete
    month before the as-of date (``as_of``, else the ``dataset.yml`` of the folder, else
    today); the bridge runs to ``through`` when given (a ParameterError when it is after
    that month), else to that month, even when no row reaches it, so a churn in it shows."""
    local = Path(str(path))
    folder_given = local.is_dir()
    if folder_given:  # a data folder, as the embedded command reads it
        found = find_file(local, "subscriptions") or find_file(local, "mrr")
        if found is None:
            raise DataError("no subscriptions.csv / subscriptions.parquet (or mrr.csv / mrr.parquet) in the data "
                            "directory", file=str(local))
        folder, path, kind = str(local), str(found), found.stem
    else:
        folder = str(path).rstrip("/").rsplit("/", 1)[0] if "/" in str(path).rstrip("/") else "."
        kind = ledger_file_kind(spark, str(path), mapping)
    as_of_ts, currency, _ = as_of_and_currency(spark, folder if not is_table_location(str(path)) else str(path),
                                               as_of, currency)
    last_complete = last_complete_month(as_of_ts)
    if through is not None and pd.Period(through, freq="M") > last_complete:
        raise ParameterError(f"--through {pd.Period(through, freq='M')} is after {last_complete}, the last complete "
                             "month before the as-of date (give a later --as-of if the export is newer)")
    last = period_to_number(last_complete)
    src = open_file(spark, path, kind, mapping)
    cm, span = (_subscription_months if kind == "subscriptions" else _table_months)(spark, src, currency, as_of_ts,
                                                                                    last)
    if span is not None and through is not None:
        span = (span[0], period_to_number(through))
    return LedgerMonths(cm, span, last_complete, as_of_ts, src.name, folder_given)


def _subscription_months(spark, src, currency: str | None, as_of: pd.Timestamp, last: int):
    """(persisted customer-months up to month ``last``, (first month, ``last``) or None) of a
    subscriptions source."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    validated = validation.validate_subscriptions(src, currency)
    cm = ledger.customer_mrr(started_by(validated.frame, as_of), last,
                             partitions=ledger.partitions_for(spark, validated.counts[1]))
    cm = cm.persist(StorageLevel.MEMORY_AND_DISK)
    row = cm.agg(F.min("month").alias("lo")).collect()[0]
    validated.unpersist()
    return cm, (None if row["lo"] is None else (int(row["lo"]), last))


def _table_months(spark, src, currency: str | None, as_of: pd.Timestamp, last: int):
    """(customer-months up to month ``last`` read from persisted sums, (first month, ``last``)
    or None) of a ready monthly MRR table (:mod:`saas_kit.spark.mrr_table`)."""
    validated = validation.validate_mrr_table(src, currency)
    table = read_mrr_table(validated, last, partitions=ledger.partitions_for_months(spark, validated.counts[1]))
    table.validated.unpersist()  # the sums are persisted and counted: the typed rows are no longer read
    span = table.span()
    return table.customer_mrr(), (None if span is None else (span[0], last))


def ledger_file_kind(spark, path: str, mapping: Mapping[str, str] | None = None) -> str:
    """``"mrr"`` for a ready monthly MRR table given by its own path, else ``"subscriptions"``,
    as the embedded ``saas-kit movements`` tells them apart: a CSV whose header (after
    ``mapping``) has ``month`` and ``mrr`` but no ``start_date``; Parquet files are read as
    subscriptions there, and so here. A catalog table (``spark-table:``) by its columns."""
    from saas_kit.spark.reading import header_names

    path = str(path)
    if not is_table_location(path) and not path.lower().endswith((".csv", ".csv.gz", ".txt")):
        return "subscriptions"
    names = header_names(spark, path, mapping)
    return "mrr" if {"month", "mrr"} <= names and "start_date" not in names else "subscriptions"


def load_subscriptions_file(spark, path: str, mapping: Mapping[str, str] | None = None, currency: str | None = None,
                            through=None, as_of=None):
    """(customer-month Spark frame, span or None) of one ledger file, table or data folder:
    :func:`ledger_months`, whose span is None when no customer has MRR at any month end
    up to the last complete month."""
    months = ledger_months(spark, path, mapping, currency, through, as_of)
    return months.customer_mrr, months.span
