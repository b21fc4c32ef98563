"""Invoice line items (the history) -> ``mrr.csv`` and ``charges.csv`` (metrics.md §8).

Two column sets share these rules:

- ``stripe-invoice-lines``: Stripe Sigma's ``invoice_line_items`` joined to the
  invoice's customer: ``id, invoice_id, customer, subscription, type, amount,
  discount_amount, tax_amount, currency, period_start, period_end, proration, quantity,
  description``. Amounts in the minor unit (cents; whole yen). ``amount`` is the line
  before discounts and without tax (for tax-inclusive prices map Stripe's
  ``amount_excluding_tax``, which is preferred when present). A line counts as
  recurring when its ``type`` is ``subscription`` or it is a proration.
- ``invoice-lines``: a generic set close to ChartMogul's line-item import, for any
  billing system: ``customer_id, subscription_id, type`` (``subscription`` |
  ``one_time``), ``service_period_start, service_period_end, amount, discount_amount,
  tax_amount, quantity, prorated, currency`` and optional ``date``, ``description``.
  Amounts in currency units (49.00), or in the minor unit when the columns are named
  ``amount_in_cents``, ``discount_amount_in_cents``, ``tax_amount_in_cents``
  (``--amounts`` overrides). ``amount`` is before discounts and without tax.

Rules:

- Net amount = ``amount - discount_amount``; tax is never MRR (listed as set aside).
- A recurring line with service period ``[start, end)`` contributes ``net ÷ length`` of
  MRR at every month end inside its period (``start <= last_day(M) < end``), where
  ``length`` is the period in calendar months: whole months (day of month kept, clamped
  to the month's last day) plus the remaining days, each day counted as
  ``1 / days in its month`` (2026-04-16 -> 2026-05-01 is 15/30 = 0.5).
- Prorations follow the same rule, so an upgrade counts from the day it happened: $50
  upgraded to $100 on 16 April gives April 50 - 50 + 100 = 100.
- **Proration residues.** A billing system rounds a prorated amount to the minor unit
  (50 × 17/30 = 28.333 is billed 28.33), so ``net ÷ length`` is off the price by up to
  one minor unit ÷ length (49.994 instead of 50): a phantom contraction of 0.006 and
  an expansion back the next month. So the monthly rate of every line whose length is
  not a whole number of months is *snapped* to the customer's full-period rate (the
  rate of one of their recurring, non-prorated lines of whole-month length) that
  explains its amount to within one minor unit (``|rate × length - |net|| <= 1``; the
  nearest one, the smaller rate of two as near); if none does, the rate is rounded to
  the minor unit and the summary counts such lines.
  Every rate is then held in whole ticks (1/1200 of a unit), exact in every sum.
- Lines without a subscription, one-off types, and lines with an empty period (start
  = end, or no period) are one-off charges: positive ones go to ``charges.csv`` (date =
  the period start, else ``date``), negative ones are refunds or credits, set aside.
  A negative recurring line that is not a proration is a credit, set aside.
- A customer-month whose lines sum below zero (a credit larger than the charges) is set
  aside and listed; months after the last complete month before the as-of date are not
  written (the loader would not count them).
"""
from __future__ import annotations

import calendar
from collections import defaultdict
from fractions import Fraction
from typing import Mapping, Sequence

import pandas as pd

from saas_kit.errors import DataError
from saas_kit.imports.common import (amounts_minor, as_number, bool_cells, currencies, fail, instants,
                                     minor_exponent, minor_to_ticks, number_to_month, pick_columns, read_export,
                                     round_ticks, text)
from saas_kit.imports.summary import ImportResult, SetAside
from saas_kit.metadata import last_complete_month
from saas_kit.money import TICKS_PER_UNIT, ticks_to_text

STRIPE_ALIASES = {
    "customer": ("customer", "customer_id", "invoice_customer"),
    "subscription": ("subscription", "subscription_id"),
    "type": ("type",),
    "amount": ("amount_excluding_tax", "amount"),
    "discount": ("discount_amount", "discount_amounts_amount", "total_discount_amount"),
    "tax": ("tax_amount", "tax_amounts_amount", "total_tax_amount"),
    "currency": ("currency",),
    "start": ("period_start", "service_period_start"),
    "end": ("period_end", "service_period_end"),
    "proration": ("proration", "prorated"),
    "description": ("description",),
    "date": ("invoice_date", "date", "created"),
}
GENERIC_ALIASES = {
    "customer": ("customer_id", "customer_external_id", "customer"),
    "subscription": ("subscription_id", "subscription_external_id", "subscription"),
    "type": ("type", "line_type"),
    "amount": ("amount", "amount_in_cents"),
    "discount": ("discount_amount", "discount_amount_in_cents"),
    "tax": ("tax_amount", "tax_amount_in_cents"),
    "currency": ("currency",),
    "start": ("service_period_start", "period_start"),
    "end": ("service_period_end", "period_end"),
    "proration": ("prorated", "proration"),
    "description": ("description",),
    "date": ("date", "invoice_date"),
}
RECURRING_TYPES = {"subscription", "recurring", "plan"}
ONE_OFF_TYPES = {"one_time", "one-time", "onetime", "one_off", "one-off", "invoiceitem", "invoice_item", "charge"}


