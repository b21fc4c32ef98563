"""Drawing the customers and simulating their subscriptions month by month (vectorised over
customers; the only Python loop is over calendar months)."""
from __future__ import annotations

import numpy as np

from saas_kit.generate.model import (
    MIN_SEATS, PERIOD_MONTHS, PRE_WINDOW_MONTHS, SEAT_PRICE, STARTER_PRICE_AFTER, SimulationCalendar)


def draw_customers(rng: np.random.Generator, n: int, months: int, cal: SimulationCalendar) -> dict:
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
    plan = choose_rows(rng, plan_p[segment])
    period_p = np.array([[0.87, 0.08, 0.05], [0.45, 0.15, 0.40], [0.15, 0.10, 0.75]])
    period = choose_rows(rng, period_p[segment])
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


def choose_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
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


def simulate_company(rng: np.random.Generator, c: dict, cal: SimulationCalendar) -> tuple[dict, dict]:
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
