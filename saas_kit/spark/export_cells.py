"""Cells of a billing export as Spark columns, read as the embedded importer reads them
(:mod:`saas_kit.imports.common`), and exact integer arithmetic on DECIMAL(38, 0) for the
Spark import of invoice lines (:mod:`saas_kit.spark.invoice_lines`)."""
from __future__ import annotations

from saas_kit.money import TICKS_PER_UNIT
from saas_kit.spark.parsing import MARK, NUMBER_RE

UNIX_RE = r"^[0-9]{9,11}(\.[0-9]+)?$"
#: ISO 8601 dates, with an optional time and UTC offset (what billing exports write)
ISO_RE = (r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?)?"
          r"\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?$")
THOUSANDS_RE = r"^-?\d{1,3}(,\d{3})+(\.\d+)?$"
SIMPLE_RE = r"^-?[0-9]+(\.[0-9]*)?$"
BOOL_TRUE = ("true", "1", "yes", "t", "y")
BOOL_KNOWN = ("", "true", "false", "1", "0", "yes", "no", "t", "f", "y", "n")


def _F():
    from pyspark.sql import functions as F
    return F


def dec(value):
    """An integer literal or column as DECIMAL(38, 0): products of amounts, day counts and
    ticks stay exact up to 10^38."""
    F = _F()
    return (value if not isinstance(value, int) else F.lit(str(value))).cast("decimal(38,0)")


def int_div(a, b):
    """Exact ``a // b`` of non-negative integers as DECIMAL(38, 0) columns: ``a - a mod b``
    is a multiple of ``b``, so the division has no remainder to round."""
    F = _F()
    a, b = dec(a), dec(b)
    return ((a - F.pmod(a, b)) / b).cast("decimal(38,0)")


def round_half_away(numerator, denominator):
    """Nearest whole number of ``numerator / denominator`` (denominator > 0), halves away
    from zero (:func:`saas_kit.imports.common.round_ticks`), as BIGINT."""
    F = _F()
    n, d = dec(numerator), dec(denominator)
    quotient = int_div(F.abs(n) * 2 + d, d * 2)
    return F.when(n < 0, -quotient).otherwise(quotient).cast("long")


def ticks_text(ticks):
    """:func:`saas_kit.money.ticks_to_text` with 6 decimals as a Spark expression (the text
    the embedded importer writes into ``mrr.csv`` and ``charges.csv``)."""
    F = _F()
    t = ticks.cast("long")
    sign = F.when(t < 0, F.lit("-")).otherwise(F.lit(""))
    whole = int_div(F.abs(t), TICKS_PER_UNIT).cast("long")  # exact (a double loses digits above 2^53)
    rest = F.pmod(F.abs(t), F.lit(TICKS_PER_UNIT))
    scaled = rest * 10**6
    frac = F.floor(scaled / TICKS_PER_UNIT).cast("long")
    up = F.pmod(scaled, F.lit(TICKS_PER_UNIT)) * 2 >= TICKS_PER_UNIT
    frac = F.when(up, frac + 1).otherwise(frac)
    digits = F.regexp_replace(F.lpad(frac.cast("string"), 6, "0"), "0+$", "")
    return (F.when(rest == 0, F.concat(sign, whole.cast("string")))
            .when(frac == 10**6, F.concat(sign, (whole + 1).cast("string")))
            .otherwise(F.concat(sign, whole.cast("string"), F.lit("."), digits)))


def amount_numbers(text):
    """The first stage of :func:`minor_amounts` (a column of its own, so that its patterns
    run once per cell): the cell as DECIMAL(30, 10), or null when it is no plain decimal
    (``1,234.5`` thousands separators allowed, as the embedded reader allows them), and a
    flag for a cell with non-zero digits beyond the 10th decimal (too fine to hold)."""
    F = _F()
    number = (F.when(text.rlike(SIMPLE_RE), text)
              .when(text.rlike(THOUSANDS_RE), F.regexp_replace(text, ",", ""))
              .when(text.rlike(NUMBER_RE), text))
    fraction = F.when(F.instr(text, ".") > 0, F.substring_index(text, ".", -1)).otherwise(F.lit(""))
    too_fine = F.translate(F.substring(fraction, 11, 1000), "0", "") != ""
    return F.struct(number.try_cast("decimal(30,10)").alias("n"), too_fine.alias("fine"))


