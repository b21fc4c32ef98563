"""``saas-kit movements``, ``metrics`` and ``report`` with ``--engine spark``.

Same arguments and the same output as the embedded commands (:mod:`saas_kit.commands`,
:mod:`saas_kit.report`); the work runs on Spark (``--spark-master``, ``SPARK_REMOTE`` or
``local[*]``, see :mod:`saas_kit.spark.session`) and only the month's facts come back:
the report words them exactly as it words the embedded engine's.
"""
from __future__ import annotations

import argparse
import io
import sys

import pandas as pd

from saas_kit.loading import parse_mapping, parse_month_parameter


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
    from saas_kit.spark.data import ledger_months

    through = parse_month_parameter(args.through) if args.through else None
    months = ledger_months(spark, args.subscriptions_file, parse_mapping(args.map), args.currency,
                           through=through, as_of=getattr(args, "as_of", None))
    if months.span is None:
        raise months.nothing_error()
    span = months.span
    result = sums.bridge(sums.ledger_sums(months.customer_mrr, (), span[1], span, bridge_only=True))
    text = io.StringIO()
    write_movements_csv(result, text)
    sys.stdout.write(text.getvalue())
    return 0


def run_metrics(spark, args: argparse.Namespace) -> int:
    """The embedded ``metrics`` command's output from the month's facts on Spark
    (:func:`saas_kit.spark.facts.spark_facts`, with the parameters the embedded command
    uses: no chapter, the overview's activation rule); ``--tables`` writes its ledger tables."""
    from saas_kit.analysis import build_analysis_from_facts
    from saas_kit.spark.data import load_spark_data
    from saas_kit.spark.facts import spark_facts

    data = load_spark_data(spark, args.data_dir, parse_mapping(args.map), args.currency,
                           as_of=getattr(args, "as_of", None))
    month = data.check_month(args.month)
    from saas_kit.analysis import metrics_chapters

    parameters = metrics_chapters(getattr(args, "activation", False), data.events is not None
                                  and data.customers is not None, args.activation_rule, args.data_dir)
    facts = spark_facts(data, month, parameters, args.activation_rule)
    if getattr(args, "tables", None):
        from saas_kit.facts.tables import write_facts_tables

        write_facts_tables(facts, args.tables)
    kpis = build_analysis_from_facts(facts, args.style, chapters={}, activation_rule=args.activation_rule).kpis
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


# ----------------------------------------------------------------------------- saas-kit report --engine spark


def load_for_report(location: str, mapping, currency: str | None, as_of, master: str | None = None):
    """The report's data on Spark (``saas-kit report --engine spark``): the session
    (:func:`saas_kit.spark.session.spark_session`) and the validated data location, with
    the loader's arguments as ``load_dataset`` takes them."""
    from saas_kit.spark.data import load_spark_data
    from saas_kit.spark.session import spark_session

    spark = spark_session(master)
    return load_spark_data(spark, location, parse_mapping(mapping), currency, as_of=as_of)


def report_facts(data, month, chapters: dict[str, dict]):
    """The month's facts for the report's ``chapters`` (chapter -> parameters, as
    :func:`saas_kit.analysis.build_editions_analysis` takes them), computed on Spark; the
    persisted frames are released afterwards (the notebooks read only the facts)."""
    from saas_kit.analysis import chapter_parameters, overview_rule
    from saas_kit.spark.facts import spark_facts

    parameters = chapter_parameters(chapters)
    try:
        return spark_facts(data, data.check_month(month), parameters, overview_rule(parameters))
    finally:
        data.unpersist()
