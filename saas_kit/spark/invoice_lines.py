"""Invoice line items -> customer-month MRR on Apache Spark (``saas-kit import --engine spark``).

The rules are the embedded importer's (:mod:`saas_kit.imports.invoice_lines`, metrics.md
§8), computed in Spark SQL with exact integers, so that an export of billions of lines
(Stripe's ``invoice_line_items`` in a lakehouse) becomes ``mrr.parquet`` where it lives:

- every line's service period in calendar months as an exact fraction ``p / q``: whole
  months (``add_months`` clamps the day as pandas does), then the rest, which falls in at
  most two calendar months, as ``a / days(A) + b / days(B)``; ``q = days(A) * days(B)``;
- the snapping of a partial-month line to its customer's full-period rate ``n / w``
  (``|n p - |net| w q| <= w q``; the nearest, the smaller rate on a tie) by a join with
  the customer's full-period lines and an anti-join that drops every candidate some other
  candidate beats (exact cross-multiplication, no division);
- every rate as whole ticks, rounded half away from zero with integer division on
  DECIMAL(38, 0) values (no float);
- the months ``[month(start), month(end))`` of each line summed per customer-month.

Checks run in the embedded importer's order in one pass over the parsed lines; the words
of an error come from the embedded functions themselves, given the failing cell, with
the file and row where it is (CSV: header = row 1; Parquet: first record = row 1; a
catalog table has no rows to point at). Only the summary, the first rows of every reason
and the first failure come back to the driver; the MRR and the one-off charges are
written by Spark as Parquet.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Callable, Mapping, Sequence

import pandas as pd

import saas_kit.imports.common as common
import saas_kit.imports.invoice_lines as embedded
from saas_kit.errors import DataError
from saas_kit.imports.summary import ImportResult, SetAside
from saas_kit.metadata import last_complete_month
from saas_kit.money import TICKS_PER_UNIT
from saas_kit.spark.export_cells import (amount_numbers, as_bool, date_pieces, dates, dec, minor_amounts, month_number,
                                         round_half_away, ticks_text)
from saas_kit.spark.export_reading import Lines, read_lines, row_numbers, row_of
from saas_kit.spark.reading import is_table_location


def _F():
    from pyspark.sql import functions as F
    return F


# --------------------------------------------------------------------------- the import

@dataclass
class Check:
    """Rows where ``bad`` holds fail; ``say(cell, file, row)`` gives the DataError."""

    column: str | None
    bad: object
    value: object
    say: object


def _embedded_words(fn, column: str, fallback: str):
    """The DataError the embedded importer's cell function ``fn(frame, column)`` raises for
    one cell, at the Spark row's file and row; ``fallback`` when it accepts the cell (a
    form only the embedded reader knows)."""
    def say(cell: str, file: str, row: int | None) -> DataError:
        frame = pd.DataFrame({"_row": [row or 0], "_file": [file], column: [cell]})
        try:
            fn(frame, column)
        except DataError as exc:
            return DataError(exc.reason, file=file, row=row, column=exc.column)
        return DataError(fallback.format(cell=cell[:40]), file=file, row=row, column=column)
    return say


def _fixed(message: str, column: str | None):
    return lambda cell, file, row: DataError(message.format(cell=cell), file=file, row=row, column=column)


def import_lines(spark, paths: Sequence[str], mapping: Mapping[str, str] | None, result: ImportResult,
                 aliases: dict, amounts: str | None) -> tuple[dict, Callable[[], None]]:
    """Fill ``result`` (currency, rows, set-aside rows, notes) and return the Spark frames to
    write, ``{"mrr": ..., "charges": ...}`` (charges only when there are one-off lines), and
    a function that drops the lines Spark keeps cached for them: call it once they are
    written (a failed import drops them before it raises)."""
    cached: list = []

    def release() -> None:
        while cached:
            cached.pop().unpersist()

    try:
        return _import(spark, paths, mapping, result, aliases, amounts, cached), release
    except BaseException:
        release()
        raise


def _import(spark, paths, mapping, result: ImportResult, aliases: dict, amounts: str | None, cached: list) -> dict:
    from pyspark import StorageLevel

    F = _F()
    used = {n for names in aliases.values() for n in names}
    lines = read_lines(spark, paths, mapping, used)
    cols = common.pick_columns(pd.DataFrame(columns=lines.columns), aliases, ("customer", "amount"), str(paths[0]))
    t = {field: (F.col(name) if name else F.lit("")) for field, name in cols.items()}
    result.files = [PurePosixPath(str(p).rstrip("/")).name if not is_table_location(str(p)) else str(p)
                    for p in paths]

    code = F.upper(t["currency"])
    currency = _currency(lines, code, cols["currency"], result)
    exponent = common.minor_exponent(currency)
    unit = amounts or ("minor" if str(cols["amount"]).endswith("_in_cents") else "major")
    # the patterns first, each in a column of its own (run once per cell), then the values
    staged = lines.frame.where(~F.col("_blank")).withColumns(
        {**{f"_n_{f}": amount_numbers(t[f]) for f in ("amount", "discount", "tax")},
         **{f"_d_{f}": date_pieces(t[f]) for f in ("start", "end", "date")}})
    amount, amount_bad = minor_amounts(t["amount"], F.col("_n_amount"), exponent, unit, required=True)
    discount, discount_bad = minor_amounts(t["discount"], F.col("_n_discount"), exponent, unit, required=False)
    tax, tax_bad = minor_amounts(t["tax"], F.col("_n_tax"), exponent, unit, required=False)
    kind = F.lower(t["type"])
    proration, proration_bad = as_bool(t["proration"])
    start, start_bad = dates(t["start"], F.col("_d_start"))
    end, end_bad = dates(t["end"], F.col("_d_end"))
    date, date_bad = dates(t["date"], F.col("_d_date"))
    typed = staged.select(
        t["customer"].alias("customer"), t["subscription"].alias("subscription"), kind.alias("kind"),
        amount.alias("amount"), discount.alias("discount"), tax.alias("tax"), proration.alias("proration"),
        start.alias("start"), end.alias("end"), date.alias("date"), t["description"].alias("description"),
        *[c.alias(f"bad_{n}") for n, c in (("amount", amount_bad), ("discount", discount_bad), ("tax", tax_bad),
                                            ("proration", proration_bad), ("start", start_bad), ("end", end_bad),
                                            ("date", date_bad))],
        *[t[f].alias(f"text_{f}") for f in ("amount", "discount", "tax", "proration", "start", "end", "date", "type")],
        "_pos", "_name", "_blk", "_key", F.monotonically_increasing_id().alias("_line"))
    net = F.col("amount") - F.col("discount")
    has_period = F.col("start").isNotNull() & F.col("end").isNotNull() & (F.col("end") > F.col("start"))
    has_sub = F.col("subscription") != ""
    recurring = ((F.col("kind").isin(*embedded.RECURRING_TYPES) | ((F.col("kind") == "") & has_sub)
                  | F.col("proration")) & has_sub & has_period)
    typed = typed.withColumns({"net": net, "recurring": recurring})
    typed = typed.withColumns({
        "ticks": round_half_away(dec(F.col("net")) * TICKS_PER_UNIT, 10**exponent),
        "tax_ticks": round_half_away(dec(F.col("tax")) * TICKS_PER_UNIT, 10**exponent),
        "counted": F.col("recurring") & ~((F.col("net") < 0) & ~F.col("proration")),
    }).persist(StorageLevel.MEMORY_AND_DISK)
    cached.append(typed)

    known = F.col("kind").isin(*(embedded.RECURRING_TYPES | embedded.ONE_OFF_TYPES | {""}))
    c = cols
    checks = [
        Check(c["amount"], F.col("bad_amount"), F.col("text_amount"),
              _embedded_words(lambda f, k: common.amounts_minor(f, k, exponent, unit), c["amount"] or "",
                              "amount {cell!r} is not a plain number the Spark engine reads")),
        Check(c["discount"], F.col("bad_discount"), F.col("text_discount"),
              _embedded_words(lambda f, k: common.amounts_minor(f, k, exponent, unit, required=False),
                              c["discount"] or "", "amount {cell!r} is not a plain number the Spark engine reads")),
        Check(c["tax"], F.col("bad_tax"), F.col("text_tax"),
              _embedded_words(lambda f, k: common.amounts_minor(f, k, exponent, unit, required=False),
                              c["tax"] or "", "amount {cell!r} is not a plain number the Spark engine reads")),
        Check(c["customer"], F.col("customer") == "", F.lit(""), _fixed("customer id is missing", c["customer"])),
        Check(c["type"], ~known, F.col("kind"),
              lambda cell, file, row: DataError(f"unknown line type {cell!r} (subscription or one_time)", file=file,
                                                row=row, column=c["type"])),
        Check(c["proration"], F.col("bad_proration"), F.lower(F.col("text_proration")),
              lambda cell, file, row: DataError(f"expected true or false, got {cell[:20]!r}", file=file, row=row,
                                                column=c["proration"])),
    ]
    for field in ("start", "end"):
        say = _embedded_words(common.instants, c[field] or "",
                              "cannot read the date {cell!r} (the Spark engine reads ISO 8601 dates such as "
                              "2026-01-15 or 2026-01-15T09:30:00Z, and Unix seconds)")
        checks.append(Check(c[field], F.col(f"bad_{field}"), F.col(f"text_{field}"), say))
        checks.append(Check(c[field], F.col(field).isNotNull() & ~F.year(F.col(field)).between(1990, 2200),
                            F.col(f"text_{field}"), say))
    checks.append(Check(c["end"], F.col("start").isNotNull() & F.col("end").isNotNull()
                        & (F.col("end") < F.col("start")), F.lit(""),
                        _fixed("the period ends before it starts", c["end"])))
    first_date_check = len(checks)
    say_date = _embedded_words(common.instants, c["date"] or "",
                               "cannot read the date {cell!r} (the Spark engine reads ISO 8601 dates such as "
                               "2026-01-15 or 2026-01-15T09:30:00Z, and Unix seconds)")
    checks.append(Check(c["date"], F.col("bad_date"), F.col("text_date"), say_date))
    checks.append(Check(c["date"], F.col("date").isNotNull() & ~F.year(F.col("date")).between(1990, 2200),
                        F.col("text_date"), say_date))
    one_off_positive = ~F.col("recurring") & (F.col("net") > 0)
    checks.append(Check(None, one_off_positive & F.col("start").isNull() & F.col("date").isNull(), F.lit(""),
                        _fixed("a one-off line needs a date (a period start or a date column)", None)))

    order = F.struct("_pos", "_name", "_blk", "_key")
    firsts = typed.agg(F.count(F.lit(1)).alias("rows"), F.count(F.when(F.col("counted"), 1)).alias("kept"),
                       *[F.min(F.when(ch.bad, F.struct(order.alias("o"), ch.value.cast("string").alias("v"))))
                         .alias(f"c{i}") for i, ch in enumerate(checks)]).collect()[0]
    starts = row_numbers(lines, lines.frame)

    def raise_check(i: int) -> None:
        hit = firsts[f"c{i}"]
        if hit is not None:
            o = hit["o"]
            raise checks[i].say(hit["v"] or "", o["_name"], row_of(lines, starts, o))

    for i in range(first_date_check):
        raise_check(i)
    result.rows_read, result.rows_kept = int(firsts["rows"]), int(firsts["kept"])

    _set_aside(lines, typed, starts, result)
    through = common.as_number(last_complete_month(result.as_of))
    cells, unsnapped, later = _customer_months(typed, exponent, through)
    cached.append(cells)
    if unsnapped:
        result.notes.append(f"{unsnapped} lines of a partial month have no full-period line of the same price for "
                            "their customer: their monthly rate is rounded to the minor unit")
    if later:
        result.notes.append(f"months after {common.number_to_month(through)} (not complete at the as-of date) are "
                            "not written; the lines covering them are kept for those months' later imports")
    mrr = _mrr_rows(cells, result, currency)
    for i in range(first_date_check, len(checks)):
        raise_check(i)
    frames = {"mrr": mrr}
    charged = typed.where(~F.col("recurring") & (F.col("net") > 0))
    if charged.limit(1).count():
        frames["charges"] = (charged.orderBy("_pos", "_name", "_blk", "_key").select(
            F.col("customer").alias("customer_id"),
            F.date_format(F.coalesce("start", "date"), "yyyy-MM-dd").alias("date"),
            ticks_text(F.col("ticks")).alias("amount"),
            F.when(F.col("description") == "", F.lit("one-off")).otherwise(F.col("description")).alias("kind")))
    result.notes.append("MRR from invoice lines covers the months their service periods cover; a month no paid "
                        "period reaches (an unpaid renewal, a pause) is MRR 0")
    return frames


def _currency(lines: Lines, code, column: str | None, result: ImportResult) -> str:
    """:func:`saas_kit.imports.common.currencies` on Spark: the one currency of the export
    (its column, else ``--currency``), from one small aggregation."""
    import re

    from saas_kit.errors import ParameterError

    F = _F()
    given = result.currency.strip().upper() if result.currency else None
    found = []
    if column is not None:
        found = (lines.frame.where(~F.col("_blank") & (code != "")).groupBy(code.alias("code"))
                 .agg(F.count(F.lit(1)).alias("n"), F.min(F.struct("_pos", "_name", "_blk", "_key")).alias("o"))
                 .collect())
    codes = sorted(r["code"] for r in found)
    if given and codes and codes != [given]:
        other = next(r for r in sorted(found, key=lambda r: r["code"]) if r["code"] != given)
        starts = row_numbers(lines, lines.frame)
        raise DataError(f"currency {other['code']} where --currency says {given}", file=other["o"]["_name"],
                        row=row_of(lines, starts, other["o"]), column=column)
    if len(codes) > 1:
        ranked = sorted(found, key=lambda r: (-r["n"], tuple(r["o"])))
        listed = ", ".join(f"{r['code']} ({r['n']} rows)" for r in ranked)
        first = min(found, key=lambda r: tuple(r["o"]))
        raise DataError(f"the export mixes currencies ({listed}); MRR needs one currency: split the export by "
                        f"currency and import each part into its own folder", file=first["o"]["_name"],
                        column=column)
    currency = given or (codes[0] if codes else None)
    if currency is None:
        raise ParameterError("the invoice-line export has no currency column: give the currency with --currency "
                             "CODE (e.g. --currency USD); it is never assumed")
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise ParameterError(f"currency must be a 3-letter ISO code such as USD, got {currency!r}")
    result.currency = currency
    return currency


#: (reason, measure, where the rows went, whole rows?) in the embedded importer's order
REASONS = (
    ("tax (never part of MRR)", "tax", "not counted; the lines themselves are kept", False),
    ("one-off (no subscription, a one-off type or an empty period)", "amount", "written to charges.parquet", True),
    ("refund or credit (a negative one-off line)", "amount", "not counted", True),
    ("zero-amount one-off line", "amount", "not counted", True),
    ("refund or credit (a negative recurring line that is not a proration)", "amount", "not counted", True),
)


def _set_aside(lines: Lines, typed, starts: dict, result: ImportResult) -> None:
    """The rows set aside, by reason: how many, their amount, and the first 12 rows of each
    file (a window that keeps 12 rows per reason and file: Spark limits each group before
    the shuffle)."""
    from pyspark.sql import Window

    F = _F()
    one_off = ~F.col("recurring")
    masks = [F.col("tax") != 0, one_off & (F.col("net") > 0), one_off & (F.col("net") < 0),
             one_off & (F.col("net") == 0), F.col("recurring") & (F.col("net") < 0) & ~F.col("proration")]
    reasons = F.filter(F.array(*[F.when(m, F.lit(i)) for i, m in enumerate(masks)]), lambda x: x.isNotNull())
    flagged = typed.select(F.explode(reasons).alias("reason"), "_pos", "_name", "_blk", "_key", "tax_ticks", "ticks")
    flagged = flagged.withColumn("amount", F.when(F.col("reason") == 0, F.col("tax_ticks")).otherwise(F.col("ticks")))
    totals = {(r["reason"], r["_pos"], r["_name"]): (int(r["n"]), int(r["s"]))
              for r in flagged.groupBy("reason", "_pos", "_name")
              .agg(F.count(F.lit(1)).alias("n"), F.sum("amount").alias("s")).collect()}
    if not totals:
        return
    first = Window.partitionBy("reason", "_pos", "_name").orderBy("_blk", "_key")
    shown: dict = {}
    for r in (flagged.withColumn("k", F.row_number().over(first)).where(F.col("k") <= 12)
              .orderBy("reason", "_pos", "_name", "_blk", "_key").collect()):
        shown.setdefault((r["reason"], r["_pos"], r["_name"]), []).append(row_of(lines, starts, r))
    for i, (reason, measure, went_to, whole_rows) in enumerate(REASONS):
        files = sorted(k for k in totals if k[0] == i)
        if not files:
            continue
        locations = []
        for key in files:
            rows, count = shown[key], totals[key][0]
            if rows and rows[0] is None:
                locations.append(f"{key[2]}: {count} rows (a table has no row numbers)")
            else:
                more = f" and {count - 12} more" if count > 12 else ""
                locations.append(f"{key[2]}: rows {', '.join(map(str, rows[:12]))}{more}")
        result.set_aside.append(SetAside(reason, sum(totals[k][0] for k in files), sum(totals[k][1] for k in files),
                                         measure, locations, went_to, whole_rows))


def calendar_lengths(lines):
    """``lines`` (dates ``start`` < ``end``, month numbers ``ms``, ``me``) with the length of
    ``[start, end)`` in calendar months as the fraction ``p / q`` (BIGINT; ``is_whole`` when
    it is a whole number): :func:`saas_kit.imports.invoice_lines.calendar_months` in SQL.
    Whole months first (``add_months`` keeps the day, clamped to the month's end); the rest
    lies in the month of the day reached and, at most, the next one: ``a`` days of the first
    (``da`` days long) and ``b`` of the second (``db``), so ``q = da * db`` and
    ``p = whole * q + a * db + b * da``."""
    F = _F()
    w0 = F.col("me") - F.col("ms")
    lines = lines.withColumn("whole", F.when(F.add_months("start", w0) <= F.col("end"), w0).otherwise(w0 - 1))
    lines = lines.withColumn("day", F.add_months("start", F.col("whole")))
    same = month_number(F.col("day")) == F.col("me")
    next_month = F.add_months(F.trunc("day", "month"), 1)
    lines = lines.withColumns({
        "da": F.dayofmonth(F.last_day("day")).cast("long"), "db": F.dayofmonth(F.last_day("end")).cast("long"),
        "a": F.when(same, F.datediff("end", "day")).otherwise(F.datediff(next_month, "day")).cast("long"),
        "b": F.when(same, 0).otherwise(F.datediff("end", F.trunc("end", "month"))).cast("long"),
    })
    lines = lines.withColumns({"q": F.col("da") * F.col("db"),
                               "rem": F.col("a") * F.col("db") + F.col("b") * F.col("da")})
    lines = lines.withColumns({"p": F.col("whole") * F.col("q") + F.col("rem"),
                               "is_whole": F.pmod(F.col("rem"), F.col("q")) == 0})
    return lines


def _customer_months(typed, exponent: int, through: int):
    """(customer-month tick sums with the first line that reached each, lines rounded to
    the minor unit, whether any line reaches past ``through``)."""
    from pyspark import StorageLevel

    F = _F()
    d = lambda name: dec(F.col(name))  # noqa: E731
    lines = typed.where(F.col("counted")).select(
        "customer", "net", "proration", "start", "end", "_pos", "_name", "_blk", "_key", "_line",
        month_number(F.col("start")).alias("ms"), month_number(F.col("end")).alias("me"))
    lines = calendar_lengths(lines).persist(StorageLevel.MEMORY_AND_DISK)
    rated = None
    try:
        full = (lines.where(~F.col("proration") & F.col("is_whole") & (F.col("net") > 0))
                .select("customer", F.col("net").alias("n"), (F.col("p") / F.col("q")).cast("long").alias("w")))
        snap = lines.where(~F.col("is_whole") | F.col("proration")).select("customer", "_line", "net", "p", "q")
        x = F.abs(d("n") * d("p") - F.abs(d("net")) * d("w") * d("q"))
        fits = (snap.join(full, "customer").where(x <= d("w") * d("q"))
                .select("_line", "n", "w", x.cast("decimal(38,0)").alias("x")))
        k, j = fits.alias("k"), fits.alias("j")
        better = ((dec(F.col("j.x")) * dec(F.col("k.w")) < dec(F.col("k.x")) * dec(F.col("j.w")))
                  | ((dec(F.col("j.x")) * dec(F.col("k.w")) == dec(F.col("k.x")) * dec(F.col("j.w")))
                     & (dec(F.col("j.n")) * dec(F.col("k.w")) < dec(F.col("k.n")) * dec(F.col("j.w")))))
        best = (k.join(j, (F.col("k._line") == F.col("j._line")) & better, "left_anti")
                .groupBy(F.col("_line")).agg(F.min(F.struct("n", "w")).alias("best")))
        rated = lines.join(best, "_line", "left")
        scale = 10**exponent
        sign = F.when(F.col("net") < 0, -1).otherwise(1)
        snapped = round_half_away(dec(sign) * dec(F.col("best.n")) * TICKS_PER_UNIT, dec(F.col("best.w")) * scale)
        minor = round_half_away(d("net") * d("q"), d("p"))
        to_minor = round_half_away(dec(minor) * TICKS_PER_UNIT, scale)
        plain = round_half_away(d("net") * d("q") * TICKS_PER_UNIT, d("p") * scale)
        unsnapped = F.col("best").isNull() & ~F.col("is_whole")
        rated = rated.select("customer", "ms", "me", "_pos", "_name", "_blk", "_key", unsnapped.alias("unsnapped"),
                             F.when(F.col("best").isNotNull(), snapped).when(~F.col("is_whole"), to_minor)
                             .otherwise(plain).alias("rate")).persist(StorageLevel.MEMORY_AND_DISK)
        counts = rated.agg(F.count(F.when(F.col("unsnapped"), 1)).alias("u"),
                           F.count(F.when(F.col("me") - 1 > through, 1)).alias("later")).collect()[0]
        months = rated.select("customer", "rate", "_pos", "_name", "_blk", "_key", F.explode(
            F.when(F.least(F.col("me") - 1, F.lit(through)) >= F.col("ms"),
                   F.sequence(F.col("ms"), F.least(F.col("me") - 1, F.lit(through))))
            .otherwise(F.array().cast("array<int>"))).alias("month"))
        months = months.where(F.col("month") <= through)
        cells = (months.groupBy("customer", "month")
                 .agg(F.sum("rate").alias("ticks"),
                      F.min(F.struct("_pos", "_name", "_blk", "_key", "month")).alias("o"))
                 .persist(StorageLevel.MEMORY_AND_DISK))
        cells.count()
    finally:
        lines.unpersist()
        if rated is not None:
            rated.unpersist()
    return cells, int(counts["u"]), int(counts["later"]) > 0


def _mrr_rows(cells, result: ImportResult, currency: str):
    """The written MRR (positive customer-months, sorted); negative ones set aside."""
    F = _F()
    negative = cells.where(F.col("ticks") < 0)
    row = negative.agg(F.count(F.lit(1)).alias("n"), F.sum("ticks").alias("s")).collect()[0]
    if row["n"]:
        first = negative.orderBy("o").limit(5).collect()
        where = ", ".join(f"{r['customer']} {common.number_to_month(r['month'])}" for r in first)
        result.set_aside.append(SetAside("customer-month below zero (credits larger than the charges)",
                                         int(row["n"]), int(row["s"]), "MRR", [where]))
    positive = cells.where(F.col("ticks") > 0)
    if not positive.limit(1).count():
        raise DataError("no recurring line covers a month end before the as-of date: no MRR to write",
                        file=", ".join(result.files))
    month = F.format_string("%04d-%02d", F.floor(F.col("month") / 12).cast("int"),
                            F.pmod(F.col("month"), F.lit(12)) + 1)
    return positive.orderBy("customer", "month").select(
        F.col("customer").alias("customer_id"), month.alias("month"), ticks_text(F.col("ticks")).alias("mrr"),
        F.lit(currency).alias("currency"))
