"""The quick-check subcommands: ``saas-kit movements`` and ``saas-kit metrics``."""
from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import pandas as pd

from saas_kit.errors import DataError, ParameterError
from saas_kit.loading import (load_dataset, parse_mapping, parse_month_parameter, read_table, validate_mrr_table,
                               validate_subscriptions)
from saas_kit.metadata import last_complete_month, parse_as_of, read_metadata, today
from saas_kit.movements import mrr_movements, write_movements_csv
from saas_kit.bridge_runs import bridge_from_subscriptions
from saas_kit.mrr import mrr_from_table


def add_movements_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("subscriptions_file", metavar="SUBSCRIPTIONS_FILE",
                        help="subscriptions (or ready monthly mrr) as CSV or Parquet, or a data folder "
                             "(as written by saas-kit import)")
    parser.add_argument("--map", action="append", default=[], metavar="OLD=NEW",
                        help="rename an export column to the canonical name (repeatable), e.g. monthly_amount=amount")
    parser.add_argument("--currency", default=None, help="currency of the amounts when the file has no currency column")
    parser.add_argument("--through", default=None, metavar="YYYY-MM",
                        help="last month to report (default: the last complete month before the as-of date)")
    _add_as_of_argument(parser)
    _add_engine(parser)

def _add_as_of_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as-of", default=None, metavar="YYYY-MM-DD", dest="as_of",
                        help="when the export was taken: only months complete before it are shown and nothing "
                             "dated after it counts (default: the folder's dataset.yml, else today)")

def run_movements(args: argparse.Namespace) -> int:
    """Print the MRR bridge as CSV, one row per month (amounts in currency units; exact:
    whole numbers print as such, fractions of a unit with up to 4 decimals)."""
    if getattr(args, "engine", "embedded") == "spark":
        return _run_on_spark(args)
    mapping = parse_mapping(args.map)
    through = parse_month_parameter(args.through) if args.through else None
    path = Path(args.subscriptions_file)
    if path.is_dir():
        dataset = load_dataset(path, mapping, args.currency, as_of=getattr(args, "as_of", None),
                               require_currency=False)
        last = dataset.latest_month
        if dataset.subscriptions is not None:  # the bridge from the change points, as for a single file
            customer_mrr = None
            bridge = bridge_from_subscriptions(dataset.subscriptions, last,
                                               through if through is not None and through <= last else None)
        else:
            customer_mrr = dataset.customer_mrr
    else:
        # a file inside a data folder takes that folder's dataset.yml (as-of date, currency)
        metadata = read_metadata(path.parent) if path.is_file() else {}
        as_of = parse_as_of(getattr(args, "as_of", None)) or metadata.get("as_of") or today()
        last = last_complete_month(as_of)
        raw = read_table(path, "subscriptions", mapping, text_codes=True) if _is_subscriptions(path, mapping) else None
        if raw is not None:
            subs, _, _ = validate_subscriptions(raw, str(path), args.currency, overlaps=False)  # no warnings shown
            del raw
            customer_mrr = None  # the bridge comes straight from the subscriptions (saas_kit.bridge_runs)
            bridge = bridge_from_subscriptions(subs, last, through if through is not None and through <= last else None)
            empty = bridge is None
        else:
            table, _, _ = validate_mrr_table(read_table(path, "mrr", mapping), str(path), args.currency)
            customer_mrr = mrr_from_table(table[table["month"] <= last])
            empty = customer_mrr.empty
        if empty:
            raise DataError(f"no subscription is active at any month end up to {last}, the last complete month "
                            f"before the as-of date {as_of.date()}: no movements to print", file=str(path))
    through = _checked_through(through, last)
    if customer_mrr is not None:
        bridge = mrr_movements(customer_mrr, last_month=through if through is not None else last)
    text = io.StringIO()
    write_movements_csv(bridge, text)
    sys.stdout.write(text.getvalue())  # all or nothing: no half-printed table on an error
    return 0


def _checked_through(through: pd.Period | None, last: pd.Period) -> pd.Period | None:
    if through is not None and through > last:
        raise ParameterError(f"--through {through} is after {last}, the last complete month before the as-of "
                             "date (give a later --as-of if the export is newer)")
    return through


