"""A seeded, fictitious Japanese B2B SaaS company: the bundled sample and the benchmark data.

:func:`generate_company` simulates a company billed in yen month by month (vectorised over
customers: the only Python loop is over calendar months) and returns the five canonical
frames of metrics.md §1 (``subscriptions``, ``customers``, ``charges``, ``events``,
``company``). :func:`write_company` writes them as CSV or Parquet; ``saas-kit generate``
(:func:`add_generate_arguments`, :func:`run_generate`) is the command line.

The story (see data/README.md): three seat-priced plans, monthly / quarterly / annual
billing, seat expansion and plan upgrades, downgrades, a second subscription that some
customers add and later cancel (contraction, metrics.md §3), full churn, reactivation
after a gap, one-off setup and consulting charges (never MRR, seed 001), a Starter price
rise followed by a bad SMB churn quarter, and a planted activation rule (seed 004's
"magic moment", metrics.md §7): customers who ``invite_teammate`` at least 3 times within
14 days of signup have a first-year churn hazard one third of the others'.

Same arguments -> the same frames and byte-identical files (numpy ``Generator(PCG64(seed))``).
"""
from __future__ import annotations

import argparse
import datetime
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from saas_kit.errors import ParameterError

__all__ = [
    "generate_company",
    "write_company",
    "add_generate_arguments",
    "run_generate",
    "ACTIVATION_RULE",
    "PLANS",
    "SEGMENTS",
    "EVENT_NAMES",
]

FRAME_NAMES = ("subscriptions", "customers", "charges", "events", "company")

PLANS = ("Starter", "Business", "Enterprise")
SEGMENTS = ("SMB", "Mid-market", "Enterprise")
PERIODS = ("month", "quarter", "year")
PERIOD_MONTHS = np.array([1, 3, 12])
EVENT_NAMES = (
    "login",
    "import_data",
    "create_project",
    "invite_teammate",
    "connect_integration",
    "create_report",
)
INDUSTRIES = (
    "Manufacturing",
    "Retail",
    "IT services",
    "Professional services",
    "Healthcare",
    "Logistics",
    "Construction",
    "Finance",
    "Education",
    "Real estate",
)
#: The planted rule: (event, minimum count, window in days after signup).
ACTIVATION_RULE = ("invite_teammate", 3, 14)

# Yen per seat per month, by plan (rows) and billing period (columns: month, quarter, year).
# Quarterly is 5% off and annual 10% off; every entry is whole yen, so MRR = seats * price
# is whole yen and amount = MRR * months (annual divisible by 12, quarterly by 3).
SEAT_PRICE = np.array(
    [
        [3_000, 2_850, 2_700],  # Starter    (~10 seats  ->  ~30,000 / month)
        [6_000, 5_700, 5_400],  # Business   (~20 seats  -> ~120,000 / month)
        [12_000, 11_400, 10_800],  # Enterprise (~50 seats -> ~600,000 / month)
    ],
    dtype=np.int64,
)
MIN_SEATS = np.array([3, 8, 25], dtype=np.int64)  # smallest contract per plan
# Starter after the price change (3,000 -> 3,600 per seat, +20%).
STARTER_PRICE_AFTER = np.array([3_600, 3_420, 3_240], dtype=np.int64)

