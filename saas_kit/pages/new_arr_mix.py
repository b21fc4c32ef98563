"""Facts of the New ARR mix chapter (notebooks/03_new_arr_mix.ipynb): New, Expansion,
Contraction and Churn ARR, Net New ARR, the SaaS Quick Ratio, the new-customer share,
ARR per employee and who moved Net New ARR against a year ago (metrics.md §4, seed 002)."""
from __future__ import annotations

import math

import pandas as pd

from saas_kit import rates
from saas_kit.arr import arr_from_mrr
from saas_kit.bands import applies_text, bands_for, bands_table, place_in_band, position_in_band, range_text

from saas_kit.i18n import message
from saas_kit.pages.base import MonthBasis, Page

KPI_KEYS = ["net_new_arr", "quick_ratio"]
MOVEMENT_NAMES = {"new": "New", "expansion": "Expansion", "reactivation": "Reactivation",
                  "contraction": "Contraction", "churn": "Churn"}
GAINS = ("new", "expansion", "reactivation")
LOSSES = ("contraction", "churn")
#: Seed 002's two cases: same Net New ARR, different quality.
SEED_002_CASES = pd.DataFrame({"case": ["Case 1", "Case 2"], "new": [6_000_000, 8_000_000],
                               "churn": [1_000_000, 3_000_000]})


def share_reading(position: str | None) -> str:
    """What the new-customer share's position in seed 002's band means."""
    if position == "above":
        return ("Growth leans on new customers more than is typical for a company this size; the installed base "
                "is not yet pulling its weight through upgrades.")
    if position == "below":
        return "Existing customers already carry more of the growth than is typical for a company this size."
    if position == "within":
        return "The mix is what seed 002 describes for a company this size."
    return "There is not yet a full window of data to judge the mix."


