"""Parsing and checking the cells of one input in Spark, in one pass over the data.

A :class:`Parsing` holds a raw input (:class:`~saas_kit.spark.reading.SparkSource`) and
grows its frame by one projection per stage (trimmed text, then the pieces of a date,
then the typed values), so that each regular expression runs once per cell: Catalyst
does not merge a projection into the next one when that would repeat an expensive
expression. (Building every check from the raw text, as one expression each, made
Spark run the date pattern nine times per cell and generate methods too long for the
JIT: 100 µs per row.)

Every check of the embedded loader (:mod:`saas_kit.loading.parse`) becomes a boolean
column and a bit of ``__bad``; :meth:`Parsing.finish` writes the typed columns, the row
origin and those bits in **one pass** and persists them (memory, spilling to disk); one
aggregation over the rows with a bit set finds the first bad row of each check, and
the first failing check, in the embedded loader's order, raises its DataError with
the same words, the file and the row. Warnings are bits of ``__warn`` (see
:mod:`saas_kit.spark.warnings`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from saas_kit.errors import DataError
from saas_kit.loading import EARLIEST_DATE, FUTURE_TOLERANCE, LATEST_DATE, MAX_AMOUNT
from saas_kit.spark.reading import SparkSource, locate

# The embedded loader's patterns in Java regex syntax (same groups, ASCII digits).
DATE_RE = (r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
           r"(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
           r"\s*(?:Z|UTC|[+-]\d{2}(?::?\d{2})?)?$")
NUMBER_RE = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
DAY_MICROS = 86_400 * 10**6
#: separates a date's pieces after one regexp_replace (never inside a matching date)
MARK = "\u0001"
#: the characters with the Unicode White_Space property, which trimming removes at both
#: ends of a cell (as Java's ``(?U)\s``; the embedded loader strips them with Arrow)
WHITESPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B))
              + "\u2028\u2029\u202f\u205f\u3000")


def _F():
    from pyspark.sql import functions as F
    return F


@dataclass
class Check:
    """One rule: rows where ``bad`` holds fail with ``message(value)`` in ``column``."""

    column: str
    bad: object            # Column
    value: object          # Column whose first bad value goes into the message
    message: Callable[[object], str]


@dataclass
class Parsing:
    """An input being parsed: its frame (raw columns, origin columns and the stages
    added so far), its checks in the embedded loader's order and its warning flags."""

    source: SparkSource
    frame: object = None
    checks: list[Check] = field(default_factory=list)
    #: check index -> a check that needs its own pass (duplicates), run before that check is reported
    interludes: dict[int, Callable[[object], None]] = field(default_factory=dict)
    #: warning name -> boolean column (a bit of ``__warn``)
    flags: dict[str, object] = field(default_factory=dict)
    #: stage name -> the column name it was given last (for SQL text)
    names: dict[str, str] = field(default_factory=dict)
    #: (rows, rows kept) once :meth:`finish` has run
    counts: tuple[int, int] = (0, 0)
    #: warning flag -> rows flagged, once :meth:`finish` has run
    flag_counts: dict[str, int] = field(default_factory=dict)
    _n: int = 0

    def __post_init__(self) -> None:
        if self.frame is None:
            self.frame = self.source.frame

    @property
    def columns(self) -> list[str]:
        return self.source.columns

    @property
    def order(self) -> list[str]:
        """The origin columns that sort rows in file order."""
        return ["_src_file", "_src_row"] if "_src_row" in self.frame.columns else ["_src_file", "_src_block", "_src_id"]

    def stage(self, **columns) -> list:
        """Add ``columns`` (name -> Column) in one projection; their references, in order."""
        F = _F()
        names = {}
        for name, col in columns.items():
            self._n += 1
            names[name] = f"__{self._n}_{name}"
        self.frame = self.frame.withColumns({names[n]: c for n, c in columns.items()})
        self.names.update(names)
        return [F.col(names[n]) for n in columns]

    def check(self, column: str, bad, value, message: Callable[[object], str]) -> None:
        self.checks.append(Check(column, bad, value, message))

    def finish(self, outputs: dict[str, object], keep=None):
        """The typed rows (``outputs`` plus origin, the ``__bad`` / ``__warn`` bits and
        ``__keep``), persisted; raises the first failing check. ``keep``: a boolean column,
        false for rows the engine leaves out (total rows; they are checked all the same,
        as in the embedded loader)."""
        from pyspark import StorageLevel

        F = _F()
        bad = _bits([c.bad for c in self.checks])
        warn = _bits(list(self.flags.values()))
        origin = [c for c in self.frame.columns if c.startswith("_src_")]
        cols = [col.alias(name) for name, col in outputs.items()]
        cols += [F.col(c) for c in origin] + [bad.alias("__bad"), warn.alias("__warn"),
                                                (F.lit(True) if keep is None else keep).alias("__keep")]
        typed = self.frame.select(*cols).persist(StorageLevel.MEMORY_AND_DISK)
        self.counts = self.raise_first_failure(typed)
        return typed

    def raise_first_failure(self, typed) -> tuple[int, int]:
        """One aggregation over the typed rows (the pass that fills the cache): the rows,
        the rows kept and the first bad row of every check; the first failing check in
        order raises (interludes run at their place). Returns (rows, rows kept)."""
        F = _F()
        order = self.order
        origin_sorted = order + [c for c in self.frame.columns if c.startswith("_src_") and c not in order]
        firsts = [F.min(F.when((F.col("__bad").bitwiseAND(F.lit(1 << i))) != 0,
                               F.struct(*[F.col(o) for o in origin_sorted]))).alias(f"c{i}")
                  for i in range(len(self.checks))]
        flagged = [F.count(F.when(F.col("__warn").bitwiseAND(F.lit(1 << i)) != 0, 1)).alias(f"w{i}")
                   for i in range(len(self.flags))]
        row = typed.agg(F.count(F.lit(1)).alias("rows"), F.count(F.when(F.col("__keep"), 1)).alias("kept"),
                        *flagged, *firsts).collect()[0]
        self.flag_counts = {name: int(row[f"w{i}"]) for i, name in enumerate(self.flags)}
        for i in range(len(self.checks) + 1):
            if i in self.interludes:
                self.interludes[i](typed)
            if i < len(self.checks) and row[f"c{i}"] is not None:
                bad = row[f"c{i}"].asDict()
                cond = F.lit(True)
                for c in origin_sorted:
                    cond = cond & (F.col(c) == F.lit(bad[c]))
                value = self.frame.where(cond).select(self.checks[i].value.alias("v")).limit(1).collect()[0]["v"]
                file, row_no = locate(self.source, bad)
                raise DataError(self.checks[i].message(value), file=file, row=row_no, column=self.checks[i].column)
        return int(row["rows"]), int(row["kept"])


