"""The month's headline KPIs with their change and benchmark band (the report overview).

One function computes every figure the overview page shows, so the notebooks glue
exactly these values and ``saas-kit metrics`` prints the same numbers. Changes are
shown as relative change for money (``+3.2%``) and as percentage points for rates
(``+0.4 pt``).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from saas_kit.activation import (ActivationRule, activation_cohort, activation_rate_by_cohort, evaluate_rule,
                                 onboarding_scope)
from saas_kit.bands import Band, bands_for, place_in_band, position_in_band, range_text
from saas_kit.errors import ParameterError
from saas_kit.formatting import displayed_change, format_money, format_percent, format_ratio, format_ratio_change
from saas_kit.calendar import month_label
from saas_kit.i18n import message
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


def verdict_word(verdict: str, lang: str = "en") -> str:
    """A band's verdict (:data:`saas_kit.bands.VERDICTS`) in ``lang``: ``good`` / ``良い``."""
    return message("verdict." + verdict.replace(" ", "_"), lang)


def band_label(band: Band, lang: str = "en") -> str:
    """The label of a Quick Ratio, logo-churn or LTV/CAC band in ``lang`` (``B2B 1–2%`` /
    ``B2B・月1〜2%``): message ``kpi.band_label.<metric>.<label>``, whose English text is
    the band table's label itself (tests/test_kpis.py checks every one)."""
    return message(band_label_key(band), lang)


def band_label_key(band: Band) -> str:
    """``kpi.band_label.logo_churn_monthly.b2b_1_2`` for the band labelled ``B2B 1–2%``."""
    slug = re.sub(r"[^a-z0-9]+", "_", band.label.lower()).strip("_")
    return f"kpi.band_label.{band.metric}.{slug}"


def _seeds(*bands: Band) -> str:
    """``[seed 004]`` or ``[seeds 000, 003]``: the marker :func:`saas_kit.pages.base.cite_sources` numbers."""
    seeds = ", ".join(b.source_seed for b in bands)
    return f"[seeds {seeds}]" if "," in seeds else f"[seed {seeds}]"


def band_text(key: str, value: float, lang: str = "en", style: str | None = None) -> str:
    """One line placing ``value`` against the benchmarks of metrics.md §6; every figure
    and seed comes from the band table (:data:`saas_kit.bands.BANDS`), the words from
    the message table of ``lang`` (``kpi.band.*``). ``style`` writes the ARR milestones
    (default: the language's own style)."""
    style = style or ("ja" if lang == "ja" else "en")
    if value is None or not math.isfinite(value):
        return message("na", lang)
    if key == "nrr_ttm":
        japan, us = _band("nrr", "Japanese B2B"), _band("nrr", "US SaaS at IPO")
        versus_japan = "above" if value > japan.low else "at_or_below"
        return message("kpi.band.nrr_ttm", lang, versus_japan=message(f"kpi.band.japan_{versus_japan}", lang),
                       japan=range_text(japan, lang), us=range_text(us, lang), citation=_seeds(japan, us),
                       versus_us=message(f"kpi.band.us_{position_in_band(us, value)}", lang))
    if key == "grr_ttm":
        smb, enterprise = _band("grr", "SMB", segment="SMB"), _band("grr", "Enterprise", segment="Enterprise")
        where = (message("kpi.band.grr_above", lang, value=range_text(enterprise, lang)) if value >= enterprise.low else
                 message("kpi.band.grr_between", lang, low=range_text(smb, lang)[:-1], high=range_text(enterprise, lang))
                 if value >= smb.low else message("kpi.band.grr_below", lang, value=range_text(smb, lang)))
        return message("kpi.band.grr_ttm", lang, smb=range_text(smb, lang), enterprise=range_text(enterprise, lang),
                       citation=_seeds(smb), where=where)
    if key == "quick_ratio":
        band = place_in_band("quick_ratio", value)
        return message("kpi.band.quick_ratio", lang, verdict=verdict_word(band.verdict, lang),
                       band=band_label(band, lang), citation=_seeds(band)) if band else message("na", lang)
    if key == "logo_churn":
        band = place_in_band("logo_churn_monthly", value, segment="B2B")
        return message("kpi.band.logo_churn", lang, verdict=verdict_word(band.verdict, lang),
                       band=band_label(band, lang), citation=_seeds(band)) if band else message("na", lang)
    if key == "arr":
        milestones = bands_for("arr_milestone")
        seeds = _seeds(milestones[0])

        def name(band: Band) -> str:
            return format_money(band.low, "JPY", style) if style == "ja" else band.label.split(":")[0]

        for band in reversed(milestones):
            if value >= band.low:
                return message("kpi.band.arr_past", lang, milestone=name(band), citation=seeds)
        first = milestones[0]
        return message("kpi.band.arr_to_pmf", lang, share=f"{value / first.low:.0%}", milestone=name(first),
                       citation=seeds)
    if key in ("nrr_monthly", "grr_monthly"):
        return message("kpi.band.monthly_rates", lang)
    return "—"


