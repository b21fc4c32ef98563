"""Cells of a billing export as Spark columns, read as the embedded importer reads them
(:mod:`saas_kit.imports.common`), and exact integer arithmetic on DECIMAL(38, 0) for the
Spark import of invoice lines (:mod:`saas_kit.spark.invoice_lines`)."""
from __future__ import annotations

from saas_kit.money import TICKS_PER_UNIT

UNIX_RE = r"^[0-9]{9,11}(\.[0-9]+)?$"
#: ISO 8601 dates, with an optional time and UTC offset (what billing exports write)
ISO_RE = (r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?)?"
          r"\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?$")
THOUSANDS_RE = r"^-?\d{1,3}(,\d{3})+(\.\d+)?$"
NUMBER_RE = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
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
    whole, rest = F.abs(t) / TICKS_PER_UNIT, F.pmod(F.abs(t), F.lit(TICKS_PER_UNIT))
    whole = F.floor(whole).cast("long")
    scaled = rest * 10**6
    frac = F.floor(scaled / TICKS_PER_UNIT).cast("long")
    up = F.pmod(scaled, F.lit(TICKS_PER_UNIT)) * 2 >= TICKS_PER_UNIT
    frac = F.when(up, frac + 1).otherwise(frac)
    digits = F.regexp_replace(F.lpad(frac.cast("string"), 6, "0"), "0+$", "")
    return (F.when(rest == 0, F.concat(sign, whole.cast("string")))
            .when(frac == 10**6, F.concat(sign, (whole + 1).cast("string")))
            .otherwise(F.concat(sign, whole.cast("string"), F.lit("."), digits)))


def minor_amounts(text, exponent: int, unit: str, required: bool):
    """(minor units as BIGINT, bad) of an amount column, as
    :func:`saas_kit.imports.common.amounts_minor` reads it: plain decimals (``1,234.5``
    thousands separators allowed), scaled by 10^exponent for ``major``; blank is 0 unless
    required; a fraction of the minor unit, or more than 10^15, is bad."""
    F = _F()
    cleaned = F.when(text.rlike(THOUSANDS_RE), F.regexp_replace(text, ",", "")).otherwise(text)
    number = F.when(cleaned.rlike(NUMBER_RE), cleaned.try_cast("decimal(30,10)"))
    too_fine = cleaned.rlike(r"\.[0-9]{11,}") & cleaned.rlike(r"\.[0-9]{10}[0-9]*[1-9]")
    scaled = number * F.lit(10**exponent).cast("decimal(4,0)") if unit == "major" else number
    whole = scaled == F.floor(scaled)
    bad = (text != "") & (number.isNull() | ~whole | (F.abs(scaled) > 10**15) | too_fine)
    if required:
        bad = bad | (text == "")
    value = F.when((text != "") & ~bad, scaled.cast("decimal(38,0)").cast("long")).otherwise(F.lit(0).cast("long"))
    return value, bad


def dates(text):
    """(date, unreadable) of a date column as :func:`saas_kit.imports.common.instants` reads
    it, for what billing exports write: Unix seconds, or an ISO 8601 date with an optional
    time and UTC offset (converted to UTC); the UTC calendar date."""
    F = _F()
    unix = text.rlike(UNIX_RE)
    parts = [F.regexp_extract(text, ISO_RE, i) for i in range(1, 8)]
    iso = text.rlike(ISO_RE)
    y, m, d = (F.when(iso, p.cast("int")) for p in parts[:3])
    h, mi, s = (F.when(iso & (p != ""), p.cast("int")).otherwise(0) for p in parts[3:6])
    zone = parts[6]
    sign = F.when(F.substring(zone, 1, 1) == "-", -1).otherwise(1)
    digits = F.regexp_replace(zone, "[^0-9]", "")
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
