"""Retention, churn and growth-efficiency rates from the MRR bridge (metrics.md §4).

Notation per month M: ``opening`` = MRR at the end of M-1; ``new``, ``expansion``,
``reactivation``, ``contraction``, ``churn`` the movements of M (positive amounts);
the starting base = customers with MRR > 0 at the end of M-1. A ratio whose
denominator is 0 is undefined and returned as NaN, never as infinity.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from saas_kit.arr import arr_from_mrr
from saas_kit.calendar import months_from_numbers
from saas_kit.errors import ParameterError
from saas_kit.money import from_ticks, to_ticks
from saas_kit.mrr import ChangePoints
from saas_kit.mrr_steps import RetentionCells, retention_cells
from saas_kit.rows import customer_groups, points_from_rows, sorted_rows


def ratio(num, den):
    """``num / den`` elementwise as float64, NaN (never inf) where ``den == 0``."""
    num = np.asarray(num, dtype="float64")
    den = np.asarray(den, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den != 0, num / np.where(den != 0, den, 1.0), np.nan)


def nrr(opening, expansion, contraction, churn):
    """Monthly net revenue retention (seed 000):
    ``(opening + expansion - contraction - churn) / opening``; new and reactivated
    revenue are excluded. Seed 000's example: (10M + 1M - 0.3M - 0.5M) / 10M = 102%."""
    return ratio(np.asarray(opening, dtype="float64") + expansion - contraction - churn, opening)


def grr(opening, contraction, churn):
    """Monthly gross revenue retention (seed 000): ``(opening - contraction - churn) /
    opening``; expansion is left out, so GRR never exceeds 100%."""
    return ratio(np.asarray(opening, dtype="float64") - contraction - churn, opening)


def quick_ratio(new, reactivation, expansion, contraction, churn):
    """SaaS Quick Ratio (seed 002): ``(new + reactivation + expansion) / (contraction
    + churn)``. Seed 002 writes (new + expansion) / (downgrade + churn); reactivation
    counts as new business here, the same value when there is none. Undefined (NaN)
    when nothing was lost. Seed 002's cases: 6M / 1M = 6.0 and 8M / 3M = 2.67."""
    return ratio(np.asarray(new, dtype="float64") + reactivation + expansion,
                  np.asarray(contraction, dtype="float64") + churn)


def logo_churn_rate(churned_customers, opening_customers):
    """Logo (customer) churn (seed 004): customers churned in M / customers in the
    starting base. Seed 004: 50 of 1,000 customers = 5%."""
    return ratio(churned_customers, opening_customers)


def gross_revenue_churn_rate(opening, contraction, churn):
    """Gross revenue churn: ``(churn + contraction) / opening`` (metrics.md §4)."""
    return ratio(np.asarray(churn, dtype="float64") + contraction, opening)


def plain_revenue_churn_rate(opening, churn):
    """Seed 004's plain revenue churn: ``churn / opening`` (downgrades left out)."""
    return ratio(churn, opening)


def net_revenue_churn_rate(opening, expansion, contraction, churn):
    """Net revenue churn: ``(churn + contraction - expansion) / opening``; below zero is
    negative churn (seed 004: churn 50,000 and expansion 100,000 on 1,000,000 give -5%).
    Reactivation is not part of the starting base and is left out."""
    return ratio(np.asarray(churn, dtype="float64") + contraction - expansion, opening)


