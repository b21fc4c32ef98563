"""The five canonical frames of metrics.md §1 built from the simulation."""
from __future__ import annotations

import numpy as np
import pandas as pd

from saas_kit.generate.model import (
    EVENT_NAMES, INDUSTRIES, PERIODS, PERIOD_MONTHS, PLANS, SEGMENTS, SimulationCalendar, NAME_PART_A, NAME_PART_B, NAME_PART_C, numbered_ids,
    month_day_to_date)
from saas_kit.generate.simulate import choose_rows


def _width(n: int, minimum: int) -> int:
    return max(minimum, len(str(max(n, 1))))


def _customer_ids(n: int) -> np.ndarray:
    return numbered_ids("C", np.arange(1, n + 1), _width(n, 6))


def subscriptions_frame(r: dict, c: dict) -> pd.DataFrame:
    order = np.lexsort((r["slot"], r["start"], r["idx"]))
    r = {k: v[order] for k, v in r.items()}
    n_rows = len(r["idx"])
    day = c["day"][r["idx"]]
    start = month_day_to_date(r["start"], day)
    end = month_day_to_date(np.where(r["end"] < 0, 0, r["end"]), day).astype("datetime64[ns]")
    end[r["end"] < 0] = np.datetime64("NaT")
    amount = (r["mrr"] * PERIOD_MONTHS[r["period"]]).astype(np.float64)
    cust_ids = _customer_ids(c["n"])
    return pd.DataFrame(
        {
            "customer_id": pd.array(cust_ids[r["idx"]], dtype="str"),
            "subscription_id": pd.array(numbered_ids("S", np.arange(1, n_rows + 1), _width(n_rows, 7)), dtype="str"),
            "start_date": start.astype("datetime64[ns]"),
            "end_date": end,
            "amount": amount,
            "billing_period": pd.array(np.array(PERIODS)[r["period"]], dtype="str"),
            "plan": pd.array(np.array(PLANS)[r["plan"]], dtype="str"),
            "currency": pd.array(np.full(n_rows, "JPY"), dtype="str"),
        }
    )


def _signup_dates(c: dict) -> np.ndarray:
    start = month_day_to_date(c["start"], c["day"])
    return start - c["trial_days"].astype("timedelta64[D]")


def customers_frame(rng: np.random.Generator, c: dict) -> pd.DataFrame:
    n = c["n"]
    n_combo = len(NAME_PART_A) * len(NAME_PART_B) * len(NAME_PART_C)
    combo = rng.choice(n_combo, size=n, replace=n > n_combo)
    a, rest = np.divmod(combo, len(NAME_PART_B) * len(NAME_PART_C))
    b, s = np.divmod(rest, len(NAME_PART_C))
    names = np.strings.add(
        np.strings.add(np.strings.add(np.array(NAME_PART_A)[a], " "), np.array(NAME_PART_B)[b]),
        np.strings.add(" ", np.array(NAME_PART_C)[s]),
    )
    industry_p = np.array([0.18, 0.12, 0.16, 0.13, 0.08, 0.08, 0.08, 0.07, 0.05, 0.05])
    industry = rng.choice(len(INDUSTRIES), size=n, p=industry_p / industry_p.sum())
    return pd.DataFrame(
        {
            "customer_id": pd.array(_customer_ids(n), dtype="str"),
            "name": pd.array(names, dtype="str"),
            "segment": pd.array(np.array(SEGMENTS)[c["segment"]], dtype="str"),
            "signup_date": _signup_dates(c).astype("datetime64[ns]"),
            "industry": pd.array(np.array(INDUSTRIES)[industry], dtype="str"),
        }
    )


