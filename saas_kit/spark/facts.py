"""The month's facts on Spark (issues 12 and 14): :func:`spark_facts` fills the same
:class:`~saas_kit.facts.model.MonthFacts` as :func:`saas_kit.facts.embedded.embedded_facts`,
frame by frame (same columns, dtypes, order and values; money exact in BIGINT ticks).

Everything that grows with the data runs in Spark and only sums and short lists come
back: the ledger's sums in one pass over the customer-months (:mod:`saas_kit.spark.sums`),
the one-off charges per month and per kind, the subscriptions active in the month per
billing period, the movers of the month with their names, segments and plans, one
count per input file, and the activation counts (:mod:`saas_kit.spark.activation_facts`).
The frames are then built with the embedded engine's own functions and arithmetic.
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from saas_kit.arr import arr_from_mrr
from saas_kit.facts.embedded import ACTIVATION_CHAPTER, movers as embedded_movers, segment_columns
from saas_kit.facts.model import DEFAULT_ACTIVATION_RULE, DataFacts, LedgerFacts, MonthFacts, SegmentFacts
from saas_kit.kpis import monthly_kpi_series
from saas_kit.money import MONTHS_IN_PERIOD, from_ticks
from saas_kit.movements import MOVEMENTS
from saas_kit.mrr import number_to_period, period_to_number
from saas_kit.rates import monthly_rates
from saas_kit.rows import points_from_rows, sorted_rows
import saas_kit.spark.sums as S
from saas_kit.spark.data import SparkData
from saas_kit.spark.ledger import month_of
from saas_kit.spark.reading import TABLE_PREFIX


def spark_facts(data: SparkData, month: pd.Period | str, parameters: dict[str, dict[str, Any]] | None = None,
                activation_rule: str | None = None) -> MonthFacts:
    """Every figure of ``month``'s report from ``data`` (:func:`saas_kit.spark.data.load_spark_data`),
    equal to :func:`saas_kit.facts.embedded.embedded_facts` on the same files;
    ``parameters`` and ``activation_rule`` as there."""
    parameters = parameters or {}
    month = pd.Period(month, freq="M")
    described = data_facts(data)
    ledger = ledger_facts(data, month, segment_columns(parameters, described.customer_columns))
    act = None
    if data.events is not None and data.customers is not None:
        from saas_kit.spark.activation_facts import activation_facts

        chapter = parameters.get(ACTIVATION_CHAPTER)
        rule = activation_rule or (chapter or {}).get("activation_rule") or DEFAULT_ACTIVATION_RULE
        act = activation_facts(data, month, rule, chapter)
    return MonthFacts(month=month, data=described, ledger=ledger, activation=act, engine="spark")


# ----------------------------------------------------------------------------- the data


def folder_name(location: str) -> str:
    """The data location's own name (never its path): the folder's last part, or the
    schema of a ``spark-table:`` location."""
    location = str(location)
    if location.startswith(TABLE_PREFIX):
        return location[len(TABLE_PREFIX):].rstrip(".").rsplit(".", 1)[-1]
    if "://" not in location:
        return Path(location).resolve().name
    return location.rstrip("/").rsplit("/", 1)[-1]


def data_facts(data: SparkData) -> DataFacts:
    """The files read (one count and date span per input, in Spark), the warnings, the
    company figures and which inputs exist (see :func:`saas_kit.facts.embedded.data_facts`)."""
    from saas_kit.spark.files import files_table

    customers = data.inputs.get("customers")
    return DataFacts(
        folder=folder_name(data.location), currency=data.currency, first_month=data.first_month,
        latest_month=data.latest_month, as_of=data.as_of, files=files_table(data),
        warnings=list(data.warnings), company=None if data.company is None else data.company.copy(),
        customer_columns=tuple(customers.source.columns) if customers is not None else (),
        has_subscriptions=data.subscriptions is not None, has_customers=customers is not None, has_charges="charges" in data.inputs,
        has_events="events" in data.inputs)


# ----------------------------------------------------------------------------- the ledger


def ledger_facts(data: SparkData, month: pd.Period, columns: list[str]) -> LedgerFacts:
    """The ledger's figures of ``month`` (see :class:`saas_kit.facts.model.LedgerFacts`)."""
    report = period_to_number(month)
    cm = customer_months_with(data, columns)
    sums = S.ledger_sums(cm, tuple(columns), report, data.mrr_span)
    bridge = monthly_rates(S.bridge(sums))
    bridge = bridge[bridge["month"] <= month].reset_index(drop=True)
    ttm = S.trailing_retention(sums)
    totals = S.mrr_by_month(sums)
    segments = {c: SegmentFacts(column=c, bridge=S.bridge(sums, by=c, column=i),
                                ttm=S.trailing_retention(sums, by=c, column=i)) for i, c in enumerate(columns)}
    split = recurring_one_off(totals, one_off_by_month(data.charges))
    cohorts = S.cohort_long(sums)
    return LedgerFacts(
        bridge=bridge, ttm=ttm, kpi_series=monthly_kpi_series(None, bridge, ttm), mrr_by_month=totals,
        recurring_one_off=split[split["month"] <= month].reset_index(drop=True),
        billing_periods=None if data.subscriptions is None else billing_periods(data.subscriptions, report),
        one_off_by_kind=one_off_by_kind(data.charges, report - 11, report), segments=segments,
        cohorts=cohorts, cohorts_last_month=last_month_with_mrr(sums),
        movers=movers(data, month, sums))


