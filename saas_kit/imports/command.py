"""The ``saas-kit import`` subcommand (metrics.md §8)."""
from __future__ import annotations

import argparse
from pathlib import Path

from saas_kit.errors import ParameterError
from saas_kit.imports import FORMATS
from saas_kit.imports.summary import CANONICAL_FILES, SUMMARY_FILE, ImportResult, check_out_folder, write_folder
from saas_kit.loading import parse_mapping
from saas_kit.metadata import parse_as_of, today


def add_import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("format", metavar="FORMAT", choices=list(FORMATS),
                        help="; ".join(f"{name}: {text}" for name, (_, text) in FORMATS.items()))
    parser.add_argument("exports", metavar="EXPORT", nargs="+", help="the export file(s), CSV or Parquet")
    parser.add_argument("--out", required=True, metavar="DIR", help="data folder to write")
    parser.add_argument("--as-of", default=None, metavar="YYYY-MM-DD", dest="as_of",
                        help="when the export was taken (default: today; for mrr-matrix the day after its last "
                             "month)")
    parser.add_argument("--currency", default=None, metavar="CODE",
                        help="ISO currency when the export has no currency column")
    parser.add_argument("--map", action="append", default=[], metavar="OLD=NEW",
                        help="rename an export column before it is read (repeatable)")
    parser.add_argument("--amounts", choices=("minor", "major"), default=None,
                        help="amount unit: minor (cents; whole yen) or major (49.00); default per format")
    parser.add_argument("--force", action="store_true", help="replace the files of an earlier import in DIR")
    from saas_kit.spark.session import add_engine_arguments

    add_engine_arguments(parser)


def run_import(args: argparse.Namespace) -> int:
    """Import, print the summary, write the folder (all or nothing)."""
    importer, _ = FORMATS[args.format]
    out = Path(args.out)
    if getattr(args, "engine", "embedded") != "spark":
        check_out_folder(out, args.force)  # before any work (the Spark import checks its folder on Spark's file system)
    written = {(out / name).resolve() for name in CANONICAL_FILES}
    for path in args.exports:
        if Path(path).resolve() in written:
            raise ParameterError(f"the import would overwrite its own export {path}: write the data folder elsewhere")
    as_of = parse_as_of(args.as_of)
    source = "given with --as-of" if as_of is not None else "today, the default; pass --as-of with the export's date"
    if as_of is None and args.format != "mrr-matrix":
        as_of = today()
    result = ImportResult(format=args.format, files=[Path(p).name for p in args.exports],
                          currency=(args.currency or "").strip().upper() or None, as_of=as_of,
                          as_of_source=source, rows_read=0, rows_kept=0, frames={})
    if getattr(args, "engine", "embedded") == "spark":
        from saas_kit.spark.imports import run_spark_import

        return run_spark_import(args, result, args.out)
    importer(args.exports, parse_mapping(args.map), result, args.amounts)
    write_folder(result, out, force=args.force)
    print(result.render(), end="")
    print(f"wrote {out} (summary in {out / SUMMARY_FILE})")
    return 0