def _bits(conditions: list):
    """A BIGINT with bit i set where ``conditions[i]`` holds (null counts as false)."""
    F = _F()
    if len(conditions) > 62:
        raise ValueError("at most 62 checks per input")
    total = F.lit(0).cast("long")
    for i, cond in enumerate(conditions):
        total = total + F.when(cond, F.lit(1 << i).cast("long")).otherwise(F.lit(0).cast("long"))
    return total


def text_of(frame, column: str):
    """Cells as trimmed text, like the embedded ``as_text``: whole numbers without '.0',
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
    return F.coalesce(F.btrim(text, F.lit(WHITESPACE)), F.lit(""))


def is_typed_time(frame, column: str) -> bool:
    from pyspark.sql.types import DateType, TimestampNTZType, TimestampType

    return isinstance(frame.schema[column].dataType, (DateType, TimestampType, TimestampNTZType))


def parse_dates(p: Parsing, column: str, *, required: bool = True, end_date: bool = False):
    """(micros since 1970 as wall-clock UTC, or null) of a date column, adding the embedded
    ``parse_dates`` checks in its order: unreadable, impossible, missing, before 1990,
    far future (not for end dates). Returns (micros, blank) columns."""
    F = _F()
    if is_typed_time(p.frame, column):
        col = F.col(f"`{column}`")
        micros, year, blank = p.stage(micros=F.unix_micros(col.cast("timestamp")), year=F.year(col),
                                      blank=col.isNull())
    else:
        (text,) = p.stage(text=text_of(p.frame, column))
        (parts,) = p.stage(parts=date_pieces(text))
        matched_expr = (F.size(parts) == 8) & (parts[0] == "") & (F.instr(text, MARK) == 0)
        piece = [F.when(matched_expr & (parts[i] != ""), parts[i].cast("int")) for i in range(1, 7)]
        frac_text = F.when(matched_expr, parts[7]).otherwise(F.lit(""))
        matched, year, month, day, hour, minute, second, frac = p.stage(
            matched=matched_expr, year=piece[0], month=piece[1], day=piece[2],
            hour=F.coalesce(piece[3], F.lit(0)), minute=F.coalesce(piece[4], F.lit(0)),
            second=F.coalesce(piece[5], F.lit(0)),
            frac=F.when(frac_text != "", F.rpad(F.substring(frac_text, 1, 6), 6, "0").cast("long")).otherwise(F.lit(0)))
        month_ok = month.between(1, 12)
        days = F.when(month_ok & year.between(1, 9999), F.dayofmonth(F.last_day(F.make_date(year, month, F.lit(1)))))
        valid_expr = (matched & year.between(1900, 2199) & month_ok & day.between(1, 31) & (day <= days)
                      & hour.between(0, 23) & minute.between(0, 59) & second.between(0, 59))
        blank_expr = text == ""
        far_expr = ~blank_expr & matched & (year >= LATEST_DATE.year) if end_date else F.lit(False)
        valid, blank, far = p.stage(valid=valid_expr & ~far_expr, blank=blank_expr | far_expr, far=far_expr)
        p.check(column, ~(text == "") & ~matched, text, lambda v: f"cannot read date {v[:40]!r} (expected YYYY-MM-DD)")
        p.check(column, ~blank & matched & year.between(1900, 2199) & ~valid, text,
                lambda v: f"impossible date {v[:40]!r} (no such day or time)")
        day_micros = F.unix_date(F.when(valid, F.make_date(year, month, day))).cast("long") * DAY_MICROS
        (micros,) = p.stage(micros=F.when(valid, day_micros + ((hour * 3600 + minute * 60 + second).cast("long")
                                                                * 10**6) + frac))
        if end_date:
            p.flags[f"placeholder:{column}"] = far
    if required:
        p.check(column, blank, F.lit(""), lambda v: "date is missing")
    p.check(column, ~blank & (year < EARLIEST_DATE.year), year,
            lambda v: f"implausible date in year {int(v)} (dates before {EARLIEST_DATE.year} are rejected)")
    if not end_date:
        limit = pd.Timestamp.today().normalize() + FUTURE_TOLERANCE
        limit_micros = (limit - pd.Timestamp("1970-01-01")) // pd.Timedelta(microseconds=1)
        shown = F.struct(micros.alias("micros"), year.alias("year"))
        p.check(column, ~blank & ((year > limit.year) | (micros > limit_micros)), shown, _future_message)
    return micros, blank


def date_pieces(text):
    """The pieces of a date cell as ``["", year, month, day, hour, minute, second, fraction]``
    (groups 1-7 of :data:`DATE_RE`, "" where a group did not match), or another array
    when the cell is no date. ``YYYY-MM-DD`` and ``YYYY-MM-DD HH:MM:SS`` (or ``T``), what
    almost every export writes, are cut by position (a character mapping and a few
    comparisons); anything else goes through the pattern, once: one regexp_replace puts
    :data:`MARK` before each group's text and a split cuts there."""
    F = _F()
    shape = F.translate(text, "0123456789", "")
    at = {i: F.substring(text, i, 1) for i in (5, 8, 11, 14, 17)}
    date = (F.length(text) == 10) & (shape == "--") & (at[5] == "-") & (at[8] == "-")
    stamp = ((F.length(text) == 19) & shape.isin("-- ::", "--T::") & (at[5] == "-") & (at[8] == "-")
             & (at[14] == ":") & (at[17] == ":"))
    piece = {name: F.substring(text, start, width) for name, (start, width) in
             {"y": (1, 4), "m": (6, 2), "d": (9, 2), "h": (12, 2), "mi": (15, 2), "s": (18, 2)}.items()}
    empty = F.lit("")
    groups = MARK + MARK.join(f"${i}" for i in range(1, 8))
    return (F.when(date, F.array(empty, piece["y"], piece["m"], piece["d"], empty, empty, empty, empty))
            .when(stamp, F.array(empty, piece["y"], piece["m"], piece["d"], piece["h"], piece["mi"], piece["s"], empty))
            .otherwise(F.split(F.regexp_replace(text, DATE_RE, groups), MARK)))