def charges_frame(rng: np.random.Generator, c: dict, sim: dict, cal: SimulationCalendar) -> pd.DataFrame:
    """Setup fees at the first paid day of window signups on Business/Enterprise, consulting
    and training for larger accounts while they pay. One-off: never MRR (seed 001)."""
    n = c["n"]
    new = np.flatnonzero(c["plan"] >= 1)
    fee = np.array([0, 100_000, 500_000])[c["plan"][new]]
    parts_idx = [new]
    parts_month = [c["start"][new]]
    parts_amount = [fee]
    parts_kind = [np.zeros(len(new), dtype=np.int8)]
    # Consulting / training: per customer a Poisson number of projects, at random months of
    # the customer's first two years inside the window (only while still paying).
    lam = np.array([0.05, 0.4, 1.5])[c["segment"]]
    k = rng.poisson(lam)
    idx = np.repeat(np.arange(n), k)
    lo = np.maximum(c["start"][idx], cal.window_start)
    month = lo + rng.integers(0, 24, size=len(idx))
    alive = (month <= cal.window_end) & (month < sim["first_churn"][idx])
    idx, month = idx[alive], month[alive]
    kind = np.where(rng.random(len(idx)) < 0.7, 1, 2).astype(np.int8)
    amount = np.where(
        kind == 1,
        np.rint(rng.uniform(2, 20, len(idx))) * 100_000,
        np.rint(rng.uniform(1, 5, len(idx))) * 50_000,
    ).astype(np.int64)
    parts_idx.append(idx)
    parts_month.append(month)
    parts_amount.append(amount)
    parts_kind.append(kind)
    idx = np.concatenate(parts_idx)
    month = np.concatenate(parts_month)
    amount = np.concatenate(parts_amount)
    kind = np.concatenate(parts_kind)
    date = month_day_to_date(month, c["day"][idx])
    order = np.lexsort((kind, date, idx))
    idx, date, amount, kind = idx[order], date[order], amount[order], kind[order]
    kinds = np.array(["setup_fee", "consulting", "training"])
    return pd.DataFrame(
        {
            "customer_id": pd.array(_customer_ids(n)[idx], dtype="str"),
            "date": date.astype("datetime64[ns]"),
            "amount": amount.astype(np.float64),
            "kind": pd.array(kinds[kind], dtype="str"),
        }
    )