def minor_amounts(text, numbers, exponent: int, unit: str, required: bool):
    """(minor units as BIGINT, bad) of an amount column (``numbers``: its
    :func:`amount_numbers`), as :func:`saas_kit.imports.common.amounts_minor` reads it:
    scaled by 10^exponent for ``major``; blank is 0 unless required; a fraction of the minor
    unit, or more than 10^15, is bad."""
    F = _F()
    number = numbers["n"]
    scaled = number * F.lit(10**exponent).cast("decimal(4,0)") if unit == "major" else number
    whole = scaled == F.floor(scaled)
    bad = (text != "") & (number.isNull() | ~whole | (F.abs(scaled) > 10**15) | numbers["fine"])
    if required:
        bad = bad | (text == "")
    value = F.when((text != "") & ~bad, scaled.cast("decimal(38,0)").cast("long")).otherwise(F.lit(0).cast("long"))
    return value, bad


def date_pieces(text):
    """The first stage of :func:`dates` (a column of its own, so that its pattern runs once
    per cell): ``["", year, month, day, hour, minute, second, zone]`` of an ISO 8601 cell
    (``YYYY-MM-DD``, what exports write, cut by position; anything else through
    :data:`ISO_RE` once: one regexp_replace puts :data:`MARK` before each group), ``["U"]``
    for Unix seconds, another array for anything else."""
    F = _F()
    shape = F.translate(text, "0123456789", "")
    plain = (F.length(text) == 10) & (shape == "--") & (F.substring(text, 5, 1) == "-") \
        & (F.substring(text, 8, 1) == "-")
    empty = F.lit("")
    groups = MARK + MARK.join(f"${i}" for i in range(1, 8))
    return (F.when(plain, F.array(empty, F.substring(text, 1, 4), F.substring(text, 6, 2), F.substring(text, 9, 2),
                                  empty, empty, empty, empty))
            .when(text.rlike(UNIX_RE), F.array(F.lit("U")))
            .otherwise(F.split(F.regexp_replace(text, ISO_RE, groups), MARK)))


def dates(text, pieces):
    """(date, unreadable) of a date column (``pieces``: its :func:`date_pieces`) as
    :func:`saas_kit.imports.common.instants` reads it, for what billing exports write: Unix
    seconds, or an ISO 8601 date with an optional time and UTC offset (converted to UTC);
    the UTC calendar date."""
    F = _F()
    unix = (F.size(pieces) == 1) & (pieces[0] == "U")
    iso = (F.size(pieces) == 8) & (pieces[0] == "") & (F.instr(text, MARK) == 0)
    y, m, d = (F.when(iso, pieces[i].cast("int")) for i in (1, 2, 3))
    h, mi, s = (F.when(iso & (pieces[i] != ""), pieces[i].cast("int")).otherwise(0) for i in (4, 5, 6))
    zone = F.when(iso, pieces[7]).otherwise(F.lit(""))
    sign = F.when(F.substring(zone, 1, 1) == "-", -1).otherwise(1)
    digits = F.translate(zone, "+-:ZUTC", "")
    offset = F.when(F.length(digits) >= 2, sign * (F.substring(digits, 1, 2).cast("int") * 3600
                                                   + F.when(F.length(digits) == 4,
                                                            F.substring(digits, 3, 2).cast("int") * 60)
                                                   .otherwise(0))).otherwise(0)
    month_ok = m.between(1, 12) & y.between(1, 9999)
    days_in = F.when(month_ok, F.dayofmonth(F.last_day(F.make_date(y, m, F.lit(1)))))
    valid = iso & month_ok & d.between(1, 31) & (d <= days_in) & h.between(0, 23) & mi.between(0, 59) \
        & s.between(0, 59)
    seconds = (F.unix_date(F.when(valid, F.make_date(y, m, d))).cast("long") * 86400
               + h * 3600 + mi * 60 + s - offset)
    unix_seconds = F.floor(F.when(unix, text.try_cast("double"))).cast("long")
    secs = F.when(unix, unix_seconds).when(valid, seconds)
    day = F.date_from_unix_date(F.floor(secs / 86400).cast("int"))
    return day, (text != "") & secs.isNull()


def as_bool(text):
    """(true?, bad) of a true/false column (:func:`saas_kit.imports.common.bool_cells`)."""
    F = _F()
    lower = F.lower(text)
    return lower.isin(*BOOL_TRUE), ~lower.isin(*BOOL_KNOWN)


def month_number(day):
    F = _F()
    return F.year(day) * 12 + F.month(day) - 1
