"""What :class:`MonthFacts` holds (the interface both engines fill; see the package docstring).

Every field names the embedded function whose result it is, so that an engine's output
can be checked against it frame by frame (same columns, dtypes, order and values).
``cm`` below is the customer-month MRR frame of the data (``Dataset.customer_mrr``,
metrics.md §1-§2: months up to the last complete month before the as-of date) and
``month`` the report month.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass
class DataFacts:
    """What the pages say about the data themselves (small; metrics.md §2, §8).

    ``folder``: the data folder's name (never its full path); ``files``: one row per
    file read (``Dataset.files``); ``warnings``: the loader's structured warnings
    (``Dataset.warnings``, :class:`saas_kit.loading.data_warnings.DataWarning`);
    ``company``: company.csv (small) or None; ``customer_columns``: the columns
    customers.csv has (``segment``, ``name``, ...); ``has_*``: which optional inputs exist."""

    folder: str
    currency: str
    first_month: pd.Period
    latest_month: pd.Period
    as_of: pd.Timestamp | None
    files: pd.DataFrame
    warnings: list[Any] = field(default_factory=list)
    company: pd.DataFrame | None = None
    customer_columns: tuple[str, ...] = ()
    has_subscriptions: bool = False
    has_customers: bool = False
    has_charges: bool = False
    has_events: bool = False


@dataclass
class SegmentFacts:
    """The bridge and the twelve-month retention of each value of one customer attribute.

    ``bridge`` = ``mrr_movements(with_attribute(cm, customers, column), last_month=month, by=column)``;
    ``ttm`` = ``trailing_retention(with_attribute(cm, customers, column), by=column)``."""

    column: str
    bridge: pd.DataFrame
    ttm: pd.DataFrame


@dataclass
class LedgerFacts:
    """The figures that come from the ledger (subscriptions or MRR table, charges, customers).

    - ``bridge`` = ``monthly_rates(mrr_movements(cm, last_month=month))``, rows up to ``month``;
    - ``ttm`` = ``trailing_retention(cm)``;
    - ``kpi_series`` = ``monthly_kpi_series(cm, bridge, ttm)``;
    - ``mrr_by_month`` = ``mrr_by_month(cm)``;
    - ``recurring_one_off`` = ``recurring_and_one_off(cm, charges)``, rows up to ``month``;
    - ``billing_periods`` = ``mrr_by_billing_period(subscriptions, month)``, None without subscriptions;
    - ``one_off_by_kind`` = ``one_off_by_kind(charges, month - 11, month)``;
    - ``segments``: column -> :class:`SegmentFacts`, for every segment column a chapter asks
      for that customers.csv has;
    - ``cohorts`` = ``cohort_long(cm[cm.month <= month])`` (every age; a page takes the ages
      it shows), ``cohorts_last_month`` the last month of that frame;
    - ``movers``: every customer whose MRR moved in ``month`` (metrics.md §3), the table of
      ``saas_kit.pages.overview.who_moved``: ``movement``, ``customer_id``, ``name``,
      ``segment``, ``plan``, ``mrr_before``, ``mrr_after``, ``change``, in its order."""

    bridge: pd.DataFrame
    ttm: pd.DataFrame
    kpi_series: pd.DataFrame
    mrr_by_month: pd.Series
    recurring_one_off: pd.DataFrame
    billing_periods: pd.DataFrame | None
    one_off_by_kind: pd.DataFrame
    segments: dict[str, SegmentFacts]
    cohorts: pd.DataFrame
    cohorts_last_month: pd.Period | None
    movers: pd.DataFrame


@dataclass
class ActivationFacts:
    """The figures of the activation chapter and the overview's activation row, for the
    chapter's parameters (``parameters``: rule, retention days, funnel steps and window,
    search thresholds and windows). Aggregates only (per signup cohort, per group, per
    candidate rule, per funnel step, per day of a distribution); see
    :func:`saas_kit.facts.embedded.activation_facts` for each table."""

    parameters: dict[str, Any]
    tables: dict[str, Any] = field(default_factory=dict)


@dataclass
class MonthFacts:
    """Every number of one report month: the data's description, the ledger's figures and,
    when the data have events and customers, the activation figures."""

    month: pd.Period
    data: DataFacts
    ledger: LedgerFacts
    activation: ActivationFacts | None = None
    engine: str = "embedded"
