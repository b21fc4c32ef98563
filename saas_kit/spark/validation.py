"""Validation of the canonical inputs in Spark, with the embedded loader's rules and words.

Each validator turns a :class:`~saas_kit.spark.reading.SparkSource` into a
:class:`Validated` input: its typed rows (persisted, with their origin and warning
bits) after **one pass** over the data (:class:`saas_kit.spark.parsing.Parsing`). The
first check that fails, in the embedded loader's order (column by column, then check
by check), raises :class:`~saas_kit.errors.DataError` with the same message, the file
and the row.

Parsing follows the embedded loader exactly: dates ``YYYY-MM-DD`` / ``YYYY/M/D`` /
``YYYY年M月D日`` with an optional time (a UTC offset is dropped), dates before 1990 and
more than a year after today rejected, end dates from 2100 on meaning "still active";
amounts plain decimal numbers, non-negative and at most 10^12, turned into ticks by
``rint(amount × 1200)`` on the same IEEE doubles as :func:`saas_kit.money.to_ticks`;
total rows of a spreadsheet (customer id 合計, Total, ...) set aside; the months of a
ready MRR table ``YYYY-MM`` (or a date, or ``YYYY年M月``), from 1990 to the current month.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from saas_kit.errors import DataError
from saas_kit.loading import BILLING_PERIODS, MAX_AMOUNT, currency_parameter
from saas_kit.loading.schema import TOTAL_LABELS
from saas_kit.money import MONTHS_IN_PERIOD, TICKS_PER_UNIT
from saas_kit.spark.parsing import (DAY_MICROS, WHITESPACE, Parsing, duplicates_interlude, parse_amounts,
                                    parse_dates, parse_ids, parse_months, text_of)
from saas_kit.spark.reading import SparkSource, locate

CURRENCY_RE = r"^[A-Z]{3}$"


def _F():
    from pyspark.sql import functions as F
    return F


@dataclass
class Validated:
    """One validated input: ``rows`` are every typed row with its origin (``_src_*``),
    its warning bits (``__warn``, names in ``flags``) and ``__keep`` (false for total
    rows); :attr:`frame` the rows the engine uses, with the output columns only."""

    source: SparkSource
    rows: object
    outputs: tuple[str, ...]
    flags: tuple[str, ...] = ()
    currency: str | None = None
    #: (rows read, rows kept: all but total rows)
    counts: tuple[int, int] = (0, 0)
    #: warning flag -> rows flagged (counted in the validation pass)
    flag_counts: dict | None = None
    #: the persisted frame ``rows`` is a projection of, when rows were marked after the
    #: pass (:func:`saas_kit.spark.mrr_table.set_aside`); None: ``rows`` itself
    persisted: object | None = None

    def flagged(self, name: str) -> int:
        return (self.flag_counts or {}).get(name, 0)

    @property
    def frame(self):
        F = _F()
        return self.rows.where(F.col("__keep")).select(*self.outputs)

    def unpersist(self) -> None:
        (self.persisted if self.persisted is not None else self.rows).unpersist()


def _day(micros) -> str:
    return str((pd.Timestamp(0) + pd.Timedelta(microseconds=int(micros))).date())


def _floor_day(col):
    F = _F()
    return F.floor(col / DAY_MICROS).cast("long") * DAY_MICROS


#: Every character a total label can be written with (lower case), separators and white space.
LABEL_CHARS = "".join(sorted({ch for label in TOTAL_LABELS for ch in label} | set(":：-" + WHITESPACE)
                             | {chr(c) for c in range(0x1C, 0x20)}))


def is_total_label(ids):
    """True where a customer id is a spreadsheet's total label (the embedded
    :func:`saas_kit.loading.validate.is_total_label`: separators folded to one space,
    trimmed, lower case, also without spaces). Only ids made of a label's characters
    (a character mapping, no pattern) are looked at further, as the embedded loader does."""
    F = _F()
    candidate = F.translate(F.lower(ids), LABEL_CHARS, "") == ""
    folded = F.lower(F.trim(F.regexp_replace(ids, r"(?U)[\s:：]+", " ")))
    labels = sorted(TOTAL_LABELS)
    return F.when(candidate & (F.length(ids) <= 40),
                  folded.isin(labels) | F.regexp_replace(folded, " ", "").isin(labels)).otherwise(F.lit(False))


def validate_subscriptions(source: SparkSource, currency: str | None = None) -> Validated:
    """Subscriptions (metrics.md §1) -> typed rows ``customer_id``, ``start_micros``,
    ``end_micros`` (null = open), ``amount_ticks``, ``months``, ``mrr_ticks``, ``plan``.

    ``mrr_ticks = (2·amount_ticks + months) div (2·months)``, the embedded
    :func:`saas_kit.mrr.subscription_mrr_ticks` (exact for prices with two decimals)."""
    F = _F()
    p = Parsing(source)
    cols = p.columns
    customer = parse_ids(p, "customer_id")
    outputs = {"customer_id": customer}
    if "subscription_id" in cols:
        sub_ids = parse_ids(p, "subscription_id")
        outputs["__dup"] = duplicates_interlude(p, sub_ids, "subscription_id", "subscription id")
        # the hash of an id of digits' number, for ids equal as numbers ("007", "7"): a warning
        outputs["__zero"] = F.when(sub_ids.rlike("^[0-9]+$"), F.xxhash64(F.regexp_replace(sub_ids, "^0+(?=.)", "")))
    start, _ = parse_dates(p, "start_date")
    (start_day,) = p.stage(start_day=_floor_day(start))
    if "end_date" in cols:
        end, _ = parse_dates(p, "end_date", required=False, end_date=True)
        (end_day,) = p.stage(end_day=_floor_day(end))
        p.check("end_date", end_day.isNotNull() & start.isNotNull() & (end_day < start_day),
                F.struct(end_day.alias("end"), start_day.alias("start")),
                lambda v: f"end_date {_day(v['end'])} is before start_date {_day(v['start'])}")
        p.flags["zero_length"] = end_day.isNotNull() & (end_day == start_day)
    else:
        end_day = F.lit(None).cast("long")
    amount = parse_amounts(p, "amount")
    if "billing_period" in cols:
        (raw,) = p.stage(period_text=F.lower(text_of(p.frame, "billing_period")))
        mapping = F.create_map(*[F.lit(x) for kv in BILLING_PERIODS.items() for x in kv])
        (period,) = p.stage(period=F.element_at(mapping, F.when(raw == "", F.lit("month")).otherwise(raw)))
        p.check("billing_period", period.isNull(), raw,
                lambda v: f"unknown billing period {v[:40]!r} (use month, quarter or year)")
    else:
        period = F.lit("month")
    months = F.element_at(F.create_map(*[F.lit(x) for kv in MONTHS_IN_PERIOD.items() for x in kv]), period)
    code_col, expected = _currency_checks(p, currency)
    amount_ticks, months_col, total = p.stage(amount_ticks=F.rint(amount * TICKS_PER_UNIT).cast("long"),
                                              months=months.cast("long"), total=is_total_label(customer))
    ticks = amount * TICKS_PER_UNIT
    p.flags["total_row"] = total
    p.flags["sub_cent_amounts"] = ~total & (F.abs(ticks - F.rint(ticks)) > 1e-3)
    p.flags["zero_amount"] = ~total & (amount == 0)
    outputs.update({
        "start_micros": start_day, "end_micros": end_day, "amount_ticks": amount_ticks, "months": months_col,
        "mrr_ticks": F.expr("(2 * {a} + {m}) div (2 * {m})".format(a=p.names["amount_ticks"], m=p.names["months"])),
        "plan": text_of(p.frame, "plan") if "plan" in cols else F.lit(""),
    })
    if code_col is not None:
        outputs["__cur"] = code_col
    rows = p.finish(outputs, keep=~total)
    code = _check_mixed(p, rows, code_col is not None, expected)
    return Validated(source, rows, ("customer_id", "start_micros", "end_micros", "amount_ticks", "months",
                                    "mrr_ticks", "plan"), tuple(p.flags), code, p.counts,
                     p.flag_counts)


def validate_mrr_table(source: SparkSource, currency: str | None = None) -> Validated:
    """A ready monthly MRR table (metrics.md §1 ``mrr``) -> typed rows ``customer_id``,
    ``month`` (month number), ``mrr`` (the double read) and ``mrr_ticks`` (BIGINT,
    ``rint(mrr × 1200)`` as :func:`saas_kit.money.to_ticks`), with the checks of the
    embedded :func:`saas_kit.loading.validate.validate_mrr_table` in its order: the ids,
    the months, the amounts (words "mrr is missing", "negative mrr ..."), the currency.

    Rows whose customer id is a total label are set aside (``__keep`` false, flag
    ``total_row``); a customer whose MRR equals the sum of the others' in each of its
    months, and duplicate customer-months, need every row and are found after this pass
    (:mod:`saas_kit.spark.mrr_table`)."""
    F = _F()
    p = Parsing(source)
    customer = parse_ids(p, "customer_id")
    month = parse_months(p, "month")
    mrr = parse_amounts(p, "mrr", what="mrr")
    code_col, expected = _currency_checks(p, currency)
    in_range = F.abs(mrr) <= MAX_AMOUNT  # larger values fail a check: no cast overflows meanwhile
    ticks, total = p.stage(mrr_ticks=F.when(in_range, F.rint(mrr * TICKS_PER_UNIT).cast("long")),
                           total=is_total_label(customer))
    p.flags["total_row"] = total
    outputs = {"customer_id": customer, "month": month, "mrr": mrr, "mrr_ticks": ticks}
    if code_col is not None:
        outputs["__cur"] = code_col
    rows = p.finish(outputs, keep=~total)
    code = _check_mixed(p, rows, code_col is not None, expected)
    return Validated(source, rows, ("customer_id", "month", "mrr", "mrr_ticks"), tuple(p.flags), code, p.counts,
                     p.flag_counts)


def _currency_checks(p: Parsing, currency: str | None):
    F = _F()
    expected = currency_parameter(currency)
    if "currency" not in p.columns:
        return None, expected
    (codes,) = p.stage(currency=F.upper(text_of(p.frame, "currency")))
    p.check("currency", (codes != "") & ~codes.rlike(CURRENCY_RE), codes,
            lambda v: f"currency {v[:20]!r} is not a 3-letter ISO code such as JPY")
    return codes, expected


def _check_mixed(p: Parsing, rows, has_codes: bool, expected: str | None) -> str | None:
    """The embedded ``parse_currency_column``'s second half: the expected code (the
    parameter, else the first given code) and the first row in another currency."""
    if not has_codes:
        return expected
    F = _F()
    distinct = [r[0] for r in rows.where(F.col("__cur") != "").select("__cur").distinct().collect()]
    if not distinct or (expected is not None and distinct == [expected]):
        return expected
    origin = p.order
    given = rows.where(F.col("__cur") != "")
    if expected is None:
        expected = given.orderBy(*origin).select("__cur").limit(1).collect()[0][0]
        if distinct == [expected]:
            return expected
    bad = given.where(F.col("__cur") != expected).orderBy(*origin).limit(1).collect()[0].asDict()
    file, row = locate(p.source, bad)
    raise DataError(f"mixed currencies: {bad['__cur']} where the data is in {expected} "
                    f"(convert to one currency before loading)", file=file, row=row, column="currency")


def validate_customers(source: SparkSource, attributes: tuple[str, ...] = ()) -> Validated:
    """Customers: ``customer_id`` (unique), ``signup_micros`` (day, null when absent),
    ``segment`` (blank -> "(unknown)") and the other columns of ``attributes`` as text
    (any other column is read from the source when asked for, :func:`customer_columns`)."""
    F = _F()
    p = Parsing(source)
    ids = parse_ids(p, "customer_id")
    outputs = {"customer_id": ids, "__dup": duplicates_interlude(p, ids, "customer_id", "customer id")}
    if "signup_date" in p.columns:
        signup, _ = parse_dates(p, "signup_date", required=False)
        outputs["signup_micros"] = _floor_day(signup)
    else:
        outputs["signup_micros"] = F.lit(None).cast("long")
    if "segment" in p.columns:
        seg = text_of(p.frame, "segment")
        outputs["segment"] = F.when(seg == "", F.lit("(unknown)")).otherwise(seg)
    for c in attributes:
        if c in p.columns and c not in outputs and c != "signup_date":
            outputs[c] = F.col(f"`{c}`").cast("string")
    rows = p.finish(outputs)
    names = tuple(n for n in outputs if not n.startswith("__"))
    return Validated(source, rows, names, tuple(p.flags), counts=p.counts, flag_counts=p.flag_counts)


def customer_columns(validated: Validated, columns: list[str], ids=None):
    """``customer_id`` and ``columns`` of customers.csv (those the typed rows keep, the
    others read from the source as text), of the customers in ``ids`` (a frame of
    ``customer_id``) or of all."""
    F = _F()
    kept = [c for c in columns if c in validated.outputs]
    frame = validated.frame.select("customer_id", *[F.col(f"`{c}`") for c in kept])
    if ids is not None:
        frame = frame.join(F.broadcast(ids), "customer_id", "left_semi")
    other = [c for c in columns if c not in validated.outputs and c in validated.source.columns]
    if other:
        raw = validated.source.frame.select(text_of(validated.source.frame, "customer_id").alias("customer_id"),
                                            *[F.col(f"`{c}`").cast("string").alias(c) for c in other])
        frame = frame.join(raw if ids is None else raw.join(F.broadcast(ids), "customer_id", "left_semi"),
                           "customer_id", "left")
    return frame.select("customer_id", *[F.col(f"`{c}`") for c in columns if c in frame.columns])


def validate_charges(source: SparkSource, currency: str | None = None) -> Validated:
    """One-off charges: ``customer_id``, ``date_micros`` (day), ``amount_ticks``, ``kind``
    (blank -> "one-off"); never part of MRR (seed 001)."""
    F = _F()
    p = Parsing(source)
    ids = parse_ids(p, "customer_id")
    date, _ = parse_dates(p, "date")
    amount = parse_amounts(p, "amount")
    if "kind" in p.columns:
        kind = text_of(p.frame, "kind")
        kind = F.when(kind == "", F.lit("one-off")).otherwise(kind)
    else:
        kind = F.lit("one-off")
    code_col, expected = _currency_checks(p, currency)
    outputs = {"customer_id": ids, "date_micros": _floor_day(date),
               "amount_ticks": F.rint(amount * TICKS_PER_UNIT).cast("long"), "kind": kind}
    if code_col is not None:
        outputs["__cur"] = code_col
    rows = p.finish(outputs)
    _check_mixed(p, rows, code_col is not None, expected)
    return Validated(source, rows, ("customer_id", "date_micros", "amount_ticks", "kind"), tuple(p.flags),
                     counts=p.counts, flag_counts=p.flag_counts)


def validate_events(source: SparkSource) -> Validated:
    """Events: ``customer_id``, ``event`` (non-blank), ``ts_micros`` (with time)."""
    F = _F()
    p = Parsing(source)
    ids = parse_ids(p, "customer_id")
    (event,) = p.stage(event=text_of(p.frame, "event"))
    p.check("event", event == "", F.lit(""), lambda v: "event name is missing")
    ts, _ = parse_dates(p, "timestamp")
    rows = p.finish({"customer_id": ids, "event": event, "ts_micros": ts})
    return Validated(source, rows, ("customer_id", "event", "ts_micros"), tuple(p.flags), counts=p.counts,
                     flag_counts=p.flag_counts)