_NAME_A = (
    "Aozora", "Hoshino", "Sakura", "Midori", "Kaede", "Tsubasa", "Hikari", "Kawakami", "Yamabuki",
    "Asahi", "Minato", "Shirakawa", "Hinode", "Kitaura", "Fujimi", "Takane", "Umibe", "Kazane",
    "Shinonome", "Akatsuki", "Harukaze", "Mizuho", "Tokiwa", "Wakaba", "Yuzuriha", "Kohaku",
    "Suzukaze", "Hanabusa", "Nagisa", "Iroha", "Komorebi", "Sazanami", "Tachibana", "Amane",
    "Kirameki", "Morinoki", "Oborozuki", "Sorairo", "Hidamari", "Yukimi", "Ginga", "Hotaru",
    "Ishizue", "Kasumi", "Mitsuba", "Natsume", "Rindou", "Seiran", "Tomoe", "Yamato",
)
_NAME_B = (
    "Logistics", "Systems", "Foods", "Trading", "Works", "Medical", "Design", "Partners",
    "Engineering", "Labs", "Construction", "Retail", "Consulting", "Holdings", "Networks",
    "Manufacturing", "Solutions", "Estate", "Education", "Planning", "Industries", "Creative",
    "Services", "Energy", "Pharma", "Textiles", "Robotics", "Agri", "Marine", "Software",
    "Analytics", "Mobility", "Printing", "Kogyo", "Shoji", "Seisakusho", "Denki", "Unyu",
    "Kensetsu", "Shokuhin",
)
_NAME_C = ("Co., Ltd.", "K.K.", "Inc.", "Corp.", "G.K.", "Ltd.")

DEFAULT_EVENT_CUSTOMER_CAP = 50_000
PRE_WINDOW_MONTHS = 48


@dataclass(frozen=True)
class _Calendar:
    window_start: int  # absolute month index (year * 12 + month - 1) of the first window month
    window_end: int  # absolute month index of the last window month (inclusive)
    price_change: int  # month of the Starter price rise (and first month of the bad SMB quarter)