def monthly_rates(bridge: pd.DataFrame) -> pd.DataFrame:
    """Add the rates of metrics.md §4 to the bridge from :func:`mrr_movements`.

    New columns: ``nrr``, ``grr``, ``logo_churn``, ``revenue_churn`` (gross: churn +
    contraction), ``revenue_churn_plain`` (seed 004: churn only), ``net_revenue_churn``,
    ``quick_ratio`` (NaN when nothing was lost), ``arr`` (closing MRR × 12), ``new_arr``,
    ``expansion_arr``, ``reactivation_arr``, ``contraction_arr``, ``churn_arr``,
    ``net_new_arr`` (each movement × 12, seeds 001 and 002).
    """
    b = bridge.copy()
    o, e, c, ch = b["opening_mrr"], b["expansion"], b["contraction"], b["churn"]
    b["nrr"] = nrr(o, e, c, ch)
    b["grr"] = grr(o, c, ch)
    b["logo_churn"] = logo_churn_rate(b["churned_customers"], b["opening_customers"])
    b["revenue_churn"] = gross_revenue_churn_rate(o, c, ch)
    b["revenue_churn_plain"] = plain_revenue_churn_rate(o, ch)
    b["net_revenue_churn"] = net_revenue_churn_rate(o, e, c, ch)
    b["quick_ratio"] = quick_ratio(b["new"], b["reactivation"], e, c, ch)
    b["arr"] = arr_from_mrr(b["closing_mrr"])
    for name in ("new", "expansion", "reactivation", "contraction", "churn"):
        b[f"{name}_arr"] = arr_from_mrr(b[name])
    b["net_new_arr"] = arr_from_mrr(b["net_new_mrr"])
    return b


RETENTION_COLUMNS = ["month", "base_customers", "base_mrr", "retained_mrr", "retained_mrr_capped",
                     "retained_customers", "nrr_ttm", "grr_ttm", "logo_retention_ttm"]


def trailing_retention(customer_mrr: pd.DataFrame, months: int = 12, by: str | None = None) -> pd.DataFrame:
    """Trailing-twelve-month (cohort) NRR and GRR per month (seed 003; metrics.md §4).

    Base of month M = customers with MRR > 0 in M-``months``.
    ``nrr_ttm = Σ_base mrr(M) / Σ_base mrr(M-12)`` (customers who left count 0;
    customers who joined since are not in the base);
    ``grr_ttm = Σ_base min(mrr(M), mrr(M-12)) / Σ_base mrr(M-12)``.
    Returns ``month``, ``base_customers``, ``base_mrr``, ``retained_mrr``,
    ``retained_mrr_capped``, ``retained_customers``, ``nrr_ttm``, ``grr_ttm``,
    ``logo_retention_ttm``, one row per month that has a base (``by``: per group as
    well, first column). Computed from the points where the customers' MRR changes
    (:func:`retention_from_points`).
    """
    cm = customer_mrr[customer_mrr["mrr"] > 0]
    if cm.empty:
        return empty_retention(by)
    rows = sorted_rows(cm)
    groups, group_of_customer = customer_groups(cm, by, rows.uniques)
    return retention_from_points(points_from_rows(rows), months, groups, group_of_customer, by)


def empty_retention(by: str | None = None) -> pd.DataFrame:
    """The frame of :func:`trailing_retention` with no month."""
    return pd.DataFrame(columns=([by] if by else []) + RETENTION_COLUMNS)


def retention_from_points(points: ChangePoints | None, months: int = 12, groups: list | None = None,
                          group_of_customer: np.ndarray | None = None, by: str | None = None) -> pd.DataFrame:
    """:func:`trailing_retention` from the points of the customers' MRR
    (:func:`saas_kit.mrr_steps.retention_cells`); with ``by``, per group (``groups``: the
    group values, sorted; ``group_of_customer``: each customer code's index into them)."""
    groups = [None] if by is None else list(groups)
    cells = None if points is None else retention_cells(points, months, None if by is None else group_of_customer,
                                                        len(groups))
    return cells_retention(cells, groups, by)


def retentions_from_points(points: ChangePoints | None, months: int,
                           groupings: dict[str, tuple[list, np.ndarray]]) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """The whole twelve-month retention and that per group of each grouping (column -> its
    sorted groups and each customer code's group), the frames :func:`retention_from_points`
    returns; the whole is summed from the first grouping's cells (exact int64 sums)."""
    whole, by_column = None, {}
    for column, (groups, group_of_customer) in groupings.items():
        cells = None if points is None else retention_cells(points, months, group_of_customer, len(groups))
        by_column[column] = cells_retention(cells, list(groups), column)
        if whole is None:
            whole = cells_retention(None if cells is None else cells.whole(len(groups)), [None], None)
    if whole is None:
        whole = retention_from_points(points, months)
    return whole, by_column