def events_frame(
    rng: np.random.Generator, c: dict, sim: dict, cal: SimulationCalendar, cap: int | None
) -> pd.DataFrame:
    """Onboarding events in the first 60 days after signup of window signups (seed 004).

    Activated customers invite teammates 3+ times within 14 days; the others invite 0-2
    times in that window and sometimes more later (so longer windows separate less well).
    Every other event is only weakly more frequent among activated customers.
    """
    window_start = month_day_to_date(np.array([cal.window_start]), np.array([1]))[0]
    who = np.flatnonzero(_signup_dates(c) >= window_start)
    if cap is not None and len(who) > cap:
        who = np.sort(rng.choice(who, size=cap, replace=False))
    m = len(who)
    act = c["activated"][who]
    signup = _signup_dates(c)[who].astype("datetime64[s]")
    users = np.minimum(c["seats"][who], 2 + rng.poisson(3, size=m))
    # (event, count per customer, first day, end day, mean days after the first day): the
    # day is exponential, truncated to [first, end): onboarding activity is front-loaded, so
    # little of it falls after the earliest possible churn (about 28 days after signup).
    inv_early = np.where(act, 3 + rng.poisson(1.2, m), choose_rows(rng, np.tile([0.40, 0.35, 0.25], (m, 1))))
    connect = (rng.random(m) < np.where(act, 0.55, 0.47)) * (1 + rng.poisson(0.3, m))
    specs = [
        (3, inv_early, 0, 14, 6.0),
        (3, rng.poisson(np.where(act, 0.8, 0.9)), 14, 60, 12.0),
        (0, rng.poisson(np.where(act, 17.0, 15.0)), 0, 60, 9.0),
        (1, rng.poisson(np.where(act, 1.8, 1.5)), 0, 20, 4.0),
        (2, rng.poisson(np.where(act, 2.6, 2.3)), 0, 40, 8.0),
        (4, connect, 1, 30, 8.0),
        (5, rng.poisson(np.where(act, 3.2, 2.8)), 3, 60, 10.0),
    ]
    idx_parts, ev_parts, off_parts = [], [], []
    for ev, counts, lo, hi, scale in specs:
        rep = np.repeat(np.arange(m), counts.astype(np.int64))
        u = rng.random(len(rep))
        day = lo + np.floor(-scale * np.log1p(-u * -np.expm1(-(hi - lo) / scale)))
        day = np.minimum(day, hi - 1)
        # seconds after signup: a day in [first, end), during 08:00-21:00 of that day
        secs = day.astype(np.int64) * 86_400 + 8 * 3600 + rng.integers(0, 13 * 3600, size=len(rep))
        idx_parts.append(rep)
        ev_parts.append(np.full(len(rep), ev, dtype=np.int8))
        off_parts.append(secs)
    rep = np.concatenate(idx_parts)
    ev = np.concatenate(ev_parts)
    ts = signup[rep] + np.concatenate(off_parts).astype("timedelta64[s]")
    user = rng.integers(0, users[rep])
    # No events after the customer first stops paying, nor after the window ends.
    cust = who[rep]
    stop_month = np.minimum(sim["first_churn"][cust], cal.window_end + 1)
    stop = month_day_to_date(stop_month, c["day"][cust]).astype("datetime64[s]")
    window_end = month_day_to_date(np.array([cal.window_end + 1]), np.array([1])).astype("datetime64[s]")[0]
    keep = (ts < stop) & (ts < window_end)
    cust, ev, ts, user = cust[keep], ev[keep], ts[keep], user[keep]
    order = np.lexsort((ev, ts, cust))
    cust, ev, ts, user = cust[order], ev[order], ts[order], user[order]
    if len(cust) == 0:  # no signup in the window, or a cap of 0
        return pd.DataFrame({"customer_id": pd.array([], dtype="str"), "user_id": pd.array([], dtype="str"),
                             "event": pd.array([], dtype="str"), "timestamp": np.array([], dtype="datetime64[ns]")})
    cid = _customer_ids(c["n"])[cust]
    uid = np.strings.add(np.strings.add(cid, "-U"), np.strings.zfill((user + 1).astype(str), 2))
    return pd.DataFrame(
        {
            "customer_id": pd.array(cid, dtype="str"),
            "user_id": pd.array(uid, dtype="str"),
            "event": pd.array(np.array(EVENT_NAMES)[ev], dtype="str"),
            "timestamp": ts.astype("datetime64[ns]"),
        }
    )


def company_frame(rng: np.random.Generator, c: dict, cal: SimulationCalendar) -> pd.DataFrame:
    """Headcount (about 35 -> 85 at the default size, scaled with the customer count) and sales &
    marketing spend = new customers (3-month average) x a CAC of ~¥0.6M rising to ~¥1.0M,
    so that ARR per employee (seed 002) and CAC = spend / new customers (seed 004) look real."""
    months = np.arange(cal.window_start, cal.window_end + 1)
    n_m = len(months)
    scale = c["n"] / 1600
    progress = np.arange(n_m) / max(n_m - 1, 1)
    hires = np.floor(50 * progress**1.15 + rng.normal(0, 0.8, n_m).cumsum().clip(-2, 2))
    employees = np.maximum(1, np.rint(scale * (35 + np.maximum.accumulate(hires)))).astype(np.int64)
    new = np.bincount(c["start"][~c["pre"]] - cal.window_start, minlength=n_m)[:n_m].astype(float)
    smooth = pd.Series(new).rolling(3, min_periods=1, center=True).mean().to_numpy()
    cac = (600_000 + 400_000 * progress) * rng.lognormal(0, 0.12, n_m)
    spend = np.rint(np.maximum(smooth, 0.5) * cac / 1000) * 1000
    period = pd.PeriodIndex(
        [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in months], freq="M"
    )
    return pd.DataFrame(
        {"month": period, "employees": employees, "sales_marketing_spend": spend.astype(np.float64)}
    )