def _parse_month(text: str) -> int:
    m = re.fullmatch(r"(\d{4})-(\d{2})", str(text).strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ParameterError(f"end month must look like YYYY-MM, got {text!r}")
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def _month_day_to_date(month_idx: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Absolute month index + day of month -> datetime64[D] (vectorised)."""
    months = (np.asarray(month_idx, dtype=np.int64) - 1970 * 12).astype("datetime64[M]")
    return months.astype("datetime64[D]") + (np.asarray(day, dtype=np.int64) - 1)


def _ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    digits = np.strings.zfill(np.asarray(numbers, dtype=np.int64).astype(str), width)
    return np.strings.add(prefix, digits)


def generate_company(
    customers: int = 1600,
    months: int = 36,
    end_month: str = "2026-10",
    seed: int = 20261031,
    max_event_customers: int | None = DEFAULT_EVENT_CUSTOMER_CAP,
) -> dict[str, pd.DataFrame]:
    """Simulate a fictitious Japanese B2B SaaS company and return its canonical frames.

    ``customers`` is the number of customers in the export (about 18% signed up
    during the four years before the ``months``-long window ending ``end_month``, so that
    customers are already paying when it starts; the rest sign up inside the window, at a
    rate growing over time; churn, expansion and reactivation run the same way before and
    inside the window). Each subscription row is one period of constant
    price: MRR = ``amount / months_in_period`` (metrics.md §2, seed 001: 1,200,000 a year is
    100,000 a month), always whole yen. Churn is a monthly hazard by segment, raised in the
    first three months (early churn, seed 004), cut to one third in the first year for
    customers who reach :data:`ACTIVATION_RULE`, and multiplied by 2.5 for SMB in the quarter that
    starts with the Starter price rise; quarterly and annual customers can only leave at renewal.

    Onboarding ``events`` are made for customers signing up inside the window, at most
    ``max_event_customers`` of them (a seeded random sample above that; ``None`` = all):
    the churn model does not depend on the cap. Frames: see metrics.md §1 and data/README.md.
    """
    if int(customers) != customers or customers < 1:
        raise ParameterError(f"customers must be a positive whole number, got {customers!r}")
    if int(months) != months or not 1 <= months <= 600:
        raise ParameterError(f"months must be between 1 and 600, got {months!r}")
    if int(seed) != seed or seed < 0:
        raise ParameterError(f"seed must be a non-negative whole number, got {seed!r}")
    if max_event_customers is not None and max_event_customers < 0:
        raise ParameterError("max_event_customers must be >= 0 or None")
    customers, months, seed = int(customers), int(months), int(seed)
    last = _parse_month(end_month)
    cal = _Calendar(
        window_start=last - months + 1,
        window_end=last,
        price_change=last - months + 1 + (17 * months) // 36,
    )
    rng = np.random.Generator(np.random.PCG64(seed))

    cust = _draw_customers(rng, customers, months, cal)
    rows, sim = _simulate(rng, cust, cal)
    subs = _subscriptions_frame(rows, cust)
    customers_df = _customers_frame(rng, cust)
    charges = _charges_frame(rng, cust, sim, cal)
    events = _events_frame(rng, cust, sim, cal, max_event_customers)
    company = _company_frame(rng, cust, cal)
    return {
        "subscriptions": subs,
        "customers": customers_df,
        "charges": charges,
        "events": events,
        "company": company,
    }


# --------------------------------------------------------------------------- customers


def _draw_customers(rng: np.random.Generator, n: int, months: int, cal: _Calendar) -> dict:
    """Signup month/day, segment, plan, seats, billing period and activation per customer."""
    # The company started selling 48 months before the window: new customers per month
    # ramp up over those four years, then grow ~1.5x from the first to the last window month.
    # (With the default 36-month window about 18% of the customers signed up before it.)
    pre = np.arange(-PRE_WINDOW_MONTHS, 0)
    ramp = 0.42 * (0.15 + 0.85 * (pre + PRE_WINDOW_MONTHS) / PRE_WINDOW_MONTHS) ** 1.5
    pos = np.arange(months)
    weights = np.concatenate([ramp, np.exp(np.log(1.5) * pos / max(months - 1, 1))])
    offsets = np.concatenate([pre, pos])
    start = cal.window_start + rng.choice(offsets, size=n, p=weights / weights.sum())
    # Segment mix: the first customers were mid-sized firms won by founder-led sales; the
    # self-serve Starter plan then made SMB the bulk of signups (SMB 60% -> 76% before the
    # window, about 76% inside it).
    early = np.clip((cal.window_start - start) / PRE_WINDOW_MONTHS, 0.0, 1.0)
    p_ent = 0.03 + 0.04 * early
    p_mid = 0.21 + 0.12 * early
    u = rng.random(n)
    segment = np.where(u < p_ent, 2, np.where(u < p_ent + p_mid, 1, 0)).astype(np.int8)
    day = np.where(rng.random(n) < 0.25, 15, 1).astype(np.int64)
    # Sort by start date so ids follow signup order (C000001 is the oldest customer).
    order = np.lexsort((rng.random(n), day, start))
    start, segment, day = start[order], segment[order], day[order]
    pre = start < cal.window_start

    plan_p = np.array([[0.94, 0.06, 0.0], [0.22, 0.75, 0.03], [0.0, 0.30, 0.70]])
    plan = _choose_rows(rng, plan_p[segment])
    period_p = np.array([[0.87, 0.08, 0.05], [0.45, 0.15, 0.40], [0.15, 0.10, 0.75]])
    period = _choose_rows(rng, period_p[segment])
    seats = _initial_seats(rng, plan)
    # Activation: ~40% of signups (a little more often in larger accounts).
    activated = rng.random(n) < np.array([0.40, 0.45, 0.52])[segment]
    # About 30% started with a free trial of up to 14 days before the first paid day.
    trial_days = np.where(rng.random(n) < 0.30, rng.integers(1, 15, size=n), 0)
    return {
        "n": n,
        "start": start,
        "day": day,
        "segment": segment,
        "plan": plan,
        "period": period,
        "seats": seats,
        "activated": activated,
        "pre": pre,
        "trial_days": trial_days,
    }


def _choose_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category per row of a (n, k) probability matrix (vectorised inverse CDF)."""
    cdf = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None]
    return np.minimum((u >= cdf).sum(axis=1), probs.shape[1] - 1).astype(np.int8)


def _initial_seats(rng: np.random.Generator, plan: np.ndarray) -> np.ndarray:
    median = np.array([6.0, 13.0, 32.0])[plan]
    floor = MIN_SEATS[plan]
    seats = np.rint(median * rng.lognormal(0.0, 0.4, size=len(plan))).astype(np.int64)
    return np.maximum(seats, floor)


# --------------------------------------------------------------------------- simulation


def _price(plan: np.ndarray, period: np.ndarray, new_starter: np.ndarray) -> np.ndarray:
    base = SEAT_PRICE[plan, period]
    return np.where((plan == 0) & new_starter, STARTER_PRICE_AFTER[period], base)


class _Rows:
    """Closed subscription rows, collected as arrays per simulated month."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(self, idx, slot, start, end, mrr, plan, period) -> None:
        if len(idx):
            self.parts.append(
                (
                    idx.astype(np.int64),
                    np.full(len(idx), slot, dtype=np.int8),
                    start.astype(np.int64),
                    np.broadcast_to(np.asarray(end, dtype=np.int64), idx.shape).copy(),
                    mrr.astype(np.int64),
                    plan.astype(np.int8),
                    period.astype(np.int8),
                )
            )

    def arrays(self) -> dict[str, np.ndarray]:
        keys = ("idx", "slot", "start", "end", "mrr", "plan", "period")
        if not self.parts:
            return {k: np.empty(0, dtype=np.int64) for k in keys}
        return {k: np.concatenate([p[i] for p in self.parts]) for i, k in enumerate(keys)}


def _simulate(rng: np.random.Generator, c: dict, cal: _Calendar) -> tuple[dict, dict]:
    """Month-by-month state machine over all customers at once (metrics.md §3 movements)."""
    n = c["n"]
    seg = c["segment"]
    day = c["day"]
    first = c["start"]
    activated = c["activated"]
    rows = _Rows()

    active = np.zeros(n, dtype=bool)
    plan = c["plan"].copy()
    period = c["period"].copy()
    seats = c["seats"].copy()
    new_starter = np.zeros(n, dtype=bool)  # Starter row already on the post-rise price
    mrr = np.zeros(n, dtype=np.int64)
    row_start = np.zeros(n, dtype=np.int64)
    anchor = np.zeros(n, dtype=np.int64)  # month the current contract term started
    surv = np.ones(n)  # survival accumulated since the last renewal decision
    reactivated = np.zeros(n, dtype=bool)
    return_at = np.full(n, -1, dtype=np.int64)
    first_churn = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    stale_price = np.zeros(n, dtype=bool)
    # Second subscription (another department's workspace, billed monthly).
    active2 = np.zeros(n, dtype=bool)
    plan2 = np.zeros(n, dtype=np.int8)
    mrr2 = np.zeros(n, dtype=np.int64)
    start2 = np.zeros(n, dtype=np.int64)

    base_hazard = np.array([0.008, 0.005, 0.0045])[seg]
    early_scale = np.array([1.0, 0.3, 0.15])[seg]
    early_bump = np.array([0.0, 0.22, 0.10, 0.04])
    p_expand = np.array([0.030, 0.065, 0.075])[seg]
    p_upgrade = np.array([0.001, 0.002, 0.0])[seg]
    p_contract = np.array([0.010, 0.010, 0.008])[seg]
    p_add2 = np.array([0.002, 0.008, 0.010])[seg]
    p_react = np.array([0.10, 0.12, 0.12])[seg]
    zero_period = np.zeros(n, dtype=np.int8)

    t0 = int(first.min())
    for t in range(t0, cal.window_end + 1):
        if t == cal.price_change:
            stale_price |= active & (plan == 0) & ~new_starter
        after_rise = t >= cal.price_change

        # 1. first subscriptions start
        born = np.flatnonzero(first == t)
        if len(born):
            new_starter[born] = after_rise
            mrr[born] = seats[born] * _price(plan[born], period[born], new_starter[born])
            active[born] = True
            row_start[born] = t
            anchor[born] = t

        # 2. reactivations after a gap (new contract, usually monthly, often smaller)
        back = np.flatnonzero(return_at == t)
        if len(back):
            return_at[back] = -1
            reactivated[back] = True
            period[back] = np.where(rng.random(len(back)) < 0.85, 0, period[back])
            seats[back] = np.maximum(
                MIN_SEATS[plan[back]], np.rint(seats[back] * rng.uniform(0.6, 1.1, len(back)))
            ).astype(np.int64)
            new_starter[back] = after_rise
            stale_price[back] = False
            mrr[back] = seats[back] * _price(plan[back], period[back], new_starter[back])
            active[back] = True
            row_start[back] = t
            anchor[back] = t
            surv[back] = 1.0

        # 3. decisions for customers whose contract started before this month
        cand = np.flatnonzero(active & (anchor < t))
        if len(cand) == 0:
            continue
        k = PERIOD_MONTHS[period[cand]]
        decide = ((t - anchor[cand]) % k) == 0
        age = t - first[cand]
        h = base_hazard[cand].copy()
        first_year = (age <= 12) & ~reactivated[cand]
        bump = np.where(period[cand] < 2, early_scale[cand] * early_bump[np.minimum(age, 3)], 0.0)
        h = np.where(first_year, h * 1.3 + bump, h)
        h = np.where(reactivated[cand], h * 1.5, h)
        h = np.where(first_year & activated[cand], h / 3.0, h)
        if cal.price_change <= t < cal.price_change + 3:
            h = np.where(seg[cand] == 0, h * 2.5, h)
        surv[cand] *= 1.0 - h

        u = rng.random(len(cand))
        churn = decide & (u < 1.0 - surv[cand])
        surv[cand[decide]] = 1.0
        gone = cand[churn]
        if len(gone):
            rows.add(gone, 0, row_start[gone], t, mrr[gone], plan[gone], period[gone])
            with2 = gone[active2[gone]]
            rows.add(with2, 1, start2[with2], t, mrr2[with2], plan2[with2], zero_period[with2])
            active[gone] = False
            active2[gone] = False
            first_churn[gone] = np.minimum(first_churn[gone], t)
            comes_back = rng.random(len(gone)) < p_react[gone]
            gap = rng.integers(2, 13, size=len(gone))
            return_at[gone] = np.where(comes_back, t + gap, -1)

        stay = cand[~churn]
        dec = decide[~churn]
        # Seat expansion (any month: mid-term true-ups are billed pro rata), plan upgrades,
        # contraction at renewal, and the Starter price rise applied at each renewal.
        u1 = rng.random(len(stay))
        u2 = rng.random(len(stay))
        grow = u1 < p_expand[stay]
        upg = ~grow & (u1 < p_expand[stay] + p_upgrade[stay]) & (plan[stay] < 2) & ~active2[stay]
        shrink = dec & ~grow & ~upg & (u2 < p_contract[stay] * k[~churn])
        reprice = dec & stale_price[stay]
        changed = grow | upg | shrink | reprice
        ch = stay[changed]
        if len(ch):
            g, up, sh = grow[changed], upg[changed], shrink[changed]
            new_seats = seats[ch].copy()
            # large accounts grow in smaller steps (and never beyond 600 seats)
            factor = np.where(seats[ch] > 80, rng.uniform(1.03, 1.2, len(ch)), rng.uniform(1.05, 1.4, len(ch)))
            new_seats = np.where(g, np.minimum(600, np.maximum(new_seats + 1, np.rint(new_seats * factor))), new_seats)
            shrink_f = rng.uniform(0.55, 0.9, len(ch))
            shrunk = np.maximum(MIN_SEATS[plan[ch]], np.minimum(new_seats - 1, np.rint(new_seats * shrink_f)))
            new_seats = np.where(sh, shrunk, new_seats)
            new_plan = np.where(up, plan[ch] + 1, plan[ch]).astype(np.int8)
            new_seats = np.where(up, np.maximum(new_seats, MIN_SEATS[new_plan]), new_seats)
            stale_price[ch] = False
            new_starter[ch] |= after_rise
            new_mrr = new_seats.astype(np.int64) * _price(new_plan, period[ch], new_starter[ch])
            real = new_mrr != mrr[ch]
            ch, new_mrr, new_seats, new_plan = ch[real], new_mrr[real], new_seats[real], new_plan[real]
            rows.add(ch, 0, row_start[ch], t, mrr[ch], plan[ch], period[ch])
            seats[ch] = new_seats
            plan[ch] = new_plan
            mrr[ch] = new_mrr
            row_start[ch] = t

        # Second subscriptions: cancelled (contraction) or added (expansion).
        has2 = stay[active2[stay] & (start2[stay] < t)]
        if len(has2):
            drop = has2[rng.random(len(has2)) < 0.035]
            rows.add(drop, 1, start2[drop], t, mrr2[drop], plan2[drop], zero_period[drop])
            active2[drop] = False
        no2 = stay[~active2[stay]]
        if len(no2):
            add = no2[rng.random(len(no2)) < p_add2[no2]]
            if len(add):
                # another plan than the main one (same-plan overlaps look like duplicated rows)
                coin = np.where(rng.random(len(add)) < 0.5, 0, 1)
                plan2[add] = np.where(plan[add] == 2, coin, 1 - plan[add])
                s2 = np.maximum(3, np.rint(rng.uniform(0.15, 0.4, len(add)) * seats[add])).astype(np.int64)
                mrr2[add] = s2 * _price(plan2[add], zero_period[add], np.full(len(add), after_rise))
                start2[add] = t
                active2[add] = True

    # Rows still open at the end of the window (end = -1 means no end date).
    open1 = np.flatnonzero(active)
    rows.add(open1, 0, row_start[open1], -1, mrr[open1], plan[open1], period[open1])
    open2 = np.flatnonzero(active2)
    rows.add(open2, 1, start2[open2], -1, mrr2[open2], plan2[open2], zero_period[open2])
    sim = {"first_churn": first_churn, "active_end": active, "plan": plan}
    return rows.arrays(), sim


# --------------------------------------------------------------------------- frames


def _width(n: int, minimum: int) -> int:
    return max(minimum, len(str(max(n, 1))))


def _customer_ids(n: int) -> np.ndarray:
    return _ids("C", np.arange(1, n + 1), _width(n, 6))


def _subscriptions_frame(r: dict, c: dict) -> pd.DataFrame:
    order = np.lexsort((r["slot"], r["start"], r["idx"]))
    r = {k: v[order] for k, v in r.items()}
    n_rows = len(r["idx"])
    day = c["day"][r["idx"]]
    start = _month_day_to_date(r["start"], day)
    end = _month_day_to_date(np.where(r["end"] < 0, 0, r["end"]), day).astype("datetime64[ns]")
    end[r["end"] < 0] = np.datetime64("NaT")
    amount = (r["mrr"] * PERIOD_MONTHS[r["period"]]).astype(np.float64)
    cust_ids = _customer_ids(c["n"])
    return pd.DataFrame(
        {
            "customer_id": pd.array(cust_ids[r["idx"]], dtype="str"),
            "subscription_id": pd.array(_ids("S", np.arange(1, n_rows + 1), _width(n_rows, 7)), dtype="str"),
            "start_date": start.astype("datetime64[ns]"),
            "end_date": end,
            "amount": amount,
            "billing_period": pd.array(np.array(PERIODS)[r["period"]], dtype="str"),
            "plan": pd.array(np.array(PLANS)[r["plan"]], dtype="str"),
            "currency": pd.array(np.full(n_rows, "JPY"), dtype="str"),
        }
    )


def _signup_dates(c: dict) -> np.ndarray:
    start = _month_day_to_date(c["start"], c["day"])
    return start - c["trial_days"].astype("timedelta64[D]")


def _customers_frame(rng: np.random.Generator, c: dict) -> pd.DataFrame:
    n = c["n"]
    n_combo = len(_NAME_A) * len(_NAME_B) * len(_NAME_C)
    combo = rng.choice(n_combo, size=n, replace=n > n_combo)
    a, rest = np.divmod(combo, len(_NAME_B) * len(_NAME_C))
    b, s = np.divmod(rest, len(_NAME_C))
    names = np.strings.add(
        np.strings.add(np.strings.add(np.array(_NAME_A)[a], " "), np.array(_NAME_B)[b]),
        np.strings.add(" ", np.array(_NAME_C)[s]),
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


def _charges_frame(rng: np.random.Generator, c: dict, sim: dict, cal: _Calendar) -> pd.DataFrame:
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
    date = _month_day_to_date(month, c["day"][idx])
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


def _events_frame(
    rng: np.random.Generator, c: dict, sim: dict, cal: _Calendar, cap: int | None
) -> pd.DataFrame:
    """Onboarding events in the first 60 days after signup of window signups (seed 004).

    Activated customers invite teammates 3+ times within 14 days; the others invite 0-2
    times in that window and sometimes more later (so longer windows separate less well).
    Every other event is only weakly more frequent among activated customers.
    """
    window_start = _month_day_to_date(np.array([cal.window_start]), np.array([1]))[0]
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
    inv_early = np.where(act, 3 + rng.poisson(1.2, m), _choose_rows(rng, np.tile([0.40, 0.35, 0.25], (m, 1))))
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
    stop = _month_day_to_date(stop_month, c["day"][cust]).astype("datetime64[s]")
    window_end = _month_day_to_date(np.array([cal.window_end + 1]), np.array([1])).astype("datetime64[s]")[0]
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


def _company_frame(rng: np.random.Generator, c: dict, cal: _Calendar) -> pd.DataFrame:
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


# --------------------------------------------------------------------------- writing


def _text_frame(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """The CSV form of a frame: ISO dates, whole-yen amounts as integers, empty for missing."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.PeriodDtype):
            out[col] = s.dt.strftime("%Y-%m")
        elif pd.api.types.is_datetime64_any_dtype(s):
            unit = "s" if col == "timestamp" else "D"
            text = s.to_numpy().astype(f"datetime64[{unit}]").astype(str)
            text[s.isna().to_numpy()] = ""
            out[col] = text
        elif pd.api.types.is_float_dtype(s):
            v = s.to_numpy()
            if np.all(np.isfinite(v)) and np.all(v == np.rint(v)):
                out[col] = v.astype(np.int64)
    return out


_OPTIONAL_FRAMES = ("charges", "events")


def write_company(frames: dict[str, pd.DataFrame], out_dir: str | os.PathLike, fmt: str = "csv") -> list[Path]:
    """Write the five frames (metrics.md §1) to ``out_dir/<name>.csv`` (or ``.parquet``);
    return the paths.

    CSV: UTF-8, comma, header; dates ``YYYY-MM-DD``, event timestamps ``YYYY-MM-DDTHH:MM:SS``,
    company month ``YYYY-MM``, empty ``end_date`` for open subscriptions. Parquet keeps
    datetimes as timestamps and writes the month as ``YYYY-MM`` text. The files are written
    into a temporary directory beside ``out_dir`` and moved in only when all are complete.
    An optional frame without rows (no events with ``--event-customers 0``) is not written,
    and a file of that name left in ``out_dir`` by an earlier run is removed: a header-only
    file is not a valid input. ``dataset.yml`` records the as-of date (the first day after
    the window, so the window's last month is the last complete one) and the currency (JPY).
    """
    if fmt not in ("csv", "parquet"):
        raise ParameterError(f"format must be 'csv' or 'parquet', got {fmt!r}")
    missing = [k for k in FRAME_NAMES if k not in frames]
    if missing:
        raise ParameterError(f"frames missing: {', '.join(missing)}")
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        written, skipped = [], []
        for name in FRAME_NAMES:
            path = tmp / f"{name}.{fmt}"
            if name in _OPTIONAL_FRAMES and frames[name].empty:
                skipped.append(out / path.name)
                continue
            if fmt == "csv":
                _text_frame(name, frames[name]).to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
            else:
                df = frames[name].copy()
                for col in df.columns:
                    if isinstance(df[col].dtype, pd.PeriodDtype):
                        df[col] = df[col].dt.strftime("%Y-%m")
                df.to_parquet(path, index=False, engine="pyarrow")
            written.append(path)
        written.append(_write_metadata(frames, tmp))
        out.mkdir(parents=True, exist_ok=True)
        for stale in skipped:
            stale.unlink(missing_ok=True)
        final = []
        for path in written:
            target = out / path.name
            os.replace(path, target)
            final.append(target)
        return final
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _write_metadata(frames: dict[str, pd.DataFrame], directory: Path) -> Path:
    """``dataset.yml`` of a generated company (saas_kit.metadata): as of the day after the
    window's last month, in yen."""
    from saas_kit.metadata import write_metadata

    last = pd.PeriodIndex(frames["company"]["month"], freq="M").max()
    as_of = (last + 1).start_time
    return write_metadata(directory, as_of=as_of, currency="JPY",
                          source={"format": "saas-kit generate", "files": [f"{n}.*" for n in FRAME_NAMES]},
                          imported_at=as_of.to_pydatetime().replace(tzinfo=datetime.timezone.utc))


# --------------------------------------------------------------------------- CLI


def add_generate_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``saas-kit generate`` (the sample company of data/README.md, metrics.md §1)."""
    parser.add_argument("--customers", type=int, default=1600, metavar="N", help="customers in the export (default 1600)")
    parser.add_argument("--months", type=int, default=36, help="length of the window in months (default 36)")
    parser.add_argument("--end-month", default="2026-10", metavar="YYYY-MM", help="last month of the window (default 2026-10)")
    parser.add_argument("--seed", type=int, default=20261031, help="random seed (default 20261031)")
    parser.add_argument("--event-customers", type=_event_customers, default=DEFAULT_EVENT_CUSTOMER_CAP,
                        metavar="N|all", help="signups that get onboarding events: at most N (a seeded sample; "
                        f"default {DEFAULT_EVENT_CUSTOMER_CAP:,}) or all")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv", help="file format (default csv)")
    parser.add_argument("--out", required=True, metavar="DIR", help="directory to write the five files into")


def _event_customers(text: str) -> int | None:
    """``--event-customers``: a whole number >= 0, or ``all`` (no cap)."""
    if text.strip().lower() == "all":
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number or 'all', got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0 or 'all', got {value}")
    return value


def run_generate(args: argparse.Namespace) -> int:
    """Generate the company from ``args`` and write it (atomically, see :func:`write_company`);
    print ``path<TAB>N rows`` per file and return exit code 0 (metrics.md §1 frames)."""
    frames = generate_company(
        customers=args.customers, months=args.months, end_month=args.end_month, seed=args.seed,
        max_event_customers=getattr(args, "event_customers", DEFAULT_EVENT_CUSTOMER_CAP),
    )
    paths = write_company(frames, args.out, fmt=getattr(args, "format", "csv"))
    for path in paths:
        if path.stem in frames:
            print(f"{path}\t{len(frames[path.stem])} rows")
        else:
            print(f"{path}\t(as-of date and currency)")
    return 0
