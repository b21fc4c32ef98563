"""Facts of the report's overview (book/index.md, glued from notebooks/01_nrr.ipynb):
the three-line verdict of the month, the KPI table with a better/worse mark per row,
the customer counts and ARPA, and "who moved" (issue 10).

The verdict and the marks come from :mod:`saas_kit.verdict`; every sentence goes
through :func:`saas_kit.i18n.message` so the Japanese edition reads Japanese.
"""
from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd

from saas_kit.i18n import message
from saas_kit.kpis import ACTIVATION_SPEC, KPIS, KpiSpec, arr_milestone_band, own_range_band
from saas_kit.kpis import kpi_change_text as kpi_change
from saas_kit.pages.base import MonthBasis
from saas_kit.verdict import kpi_kind, kpi_marks, month_verdict

#: Overview rows in order: (key, chapter notebook the row links to).
OVERVIEW_ROWS = (
    ("mrr", "01_nrr"), ("arr", "02_arr_t2d3"), ("net_new_arr", "03_new_arr_mix"), ("customers", "01_nrr"),
    ("arpa", "01_nrr"), ("new_customers", "03_new_arr_mix"), ("churned_customers", "04_churn_compounding"),
    ("nrr_monthly", "01_nrr"), ("nrr_ttm", "01_nrr"), ("grr_monthly", "01_nrr"), ("grr_ttm", "01_nrr"),
    ("quick_ratio", "03_new_arr_mix"), ("logo_churn", "04_churn_compounding"),
    ("revenue_churn", "04_churn_compounding"), ("activation_rate", "05_activation"),
)
#: Who-moved sections: movement, how many rows the page lists (all churned customers are listed).
WHO_MOVED = (("churn", None), ("expansion", 10), ("contraction", 10), ("new", 10), ("reactivation", 10))


def overview_series(basis: MonthBasis, series: pd.DataFrame) -> pd.DataFrame:
    """The KPI series (:func:`saas_kit.kpis.monthly_kpi_series`) plus ``customers``
    (closing paying customers), ``arpa`` (closing MRR / closing customers, metrics.md
    §4), ``new_customers`` and ``churned_customers`` per month, from the bridge."""
    b = basis.bridge.set_index("month")
    out = series.copy()
    out["customers"] = b["customers"].astype("float64")
    out["arpa"] = (b["closing_mrr"] / b["customers"].replace(0, np.nan)).astype("float64")
    out["new_customers"] = b["new_customers"].astype("float64")
    out["churned_customers"] = b["churned_customers"].astype("float64")
    if basis.activation is not None:
        row = basis.activation.iloc[0]
        out.loc[basis.month, "activation_rate"] = row["value"]
        out.loc[basis.month - 1, "activation_rate"] = row["previous_month"]
    return out


def change_text(key: str, now: float, before: float, basis: MonthBasis) -> str:
    """A change as :func:`saas_kit.kpis.headline_kpis` shows it (the difference of the
    displayed figures; a flow such as Net New ARR in money), and counts as a count."""
    if kpi_kind(key) == "count":
        if not (math.isfinite(now) and math.isfinite(before)):
            return message("na", basis.lang)
        diff = int(round(now - before))
        return f"{diff:+,}" if diff else "0"
    spec = next((s for s in (*KPIS, ACTIVATION_SPEC) if s.key == key), KpiSpec(key, key, "money"))
    return kpi_change(spec, now, before, basis.currency, basis.style, basis.lang)


def value_text(key: str, value: float, basis: MonthBasis) -> str:
    """The overview's display of one value."""
    fmt = basis.fmt
    if value is None or not math.isfinite(value):
        return message("na", basis.lang)
    kind = kpi_kind(key)
    if kind == "rate":
        return fmt.pct(value)
    if kind == "ratio":
        return fmt.ratio(value)
    if kind == "count":
        return f"{int(value):,}"
    return fmt.money(value)


def arr_milestone_text(arr: float, basis: MonthBasis) -> str:
    """Distance to the next ARR milestone (:func:`saas_kit.kpis.arr_milestone_band`)."""
    return arr_milestone_band(arr, basis.currency, basis.style, basis.lang)


