"""The month's headline KPIs with their change and benchmark band (the report overview).

One function computes every figure the overview page shows, so the notebooks glue
exactly these values and ``saas-kit metrics`` prints the same numbers. Changes are
shown as relative change for money (``+3.2%``) and as percentage points for rates
(``+0.4 pt``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from saas_kit.activation import (ActivationRule, activation_cohort, activation_rate_by_cohort, evaluate_rule,
                                 onboarding_scope)
from saas_kit.bands import Band, bands_for, place_in_band, position_in_band, range_text
from saas_kit.errors import ParameterError
from saas_kit.formatting import (format_money, format_percent, format_points_change, format_ratio,
                                 format_ratio_change)
from saas_kit.loading import Dataset
from saas_kit.movements import mrr_movements
from saas_kit.rates import monthly_rates, trailing_retention

#: Japanese B2B SaaS average NRR (seed 000), from the band table.
NRR_JAPAN_AVERAGE = next(b.low for b in bands_for("nrr") if b.label.startswith("Japanese B2B"))


@dataclass(frozen=True)
class KpiSpec:
    key: str
    label: str
    kind: str  # 'money' | 'flow' (money that can change sign) | 'rate' | 'ratio'


KPIS = (
    KpiSpec("mrr", "MRR", "money"),
    KpiSpec("arr", "ARR", "money"),
    KpiSpec("net_new_arr", "Net New ARR (month)", "flow"),
    KpiSpec("nrr_monthly", "NRR, monthly", "rate"),
    KpiSpec("nrr_ttm", "NRR, twelve-month", "rate"),
    KpiSpec("grr_monthly", "GRR, monthly", "rate"),
    KpiSpec("grr_ttm", "GRR, twelve-month", "rate"),
    KpiSpec("quick_ratio", "SaaS Quick Ratio", "ratio"),
    KpiSpec("logo_churn", "Logo churn, monthly", "rate"),
    KpiSpec("revenue_churn", "Revenue churn (gross), monthly", "rate"),
)


def monthly_kpi_series(customer_mrr: pd.DataFrame, bridge: pd.DataFrame | None = None,
                       ttm: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every KPI of :data:`KPIS` per month (index Period[M]). ``bridge`` (the bridge
    with :func:`saas_kit.rates.monthly_rates`) and ``ttm`` (:func:`trailing_retention`)
    are computed from ``customer_mrr`` unless given (the month analysis passes its own)."""
    rates = (monthly_rates(mrr_movements(customer_mrr)) if bridge is None else bridge).set_index("month")
    ttm = (trailing_retention(customer_mrr) if ttm is None else ttm).set_index("month")
    out = pd.DataFrame(index=rates.index)
    out["mrr"] = rates["closing_mrr"]
    out["arr"] = rates["arr"]
    out["net_new_arr"] = rates["net_new_arr"]
    out["nrr_monthly"] = rates["nrr"]
    out["grr_monthly"] = rates["grr"]
    out["nrr_ttm"] = ttm["nrr_ttm"].reindex(out.index)
    out["grr_ttm"] = ttm["grr_ttm"].reindex(out.index)
    out["quick_ratio"] = rates["quick_ratio"]
    out["logo_churn"] = rates["logo_churn"]
    out["revenue_churn"] = rates["revenue_churn"]
    return out


def _band(metric: str, label_start: str, **context) -> Band:
    """The band of ``metric`` whose label starts with ``label_start`` (metrics.md §6)."""
    return next(b for b in bands_for(metric, **context) if b.label.startswith(label_start))


