"""Ledger -> customer-month MRR in Spark (metrics.md §2; the embedded :mod:`saas_kit.mrr`).

A subscription with MRR ``mrr_ticks`` counts in every month ``M`` with
``month(start_date) <= M <= month(end_date) - 1`` (month-end snapshot, ``end_date``
exclusive) and ``M <= last_month`` for open ones. Each subscription is expanded to its
months (``sequence`` + ``explode``), summed per customer and month in exact BIGINT ticks,
and only rows with MRR > 0 are kept: the embedded engine's rows, to the tick.

Months are integers ``year * 12 + month - 1`` throughout, as in :mod:`saas_kit.mrr`.
"""
from __future__ import annotations

import pandas as pd

from saas_kit.money import from_ticks
from saas_kit.mrr import empty_customer_months, number_to_period


def month_of(micros):
    """Month number of a micros-since-1970 column."""
    from pyspark.sql import functions as F

    ts = F.timestamp_micros(micros)
    return (F.year(ts) * 12 + F.month(ts) - 1).cast("int")


def latest_month(subscriptions) -> int | None:
    """Latest month any subscription date falls in: start months and the month of the last
    active day (``end_date - 1 day``) of ended ones (:func:`saas_kit.mrr.latest_month_number`)."""
    from pyspark.sql import functions as F

    day = 86_400 * 10**6
    row = subscriptions.agg(F.max(month_of(F.col("start_micros"))).alias("s"),
                            F.max(month_of(F.col("end_micros") - day)).alias("e")).collect()[0]
    values = [v for v in (row["s"], row["e"]) if v is not None]
    return max(values) if values else None


#: Subscriptions per partition of the customer-month frame (about eight customer-months each).
ROWS_PER_PARTITION = 500_000


def partitions_for(spark, subscriptions: int) -> int:
    """Partitions of the customer-month frame: Spark's shuffle partitions, more for a
    ledger of more than ``ROWS_PER_PARTITION`` subscriptions per partition (so that one
    task's customer-months stay a few million rows on any cluster)."""
    default = int(spark.conf.get("spark.sql.shuffle.partitions"))
    return max(default, -(-subscriptions // ROWS_PER_PARTITION))


#: Customer-months per subscription in the sizing of ROWS_PER_PARTITION.
MONTHS_PER_SUBSCRIPTION = 8


def partitions_for_months(spark, customer_months: int) -> int:
    """Partitions of the customer-month frame of a ready MRR table of ``customer_months``
    rows: as :func:`partitions_for` sizes those of a ledger with as many customer-months."""
    return partitions_for(spark, -(-customer_months // MONTHS_PER_SUBSCRIPTION))


def customer_mrr(subscriptions, last_month: int, customers=None, attributes: tuple[str, ...] = (),
                 partitions: int | None = None):
    """Customer-month MRR: Spark DataFrame ``customer_id``, ``month`` (int), ``mrr_ticks``
    (BIGINT, > 0) and ``attributes`` (customer columns of ``customers``, "(unknown)" for
    a customer it lacks), one row per customer and month with MRR.

    One shuffle: the subscriptions are hash-partitioned by customer (``repartition``;
    the join with ``customers`` keeps that partitioning), expanded to their months and summed inside
    each partition, then sorted by customer and month; the frame keeps that partitioning
    and order, which the movements, retention and cohort windows need."""
    from pyspark.sql import functions as F

    first = month_of(F.col("start_micros"))
    last = F.when(F.col("end_micros").isNull(), F.lit(last_month)).otherwise(
        F.least(month_of(F.col("end_micros")) - 1, F.lit(last_month)))
    spans = (subscriptions.select("customer_id", first.alias("first"), last.alias("last"), "mrr_ticks")
             .where((F.col("last") >= F.col("first")) & (F.col("mrr_ticks") != 0)))
    spans = spans.repartition(partitions, "customer_id") if partitions else spans.repartition("customer_id")
    if attributes:  # a broadcast or sort-merge join keeps the subscriptions' partitioning
        attrs = customers.select("customer_id", *[F.col(f"`{a}`") for a in attributes])
        spans = spans.join(attrs, "customer_id", "left").select(
            "customer_id", "first", "last", "mrr_ticks",
            *[F.coalesce(F.col(f"`{a}`"), F.lit("(unknown)")).alias(a) for a in attributes])
    months = spans.select("customer_id", F.explode(F.sequence("first", "last")).alias("month"), "mrr_ticks",
                          *attributes)
    return (months.groupBy("customer_id", "month", *attributes).agg(F.sum("mrr_ticks").alias("mrr_ticks"))
            .where(F.col("mrr_ticks") > 0).select("customer_id", "month", "mrr_ticks", *attributes)
            .sortWithinPartitions("customer_id", "month"))


def to_pandas(cm) -> pd.DataFrame:
    """The customer-month frame exactly as :func:`saas_kit.mrr.monthly_mrr` returns it
    (``customer_id`` object, ``month`` Period[M], ``mrr`` float64 units), sorted by
    customer and month. Brings every customer-month to the driver: for tests and small
    data; the engine itself only brings back aggregates."""
    table = cm.select("customer_id", "month", "mrr_ticks").orderBy("customer_id", "month").toArrow()
    if table.num_rows == 0:
        return empty_customer_months()
    return pd.DataFrame({
        "customer_id": pd.Index(table.column("customer_id").to_pylist(), dtype=object),
        "month": number_to_period(table.column("month").to_numpy().astype("int64")),
        "mrr": from_ticks(table.column("mrr_ticks").to_numpy()),
    }, copy=False)


def from_pandas(spark, customer_mrr: pd.DataFrame, extra: tuple[str, ...] = ()):
    """A pandas customer-month frame (``customer_id``, ``month``, ``mrr``) as the engine's
    Spark frame (ticks, integer months): for tests and for ready MRR tables."""
    from saas_kit.money import to_ticks

    months = pd.PeriodIndex(customer_mrr["month"], freq="M")
    frame = pd.DataFrame({"customer_id": customer_mrr["customer_id"].astype(str).to_numpy(dtype=object),
                          "month": (months.year * 12 + months.month - 1).astype("int32"),
                          "mrr_ticks": to_ticks(customer_mrr["mrr"])})
    for c in extra:
        frame[c] = customer_mrr[c].astype(str).to_numpy(dtype=object)
    schema = "customer_id string, month int, mrr_ticks long" + "".join(f", `{c}` string" for c in extra)
    rows = list(frame.itertuples(index=False, name=None))
    return spark.createDataFrame(rows, schema=schema)