def cells_retention(cells: RetentionCells | None, groups: list, by: str | None) -> pd.DataFrame:
    """The frame of :func:`trailing_retention` from per-(group, month) cells: the
    (group, month) cells with a base, group-major."""
    if cells is None:
        return empty_retention(by)
    n_months = cells.hi - cells.lo + 1
    present = cells.base_customers > 0
    out = pd.DataFrame()
    if by is not None:
        out[by] = np.repeat(np.asarray(groups, dtype=object), n_months)[present]
    out["month"] = months_from_numbers(np.tile(np.arange(cells.lo, cells.hi + 1), len(groups))[present])
    out["base_customers"] = cells.base_customers[present]
    out["base_mrr"] = from_ticks(cells.base[present])
    out["retained_mrr"] = from_ticks(cells.cur[present])
    out["retained_mrr_capped"] = from_ticks(cells.capped[present])
    out["retained_customers"] = cells.kept[present]
    out["nrr_ttm"] = ratio(cells.cur[present], cells.base[present])
    out["grr_ttm"] = ratio(cells.capped[present], cells.base[present])
    out["logo_retention_ttm"] = ratio(cells.kept[present], cells.base_customers[present])
    return out.reset_index(drop=True)


def segment_rates(bridge_by_segment: pd.DataFrame, by: str, month: pd.Period | str | None = None,
                  window: int = 12) -> pd.DataFrame:
    """NRR, GRR, logo and revenue churn per segment from a bridge computed with
    ``mrr_movements(..., by=segment)``. With ``window`` > 1 the monthly flows are pooled
    over the last ``window`` months up to ``month`` (sum of movements over sum of
    openings: an average monthly rate weighted by opening MRR), which is steadier for
    small segments than a single month."""
    b = bridge_by_segment
    if month is None:
        month = b["month"].max()
    month = pd.Period(month, freq="M")
    sel = b[(b["month"] <= month) & (b["month"] > month - window)]
    sums = sel.groupby(by, sort=True)[
        ["opening_mrr", "expansion", "contraction", "churn", "new", "reactivation",
         "opening_customers", "churned_customers"]
    ].sum()
    closing = b[b["month"] == month].set_index(by)["closing_mrr"]
    customers = b[b["month"] == month].set_index(by)["customers"]
    out = pd.DataFrame(index=sums.index)
    out["customers"] = customers.reindex(sums.index).fillna(0).astype("int64")
    out["mrr"] = closing.reindex(sums.index).fillna(0.0)
    o, e, c, ch = sums["opening_mrr"], sums["expansion"], sums["contraction"], sums["churn"]
    out["nrr"] = nrr(o, e, c, ch)
    out["grr"] = grr(o, c, ch)
    out["logo_churn"] = logo_churn_rate(sums["churned_customers"], sums["opening_customers"])
    out["revenue_churn"] = gross_revenue_churn_rate(o, c, ch)
    out["net_revenue_churn"] = net_revenue_churn_rate(o, e, c, ch)
    out["quick_ratio"] = quick_ratio(sums["new"], sums["reactivation"], e, c, ch)
    return out.reset_index()


def new_arr_mix(bridge: pd.DataFrame, window: int = 12) -> pd.Series:
    """New ARR share of gross new ARR over a trailing window (seed 002; metrics.md §4):
    ``Σ new / (Σ new + Σ expansion)`` over the last ``window`` months, per month
    (NaN until a full window exists or when both are 0). Reactivation is shown apart."""
    new = bridge["new"].rolling(window, min_periods=window).sum()
    exp = bridge["expansion"].rolling(window, min_periods=window).sum()
    return pd.Series(ratio(new, new + exp), index=bridge.index, name="new_arr_share")


def arr_per_employee(arr, employees):
    """ARR per employee (APE, seed 002) = ARR / employees; NaN when headcount is 0."""
    return ratio(arr, employees)