def history_text(key: str, col: pd.Series, basis: MonthBasis) -> str:
    """The range of the past twelve months (:func:`saas_kit.kpis.own_range_band`)."""
    return own_range_band(col, basis.month, lambda v: value_text(key, v, basis), basis.lang)


def overview_rows(basis: MonthBasis, series: pd.DataFrame) -> pd.DataFrame:
    """One row per overview KPI: ``key``, ``metric``, ``chapter``, ``value_text``,
    ``mom_text``, ``yoy_text``, ``band``, ``assessment``, ``arrow``, ``largest``
    (the KPI whose move against the company is largest against its own usual swing,
    :func:`saas_kit.verdict.month_verdict`). KPIs the data cannot
    give (activation without events) say so instead of a value."""
    kpis = basis.kpis.set_index("key")
    marks = kpi_marks(series, basis.month).set_index("key")
    largest = month_verdict(basis.bridge, series, basis.month).look_at
    rows = []
    for key, chapter in OVERVIEW_ROWS:
        label = message(f"overview.kpi.{key}", basis.lang)
        if key not in series.columns:
            missing = message("overview.no_events", basis.lang)
            rows.append({"key": key, "metric": label, "chapter": chapter, "value_text": missing, "mom_text": "",
                         "yoy_text": "", "band": message("overview.band.needs_events", basis.lang),
                         "assessment": "n/a", "arrow": "", "largest": False})
            continue
        col = series[key]
        now = float(col.get(basis.month, np.nan))
        if key in kpis.index and key != "activation_rate":
            band = kpis.loc[key, "band"]
        else:
            band = ""
        if key == "arr":
            band = arr_milestone_text(now, basis)
        elif key == "activation_rate" and key in kpis.index:
            band = kpis.loc[key, "band"]
        elif band in ("", "—", "n/a") or key in ("nrr_monthly", "grr_monthly"):
            band = history_text(key, col, basis)
        mark = marks.loc[key] if key in marks.index else None
        if key == "activation_rate" and key in kpis.index:
            prev, year = kpis.loc[key, "previous_month"], kpis.loc[key, "year_ago"]
        else:
            prev, year = float(col.get(basis.month - 1, np.nan)), float(col.get(basis.month - 12, np.nan))
        rows.append({
            "key": key, "metric": label, "chapter": chapter, "value_text": value_text(key, now, basis),
            "mom_text": change_text(key, now, prev, basis), "yoy_text": change_text(key, now, year, basis),
            "band": band, "assessment": mark["assessment"] if mark is not None else "n/a",
            "arrow": mark["arrow"] if mark is not None else "", "largest": key == largest,
        })
    return pd.DataFrame(rows)


def overview_table_html(rows: pd.DataFrame, basis: MonthBasis) -> str:
    """The overview KPI table as HTML: the change cell carries an arrow and a word
    (better / worse / unchanged) as well as a colour, so the mark never rests on colour;
    the largest mover of the month is flagged."""
    lang = basis.lang
    head = [message(f"overview.col.{c}", lang) for c in ("metric", "value", "mom", "yoy", "band")]
    out = ['<table class="overview-kpis"><thead><tr>' + "".join(f"<th>{html.escape(h)}</th>" for h in head)
           + "</tr></thead><tbody>"]
    for r in rows.itertuples():
        word = message(f"overview.mark.{r.assessment}", lang) if r.assessment in ("better", "worse", "unchanged") else ""
        mark = f'<span class="kpi-mark kpi-{r.assessment}">{r.arrow} {html.escape(word)}</span> ' if r.arrow else ""
        flag = (f' <span class="kpi-flag">⚑ {html.escape(message("overview.largest_mover", lang))}</span>'
                if r.largest else "")
        link = f'<a href="../notebooks/{r.chapter}.html">{html.escape(r.metric)}</a>'
        out.append(f'<tr class="kpi-row kpi-{r.assessment}"><td>{link}{flag}</td>'
                   f'<td class="kpi-value">{html.escape(r.value_text)}</td>'
                   f"<td>{mark}{html.escape(r.mom_text)}</td><td>{html.escape(r.yoy_text)}</td>"
                   f"<td>{html.escape(r.band)}</td></tr>")
    out.append("</tbody></table>")
    return "".join(out)


