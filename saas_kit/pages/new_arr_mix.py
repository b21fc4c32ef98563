"""Facts of the New ARR mix chapter (notebooks/03_new_arr_mix.ipynb): New, Expansion,
Contraction and Churn ARR, Net New ARR, the SaaS Quick Ratio, the new-customer share,
ARR per employee and who moved Net New ARR against a year ago (metrics.md §4, seed 002)."""
from __future__ import annotations

import math

import pandas as pd

from saas_kit import rates
from saas_kit.arr import arr_from_mrr
from saas_kit.bands import (applies_text, band_label, bands_for, bands_table, place_in_band, position_in_band,
                            range_text, verdict_text)
from saas_kit.i18n import DEFAULT_LANG, message
from saas_kit.pages.base import MonthBasis, Page

KPI_KEYS = ["net_new_arr", "quick_ratio"]
#: The ARR movements in table order (their names: messages ``movement.<name>``).
MOVEMENTS = ("new", "expansion", "reactivation", "contraction", "churn")
GAINS = ("new", "expansion", "reactivation")
LOSSES = ("contraction", "churn")
#: Seed 002's two cases: same Net New ARR, different quality.
SEED_002_CASES = pd.DataFrame({"case": [1, 2], "new": [6_000_000, 8_000_000],
                               "churn": [1_000_000, 3_000_000]})


def share_reading(position: str | None, lang: str = DEFAULT_LANG) -> str:
    """What the new-customer share's position in seed 002's band means."""
    if position in ("above", "below", "within"):
        return message(f"mix.reading.{position}", lang)
    return message("mix.reading.unknown", lang)


def who_moved(drivers: pd.DataFrame, drivers_ttm: pd.DataFrame, fmt) -> dict[str, str]:
    """Who moved Net New ARR against a year ago (``rates.net_new_drivers`` in ARR): the
    total change, gains and losses, the largest single driver and which side it is on."""
    gains = drivers[drivers["movement"].isin(GAINS)]["effect"].sum(min_count=1)
    losses = drivers[drivers["movement"].isin(LOSSES)]["effect"].sum(min_count=1)
    out = {"nna_next_change": fmt.signed_money(drivers["effect"].sum(min_count=1)),
           "nna_next_gains": fmt.signed_money(gains), "nna_next_losses": fmt.signed_money(losses)}
    if drivers["effect"].notna().all():
        top = drivers.loc[drivers["effect"].abs().idxmax()]
        out["nna_next_driver"] = fmt.msg("mix.driver", movement=fmt.msg(f"mix.driver_movement.{top['movement']}"),
                                         change=fmt.signed_money(top["change"]))
        out["nna_next_side"] = fmt.msg("mix.side.gains" if abs(gains) >= abs(losses) else "mix.side.losses")
    else:
        out["nna_next_driver"] = fmt.msg("mix.driver_unknown")
        out["nna_next_side"] = fmt.msg("na")
    out["nna_next_gains_ttm"] = fmt.signed_money(drivers_ttm[drivers_ttm["movement"].isin(GAINS)]["effect"].sum(min_count=1))
    out["nna_next_losses_ttm"] = fmt.signed_money(drivers_ttm[drivers_ttm["movement"].isin(LOSSES)]["effect"].sum(min_count=1))
    return out


#: Gains count plus, losses minus, in every table of the page.
_SIGN = {"new": 1, "expansion": 1, "reactivation": 1, "contraction": -1, "churn": -1}


def employees_in(company: pd.DataFrame | None, month: pd.Period) -> float:
    """The company file's headcount for ``month``; NaN when unknown."""
    if company is None or "employees" not in company.columns:
        return float("nan")
    match = company.loc[pd.PeriodIndex(company["month"], freq="M") == month, "employees"]
    return float(match.iloc[0]) if len(match) else float("nan")


#: metrics.md §5 examples 5 (seed 002: one month's bridge), 10 and 12 (seed 004).
SEED_002_BRIDGE = {"opening": 10_000_000, "new": 1_000_000, "expansion": 200_000, "contraction": 100_000,
                   "churn": 200_000}
SEED_004_NET_NEW = {"new": 100_000, "expansion": 50_000, "contraction": 25_000, "churn": 40_000}
SEED_004_NEGATIVE_CHURN = {"opening": 1_000_000, "expansion": 100_000, "churn": 50_000}


