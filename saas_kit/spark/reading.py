"""Where the Spark engine's input comes from: files on any path Spark reads, or catalog tables.

A *location* is either

* a folder (local, ``s3a://``, ``abfss://``, ``dbfs:/`` ...) holding the canonical files of
  metrics.md §1 as ``<kind>.csv``, ``<kind>.parquet`` or a folder ``<kind>/`` of Parquet
  parts (what Spark and Databricks write), tried in that order; or
* ``spark-table:<catalog>.<schema>`` (or ``spark-table:<schema>``): the tables
  ``<catalog>.<schema>.<kind>`` of Spark's catalog (Unity Catalog, Hive metastore, ...).

Column names are trimmed (and a UTF-8 byte-order mark dropped) and mapped with the same
``{"export name": "canonical name"}`` mapping as the embedded loader; missing required
columns and duplicate names give the embedded loader's errors. CSV is read as UTF-8
text, one record per line (records with line breaks inside quotes are not split-safe;
export them as Parquet).

Every row keeps where it came from (``_metadata.file_path``, the split offset and a
monotonically increasing id), so that a bad row is reported with its file and row:
Parquet rows by ``_metadata.row_index`` (first record = row 1, as the embedded loader
counts), CSV rows by counting the records before it in its file (header = row 1;
blank lines are skipped by Spark and not counted). Catalog tables have no rows to
point at: errors name the table and the offending value.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import pandas as pd

from saas_kit.errors import DataError
from saas_kit.loading import SCHEMAS, check_required_columns

TABLE_PREFIX = "spark-table:"
ORDER = ("_src_file", "_src_block", "_src_id")


@dataclass(frozen=True)
class SparkSource:
    """A raw input as a Spark DataFrame with canonical column names and row-origin columns."""

    frame: object  # pyspark.sql.DataFrame
    name: str      # file, folder or table, for messages
    fmt: str       # 'csv' | 'parquet' | 'table'
    #: columns of the input that its kind does not use (left out; the loader warns)
    extra: tuple[str, ...] = ()
    #: the kind of input it was opened as (``subscriptions``, ``mrr``, ``customers``, ...)
    kind: str = ""

    @property
    def columns(self) -> list[str]:
        return [c for c in self.frame.columns if not c.startswith("_src_")]


def is_table_location(location: str) -> bool:
    return str(location).startswith(TABLE_PREFIX)


def open_kind(spark, location: str, kind: str, mapping: Mapping[str, str] | None = None,
              required: bool = False) -> SparkSource | None:
    """The ``kind`` input at ``location`` (a folder or ``spark-table:catalog.schema``), or
    None when it is absent and not ``required``."""
    location = str(location)
    if is_table_location(location):
        table = f"{location[len(TABLE_PREFIX):].rstrip('.')}.{kind}"
        if not spark.catalog.tableExists(table):
            if required:
                raise DataError(f"no table {table} in Spark's catalog", file=location)
            return None
        return _finish(spark.table(table), table, "table", kind, mapping)
    base = location.rstrip("/")
    for path, fmt in ((f"{base}/{kind}.csv", "csv"), (f"{base}/{kind}.parquet", "parquet"), (f"{base}/{kind}", "parquet")):
        frame = try_read(spark, path, fmt)
        if frame is not None:
            return _finish(frame, path, fmt, kind, mapping)
    if required:
        raise DataError(f"no {kind}.csv / {kind}.parquet (or folder {kind}/) in the data location", file=location)
    return None


def open_file(spark, path: str, kind: str, mapping: Mapping[str, str] | None = None) -> SparkSource:
    """One input given by its own path (``.csv``, ``.parquet`` or a Parquet folder) or table name
    (``spark-table:catalog.schema.table``)."""
    path = str(path)
    if is_table_location(path):
        table = path[len(TABLE_PREFIX):]
        if not spark.catalog.tableExists(table):
            raise DataError(f"no table {table} in Spark's catalog", file=path)
        return _finish(spark.table(table), table, "table", kind, mapping)
    fmt = "csv" if path.lower().endswith((".csv", ".csv.gz", ".txt")) else "parquet"
    frame = try_read(spark, path, fmt)
    if frame is None:
        raise DataError("file not found", file=path)
    return _finish(frame, path, fmt, kind, mapping)


def header_names(spark, path: str, mapping: Mapping[str, str] | None = None) -> set[str]:
    """The column names of a CSV file (its header) or catalog table (``spark-table:...``)
    after ``mapping``, trimmed as :func:`open_file` trims them; empty when there is no such
    file or table (:func:`open_file` then says so)."""
    path = str(path)
    if is_table_location(path):
        table = path[len(TABLE_PREFIX):]
        frame = spark.table(table) if spark.catalog.tableExists(table) else None
    else:
        frame = try_read(spark, path, "csv")
    if frame is None:
        return set()
    mapping = dict(mapping or {})
    stripped = (c.strip().lstrip("\ufeff").strip() for c in frame.columns)
    return {mapping.get(c, c) for c in stripped}


#: Parquet written by pandas/pyarrow with nanosecond timestamps, which Spark cannot read.
NANOS_HINT = ("the Parquet file stores timestamps in nanoseconds, which Spark cannot read; write it with "
              "microsecond timestamps (pandas: to_parquet(..., coerce_timestamps='us'); pyarrow: "
              "pq.write_table(..., coerce_timestamps='us'); Spark and Databricks write microseconds)")


def try_read(spark, path: str, fmt: str):
    from pyspark.errors import AnalysisException

    reader = spark.read.format(fmt)
    if fmt == "csv":
        reader = reader.options(header="true", inferSchema="false", encoding="UTF-8", multiLine="false",
                                mode="PERMISSIVE", ignoreLeadingWhiteSpace="false",
                                ignoreTrailingWhiteSpace="false")
    try:
        frame = reader.load(path)
        frame.columns  # noqa: B018 -- resolves the path now (lazy in Spark Connect)
    except AnalysisException as exc:
        if "PATH_NOT_FOUND" in str(exc) or "Path does not exist" in str(exc):
            return None
        if "TIMESTAMP(NANOS" in str(exc):
            raise DataError(NANOS_HINT, file=path) from None
        raise DataError(f"Spark cannot read it as {fmt}: {str(exc).splitlines()[0][:300]}", file=path) from exc
    except Exception as exc:  # noqa: BLE001 - the schema is read by a Spark job, whose failure is no AnalysisException
        if "TIMESTAMP(NANOS" in str(exc):
            raise DataError(NANOS_HINT, file=path) from None
        raise
    return frame


def _finish(frame, name: str, fmt: str, kind: str, mapping: Mapping[str, str] | None) -> SparkSource:
    from pyspark.sql import functions as F

    mapping = dict(mapping or {})
    names = [mapping.get(c.strip().lstrip("\ufeff").strip(), c.strip().lstrip("\ufeff").strip())
             for c in frame.columns]
    seen = set()
    for n in names:
        if n in seen:
            raise DataError("column appears twice (in the header or after the column mapping)", file=name,
                            row=1, column=n)
        seen.add(n)
    check_required_columns(pd.DataFrame(columns=names), kind, name)
    renamed = frame.toDF(*names)
    if fmt == "table":
        origin = [F.lit(name).alias("_src_file"), F.lit(0).cast("long").alias("_src_block")]
    else:
        origin = [F.col("_metadata.file_path").alias("_src_file"),
                  F.col("_metadata.file_block_start").alias("_src_block")]
        if fmt == "parquet":
            origin.append(F.col("_metadata.row_index").alias("_src_row"))
    origin.append(F.monotonically_increasing_id().alias("_src_id"))
    keep = [c for c in names if c in SCHEMAS[kind][0] + SCHEMAS[kind][1] or kind == "customers"]
    extra = tuple(c for c in names if c not in keep)
    return SparkSource(renamed.select(*[F.col(f"`{c}`") for c in keep], *origin), name, fmt, extra, kind)


def locate(source: SparkSource, first_bad) -> tuple[str, int | None]:
    """(file, row) of a bad row given its origin struct (``_src_file``, ``_src_block``,
    ``_src_id`` and, for Parquet, ``_src_row``)."""
    from pyspark.sql import functions as F

    if source.fmt == "table":
        return source.name, None
    single = source.name.lower().endswith((".csv", ".parquet", ".pq", ".txt", ".csv.gz"))
    file = source.name if single else _display_path(first_bad["_src_file"])
    if source.fmt == "parquet":
        return file, int(first_bad["_src_row"]) + 1
    f = source.frame
    before = f.where((F.col("_src_file") == first_bad["_src_file"])
                     & ((F.col("_src_block") < first_bad["_src_block"])
                        | ((F.col("_src_block") == first_bad["_src_block"]) & (F.col("_src_id") < first_bad["_src_id"]))))
    return file, before.count() + 2  # the header is row 1


def _display_path(path: str) -> str:
    from urllib.parse import unquote, urlparse

    return unquote(urlparse(path).path) if path.startswith("file:") else path
