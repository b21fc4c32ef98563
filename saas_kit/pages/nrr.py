"""Facts of the NRR chapter (notebooks/01_nrr.ipynb): NRR and GRR, monthly and
twelve-month, the bridge, negative churn, segments, and what to look at next
(metrics.md §3, seeds 000 and 003)."""
from __future__ import annotations

import html
import math

import pandas as pd

from saas_kit import rates
from saas_kit.bands import bands_for, bands_table, position_in_band, range_text
from saas_kit.i18n import DEFAULT_LANG, message
from saas_kit.kpis import NRR_JAPAN_AVERAGE
from saas_kit.pages.base import MonthBasis, Page
from saas_kit.pages.overview import (overview_rows, overview_series, overview_table_html, verdict_texts,
                                     who_moved, who_moved_summary, who_moved_table)

KPI_KEYS = ["mrr", "nrr_monthly", "nrr_ttm", "grr_monthly", "grr_ttm"]
#: Seed 000's worked month: opening MRR, upsell, downgrades, cancellations (yen).
SEED_000_EXAMPLE = {"opening": 10_000_000, "expansion": 1_000_000, "contraction": 300_000, "churn": 500_000}


def segment_retention(basis: MonthBasis, segment_column: str) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """Per segment: the month's rates (:func:`saas_kit.rates.segment_rates`, one month,
    of the facts' segment bridge) and the twelve-month retention of the report month,
    indexed by segment; None when customers have no ``segment_column``."""
    segment = basis.segment(segment_column)
    if segment is None:
        return None
    seg_month = rates.segment_rates(segment.bridge, segment_column, basis.month, window=1).set_index(segment_column)
    seg_ttm_all = segment.ttm
    seg_ttm = seg_ttm_all[seg_ttm_all["month"] == basis.month].set_index(segment_column).reindex(seg_month.index)
    return seg_month, seg_ttm


def worst_segment(seg_ttm: pd.DataFrame | None, fmt) -> dict[str, str]:
    """The segment with the lowest twelve-month NRR: its NRR, GRR, share of the MRR a
    year ago, customers then and how many of them left; "n/a" for all when unknown."""
    out = dict.fromkeys(["nrr_next_segment", "nrr_next_segment_nrr", "nrr_next_segment_grr",
                         "nrr_next_segment_share", "nrr_next_segment_base", "nrr_next_segment_left"], fmt.msg("na"))
    if seg_ttm is None or not seg_ttm["nrr_ttm"].notna().any():
        return out
    worst = seg_ttm["nrr_ttm"].idxmin()
    w = seg_ttm.loc[worst]
    out.update({
        "nrr_next_segment": str(worst),
        "nrr_next_segment_nrr": fmt.pct(w["nrr_ttm"]),
        "nrr_next_segment_grr": fmt.pct(w["grr_ttm"]),
        "nrr_next_segment_share": fmt.pct(w["base_mrr"] / seg_ttm["base_mrr"].sum()),
        "nrr_next_segment_base": f"{int(w['base_customers']):,}",
        "nrr_next_segment_left": f"{int(w['base_customers'] - w['retained_customers']):,}",
    })
    return out


def weakest_month(last12: pd.DataFrame, fmt) -> dict[str, str]:
    """The month of ``last12`` (bridge rows) with the lowest monthly NRR: its label,
    NRR, churned MRR and churned customers."""
    weakest = last12.loc[last12["nrr"].idxmin()]
    return {
        "nrr_next_worst_month": fmt.month(weakest["month"]),
        "nrr_next_worst_month_nrr": fmt.pct(weakest["nrr"]),
        "nrr_next_worst_month_churn": fmt.money(weakest["churn"]),
        "nrr_next_worst_month_churned": f"{int(weakest['churned_customers']):,}",
    }


def net_churn_state(net_revenue_churn: float, lang: str = DEFAULT_LANG) -> str:
    """What the sign of the month's net revenue churn means (negative churn, seed 000)."""
    if net_revenue_churn < 0:
        return message("nrr.net_churn.negative", lang)
    if net_revenue_churn > 0:
        return message("nrr.net_churn.positive", lang)
    return message("nrr.net_churn.zero", lang)


def ttm_state(nrr_ttm: float, lang: str = DEFAULT_LANG) -> str:
    """Is the base of a year ago worth more today (twelve-month NRR above 100%)?"""
    if nrr_ttm > 1:
        return message("nrr.ttm.above", lang)
    if nrr_ttm <= 1:
        return message("nrr.ttm.not_above", lang)
    return message("nrr.ttm.unknown", lang)


