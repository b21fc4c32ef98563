"""Subscription snapshots (one row per subscription, its current state) -> canonical
``subscriptions`` rows (metrics.md §1, §8). Shared by the Stripe and Chargebee importers.

Rules (metrics.md §8):

- MRR = ``unit price × quantity ÷ months in the billing interval``. A month is 1, a
  year 12, a week 12/52 of a month (52 weeks a year) and a day 12/365 of a month (a
  365-day year), each times the interval count. Intervals of exactly 1, 3 or 12 months
  are written with their price per period and ``billing_period`` month / quarter /
  year; any other interval (2 months, 6 months, weeks, days) is written as its
  monthly amount (``billing_period`` month), exact to the tick (1/1200 of a unit,
  written with 6 decimals, which the loader reads back to the same tick).
- A row counts from ``max(start, trial_end)`` to its end (exclusive), open-ended while
  not ended. Statuses are given to :func:`build_subscriptions` already classified as
  ``count`` (active, past_due, unpaid, canceled, non_renewing: counted until ended),
  ``trial`` (counted only after the trial ends), ``incomplete`` (never counted),
  ``paused`` (not billed: not counted) or ``future`` (not started).
- Rows set aside, by reason: incomplete, trial (still in trial at the as-of date, or
  ended during the trial), paused, not started by the as-of date, ended on their start.
"""
from __future__ import annotations

from fractions import Fraction

import pandas as pd

from saas_kit.imports.common import amounts_minor, fail, minor_exponent, minor_to_ticks, round_ticks, text
from saas_kit.imports.summary import ImportResult
from saas_kit.money import ticks_to_text

UNIT_MONTHS = {"day": Fraction(12, 365), "week": Fraction(12, 52), "month": Fraction(1), "year": Fraction(12)}
PERIOD_NAMES = {Fraction(1): "month", Fraction(3): "quarter", Fraction(12): "year"}
SNAPSHOT_NOTE = ("a subscription export is a snapshot: it holds each subscription's current price and no history "
                 "of plan changes, so an upgrade or downgrade shows as if the current price had applied from the "
                 "start (use invoice lines for the history)")


def interval_months(unit: str, count: int) -> Fraction | None:
    """Months in ``count`` billing units (day / week / month / year, plural and -ly
    forms accepted); None for an unknown unit."""
    key = unit.strip().lower().rstrip("s")
    key = {"dai": "day", "daily": "day", "weekly": "week", "monthly": "month", "yearly": "year", "annual": "year",
           "annually": "year", "quarter": "quarter", "quarterly": "quarter"}.get(key, key)
    if key == "quarter":
        return Fraction(3 * count)
    return UNIT_MONTHS[key] * count if key in UNIT_MONTHS else None


def monthly_ticks(price_minor: pd.Series, months: pd.Series, exponent: int) -> pd.Series:
    """MRR of each row in whole ticks: price per interval ÷ months per interval."""
    return pd.Series([round_ticks(minor_to_ticks(p, exponent) / m) for p, m in zip(price_minor, months)],
                     index=price_minor.index, dtype="int64")