def new_arr_mix_page(basis: MonthBasis, trend_months: int = 24, window: int = 12) -> Page:
    """Every figure of the New ARR mix chapter."""
    fmt, month = basis.fmt, basis.month
    page = Page("03_new_arr_mix", fmt, month)
    msg = fmt.msg
    t = page.texts
    t.update(basis.common_texts())

    ex_net = rates.net_new(12_000_000, 3_000_000, 1_000_000, 2_000_000)
    ex_new_arr, ex_churn_arr = arr_from_mrr(1_000_000), arr_from_mrr(500_000)
    t["nna_example_net_new"] = fmt.money(ex_net)
    t["nna_example_new_arr"] = fmt.money(ex_new_arr)
    t["nna_example_churn_arr"] = fmt.money(ex_churn_arr)
    ex5 = SEED_002_BRIDGE
    ex5_mrr = ex5["opening"] + rates.net_new(ex5["new"], ex5["expansion"], ex5["contraction"], ex5["churn"])
    ex10 = SEED_004_NET_NEW
    ex10_net = rates.net_new(ex10["new"], ex10["expansion"], ex10["contraction"], ex10["churn"])
    ex12 = SEED_004_NEGATIVE_CHURN
    ex12_rate = float(rates.net_revenue_churn_rate(ex12["opening"], ex12["expansion"], 0, ex12["churn"]))
    t["nna_example_mrr"] = fmt.money(ex5_mrr)
    t["nna_example_arr"] = fmt.money(arr_from_mrr(ex5_mrr))
    t["nna_example_net_new_mrr"] = fmt.yen(ex10_net)
    t["nna_example_negative_churn"] = fmt.pct(ex12_rate, signed=True)
    page.tables["example"] = pd.DataFrame({
        msg("mix.example.col.example"): [msg(f"mix.example.{k}") for k in
                                         ("net_new", "new_arr", "churn_arr", "bridge", "net_new_mrr", "negative_churn")],
        msg("mix.example.col.result"): [
            fmt.money(ex_net), fmt.money(ex_new_arr), fmt.money(ex_churn_arr),
            msg("mix.example.mrr_arr", mrr=fmt.money(ex5_mrr), arr=fmt.money(arr_from_mrr(ex5_mrr))), fmt.yen(ex10_net),
            msg("mix.example.negative_churn_cell", rate=fmt.pct(ex12_rate, signed=True))],
    })

    cases = SEED_002_CASES.copy()
    cases["case"] = [msg("mix.case", number=n) for n in cases["case"]]
    cases["net_new"] = rates.net_new(cases["new"], 0, 0, cases["churn"])
    cases["quick_ratio"] = rates.quick_ratio(cases["new"], 0, 0, 0, cases["churn"])
    verdicts = [verdict_text(place_in_band("quick_ratio", v).verdict, fmt.lang) for v in cases["quick_ratio"]]
    for i, row in cases.iterrows():
        t[f"nna_case{i + 1}_net"] = fmt.money(row["net_new"])
        t[f"nna_case{i + 1}_qr"] = fmt.ratio(row["quick_ratio"])
        t[f"nna_case{i + 1}_band"] = verdicts[i]
    page.tables["cases"] = pd.DataFrame({
        "": cases["case"], msg("mix.cases.col.new"): [fmt.money(v) for v in cases["new"]],
        msg("mix.cases.col.churn"): [fmt.money(-v) for v in cases["churn"]],
        msg("mix.cases.col.net_new"): [fmt.money(v) for v in cases["net_new"]],
        msg("mix.cases.col.quick_ratio"): [fmt.ratio(v) for v in cases["quick_ratio"]],
        msg("mix.cases.col.band"): verdicts,
    }).set_index("")
    page.data["cases"] = cases

    bridge = basis.bridge.copy()
    bridge["new_arr_share"] = rates.new_arr_mix(bridge, window)
    flows = rates.trailing_flows(bridge, window).set_index("month")
    now = bridge.set_index("month").loc[month]
    flows_now = flows.loc[month]
    t.update(basis.kpi_texts(KPI_KEYS))
    qr_ttm = float(flows_now["quick_ratio"])
    qr_ttm_band = place_in_band("quick_ratio", qr_ttm)
    t["nna_window"] = str(window)
    t["nna_arr"] = fmt.money(now["arr"])
    t["nna_gains"] = fmt.money(arr_from_mrr(now["new"] + now["expansion"] + now["reactivation"]))
    t["nna_losses"] = fmt.money(arr_from_mrr(now["contraction"] + now["churn"]))
    t["nna_new_arr"] = fmt.money(now["new_arr"])
    t["nna_expansion_arr"] = fmt.money(now["expansion_arr"])
    t["nna_churn_arr"] = fmt.money(now["churn_arr"])
    t["nna_net_new_ttm"] = fmt.money(arr_from_mrr(flows_now["net_new_mrr"]))
    t["nna_qr_ttm"] = fmt.ratio(qr_ttm)
    t["nna_qr_ttm_band"] = (msg("mix.verdict_band", verdict=verdict_text(qr_ttm_band.verdict, fmt.lang),
                                band=band_label(qr_ttm_band, fmt.lang)) if qr_ttm_band else msg("na"))

    table = basis.kpis.set_index("key").loc[KPI_KEYS]
    signs = [1, 1, 1, -1, -1]  # losses shown as negative amounts in every table of the page
    by_month = bridge.set_index("month")
    year_ago = by_month.loc[month - 12] if (month - 12) in by_month.index else None
    na = msg("na")
    page.tables["movements"] = pd.DataFrame({
        msg("mix.col.movement"): [msg(f"movement.{m}") for m in MOVEMENTS]
                                 + [msg("mix.net_new_arr"), msg("mix.quick_ratio")],
        basis.month_label: [fmt.money(s * arr_from_mrr(now[c])) for s, c in zip(signs, MOVEMENTS)]
                           + [fmt.money(now["net_new_arr"]), fmt.ratio(now["quick_ratio"])],
        msg("mix.col.last_months", window=window): [fmt.money(s * arr_from_mrr(flows_now[c]))
                                                    for s, c in zip(signs, MOVEMENTS)]
                                 + [fmt.money(arr_from_mrr(flows_now["net_new_mrr"])), fmt.ratio(qr_ttm)],
        msg("mix.col.year_ago"): [fmt.money(s * arr_from_mrr(year_ago[c])) if year_ago is not None else na
                                  for s, c in zip(signs, MOVEMENTS)]
                                 + ([fmt.money(year_ago["net_new_arr"]), fmt.ratio(year_ago["quick_ratio"])]
                                    if year_ago is not None else [na, na]),
        msg("mix.col.change"): [fmt.signed_money(s * arr_from_mrr(now[c] - year_ago[c])) if year_ago is not None
                                 else na for s, c in zip(signs, MOVEMENTS)]
                                + [table.loc["net_new_arr", "yoy_text"], table.loc["quick_ratio", "yoy_text"]],
    })
    recent = bridge[bridge["month"] > month - trend_months].reset_index(drop=True)
    page.data.update(recent=recent, recent_flows=flows.reindex(recent["month"]), window=window)

    share = float(now["new_arr_share"])
    stage_bands = bands_for("new_arr_share", arr=now["arr"])
    stage_band = stage_bands[0] if stage_bands else None
    position = position_in_band(stage_band, share) if stage_band else None
    t["nna_share"] = fmt.pct(share)
    t["nna_expansion_share"] = fmt.pct(1 - share) if not math.isnan(share) else na
    t["nna_stage_band"] = (msg("mix.stage_band", range=range_text(stage_band, fmt.lang),
                               applies=applies_text(stage_band, fmt.lang)) if stage_band else na)
    t["nna_share_position"] = msg(f"mix.position.{position if position in ('within', 'above', 'below') else 'none'}")
    t["nna_share_reading"] = share_reading(position, fmt.lang)
    page.data["stage_band"] = stage_band
    page.data["stage_band_text"] = applies_text(stage_band, fmt.lang) if stage_band else ""

    employees = employees_in(basis.facts.data.company, month)
    ape = float(rates.arr_per_employee(now["arr"], employees))
    # the ARR-per-employee guide values are in yen (metrics.md §8): no band for other currencies
    ape_band = place_in_band("arr_per_employee", ape) if basis.currency == "JPY" else None
    t["nna_employees"] = na if math.isnan(employees) else f"{int(employees):,}"
    t["nna_ape"] = fmt.money(ape)
    t["nna_ape_band"] = (msg("mix.verdict_band", verdict=verdict_text(ape_band.verdict, fmt.lang),
                             band=band_label(ape_band, fmt.lang)) if ape_band else
                         msg("overview.band.no_currency") if basis.currency != "JPY" else
                         msg("mix.ape.no_headcount"))

    bands = pd.concat([bands_table(m, fmt.lang) for m in ("quick_ratio", "new_arr_share", "arr_per_employee")],
                      ignore_index=True)
    page.tables["bands"] = pd.DataFrame({
        msg("table.metric"): bands["metric_name"], msg("band.col.band"): bands["band"],
        msg("band.col.range"): bands["range"],
        msg("band.col.applies_to"): bands["applies_to"].replace("", msg("band.applies.all")),
        msg("band.col.verdict"): bands["verdict"], msg("band.col.source"): bands["source"],
        msg("band.col.caveat"): bands["caveat"],
    }).set_index(msg("table.metric"))

    drivers = rates.net_new_drivers(bridge, month, lag=12, window=1)
    drivers_ttm = rates.net_new_drivers(bridge, month, lag=12, window=window)
    for frame in (drivers, drivers_ttm):
        for col in ("earlier", "now", "change", "effect"):
            frame[col] = arr_from_mrr(frame[col])
    t.update(who_moved(drivers, drivers_ttm, fmt))
    page.tables["drivers"] = pd.DataFrame({
        msg("mix.col.movement"): [msg(f"movement.{m}") for m in drivers["movement"]],
        msg("mix.col.year_ago"): [fmt.money(_SIGN[m] * v) for m, v in zip(drivers["movement"], drivers["earlier"])],
        basis.month_label: [fmt.money(_SIGN[m] * v) for m, v in zip(drivers["movement"], drivers["now"])],
        msg("mix.col.effect"): [fmt.signed_money(v) for v in drivers["effect"]],
        msg("mix.col.effect_window", window=window): [fmt.signed_money(v) for v in drivers_ttm["effect"]],
    })
    return page
