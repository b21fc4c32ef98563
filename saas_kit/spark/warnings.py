"""The loader's warnings on Spark, as :func:`saas_kit.loading.load_dataset` gives them.

Usable-but-suspicious findings (:class:`saas_kit.errors.DataWarning`, built with
:func:`saas_kit.loading.data_warnings.data_warning` from the same message keys and
fields): ids with surrounding whitespace or equal as numbers ("007" and "7"),
placeholder end dates, zero-length and overlapping subscriptions, total rows,
sub-tick and zero amounts, rows dated after the as-of date, a ready MRR table's
repeated customer-months and months after the last complete month, an MRR table
beside the subscriptions, columns a kind does not use, a CSV beside a Parquet file
of the same kind, and the cross-file checks (charges or events of unknown customers,
customers missing from customers.csv).

The flags were set in the validation pass (``__warn`` bits of the typed rows,
:mod:`saas_kit.spark.validation`); here one aggregation per input counts them, and
only for a warning that is there are its rows collected (in file order, numbered as
the errors number them, :func:`saas_kit.spark.reading.locate`). In the embedded order.
"""
from __future__ import annotations

import os

import pandas as pd

from saas_kit.errors import DataWarning
from saas_kit.loading.data_warnings import data_warning
from saas_kit.loading.parse import leading_zero_matches
from saas_kit.loading.schema import KEEPS_EXTRA_COLUMNS
from saas_kit.metadata import last_complete_month
from saas_kit.spark.activation import FAR_FUTURE, micros
from saas_kit.spark.reading import TABLE_PREFIX, is_table_location


def _F():
    from pyspark.sql import functions as F
    return F


def _order(rows) -> list[str]:
    return ["_src_file", "_src_row"] if "_src_row" in rows.columns else ["_src_file", "_src_block", "_src_id"]


def row_numbers(validated, where=None, hits=None) -> list[int]:
    """The row numbers of the typed rows where ``where`` holds (or of ``hits``, rows of a
    frame with the origin columns), in file order: Parquet rows from 1, CSV records
    counted from the header (row 1), as errors name rows; none for a catalog table."""
    F = _F()
    rows, source = validated.rows, validated.source
    if source.fmt == "table":
        return []
    hits = rows.where(where) if hits is None else hits
    if "_src_row" in rows.columns:
        return [int(r[0]) + 1 for r in hits.orderBy(*_order(rows)).select("_src_row").collect()]
    blocks = (rows.groupBy("_src_file", "_src_block").agg(F.count(F.lit(1)).alias("n"), F.min("_src_id").alias("lo"))
              .orderBy("_src_file", "_src_block").collect())
    offset, before = {}, {}
    for b in blocks:  # records before each block of its file, and the block's first id
        offset[(b["_src_file"], b["_src_block"])] = before.get(b["_src_file"], 0), b["lo"]
        before[b["_src_file"]] = before.get(b["_src_file"], 0) + b["n"]
    found = hits.orderBy(*_order(rows)).select("_src_file", "_src_block", "_src_id").collect()
    return [offset[(h[0], h[1])][0] + (h[2] - offset[(h[0], h[1])][1]) + 2 for h in found]


def flag(validated, name: str):
    """The boolean column of warning flag ``name`` (a bit of ``__warn``)."""
    F = _F()
    return (F.col("__warn").bitwiseAND(F.lit(1 << validated.flags.index(name)))) != 0


def ambiguous_ids(ids: list[str]) -> list[str]:
    """Ids of digits equal as numbers but different as text, sorted (the embedded
    :func:`saas_kit.loading.parse.leading_zero_clashes`)."""
    from saas_kit.loading.parse import leading_zero_clashes

    return leading_zero_clashes(ids)


def _digit_ids(frame, column: str) -> list[str]:
    """The distinct ids of digits whose number another id of digits shares."""
    F = _F()
    digits = frame.where(F.col(column).rlike("^[0-9]+$")).select(F.col(column).alias("id")).distinct()
    canon = digits.withColumn("c", F.regexp_replace("id", "^0+(?=.)", ""))
    shared = canon.groupBy("c").count().where(F.col("count") > 1).select("c")
    return [r[0] for r in canon.join(shared, "c", "left_semi").select("id").collect()]


