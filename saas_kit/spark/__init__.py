"""The Spark engine: the heavy stages of saas_kit on Apache Spark (PySpark), to the tick.

Reading and validating the inputs, ledger -> customer-month MRR, the five movements and
the bridge, trailing twelve-month NRR/GRR, cohort and segment sums, the "who moved"
list and the activation stages run in Spark (local ``local[*]`` by default; any
cluster through ``--spark-master`` or ``SPARK_REMOTE``); only monthly aggregates and
short lists come back, as the month's facts (:class:`saas_kit.facts.MonthFacts`), equal
to the embedded engine's frame by frame. PySpark is an optional extra
(``pip install -e .[spark]``) and needs Java 17+; importing this package does not
import PySpark.

    from saas_kit.spark import spark_session, load_spark_data, spark_facts
    spark = spark_session()                        # or the notebook's `spark` on Databricks
    data = load_spark_data(spark, "s3a://bucket/export/")   # or "spark-table:main.billing"
    facts = spark_facts(data, "2026-10")           # bridge, rates, ttm, cohorts, segments, movers, activation
"""
from saas_kit.spark.session import SparkUnavailable, require_spark, spark_session


def __getattr__(name: str):
    if name in ("load_spark_data", "SparkData"):
        import saas_kit.spark.data as data
        return getattr(data, name)
    if name == "spark_facts":
        import saas_kit.spark.facts as facts
        return facts.spark_facts
    raise AttributeError(name)


__all__ = ["SparkUnavailable", "require_spark", "spark_session", "load_spark_data", "SparkData", "spark_facts"]