def import_stripe_invoice_lines(paths: Sequence[str], mapping: Mapping[str, str] | None, result: ImportResult,
                                amounts: str | None = None) -> ImportResult:
    return _import(paths, mapping, result, STRIPE_ALIASES, amounts or "minor")


def import_invoice_lines(paths: Sequence[str], mapping: Mapping[str, str] | None, result: ImportResult,
                         amounts: str | None = None) -> ImportResult:
    return _import(paths, mapping, result, GENERIC_ALIASES, amounts)


def calendar_months(start: pd.Timestamp, end: pd.Timestamp) -> Fraction:
    """Length of ``[start, end)`` in calendar months: whole months from ``start`` (its
    day kept, clamped to the month's last day), then each remaining day as 1 / the days
    of its month. 2026-04-16 -> 2026-05-01 = 1/2; 2026-01-31 -> 2026-02-28 = 1."""
    whole = 0
    while _add_months(start, whole + 1) <= end:
        whole += 1
    day = _add_months(start, whole)
    rest = Fraction(0)
    while day < end:
        dim = calendar.monthrange(day.year, day.month)[1]
        next_month = (day + pd.offsets.MonthBegin(1)).normalize()
        stop = min(end, next_month)
        rest += Fraction((stop - day).days, dim)
        day = stop
    return whole + rest


def _add_months(start: pd.Timestamp, n: int) -> pd.Timestamp:
    if n == 0:
        return start
    return start + pd.DateOffset(months=n)  # pandas clamps 01-31 + 1 month to 02-28/29


def _import(paths, mapping, result: ImportResult, aliases: dict, amounts: str | None) -> ImportResult:
    raw = read_export(paths, mapping)
    cols = pick_columns(raw, aliases, ("customer", "amount"), str(paths[0]))
    result.currency = currencies(raw, cols["currency"], result.currency or None, "invoice-line export")
    result.rows_read = len(raw)
    exponent = minor_exponent(result.currency)
    unit = amounts or ("minor" if str(cols["amount"]).endswith("_in_cents") else "major")
    amount = amounts_minor(raw, cols["amount"], exponent, unit)
    discount = amounts_minor(raw, cols["discount"], exponent, unit, required=False)
    tax = amounts_minor(raw, cols["tax"], exponent, unit, required=False)
    net = amount - discount
    customer = text(raw, cols["customer"])
    if (customer == "").any():
        fail(raw, (customer == "").idxmax(), "customer id is missing", cols["customer"])
    subscription = text(raw, cols["subscription"])
    kind = text(raw, cols["type"]).str.lower()
    unknown = ~kind.isin(RECURRING_TYPES | ONE_OFF_TYPES | {""})
    if unknown.any():
        fail(raw, unknown.idxmax(), f"unknown line type {kind[unknown].iloc[0]!r} (subscription or one_time)",
             cols["type"])
    proration = pd.Series(bool_cells(raw, cols["proration"]), index=raw.index)
    start, end = instants(raw, cols["start"]), instants(raw, cols["end"])
    backwards = start.notna() & end.notna() & (end < start)
    if backwards.any():
        fail(raw, backwards.idxmax(), "the period ends before it starts", cols["end"])
    has_period = start.notna() & end.notna() & (end > start)
    recurring = (kind.isin(RECURRING_TYPES) | (kind.eq("") & (subscription != "")) | proration) \
        & (subscription != "") & has_period
    tpm = Fraction(TICKS_PER_UNIT, 10**exponent)  # ticks per minor unit
    ticks = pd.Series([round_ticks(minor_to_ticks(n, exponent)) for n in net], index=raw.index, dtype="int64")

    result.add("tax (never part of MRR)", tax != 0,
               raw, pd.Series([round_ticks(minor_to_ticks(t, exponent)) for t in tax], index=raw.index,
                              dtype="int64"), "tax", "not counted; the lines themselves are kept",
               whole_rows=False)
    one_off = ~recurring
    positive = pd.Series([n > 0 for n in net], index=raw.index)
    negative = pd.Series([n < 0 for n in net], index=raw.index)
    result.add("one-off (no subscription, a one-off type or an empty period)", one_off & positive, raw, ticks,
               "amount", "written to charges.csv")
    result.add("refund or credit (a negative one-off line)", one_off & negative, raw, ticks, "amount")
    result.add("zero-amount one-off line", one_off & ~positive & ~negative, raw, ticks, "amount")
    credit = recurring & negative & ~proration
    result.add("refund or credit (a negative recurring line that is not a proration)", credit, raw, ticks, "amount")
    counted = recurring & ~credit
    result.rows_kept = int(counted.sum())

    rates, unsnapped = _monthly_rates(raw.index[counted], customer, start, end, net, proration, exponent, tpm)
    if unsnapped:
        result.notes.append(f"{unsnapped} lines of a partial month have no full-period line of the same price for "
                            "their customer: their monthly rate is rounded to the minor unit")
    through = as_number(last_complete_month(result.as_of))
    cells: dict[tuple[str, int], int] = defaultdict(int)
    later = 0
    for i, rate in rates.items():
        for month in range(start[i].year * 12 + start[i].month - 1, end[i].year * 12 + end[i].month - 1):
            if month > through:
                later += 1
                continue
            cells[(customer[i], month)] += rate
    if later:
        result.notes.append(f"months after {number_to_month(through)} (not complete at the as-of date) are not "
                            "written; the lines covering them are kept for those months' later imports")
    result.frames["mrr"] = _mrr_frame(cells, result)
    result.frames.update(_charges(raw, one_off & positive, customer, start, instants(raw, cols["date"]), net,
                                  text(raw, cols["description"]), exponent))
    result.notes.append("MRR from invoice lines covers the months their service periods cover; a month no paid "
                        "period reaches (an unpaid renewal, a pause) is MRR 0")
    return result