def _is_subscriptions(path: Path, mapping: dict[str, str]) -> bool:
    """A file whose header (after mapping) has ``month`` and ``mrr`` but no
    ``start_date`` is a ready MRR table; anything else is read as subscriptions."""
    if path.suffix.lower() in (".parquet", ".pq") or not path.is_file():
        return True
    head = path.read_bytes()[:4096]
    for encoding in ("utf-8-sig", "cp932", "utf-16"):
        try:
            first_line = head.decode(encoding).splitlines()[0] if head else ""
            break
        except (UnicodeDecodeError, IndexError):
            continue
    else:
        return True  # read_table reports the encoding problem
    cols = {mapping.get(c.strip(), c.strip()) for c in first_line.split(",")}
    return not ({"month", "mrr"} <= cols and "start_date" not in cols)

def add_metrics_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data_dir", metavar="DATA_DIR", help="folder with subscriptions.csv and the optional files")
    parser.add_argument("--month", default=None, metavar="YYYY-MM",
                        help="report month (default: the last complete month before the as-of date)")
    parser.add_argument("--map", action="append", default=[], metavar="OLD=NEW", help="column mapping (repeatable)")
    parser.add_argument("--currency", default=None, metavar="CODE",
                        help="ISO currency of the amounts when neither the data nor dataset.yml gives one")
    parser.add_argument("--style", choices=["en", "ja"], default="en", help="number style")
    parser.add_argument("--format", choices=["text", "csv"], default="text", dest="output_format")
    parser.add_argument("--activation-rule", default="invite_teammate>=3@14d", metavar="EVENT>=N@Dd",
                        help="activation rule for the activation rate (needs events); default %(default)s")
    parser.add_argument("--tables", default=None, metavar="OUT_DIR",
                        help="also write the month's ledger tables (bridge, twelve-month retention, MRR by month, "
                             "one-off charges, segments, cohorts, who moved) as CSV files into OUT_DIR")
    parser.add_argument("--activation", action="store_true",
                        help="also compute the activation chapter's figures for --activation-rule (retention by "
                             "activation, the magic-moment search, the onboarding funnel, time to first value, early "
                             "churn; the chapter's other defaults); with --tables they are written as activation_*.csv "
                             "(needs events and customers)")
    _add_as_of_argument(parser)
    _add_engine(parser)

def run_metrics(args: argparse.Namespace) -> int:
    """Print the month's headline metrics with the change on the previous month and a
    year ago and the benchmark band of each."""
    from saas_kit.analysis import build_analysis_from_facts, metrics_chapters, month_facts

    if getattr(args, "engine", "embedded") == "spark":
        return _run_on_spark(args)
    dataset = load_dataset(args.data_dir, parse_mapping(args.map), args.currency, as_of=args.as_of)
    parameters = metrics_chapters(getattr(args, "activation", False), dataset.events is not None
                                  and dataset.customers is not None, args.activation_rule, args.data_dir)
    facts = month_facts(dataset, args.month, parameters, args.activation_rule)  # once: the tables and the KPIs
    if getattr(args, "tables", None):
        from saas_kit.facts.tables import write_facts_tables

        write_facts_tables(facts, args.tables)
    analysis = build_analysis_from_facts(facts, args.style, chapters={}, activation_rule=args.activation_rule)
    month, kpis = analysis.month, analysis.kpis
    if args.output_format == "csv":
        kpis.drop(columns=["key"]).to_csv(sys.stdout, index=False)
        return 0
    print(f"Headline metrics for {month} ({dataset.currency}, data {dataset.first_month} to {dataset.latest_month}, "
          f"as of {dataset.as_of.date()})")
    width = max(len(s) for s in kpis["metric"])
    for row in kpis.itertuples(index=False):
        print(f"  {row.metric:<{width}}  {row.value_text:>14}  m/m {row.mom_text:>9}  y/y {row.yoy_text:>9}  {row.band}")
    for w in dataset.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return 0

def _add_engine(parser: argparse.ArgumentParser) -> None:
    from saas_kit.spark.session import add_engine_arguments  # no PySpark import
    add_engine_arguments(parser)

def _run_on_spark(args: argparse.Namespace) -> int:
    from saas_kit.spark.commands import run  # imports PySpark only now
    return run(args)
