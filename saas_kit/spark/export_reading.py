"""Reading billing exports on Spark for the import of invoice lines: CSV or Parquet files or
folders on any path Spark reads, or catalog tables; headers mapped and normalised as the
embedded importer does (:func:`saas_kit.imports.common.read_export`); every row's place
in its file, to name it in an error or a summary as the embedded importer does."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Mapping, Sequence

import saas_kit.imports.common as common
from saas_kit.errors import DataError
from saas_kit.spark.reading import TABLE_PREFIX, is_table_location, try_read


def _F():
    from pyspark.sql import functions as F
    return F


@dataclass
class Lines:
    """The export as text columns named by their normalised headers, with where each row
    came from: ``_pos`` (which of the given paths), ``_name`` (the file name the summary
    shows), ``_blk``/``_key`` (file order) and ``_fmt``."""

    frame: object
    names: list[str]          # file name shown per path (single files) or None (folders)
    formats: list[str]        # 'csv' | 'parquet' | 'table' per path
    columns: list[str]


def read_lines(spark, paths: Sequence[str], mapping: Mapping[str, str] | None, used: set[str]) -> Lines:
    """Read every export (CSV, Parquet file or folder, ``spark-table:name``) into one frame:
    headers mapped (``--map``) and normalised as the embedded importer does; cells as trimmed
    text (:func:`saas_kit.spark.parsing.text_of`); all-blank rows flagged ``_blank``."""
    from functools import reduce

    from saas_kit.spark.parsing import text_of

    F = _F()
    mapping = dict(mapping or {})
    frames, names, formats, found = [], [], [], []
    for pos, path in enumerate(map(str, paths)):
        if is_table_location(path):
            table = path[len(TABLE_PREFIX):]
            if not spark.catalog.tableExists(table):
                raise DataError(f"no table {table} in Spark's catalog", file=path)
            frame, fmt = spark.table(table), "table"
        else:
            fmt = "csv" if path.lower().endswith((".csv", ".csv.gz", ".txt")) else "parquet"
            frame = try_read(spark, path, fmt)
            if frame is None:
                raise DataError("file not found", file=path)
        stripped = [c.strip().lstrip("\ufeff").strip() for c in frame.columns]
        mapped = [mapping.get(c, c) for c in stripped]
        if len(set(mapped)) < len(mapped):
            dup = next(c for i, c in enumerate(mapped) if c in mapped[:i])
            raise DataError("column appears twice (in the header or after the column mapping)", file=path,
                            row=1, column=dup)
        normal = [common.normalise_header(c) for c in mapped]
        if len(set(normal)) < len(normal):
            dup = next(c for i, c in enumerate(normal) if c in normal[:i])
            raise DataError(f"two columns read as {dup!r} (rename one with --map)", file=path, row=1)
        frame = frame.toDF(*normal)
        texts = {c: text_of(frame, c) for c in normal}
        blank = reduce(lambda a, b: a & b, [t == "" for t in texts.values()], F.lit(True))
        single = fmt == "table" or path.lower().rstrip("/").endswith((".csv", ".csv.gz", ".txt", ".parquet", ".pq"))
        shown = path[len(TABLE_PREFIX):] if fmt == "table" else PurePosixPath(path.rstrip("/")).name
        if fmt == "parquet":
            blk, key = F.lit(0).cast("long"), F.col("_metadata.row_index")
        elif fmt == "csv":
            blk, key = F.col("_metadata.file_block_start"), F.monotonically_increasing_id()
        else:
            blk, key = F.lit(0).cast("long"), F.monotonically_increasing_id()
        file_col = (F.lit(shown) if single or fmt == "table"
                    else F.element_at(F.split(F.col("_metadata.file_path"), "/"), -1))
        frames.append(frame.select(*[texts[c].alias(c) for c in normal if c in used],
                                   F.lit(pos).alias("_pos"), file_col.alias("_name"), blk.alias("_blk"),
                                   key.alias("_key"), blank.alias("_blank")))
        names.append(shown)
        formats.append(fmt)
        found.extend(c for c in normal if c not in found)
    frame = reduce(lambda a, b: a.unionByName(b, allowMissingColumns=True), frames)
    frame = frame.fillna("", subset=[c for c in frame.columns if not c.startswith("_")])
    return Lines(frame, names, formats, found)


def row_numbers(lines: Lines, typed) -> dict:
    """(``_pos``, ``_name``, ``_blk``) -> (first row number, first ``_key``) of every CSV
    split, so that a row's number is ``first + (_key - first key)`` (ids are consecutive
    within a split; earlier splits of the file are counted before it). Parquet rows are
    ``row_index + 1``; catalog tables have none."""
    F = _F()
    csv = [i for i, f in enumerate(lines.formats) if f == "csv"]
    if not csv:
        return {}
    blocks = (typed.where(F.col("_pos").isin(csv)).groupBy("_pos", "_name", "_blk")
              .agg(F.count(F.lit(1)).alias("n"), F.min("_key").alias("k")).collect())
    starts, counted = {}, {}
    for b in sorted(blocks, key=lambda r: (r["_pos"], r["_name"], r["_blk"])):
        file = (b["_pos"], b["_name"])
        first = counted.get(file, 2)  # the header is row 1
        starts[(b["_pos"], b["_name"], b["_blk"])] = (first, b["k"])
        counted[file] = first + b["n"]
    return starts


def row_of(lines: Lines, starts: dict, r) -> int | None:
    fmt = lines.formats[r["_pos"]]
    if fmt == "parquet":
        return int(r["_key"]) + 1
    if fmt == "table":
        return None
    first, key = starts[(r["_pos"], r["_name"], r["_blk"])]
    return first + int(r["_key"]) - int(key)
