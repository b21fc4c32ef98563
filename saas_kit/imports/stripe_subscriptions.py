"""``stripe-subscriptions``: Stripe subscriptions (with their items) -> ``subscriptions.csv``.

Accepted shapes (headers are matched after :func:`~saas_kit.imports.common.normalise_header`):

- API / Sigma / ETL flattening: ``id, customer, status, start_date, trial_start,
  trial_end, cancel_at_period_end, canceled_at, ended_at, current_period_start,
  current_period_end, quantity, unit_amount, currency, interval, interval_count``
  (also ``price_unit_amount``, ``plan_amount``, ``price_recurring_interval``...).
  Timestamps ISO or Unix seconds; ``unit_amount`` in the currency's minor unit (cents;
  whole yen for JPY, whole won for KRW).
- The dashboard's CSV export: ``id, Customer ID, Plan, Quantity, Currency, Interval,
  Amount, Status, Start (UTC), Trial End (UTC), Canceled At (UTC), Ended At (UTC)...``.
  Its ``Amount`` is in currency units as the dashboard shows it (49.00).
  ``--amounts minor|major`` overrides either default.

Status rules (metrics.md §8; ChartMogul's and Stripe's defaults): ``incomplete`` and
``incomplete_expired`` never count; ``trialing`` counts only after ``trial_end``;
``active``, ``past_due``, ``unpaid`` and ``canceled`` count until ``ended_at`` (for a
canceled row without ``ended_at``, ``canceled_at``); ``paused`` does not count. One row
per subscription item: each item is a subscription row (same customer).
``cancel_at_period_end`` and ``current_period_end`` only say when a live subscription
will end, which is after the export's date and so never changes a complete month: they
are not needed.
"""
from __future__ import annotations

from typing import Mapping, Sequence

from saas_kit.imports.common import currencies, instants, minor_exponent, pick_columns, read_export, text
from saas_kit.imports.snapshot import (build_subscriptions, interval_column_months, price_per_interval, statuses,
                                       subscription_ids)
from saas_kit.imports.summary import ImportResult

ALIASES = {
    "id": ("id", "subscription_id", "subscription"),
    "customer": ("customer", "customer_id"),
    "status": ("status",),
    "start": ("start_date", "start", "created"),
    "trial_end": ("trial_end",),
    "canceled_at": ("canceled_at", "cancelled_at"),
    "ended_at": ("ended_at",),
    "quantity": ("quantity", "items_quantity", "item_quantity"),
    "unit_amount": ("unit_amount", "price_unit_amount", "plan_amount", "items_price_unit_amount",
                    "item_price_unit_amount", "amount"),
    "currency": ("currency", "price_currency", "plan_currency"),
    "interval": ("interval", "price_recurring_interval", "plan_interval", "recurring_interval"),
    "interval_count": ("interval_count", "price_recurring_interval_count", "plan_interval_count",
                       "recurring_interval_count"),
    "plan": ("plan_nickname", "price_nickname", "plan", "product", "price_id", "plan_id"),
}
STATES = {"active": "count", "past_due": "count", "unpaid": "count", "canceled": "count", "cancelled": "count",
          "trialing": "trial", "incomplete": "incomplete", "incomplete_expired": "incomplete", "paused": "paused"}


def import_stripe_subscriptions(paths: Sequence[str], mapping: Mapping[str, str] | None, result: ImportResult,
                                amounts: str | None = None) -> ImportResult:
    raw = read_export(paths, mapping)
    cols = pick_columns(raw, ALIASES, ("customer", "start", "unit_amount"), str(paths[0]))
    result.currency = currencies(raw, cols["currency"], result.currency or None, "Stripe export")
    result.rows_read = len(raw)
    unit = amounts or ("major" if cols["unit_amount"] == "amount" else "minor")
    status = statuses(raw, cols["status"], STATES, "Stripe")
    ended = instants(raw, cols["ended_at"])
    canceled = instants(raw, cols["canceled_at"])
    end = ended.where(ended.notna(), canceled.where(status.isin(["canceled", "cancelled"])))
    customer, sub_id = subscription_ids(raw, cols["customer"], cols["id"])
    subs = build_subscriptions(
        result, raw, customer=customer, subscription=sub_id, state=status.map(STATES),
        start=instants(raw, cols["start"], required=True), trial_end=instants(raw, cols["trial_end"]), end=end,
        price_minor=price_per_interval(raw, cols["unit_amount"], cols["quantity"], minor_exponent(result.currency),
                                       unit),
        months=interval_column_months(raw, cols["interval"], cols["interval_count"]), plan=text(raw, cols["plan"]))
    if unit == "major":
        result.notes.append(f"amounts read in currency units from the column {cols['unit_amount']!r} "
                            "(the dashboard export's convention; --amounts minor reads them as cents)")
    result.frames["subscriptions"] = subs
    result.rows_kept = len(subs)
    return result