def band_text(key: str, value: float) -> str:
    """One line placing ``value`` against the benchmarks of metrics.md §6; every figure
    and seed comes from the band table (:data:`saas_kit.bands.BANDS`)."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if key == "nrr_ttm":
        japan, us = _band("nrr", "Japanese B2B"), _band("nrr", "US SaaS at IPO")
        versus_japan = "above" if value > japan.low else "at or below"
        return (f"{versus_japan} the Japanese B2B average ({range_text(japan)}); {position_in_band(us, value)} "
                f"the US IPO median ({range_text(us)}) [seeds {japan.source_seed}, {us.source_seed}]")
    if key == "grr_ttm":
        smb, enterprise = _band("grr", "SMB", segment="SMB"), _band("grr", "Enterprise", segment="Enterprise")
        where = (f"above {range_text(enterprise)}" if value >= enterprise.low else
                 f"{range_text(smb)[:-1]}–{range_text(enterprise)}" if value >= smb.low else
                 f"below {range_text(smb)}")
        return (f"SMB-focused companies run about {range_text(smb)}, enterprise-focused about "
                f"{range_text(enterprise)} [seed {smb.source_seed}]; this is {where}")
    if key == "quick_ratio":
        band = place_in_band("quick_ratio", value)
        return f"{band.verdict} ({band.label}) [seed {band.source_seed}]" if band else "n/a"
    if key == "logo_churn":
        band = place_in_band("logo_churn_monthly", value, segment="B2B")
        return f"{band.verdict} for B2B ({band.label}) [seed {band.source_seed}]" if band else "n/a"
    if key == "arr":
        milestones = bands_for("arr_milestone")
        seeds = f"[seeds {milestones[0].source_seed}]"
        for band in reversed(milestones):
            if value >= band.low:
                return f"past the {band.label.split(':')[0]} milestone {seeds}"
        first = milestones[0]
        return f"{value / first.low:.0%} of the way to the {first.label.split(':')[0]} (PMF) milestone {seeds}"
    if key in ("nrr_monthly", "grr_monthly"):
        return "benchmarks are quoted for the twelve-month figure"
    return "—"


def arr_milestone_band(arr: float, currency: str, style: str = "en") -> str:
    """How far ARR is from the next milestone of source [2] (seed 001: ¥100M, ¥1B, ...):
    "¥158.3M to the ¥1B milestone (84% of the way)". The milestones are in yen, so other
    currencies get "no benchmark in this currency" (metrics.md §8)."""
    from saas_kit.i18n import message

    if not math.isfinite(arr):
        return message("na", style)
    if currency != "JPY":
        return message("overview.band.no_currency", style)
    milestones = sorted(bands_for("arr_milestone"), key=lambda b: b.low)
    ahead = [b for b in milestones if b.low > arr]
    if not ahead:
        return message("overview.band.arr_past_all", style, milestone=format_money(milestones[-1].low, currency, style))
    target = ahead[0]
    return message("overview.band.arr_next", style, gap=format_money(target.low - arr, currency, style),
                   milestone=format_money(target.low, currency, style), share=format_percent(arr / target.low, 0))


def own_range_band(col: pd.Series, month: pd.Period, show, style: str = "en") -> str:
    """A benchmark at the company's own size where the sources give none: the lowest
    and highest value of the twelve months before ``month`` ("past 12 months: ¥47.5M to
    ¥67.3M"); ``show`` formats one value. "n/a" with fewer than three earlier months."""
    from saas_kit.i18n import message

    past = col[(col.index < month) & (col.index >= month - 12)].dropna()
    if len(past) < 3:
        return message("na", style)
    return message("overview.band.history", style, low=show(float(past.min())), high=show(float(past.max())))


#: KPIs whose sources give no monthly benchmark: their band is the company's own range.
OWN_RANGE_KEYS = ("mrr", "net_new_arr", "nrr_monthly", "grr_monthly", "revenue_churn")


def _format(spec: KpiSpec, value: float, currency: str, style: str) -> str:
    if spec.kind in ("money", "flow"):
        return format_money(value, currency, style)
    if spec.kind == "rate":
        return format_percent(value, 1)
    return format_ratio(value)


def kpi_change_text(spec: KpiSpec, now: float, before: float, currency: str = "JPY", style: str = "en") -> str:
    """The change shown beside a KPI (methodology: changes are the difference of the
    displayed figures, rounded half away from zero): money as a relative change; a
    flow that can change sign (Net New ARR) as a difference in money, since a
    percentage of a flow that crosses zero means nothing; rates in percentage points
    and ratios as a difference, both between the rounded values shown."""
    if any(v is None or not math.isfinite(v) for v in (now, before)):
        return "n/a"
    if spec.kind == "flow":
        diff = now - before
        text = format_money(abs(diff), currency, style)
        return text if diff == 0 else ("+" if diff > 0 else "-") + text
    if spec.kind == "money":
        if before == 0:
            return "n/a"
        return format_percent((now - before) / abs(before), 1, signed=True)
    if spec.kind == "rate":
        return format_points_change(now, before, 1)
    return format_ratio_change(now, before, 2)




def headline_kpis(dataset: Dataset | pd.DataFrame, month: pd.Period | str, currency: str = "JPY",
                  style: str = "en", series: pd.DataFrame | None = None) -> pd.DataFrame:
    """The overview table: one row per KPI with ``key``, ``metric``, ``value``,
    ``previous_month``, ``year_ago``, formatted ``value_text``, ``mom_text``,
    ``yoy_text`` and ``band``. ``dataset`` is a :class:`Dataset` or a customer-month
    MRR frame; ``series`` the :func:`monthly_kpi_series` when already computed."""
    if isinstance(dataset, Dataset):
        customer_mrr, currency = dataset.customer_mrr, dataset.currency
    else:
        customer_mrr = dataset
    month = pd.Period(month, freq="M")
    series = monthly_kpi_series(customer_mrr) if series is None else series
    rows = []
    for spec in KPIS:
        col = series[spec.key]
        now = _at(col, month)
        prev = _at(col, month - 1)
        year = _at(col, month - 12)
        rows.append({
            "key": spec.key, "metric": spec.label, "value": now, "previous_month": prev, "year_ago": year,
            "value_text": _format(spec, now, currency, style),
            "mom_text": kpi_change_text(spec, now, prev, currency, style),
            "yoy_text": kpi_change_text(spec, now, year, currency, style), "band": band_text(spec.key, now),
        })
        if spec.key == "arr":
            rows[-1]["band"] = arr_milestone_band(now, currency, style)
        elif spec.key in OWN_RANGE_KEYS:
            rows[-1]["band"] = own_range_band(col, month, lambda v, s=spec: _format(s, v, currency, style), style)
    return pd.DataFrame(rows)


def _at(series: pd.Series, month: pd.Period) -> float:
    return float(series.get(month, np.nan))


def kpi_texts(kpis: pd.DataFrame, keys: list[str] | tuple[str, ...]) -> dict[str, str]:
    """The overview's texts of ``keys``: ``kpi_<key>`` (value), ``kpi_<key>_mom``,
    ``kpi_<key>_yoy`` (changes) and ``kpi_<key>_band`` (benchmark), from a
    :func:`headline_kpis` table; the chapter pages glue them."""
    table = kpis.set_index("key")
    out: dict[str, str] = {}
    for key in keys:
        row = table.loc[key]
        out[f"kpi_{key}"] = row["value_text"]
        out[f"kpi_{key}_mom"] = row["mom_text"]
        out[f"kpi_{key}_yoy"] = row["yoy_text"]
        out[f"kpi_{key}_band"] = row["band"]
    return out


ACTIVATION_SPEC = KpiSpec("activation_rate", "Activation rate", "rate")


def activation_kpis(dataset: Dataset, month: pd.Period | str, rule: str = "invite_teammate>=3@14d",
                    style: str = "en") -> pd.DataFrame:
    """The activation-rate row of the overview, in the shape of :func:`headline_kpis` (metrics.md §7, seed 004).

    **Which cohort.** The activation rate of report month ``M`` is
    ``activated / signups`` of the signup cohort :func:`activation_cohort` picks: the
    latest signup month whose activation windows have all closed by the end of ``M``
    (``M - 1`` for a 14-day rule), so the figure is final and never revised later.
    ``previous_month`` is the cohort one month earlier (the figure the report of
    ``M - 1`` showed) and ``year_ago`` the cohort twelve months earlier. A cohort with
    no signups, or one that signed up before the event log starts
    (:func:`onboarding_scope`), is NaN. Customers count toward the rule with the
    conventions of :mod:`saas_kit.activation` (half-open window from signup, event rows
    counted). Changes are in percentage points; no benchmark band exists for this rate
    (it depends entirely on the rule), so ``band`` says so.

    Returns one row with ``key`` "activation_rate", ``metric``, ``value``,
    ``previous_month``, ``year_ago``, ``value_text``, ``mom_text``, ``yoy_text``,
    ``band``, plus ``cohort`` (Period), ``signups`` and ``rule`` (text form).
    ``style`` is accepted for symmetry with :func:`headline_kpis`; percentages print
    the same in both styles.
    """
    if style not in ("en", "ja"):
        raise ParameterError(f"style must be 'en' or 'ja', got {style!r}")
    parsed = ActivationRule.parse(rule)
    month = pd.Period(month, freq="M")
    scope = onboarding_scope(dataset, month)
    cohort = activation_cohort(month, parsed.window_days)
    act = evaluate_rule(scope.events, scope.customers, parsed, as_of=scope.as_of)
    rates = activation_rate_by_cohort(act, scope.customers).set_index("cohort")

    def rate(c: pd.Period) -> float:
        return float(rates["rate"].get(c, np.nan))

    now, prev, year = rate(cohort), rate(cohort - 1), rate(cohort - 12)
    signups = int(rates["signups"].get(cohort, 0))
    band = (f"no benchmark: the rate depends on the rule ({parsed.describe()}); "
            f"signups of {cohort} [seed 004]")
    return pd.DataFrame([{
        "key": ACTIVATION_SPEC.key, "metric": ACTIVATION_SPEC.label, "value": now, "previous_month": prev,
        "year_ago": year, "value_text": format_percent(now, 1),
        "mom_text": kpi_change_text(ACTIVATION_SPEC, now, prev),
        "yoy_text": kpi_change_text(ACTIVATION_SPEC, now, year), "band": band, "cohort": cohort, "signups": signups,
        "rule": str(parsed),
    }])
