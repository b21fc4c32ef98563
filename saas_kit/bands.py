"""Benchmark bands from the seeds, as data (metrics.md §6).

Each row of metrics.md §6 becomes one or more :class:`Band` records. Units: ratios
and rates are fractions (NRR 102.1% is ``1.021``, churn 2% is ``0.02``), money is in
yen, multiples and the Quick Ratio are plain numbers.

Boundaries. A band covers ``[low, high)`` unless its ``low_inclusive`` /
``high_inclusive`` flags say otherwise; ``None`` is an open end. This follows the
seeds' wording: a Quick Ratio of exactly 4.0 is excellent ("4 or more") and 2.0 is
average; B2B monthly logo churn of exactly 5% needs work ("5% or more"); B2C churn
of exactly 5% is average and 10% needs work. Seed 004's B2B good band "1–2%"
includes 2%.

Gaps. Seed 004's B2B churn bands leave 2–3% uncovered; a value strictly between
2% and 3% gets its own band with verdict ``'between good and average'``. Churn below
the lowest quoted good band (under 1% for B2B, under 3% for B2C) is placed in a
band marked ``'good'``: those two rows are ours, not the seed's, and their caveat
says so. The same holds for the "3 or below" LTV/CAC row.

Seed 002's New ARR mix reads "under ¥100M", "¥100M–¥1B" and "over ¥1B", so ARR of
exactly ¥1B is in the middle band; seed 001's growth stages read "¥1B or more" for
the mature stage, so ARR of exactly ¥1B is mature there.

Context. Some bands apply only to a segment (``segment``: B2B / B2C churn, SMB /
Enterprise GRR) or to a range of another quantity (``condition``: ARR size for the
New ARR share and ARR growth, year-on-year growth for the ARR multiple);
:func:`place_in_band` takes that context as keywords.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from saas_kit.errors import ParameterError
from saas_kit.formatting import format_money
from saas_kit.i18n import DEFAULT_LANG, message, messages

#: Verdict words used in :data:`BANDS`.
VERDICTS = ("excellent", "good", "between good and average", "average", "needs work", "reference")

#: The metric keys of the band table; their names in words are messages
#: ``band.metric.<key>`` (:func:`metric_name`).
METRIC_KEYS = ("nrr", "grr", "quick_ratio", "logo_churn_monthly", "new_arr_share", "arr_growth", "t2d3",
               "arr_multiple", "arr_per_employee", "arr_milestone", "ltv_to_cac", "early_churn_share_30d",
               "early_churn_share_45d")
#: Human names of the metric keys, for the report (English; :func:`metric_name` for a language).
METRIC_NAMES: dict[str, str] = {m: message(f"band.metric.{m}", "en") for m in METRIC_KEYS}

#: How each metric's numbers print in the range text.
_UNITS = {
    "nrr": "percent", "grr": "percent", "quick_ratio": "number",
    "logo_churn_monthly": "percent", "new_arr_share": "percent", "arr_growth": "percent",
    "t2d3": "multiple", "arr_multiple": "multiple", "arr_per_employee": "yen",
    "arr_milestone": "yen", "ltv_to_cac": "number",
    "early_churn_share_30d": "percent", "early_churn_share_45d": "percent",
}
_CONDITION_UNITS = {"arr": "yen", "yoy": "percent"}
#: Context each metric needs in place_in_band (a default, or None = required).
_CONTEXT = {
    "logo_churn_monthly": {"segment": "B2B"},
    "grr": {"segment": None},
    "new_arr_share": {"arr": None},
    "arr_growth": {"arr": None},
    "arr_multiple": {"yoy": None},
}
_OPTIONAL_CONTEXT = {"grr": {"segment"}}


@dataclass(frozen=True)
class Band:
    """One benchmark band: ``metric`` key, ``label``, range ``low``..``high`` (None =
    open end; inclusive flags as in the module docstring), ``verdict``, the seed it
    comes from (``source_seed``, e.g. ``'004'``) and the ``caveat`` the report prints
    beside it. ``segment`` and ``condition`` (``'arr'`` or ``'yoy'`` with the range
    ``condition_low``..``condition_high``, by default half-open ``[low, high)``) say
    where the band applies."""

    metric: str
    label: str
    low: float | None
    high: float | None
    verdict: str
    source_seed: str
    caveat: str
    segment: str | None = None
    condition: str | None = None
    condition_low: float | None = None
    condition_high: float | None = None
    low_inclusive: bool = True
    high_inclusive: bool = False
    condition_low_inclusive: bool = True
    condition_high_inclusive: bool = False

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the band (NaN never does)."""
        if value is None or not math.isfinite(value):
            return False
        if self.low is not None and (value < self.low or (value == self.low and not self.low_inclusive)):
            return False
        if self.high is not None and (value > self.high or (value == self.high and not self.high_inclusive)):
            return False
        return True

    def applies_to(self, **context) -> bool:
        """Whether the band applies for this context (``segment=``, ``arr=``, ``yoy=``)."""
        if self.segment is not None and "segment" in context and context["segment"] is not None:
            if str(context["segment"]).strip().lower() != self.segment.lower():
                return False
        if self.condition is not None and context.get(self.condition) is not None:
            x = float(context[self.condition])
            if not math.isfinite(x):
                return False
            lo, hi = self.condition_low, self.condition_high
            if lo is not None and (x < lo or (x == lo and not self.condition_low_inclusive)):
                return False
            if hi is not None and (x > hi or (x == hi and not self.condition_high_inclusive)):
                return False
        return True


