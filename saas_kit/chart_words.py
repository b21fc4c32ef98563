"""Words of the charts that depend on the data (issue 13): month tick labels (and
their placement on an axis), the
currency in an axis label, an activation rule, a value of the data such as an activation group, each in
the page's language from the message tables (:mod:`saas_kit.i18n`)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from saas_kit.i18n import DEFAULT_LANG, message, messages

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def month_labels(months: pd.Index, lang: str = DEFAULT_LANG) -> list[str]:
    """Month tick labels: ``2026-10`` / ``2026年10月`` (message ``format.month_short``)."""
    periods = [pd.Period(m, freq="M") for m in months]
    return [message("format.month_short", lang, year=p.year, month=p.month) for p in periods]


def currency_name(currency: str, lang: str = DEFAULT_LANG) -> str:
    """The currency in an axis label: ``JPY`` / ``円``; a code without a name stays as it is."""
    key = f"chart.currency.{currency}"
    return message(key, lang) if key in messages(lang) else currency


def rule_text(rule, lang: str = DEFAULT_LANG) -> str:
    """An activation rule in words of ``lang`` (``ActivationRule.describe``; a rule
    that describes itself in English only is shown in English)."""
    try:
        return rule.describe(lang)
    except TypeError:
        return rule.describe()


def data_word(prefix: str, value: str, lang: str = DEFAULT_LANG) -> str:
    """A value of the data shown in a chart (an activation group such as ``not
    activated``) in words of ``lang``: message ``<prefix><value with _>`` when the tables
    have one, else the value as it is."""
    key = prefix + str(value).replace(" ", "_")
    return message(key, lang) if key in messages(lang) else str(value)


def month_ticks(ax: Axes, months, x=None, lang: str = DEFAULT_LANG) -> None:
    """At most about twelve month labels along the x axis, slanted."""
    labels = month_labels(months, lang)
    x = np.arange(len(labels)) if x is None else np.asarray(x)
    step = max(1, len(labels) // 12)
    ax.set_xticks(list(x)[::step], labels[::step], rotation=45, ha="right")