def verdict_texts(basis: MonthBasis, series: pd.DataFrame) -> dict[str, str]:
    """``verdict_grew``, ``verdict_shrank``, ``verdict_look_at``: the three lines."""
    v = month_verdict(basis.bridge, series, basis.month)
    fmt, lang = basis.fmt, basis.lang
    key = "overview.verdict.grew" if (math.isfinite(v.mrr_change) and v.mrr_change >= 0) else "overview.verdict.fell"
    if v.gains["reactivation"] == 0:  # no "reactivations ¥0": a month without comebacks does not name them
        key += "_no_reactivation"
    grew = message(key, lang, change=fmt.pct(abs(v.mrr_change), 1) if math.isfinite(v.mrr_change) else message("na", lang),
                   mrr=fmt.money(v.closing_mrr), new=fmt.money(v.gains["new"]),
                   expansion=fmt.money(v.gains["expansion"]), reactivation=fmt.money(v.gains["reactivation"]))
    if v.fastest_growth_in >= 3:
        grew += " " + message("overview.verdict.fastest", lang, months=v.fastest_growth_in)
    shrank = message("overview.verdict.shrank", lang, churn=fmt.money(v.losses["churn"]),
                     contraction=fmt.money(v.losses["contraction"]), churned=f"{v.churned_customers:,}",
                     previous=f"{v.churned_previous:,}",
                     average=f"{v.churned_average:,.1f}" if math.isfinite(v.churned_average) else message("na", lang))
    if v.look_at is None:
        look = message("overview.verdict.nothing", lang)
    else:
        label = message(f"overview.kpi.{v.look_at}", lang)
        col = series[v.look_at]
        now, before = float(col.get(basis.month)), float(col.get(basis.month - 1, np.nan))
        look = message("overview.verdict.look_at" if v.look_at_unusual else "overview.verdict.look_at_mild", lang,
                       metric=label, value=value_text(v.look_at, now, basis),
                       previous=value_text(v.look_at, before, basis), times=f"{v.look_at_score:.1f}")
    return {"verdict_grew": grew, "verdict_shrank": shrank, "verdict_look_at": look}


def who_moved(basis: MonthBasis) -> pd.DataFrame:
    """Every customer whose MRR moved in the report month (metrics.md §3): the facts'
    ``movers`` (:attr:`saas_kit.facts.LedgerFacts.movers`: ``movement``, ``customer_id``,
    ``name``, ``segment``, ``plan``, ``mrr_before``, ``mrr_after``, ``change``; sorted
    by movement (churn, expansion, contraction, new, reactivation) then by the size of
    the change, largest first), a copy."""
    return basis.facts.ledger.movers.copy()


def who_moved_table(moved: pd.DataFrame, basis: MonthBasis) -> pd.DataFrame:
    """The page's list: every churned customer, the ten largest of each other movement."""
    lang, fmt = basis.lang, basis.fmt
    parts = []
    for movement, limit in WHO_MOVED:
        rows = moved[moved["movement"] == movement]
        parts.append(rows if limit is None else rows.head(limit))
    shown = pd.concat(parts, ignore_index=True)
    return pd.DataFrame({
        message("who.col.movement", lang): [message(f"movement.{m}", lang) for m in shown["movement"]],
        message("who.col.customer", lang): shown["name"].to_numpy(),
        message("who.col.segment", lang): shown["segment"].replace("", "—").to_numpy(),
        message("who.col.plan", lang): shown["plan"].replace("", "—").to_numpy(),
        message("who.col.before", lang): [fmt.money(v) for v in shown["mrr_before"]],
        message("who.col.after", lang): [fmt.money(v) for v in shown["mrr_after"]],
        # a word joiner after the sign keeps "+¥172.8K" on one line
        message("who.col.change", lang): [fmt.signed_money(v).replace("¥", "\u2060¥", 1) for v in shown["change"]],
    })


def who_moved_summary(moved: pd.DataFrame, basis: MonthBasis) -> str:
    """One line: how many customers moved each way this month."""
    counts = moved["movement"].value_counts()
    return message("who.summary", basis.lang, **{m: f"{int(counts.get(m, 0)):,}" for m, _ in WHO_MOVED})
