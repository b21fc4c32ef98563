"""The Spark engine: the heavy stages of saas_kit on Apache Spark (PySpark), to the tick.

Ledger -> customer-month MRR, the five movements and the bridge, trailing twelve-month
NRR/GRR, cohort and segment sums, the "who moved" lists and the activation stages run
in Spark (local ``local[*]`` by default; any cluster through ``--spark-master`` or
``SPARK_REMOTE``); only monthly aggregates and short lists come back, as the same
pandas frames the embedded engine returns. PySpark is an optional extra
(``pip install -e .[spark]``) and needs Java 17+; importing this package does not
import PySpark.

    from saas_kit.spark import spark_session, load_spark_data, month_analysis
    spark = spark_session()                        # or the notebook's `spark` on Databricks
    data = load_spark_data(spark, "s3a://bucket/export/")   # or "spark-table:main.billing"
    analysis = month_analysis(data, "2026-10")     # bridge, rates, ttm, cohorts, segments, movers
"""
from saas_kit.spark.session import SparkUnavailable, require_spark, spark_session


def __getattr__(name: str):
    if name in ("load_spark_data", "SparkData"):
        from saas_kit.spark import data
        return getattr(data, name)
    if name in ("month_analysis", "SparkMonthAnalysis", "headline_kpis", "activation_kpis"):
        from saas_kit.spark import analysis
        return getattr(analysis, name)
    raise AttributeError(name)


__all__ = ["SparkUnavailable", "require_spark", "spark_session", "load_spark_data", "SparkData",
           "month_analysis", "SparkMonthAnalysis", "headline_kpis", "activation_kpis"]
