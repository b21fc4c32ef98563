"""A ready monthly MRR table (``mrr.csv`` / ``mrr.parquet``, metrics.md §1) as the Spark
engine's ledger: the embedded loader's ``mrr`` branch (:func:`saas_kit.loading.load_dataset`,
:func:`saas_kit.loading.validate.validate_mrr_table`, :func:`saas_kit.mrr.mrr_from_table`).

After the validation pass (:func:`saas_kit.spark.validation.validate_mrr_table`) the kept
rows are summed per customer and month **once** (:func:`customer_month_sums`: MRR as
read, exact BIGINT ticks and rows; hash-partitioned by customer and sorted by customer
and month, persisted). Everything else reads those sums:

* the sums per month (one small aggregation brought to the driver): the months with
  MRR, the rows counted, whether a customer-month repeats, whether months lie after the
  last complete month before the as-of date (set aside with the warning
  ``months_after_as_of_not_counted``, metrics.md §2);
* a spreadsheet's total row written under a customer's name: a customer whose MRR in
  each of its months equals the sum of at least two other customers' that month (the
  embedded ``_total_rows``: within 10^-6, months with three customers or more, MRR > 0);
  its rows are set aside and named in the ``total_row`` warning;
* the customer-month MRR (:meth:`MrrTable.customer_mrr`): ticks summed per customer and
  month, MRR > 0, up to the last complete month, as :func:`saas_kit.mrr.mrr_from_table`.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd

from saas_kit.spark.validation import Validated

#: Tolerance of the total-row test (the embedded ``np.isclose(..., atol=1e-6)``).
TOTAL_TOLERANCE = 1e-6
#: Columns of :attr:`MrrTable.by_month`.
BY_MONTH = ["month", "mrr", "customers", "rows", "most", "positive"]


def _F():
    from pyspark.sql import functions as F
    return F


@dataclass
class MrrTable:
    """The validated table (``validated``: its typed rows, total rows set aside), its sums
    per customer and month (``sums``, persisted: ``customer_id``, ``month``, ``mrr``,
    ``mrr_ticks``, ``rows`` and the customer ``attributes``), their sums per month
    (``by_month``, pandas, :data:`BY_MONTH`), the customer found to be a total row (or
    None) and the last month counted (the last complete month before the as-of date)."""

    validated: Validated
    sums: object
    by_month: pd.DataFrame
    total_customer: str | None
    last_month: int
    attributes: tuple[str, ...] = ()

    def customer_mrr(self):
        """Customer-month MRR as :func:`saas_kit.spark.ledger.customer_mrr` gives it
        (``customer_id``, ``month``, ``mrr_ticks`` > 0, attributes) up to the last month
        counted: read from the persisted sums, with their partitioning and order."""
        F = _F()
        keep = (F.col("month") <= self.last_month) & (F.col("mrr_ticks") > 0)
        if self.total_customer is not None:
            keep &= F.col("customer_id") != self.total_customer
        return self.sums.where(keep).select("customer_id", "month", "mrr_ticks",
                                            *[F.col(f"`{a}`") for a in self.attributes])

    def span(self) -> tuple[int, int] | None:
        """(first, latest) month with MRR up to the last month counted, or None."""
        with_mrr = self.by_month.loc[(self.by_month["month"] <= self.last_month) & (self.by_month["positive"] > 0),
                                     "month"]
        return (int(with_mrr.min()), int(with_mrr.max())) if len(with_mrr) else None

    def rows_counted(self) -> int:
        """Rows of the table the ledger counts (total rows and later months set aside)."""
        return int(self.by_month.loc[self.by_month["month"] <= self.last_month, "rows"].sum())

    def has_late_months(self) -> bool:
        """Some row is dated after the last month counted."""
        return bool((self.by_month.loc[self.by_month["month"] > self.last_month, "rows"] > 0).any())

    def has_duplicates(self) -> bool:
        """Some customer-month has more than one row (total rows aside)."""
        return bool((self.by_month["most"] > 1).any())

    def late_rows(self):
        """The typed rows (total rows aside) dated after the last month counted."""
        F = _F()
        return self.validated.rows.where(F.col("__keep") & (F.col("month") > self.last_month))

    def duplicate_rows(self):
        """The typed rows (total rows aside) of the customer-months written more than once."""
        F = _F()
        repeated = self.sums.where(F.col("rows") > 1).select("customer_id", "month")
        return self.validated.rows.where(F.col("__keep")).join(repeated, ["customer_id", "month"], "left_semi")

    def unpersist(self) -> None:
        self.sums.unpersist()
        self.validated.unpersist()


def customer_month_sums(validated: Validated, customers=None, attributes: tuple[str, ...] = (),
                        partitions: int | None = None):
    """The kept rows summed per customer and month: ``mrr`` (double, as read), ``mrr_ticks``
    (exact BIGINT) and ``rows``, with the customer ``attributes`` of ``customers``
    ("(unknown)" for a customer it lacks). One shuffle: hash-partitioned by customer,
    sorted by customer and month (what the movements, retention and cohort windows read)."""
    F = _F()
    rows = validated.frame.select("customer_id", "month", "mrr", "mrr_ticks")
    rows = rows.repartition(partitions, "customer_id") if partitions else rows.repartition("customer_id")
    if attributes:  # as in saas_kit.spark.ledger.customer_mrr: the join keeps the partitioning
        attrs = customers.select("customer_id", *[F.col(f"`{a}`") for a in attributes])
        rows = rows.join(attrs, "customer_id", "left").select(
            "customer_id", "month", "mrr", "mrr_ticks",
            *[F.coalesce(F.col(f"`{a}`"), F.lit("(unknown)")).alias(a) for a in attributes])
    return (rows.groupBy("customer_id", "month", *attributes)
            .agg(F.sum("mrr").alias("mrr"), F.sum("mrr_ticks").alias("mrr_ticks"), F.count(F.lit(1)).alias("rows"))
            .select("customer_id", "month", "mrr", "mrr_ticks", "rows", *attributes)
            .sortWithinPartitions("customer_id", "month"))


def sums_by_month(sums, without: str | None = None) -> pd.DataFrame:
    """Per month (:data:`BY_MONTH`): the customers' MRR summed (double), the customers,
    the rows, the most rows of one customer-month and the customers with MRR > 0;
    ``without`` a customer left out. One small aggregation brought to the driver."""
    F = _F()
    if without is not None:
        sums = sums.where(F.col("customer_id") != without)
    got = (sums.groupBy("month").agg(F.sum("mrr").alias("mrr"), F.count(F.lit(1)).alias("customers"),
                                     F.sum("rows").alias("rows"), F.max("rows").alias("most"),
                                     F.count(F.when(F.col("mrr_ticks") > 0, 1)).alias("positive"))
           .orderBy("month").collect())
    frame = pd.DataFrame([r.asDict() for r in got], columns=BY_MONTH)
    for name in BY_MONTH:
        frame[name] = frame[name].astype("float64" if name == "mrr" else "int64")
    return frame


def summed_total_customer(validated: Validated, sums, by_month: pd.DataFrame) -> str | None:
    """The customer whose MRR in each of its months equals the sum of the other customers'
    that month (months with three customers or more, MRR > 0), the first in file order
    when there are several; None when none (or the table has two rows or fewer), as the
    embedded ``_total_rows``. One pass over the sums (no shuffle: they are partitioned
    by customer); the candidates' first rows only when there are some."""
    F = _F()
    if validated.counts[0] <= 2 or not (by_month["customers"] >= 3).any():
        return None
    total = F.create_map(*[F.lit(x) for m, s in zip(by_month["month"], by_month["mrr"]) for x in (int(m), float(s))])
    count = F.create_map(*[F.lit(int(x)) for m, n in zip(by_month["month"], by_month["customers"]) for x in (m, n)])
    mrr = F.col("mrr")
    equal = ((F.abs(mrr - (F.element_at(total, F.col("month")) - mrr)) <= TOTAL_TOLERANCE)
             & (F.element_at(count, F.col("month")) >= 3) & (mrr > 0))
    found = [r[0] for r in sums.groupBy("customer_id").agg(F.min(equal.cast("int")).alias("all"))
             .where(F.col("all") == 1).select("customer_id").collect()]
    if not found:
        return None
    rows = validated.rows
    order = ["_src_file", "_src_row"] if "_src_row" in rows.columns else ["_src_file", "_src_block", "_src_id"]
    first = (rows.where(F.col("__keep") & F.col("customer_id").isin(found)).orderBy(*order).select("customer_id")
             .limit(1).collect())
    return first[0][0]