def input_warnings(validated, kind: str) -> list[DataWarning]:
    """The warnings of one input's validation, in the embedded validators' order."""
    F = _F()
    file, flags = validated.source.name, validated.flags
    found: list[DataWarning] = []
    present = {name: validated.flagged(name) > 0 for name in flags}

    def rows_of(name: str) -> list[int]:
        return row_numbers(validated, flag(validated, name))

    id_columns = ["customer_id", "subscription_id"] if kind == "subscriptions" else ["customer_id"]
    for column in id_columns:
        if column not in validated.source.columns:
            continue
        if present.get(f"whitespace:{column}"):
            found.append(data_warning(file, "whitespace_in_id", "whitespace_in_id", rows_of(f"whitespace:{column}"),
                                      column))
        clashes = []
        if present.get(f"leading_zero:{column}"):  # two ids equal as numbers: one has a leading zero
            clashes = (ambiguous_ids(_digit_ids(validated.rows, column)) if column == "customer_id"
                       else _ambiguous_sub_ids(validated))
        if clashes:
            found.append(data_warning(file, "ambiguous_ids", "ambiguous_ids", (), column, ids=", ".join(clashes[:4])))
    if kind == "mrr":
        return found + total_row_warnings(validated)
    if kind != "subscriptions":
        return found
    if present.get("placeholder:end_date"):
        found.append(data_warning(file, "open_end_placeholder", "open_end_placeholder",
                                  rows_of("placeholder:end_date"), "end_date"))
    if present.get("zero_length"):
        found.append(data_warning(file, "zero_length", "zero_length", rows_of("zero_length"), "end_date"))
    found += total_row_warnings(validated)
    for name in ("sub_cent_amounts", "zero_amount"):
        if present.get(name):
            found.append(data_warning(file, name, name, rows_of(name), "amount"))
    found += overlap_warnings(validated)
    return found


def total_row_warnings(validated) -> list[DataWarning]:
    """The rows set aside as a spreadsheet's total rows (flag ``total_row``), naming the
    first three such ids in file order."""
    if not validated.flagged("total_row"):
        return []
    hits = validated.rows.where(flag(validated, "total_row"))
    ids = hits.orderBy(*_order(validated.rows)).select("customer_id").collect()
    names = ", ".join(repr(x) for x in list(dict.fromkeys(r[0] for r in ids))[:3])
    return [data_warning(validated.source.name, "total_row", "total_row", row_numbers(validated, hits=hits),
                         "customer_id", names=names)]


def mrr_table_warnings(table, as_of: pd.Timestamp) -> list[DataWarning]:
    """A ready MRR table's customer-months written more than once (summed) and its months
    after the last complete month before the as-of date (not counted), as the embedded
    loader words them (:class:`saas_kit.spark.mrr_table.MrrTable`)."""
    from saas_kit.mrr import number_to_period

    validated = table.validated
    found: list[DataWarning] = []
    if table.has_duplicates():
        found.append(data_warning(validated.source.name, "duplicate_customer_month", "duplicate_customer_month",
                                  row_numbers(validated, hits=table.duplicate_rows()), "month"))
    if table.has_late_months():
        found.append(data_warning(_name(validated), "after_as_of", "months_after_as_of_not_counted",
                                  row_numbers(validated, hits=table.late_rows()), "month",
                                  month=number_to_period(table.last_month), as_of=as_of.date()))
    return found


def _ambiguous_sub_ids(validated) -> list[str]:
    """Subscription ids equal as numbers: the typed rows carry a hash of each id and of
    its number; only ids whose number's hash repeats with different id hashes are read
    back from the source."""
    F = _F()
    if "__zero" not in validated.rows.columns:
        return []
    shared = (validated.rows.where(F.col("__zero").isNotNull()).groupBy("__zero")
              .agg(F.countDistinct("__dup").alias("n")).where(F.col("n") > 1).select("__zero").collect())
    if not shared:
        return []
    from saas_kit.spark.parsing import text_of

    source = validated.source.frame
    ids = text_of(source, "subscription_id")
    canon = F.xxhash64(F.regexp_replace(ids, "^0+(?=.)", ""))
    texts = [r[0] for r in source.where(ids.rlike("^[0-9]+$") & canon.isin([r[0] for r in shared]))
             .select(ids.alias("id")).distinct().collect()]
    return ambiguous_ids(texts)


