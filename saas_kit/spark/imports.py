"""``saas-kit import stripe-invoice-lines|invoice-lines --engine spark``: the history import
on Apache Spark, written where Spark writes (metrics.md §8).

The lines are read and turned into customer-month MRR by
:mod:`saas_kit.spark.invoice_lines`; the folder gets ``mrr.parquet`` and
``charges.parquet`` (folders of Parquet parts, which both engines read), ``dataset.yml``
and ``import-summary.txt``. As in the embedded import, everything is written into a
hidden folder next to ``--out`` first and checked to load (on Spark) before it is moved
into place: a failed import leaves the folder as it was. ``--out`` may be any path Spark
writes (local, ``s3a://``, ``abfss://``, ``dbfs:/``); other paths than local ones are
moved with Hadoop's FileSystem (URLs, ``file:`` too; not with Spark Connect, whose client has
no access to it).
"""
from __future__ import annotations

import datetime as _dt
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlparse

from saas_kit.errors import DataError, ParameterError
from saas_kit.imports.summary import SUMMARY_FILE, WRITTEN_FILES, ImportResult, clash_error
from saas_kit.metadata import METADATA_FILE, write_metadata

#: the formats whose import runs on Spark (the history; snapshots are one row per subscription)
SPARK_FORMATS = ("stripe-invoice-lines", "invoice-lines")


class Folder:
    """A folder on the local disk or on any file system Hadoop reaches."""

    def __init__(self, spark, location: str) -> None:
        self.location = str(location).rstrip("/")
        scheme = urlparse(self.location).scheme
        # a plain path (or a Windows drive letter) is moved with Python; any URL (file:, s3a:,
        # abfss:, dbfs:, hdfs:) with Hadoop's FileSystem, as Spark writes it
        self.local = scheme == "" or len(scheme) == 1
        self.fs = None
        if not self.local:
            try:
                jvm = spark._jvm
                conf = spark._jsc.hadoopConfiguration()
            except Exception as exc:  # noqa: BLE001 - Spark Connect has no JVM on the client
                raise ParameterError(f"--out {location}: with Spark Connect the import writes only to a local "
                                     "folder (write it there, then copy it)") from exc
            self.jvm = jvm
            self.fs = jvm.org.apache.hadoop.fs.Path(self.location).getFileSystem(conf)

    def path(self, name: str = "") -> str:
        return f"{self.location}/{name}" if name else self.location

    def _local(self, name: str = "") -> Path:
        return Path(self.location) / name if name else Path(self.location)

    def _hpath(self, name: str = ""):
        return self.jvm.org.apache.hadoop.fs.Path(self.path(name))

    def exists(self, name: str = "") -> bool:
        return self._local(name).exists() if self.local else bool(self.fs.exists(self._hpath(name)))

    def is_file(self) -> bool:
        return self._local().is_file() if self.local else bool(self.fs.isFile(self._hpath()))

    def remove(self, name: str = "") -> None:
        import shutil

        if self.local:
            target = self._local(name)
            shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)
        else:
            self.fs.delete(self._hpath(name), True)

    def put(self, local_file: Path, name: str) -> None:
        if self.local:
            self._local().mkdir(parents=True, exist_ok=True)
            Path(local_file).replace(self._local(name))
        else:
            self.fs.copyFromLocalFile(False, True, self.jvm.org.apache.hadoop.fs.Path(str(local_file)),
                                      self._hpath(name))

    def move_into(self, name: str, target: "Folder") -> None:
        if self.local:
            target._local().mkdir(parents=True, exist_ok=True)
            self._local(name).replace(target._local(name))
        else:
            target.fs.mkdirs(target._hpath())
            if not self.fs.rename(self._hpath(name), target._hpath(name)):
                raise DataError(f"could not move {self.path(name)} to {target.path(name)}", file=target.location)


def run_spark_import(args, result: ImportResult, out: str) -> int:
    """Import on Spark into ``out`` (all or nothing), print the summary."""
    from saas_kit.imports.invoice_lines import GENERIC_ALIASES, STRIPE_ALIASES
    from saas_kit.loading import parse_mapping
    from saas_kit.spark.data import load_spark_data
    from saas_kit.spark.invoice_lines import import_lines
    from saas_kit.spark.session import spark_session

    if args.format not in SPARK_FORMATS:
        raise ParameterError(f"--engine spark imports invoice lines ({', '.join(SPARK_FORMATS)}); {args.format} is "
                             "a snapshot of one row per subscription: import it without --engine spark")
    spark = spark_session(getattr(args, "spark_master", None))
    target = Folder(spark, out)
    if target.exists() and target.is_file():
        raise ParameterError(f"--out {out} is a file, not a folder")
    clash = [name for name in WRITTEN_FILES if target.exists(name)]
    if clash and not args.force:
        raise clash_error(out, clash)
    aliases = STRIPE_ALIASES if args.format == "stripe-invoice-lines" else GENERIC_ALIASES
    amounts = args.amounts or ("minor" if args.format == "stripe-invoice-lines" else None)
    frames, release = import_lines(spark, args.exports, parse_mapping(args.map), result, aliases, amounts)

    parent, _, name = target.location.rpartition("/")
    staging = Folder(spark, f"{parent or '.'}/.{name}.import-{uuid.uuid4().hex[:12]}")
    try:
        for kind, frame in frames.items():
            frame.write.mode("errorifexists").parquet(staging.path(f"{kind}.parquet"))
            result.outputs[f"{kind}.parquet"] = spark.read.parquet(staging.path(f"{kind}.parquet")).count()
        with tempfile.TemporaryDirectory(prefix="saas-kit-import-") as local:
            write_metadata(local, as_of=result.as_of, currency=result.currency,
                           source={"format": result.format, "files": list(result.files)},
                           imported_at=_dt.datetime.now(_dt.timezone.utc).replace(microsecond=0))
            (Path(local) / SUMMARY_FILE).write_text(result.render(), encoding="utf-8")
            staging.put(Path(local) / METADATA_FILE, METADATA_FILE)
            staging.put(Path(local) / SUMMARY_FILE, SUMMARY_FILE)
        try:
            data = load_spark_data(spark, staging.path(), with_activation=False)  # the folder must load as written
            data.unpersist()
        except DataError as exc:
            raise DataError(f"nothing written: the imported rows do not make a data folder ({exc.reason})",
                            file=out) from None
        for stale in WRITTEN_FILES:
            if target.exists(stale) and not staging.exists(stale):
                target.remove(stale)  # a file of an earlier import would be read with the new ones
        for kind in [*result.outputs, METADATA_FILE, SUMMARY_FILE]:
            if target.exists(kind):
                target.remove(kind)
            staging.move_into(kind, target)
    finally:
        release()
        if staging.exists():
            staging.remove()
    print(result.render(), end="")
    print(f"wrote {out} (summary in {target.path(SUMMARY_FILE)})")
    return 0
