"""Validation of the canonical inputs in Spark, with the embedded loader's rules and words.

Each validator turns a :class:`~saas_kit.spark.reading.SparkSource` into typed columns
and checks them in **one pass** over the data: every check of the embedded loader
(:mod:`saas_kit.loading`) becomes a boolean Spark expression, and one aggregation finds
the first bad row of each. The first check that fails, in the embedded loader's order
(column by column, then check by check), raises :class:`~saas_kit.errors.DataError`
with the same message, the file and the row (located only then, see
:func:`saas_kit.spark.reading.locate`). Suspicious-but-usable findings (the embedded
loader's warnings) are not recomputed here.

Parsing follows the embedded loader exactly: dates ``YYYY-MM-DD`` / ``YYYY/M/D`` /
``YYYY年M月D日`` with an optional time (a UTC offset is dropped), dates before 1990 and
more than a year after today rejected, end dates from 2100 on meaning "still active";
amounts plain decimal numbers, non-negative and at most 10^12, turned into ticks by
``rint(amount × 1200)`` on the same IEEE doubles as :func:`saas_kit.money.to_ticks`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd

from saas_kit.errors import DataError, ParameterError
from saas_kit.loading import (BILLING_PERIODS, EARLIEST_DATE, FUTURE_TOLERANCE, LATEST_DATE, MAX_AMOUNT,
                              _currency_parameter)
from saas_kit.money import MONTHS_IN_PERIOD, TICKS_PER_UNIT
from saas_kit.spark.reading import SparkSource, locate

# The embedded loader's patterns in Java regex syntax (same groups, ASCII digits).
DATE_RE = (r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
           r"(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
           r"\s*(?:Z|UTC|[+-]\d{2}(?::?\d{2})?)?$")
NUMBER_RE = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
CURRENCY_RE = r"^[A-Z]{3}$"
DAY_MICROS = 86_400 * 10**6


@dataclass
class Check:
    """One rule: rows where ``bad`` holds fail with ``message(value)`` in ``column``."""

    column: str
    bad: object            # Column
    value: object          # Column whose first bad value goes into the message
    message: Callable[[object], str]


def _F():
    from pyspark.sql import functions as F
    return F


def text_of(frame, column: str):
    """Cells as trimmed text, like the embedded ``_text``: whole numbers without '.0',
    missing values as ''."""
    F = _F()
    from pyspark.sql.types import NumericType, StringType

    dtype = frame.schema[column].dataType
    col = F.col(f"`{column}`")
    if isinstance(dtype, StringType):
        text = col
    elif isinstance(dtype, NumericType):
        whole = col == F.floor(col)
        text = F.when(whole, F.floor(col).cast("string")).otherwise(col.cast("string"))
    else:
        text = col.cast("string")
    return F.coalesce(F.regexp_replace(text, r"(?U)^\s+|\s+$", ""), F.lit(""))


def _is_typed_time(frame, column: str) -> bool:
    from pyspark.sql.types import DateType, TimestampNTZType, TimestampType

    return isinstance(frame.schema[column].dataType, (DateType, TimestampType, TimestampNTZType))


def parse_dates(frame, column: str, checks: list[Check], *, required: bool = True, end_date: bool = False):
    """(micros since 1970 as wall-clock UTC, or null) of a date column, adding the embedded
    ``parse_dates`` checks in its order: unreadable, impossible, missing, before 1990,
    far future (not for end dates)."""
    F = _F()
    col = F.col(f"`{column}`")
    if _is_typed_time(frame, column):
        micros = F.unix_micros(col.cast("timestamp"))
        year = F.year(col)
        blank = col.isNull()
        text = col.cast("string")
    else:
        text = text_of(frame, column)
        blank = text == ""
        matched = text.rlike(DATE_RE)
        part = [F.regexp_extract(text, DATE_RE, i) for i in range(1, 8)]
        num = [F.when(p != "", p.cast("int")) for p in part[:6]]
        year, month, day = num[0], num[1], num[2]
        hour, minute, second = (F.coalesce(n, F.lit(0)) for n in num[3:6])
        frac = F.when(part[6] != "", F.rpad(F.substring(part[6], 1, 6), 6, "0").cast("long")).otherwise(F.lit(0))
        month_ok = month.between(1, 12)
        days = F.when(month_ok & year.between(1, 9999), F.dayofmonth(F.last_day(F.make_date(year, month, F.lit(1)))))
        valid = (matched & year.between(1900, 2199) & month_ok & day.between(1, 31) & (day <= days)
                 & hour.between(0, 23) & minute.between(0, 59) & second.between(0, 59))
        checks.append(Check(column, ~blank & ~matched, text,
                            lambda v: f"cannot read date {v[:40]!r} (expected YYYY-MM-DD)"))
        if end_date:
            far = ~blank & matched & (year >= LATEST_DATE.year)
            valid = valid & ~far
            blank = blank | far
        checks.append(Check(column, ~blank & matched & year.between(1900, 2199) & ~valid, text,
                            lambda v: f"impossible date {v[:40]!r} (no such day or time)"))
        day_micros = F.unix_date(F.when(valid, F.make_date(year, month, day))).cast("long") * DAY_MICROS
        micros = F.when(valid, day_micros + ((hour * 3600 + minute * 60 + second).cast("long") * 10**6) + frac)
    if required:
        checks.append(Check(column, blank, F.lit(""), lambda v: "date is missing"))
    checks.append(Check(column, ~blank & (year < EARLIEST_DATE.year), year,
                        lambda v: f"implausible date in year {int(v)} (dates before {EARLIEST_DATE.year} are rejected)"))
    if not end_date:
        limit = pd.Timestamp.today().normalize() + FUTURE_TOLERANCE
        limit_micros = (limit - pd.Timestamp("1970-01-01")) // pd.Timedelta(microseconds=1)
        shown = F.struct(micros.alias("micros"), year.alias("year"))
        checks.append(Check(column, ~blank & ((year > limit.year) | (micros > limit_micros)), shown, _future_message))
    return micros


def _future_message(v) -> str:
    if v["micros"] is not None:
        shown = f"date {(pd.Timestamp(0) + pd.Timedelta(microseconds=int(v['micros']))).date()}"
    else:
        shown = f"date in year {int(v['year'])}"
    return f"{shown} is in the far future (more than a year after today)"


def parse_amounts(frame, column: str, checks: list[Check], what: str = "amount"):
    """Amounts as doubles with the embedded ``parse_amounts`` checks (missing, not a plain
    number, implausibly large, negative)."""
    F = _F()
    from pyspark.sql.types import NumericType

    col = F.col(f"`{column}`")
    if isinstance(frame.schema[column].dataType, NumericType):
        values = col.cast("double")
        checks.append(Check(column, values.isNull(), F.lit(""), lambda v: f"{what} is missing"))
        shown = values
        fmt_big = lambda v: f"{what} {v:g} is implausibly large (limit {MAX_AMOUNT:.0e})"  # noqa: E731
    else:
        text = text_of(frame, column)
        checks.append(Check(column, text == "", F.lit(""), lambda v: f"{what} is missing"))
        ok = text.rlike(NUMBER_RE)
        checks.append(Check(column, (text != "") & ~ok, text, lambda v: f"{what} {v[:40]!r} is {_why(v[:40])}"))
        values = F.when(ok, text.cast("double"))
        shown = text
        fmt_big = lambda v: f"{what} {v[:40]} is implausibly large (limit {MAX_AMOUNT:.0e})"  # noqa: E731
    checks.append(Check(column, values.isNotNull() & ~(F.abs(values) <= MAX_AMOUNT), shown, fmt_big))
    checks.append(Check(column, values < 0, values,
                        lambda v: f"negative {what} {v:g} (refunds and credits are not recurring revenue; "
                                  "remove them or export them separately)"))
    return values


def _why(value: str) -> str:
    import re

    if re.search(r"\d,\d", value) or re.search(r"[¥$€£円￥]", value):
        return ("not a plain number (thousands separators and currency symbols are not accepted: "
                "export plain numbers such as 1200)")
    return "not a number"


def parse_ids(frame, column: str, checks: list[Check]):
    """Ids as trimmed text; blank ids are errors ("id is missing")."""
    ids = text_of(frame, column)
    checks.append(Check(column, ids == "", _F().lit(""), lambda v: "id is missing"))
    return ids


def raise_first_failure(source: SparkSource, frame, checks: list[Check],
                        interlude: dict[int, Callable[[], None]] | None = None) -> None:
    """Run every check in one aggregation over ``frame`` (which carries the origin columns)
    and raise the first failure in check order. ``interlude[i]`` runs (and may raise)
    before check ``i`` is reported: checks that need their own pass, such as duplicates."""
    F = _F()
    origin = [c for c in frame.columns if c.startswith("_src_")]
    order = ["_src_file", "_src_row"] if "_src_row" in origin else ["_src_file", "_src_block", "_src_id"]
    origin = order + [c for c in origin if c not in order]
    aggs = [F.min(F.when(c.bad, F.struct(*[F.col(o) for o in origin], c.value.alias("_value")))).alias(f"c{i}")
            for i, c in enumerate(checks)]
    first = frame.agg(*aggs).collect()[0] if checks else None
    interlude = interlude or {}
    for i in range(len(checks) + 1):
        if i in interlude:
            interlude[i]()
        if i < len(checks) and first[f"c{i}"] is not None:
            bad = first[f"c{i}"].asDict()
            file, row = locate(source, bad)
            raise DataError(checks[i].message(bad["_value"]), file=file, row=row, column=checks[i].column)


def _duplicates_check(source: SparkSource, frame, column: str, what: str) -> Callable[[], None]:
    def run() -> None:
        F = _F()
        dup = frame.groupBy("_id_text").count().where(F.col("count") > 1).select("_id_text")
        hits = frame.join(dup, "_id_text", "left_semi")
        order = ["_src_file", "_src_row"] if "_src_row" in frame.columns else ["_src_file", "_src_block", "_src_id"]
        first = hits.orderBy(*order).limit(1).collect()
        if not first:
            return
        value = first[0]["_id_text"]
        same = hits.where(F.col("_id_text") == value).orderBy(*order).limit(5).collect()
        located = [locate(source, r.asDict()) for r in same]
        rows = [r for _, r in located]
        raise DataError(f"duplicate {what} {value!r} (rows {', '.join(map(str, rows[:5]))})",
                        file=located[1][0], row=rows[1], column=column)
    return run


def validate_subscriptions(source: SparkSource, currency: str | None = None):
    """Subscriptions (metrics.md §1) -> (Spark DataFrame of ``customer_id``, ``start_micros``,
    ``end_micros`` (null = open), ``amount_ticks``, ``months``, ``mrr_ticks``; currency).

    ``mrr_ticks = (2·amount_ticks + months) div (2·months)``, the embedded
    :func:`saas_kit.mrr.subscription_mrr_ticks` (exact for prices with two decimals)."""
    F = _F()
    frame, cols, checks = source.frame, source.columns, []
    interlude = {}
    customer = parse_ids(frame, "customer_id", checks)
    if "subscription_id" in cols:
        sub_ids = parse_ids(frame, "subscription_id", checks)
        frame = frame.withColumn("_id_text", sub_ids)
        interlude[len(checks)] = _duplicates_check(source, frame, "subscription_id", "subscription id")
    start = parse_dates(frame, "start_date", checks)
    if "end_date" in cols:
        end = F.floor(parse_dates(frame, "end_date", checks, required=False, end_date=True) / DAY_MICROS) * DAY_MICROS
        start_day = F.floor(start / DAY_MICROS) * DAY_MICROS
        checks.append(Check("end_date", end.isNotNull() & start.isNotNull() & (end < start_day),
                            F.struct(end.alias("end"), start_day.alias("start")),
                            lambda v: f"end_date {_day(v['end'])} is before start_date {_day(v['start'])}"))
    else:
        end = F.lit(None).cast("long")
    amount = parse_amounts(frame, "amount", checks)
    if "billing_period" in cols:
        raw = F.lower(text_of(frame, "billing_period"))
        mapping = F.create_map(*[F.lit(x) for kv in BILLING_PERIODS.items() for x in kv])
        period = F.element_at(mapping, F.when(raw == "", F.lit("month")).otherwise(raw))
        checks.append(Check("billing_period", period.isNull(), raw,
                            lambda v: f"unknown billing period {v[:40]!r} (use month, quarter or year)"))
    else:
        period = F.lit("month")
    months = F.element_at(F.create_map(*[F.lit(x) for kv in MONTHS_IN_PERIOD.items() for x in kv]), period)
    code_col, expected = _currency_checks(source, frame, checks, currency)
    raise_first_failure(source, frame, checks, interlude)
    expected = _check_mixed(source, frame, code_col, expected)
    amount_ticks = F.rint(amount * TICKS_PER_UNIT).cast("long")
    out = frame.select(
        customer.alias("customer_id"),
        (F.floor(start / DAY_MICROS) * DAY_MICROS).alias("start_micros"),
        end.alias("end_micros"),
        amount_ticks.alias("amount_ticks"),
        months.cast("long").alias("months"),
    ).withColumn("mrr_ticks", F.expr("(2 * amount_ticks + months) div (2 * months)"))
    return out, expected


def _day(micros) -> str:
    return str((pd.Timestamp(0) + pd.Timedelta(microseconds=int(micros))).date())


def _currency_checks(source: SparkSource, frame, checks: list[Check], currency: str | None):
    F = _F()
    expected = _currency_parameter(currency)
    if "currency" not in source.columns:
        return None, expected or "JPY"
    codes = F.upper(text_of(frame, "currency"))
    checks.append(Check("currency", (codes != "") & ~codes.rlike(CURRENCY_RE), codes,
                        lambda v: f"currency {v[:20]!r} is not a 3-letter ISO code such as JPY"))
    return codes, expected


def _check_mixed(source: SparkSource, frame, codes, expected: str | None) -> str:
    """The embedded ``_currency``'s second half: the expected code (the parameter, else
    the first given code) and the first row in another currency."""
    if codes is None:
        return expected
    F = _F()
    order = ["_src_file", "_src_row"] if "_src_row" in frame.columns else ["_src_file", "_src_block", "_src_id"]
    given = frame.select(*order, codes.alias("_code")).where(F.col("_code") != "")
    if expected is None:
        first = given.orderBy(*order).limit(1).collect()
        expected = first[0]["_code"] if first else "JPY"
    bad = given.where(F.col("_code") != expected).orderBy(*order).limit(1).collect()
    if bad:
        file, row = locate(source, bad[0].asDict())
        raise DataError(f"mixed currencies: {bad[0]['_code']} where the data is in {expected} "
                        f"(convert to one currency before loading)", file=file, row=row, column="currency")
    return expected


def validate_customers(source: SparkSource):
    """Customers: ``customer_id`` (unique), ``signup_micros`` (day, null when absent),
    ``segment`` (blank -> "(unknown)")."""
    F = _F()
    frame, checks = source.frame, []
    ids = parse_ids(frame, "customer_id", checks)
    frame = frame.withColumn("_id_text", ids)
    interlude = {len(checks): _duplicates_check(source, frame, "customer_id", "customer id")}
    cols = [ids.alias("customer_id")]
    if "signup_date" in source.columns:
        signup = parse_dates(frame, "signup_date", checks, required=False)
        cols.append((F.floor(signup / DAY_MICROS) * DAY_MICROS).alias("signup_micros"))
    else:
        cols.append(F.lit(None).cast("long").alias("signup_micros"))
    if "segment" in source.columns:
        seg = text_of(frame, "segment")
        cols.append(F.when(seg == "", F.lit("(unknown)")).otherwise(seg).alias("segment"))
    raise_first_failure(source, frame, checks, interlude)
    return frame.select(*cols)


def validate_events(source: SparkSource):
    """Events: ``customer_id``, ``event`` (non-blank), ``ts_micros`` (with time)."""
    frame, checks = source.frame, []
    ids = parse_ids(frame, "customer_id", checks)
    event = text_of(frame, "event")
    checks.append(Check("event", event == "", _F().lit(""), lambda v: "event name is missing"))
    ts = parse_dates(frame, "timestamp", checks)
    raise_first_failure(source, frame, checks)
    return frame.select(ids.alias("customer_id"), event.alias("event"), ts.alias("ts_micros"))
