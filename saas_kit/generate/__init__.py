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

from saas_kit.generate.model import (  # noqa: F401
    ACTIVATION_RULE, DEFAULT_EVENT_CUSTOMER_CAP, EVENT_NAMES, FRAME_NAMES, INDUSTRIES, MIN_SEATS, PERIODS,
    PERIOD_MONTHS, PLANS, PRE_WINDOW_MONTHS, SEAT_PRICE, SEGMENTS, STARTER_PRICE_AFTER)
from saas_kit.generate.company import generate_company  # noqa: F401
from saas_kit.generate.write import add_generate_arguments, run_generate, write_company  # noqa: F401

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
