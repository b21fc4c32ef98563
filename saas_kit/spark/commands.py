"""``saas-kit movements --engine spark`` and ``saas-kit metrics --engine spark``.

Same arguments and the same output as the embedded commands (:mod:`saas_kit.commands`);
the work runs on Spark (``--spark-master``, ``SPARK_REMOTE`` or ``local[*]``, see
:mod:`saas_kit.spark.session`) and only the monthly aggregates come back.
"""
from __future__ import annotations

import argparse
import io
import sys

import pandas as pd

from saas_kit.errors import DataError
from saas_kit.loading import parse_mapping, parse_month_parameter


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    """``--engine`` and ``--spark-master`` (shared by the subcommands that offer Spark)."""
    parser.add_argument("--engine", choices=["embedded", "spark"], default="embedded",
                        help="where the computation runs: in this process (embedded, default) or on Apache Spark "
                             "(needs `pip install -e .[spark]` and Java 17+)")
    parser.add_argument("--spark-master", default=None, metavar="URL",
                        help="Spark master for --engine spark (local[*], spark://host:7077, yarn, sc://host:15002 "
                             "for Spark Connect); default: $SPARK_REMOTE, else $SPARK_MASTER, else local[*]")


def run(args: argparse.Namespace) -> int:
    """Dispatch a subcommand to its Spark implementation."""
    from saas_kit.spark.session import spark_session

    spark = spark_session(getattr(args, "spark_master", None))
    return {"movements": run_movements, "metrics": run_metrics}[args.command](spark, args)


def run_movements(spark, args: argparse.Namespace) -> int:
    from saas_kit.commands import write_movements_csv
    from saas_kit.spark import bridge
    from saas_kit.spark.data import load_subscriptions_file

    through = parse_month_parameter(args.through) if args.through else None
    cm, span = load_subscriptions_file(spark, args.subscriptions_file, parse_mapping(args.map), args.currency,
                                       through=through, as_of=getattr(args, "as_of", None))
    if span is None:
        raise DataError("no subscription is active at any month end: no movements to print",
                        file=str(args.subscriptions_file))
    result = bridge.mrr_movements(cm, last_month=through, span=span)
    text = io.StringIO()
    write_movements_csv(result, text)
    sys.stdout.write(text.getvalue())
    return 0


def run_metrics(spark, args: argparse.Namespace) -> int:
    from saas_kit.spark.analysis import activation_kpis, headline_kpis, month_analysis
    from saas_kit.spark.data import load_spark_data

    data = load_spark_data(spark, args.data_dir, parse_mapping(args.map), args.currency,
                           as_of=getattr(args, "as_of", None))
    month = data.check_month(args.month)
    analysis = month_analysis(data, month, rule=args.activation_rule, magic_moment=False)
    kpis = headline_kpis(analysis, month, style=args.style)
    if analysis.activation:
        kpis = pd.concat([kpis, activation_kpis(analysis, month)[kpis.columns]], ignore_index=True)
    if args.output_format == "csv":
        kpis.drop(columns=["key"]).to_csv(sys.stdout, index=False)
        return 0
    print(f"Headline metrics for {month} ({data.currency}, data {data.first_month} to {data.latest_month})")
    width = max(len(s) for s in kpis["metric"])
    for row in kpis.itertuples(index=False):
        print(f"  {row.metric:<{width}}  {row.value_text:>14}  m/m {row.mom_text:>9}  y/y {row.yoy_text:>9}  {row.band}")
    return 0
