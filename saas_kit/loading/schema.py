"""Canonical schemas, limits and run parameters of the loader (metrics.md §1): the kinds of
input and their columns, the accepted billing periods, the date and amount limits, and
the parsers of a report month and of a column mapping."""
from __future__ import annotations

import datetime as _dt
import re
from typing import Iterable, Mapping

import pandas as pd

from saas_kit.errors import ParameterError


# kind -> (required columns, optional columns)
SCHEMAS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "subscriptions": (("customer_id", "start_date", "amount"),
                      ("subscription_id", "end_date", "billing_period", "plan", "currency")),
    "mrr": (("customer_id", "month", "mrr"), ("currency",)),
    "customers": (("customer_id",), ("segment", "signup_date")),
    "charges": (("customer_id", "date", "amount"), ("kind", "currency")),
    "events": (("customer_id", "event", "timestamp"), ("user_id",)),
    "company": (("month",), ("employees", "sales_marketing_spend")),
}
# Other columns of these kinds are kept as attributes (e.g. customers' industry).
KEEPS_EXTRA_COLUMNS = {"customers"}

BILLING_PERIODS = {
    "month": "month", "monthly": "month", "m": "month", "1": "month",
    "quarter": "quarter", "quarterly": "quarter", "q": "quarter", "3": "quarter",
    "year": "year", "yearly": "year", "annual": "year", "annually": "year", "y": "year", "12": "year",
}
EARLIEST_DATE = pd.Timestamp("1990-01-01")
LATEST_DATE = pd.Timestamp("2100-01-01")  # end dates from here on are "open" placeholders
FUTURE_TOLERANCE = pd.Timedelta(days=366)  # other dates may be at most this far after today
MAX_AMOUNT = 1e12  # keeps every sum of ticks (1/1200 unit) far inside int64
PLAIN_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
DATE_PATTERN = (r"^(?P<year>\d{4})[-/.年](?P<month>\d{1,2})[-/.月](?P<day>\d{1,2})日?"
         r"(?:[T ]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<frac>\d{1,9}))?)?)?"
         r"\s*(?:Z|UTC|[+-]\d{2}(?::?\d{2})?)?$")
MONTH_PATTERN = re.compile(r"(\d{4})[-/.年](\d{1,2})月?(?:[-/.]\d{1,2}日?)?(?:[T ].*)?", re.ASCII)
CURRENCY_CODE = re.compile(r"[A-Z]{3}")
NON_SJIS_CHARACTERS = re.compile("[\x80-\x9f\ue000-\uf8ff]")  # what cp932 makes of bytes that are not Shift_JIS
COMMA_SEPARATED_HINT = "export it as comma-separated CSV"
#: Columns the loader adds to every frame it reads; a user column of the same name is renamed.
INTERNAL_COLUMNS = ("_row",)
#: Customer ids that label a total row of a spreadsheet (compared case-insensitively, trimmed).
TOTAL_LABELS = frozenset({"合計", "小計", "総計", "総合計", "計", "total", "totals", "subtotal", "sub total",
                          "sub-total", "grand total", "sum", "合計金額"})
CURRENCY_HINT = ("give it with --currency CODE (e.g. --currency USD), add a currency column, "
                 "or write 'currency: USD' in the folder's dataset.yml")


def parse_month_parameter(month: str | pd.Period | _dt.date) -> pd.Period:
    """'YYYY-MM' (or a Period / date) -> Period[M]; ParameterError for anything else,
    a month before 1990 or a month after the current one."""
    if isinstance(month, pd.Period):
        p = month.asfreq("M")
    elif isinstance(month, (_dt.date, pd.Timestamp)) and not pd.isna(month):
        p = pd.Timestamp(month).to_period("M")
    elif isinstance(month, str) and re.fullmatch(r"\d{4}-\d{2}", month.strip(), re.ASCII) \
            and 1 <= int(month.strip()[5:]) <= 12:
        p = pd.Period(month.strip(), freq="M")
    else:
        raise ParameterError(f"month must look like YYYY-MM (e.g. 2026-10), got {month!r} "
                             f"({type(month).__name__})")
    if p.year < EARLIEST_DATE.year:
        raise ParameterError(f"report month {p} is before {EARLIEST_DATE.year}")
    if p > pd.Timestamp.today().to_period("M"):
        raise ParameterError(f"report month {p} is in the future")
    return p


def parse_mapping(pairs: Iterable[str] | Mapping[str, str] | None) -> dict[str, str]:
    """``["monthly_amount=amount", ...]`` (or a dict) -> ``{"monthly_amount": "amount"}``."""
    if pairs is None:
        return {}
    if isinstance(pairs, Mapping):
        items = [(str(k).strip(), str(v).strip()) for k, v in pairs.items()]
    elif isinstance(pairs, (str, bytes)):
        raise ParameterError(f"column mapping must be a list of OLD=NEW, got the string {pairs!r}")
    else:
        items = []
        for pair in pairs:
            old, sep, new = str(pair).partition("=")
            if not sep:
                raise ParameterError(f"column mapping must look like OLD=NEW, got {pair!r}")
            items.append((old.strip(), new.strip()))
    for old, new in items:
        if not old or not new:
            raise ParameterError(f"column mapping must look like OLD=NEW with both names, got {old!r}={new!r}")
    return dict(items)


def current_month() -> pd.Period:
    return pd.Timestamp.today().to_period("M")