def who_moved(drivers: pd.DataFrame, drivers_ttm: pd.DataFrame, fmt) -> dict[str, str]:
    """Who moved Net New ARR against a year ago (``rates.net_new_drivers`` in ARR): the
    total change, gains and losses, the largest single driver and which side it is on."""
    gains = drivers[drivers["movement"].isin(GAINS)]["effect"].sum(min_count=1)
    losses = drivers[drivers["movement"].isin(LOSSES)]["effect"].sum(min_count=1)
    out = {"nna_next_change": fmt.signed_money(drivers["effect"].sum(min_count=1)),
           "nna_next_gains": fmt.signed_money(gains), "nna_next_losses": fmt.signed_money(losses)}
    if drivers["effect"].notna().all():
        top = drivers.loc[drivers["effect"].abs().idxmax()]
        out["nna_next_driver"] = f"{top['movement']} ARR ({fmt.signed_money(top['change'])} against a year ago)"
        out["nna_next_side"] = ("gains (more ARR won)" if abs(gains) >= abs(losses)
                                else "losses (a change in ARR lost)")
    else:
        out["nna_next_driver"] = "n/a (less than a year of data)"
        out["nna_next_side"] = "n/a"
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
    fmt, month, ds = basis.fmt, basis.month, basis.dataset
    page = Page("03_new_arr_mix", fmt, month)
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
        "Example": ["Net New ARR = New 12M + expansion 3M - churn 2M - downgrade 1M (seed 002)",
                    "New ARR from New MRR of 1M (seed 002)", "Churn ARR from churned MRR of 500K (seed 002)",
                    "MRR 10M + new 1M + expansion 0.2M - downgrade 0.1M - churn 0.2M (seed 002): MRR, ARR",
                    "Net New MRR = new 100K + expansion 50K - contraction 25K - churn 40K (seed 004)",
                    "Revenue churn = (churn 50K - expansion 100K) / opening 1M (seed 004)"],
        "Result (JPY)": [fmt.money(ex_net), fmt.money(ex_new_arr), fmt.money(ex_churn_arr),
                         f"{fmt.money(ex5_mrr)}, ARR {fmt.money(arr_from_mrr(ex5_mrr))}", fmt.yen(ex10_net),
                         f"{fmt.pct(ex12_rate, signed=True)} (negative churn)"],
    })

    cases = SEED_002_CASES.copy()
    cases["net_new"] = rates.net_new(cases["new"], 0, 0, cases["churn"])
    cases["quick_ratio"] = rates.quick_ratio(cases["new"], 0, 0, 0, cases["churn"])
    verdicts = [place_in_band("quick_ratio", v).verdict for v in cases["quick_ratio"]]
    for i, row in cases.iterrows():
        t[f"nna_case{i + 1}_net"] = fmt.money(row["net_new"])
        t[f"nna_case{i + 1}_qr"] = fmt.ratio(row["quick_ratio"])
        t[f"nna_case{i + 1}_band"] = verdicts[i]
    page.tables["cases"] = pd.DataFrame({
        "": cases["case"], "New ARR (JPY)": [fmt.money(v) for v in cases["new"]],
        "Churn ARR (JPY)": [fmt.money(-v) for v in cases["churn"]],
        "Net New ARR (JPY)": [fmt.money(v) for v in cases["net_new"]],
        "Quick Ratio": [fmt.ratio(v) for v in cases["quick_ratio"]],
        "Band (seed 002)": verdicts,
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
    t["nna_qr_ttm_band"] = f"{qr_ttm_band.verdict} ({qr_ttm_band.label})" if qr_ttm_band else "n/a"

    table = basis.kpis.set_index("key").loc[KPI_KEYS]
    signs = [1, 1, 1, -1, -1]  # losses shown as negative amounts in every table of the page
    by_month = bridge.set_index("month")
    year_ago = by_month.loc[month - 12] if (month - 12) in by_month.index else None
    na = "n/a"
    page.tables["movements"] = pd.DataFrame({
        "ARR movement": list(MOVEMENT_NAMES.values()) + ["Net New ARR", "SaaS Quick Ratio"],
        basis.month_label: [fmt.money(s * arr_from_mrr(now[c])) for s, c in zip(signs, MOVEMENT_NAMES)]
                           + [fmt.money(now["net_new_arr"]), fmt.ratio(now["quick_ratio"])],
        f"Last {window} months": [fmt.money(s * arr_from_mrr(flows_now[c])) for s, c in zip(signs, MOVEMENT_NAMES)]
                                 + [fmt.money(arr_from_mrr(flows_now["net_new_mrr"])), fmt.ratio(qr_ttm)],
        "Same month a year ago": [fmt.money(s * arr_from_mrr(year_ago[c])) if year_ago is not None else na
                                  for s, c in zip(signs, MOVEMENT_NAMES)]
                                 + ([fmt.money(year_ago["net_new_arr"]), fmt.ratio(year_ago["quick_ratio"])]
                                    if year_ago is not None else [na, na]),
        "Change on a year ago": [fmt.signed_money(s * arr_from_mrr(now[c] - year_ago[c])) if year_ago is not None
                                 else na for s, c in zip(signs, MOVEMENT_NAMES)]
                                + [table.loc["net_new_arr", "yoy_text"], table.loc["quick_ratio", "yoy_text"]],
    })
    recent = bridge[bridge["month"] > month - trend_months].reset_index(drop=True)
    page.data.update(recent=recent, recent_flows=flows.reindex(recent["month"]), window=window)

    share = float(now["new_arr_share"])
    stage_bands = bands_for("new_arr_share", arr=now["arr"])
    stage_band = stage_bands[0] if stage_bands else None
    position = position_in_band(stage_band, share) if stage_band else None
    t["nna_share"] = fmt.pct(share)
    t["nna_expansion_share"] = fmt.pct(1 - share) if not math.isnan(share) else "n/a"
    t["nna_stage_band"] = (f"{range_text(stage_band)} for companies with "
                           f"{applies_text(stage_band)}" if stage_band else "n/a")
    t["nna_share_position"] = {"within": "within", "above": "above", "below": "below"}.get(position,
                                                                                        "not comparable with")
    t["nna_share_reading"] = share_reading(position)
    page.data["stage_band"] = stage_band
    page.data["stage_band_text"] = applies_text(stage_band) if stage_band else ""

    employees = employees_in(ds.company, month)
    ape = float(rates.arr_per_employee(now["arr"], employees))
    # the ARR-per-employee guide values are in yen (metrics.md §8): no band for other currencies
    ape_band = place_in_band("arr_per_employee", ape) if basis.currency == "JPY" else None
    t["nna_employees"] = "n/a" if math.isnan(employees) else f"{int(employees):,}"
    t["nna_ape"] = fmt.money(ape)
    t["nna_ape_band"] = (f"{ape_band.verdict} ({ape_band.label})" if ape_band else
                         message("overview.band.no_currency", basis.style) if basis.currency != "JPY" else
                         "not available (no headcount for this month in company.csv)")

    bands = pd.concat([bands_table(m) for m in ("quick_ratio", "new_arr_share", "arr_per_employee")],
                      ignore_index=True)
    page.tables["bands"] = pd.DataFrame({
        "Metric": bands["metric_name"], "Band": bands["band"], "Range": bands["range"],
        "Applies to": bands["applies_to"].replace("", "all"), "Verdict": bands["verdict"],
        "Source": bands["source"], "Caveat": bands["caveat"],
    }).set_index("Metric")

    drivers = rates.net_new_drivers(bridge, month, lag=12, window=1)
    drivers_ttm = rates.net_new_drivers(bridge, month, lag=12, window=window)
    for frame in (drivers, drivers_ttm):
        for col in ("earlier", "now", "change", "effect"):
            frame[col] = arr_from_mrr(frame[col])
    t.update(who_moved(drivers, drivers_ttm, fmt))
    page.tables["drivers"] = pd.DataFrame({
        "ARR movement": [MOVEMENT_NAMES[m] for m in drivers["movement"]],
        "Same month a year ago": [fmt.money(_SIGN[m] * v) for m, v in zip(drivers["movement"], drivers["earlier"])],
        basis.month_label: [fmt.money(_SIGN[m] * v) for m, v in zip(drivers["movement"], drivers["now"])],
        "Effect on Net New ARR (+ raised it)": [fmt.signed_money(v) for v in drivers["effect"]],
        f"Effect, last {window} months vs the {window} before": [fmt.signed_money(v) for v in drivers_ttm["effect"]],
    })
    return page