def _future_message(v) -> str:
    if v["micros"] is not None:
        shown = f"date {(pd.Timestamp(0) + pd.Timedelta(microseconds=int(v['micros']))).date()}"
    else:
        shown = f"date in year {int(v['year'])}"
    return f"{shown} is in the far future (more than a year after today)"


#: The embedded MONTH_PATTERN (:mod:`saas_kit.loading.schema`) in Java syntax: ``(?d)``
#: makes ``.`` stop at ``\n`` only, as Python's does.
MONTH_RE = r"(?d)^(\d{4})[-/.年](\d{1,2})月?(?:[-/.]\d{1,2}日?)?(?:[T ].*)?$"


def month_pieces(text):
    """``[year, month]`` (text) of a month cell, or nulls when it is no month.
    ``YYYY-MM`` and ``YYYY-MM-DD`` (what exports write) are cut by position; anything else
    goes through :data:`MONTH_RE` once (one regexp_replace, then a split at :data:`MARK`)."""
    F = _F()
    shape = F.translate(text, "0123456789", "")
    plain = (((F.length(text) == 7) & (shape == "-")) | ((F.length(text) == 10) & (shape == "--")
                                                        & (F.substring(text, 8, 1) == "-"))) \
        & (F.substring(text, 5, 1) == "-")
    parts = F.split(F.regexp_replace(text, MONTH_RE, f"{MARK}$1{MARK}$2"), MARK)
    matched = (F.size(parts) == 3) & (parts[0] == "") & (F.instr(text, MARK) == 0)
    return (F.when(plain, F.array(F.substring(text, 1, 4), F.substring(text, 6, 2)))
            .when(matched, F.array(parts[1], parts[2])))