def _monthly_rates(index, customer, start, end, net, proration, exponent: int, tpm: Fraction
                   ) -> tuple[dict, int]:
    """Line -> monthly rate in whole ticks (see the module docstring for the snapping)."""
    lengths = {i: calendar_months(start[i], end[i]) for i in index}
    full: dict[str, set[Fraction]] = defaultdict(set)
    for i in index:
        if not proration[i] and lengths[i].denominator == 1 and net[i] > 0:
            full[customer[i]].add(Fraction(net[i]) / lengths[i])  # minor units per month
    rates, unsnapped = {}, 0
    for i in index:
        length, amount = lengths[i], Fraction(net[i])
        rate = amount / length
        if length.denominator != 1 or proration[i]:
            fits = [c for c in full[customer[i]] if abs(c * length - abs(amount)) <= 1]
            if fits:
                best = min(fits, key=lambda c: (abs(c * length - abs(amount)), c))  # the smaller rate on a tie
                rate = best if amount >= 0 else -best
            elif length.denominator != 1:
                rate = Fraction(round_ticks(rate))  # nearest minor unit
                unsnapped += 1
        rates[i] = round_ticks(rate * tpm)
    return rates, unsnapped


def _mrr_frame(cells: dict, result: ImportResult) -> pd.DataFrame:
    negative = {k: v for k, v in cells.items() if v < 0}
    if negative:
        where = ", ".join(f"{c} {number_to_month(m)}" for c, m in list(negative)[:5])
        result.set_aside.append(SetAside("customer-month below zero (credits larger than the charges)",
                                         len(negative), sum(negative.values()), "MRR", [where]))
    rows = sorted((c, m, v) for (c, m), v in cells.items() if v > 0)
    if not rows:
        raise DataError("no recurring line covers a month end before the as-of date: no MRR to write",
                        file=", ".join(result.files))
    return pd.DataFrame({"customer_id": [r[0] for r in rows], "month": [number_to_month(r[1]) for r in rows],
                         "mrr": [ticks_to_text(r[2], 6) for r in rows], "currency": result.currency})


def _charges(raw, mask, customer, start, date, net, description, exponent: int) -> dict[str, pd.DataFrame]:
    if not mask.any():
        return {}
    when = start.where(start.notna(), date)[mask]
    if when.isna().any():
        fail(raw, when.isna().idxmax(), "a one-off line needs a date (a period start or a date column)", None)
    scale = Fraction(1, 10**exponent)
    return {"charges": pd.DataFrame({
        "customer_id": customer[mask].to_numpy(),
        "date": when.dt.strftime("%Y-%m-%d").to_numpy(),
        "amount": [ticks_to_text(round_ticks(Fraction(n) * scale * TICKS_PER_UNIT), 6) for n in net[mask]],
        "kind": description[mask].replace("", "one-off").to_numpy(),
    })}