def overlap_warnings(validated) -> list[DataWarning]:
    """Same customer and plan with overlapping periods (the embedded ``overlap_warnings``):
    in each (customer, plan), ordered by start (then file order), a row overlaps when it
    starts before the latest end among the rows before it; zero-length rows never count."""
    from pyspark.sql import Window

    F = _F()
    rows = validated.rows.where(F.col("__keep") & ~(F.col("end_micros").isNotNull()
                                                    & (F.col("end_micros") == F.col("start_micros"))))
    w = (Window.partitionBy("customer_id", "plan").orderBy("start_micros", *_order(rows))
         .rowsBetween(Window.unboundedPreceding, -1))
    latest = F.max(F.coalesce(F.col("end_micros"), F.lit(FAR_FUTURE))).over(w)
    hits = rows.withColumn("__latest", latest).where(F.col("__latest").isNotNull()
                                                     & (F.col("start_micros") < F.col("__latest")))
    if not hits.limit(1).collect():
        return []
    return [data_warning(validated.source.name, "overlapping_subscriptions", "overlapping_subscriptions",
                         sorted(row_numbers(validated, hits=hits)), "start_date")]


def after_as_of(validated, date_column: str, as_of: pd.Timestamp, key: str, column: str,
                **fields) -> list[DataWarning]:
    """The rows dated after the as-of date, as one warning (file name only, as the embedded loader)."""
    F = _F()
    late = F.col("__keep") & (F.col(date_column) >= micros(as_of + pd.Timedelta(days=1)))
    if not validated.rows.where(late).limit(1).collect():
        return []
    return [data_warning(_name(validated), "after_as_of", key, row_numbers(validated, late), column,
                         as_of=as_of.date(), **fields)]


def _name(validated) -> str:
    """The input's file (or folder, or table) name without its path."""
    return validated.source.name.rstrip("/").rsplit("/", 1)[-1]


def parquet_beside_csv(spark, location: str, kind: str, source) -> list[DataWarning]:
    """A ``<kind>.parquet`` beside the ``<kind>.csv`` read (the CSV wins)."""
    if source is None or source.fmt != "csv" or is_table_location(location):
        return []
    if not _exists(spark, f"{location.rstrip('/')}/{kind}.parquet"):
        return []
    return [data_warning(f"{kind}.parquet", "ignored_file", "ignored_parquet", what=kind)]


def unused_columns(kind: str, source) -> list[DataWarning]:
    """Columns the kind does not use (customers keep theirs)."""
    if kind in KEEPS_EXTRA_COLUMNS or not source.extra:
        return []
    name = source.name.rstrip("/").rsplit("/", 1)[-1]
    return [data_warning(name, "ignored_columns", "ignored_columns", columns=", ".join(source.extra))]


def ignored_mrr_table(spark, location: str) -> list[DataWarning]:
    """An ``mrr`` table beside the subscriptions (the subscriptions win): ``mrr.csv`` /
    ``mrr.parquet`` (and the Parquet file beside the CSV), or the catalog's ``mrr`` table
    of a ``spark-table:`` location."""
    if is_table_location(location):
        table = f"{location[len(TABLE_PREFIX):].rstrip('.')}.mrr"
        if not spark.catalog.tableExists(table):
            return []
        return [data_warning(table, "ignored_file", "ignored_mrr_table")]
    base = location.rstrip("/")
    found = []
    csv, parquet = _exists(spark, f"{base}/mrr.csv"), _exists(spark, f"{base}/mrr.parquet")
    if csv and parquet:
        found.append(data_warning("mrr.parquet", "ignored_file", "ignored_parquet", what="mrr"))
    if csv or parquet:
        found.append(data_warning("mrr.csv" if csv else "mrr.parquet", "ignored_file", "ignored_mrr_table"))
    return found


def dataset_warnings(data) -> list[DataWarning]:
    """Every warning of ``data`` (:class:`saas_kit.spark.data.SparkData`), in the embedded order."""
    spark, location = data.customer_mrr.sparkSession, data.location
    if "subscriptions" in data.inputs:
        subs = data.inputs["subscriptions"]
        found = parquet_beside_csv(spark, location, "subscriptions", subs.source) + ignored_mrr_table(spark, location)
        found += unused_columns("subscriptions", subs.source) + input_warnings(subs, "subscriptions")
        found += after_as_of(subs, "start_micros", data.as_of, "subscriptions_after_as_of", "start_date")
    else:  # a ready MRR table is the ledger
        table = data.inputs["mrr"]
        found = parquet_beside_csv(spark, location, "mrr", table.source) + unused_columns("mrr", table.source)
        found += input_warnings(table, "mrr") + mrr_table_warnings(data.mrr_table, data.as_of)
    for kind in ("customers", "charges", "events"):
        validated = data.inputs.get(kind)
        if validated is None:
            continue
        found += parquet_beside_csv(spark, location, kind, validated.source) + unused_columns(kind, validated.source)
        found += input_warnings(validated, kind)
        if kind != "customers":
            column, date = ("date", "date_micros") if kind == "charges" else ("timestamp", "ts_micros")
            found += after_as_of(validated, date, data.as_of, "rows_after_as_of", column, what=kind)
    if data.company is not None:
        found += data.company_warnings
    return found + cross_file_warnings(data)


