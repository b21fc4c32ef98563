"""Chart primitives shared by the report notebooks: one look, labelled units, money
formatted in the report's number style. Every function draws on a given Axes and
returns it; nothing here computes a metric."""
from __future__ import annotations

import logging

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from saas_kit.formatting import format_money

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