def arr_milestone_band(arr: float, currency: str, style: str = "en", lang: str = "en") -> str:
    """How far ARR is from the next milestone of source [2] (seed 001: ¥100M, ¥1B, ...):
    "¥158.3M to the ¥1B milestone (84% of the way)". The milestones are in yen, so other
    currencies get "no benchmark in this currency" (metrics.md §8). Words in ``lang``,
    amounts in ``style``."""
    if not math.isfinite(arr):
        return message("na", lang)
    if currency != "JPY":
        return message("overview.band.no_currency", lang)
    milestones = sorted(bands_for("arr_milestone"), key=lambda b: b.low)
    ahead = [b for b in milestones if b.low > arr]
    if not ahead:
        return message("overview.band.arr_past_all", lang, milestone=format_money(milestones[-1].low, currency, style))
    target = ahead[0]
    return message("overview.band.arr_next", lang, gap=format_money(target.low - arr, currency, style),
                   milestone=format_money(target.low, currency, style), share=format_percent(arr / target.low, 0))


def own_range_band(col: pd.Series, month: pd.Period, show, lang: str = "en") -> str:
    """A benchmark at the company's own size where the sources give none: the lowest
    and highest value of the twelve months before ``month`` ("past 12 months: ¥47.5M to
    ¥67.3M"); ``show`` formats one value. "n/a" with fewer than three earlier months.
    Words in ``lang``."""
    past = col[(col.index < month) & (col.index >= month - 12)].dropna()
    if len(past) < 3:
        return message("na", lang)
    return message("overview.band.history", lang, low=show(float(past.min())), high=show(float(past.max())))


#: KPIs whose sources give no monthly benchmark: their band is the company's own range.
OWN_RANGE_KEYS = ("mrr", "net_new_arr", "nrr_monthly", "grr_monthly", "revenue_churn")


def _format(spec: KpiSpec, value: float, currency: str, style: str, lang: str = "en") -> str:
    if spec.kind in ("money", "flow"):
        return format_money(value, currency, style)
    if value is None or not math.isfinite(value):
        return message("undefined" if spec.kind == "ratio" else "na", lang)
    if spec.kind == "rate":
        return format_percent(value, 1)
    return format_ratio(value)


def _points_change(now: float, before: float, lang: str) -> str:
    """``+0.3 pt`` / ``+0.3ポイント``: the difference of the displayed percentages."""
    diff = displayed_change(now, before, 1)
    sign = "" if diff == 0 else ("+" if diff > 0 else "-")
    return message("change.points", lang, points=f"{sign}{abs(diff):,.1f}")


def kpi_change_text(spec: KpiSpec, now: float, before: float, currency: str = "JPY", style: str = "en",
                    lang: str = "en") -> str:
    """The change shown beside a KPI (methodology: changes are the difference of the
    displayed figures, rounded half away from zero): money as a relative change; a
    flow that can change sign (Net New ARR) as a difference in money, since a
    percentage of a flow that crosses zero means nothing; rates in percentage points
    (``change.points`` of ``lang``) and ratios as a difference, both between the
    rounded values shown."""
    if any(v is None or not math.isfinite(v) for v in (now, before)):
        return message("na", lang)
    if spec.kind == "flow":
        diff = now - before
        text = format_money(abs(diff), currency, style)
        return text if diff == 0 else ("+" if diff > 0 else "-") + text
    if spec.kind == "money":
        if before == 0:
            return message("na", lang)
        return format_percent((now - before) / abs(before), 1, signed=True)
    if spec.kind == "rate":
        return _points_change(now, before, lang)
    return format_ratio_change(now, before, 2)


