"""``chargebee-subscriptions``: Chargebee's subscription export -> ``subscriptions.csv``.

Columns (headers matched after normalisation, so ``Plan Unit Price`` and
``subscriptions.plan_unit_price`` both work): ``id``, ``customer_id``, ``status``,
``started_at`` (or ``activated_at``, ``start_date``, ``created_at``), ``trial_start``,
``trial_end``, ``cancelled_at``, ``plan_id``, ``plan_quantity``, ``plan_unit_price``,
``billing_period`` + ``billing_period_unit`` (day / week / month / year; Chargebee's
quarterly plan is ``billing_period=3, billing_period_unit=month``), ``currency_code``.
Dates ISO or Unix seconds. ``plan_unit_price`` is in the minor unit, as Chargebee's API
gives it (4900 = $49.00); pass ``--amounts major`` for an export with 49.00.

Status rules (metrics.md §8): ``active`` and ``non_renewing`` count; ``in_trial``
counts only after ``trial_end``; ``cancelled`` counts until ``cancelled_at``;
``future`` (not started) and ``paused`` do not count; ``transferred`` rows are set
aside (the subscription continues under another customer's row).
"""
from __future__ import annotations

from typing import Mapping, Sequence

from saas_kit.imports.common import currencies, instants, minor_exponent, pick_columns, read_export, text
from saas_kit.imports.snapshot import (build_subscriptions, interval_column_months, monthly_ticks, price_per_interval,
                                       statuses, subscription_ids)
from saas_kit.imports.summary import ImportResult

ALIASES = {
    "id": ("id", "subscription_id"),
    "customer": ("customer_id", "customer"),
    "status": ("status", "subscription_status"),
    "start": ("started_at", "activated_at", "start_date", "created_at"),
    "trial_end": ("trial_end",),
    "cancelled_at": ("cancelled_at", "canceled_at"),
    "quantity": ("plan_quantity", "quantity"),
    "unit_price": ("plan_unit_price", "unit_price", "plan_price"),
    "currency": ("currency_code", "currency"),
    "period": ("billing_period", "plan_period"),
    "period_unit": ("billing_period_unit", "plan_period_unit"),
    "plan": ("plan_id", "plan_name", "plan"),
}
STATES = {"active": "count", "non_renewing": "count", "cancelled": "count", "canceled": "count",
          "in_trial": "trial", "future": "future", "paused": "paused", "transferred": "transferred"}


def import_chargebee_subscriptions(paths: Sequence[str], mapping: Mapping[str, str] | None, result: ImportResult,
                                   amounts: str | None = None) -> ImportResult:
    raw = read_export(paths, mapping)
    cols = pick_columns(raw, ALIASES, ("customer", "start", "unit_price"), str(paths[0]))
    result.currency = currencies(raw, cols["currency"], result.currency or None, "Chargebee export")
    result.rows_read = len(raw)
    unit = amounts or "minor"
    status = statuses(raw, cols["status"], STATES, "Chargebee")
    transferred = status == "transferred"
    state = status.map(STATES)
    price_minor = price_per_interval(raw, cols["unit_price"], cols["quantity"], minor_exponent(result.currency), unit)
    months = interval_column_months(raw, cols["period_unit"], cols["period"])
    cancelled = instants(raw, cols["cancelled_at"])
    customer, sub_id = subscription_ids(raw, cols["customer"], cols["id"])
    result.add("transferred (continues under another row)", transferred, raw,
               monthly_ticks(price_minor, months, minor_exponent(result.currency)), "MRR")
    keep = ~transferred
    subs = build_subscriptions(
        result, raw[keep], customer=customer[keep], subscription=sub_id[keep], state=state[keep],
        start=instants(raw, cols["start"], required=True)[keep], trial_end=instants(raw, cols["trial_end"])[keep],
        end=cancelled.where(status.isin(["cancelled", "canceled"]))[keep], price_minor=price_minor[keep],
        months=months[keep], plan=text(raw, cols["plan"])[keep])
    result.frames["subscriptions"] = subs
    result.rows_kept = len(subs)
    return result
