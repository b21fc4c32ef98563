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

from saas_kit.formatting import format_count, format_days, format_money
from saas_kit.pages.base import figure_glue_key as _glue_key, per_language, show_figures

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


def month_labels(months: pd.Index) -> list[str]:
    return [str(m) for m in months]


def waterfall(ax: plt.Axes, row: pd.Series, currency: str = "JPY", style: str = "en",
              title: str | None = None) -> plt.Axes:
    """MRR bridge of one month: opening, + new, + expansion, + reactivation,
    − contraction, − churn, = closing (``row`` from ``mrr_movements``)."""
    steps = [("Opening MRR", row["opening_mrr"], "total"), ("New", row["new"], "new"),
             ("Expansion", row["expansion"], "expansion"), ("Reactivation", row["reactivation"], "reactivation"),
             ("Contraction", -row["contraction"], "contraction"), ("Churn", -row["churn"], "churn")]
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
    ax.set_xticks(range(len(steps) + 1), [s[0] for s in steps] + ["Closing MRR"], rotation=20)
    levels = np.cumsum([row["opening_mrr"]] + [v for _, v, k in steps[1:]])
    top, bottom = float(max(levels.max(), row["closing_mrr"])), float(min(levels.min(), row["closing_mrr"]))
    low = max(0.0, bottom - (top - bottom) * 2.0) if top > bottom else 0.0
    ax.set_ylim(low, top + (top - low) * 0.12)  # room for the labels above the bars
    money_axis(ax, currency, style)
    ax.set_ylabel(f"MRR ({currency})")
    if title:
        ax.set_title(title)
    return ax


