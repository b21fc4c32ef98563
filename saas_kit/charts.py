"""The report's charts: one look, labelled units, money formatted in the report's
number style. The primitives draw on a given Axes and return it; the chapter charts
(below them) draw one figure of a chapter from its page (:class:`saas_kit.pages.Page`)
and show it. Nothing here computes a metric."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from saas_kit.chart_words import currency_name, data_word, month_labels, month_ticks, rule_text
from saas_kit.formatting import format_money
from saas_kit.i18n import DEFAULT_LANG, message
from saas_kit.pages.base import figure_glue_key as _glue_key, per_language, show_figures
from saas_kit.sources import citation

if TYPE_CHECKING:
    from saas_kit.pages.base import Page

PALETTE = {
    "new": "#2b6cb0", "expansion": "#38a169", "reactivation": "#805ad5",
    "contraction": "#dd6b20", "churn": "#c53030", "total": "#4a5568", "net": "#1a202c",
    "benchmark": "#718096",
}


def use_report_style() -> None:
    """Readable defaults; Japanese glyphs fall back to the bundled IPAexGothic font."""
    try:
        import matplotlib_fontja  # noqa: F401  (registers IPAexGothic)
    except ImportError:  # pragma: no cover - the font is a declared dependency
        pass
    # IPAexGothic has no bold face; matplotlib then logs a notice per bold title even
    # though it falls back correctly. Keep that notice out of the report.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    mpl.rcParams.update({
        "font.family": ["DejaVu Sans", "IPAexGothic"],
        "figure.figsize": (8.5, 4.2), "figure.dpi": 110, "savefig.dpi": 110,
        "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False, "axes.spines.right": False,
        "text.parse_math": False,  # labels come from the data: a "$" must stay a "$"
        "axes.titleweight": "bold", "axes.titlesize": 12, "legend.frameon": False,
    })


def money_axis(ax: plt.Axes, currency: str = "JPY", style: str = "en", axis: str = "y") -> plt.Axes:
    """Format an axis' ticks as money (``¥120M`` or ``1億2,000万円``)."""
    fmt = FuncFormatter(lambda v, _pos: format_money(v, currency, style, precision=1))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)
    return ax


def percent_axis(ax: plt.Axes, decimals: int = 0, axis: str = "y") -> plt.Axes:
    """Format an axis holding fractions as percentages."""
    fmt = FuncFormatter(lambda v, _pos: f"{v * 100:.{decimals}f}%")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)
    return ax


def waterfall(ax: plt.Axes, row: pd.Series, currency: str = "JPY", style: str = "en",
              title: str | None = None, lang: str = DEFAULT_LANG) -> plt.Axes:
    """MRR bridge of one month: opening, + new, + expansion, + reactivation,
    − contraction, − churn, = closing (``row`` from ``mrr_movements``)."""
    values = {"opening_mrr": row["opening_mrr"], "new": row["new"], "expansion": row["expansion"],
              "reactivation": row["reactivation"], "contraction": -row["contraction"], "churn": -row["churn"]}
    steps = [(message(f"movement.{k}", lang), v, "total" if k == "opening_mrr" else k) for k, v in values.items()]
    level = 0.0
    for i, (label, value, kind) in enumerate(steps):
        bottom = 0.0 if kind == "total" else (level if value >= 0 else level + value)
        ax.bar(i, abs(value), bottom=bottom, color=PALETTE[kind])
        text = format_money(value, currency, style) if kind == "total" else (
            ("+" if value >= 0 else "") + format_money(value, currency, style))
        ax.annotate(text, (i, bottom + abs(value)), ha="center", va="bottom", fontsize=8)
        level = value if kind == "total" else level + value
    ax.bar(len(steps), row["closing_mrr"], color=PALETTE["total"])
    ax.annotate(format_money(row["closing_mrr"], currency, style), (len(steps), row["closing_mrr"]),
                ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(steps) + 1), [s[0] for s in steps] + [message("movement.closing_mrr", lang)],
                  rotation=20)
    levels = np.cumsum([row["opening_mrr"]] + [v for _, v, k in steps[1:]])
    top, bottom = float(max(levels.max(), row["closing_mrr"])), float(min(levels.min(), row["closing_mrr"]))
    low = max(0.0, bottom - (top - bottom) * 2.0) if top > bottom else 0.0
    ax.set_ylim(low, top + (top - low) * 0.12)  # room for the labels above the bars
    money_axis(ax, currency, style)
    ax.set_ylabel(message("chart.mrr_currency", lang, currency=currency_name(currency, lang)))
    if title:
        ax.set_title(title)
    return ax


