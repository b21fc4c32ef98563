"""The month at a glance: which KPIs moved for better or worse, and a three-line verdict.

A monthly reader asks "how did this month go?" before any definition. This module
answers from the figures alone, with no thresholds typed into a page:

- :func:`kpi_marks` marks each KPI's change on the previous month as better, worse or
  unchanged, knowing which way is good for it (churn down is good, NRR up is good);
- :func:`unusual_moves` scores each change against the KPI's own month-to-month swings
  over the past year (a z-score of the change), so a 0.9 pt jump in a churn rate that
  usually moves 0.2 pt stands out while the same jump in a noisy series does not;
- :func:`month_verdict` gathers what grew (the MRR bridge's gains), what shrank (its
  losses and the churned customers, against their twelve-month average) and the one
  thing to look at (the move against the company that is largest against its usual
  swing, called unusual from 1.5 swings on).

Inputs are the tidy frames the rest of the package returns: ``rates`` is
:func:`saas_kit.rates.monthly_rates` (one row per month) and ``series`` is one row per
month (index ``Period[M]``) with a column per KPI key. The bridge identity of
metrics.md §3 (closing = opening + new + reactivation + expansion - contraction -
churn) is what "grew" and "shrank" split.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: +1: higher is better; -1: lower is better; 0: no good direction (shown without a judgement).
KPI_DIRECTION: dict[str, int] = {
    "mrr": 1, "arr": 1, "net_new_arr": 1, "nrr_monthly": 1, "nrr_ttm": 1, "grr_monthly": 1, "grr_ttm": 1,
    "quick_ratio": 1, "logo_churn": -1, "revenue_churn": -1, "customers": 1, "arpa": 1, "new_customers": 1,
    "churned_customers": -1, "activation_rate": 1,
}
#: Changes smaller than this count as unchanged: half the last digit the overview shows
#: (rates in 0.1 pt, ratios in 0.01, money as a relative change in 0.1%).
_FLAT = {"rate": 0.0005, "ratio": 0.005, "money": 0.0005, "count": 0.5}
_RATE_KEYS = {"nrr_monthly", "nrr_ttm", "grr_monthly", "grr_ttm", "logo_churn", "revenue_churn", "activation_rate"}
_COUNT_KEYS = {"customers", "new_customers", "churned_customers"}
#: A move counts as unusual when it is at least this many of the KPI's usual monthly swings.
UNUSUAL = 1.5


def kpi_kind(key: str) -> str:
    """'rate', 'ratio', 'count' or 'money' (how a KPI's change is measured and shown)."""
    if key in _RATE_KEYS:
        return "rate"
    if key == "quick_ratio":
        return "ratio"
    if key in _COUNT_KEYS:
        return "count"
    return "money"


def _change(kind: str, now: float, before: float) -> float:
    """Rates, ratios and counts change by difference; money by relative change."""
    if kind == "money":
        return (now - before) / abs(before) if before else math.nan
    return now - before


def kpi_marks(series: pd.DataFrame, month: pd.Period) -> pd.DataFrame:
    """One row per KPI column of ``series``: ``key``, ``now``, ``previous``, ``change``
    (difference, or relative change for money), ``direction`` ('up' | 'down' | 'flat' |
    'n/a'), ``assessment`` ('better' | 'worse' | 'unchanged' | 'n/a'; 'n/a' too for a
    KPI with no good direction) and ``arrow`` (▲ ▼ ▬, so the mark never rests on colour)."""
    month = pd.Period(month, freq="M")
    rows = []
    for key in series.columns:
        now = float(series[key].get(month, np.nan))
        before = float(series[key].get(month - 1, np.nan))
        kind = kpi_kind(key)
        change = _change(kind, now, before) if math.isfinite(now) and math.isfinite(before) else math.nan
        if not math.isfinite(change):
            direction, assessment, arrow = "n/a", "n/a", ""
        elif abs(change) < _FLAT[kind]:
            direction, assessment, arrow = "flat", "unchanged", "▬"
        else:
            direction = "up" if change > 0 else "down"
            arrow = "▲" if change > 0 else "▼"
            sign = KPI_DIRECTION.get(key, 0)
            assessment = "n/a" if sign == 0 else ("better" if sign * change > 0 else "worse")
        rows.append({"key": key, "now": now, "previous": before, "change": change,
                     "direction": direction, "assessment": assessment, "arrow": arrow})
    return pd.DataFrame(rows, columns=["key", "now", "previous", "change", "direction", "assessment", "arrow"])


def unusual_moves(series: pd.DataFrame, month: pd.Period, window: int = 12) -> pd.DataFrame:
    """Each KPI's change this month in units of its usual monthly swing.

    ``swing`` = standard deviation of the KPI's month-on-month changes over the
    ``window`` months before ``month``; ``score`` = change / swing, signed so that a
    positive score is a move *against* the company (churn up, NRR down). KPIs with no
    good direction, fewer than three earlier changes or no swing at all get no score.
    Sorted by score, the most adverse first."""
    month = pd.Period(month, freq="M")
    rows = []
    for key in series.columns:
        sign = KPI_DIRECTION.get(key, 0)
        col = series[key].astype("float64")
        kind = kpi_kind(key)
        changes = (col.pct_change(fill_method=None) if kind == "money" else col.diff()).replace([np.inf, -np.inf], np.nan)
        now = float(changes.get(month, np.nan))
        past = changes[(changes.index < month) & (changes.index >= month - window)].dropna()
        swing = float(past.std(ddof=1)) if len(past) >= 3 else math.nan
        score = (-sign * now / swing) if (sign and math.isfinite(now) and math.isfinite(swing) and swing > 0) else math.nan
        rows.append({"key": key, "change": now, "swing": swing, "score": score})
    out = pd.DataFrame(rows, columns=["key", "change", "swing", "score"])
    return out.sort_values("score", ascending=False, na_position="last", kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class MonthVerdict:
    """The facts behind the overview's three lines (numbers, not sentences)."""

    month: pd.Period
    closing_mrr: float
    mrr_change: float            # relative change of MRR on the previous month
    gains: dict[str, float]      # new, expansion, reactivation (MRR, this month)
    losses: dict[str, float]     # churn, contraction (MRR, this month, positive amounts)
    churned_customers: int
    churned_previous: int        # churned customers in the previous month
    churned_average: float       # average churned customers per month over the past twelve months
    fastest_growth_in: int       # MRR grew faster this month than in each of the previous N months (0: not)
    look_at: str | None          # KPI key of the largest move against the company (None: nothing moved against it)
    look_at_score: float         # its score (multiples of its usual swing), NaN when none
    look_at_unusual: bool        # the score is at least UNUSUAL


def _streak(values: pd.Series, month: pd.Period, window: int) -> int:
    """How many of the previous ``window`` months ``values`` at ``month`` exceeds (all of them, or 0)."""
    past = values[(values.index < month) & (values.index >= month - window)].dropna()
    now = values.get(month, np.nan)
    if not len(past) or not math.isfinite(now) or not (now > past).all():
        return 0
    return len(past)


def month_verdict(rates: pd.DataFrame, series: pd.DataFrame, month: pd.Period, window: int = 12) -> MonthVerdict:
    """What grew, what shrank and the one thing to look at in ``month`` (see the module docstring).

    ``rates``: :func:`saas_kit.rates.monthly_rates`; ``series``: KPI columns per month.
    Raises KeyError when ``month`` is not in ``rates``."""
    month = pd.Period(month, freq="M")
    by_month = rates.set_index("month")
    if month not in by_month.index:
        raise KeyError(f"{month} is not in the monthly bridge")
    row = by_month.loc[month]
    growth = by_month["closing_mrr"].pct_change(fill_method=None).replace([np.inf, -np.inf], np.nan)
    churned = by_month["churned_customers"]
    past_churned = churned[(churned.index < month) & (churned.index >= month - window)]
    moves = unusual_moves(series, month, window)
    top = moves.iloc[0] if len(moves) and math.isfinite(moves.iloc[0]["score"]) else None
    look_at = str(top["key"]) if top is not None and top["score"] > 0 else None
    return MonthVerdict(
        month=month,
        closing_mrr=float(row["closing_mrr"]),
        mrr_change=float(growth.get(month, np.nan)),
        gains={k: float(row[k]) for k in ("new", "expansion", "reactivation")},
        losses={k: float(row[k]) for k in ("churn", "contraction")},
        churned_customers=int(row["churned_customers"]),
        churned_previous=int(churned.get(month - 1, 0)),
        churned_average=float(past_churned.mean()) if len(past_churned) else math.nan,
        fastest_growth_in=_streak(growth, month, window),
        look_at=look_at,
        look_at_score=float(top["score"]) if look_at else math.nan,
        look_at_unusual=bool(look_at) and float(top["score"]) >= UNUSUAL,
    )