def parse_months(p: Parsing, column: str):
    """Month numbers (``year * 12 + month - 1``) of a month column, adding the embedded
    ``parse_months`` checks in its order: missing or unreadable (one check: the first bad
    row's cell decides the words), before 1990, after the current month. A typed date
    or timestamp column is read as its ``YYYY-MM`` (UTC, the session's time zone)."""
    F = _F()
    from saas_kit.loading.schema import current_month

    if is_typed_time(p.frame, column):
        (text,) = p.stage(text=F.coalesce(F.date_format(F.col(f"`{column}`"), "yyyy-MM"), F.lit("")))
    else:
        (text,) = p.stage(text=text_of(p.frame, column))
    (pieces,) = p.stage(pieces=month_pieces(text))
    year, month = p.stage(year=pieces[0].cast("int"), month=pieces[1].cast("int"))
    p.check(column, year.isNull() | ~month.between(1, 12), text,
            lambda v: "month is missing" if v == "" else f"cannot read month {v[:40]!r} (expected YYYY-MM)")
    p.check(column, year < EARLIEST_DATE.year, year, lambda v: f"implausible month in year {int(v)}")
    now = current_month()
    (number,) = p.stage(number=year * 12 + month - 1)
    p.check(column, number > now.year * 12 + now.month - 1, text, lambda v: f"month {v[:7]!r} is in the future")
    return number


