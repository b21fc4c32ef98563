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


def asked_segment_columns(parameters: dict[str, dict]) -> tuple[str, ...]:
    """The ``segment_column`` of every chapter that has one, once each (the loader attaches
    those customers.csv has to the customer-months)."""
    return tuple(dict.fromkeys(p["segment_column"] for p in parameters.values() if p.get("segment_column")))


def run(args: argparse.Namespace) -> int:
    """Dispatch a subcommand to its Spark implementation."""
    from saas_kit.spark.session import spark_session

    spark = spark_session(getattr(args, "spark_master", None))
    return {"movements": run_movements, "metrics": run_metrics}[args.command](spark, args)


def run_movements(spark, args: argparse.Namespace) -> int:
    """The MRR bridge as the embedded command prints it, from the bridge sums of one pass
    over the customer-months (:func:`saas_kit.spark.sums.ledger_sums`)."""
    from saas_kit.movements import write_movements_csv
    import saas_kit.spark.sums as sums
    from saas_kit.spark.data import load_subscriptions_file

    through = parse_month_parameter(args.through) if args.through else None
    cm, span = load_subscriptions_file(spark, args.subscriptions_file, parse_mapping(args.map), args.currency,
                                       through=through, as_of=getattr(args, "as_of", None))
    if span is None:
        raise DataError("no subscription is active at any month end: no movements to print",
                        file=str(args.subscriptions_file))
    result = sums.bridge(sums.ledger_sums(cm, (), span[1], span, bridge_only=True))
    text = io.StringIO()
    write_movements_csv(result, text)
    sys.stdout.write(text.getvalue())
    return 0


def run_metrics(spark, args: argparse.Namespace) -> int:
    """The embedded ``metrics`` command's output from the month's facts on Spark
    (:func:`saas_kit.spark.facts.spark_facts`); ``--tables`` writes its ledger tables."""
    from saas_kit.analysis import chapter_defaults
    from saas_kit.facts.embedded import ACTIVATION_CHAPTER
    from saas_kit.pages import CHAPTERS
    from saas_kit.kpis import activation_kpi_row, headline_kpis
    from saas_kit.spark.data import load_spark_data
    from saas_kit.spark.facts import spark_facts

    # the parameters of embedded ``metrics --tables``: every ledger chapter's defaults
    parameters = {name: chapter_defaults(name) for name in CHAPTERS if name != ACTIVATION_CHAPTER}
    data = load_spark_data(spark, args.data_dir, parse_mapping(args.map), args.currency,
                           as_of=getattr(args, "as_of", None), attributes=asked_segment_columns(parameters))
    month = data.check_month(args.month)
    facts = spark_facts(data, month, parameters, args.activation_rule)
    kpis = headline_kpis(pd.DataFrame(), month, data.currency, args.style, series=facts.ledger.kpi_series)
    if facts.activation is not None:
        row = activation_kpi_row(facts.activation.kpi_by_cohort, month, args.activation_rule, args.style)
        kpis = pd.concat([kpis, row[kpis.columns]], ignore_index=True)
    if getattr(args, "tables", None):
        from saas_kit.facts.tables import write_facts_tables

        write_facts_tables(facts, args.tables)
    if args.output_format == "csv":
        kpis.drop(columns=["key"]).to_csv(sys.stdout, index=False)
        return 0
    print(f"Headline metrics for {month} ({data.currency}, data {data.first_month} to {data.latest_month}, "
          f"as of {data.as_of.date()})")
    width = max(len(s) for s in kpis["metric"])
    for row in kpis.itertuples(index=False):
        print(f"  {row.metric:<{width}}  {row.value_text:>14}  m/m {row.mom_text:>9}  y/y {row.yoy_text:>9}  {row.band}")
    for w in data.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return 0