def customer_months_with(data: SparkData, columns: list[str]):
    """The customer-months with the segment ``columns`` attached (those the loader did
    not attach already are joined from the customers, "(unknown)" for a customer
    missing there)."""
    from pyspark.sql import functions as F

    from saas_kit.spark.validation import customer_columns

    cm = data.customer_mrr
    missing = [c for c in columns if c not in data.attributes]
    if missing:
        attrs = customer_columns(data.inputs["customers"], missing)
        cm = cm.join(attrs, "customer_id", "left").select(
            *cm.columns, *[F.coalesce(F.col(f"`{c}`"), F.lit("(unknown)")).alias(c) for c in missing])
    return cm


def last_month_with_mrr(sums: S.LedgerSums) -> pd.Period | None:
    """The latest month up to the report month in which someone has MRR."""
    closing = sums.of(0, 0)
    months = closing.loc[(closing["month"] <= sums.report) & (closing["n"] > 0), "month"]
    return number_to_period(int(months.max())) if len(months) else None


def one_off_by_month(charges) -> pd.Series:
    """Sum of the one-off charges (ticks) per month number, in Spark."""
    from pyspark.sql import functions as F

    if charges is None:
        return pd.Series([], dtype="int64")
    rows = charges.groupBy(month_of(F.col("date_micros")).alias("m")).agg(F.sum("amount_ticks").alias("t")).collect()
    return pd.Series({int(r["m"]): int(r["t"]) for r in rows}, dtype="int64")


def recurring_one_off(totals: pd.Series, one_off: pd.Series) -> pd.DataFrame:
    """:func:`saas_kit.arr.recurring_and_one_off` from the month's total MRR and one-off
    ticks (per month number): the same columns and arithmetic, the one-off sums staying
    integer ticks until they are turned into amounts once."""
    months = totals.index
    ticks = one_off.reindex([period_to_number(m) for m in months], fill_value=0).to_numpy(dtype="int64")
    one_off_amount = from_ticks(ticks)
    mrr = totals.to_numpy(dtype="float64")
    den = mrr + one_off_amount
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(den > 0, one_off_amount / np.where(den > 0, den, 1.0), np.nan)
    return pd.DataFrame({"month": months, "mrr": mrr, "arr": arr_from_mrr(mrr),
                         "one_off": one_off_amount, "one_off_share": share})


def billing_periods(subscriptions, report: int) -> pd.DataFrame:
    """:func:`saas_kit.arr.mrr_by_billing_period` of the report month: the subscriptions
    active at its end counted and summed per billing period in Spark."""
    from pyspark.sql import functions as F

    first = month_of(F.col("start_micros"))
    last = F.when(F.col("end_micros").isNull(), F.lit(report)).otherwise(
        F.least(month_of(F.col("end_micros")) - 1, F.lit(report)))
    rows = (subscriptions.where((first <= report) & (last >= report)).groupBy("months")
            .agg(F.count(F.lit(1)).alias("n"), F.sum("amount_ticks").alias("billed"),
                 F.sum("mrr_ticks").alias("mrr")).collect())
    by_months = {int(r["months"]): r for r in rows}
    out = pd.DataFrame([{"billing_period": p, "subscriptions": int(by_months[m]["n"]) if m in by_months else 0,
                         "billed_t": int(by_months[m]["billed"]) if m in by_months else 0,
                         "mrr_t": int(by_months[m]["mrr"]) if m in by_months else 0}
                        for p, m in MONTHS_IN_PERIOD.items()])
    total = out["mrr_t"].sum()
    out["billed_amount"] = from_ticks(out.pop("billed_t").to_numpy())
    out["mrr"] = from_ticks(out.pop("mrr_t").to_numpy())
    out["arr"] = arr_from_mrr(out["mrr"])
    out["mrr_share"] = out["mrr"] / from_ticks(total) if total > 0 else np.nan
    return out