def parse_amounts(p: Parsing, column: str, what: str = "amount"):
    """Amounts as doubles with the embedded ``parse_amounts`` checks (missing, not a plain
    number, implausibly large, negative)."""
    F = _F()
    from pyspark.sql.types import NumericType

    col = F.col(f"`{column}`")
    if isinstance(p.frame.schema[column].dataType, NumericType):
        (values,) = p.stage(values=col.cast("double"))
        p.check(column, values.isNull() | F.isnan(values), F.lit(""), lambda v: f"{what} is missing")  # NaN too
        shown = values
        fmt_big = lambda v: f"{what} {v:g} is implausibly large (limit {MAX_AMOUNT:.0e})"  # noqa: E731
    else:
        (text,) = p.stage(text=text_of(p.frame, column))
        (ok,) = p.stage(ok=text.rlike(NUMBER_RE))
        p.check(column, text == "", F.lit(""), lambda v: f"{what} is missing")
        p.check(column, (text != "") & ~ok, text, lambda v: f"{what} {v[:40]!r} is {_why(v[:40])}")
        (values,) = p.stage(values=F.when(ok, text.cast("double")))
        shown = text
        fmt_big = lambda v: f"{what} {v[:40]} is implausibly large (limit {MAX_AMOUNT:.0e})"  # noqa: E731
    p.check(column, values.isNotNull() & ~(F.abs(values) <= MAX_AMOUNT), shown, fmt_big)
    p.check(column, values < 0, values,
            lambda v: f"negative {what} {v:g} (refunds and credits are not recurring revenue; "
                      "remove them or export them separately)")
    return values


def _why(value: str) -> str:
    import re

    if re.search(r"\d,\d", value) or re.search(r"[¥$€£円￥]", value):
        return ("not a plain number (thousands separators and currency symbols are not accepted: "
                "export plain numbers such as 1200)")
    return "not a number"


def parse_ids(p: Parsing, column: str):
    """Ids as trimmed text; blank ids are errors ("id is missing"), ids with surrounding
    whitespace a warning (as the embedded ``parse_ids``)."""
    F = _F()
    raw = F.col(f"`{column}`")
    (ids,) = p.stage(ids=text_of(p.frame, column))
    p.check(column, ids == "", F.lit(""), lambda v: "id is missing")
    from pyspark.sql.types import StringType

    if isinstance(p.frame.schema[column].dataType, StringType):
        p.flags[f"whitespace:{column}"] = raw.isNotNull() & (ids != raw)
    # ids of digits with a leading zero: two ids can only be equal as numbers if one has one
    p.flags[f"leading_zero:{column}"] = ((F.length(ids) > 1) & (F.substring(ids, 1, 1) == "0")
                                         & (F.translate(ids, "0123456789", "") == ""))
    return ids


def duplicates_interlude(p: Parsing, ids, column: str, what: str) -> None:
    """The embedded ``check_duplicates`` at its place in the check order: the typed rows
    carry a 64-bit hash of each id (``__dup``); ids whose hash repeats are compared
    exactly on the source, and the first duplicated id in file order fails with its rows."""
    F = _F()
    index = len(p.checks)
    (text,) = p.stage(dup_text=ids)

    def run(typed) -> None:
        hashes = [r[0] for r in typed.groupBy("__dup").count().where(F.col("count") > 1).select("__dup").collect()]
        if not hashes:
            return
        origin = [c for c in p.frame.columns if c.startswith("_src_")]
        hits = (p.frame.where(F.xxhash64(text).isin(hashes)).select(text.alias("_id"), *origin)
                .orderBy(*p.order).collect())
        seen: dict[str, list] = {}
        for r in hits:
            seen.setdefault(r["_id"], []).append(r)
        first = next((rows for rows in seen.values() if len(rows) > 1), None)
        if first is None:
            return
        located = [locate(p.source, r.asDict()) for r in first[:5]]
        rows = [r for _, r in located]
        raise DataError(f"duplicate {what} {first[0]['_id']!r} (rows {', '.join(map(str, rows[:5]))})",
                        file=located[1][0], row=rows[1], column=column)

    p.interludes[index] = run
    return F.xxhash64(text)