def grr_benchmark(segment, value, lang: str = DEFAULT_LANG) -> str:
    """A segment's twelve-month GRR against seed 000's typical figure for SMB or Enterprise."""
    bands = bands_for("grr", segment=segment) if segment in ("SMB", "Enterprise") else ()
    if not bands or value is None or math.isnan(value):
        return "—"
    band = bands[0]
    focus = message("nrr.focus.smb" if segment == "SMB" else "nrr.focus.enterprise", lang)
    return message(f"nrr.grr_vs_typical.{position_in_band(band, value)}", lang, range=range_text(band, lang),
                   focus=focus)


def nrr_page(basis: MonthBasis, trend_months: int = 24, segment_column: str = "segment") -> Page:
    """Every figure of the NRR chapter."""
    fmt, month = basis.fmt, basis.month
    page = Page("01_nrr", fmt, month)
    t = page.texts
    t.update(basis.common_texts())

    ex = SEED_000_EXAMPLE
    ex_nrr = float(rates.nrr(ex["opening"], ex["expansion"], ex["contraction"], ex["churn"]))
    ex_grr = float(rates.grr(ex["opening"], ex["contraction"], ex["churn"]))
    ex_net_churn = float(rates.net_revenue_churn_rate(ex["opening"], ex["expansion"], ex["contraction"], ex["churn"]))
    t["nrr_example_nrr"] = fmt.pct(ex_nrr)
    t["nrr_example_grr"] = fmt.pct(ex_grr)
    t["nrr_example_net_churn"] = fmt.pct(ex_net_churn, signed=True)
    msg = fmt.msg
    page.tables["example"] = pd.DataFrame({
        "": [msg("movement.opening_mrr"), msg("movement.expansion"), msg("nrr.example.contraction"),
             msg("movement.churn"), msg("nrr.example.nrr"), msg("nrr.example.grr"), msg("nrr.example.net_churn")],
        msg("nrr.example.column"): [fmt.money(ex["opening"]), "+" + fmt.money(ex["expansion"]),
                           "-" + fmt.money(ex["contraction"]), "-" + fmt.money(ex["churn"]), fmt.pct(ex_nrr),
                           fmt.pct(ex_grr), fmt.pct(ex_net_churn, signed=True)],
    }).set_index("")

    bridge, ttm = basis.bridge, basis.ttm
    now = bridge.set_index("month").loc[month]
    ttm_now = ttm.set_index("month").reindex([month]).iloc[0]
    t.update(basis.kpi_texts(KPI_KEYS))
    t["nrr_opening"] = fmt.money(now["opening_mrr"])
    t["nrr_closing"] = fmt.money(now["closing_mrr"])
    t["nrr_expansion"] = fmt.money(now["expansion"])
    t["nrr_contraction"] = fmt.money(now["contraction"])
    t["nrr_churn"] = fmt.money(now["churn"])
    t["nrr_new"] = fmt.money(now["new"] + now["reactivation"])
    for key, col in (("nrr_base_customers", "base_customers"), ("nrr_base_retained", "retained_customers")):
        t[key] = f"{int(ttm_now[col]):,}" if not math.isnan(ttm_now[col]) else msg("na")
    table = basis.kpis.set_index("key").loc[KPI_KEYS]
    page.tables["kpis"] = pd.DataFrame({
        msg("table.metric"): table["metric"].to_numpy(), msg("table.value"): table["value_text"].to_numpy(),
        msg("table.vs_previous_month"): table["mom_text"].to_numpy(),
        msg("table.vs_year_ago"): table["yoy_text"].to_numpy(), msg("table.benchmark"): table["band"].to_numpy(),
    }).set_index(msg("table.metric"))
    page.data["now"] = now

    recent = bridge[bridge["month"] > month - trend_months].set_index("month")
    t["nrr_trend_months"] = str(len(recent))
    page.data["trend"] = recent
    page.data["trend_ttm"] = ttm.set_index("month").reindex(recent.index)

    last12 = bridge[(bridge["month"] > month - 12) & (bridge["month"] <= month)]
    negative_months = int((last12["net_revenue_churn"] < 0).sum())
    t["nrr_net_churn"] = fmt.pct(now["net_revenue_churn"], signed=True)
    t["nrr_net_churn_state"] = net_churn_state(now["net_revenue_churn"], fmt.lang)
    t["nrr_negative_months"] = msg("nrr.negative_months", count=negative_months, months=len(last12))
    t["nrr_ttm_state"] = ttm_state(ttm_now["nrr_ttm"], fmt.lang)

    segments = segment_retention(basis, segment_column)
    seg_ttm = None
    if segments is None:
        page.tables["segments"] = msg("nrr.no_segments", column=segment_column)
    else:
        seg_month, seg_ttm = segments
        page.tables["segments"] = pd.DataFrame({
            msg("nrr.seg.segment"): seg_month.index.astype(str),
            msg("nrr.seg.customers"): [f"{n:,}" for n in seg_month["customers"]],
            msg("nrr.seg.mrr"): [fmt.money(v) for v in seg_month["mrr"]],
            msg("nrr.seg.nrr_month"): [fmt.pct(v) for v in seg_month["nrr"]],
            msg("nrr.seg.grr_month"): [fmt.pct(v) for v in seg_month["grr"]],
            msg("nrr.seg.nrr_ttm"): [fmt.pct(v) for v in seg_ttm["nrr_ttm"]],
            msg("nrr.seg.grr_ttm"): [fmt.pct(v) for v in seg_ttm["grr_ttm"]],
            msg("nrr.seg.base"): [
                msg("na") if math.isnan(b) else msg("nrr.seg.base_cell", base=f"{int(b):,}", retained=f"{int(r):,}")
                for b, r in zip(seg_ttm["base_customers"], seg_ttm["retained_customers"])],
            msg("nrr.seg.grr_vs_seed"): [grr_benchmark(s, v, fmt.lang)
                                         for s, v in zip(seg_ttm.index, seg_ttm["grr_ttm"])],
        }).set_index(msg("nrr.seg.segment"))
    page.data["segment_ttm"] = seg_ttm
    page.data["segment_column"] = segment_column

    incl_new = float(rates.nrr(now["opening_mrr"], now["expansion"] + now["new"] + now["reactivation"],
                               now["contraction"], now["churn"]))
    t["nrr_with_new"] = fmt.pct(incl_new)
    page.tables["misreadings"] = pd.DataFrame({
        msg("nrr.misreading.measure"): [msg(f"nrr.misreading.{k}") for k in
                                        ("nrr_month", "nrr_ttm", "with_new", "grr_month", "grr_ttm")],
        basis.month_label: [fmt.pct(now["nrr"]), fmt.pct(ttm_now["nrr_ttm"]), fmt.pct(incl_new),
                            fmt.pct(now["grr"]), fmt.pct(ttm_now["grr_ttm"])],
    }).set_index(msg("nrr.misreading.measure"))

    bands = pd.concat([bands_table("nrr", fmt.lang), bands_table("grr", fmt.lang)], ignore_index=True)
    page.tables["bands"] = pd.DataFrame({
        msg("table.metric"): bands["metric_name"], msg("table.benchmark"): bands["band"],
        msg("table.value"): bands["range"], msg("band.col.applies_to"): bands["applies_to"].replace("", msg("band.applies.all")),
        msg("band.col.source"): bands["source"], msg("band.col.caveat"): bands["caveat"],
    }).set_index(msg("table.metric"))

    t.update(worst_segment(seg_ttm, fmt))
    t.update(weakest_month(last12, fmt))
    page.data["japan_average_nrr"] = NRR_JAPAN_AVERAGE
    add_overview(page, basis)
    return page