def build_subscriptions(result: ImportResult, raw: pd.DataFrame, *, customer: pd.Series, subscription: pd.Series,
                        state: pd.Series, start: pd.Series, trial_end: pd.Series, end: pd.Series,
                        price_minor: pd.Series, months: pd.Series, plan: pd.Series) -> pd.DataFrame:
    """Canonical subscriptions frame; records every set-aside row on ``result``.

    ``price_minor``: price per billing interval in minor units (unit price × quantity);
    ``months``: months per interval (Fraction); ``state``: count / trial / incomplete /
    paused / future."""
    exponent = minor_exponent(result.currency)
    mrr_ticks = monthly_ticks(price_minor, months, exponent)
    counted_from = start.where(trial_end.isna() | (trial_end <= start), trial_end)
    as_of = result.as_of
    rules = [
        ("incomplete (status incomplete or incomplete_expired: never counted)", state == "incomplete"),
        ("paused (not billed while paused)", state == "paused"),
        ("trial (still in its trial at the as-of date)", (state == "trial") & (counted_from.isna() | (counted_from > as_of))),
        ("trial (ended during its trial: never paid)", end.notna() & trial_end.notna() & (end <= trial_end)),
        ("not started by the as-of date", (state == "future") | (counted_from > as_of)),
        ("ended on or before its start (never active at a month end)", end.notna() & (end <= counted_from)),
    ]
    left = pd.Series(True, index=raw.index)
    for reason, mask in rules:
        mask = mask.fillna(False).astype(bool) & left
        result.add(reason, mask, raw, mrr_ticks, "MRR")
        left &= ~mask
    if (~left).any() and "trial" in " ".join(s.reason for s in result.set_aside):
        result.notes.append("a trial counts only after it ends (metrics.md §8): its start is the trial's end")
    odd = [(p, m) for p, m in zip(price_minor[left], months[left]) if m not in PERIOD_NAMES]
    if odd:
        result.notes.append(f"{len(odd)} subscriptions bill on an interval other than 1, 3 or 12 months (weeks, "
                            "days, 2 or 6 months...): written as their monthly amount with billing_period month "
                            "(week = 12/52 of a month, day = 12/365)")
    amounts, periods = [], []
    for p, m in zip(price_minor[left], months[left]):
        if m in PERIOD_NAMES:
            amounts.append(ticks_to_text(round_ticks(minor_to_ticks(p, exponent)), 6))
            periods.append(PERIOD_NAMES[m])
        else:
            amounts.append(ticks_to_text(round_ticks(minor_to_ticks(p, exponent) / m), 6))
            periods.append("month")
    ids = subscription[left]
    # one row per subscription item: a repeated subscription id gets /2, /3 ... after it
    ids = ids + ids.groupby(ids).cumcount().map(lambda n: "" if n == 0 else f"/{n + 1}")
    result.notes.append(SNAPSHOT_NOTE)
    return pd.DataFrame({
        "customer_id": customer[left].to_numpy(),
        "subscription_id": ids.to_numpy(),
        "start_date": counted_from[left].dt.strftime("%Y-%m-%d").to_numpy(),
        "end_date": end[left].dt.strftime("%Y-%m-%d").fillna("").to_numpy(),
        "amount": amounts,
        "billing_period": periods,
        "plan": plan[left].to_numpy(),
        "currency": result.currency,
    })


def statuses(raw: pd.DataFrame, column: str | None, states: dict[str, str], system: str) -> pd.Series:
    """Lower-case status of each row (blank = active); an unknown one is a DataError."""
    status = text(raw, column).str.lower().replace("", "active")
    unknown = ~status.isin(list(states))
    if unknown.any():
        fail(raw, unknown.idxmax(), f"unknown {system} status {status[unknown].iloc[0]!r} (known: "
             f"{', '.join(sorted(states))})", column)
    return status


def interval_column_months(raw: pd.DataFrame, unit_column: str | None, count_column: str | None) -> pd.Series:
    """Months per billing interval (Fraction) from a unit column (day / week / month /
    year; blank = month) and a count column (blank = 1)."""
    unit = text(raw, unit_column).replace("", "month")
    count = text(raw, count_column).replace("", "1")
    out = []
    for i in raw.index:
        if not count[i].isdigit() or int(count[i]) < 1:
            fail(raw, i, f"interval count {count[i]!r} is not a whole number >= 1", count_column)
        months = interval_months(unit[i], int(count[i]))
        if months is None:
            fail(raw, i, f"unknown billing interval {unit[i]!r} (day, week, month or year)", unit_column)
        out.append(months)
    return pd.Series(out, index=raw.index, dtype=object)


def price_per_interval(raw: pd.DataFrame, price_column: str, quantity_column: str | None, exponent: int,
                       unit: str) -> pd.Series:
    """Unit price × quantity (blank quantity = 1) in exact minor units."""
    quantity = amounts_minor(raw, quantity_column, 0, "minor", required=False, allow_negative=False, default=1)
    price = amounts_minor(raw, price_column, exponent, unit, allow_negative=False)
    return pd.Series([p * q for p, q in zip(price, quantity)], index=raw.index, dtype=object)


def subscription_ids(raw: pd.DataFrame, customer_column: str, id_column: str | None) -> tuple[pd.Series, pd.Series]:
    """(customer id, subscription id) of each row; a missing customer is a DataError, a
    missing subscription id becomes ``row-N``."""
    customer = text(raw, customer_column)
    if (customer == "").any():
        fail(raw, (customer == "").idxmax(), "customer id is missing", customer_column)
    sub_id = text(raw, id_column)
    return customer, sub_id.where(sub_id != "", "row-" + raw["_row"].astype(str))