def one_off_by_kind(charges, lo: int, hi: int) -> pd.DataFrame:
    """:func:`saas_kit.arr.one_off_by_kind` of months ``lo..hi``: charges counted and
    summed per kind in Spark."""
    from pyspark.sql import functions as F

    empty = pd.DataFrame({"kind": pd.Series(dtype="object"), "charges": pd.Series(dtype="int64"),
                          "amount": pd.Series(dtype="float64")})
    if charges is None:
        return empty
    rows = (charges.where(month_of(F.col("date_micros")).between(lo, hi)).groupBy("kind")
            .agg(F.count(F.lit(1)).alias("n"), F.sum("amount_ticks").alias("t")).collect())
    if not rows:
        return empty
    rows = sorted(rows, key=lambda r: r["kind"])
    # built as the embedded function builds it (the kind column's dtype is pandas' inference)
    out = pd.DataFrame({"kind": np.asarray([r["kind"] for r in rows], dtype=object),
                        "charges": np.asarray([r["n"] for r in rows], dtype="int64"),
                        "amount": from_ticks(np.asarray([r["t"] for r in rows], dtype="int64"))})
    return out.sort_values(["amount", "kind"], ascending=[False, True], ignore_index=True)


# ----------------------------------------------------------------------------- who moved


def movers(data: SparkData, month: pd.Period, sums: S.LedgerSums) -> pd.DataFrame:
    """:func:`saas_kit.facts.embedded.movers` of ``month``: the customers whose MRR moved
    come from the ledger pass (one sum record each); their customers.csv rows and their
    subscriptions started by the end of the month are fetched from Spark (a join with
    the movers' ids), and the embedded function builds the list from a ledger of the
    movers alone that has the same movements in ``month``."""
    moved = sums.of(4)
    ids = sorted(moved["group"].unique().tolist())
    ledger = movers_ledger(moved, period_to_number(month))
    positive = ledger[ledger["mrr"] > 0]
    points = points_from_rows(sorted_rows(positive)) if len(positive) else None
    return embedded_movers(SimpleNamespace(mrr_points=lambda: points, customers=_customers_of(data, ids),
                                           subscriptions=_subscriptions_of(data, ids, month)), month)


def movers_ledger(moved: pd.DataFrame, report: int) -> pd.DataFrame:
    """A customer-month frame of the movers whose movements in month ``report`` are
    ``moved`` (one record per mover: ``group`` the id, ``code`` the movement, ``x`` the MRR
    before, ``y`` after, in ticks): new -> a first row in the month; reactivation -> a row
    two months before and one in the month; expansion and contraction -> rows in the month
    before and in the month; churn -> a row in the month before only."""
    rows = []
    for r in moved.itertuples(index=False):
        kind = MOVEMENTS[r.code]
        if kind in ("expansion", "contraction", "churn"):
            rows.append((r.group, report - 1, r.x))
        if kind == "reactivation":
            rows.append((r.group, report - 2, r.y))
        if kind != "churn":
            rows.append((r.group, report, r.y))
    frame = pd.DataFrame(rows, columns=["customer_id", "month", "t"]).sort_values(["customer_id", "month"])
    return pd.DataFrame({"customer_id": frame["customer_id"].to_numpy(dtype=object),
                         "month": number_to_period(frame["month"].to_numpy(dtype="int64")),
                         "mrr": from_ticks(frame["t"].to_numpy(dtype="int64"))})


def _ids_frame(data: SparkData, ids: list[str]):
    return data.customer_mrr.sparkSession.createDataFrame([(i,) for i in ids], "customer_id string")


def _customers_of(data: SparkData, ids: list[str]) -> pd.DataFrame | None:
    """The customers.csv ``name`` and ``segment`` of ``ids`` (what the list shows), as text."""
    from saas_kit.spark.validation import customer_columns

    validated = data.inputs.get("customers")
    if validated is None:
        return None
    columns = [c for c in ("name", "segment") if c in validated.source.columns]
    chosen = customer_columns(validated, columns, _ids_frame(data, ids)).collect() if ids else []
    return pd.DataFrame({c: pd.Series([r[c] for r in chosen], dtype=object) for c in ["customer_id", *columns]})


def _subscriptions_of(data: SparkData, ids: list[str], month: pd.Period) -> pd.DataFrame | None:
    """The movers' subscriptions started by the end of ``month`` (``customer_id``,
    ``start_date``, ``plan``), in file order (the embedded sort is stable); None when the
    ledger is a ready MRR table (no plans)."""
    from pyspark.sql import functions as F

    from saas_kit.spark.activation import micros

    if data.subscriptions is None:
        return None
    rows = data.inputs["subscriptions"].rows
    end = micros((month + 1).start_time)
    order = ["_src_file", "_src_row"] if "_src_row" in rows.columns else ["_src_file", "_src_block", "_src_id"]
    chosen = (rows.where(F.col("__keep") & (F.col("start_micros") < end))
              .join(F.broadcast(_ids_frame(data, ids)), "customer_id", "left_semi")
              .orderBy(*order).select("customer_id", "start_micros", "plan").collect()) if ids else []
    return pd.DataFrame({
        "customer_id": pd.Series([r["customer_id"] for r in chosen], dtype=object),
        "start_date": pd.to_datetime(np.asarray([r["start_micros"] for r in chosen], dtype="int64"), unit="us"),
        "plan": pd.Series([r["plan"] for r in chosen], dtype=object)})
