"""generate_company: the seeded simulation end to end (see saas_kit.generate)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from saas_kit.errors import ParameterError

from saas_kit.generate.model import DEFAULT_EVENT_CUSTOMER_CAP, SimulationCalendar, parse_generate_month
from saas_kit.generate.simulate import draw_customers, simulate_company
from saas_kit.generate.frames import (
    charges_frame, company_frame, customers_frame, events_frame, subscriptions_frame)


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
    last = parse_generate_month(end_month)
    cal = SimulationCalendar(
        window_start=last - months + 1,
        window_end=last,
        price_change=last - months + 1 + (17 * months) // 36,
    )
    rng = np.random.Generator(np.random.PCG64(seed))

    cust = draw_customers(rng, customers, months, cal)
    rows, sim = simulate_company(rng, cust, cal)
    subs = subscriptions_frame(rows, cust)
    customers_df = customers_frame(rng, cust)
    charges = charges_frame(rng, cust, sim, cal)
    events = events_frame(rng, cust, sim, cal, max_event_customers)
    company = company_frame(rng, cust, cal)
    return {
        "subscriptions": subs,
        "customers": customers_df,
        "charges": charges,
        "events": events,
        "company": company,
    }