def set_aside(validated: Validated, customer: str, rows: int) -> Validated:
    """``validated`` with the ``rows`` rows of ``customer`` (a total row) set aside and
    flagged ``total_row``, as the validation pass does with total labels (the typed rows
    stay those persisted: only a projection is added)."""
    F = _F()
    bit = F.lit(1 << validated.flags.index("total_row")).cast("long")
    mine = F.col("customer_id") == customer
    marked = validated.rows.withColumns({"__keep": F.col("__keep") & ~mine,
                                         "__warn": F.when(mine, F.col("__warn").bitwiseOR(bit))
                                         .otherwise(F.col("__warn"))})
    flag_counts = dict(validated.flag_counts or {})
    flag_counts["total_row"] = flag_counts.get("total_row", 0) + rows
    persisted = validated.persisted if validated.persisted is not None else validated.rows
    return dataclasses.replace(validated, rows=marked, counts=(validated.counts[0], validated.counts[1] - rows),
                               flag_counts=flag_counts, persisted=persisted)


def read_mrr_table(validated: Validated, last_month: int, customers=None, attributes: tuple[str, ...] = (),
                   partitions: int | None = None) -> MrrTable:
    """The :class:`MrrTable` of a validated table: its customer-month sums (persisted), their
    sums per month, and the customer that is a total row (set aside), counting months up to
    ``last_month`` (month number)."""
    from pyspark import StorageLevel

    sums = customer_month_sums(validated, customers, attributes, partitions).persist(StorageLevel.MEMORY_AND_DISK)
    by_month = sums_by_month(sums)
    total = summed_total_customer(validated, sums, by_month)
    if total is not None:
        kept = sums_by_month(sums, without=total)
        validated = set_aside(validated, total, int(by_month["rows"].sum() - kept["rows"].sum()))
        by_month = kept
    return MrrTable(validated, sums, by_month, total, last_month, tuple(attributes))