_NRR_JP = ("Private survey (Fullstar) of Japanese B2B SaaS: small sample, self-reported; "
           "a reference, not a target.")
_CHURN_CAVEAT = "Rule of thumb from one consulting article; depends on contract length and price point."
_OURS = "Not a seed band: added so that every value has a place; see the methodology page."
_M = 1_000_000

#: Every benchmark of metrics.md §6, in the order the report lists them.
BANDS: tuple[Band, ...] = (
    # NRR: references only (seeds 000, 003)
    Band("nrr", "Japanese B2B SaaS average", 1.021, 1.021, "reference", "000", _NRR_JP,
         high_inclusive=True),
    Band("nrr", "US SaaS at IPO, median", 1.10, 1.20, "reference", "003",
         "Median net dollar retention of US SaaS companies at IPO; twelve-month cohort figure.",
         high_inclusive=True),
    Band("nrr", "Snowflake", 1.50, None, "reference", "003",
         "A single exceptional company (usage-based pricing); not a norm.", low_inclusive=False),
    # GRR: references by customer focus (seed 000)
    Band("grr", "SMB-focused SaaS, typical", 0.80, 0.80, "reference", "000",
         "Approximate market figure quoted without a source survey.", segment="SMB", high_inclusive=True),
    Band("grr", "Enterprise-focused SaaS, typical", 0.90, 0.90, "reference", "000",
         "Approximate market figure quoted without a source survey.", segment="Enterprise",
         high_inclusive=True),
    # SaaS Quick Ratio (seed 002)
    Band("quick_ratio", "4 or more", 4.0, None, "excellent", "002",
         "Common rule of thumb; noisy in months with little churn."),
    Band("quick_ratio", "2 to under 4", 2.0, 4.0, "average", "002",
         "Common rule of thumb; noisy in months with little churn."),
    Band("quick_ratio", "under 2", None, 2.0, "needs work", "002",
         "Common rule of thumb; noisy in months with little churn."),
    # Monthly logo churn, B2B (seed 004)
    Band("logo_churn_monthly", "B2B below 1%", 0.0, 0.01, "good", "004", _OURS, segment="B2B"),
    Band("logo_churn_monthly", "B2B 1–2%", 0.01, 0.02, "good", "004", _CHURN_CAVEAT, segment="B2B",
         high_inclusive=True),
    Band("logo_churn_monthly", "B2B between 2% and 3%", 0.02, 0.03, "between good and average", "004",
         "The seed's bands leave 2–3% uncovered; " + _OURS, segment="B2B", low_inclusive=False),
    Band("logo_churn_monthly", "B2B 3–5%", 0.03, 0.05, "average", "004", _CHURN_CAVEAT, segment="B2B"),
    Band("logo_churn_monthly", "B2B 5% or more", 0.05, None, "needs work", "004", _CHURN_CAVEAT,
         segment="B2B"),
    # Monthly logo churn, B2C (seed 004)
    Band("logo_churn_monthly", "B2C below 3%", 0.0, 0.03, "good", "004", _OURS, segment="B2C"),
    Band("logo_churn_monthly", "B2C 3–5%", 0.03, 0.05, "good", "004", _CHURN_CAVEAT, segment="B2C"),
    Band("logo_churn_monthly", "B2C 5–10%", 0.05, 0.10, "average", "004", _CHURN_CAVEAT, segment="B2C"),
    Band("logo_churn_monthly", "B2C 10% or more", 0.10, None, "needs work", "004", _CHURN_CAVEAT,
         segment="B2C"),
    # New ARR share of (New + Expansion) ARR by ARR size (seed 002)
    Band("new_arr_share", "ARR under ¥100M", 0.70, 0.80, "reference", "002",
         "Typical mix, varies with industry and market size.", condition="arr",
         condition_low=0.0, condition_high=100 * _M, high_inclusive=True),
    Band("new_arr_share", "ARR ¥100M–¥1B", 0.50, 0.60, "reference", "002",
         "Typical mix, varies with industry and market size.", condition="arr",
         condition_low=100 * _M, condition_high=1000 * _M, high_inclusive=True,
         condition_high_inclusive=True),
    Band("new_arr_share", "ARR over ¥1B", 0.30, 0.40, "reference", "002",
         "Typical mix, varies with industry and market size.", condition="arr",
         condition_low=1000 * _M, condition_high=None, high_inclusive=True,
         condition_low_inclusive=False),
    # ARR growth by stage (seed 001); growth = ARR / ARR a year earlier - 1
    Band("arr_growth", "seed", 2.0, 3.0, "reference", "001",
         "For high-growth start-ups; +200% means ×3 a year.", condition="arr",
         condition_low=0.0, condition_high=30 * _M, high_inclusive=True),
    Band("arr_growth", "early", 1.0, 2.0, "reference", "001",
         "For high-growth start-ups; +100% means ×2 a year.", condition="arr",
         condition_low=30 * _M, condition_high=300 * _M, high_inclusive=True),
    Band("arr_growth", "growth", 0.30, 0.50, "reference", "001",
         "For venture-backed companies before IPO.", condition="arr",
         condition_low=300 * _M, condition_high=1000 * _M, high_inclusive=True),
    Band("arr_growth", "mature", 0.20, 0.30, "reference", "001",
         "Listed companies; the seed places them from ¥1B ARR.", condition="arr",
         condition_low=1000 * _M, condition_high=None, high_inclusive=True),
    # T2D3 (seed 001)
    Band("t2d3", "×3, ×3, ×2, ×2, ×2 over five years", 72.0, 72.0, "reference", "001",
         "A venture-capital yardstick for top start-ups, not a plan every company should follow.",
         high_inclusive=True),
    # ARR multiple by growth (seed 001)
    Band("arr_multiple", "growth 50% or more", 10.0, 20.0, "reference", "001",
         "Moves with interest rates and market mood; lower when rates rise.", condition="yoy",
         condition_low=0.50, condition_high=None, high_inclusive=True),
    Band("arr_multiple", "growth 30–50%", 5.0, 10.0, "reference", "001",
         "Moves with interest rates and market mood; lower when rates rise.", condition="yoy",
         condition_low=0.30, condition_high=0.50, high_inclusive=True),
    Band("arr_multiple", "growth under 30%", 3.0, 5.0, "reference", "001",
         "Moves with interest rates and market mood; lower when rates rise.", condition="yoy",
         condition_low=None, condition_high=0.30, high_inclusive=True),
    # ARR per employee (seed 002)
    Band("arr_per_employee", "¥30M or more", 30 * _M, None, "excellent", "002",
         "2025 guide figures for Japanese SaaS; headcount definitions vary."),
    Band("arr_per_employee", "¥15M to under ¥30M", 15 * _M, 30 * _M, "average", "002",
         "2025 guide figures for Japanese SaaS; headcount definitions vary."),
    Band("arr_per_employee", "under ¥15M", None, 15 * _M, "needs work", "002",
         "2025 guide figures for Japanese SaaS; headcount definitions vary."),
    # ARR milestones (seeds 002, 004): the band is the last milestone reached
    Band("arr_milestone", "¥100M: product-market fit", 100 * _M, 1000 * _M, "reference", "002, 004",
         "Japanese market convention (often the time of a Series A)."),
    Band("arr_milestone", "¥1B: scaling", 1000 * _M, 10_000 * _M, "reference", "002",
         "Japanese market convention (Series B–C)."),
    Band("arr_milestone", "¥10B: enterprise scale", 10_000 * _M, None, "reference", "002",
         "Japanese market convention (IPO, going global)."),
    # LTV / CAC (seed 004)
    Band("ltv_to_cac", "above 3", 3.0, None, "good", "004",
         "Rule of thumb; LTV from a constant churn rate overstates young cohorts.", low_inclusive=False),
    Band("ltv_to_cac", "3 or below", None, 3.0, "needs work", "004", _OURS, high_inclusive=True),
    # Early churn (seed 004)
    Band("early_churn_share_30d", "40–60% of churn in the first 30 days", 0.40, 0.60, "reference", "004",
         "Quoted without a source study.", high_inclusive=True),
    Band("early_churn_share_45d", "one B2B company: 65% within 45 days", 0.65, 0.65, "reference", "004",
         "A single anonymous case before an onboarding redesign.", high_inclusive=True),
)