def stacked_movements(ax: plt.Axes, bridge: pd.DataFrame, currency: str = "JPY", style: str = "en",
                      annualise: bool = True, title: str | None = None, lang: str = DEFAULT_LANG) -> plt.Axes:
    """Gains stacked above zero and losses below, per month, with the net as a line.
    ``annualise`` multiplies by 12 (ARR view, seed 002)."""
    factor = 12 if annualise else 1
    x = np.arange(len(bridge))
    up = np.zeros(len(bridge))
    for name in ("new", "expansion", "reactivation"):
        values = bridge[name].to_numpy() * factor
        ax.bar(x, values, bottom=up, color=PALETTE[name], label=message(f"movement.{name}", lang))
        up += values
    down = np.zeros(len(bridge))
    for name in ("contraction", "churn"):
        values = -bridge[name].to_numpy() * factor
        ax.bar(x, values, bottom=down, color=PALETTE[name], label=message(f"movement.{name}", lang))
        down += values
    ax.plot(x, bridge["net_new_mrr"].to_numpy() * factor, color=PALETTE["net"], marker="o", markersize=3,
            label=message("movement.net_new", lang))
    ax.axhline(0, color="black", linewidth=0.8)
    step = max(1, len(bridge) // 12)
    ax.set_xticks(x[::step], month_labels(bridge["month"], lang)[::step], rotation=45, ha="right")
    money_axis(ax, currency, style)
    ax.set_ylabel(message("chart.movement_currency", lang, measure="ARR" if annualise else "MRR",
                          currency=currency_name(currency, lang)))
    ax.legend(ncols=3, fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def _show() -> None:
    """Show the open figures (one output per language of a multi-language page: :func:`show_figures`)."""
    show_figures()


# ------------------------------------------------------------------- 01 NRR


@per_language
def nrr_bridge(page: Page) -> None:
    """The report month's MRR bridge as a waterfall."""
    fmt = page.fmt
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    waterfall(ax, page.data["now"], fmt.currency, fmt.style, title=fmt.msg("chart.nrr_bridge_title", month=fmt.month(page.month)),
              lang=fmt.lang)
    ax.set_xlabel(fmt.msg("chart.movement_x"))
    _show()


@per_language
def nrr_trend(page: Page) -> None:
    """Monthly and twelve-month NRR and GRR over the trend window, with the Japanese average."""
    recent, recent_ttm, msg = page.data["trend"], page.data["trend_ttm"], page.fmt.msg
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    x = month_labels(recent.index, page.fmt.lang)
    ax.plot(x, recent["nrr"], color=PALETTE["expansion"], alpha=0.5, linewidth=1, label=msg("chart.legend.nrr_monthly"))
    ax.plot(x, recent["grr"], color=PALETTE["churn"], alpha=0.5, linewidth=1, label=msg("chart.legend.grr_monthly"))
    ax.plot(x, recent_ttm["nrr_ttm"], color=PALETTE["expansion"], linewidth=2.5, label=msg("chart.legend.nrr_ttm"))
    ax.plot(x, recent_ttm["grr_ttm"], color=PALETTE["churn"], linewidth=2.5, label=msg("chart.legend.grr_ttm"))
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.axhline(page.data["japan_average_nrr"], color=PALETTE["benchmark"], linestyle="--", linewidth=1,
               label=msg("chart.japan_average_nrr"))
    step = max(1, len(x) // 12)
    ax.set_xticks(range(0, len(x), step), x[::step], rotation=45, ha="right")
    percent_axis(ax)
    ax.set_ylabel(msg("chart.retention_axis"))
    ax.set_xlabel(msg("chart.month"))
    ax.set_title(msg("chart.nrr_title"))
    ax.legend(ncols=2, fontsize=8)
    _show()


@per_language
def nrr_segments(page: Page) -> None:
    """Twelve-month NRR and GRR per segment (nothing when there are no segments)."""
    seg_ttm, column = page.data["segment_ttm"], page.data["segment_column"]
    if seg_ttm is None:
        return
    msg = page.fmt.msg
    column_name = msg("chart.segment_column") if column == "segment" else column
    fig, ax = plt.subplots(figsize=(8.5, 4.0))
    names = [str(s) for s in seg_ttm.index]
    pos = range(len(names))
    ax.bar([p - 0.2 for p in pos], seg_ttm["nrr_ttm"], width=0.4, color=PALETTE["expansion"], label=msg("chart.legend.nrr_ttm"))
    ax.bar([p + 0.2 for p in pos], seg_ttm["grr_ttm"], width=0.4, color=PALETTE["churn"], label=msg("chart.legend.grr_ttm"))
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.axhline(page.data["japan_average_nrr"], color=PALETTE["benchmark"], linestyle="--", linewidth=1,
               label=msg("chart.japan_average_nrr"))
    ax.set_xticks(list(pos), names)
    low = (min(0.6, float(seg_ttm[["nrr_ttm", "grr_ttm"]].min().min()) - 0.05)
           if seg_ttm["grr_ttm"].notna().any() else 0.6)
    ax.set_ylim(bottom=max(0.0, low))
    percent_axis(ax)
    ax.set_xlabel(msg("chart.segments_x", column=column_name))
    ax.set_ylabel(msg("chart.segments_axis"))
    ax.set_title(msg("chart.segments_title", column=column_name, month=page.fmt.month(page.month)))
    ax.legend(fontsize=8)
    _show()


# --------------------------------------------------------------- 02 ARR and T2D3


@per_language
def arr_one_off(page: Page) -> None:
    """Recurring revenue and one-off charges per month, stacked."""
    split, fmt = page.data["one_off"], page.fmt
    fig, ax = plt.subplots()
    x = range(len(split))
    ax.bar(x, split["mrr"], color=PALETTE["total"], label=fmt.msg("chart.one_off.mrr"))
    ax.bar(x, split["one_off"], bottom=split["mrr"], color=PALETTE["contraction"], label=fmt.msg("chart.one_off.charges"))
    month_ticks(ax, split["month"], lang=fmt.lang)
    money_axis(ax, fmt.currency, fmt.style)
    ax.set_ylabel(fmt.msg("chart.one_off.axis", currency=currency_name(fmt.currency, fmt.lang)))
    ax.set_xlabel(fmt.msg("chart.month"))
    ax.set_title(fmt.msg("chart.one_off.title"))
    ax.legend(fontsize=8)
    _show()


@per_language
def arr_growth(page: Page) -> None:
    """ARR (top) and its year-on-year growth (bottom) in two panels sharing the month
    axis: two different units, so no twin axes whose lines cross by accident."""
    trend, trend_yoy, fmt = page.data["arr_trend"], page.data["yoy_trend"], page.fmt
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(8.5, 5.2), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    x = range(len(trend))
    ax.plot(x, trend.to_numpy(), color=PALETTE["new"], marker="o", markersize=3)
    money_axis(ax, fmt.currency, fmt.style)
    ax.set_ylabel(fmt.msg("chart.arr_currency", currency=currency_name(fmt.currency, fmt.lang)))
    ax.set_title(fmt.msg("chart.arr_title"))
    ax2.plot(x, trend_yoy.to_numpy(), color=PALETTE["expansion"], marker="o", markersize=3)
    percent_axis(ax2)
    ax2.set_ylabel(fmt.msg("chart.yoy_legend"))
    ax2.set_xlabel(fmt.msg("chart.month"))
    month_ticks(ax2, trend.index, lang=fmt.lang)
    fig.tight_layout()
    _show()


@per_language
def arr_t2d3(page: Page) -> None:
    """Actual ARR against the T2D3 plan on a log scale (nothing without a plan)."""
    vs_plan, base, arr_series = page.data["t2d3"], page.data["t2d3_base"], page.data["arr_series"]
    if vs_plan is None:
        return
    fmt, month = page.fmt, page.month
    done = vs_plan[vs_plan["actual_arr"].notna()]
    path = arr_series.loc[base:]
    month_pos = {m: i for i, m in enumerate(pd.period_range(base, max(month, vs_plan["month"].iloc[-1]), freq="M"))}
    shown = vs_plan[vs_plan["month"] <= (done["month"].iloc[-1] + 12 if len(done) else base + 12)]
    fig, ax = plt.subplots()
    ax.plot([month_pos[m] for m in path.index], path.to_numpy(), color=PALETTE["new"], label=fmt.msg("chart.actual_arr"))
    ax.plot([0] + [month_pos[m] for m in shown["month"]], [float(arr_series[base])] + list(shown["plan_arr"]),
            color=PALETTE["benchmark"], linestyle="--", marker="o", label=fmt.msg("chart.t2d3_plan"))
    for _, r in shown.iterrows():
        ax.annotate(f"×{int(r['cumulative_multiple'])}", (month_pos[r["month"]], r["plan_arr"]),
                    textcoords="offset points", xytext=(4, 4), fontsize=8)
    ticks = sorted({0, *[month_pos[m] for m in shown["month"]], month_pos[month]})
    labels_by_pos = dict(zip(month_pos.values(), month_labels(list(month_pos), fmt.lang)))
    ax.set_xticks(ticks, [labels_by_pos[t] for t in ticks], rotation=45, ha="right")
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_minor_formatter(NullFormatter())
    money_axis(ax, fmt.currency, fmt.style)
    ax.set_ylabel(fmt.msg("chart.arr_log_axis", currency=currency_name(fmt.currency, fmt.lang)))
    ax.set_xlabel(fmt.msg("chart.month"))
    ax.set_title(fmt.msg("chart.t2d3_title", base=fmt.month_short(base)))
    ax.legend(fontsize=8)
    _show()


# ---------------------------------------------------------------- 03 New ARR mix


@per_language
def seed_002_cases(page: Page) -> None:
    """Seed 002's two cases: same net growth, different quality."""
    cases, fmt = page.data["cases"], page.fmt
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    x = np.arange(len(cases))
    ax.bar(x, cases["new"], width=0.5, color=PALETTE["new"], label=fmt.msg("chart.cases.new"))
    ax.bar(x, -cases["churn"], width=0.5, color=PALETTE["churn"], label=fmt.msg("chart.cases.churn"))
    ax.scatter(x, cases["net_new"], color=PALETTE["net"], zorder=3, label=fmt.msg("chart.cases.net_new"))
    for i, row in cases.iterrows():
        ax.annotate(fmt.msg("chart.cases.quick_ratio", ratio=fmt.ratio(row["quick_ratio"])), (i, row["new"]),
                    ha="center", va="bottom", fontsize=9)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(x, cases["case"])
    ax.set_ylim(-4_500_000, 10_000_000)
    money_axis(ax, "JPY", fmt.style)
    ax.set_ylabel(fmt.msg("chart.movement_currency", measure="ARR", currency=currency_name("JPY", fmt.lang)))
    ax.set_xlabel(fmt.msg("chart.cases.x", source=citation("002")))
    ax.set_title(fmt.msg("chart.cases.title"))
    # the legend sits outside the plot, so it covers no bar (Case 2's churn bar included)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    _show()


@per_language
def arr_movements(page: Page) -> None:
    """ARR won and lost each month (stacked), with Net New ARR."""
    fig, ax = plt.subplots(figsize=(8.5, 4.4))
    stacked_movements(ax, page.data["recent"], page.fmt.currency, page.fmt.style, annualise=True,
                      title=page.fmt.msg("chart.movements_title"), lang=page.fmt.lang)
    ax.set_xlabel(page.fmt.msg("chart.month"))
    _show()


@per_language
def quick_ratio_trend(page: Page) -> None:
    """The monthly and pooled Quick Ratio against seed 002's bands."""
    recent, recent_flows, window = page.data["recent"], page.data["recent_flows"], page.data["window"]
    msg = page.fmt.msg
    fig, ax = plt.subplots(figsize=(8.5, 4.0))
    x = np.arange(len(recent))
    ax.axhspan(0, 2, color=PALETTE["churn"], alpha=0.07)
    ax.axhspan(2, 4, color=PALETTE["contraction"], alpha=0.07)
    monthly = recent["quick_ratio"].to_numpy()
    ceiling = (max(6.0, float(np.nanmax(recent_flows["quick_ratio"])) * 1.3)
               if recent_flows["quick_ratio"].notna().any() else 6.0)
    ax.axhspan(4, ceiling, color=PALETTE["expansion"], alpha=0.07)
    ax.plot(x, np.minimum(monthly, ceiling), color=PALETTE["total"], alpha=0.5, marker="o", markersize=3,
            linewidth=1, label=msg("chart.qr.monthly"))
    ax.plot(x, recent_flows["quick_ratio"].to_numpy(), color=PALETTE["net"], linewidth=2.5,
            label=msg("chart.qr.pooled", window=window))
    ax.set_ylim(0, ceiling)
    month_ticks(ax, recent["month"], lang=page.fmt.lang)
    ax.set_ylabel(msg("chart.quick_ratio_axis"))
    ax.set_xlabel(msg("chart.month"))
    ax.set_title(msg("chart.qr.title", source=citation("002")))
    ax.legend(fontsize=8, loc="upper left")
    _show()


@per_language
def new_arr_share(page: Page) -> None:
    """The trailing share of gross new ARR from new customers, with seed 002's band."""
    recent, band, msg = page.data["recent"], page.data["stage_band"], page.fmt.msg
    fig, ax = plt.subplots(figsize=(8.5, 3.8))
    x = np.arange(len(recent))
    ax.plot(x, recent["new_arr_share"].to_numpy(), color=PALETTE["new"], linewidth=2.5,
            label=msg("chart.share.line", window=page.data["window"]))
    if band is not None:
        ax.axhspan(band.low, band.high, color=PALETTE["benchmark"], alpha=0.15,
                   label=msg("chart.share.band", source=citation("002"), applies=page.data["stage_band_text"]))
    ax.set_ylim(0, 1)
    month_ticks(ax, recent["month"], lang=page.fmt.lang)
    percent_axis(ax)
    ax.set_ylabel(msg("chart.share.axis"))
    ax.set_xlabel(msg("chart.month"))
    ax.set_title(msg("chart.share.title"))
    ax.legend(fontsize=8, loc="lower left")
    _show()


# ------------------------------------------------------------ 04 churn compounding


@per_language
def retention_curves(page: Page) -> None:
    """Seed 004's constant-churn retention curves."""
    curves, fmt = page.data["curves"], page.fmt
    fig, ax = plt.subplots()
    colours = [PALETTE["expansion"], PALETTE["new"], PALETTE["contraction"], PALETTE["churn"]]
    for (r, g), colour in zip(curves.groupby("rate", sort=True), colours):
        ax.plot(g["month"], g["retained_share"], color=colour, label=fmt.msg("chart.curves.per_month", rate=fmt.pct(r, 0)))
    ax.axhline(0.5, color=PALETTE["benchmark"], linestyle=":", linewidth=1)
    ax.annotate(fmt.msg("chart.curves.half"), (0.3, 0.51), fontsize=8, color=PALETTE["benchmark"])
    ax.axvline(12, color=PALETTE["benchmark"], linestyle=":", linewidth=1)
    percent_axis(ax)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(fmt.msg("chart.months_since_start"))
    ax.set_ylabel(fmt.msg("chart.customers_paying"))
    ax.set_title(fmt.msg("chart.retention_curve_title"))
    ax.legend(fontsize=8)
    _show()


@per_language
def churn_trend(page: Page) -> None:
    """Logo churn against revenue churn (gross and seed 004's), per month."""
    trend, msg = page.data["trend"], page.fmt.msg
    fig, ax = plt.subplots()
    x = np.arange(len(trend))
    ax.plot(x, trend["logo_churn"], color=PALETTE["churn"], marker="o", markersize=3, label=msg("chart.logo_churn"))
    ax.plot(x, trend["revenue_churn"], color=PALETTE["contraction"], marker="s", markersize=3,
            label=msg("chart.churn.revenue_gross"))
    ax.plot(x, trend["revenue_churn_plain"], color=PALETTE["total"], linestyle="--",
            label=msg("chart.churn.revenue_plain", source=citation("004")))
    month_ticks(ax, trend["month"], lang=page.fmt.lang)
    percent_axis(ax, decimals=1)
    ax.set_ylim(bottom=0)
    ax.set_xlabel(msg("chart.month"))
    ax.set_ylabel(msg("chart.monthly_churn_axis"))
    ax.set_title(msg("chart.churn_title"))
    ax.legend(fontsize=8)
    _show()


@per_language
def cohort_heatmap(page: Page) -> None:
    """Logo retention by signup cohort and age."""
    table, sizes, msg = page.data["cohorts"], page.data["cohort_sizes"], page.fmt.msg
    fig, ax = plt.subplots(figsize=(9, 5.5))
    values = table.to_numpy(dtype="float64")
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    # the colour scale spans the data (not 0-100%), so cells of 55% and 85% look different
    image = ax.imshow(values, aspect="auto", cmap="Blues", vmin=low, vmax=high if high > low else low + 0.01)
    middle = (low + high) / 2
    for (r, c), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(c, r, f"{v * 100:.0f}", ha="center", va="center", fontsize=6,
                    color="white" if v > middle else "#1a202c")
    ax.set_yticks(range(len(table)), [msg("chart.cohort.row", cohort=c, count=n)
                                      for c, n in zip(month_labels(table.index, page.fmt.lang), sizes)], fontsize=7)
    ax.set_xticks(range(len(table.columns)), [str(c) for c in table.columns], fontsize=7)
    ax.set_xlabel(msg("chart.cohort.x"))
    ax.set_ylabel(msg("chart.cohort.y"))
    ax.grid(False)
    bar = fig.colorbar(image, ax=ax)
    percent_axis(bar.ax)
    bar.set_label(msg("chart.customers_paying"))
    ax.set_title(msg("chart.cohort.title"))
    _show()


# ------------------------------------------------------------------ 05 activation


@per_language
def activation_by_cohort(page: Page) -> None:
    """Activation rate per signup cohort: closed, the headline cohort, still open."""
    if page.data.get("unavailable"):
        return
    by_cohort, cohort, rule = page.data["by_cohort"], page.data["headline_cohort"], page.data["rule"]
    msg = page.fmt.msg
    fig, ax = plt.subplots()
    is_open = by_cohort["open_windows"] > 0
    x = np.arange(len(by_cohort))
    headline = (by_cohort["cohort"] == cohort).to_numpy()
    ax.bar(x[~is_open & ~headline], by_cohort.loc[~is_open & ~headline, "rate"], color=PALETTE["new"],
           label=msg("chart.activation.closed"))
    if headline.any():
        ax.bar(x[headline], by_cohort.loc[headline, "rate"], color=PALETTE["net"],
               label=msg("chart.activation.headline", cohort=page.fmt.month_short(cohort)))
    if is_open.any():
        ax.bar(x[is_open], by_cohort.loc[is_open, "rate"], color=PALETTE["new"], alpha=0.35, hatch="//",
               label=msg("chart.activation.open"))
    if page.data["has_closed"]:
        ax.axhline(page.data["closed_rate"], color=PALETTE["benchmark"], linestyle="--", linewidth=1,
                   label=msg("chart.activation.all_closed"))
    month_ticks(ax, by_cohort["cohort"], lang=page.fmt.lang)
    percent_axis(ax)
    ax.set_ylim(0, 1)
    ax.set_xlabel(msg("chart.activation.x"))
    ax.set_ylabel(msg("chart.activation.y"))
    ax.set_title(msg("chart.activation_title", rule=rule_text(rule, page.fmt.lang)))
    ax.legend(fontsize=8, loc="upper left")
    _show()


@per_language
def retention_by_activation(page: Page) -> None:
    """Retention of activated vs not, with 95% Wilson intervals."""
    if page.data.get("unavailable"):
        return
    retention, days, fmt = page.data["retention"], page.data["retention_days"], page.fmt
    fig, ax = plt.subplots(figsize=(6, 3.6))
    rates = retention["rate"].to_numpy(dtype=float)
    err = np.vstack([rates - retention["ci_low"].to_numpy(dtype=float),
                     retention["ci_high"].to_numpy(dtype=float) - rates])
    labels = [fmt.msg("chart.retention.group", group=data_word("onboarding.group.", g, fmt.lang), count=fmt.count(n))
              for g, n in zip(retention["group"], retention["customers"])]
    ax.bar(labels, rates, yerr=err, capsize=8, color=[PALETTE["expansion"], PALETTE["churn"]], width=0.55)
    for i, r in enumerate(rates):
        ax.annotate(fmt.pct(r), (i, r), xytext=(18, 4), textcoords="offset points", fontsize=9)
    percent_axis(ax)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel(fmt.msg("chart.retention.y", days=days))
    ax.set_title(fmt.msg("chart.retention.title", days=days))
    _show()


@per_language
def magic_moment_lift(page: Page) -> None:
    """Retention lift by event and threshold in the best candidate's window."""
    if page.data.get("unavailable"):
        return
    search = page.data["search"]
    if not len(search):
        return
    window = int(search.iloc[0]["window_days"])
    fig, ax = plt.subplots()
    for event, rows in search[search["window_days"] == window].groupby("event", sort=True):
        rows = rows.sort_values("threshold")
        ax.plot(rows["threshold"], rows["lift_difference"], marker="o", label=event)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(sorted(page.data["search_thresholds"]))
    percent_axis(ax)
    msg = page.fmt.msg
    ax.set_xlabel(msg("chart.lift.x", window=window))
    ax.set_ylabel(msg("chart.lift.y", days=page.data["retention_days"]))
    ax.set_title(msg("chart.lift.title", window=window))
    ax.legend(fontsize=8, ncols=2)
    _show()


@per_language
def time_to_first_value(page: Page) -> None:
    """Days from signup to activation, with the median and upper percentiles."""
    if page.data.get("unavailable"):
        return
    ttfv, summary, msg = page.data["ttfv"], page.data["ttfv_summary"], page.fmt.msg
    fig, ax = plt.subplots()
    ax.bar(ttfv["days_from"], ttfv["customers"], width=ttfv["days_to"] - ttfv["days_from"], align="edge",
           color=PALETTE["new"], edgecolor="white")
    for name, line in (("median", "-"), ("p75", "--"), ("p90", ":")):
        value = summary[name]
        if np.isfinite(value):
            ax.axvline(value, color=PALETTE["net"], linestyle=line, linewidth=1.2,
                       label=msg("chart.ttfv.line", name=msg(f"chart.ttfv.{name}"), days=page.fmt.days(value)))
    ax.set_xlabel(msg("chart.ttfv.x"))
    ax.set_ylabel(msg("chart.ttfv.y"))
    ax.set_title(msg("chart.ttfv.title", rule=rule_text(page.data["rule"], page.fmt.lang)))
    ax.legend(fontsize=8)
    _show()


@per_language
def onboarding_funnel(page: Page) -> None:
    """Share of signups reaching each onboarding step within the window."""
    if page.data.get("unavailable"):
        return
    funnel, fmt = page.data["funnel"], page.fmt
    fig, ax = plt.subplots()
    y = np.arange(len(funnel))[::-1]
    ax.barh(y, funnel["conversion_from_start"], color=PALETTE["new"])
    for yi, share, n in zip(y, funnel["conversion_from_start"], funnel["customers"]):
        ax.annotate(fmt.msg("chart.funnel.bar", share=fmt.pct(share), count=fmt.count(n)), (share, yi), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=8)
    ax.set_yticks(y, funnel["step"])
    percent_axis(ax, axis="x")
    ax.set_xlim(0, 1.15)
    ax.set_xlabel(fmt.msg("chart.funnel.x", days=page.data["funnel_window_days"]))
    ax.set_title(fmt.msg("chart.funnel_title"))
    _show()


def _inline_png(fig, css_class: str, alt: str) -> str:
    """A figure as an inline <img> (a data URI), closed after saving."""
    import base64
    import html
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img class="{css_class}" src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


@per_language
def overview_trend(page: Page, key: str = "overview_chart") -> None:
    """The overview's charts, glued (not shown) under ``key`` as two inline images side
    by side (stacked on a phone): closing MRR over the last 24 months with ARR (= MRR ×
    12) on the right-hand axis, and the report month's bridge as a waterfall. Inline
    images because a figure glued into another document (the overview) would point at
    an image file Sphinx copies only for the notebook's own page."""
    from IPython.display import HTML
    from myst_nb import glue

    from saas_kit.i18n import message

    trend, lang, style = page.data["overview_trend"], page.fmt.lang, page.fmt.style
    cur = page.fmt.currency
    fig, left = plt.subplots(figsize=(5.2, 3.6))
    x = np.arange(len(trend))
    left.plot(x, trend["closing_mrr"], color=PALETTE["net"], linewidth=2)
    left.fill_between(x, trend["closing_mrr"], alpha=0.08, color=PALETTE["net"])
    left.set_title(message("overview.chart.mrr", lang))
    money_axis(left, cur, style)
    step = max(1, len(trend) // 5)
    left.set_xticks(x[::step], month_labels(trend.index[::step], lang), rotation=30)
    arr = left.secondary_yaxis("right", functions=(lambda v: v * 12, lambda v: v / 12))
    arr.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: format_money(v, cur, style, precision=1)))
    arr.set_ylabel("ARR")
    left.set_ylim(0, float(trend["closing_mrr"].max()) * 1.1)
    fig.tight_layout()
    trend_img = _inline_png(fig, "overview-chart", message("overview.chart.mrr", lang))
    fig, right = plt.subplots(figsize=(5.2, 3.6))
    waterfall(right, page.data["now"], cur, style, title=message("overview.chart.bridge", lang), lang=lang)
    right.tick_params(axis="x", labelsize=8)
    fig.tight_layout()
    bridge_img = _inline_png(fig, "overview-chart", message("overview.chart.bridge", lang))
    glue(_glue_key(key), HTML(f'<div class="overview-charts">{trend_img}{bridge_img}</div>'), display=False)