def headline_kpis(dataset: Dataset | pd.DataFrame | None, month: pd.Period | str, currency: str = "JPY",
                  style: str = "en", series: pd.DataFrame | None = None, lang: str = "en") -> pd.DataFrame:
    """The overview table: one row per KPI with ``key``, ``metric``, ``value``,
    ``previous_month``, ``year_ago``, formatted ``value_text``, ``mom_text``,
    ``yoy_text`` and ``band``. ``dataset`` is a :class:`Dataset` or a customer-month
    MRR frame (None with ``series``); ``series`` the :func:`monthly_kpi_series` when already computed;
    ``lang`` the language of the words (``kpi.*`` messages), ``style`` of the numbers."""
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
            "key": spec.key, "metric": message(f"kpi.{spec.key}", lang), "value": now, "previous_month": prev,
            "year_ago": year, "value_text": _format(spec, now, currency, style, lang),
            "mom_text": kpi_change_text(spec, now, prev, currency, style, lang),
            "yoy_text": kpi_change_text(spec, now, year, currency, style, lang), "band": band_text(spec.key, now, lang),
        })
        if spec.key == "arr":
            rows[-1]["band"] = arr_milestone_band(now, currency, style, lang)
        elif spec.key in OWN_RANGE_KEYS:
            rows[-1]["band"] = own_range_band(col, month, lambda v, s=spec: _format(s, v, currency, style, lang), lang)
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
                    style: str = "en", lang: str = "en") -> pd.DataFrame:
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
    the same in both styles. ``lang``: the language of ``metric``, ``band`` and the changes.
    """
    _check_style(style)
    parsed = ActivationRule.parse(rule)
    scope = onboarding_scope(dataset, month)
    act = evaluate_rule(scope.events, scope.customers, parsed, as_of=scope.as_of)
    return activation_kpi_row(activation_rate_by_cohort(act, scope.customers), month, rule, style, lang)


def _check_style(style: str) -> None:
    if style not in ("en", "ja"):
        raise ParameterError(f"style must be 'en' or 'ja', got {style!r}")


def activation_kpi_row(by_cohort: pd.DataFrame, month: pd.Period | str, rule: str = "invite_teammate>=3@14d",
                       style: str = "en", lang: str = "en") -> pd.DataFrame:
    """The row of :func:`activation_kpis` from the rule's activation rate per signup
    cohort (``by_cohort``: :func:`saas_kit.activation.activation_rate_by_cohort`, the
    month's facts :attr:`saas_kit.facts.ActivationFacts.kpi_by_cohort`)."""
    _check_style(style)
    parsed = ActivationRule.parse(rule)
    month = pd.Period(month, freq="M")
    cohort = activation_cohort(month, parsed.window_days)
    rates = by_cohort.set_index("cohort")

    def rate(c: pd.Period) -> float:
        return float(rates["rate"].get(c, np.nan))

    now, prev, year = rate(cohort), rate(cohort - 1), rate(cohort - 12)
    signups = int(rates["signups"].get(cohort, 0))
    cohort_text = str(cohort) if lang == "en" else month_label(cohort, lang)  # 2026-09 / 2026年9月
    band = message("kpi.band.activation", lang, rule=parsed.describe(lang), cohort=cohort_text, citation="[seed 004]")
    return pd.DataFrame([{
        "key": ACTIVATION_SPEC.key, "metric": message("kpi.activation_rate", lang), "value": now,
        "previous_month": prev, "year_ago": year, "value_text": _format(ACTIVATION_SPEC, now, "JPY", style, lang),
        "mom_text": kpi_change_text(ACTIVATION_SPEC, now, prev, lang=lang),
        "yoy_text": kpi_change_text(ACTIVATION_SPEC, now, year, lang=lang), "band": band, "cohort": cohort, "signups": signups,
        "rule": str(parsed),
    }])