def add_overview(page: Page, basis: MonthBasis) -> None:
    """The overview's facts (book/index.md glues them from this chapter): the verdict,
    the KPI table (HTML), the chart's data and who moved."""
    series = overview_series(basis, basis.facts.ledger.kpi_series)
    page.texts.update(verdict_texts(basis, series))
    page.tables["overview_kpis"] = overview_table_html(overview_rows(basis, series), basis)
    moved = who_moved(basis)
    page.data["who_moved"] = moved
    page.texts["who_moved_summary"] = who_moved_summary(moved, basis)
    page.tables["who_moved"] = who_moved_table(moved, basis)
    page.data["overview_trend"] = basis.bridge.set_index("month").iloc[-24:]
    page.tables["pdf_link"] = pdf_link_html(str(basis.month), basis.lang)


def pdf_link_html(month: str, lang: str, missing_reason: str | None = None) -> str:
    """The overview's line about the board PDF: a link to ``report-<month>.pdf``, which
    ``saas-kit report`` prints into the month folder (one level above ``book/``), or,
    when this run prints none (``missing_reason``), a sentence saying why instead of a
    dead link."""
    if missing_reason:
        return f'<p class="pdf-link">{html.escape(message("overview.no_pdf", lang, reason=missing_reason))}</p>'
    pdf = f"report-{month}.pdf"
    return (f'<p class="pdf-link"><a href="../{pdf}" download>{pdf}</a>: '
            f'{html.escape(message("overview.pdf", lang))}</p>')