def _exists(spark, path: str) -> bool:
    if "://" not in path:
        return os.path.exists(path)
    try:  # a classic session: ask Hadoop's file system (no job)
        jvm = spark.sparkContext._jvm
        hpath = jvm.org.apache.hadoop.fs.Path(path)
        return bool(hpath.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).exists(hpath))
    except Exception:  # noqa: BLE001 - Spark Connect has no JVM here: no such check
        return False


def cross_file_warnings(data) -> list[DataWarning]:
    """Ids of customers.csv, charges and events equal as numbers to a known id, charges
    and events of customers with no subscription, customers missing from customers.csv
    (the embedded ``_cross_file_warnings``; known ids: the subscriptions' customers, or
    those with MRR in a ready MRR table's counted months)."""
    F = _F()
    ledger = data.ledger
    known = (ledger.frame if data.mrr_table is None else data.customer_mrr).select("customer_id").distinct()
    found: list[DataWarning] = []
    frames = {"customers": data.customers, "charges": data.charges, "events": data.events}
    for kind in ("customers", "charges", "events"):
        frame = frames[kind]
        if frame is None:
            continue
        name = _name(data.inputs[kind])
        zeros = (data.inputs[kind].flagged("leading_zero:customer_id")
                 + ledger.flagged("leading_zero:customer_id"))
        if zeros:  # an id equal as a number to another id: one of the two has a leading zero
            unknown = frame.select("customer_id").distinct().join(known, "customer_id", "left_anti")
            digits_unknown = [r[0] for r in unknown.where(F.col("customer_id").rlike("^[0-9]+$")).collect()]
            canon = sorted({i.lstrip("0") or "0" for i in digits_unknown})
            known_digits = [r[0] for r in known.where(F.col("customer_id").rlike("^[0-9]+$")
                                                      & F.regexp_replace("customer_id", "^0+(?=.)", "").isin(canon))
                            .collect()] if canon else []
            clashes = leading_zero_matches(set(digits_unknown), set(known_digits))
            if clashes:
                found.append(data_warning(name, "ids_differ_by_leading_zeros", "ids_differ_by_leading_zeros", (),
                                          "customer_id", ids=", ".join(clashes[:4])))
        if kind != "customers":
            validated = data.inputs[kind]
            date = "ts_micros" if kind == "events" else "date_micros"
            kept = F.col("__keep") & (F.col(date) < micros(data.as_of + pd.Timedelta(days=1)))
            hits = validated.rows.where(kept).join(known, "customer_id", "left_anti")
            if hits.limit(1).collect():
                numbers = row_numbers(validated, hits=hits)
                found.append(data_warning(name, "unknown_customers", "unknown_customers", numbers, "customer_id",
                                          count=len(numbers), what=kind))
    if data.customers is not None:
        missing = known.join(data.customers.select("customer_id"), "customer_id", "left_anti").count()
        if missing:
            found.append(data_warning(_name(data.inputs["customers"]), "customers_missing", "customers_missing", (),
                                      "customer_id", count=missing))
    return found


def company_warnings(source, frame: pd.DataFrame, as_of: pd.Timestamp) -> list[DataWarning]:
    """Company months after the last complete month (left out of the page)."""
    late = frame["month"] > last_complete_month(as_of)
    if not late.any():
        return []
    name = source.name.rstrip("/").rsplit("/", 1)[-1]
    return [data_warning(name, "after_as_of", "months_after_as_of_not_shown", frame.loc[late, "_row"].tolist(),
                         "month", month=last_complete_month(as_of), as_of=as_of.date())]


__all__ = ["dataset_warnings", "input_warnings", "total_row_warnings", "mrr_table_warnings", "after_as_of", "parquet_beside_csv", "unused_columns",
           "cross_file_warnings", "company_warnings", "row_numbers"]