def _check_metric(metric: str) -> None:
    if metric not in METRIC_NAMES:
        raise ParameterError(f"unknown benchmark metric {metric!r}; known: {', '.join(METRIC_NAMES)}")


def bands_for(metric: str, **context) -> tuple[Band, ...]:
    """The bands of ``metric`` (a key of :data:`METRIC_NAMES`) that apply in
    ``context`` (``segment=``, ``arr=`` in yen, ``yoy=`` as a fraction); keys that
    are not given do not filter."""
    _check_metric(metric)
    return tuple(b for b in BANDS if b.metric == metric and b.applies_to(**context))


def place_in_band(metric: str, value: float, **context) -> Band | None:
    """The band of metrics.md §6 that ``value`` falls in, or None (NaN, or a value
    outside every band, e.g. an NRR of 105% or a New ARR share outside the typical
    mix for the company's size).

    Context: ``segment='B2B'|'B2C'`` for ``logo_churn_monthly`` (default B2B);
    optional ``segment='SMB'|'Enterprise'`` for ``grr`` (another segment has no
    band, so None); ``arr=`` (yen) is required
    for ``new_arr_share`` and ``arr_growth``; ``yoy=`` (fraction) is required for
    ``arr_multiple``. Boundaries as in the module docstring: Quick Ratio 4.0 ->
    excellent, 2.0 -> average; B2B churn 5% -> needs work, 2.5% -> 'between good
    and average'."""
    _check_metric(metric)
    allowed = _CONTEXT.get(metric, {})
    unknown = set(context) - set(allowed)
    if unknown:
        raise ParameterError(f"{metric}: unexpected context {sorted(unknown)}; allowed: {sorted(allowed)}")
    full = dict(context)
    for key, default in allowed.items():
        if full.get(key) is None:
            if default is not None:
                full[key] = default
            elif key not in _OPTIONAL_CONTEXT.get(metric, set()):
                raise ParameterError(f"{metric}: place_in_band needs {key}=")
    segment = full.get("segment")
    if segment is not None and metric == "logo_churn_monthly":
        known = {b.segment.lower() for b in BANDS if b.metric == metric and b.segment}
        if str(segment).strip().lower() not in known:
            raise ParameterError(f"{metric}: unknown segment {segment!r}; known: {sorted(known)}")
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value):
        return None
    for band in bands_for(metric, **full):
        if band.contains(value):
            return band
    return None