def net_new(new, expansion, contraction, churn, reactivation=0.0):
    """Net new recurring revenue (seeds 002 and 004; metrics.md §3):
    ``new + reactivation + expansion - contraction - churn``. Works on MRR or ARR
    amounts alike (numbers, arrays or Series). Seed 002: New ARR 12M + expansion 3M
    - churn 2M - downgrade 1M = Net New ARR 12M; its two cases 6M - 1M and 8M - 3M
    both give +5M."""
    return new + reactivation + expansion - contraction - churn


_FLOWS = ("new", "expansion", "reactivation", "contraction", "churn")


def trailing_flows(bridge: pd.DataFrame, window: int = 12) -> pd.DataFrame:
    """The movements of the bridge summed over the trailing ``window`` months, per month.

    For every month M of ``bridge`` (from :func:`mrr_movements`, no ``by``): ``new``,
    ``expansion``, ``reactivation``, ``contraction``, ``churn`` summed over months
    M-window+1..M (exact, in ticks), ``gains = new + reactivation + expansion``,
    ``losses = contraction + churn``, ``net_new_mrr = gains - losses`` and the pooled
    SaaS Quick Ratio ``quick_ratio = gains / losses`` over the window (seed 002;
    metrics.md §4: sum of gains over sum of losses, steadier than one month; NaN when
    nothing was lost). Months are matched by calendar; a month without a full window
    (or with a month missing inside it) gets NaN everywhere.
    """
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise ParameterError(f"window must be a whole number of months >= 1, got {window!r}")
    months = pd.PeriodIndex(bridge["month"], freq="M")
    ticks = pd.DataFrame({name: to_ticks(bridge[name]) for name in _FLOWS}, index=months).sort_index()
    full = pd.period_range(ticks.index.min(), ticks.index.max(), freq="M") if len(ticks) else ticks.index
    present = pd.Series(1, index=ticks.index).reindex(full, fill_value=0)
    complete = present.rolling(window, min_periods=window).sum() == window
    sums = ticks.reindex(full, fill_value=0).rolling(window, min_periods=window).sum()
    out = pd.DataFrame({"month": full})
    for name in _FLOWS:
        values = from_ticks(sums[name].fillna(0).to_numpy(dtype="int64"))
        out[name] = np.where(complete.to_numpy(), values, np.nan)
    out["gains"] = out["new"] + out["reactivation"] + out["expansion"]
    out["losses"] = out["contraction"] + out["churn"]
    out["net_new_mrr"] = out["gains"] - out["losses"]
    out["quick_ratio"] = ratio(out["gains"], out["losses"])
    return out[out["month"].isin(months)].reset_index(drop=True)


def net_new_drivers(bridge: pd.DataFrame, month: pd.Period | str, lag: int = 12, window: int = 1) -> pd.DataFrame:
    """What moved Net New MRR between ``month - lag`` and ``month`` (seed 002's
    decomposition of net growth into gains and losses).

    Each movement is summed over ``window`` months ending at each of the two months
    (``window=1``: the two single months). One row per movement (new, expansion,
    reactivation, contraction, churn) with ``earlier``, ``now``, ``change = now -
    earlier`` and ``effect = ±change``, its effect on Net New MRR (``+`` for gains,
    ``-`` for losses: more churn lowers net new), so ``Σ effect`` is the change in
    Net New MRR. Rows are NaN when either window is not fully in the data.
    """
    month = pd.Period(month, freq="M")
    flows = trailing_flows(bridge, window).set_index("month")
    now = flows.reindex([month])[list(_FLOWS)].iloc[0]
    before = flows.reindex([month - lag])[list(_FLOWS)].iloc[0]
    sign = pd.Series([_SIGNS[n] for n in _FLOWS], index=list(_FLOWS), dtype="float64")
    out = pd.DataFrame({"movement": list(_FLOWS), "earlier": before.to_numpy(dtype="float64"),
                        "now": now.to_numpy(dtype="float64")})
    out["change"] = out["now"] - out["earlier"]
    out["effect"] = out["change"] * sign.to_numpy()
    return out


_SIGNS = {"new": 1.0, "expansion": 1.0, "reactivation": 1.0, "contraction": -1.0, "churn": -1.0}
