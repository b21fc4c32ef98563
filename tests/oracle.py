"""An independent, deliberately naive implementation of metrics.md §2 and §3.

A plain per-customer Python loop with exact fractions, written from the spec without
looking at saas_kit's vectorised code. Tests compare saas_kit against it on random
ledgers; the benchmark uses it as the "loop an analyst writes by hand" reference.
"""
from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from fractions import Fraction

MONTHS = {"month": 1, "quarter": 3, "year": 12}


def last_day(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def month_list(first: tuple[int, int], last: tuple[int, int]) -> list[tuple[int, int]]:
    out, (y, m) = [], first
    while (y, m) <= last:
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def customer_month_mrr(rows, last_month: tuple[int, int]) -> dict[str, dict[tuple[int, int], Fraction]]:
    """rows: iterables of (customer_id, start: date, end: date | None, amount, billing_period)."""
    rows = list(rows)
    first = min((r[1].year, r[1].month) for r in rows)
    result: dict[str, dict[tuple[int, int], Fraction]] = defaultdict(lambda: defaultdict(Fraction))
    for customer, start, end, amount, period in rows:
        mrr = Fraction(str(amount)) / MONTHS[period]
        for (y, m) in month_list(first, last_month):
            eom = last_day(y, m)
            if start <= eom and (end is None or end > eom):
                result[customer][(y, m)] += mrr
    return result


def bridge(rows, last_month: tuple[int, int]) -> list[dict]:
    """One dict per month: opening, new, expansion, reactivation, contraction, churn,
    closing (Fractions) and customers, new_customers, churned_customers."""
    mrr = customer_month_mrr(rows, last_month)
    first = min((r[1].year, r[1].month) for r in rows)
    months = month_list(first, last_month)
    out = []
    seen: set[str] = set()
    for i, month in enumerate(months):
        prev_month = months[i - 1] if i else None
        rec = {k: Fraction(0) for k in ("opening", "new", "expansion", "reactivation", "contraction", "churn", "closing")}
        rec.update(month=month, customers=0, new_customers=0, churned_customers=0)
        for customer, series in mrr.items():
            prev = series.get(prev_month, Fraction(0)) if prev_month else Fraction(0)
            cur = series.get(month, Fraction(0))
            rec["opening"] += prev
            rec["closing"] += cur
            if cur > 0:
                rec["customers"] += 1
            if prev == 0 and cur > 0:
                if customer in seen:
                    rec["reactivation"] += cur
                else:
                    rec["new"] += cur
                    rec["new_customers"] += 1
            elif prev > 0 and cur == 0:
                rec["churn"] += prev
                rec["churned_customers"] += 1
            elif prev > 0 and cur > prev:
                rec["expansion"] += cur - prev
            elif prev > 0 and cur < prev:
                rec["contraction"] += prev - cur
        for customer, series in mrr.items():
            if series.get(month, 0) > 0:
                seen.add(customer)
        out.append(rec)
    return out