def position_in_band(band: Band, value: float) -> str | None:
    """``'below'``, ``'within'`` or ``'above'`` the band's range; None for NaN."""
    if value is None or not math.isfinite(float(value)):
        return None
    if band.contains(float(value)):
        return "within"
    if band.low is not None and value <= band.low:
        return "below"
    return "above"


def metric_name(metric: str, lang: str = DEFAULT_LANG) -> str:
    """The metric's name in words: ``"Net revenue retention (NRR)"`` / ``"売上継続率（NRR）"``."""
    _check_metric(metric)
    return message(f"band.metric.{metric}", lang)


def _message_key(prefixes: tuple[str, ...], english: str) -> str:
    """The key under one of ``prefixes`` whose English text is ``english`` (the band
    table keeps its English texts as data; the message tables give them in every language)."""
    for key, text in messages(DEFAULT_LANG).items():
        if key.startswith(prefixes) and text == english:
            return key
    raise ParameterError(f"no message under {prefixes!r} for {english!r}: add it to saas_kit/messages/*/band.yml")


def band_label(band: Band, lang: str = DEFAULT_LANG) -> str:
    """The band's label in ``lang`` (``"4 or more"`` / ``"4以上"``)."""
    return message(_message_key((f"band.label.{band.metric}.",), band.label), lang)