def stacked_movements(ax: plt.Axes, bridge: pd.DataFrame, currency: str = "JPY", style: str = "en",
                      annualise: bool = True, title: str | None = None) -> plt.Axes:
    """Gains stacked above zero and losses below, per month, with the net as a line.
    ``annualise`` multiplies by 12 (ARR view, seed 002)."""
    factor = 12 if annualise else 1
    x = np.arange(len(bridge))
    up = np.zeros(len(bridge))
    for name in ("new", "expansion", "reactivation"):
        values = bridge[name].to_numpy() * factor
        ax.bar(x, values, bottom=up, color=PALETTE[name], label=name.capitalize())
        up += values
    down = np.zeros(len(bridge))
    for name in ("contraction", "churn"):
        values = -bridge[name].to_numpy() * factor
        ax.bar(x, values, bottom=down, color=PALETTE[name], label=name.capitalize())
        down += values
    ax.plot(x, bridge["net_new_mrr"].to_numpy() * factor, color=PALETTE["net"], marker="o", markersize=3,
            label="Net new")
    ax.axhline(0, color="black", linewidth=0.8)
    step = max(1, len(bridge) // 12)
    ax.set_xticks(x[::step], month_labels(bridge["month"])[::step], rotation=45, ha="right")
    money_axis(ax, currency, style)
    ax.set_ylabel(f"{'ARR' if annualise else 'MRR'} movement ({currency})")
    ax.legend(ncols=3, fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def month_ticks(ax: plt.Axes, months, x=None) -> None:
    """At most about twelve month labels along the x axis, slanted."""
    labels = month_labels(months)
    x = np.arange(len(labels)) if x is None else np.asarray(x)
    step = max(1, len(labels) // 12)
    ax.set_xticks(list(x)[::step], labels[::step], rotation=45, ha="right")


def _show() -> None:
    """Show the open figures (one output per language of a multi-language page: :func:`show_figures`)."""
    show_figures()


# ------------------------------------------------------------------- 01 NRR


@per_language
def nrr_bridge(page: Page) -> None:
    """The report month's MRR bridge as a waterfall."""
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    waterfall(ax, page.data["now"], page.fmt.currency, page.fmt.style, title=f"MRR bridge, {page.fmt.month(page.month)}")
    ax.set_xlabel("Movement")
    _show()


@per_language
def nrr_trend(page: Page) -> None:
    """Monthly and twelve-month NRR and GRR over the trend window, with the Japanese average."""
    recent, recent_ttm = page.data["trend"], page.data["trend_ttm"]
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    x = [str(m) for m in recent.index]
    ax.plot(x, recent["nrr"], color=PALETTE["expansion"], alpha=0.5, linewidth=1, label="NRR, monthly")
    ax.plot(x, recent["grr"], color=PALETTE["churn"], alpha=0.5, linewidth=1, label="GRR, monthly")
    ax.plot(x, recent_ttm["nrr_ttm"], color=PALETTE["expansion"], linewidth=2.5, label="NRR, twelve-month")
    ax.plot(x, recent_ttm["grr_ttm"], color=PALETTE["churn"], linewidth=2.5, label="GRR, twelve-month")
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.axhline(page.data["japan_average_nrr"], color=PALETTE["benchmark"], linestyle="--", linewidth=1,
               label="Japanese B2B average NRR (102.1%)")
    step = max(1, len(x) // 12)
    ax.set_xticks(range(0, len(x), step), x[::step], rotation=45, ha="right")
    percent_axis(ax)
    ax.set_ylabel("Retention (% of starting MRR)")
    ax.set_xlabel("Month")
    ax.set_title("NRR and GRR, monthly and twelve-month")
    ax.legend(ncols=2, fontsize=8)
    _show()


@per_language
def nrr_segments(page: Page) -> None:
    """Twelve-month NRR and GRR per segment (nothing when there are no segments)."""
    seg_ttm, column = page.data["segment_ttm"], page.data["segment_column"]
    if seg_ttm is None:
        return
    fig, ax = plt.subplots(figsize=(8.5, 4.0))
    names = [str(s) for s in seg_ttm.index]
    pos = range(len(names))
    ax.bar([p - 0.2 for p in pos], seg_ttm["nrr_ttm"], width=0.4, color=PALETTE["expansion"], label="NRR, twelve-month")
    ax.bar([p + 0.2 for p in pos], seg_ttm["grr_ttm"], width=0.4, color=PALETTE["churn"], label="GRR, twelve-month")
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.axhline(page.data["japan_average_nrr"], color=PALETTE["benchmark"], linestyle="--", linewidth=1,
               label="Japanese B2B average NRR (102.1%)")
    ax.set_xticks(list(pos), names)
    low = (min(0.6, float(seg_ttm[["nrr_ttm", "grr_ttm"]].min().min()) - 0.05)
           if seg_ttm["grr_ttm"].notna().any() else 0.6)
    ax.set_ylim(bottom=max(0.0, low))
    percent_axis(ax)
    ax.set_xlabel(f"Customer {column}")
    ax.set_ylabel("Retention (% of MRR a year ago)")
    ax.set_title(f"Twelve-month NRR and GRR by {column}, {page.fmt.month(page.month)}")
    ax.legend(fontsize=8)
    _show()


# --------------------------------------------------------------- 02 ARR and T2D3


@per_language
def arr_one_off(page: Page) -> None:
    """Recurring revenue and one-off charges per month, stacked."""
    split, fmt = page.data["one_off"], page.fmt
    fig, ax = plt.subplots()
    x = range(len(split))
    ax.bar(x, split["mrr"], color=PALETTE["total"], label="MRR (recurring, in ARR)")
    ax.bar(x, split["one_off"], bottom=split["mrr"], color=PALETTE["contraction"], label="One-off charges (not in ARR)")
    month_ticks(ax, split["month"])
    money_axis(ax, fmt.currency, fmt.style)
    ax.set_ylabel(f"Revenue per month ({fmt.currency})")
    ax.set_xlabel("Month")
    ax.set_title("Recurring revenue and one-off charges per month")
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
    ax.set_ylabel(f"ARR ({fmt.currency})")
    ax.set_title("ARR and its year-on-year growth")
    ax2.plot(x, trend_yoy.to_numpy(), color=PALETTE["expansion"], marker="o", markersize=3)
    percent_axis(ax2)
    ax2.set_ylabel("YoY growth")
    ax2.set_xlabel("Month")
    month_ticks(ax2, trend.index)
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
    ax.plot([month_pos[m] for m in path.index], path.to_numpy(), color=PALETTE["new"], label="Actual ARR")
    ax.plot([0] + [month_pos[m] for m in shown["month"]], [float(arr_series[base])] + list(shown["plan_arr"]),
            color=PALETTE["benchmark"], linestyle="--", marker="o", label="T2D3 plan (×3, ×3, ×2, ...)")
    for _, r in shown.iterrows():
        ax.annotate(f"×{int(r['cumulative_multiple'])}", (month_pos[r["month"]], r["plan_arr"]),
                    textcoords="offset points", xytext=(4, 4), fontsize=8)
    ticks = sorted({0, *[month_pos[m] for m in shown["month"]], month_pos[month]})
    labels_by_pos = {v: str(k) for k, v in month_pos.items()}
    ax.set_xticks(ticks, [labels_by_pos[t] for t in ticks], rotation=45, ha="right")
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_minor_formatter(NullFormatter())
    money_axis(ax, fmt.currency, fmt.style)
    ax.set_ylabel(f"ARR ({fmt.currency}, log scale)")
    ax.set_xlabel("Month")
    ax.set_title(f"Actual ARR against a T2D3 plan from {base}")
    ax.legend(fontsize=8)
    _show()


# ---------------------------------------------------------------- 03 New ARR mix


@per_language
def seed_002_cases(page: Page) -> None:
    """Seed 002's two cases: same net growth, different quality."""
    cases, fmt = page.data["cases"], page.fmt
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    x = np.arange(len(cases))
    ax.bar(x, cases["new"], width=0.5, color=PALETTE["new"], label="New ARR")
    ax.bar(x, -cases["churn"], width=0.5, color=PALETTE["churn"], label="Churn ARR")
    ax.scatter(x, cases["net_new"], color=PALETTE["net"], zorder=3, label="Net New ARR")
    for i, row in cases.iterrows():
        ax.annotate(f"Quick Ratio {fmt.ratio(row['quick_ratio'])}", (i, row["new"]), ha="center", va="bottom",
                    fontsize=9)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(x, cases["case"])
    ax.set_ylim(-4_500_000, 10_000_000)
    money_axis(ax, "JPY", fmt.style)
    ax.set_ylabel("ARR movement (JPY)")
    ax.set_xlabel("The two cases of source [3]")
    ax.set_title("Same net growth, different quality")
    # the legend sits outside the plot, so it covers no bar (Case 2's churn bar included)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    _show()


@per_language
def arr_movements(page: Page) -> None:
    """ARR won and lost each month (stacked), with Net New ARR."""
    fig, ax = plt.subplots(figsize=(8.5, 4.4))
    stacked_movements(ax, page.data["recent"], page.fmt.currency, page.fmt.style, annualise=True,
                      title="ARR won and lost each month")
    ax.set_xlabel("Month")
    _show()


@per_language
def quick_ratio_trend(page: Page) -> None:
    """The monthly and pooled Quick Ratio against seed 002's bands."""
    recent, recent_flows, window = page.data["recent"], page.data["recent_flows"], page.data["window"]
    fig, ax = plt.subplots(figsize=(8.5, 4.0))
    x = np.arange(len(recent))
    ax.axhspan(0, 2, color=PALETTE["churn"], alpha=0.07)
    ax.axhspan(2, 4, color=PALETTE["contraction"], alpha=0.07)
    monthly = recent["quick_ratio"].to_numpy()
    ceiling = (max(6.0, float(np.nanmax(recent_flows["quick_ratio"])) * 1.3)
               if recent_flows["quick_ratio"].notna().any() else 6.0)
    ax.axhspan(4, ceiling, color=PALETTE["expansion"], alpha=0.07)
    ax.plot(x, np.minimum(monthly, ceiling), color=PALETTE["total"], alpha=0.5, marker="o", markersize=3,
            linewidth=1, label="Monthly (capped at the top of the chart)")
    ax.plot(x, recent_flows["quick_ratio"].to_numpy(), color=PALETTE["net"], linewidth=2.5,
            label=f"Pooled over {window} months")
    ax.set_ylim(0, ceiling)
    month_ticks(ax, recent["month"])
    ax.set_ylabel("Quick Ratio (ARR won per ARR lost, ×)")
    ax.set_xlabel("Month")
    ax.set_title("SaaS Quick Ratio against the bands of source [3]")
    ax.legend(fontsize=8, loc="upper left")
    _show()


@per_language
def new_arr_share(page: Page) -> None:
    """The trailing share of gross new ARR from new customers, with seed 002's band."""
    recent, band = page.data["recent"], page.data["stage_band"]
    fig, ax = plt.subplots(figsize=(8.5, 3.8))
    x = np.arange(len(recent))
    ax.plot(x, recent["new_arr_share"].to_numpy(), color=PALETTE["new"], linewidth=2.5,
            label=f"New ARR share, trailing {page.data['window']} months")
    if band is not None:
        ax.axhspan(band.low, band.high, color=PALETTE["benchmark"], alpha=0.15,
                   label=f"Typical share per source [3] at {page.data['stage_band_text']}")
    ax.set_ylim(0, 1)
    month_ticks(ax, recent["month"])
    percent_axis(ax)
    ax.set_ylabel("New ARR / (New + Expansion ARR), %")
    ax.set_xlabel("Month")
    ax.set_title("Share of gross new ARR from new customers")
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
        ax.plot(g["month"], g["retained_share"], color=colour, label=f"{fmt.pct(r, 0)} a month")
    ax.axhline(0.5, color=PALETTE["benchmark"], linestyle=":", linewidth=1)
    ax.annotate("half the customers", (0.3, 0.51), fontsize=8, color=PALETTE["benchmark"])
    ax.axvline(12, color=PALETTE["benchmark"], linestyle=":", linewidth=1)
    percent_axis(ax)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("Months since start")
    ax.set_ylabel("Customers still paying (%)")
    ax.set_title("Retention at a constant monthly churn rate")
    ax.legend(fontsize=8)
    _show()


@per_language
def churn_trend(page: Page) -> None:
    """Logo churn against revenue churn (gross and seed 004's), per month."""
    trend = page.data["trend"]
    fig, ax = plt.subplots()
    x = np.arange(len(trend))
    ax.plot(x, trend["logo_churn"], color=PALETTE["churn"], marker="o", markersize=3, label="Logo churn")
    ax.plot(x, trend["revenue_churn"], color=PALETTE["contraction"], marker="s", markersize=3,
            label="Revenue churn, gross (churn + contraction)")
    ax.plot(x, trend["revenue_churn_plain"], color=PALETTE["total"], linestyle="--",
            label="Revenue churn, source [5] (churn only)")
    month_ticks(ax, trend["month"])
    percent_axis(ax, decimals=1)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("Month")
    ax.set_ylabel("Monthly churn (%)")
    ax.set_title("Customers lost versus revenue lost, per month")
    ax.legend(fontsize=8)
    _show()


@per_language
def cohort_heatmap(page: Page) -> None:
    """Logo retention by signup cohort and age."""
    table, sizes = page.data["cohorts"], page.data["cohort_sizes"]
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
    ax.set_yticks(range(len(table)), [f"{c} (n={n})" for c, n in zip(table.index, sizes)], fontsize=7)
    ax.set_xticks(range(len(table.columns)), [str(c) for c in table.columns], fontsize=7)
    ax.set_xlabel("Months since first payment")
    ax.set_ylabel("Cohort (first paying month)")
    ax.grid(False)
    bar = fig.colorbar(image, ax=ax)
    percent_axis(bar.ax)
    bar.set_label("Customers still paying (%)")
    ax.set_title("Logo retention by signup cohort (% still paying)")
    _show()


# ------------------------------------------------------------------ 05 activation


@per_language
def activation_by_cohort(page: Page) -> None:
    """Activation rate per signup cohort: closed, the headline cohort, still open."""
    if page.data.get("unavailable"):
        return
    by_cohort, cohort, rule = page.data["by_cohort"], page.data["headline_cohort"], page.data["rule"]
    fig, ax = plt.subplots()
    is_open = by_cohort["open_windows"] > 0
    x = np.arange(len(by_cohort))
    headline = (by_cohort["cohort"] == cohort).to_numpy()
    ax.bar(x[~is_open & ~headline], by_cohort.loc[~is_open & ~headline, "rate"], color=PALETTE["new"],
           label="all windows closed")
    if headline.any():
        ax.bar(x[headline], by_cohort.loc[headline, "rate"], color=PALETTE["net"], label=f"headline cohort ({cohort})")
    if is_open.any():
        ax.bar(x[is_open], by_cohort.loc[is_open, "rate"], color=PALETTE["new"], alpha=0.35, hatch="//",
               label="some windows still open")
    if page.data["has_closed"]:
        ax.axhline(page.data["closed_rate"], color=PALETTE["benchmark"], linestyle="--", linewidth=1,
                   label="all closed cohorts")
    month_ticks(ax, by_cohort["cohort"])
    percent_axis(ax)
    ax.set_ylim(0, 1)
    ax.set_xlabel("Signup month (cohort)")
    ax.set_ylabel("Activated (% of signups)")
    ax.set_title(f"Activation rate by signup cohort: {rule.describe()}")
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
    labels = [f"{g}\n(n = {format_count(n)})" for g, n in zip(retention["group"], retention["customers"])]
    ax.bar(labels, rates, yerr=err, capsize=8, color=[PALETTE["expansion"], PALETTE["churn"]], width=0.55)
    for i, r in enumerate(rates):
        ax.annotate(fmt.pct(r), (i, r), xytext=(18, 4), textcoords="offset points", fontsize=9)
    percent_axis(ax)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel(f"Still paying at day {days} (%)")
    ax.set_title(f"Retention at day {days}: activated vs not, 95% Wilson intervals")
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
    ax.set_xlabel(f"Minimum number of events within {window} days of signup")
    ax.set_ylabel(f"Retention lift at day {page.data['retention_days']} (pct points)")
    ax.set_title(f"Retention lift by event and threshold, {window}-day window")
    ax.legend(fontsize=8, ncols=2)
    _show()


@per_language
def time_to_first_value(page: Page) -> None:
    """Days from signup to activation, with the median and upper percentiles."""
    if page.data.get("unavailable"):
        return
    ttfv, summary = page.data["ttfv"], page.data["ttfv_summary"]
    fig, ax = plt.subplots()
    ax.bar(ttfv["days_from"], ttfv["customers"], width=ttfv["days_to"] - ttfv["days_from"], align="edge",
           color=PALETTE["new"], edgecolor="white")
    for name, line in (("median", "-"), ("p75", "--"), ("p90", ":")):
        value = summary[name]
        if np.isfinite(value):
            ax.axvline(value, color=PALETTE["net"], linestyle=line, linewidth=1.2, label=f"{name}: {format_days(value)}")
    ax.set_xlabel("Days from signup to activation")
    ax.set_ylabel("Activated customers (count)")
    ax.set_title(f"Time to first value: {page.data['rule'].describe()}")
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
        ax.annotate(f"{fmt.pct(share)} ({format_count(n)})", (share, yi), xytext=(4, 0), textcoords="offset points",
                    va="center", fontsize=8)
    ax.set_yticks(y, funnel["step"])
    percent_axis(ax, axis="x")
    ax.set_xlim(0, 1.15)
    ax.set_xlabel(f"Customers reaching the step within {page.data['funnel_window_days']} days (% of signups)")
    ax.set_title("Onboarding funnel")
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
    left.set_xticks(x[::step], [str(m) for m in trend.index[::step]], rotation=30)
    arr = left.secondary_yaxis("right", functions=(lambda v: v * 12, lambda v: v / 12))
    arr.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: format_money(v, cur, style, precision=1)))
    arr.set_ylabel("ARR")
    left.set_ylim(0, float(trend["closing_mrr"].max()) * 1.1)
    fig.tight_layout()
    trend_img = _inline_png(fig, "overview-chart", message("overview.chart.mrr", lang))
    fig, right = plt.subplots(figsize=(5.2, 3.6))
    waterfall(right, page.data["now"], cur, style, title=message("overview.chart.bridge", lang))
    right.tick_params(axis="x", labelsize=8)
    fig.tight_layout()
    bridge_img = _inline_png(fig, "overview-chart", message("overview.chart.bridge", lang))
    glue(_glue_key(key), HTML(f'<div class="overview-charts">{trend_img}{bridge_img}</div>'), display=False)
