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

import pandas as pd

from saas_kit.imports.common import (amounts_minor, currencies, fail, instants, minor_exponent, pick_columns,
                                     read_export, text)
from saas_kit.imports.snapshot import build_subscriptions, interval_months
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
    status = text(raw, cols["status"]).str.lower().replace("", "active")
    unknown = ~status.isin(list(STATES))
    if unknown.any():
        fail(raw, unknown.idxmax(), f"unknown Chargebee status {status[unknown].iloc[0]!r} (known: "
             f"{', '.join(sorted(STATES))})", cols["status"])
    transferred = status == "transferred"
    state = status.map(STATES)
    quantity = amounts_minor(raw, cols["quantity"], 0, "minor", required=False, allow_negative=False, default=1)
    price = amounts_minor(raw, cols["unit_price"], minor_exponent(result.currency), unit, allow_negative=False)
    period = text(raw, cols["period"]).replace("", "1")
    period_unit = text(raw, cols["period_unit"]).replace("", "month")
    months = []
    for i in raw.index:
        if not period[i].isdigit() or int(period[i]) < 1:
            fail(raw, i, f"billing_period {period[i]!r} is not a whole number >= 1", cols["period"])
        m = interval_months(period_unit[i], int(period[i]))
        if m is None:
            fail(raw, i, f"unknown billing_period_unit {period_unit[i]!r} (day, week, month or year)",
                 cols["period_unit"])
        months.append(m)
    cancelled = instants(raw, cols["cancelled_at"])
    customer = text(raw, cols["customer"])
    if (customer == "").any():
        fail(raw, (customer == "").idxmax(), "customer id is missing", cols["customer"])
    sub_id = text(raw, cols["id"])
    sub_id = sub_id.where(sub_id != "", "row-" + raw["_row"].astype(str))
    price_minor = pd.Series([p * q for p, q in zip(price, quantity)], index=raw.index, dtype=object)
    result.add("transferred (continues under another row)", transferred, raw, pd.Series(0, index=raw.index), "MRR")
    keep = ~transferred
    subs = build_subscriptions(
        result, raw[keep], customer=customer[keep], subscription=sub_id[keep], state=state[keep],
        start=instants(raw, cols["start"], required=True)[keep], trial_end=instants(raw, cols["trial_end"])[keep],
        end=cancelled.where(status.isin(["cancelled", "canceled"]))[keep], price_minor=price_minor[keep],
        months=pd.Series(months, index=raw.index, dtype=object)[keep], plan=text(raw, cols["plan"])[keep])
    result.frames["subscriptions"] = subs
    result.rows_kept = len(subs)
    return result