def band_caveat(band: Band, lang: str = DEFAULT_LANG) -> str:
    """The band's caveat in ``lang``."""
    return message(_message_key(("band.caveat.", "caveat."), band.caveat), lang)


def verdict_text(verdict: str, lang: str = DEFAULT_LANG) -> str:
    """A verdict of :data:`VERDICTS` in ``lang`` (``"needs work"`` / ``"要改善"``)."""
    return message("verdict." + verdict.replace(" ", "_"), lang)


def source_text(band: Band, lang: str = DEFAULT_LANG) -> str:
    """Where the band comes from: ``seed 004`` / ``seeds 002, 004`` (the report turns it
    into a numbered citation, :func:`saas_kit.pages.base.cite_sources`)."""
    if "," in band.source_seed:
        return message("band.source.many", lang, seeds=band.source_seed)
    return message("band.source.one", lang, seed=band.source_seed)


def _number_text(x: float, unit: str, lang: str = DEFAULT_LANG) -> str:
    if unit == "percent":
        text = f"{x * 100:.1f}".rstrip("0").rstrip(".")
        return text + "%"
    if unit == "yen":
        return format_money(x, "JPY", "ja" if lang == "ja" else "en")
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return text + ("×" if unit == "multiple" else "")


def _range_text(low, high, unit: str, low_inclusive: bool = True, high_inclusive: bool = False,
                lang: str = DEFAULT_LANG) -> str:
    def number(x: float) -> str:
        return _number_text(x, unit, lang)

    if low is not None and high is not None:
        if low == high:
            return number(low)
        if unit in ("percent", "multiple"):  # 1–2%, 10–20×
            return message("band.range.between", lang, low=number(low)[:-1], high=number(high))
        return message("band.range.between", lang, low=number(low), high=number(high))
    if low is not None:
        return message("band.range.at_least" if low_inclusive else "band.range.above", lang, value=number(low))
    if high is not None:
        return message("band.range.at_most" if high_inclusive else "band.range.below", lang, value=number(high))
    return message("band.range.any", lang)


def range_text(band: Band, lang: str = DEFAULT_LANG) -> str:
    """The band's range as the report prints it: ``2–4``, ``≥ 4``, ``1–2%``, ``¥15M–¥30M``
    (Japanese: ``2〜4``, ``4以上``, ``1,500万円〜3,000万円``)."""
    return _range_text(band.low, band.high, _UNITS[band.metric], band.low_inclusive, band.high_inclusive, lang)


def applies_text(band: Band, lang: str = DEFAULT_LANG) -> str:
    """Where the band applies: the segment and/or the condition, e.g. ``ARR < ¥100M``."""
    parts = []
    if band.segment:
        parts.append(band.segment)
    if band.condition:
        name = message(f"condition.{band.condition}", lang)
        unit = _CONDITION_UNITS[band.condition]
        low = band.condition_low if band.condition_low else None
        text = _range_text(low, band.condition_high, unit,
                           band.condition_low_inclusive, band.condition_high_inclusive, lang)
        parts.append(message("band.applies.condition", lang, name=name, range=text))
    return message("band.applies.separator", lang).join(parts)


def bands_table(metric: str | None = None, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """All bands (or one metric's) as a table for the report: columns ``metric``
    (key), ``metric_name``, ``band``, ``range``, ``applies_to``, ``verdict``,
    ``source`` (e.g. ``seed 004``) and ``caveat``, in words of ``lang``; one row per
    band of metrics.md §6."""
    if metric is not None:
        _check_metric(metric)
    rows = [
        {
            "metric": b.metric,
            "metric_name": metric_name(b.metric, lang),
            "band": band_label(b, lang),
            "range": range_text(b, lang),
            "applies_to": applies_text(b, lang),
            "verdict": verdict_text(b.verdict, lang),
            "source": source_text(b, lang),
            "caveat": band_caveat(b, lang),
        }
        for b in BANDS
        if metric is None or b.metric == metric
    ]
    return pd.DataFrame(rows, columns=["metric", "metric_name", "band", "range", "applies_to",
                                       "verdict", "source", "caveat"])
