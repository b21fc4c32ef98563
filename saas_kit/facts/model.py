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
      for, and ``segment`` (the report's downloads), that customers.csv has
      (:func:`saas_kit.facts.embedded.segment_columns`);
    - ``cohorts`` = ``cohort_long(cm[cm.month <= month])`` (every age; a page takes the ages
      it shows), ``cohorts_last_month`` the last month of that frame;
    - ``movers``: every customer whose MRR moved in ``month`` (metrics.md §3),
      :func:`saas_kit.facts.embedded.movers` (the overview's "who moved"): ``movement``,
      ``customer_id``, ``name``, ``segment``, ``plan``, ``mrr_before``, ``mrr_after``,
      ``change``, in its order.

    ``mrr_by_month`` is the ``mrr`` column of ``recurring_and_one_off(cm, charges)`` over
    every month (the same numbers, computed once)."""

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


#: The activation chapter's parameters and their defaults (notebooks/05_activation.ipynb;
#: the page function :func:`saas_kit.pages.onboarding.activation_page` has the same).
DEFAULT_ACTIVATION_RULE = "invite_teammate>=3@14d"
FUNNEL_STEPS = ("login", "import_data", "create_project", "invite_teammate", "create_report")
SEARCH_THRESHOLDS = (1, 2, 3, 5, 10)
SEARCH_WINDOWS = (7, 14, 30)
ACTIVATION_DEFAULTS: dict[str, Any] = {
    "activation_rule": DEFAULT_ACTIVATION_RULE, "retention_days": 90, "funnel_steps": list(FUNNEL_STEPS),
    "funnel_window_days": 30, "search_thresholds": list(SEARCH_THRESHOLDS), "search_windows": list(SEARCH_WINDOWS),
}


@dataclass
class ActivationFacts:
    """The figures of the activation chapter and the overview's activation row
    (metrics.md §7, seed 004). Aggregates only: per signup cohort, per group, per
    candidate rule, per funnel step, per day of a distribution. ``scope`` below is
    ``onboarding_scope(dataset, month)`` and ``act`` = ``evaluate_rule(scope.events,
    scope.customers, rule, as_of=scope.as_of)``.

    Always present (the overview's row):

    - ``kpi_rule``: the overview's rule, text form (``str(ActivationRule.parse(rule))``);
    - ``kpi_by_cohort`` = ``activation_rate_by_cohort(act, scope.customers)`` for ``kpi_rule``
      (``cohort``, ``signups``, ``activated``, ``rate``, ``open_windows``);
    - ``events_start`` = ``scope.events_start``; ``customers`` = ``len(scope.customers)``.

    The chapter's tables, for ``parameters`` (the chapter's: ``activation_rule``,
    ``retention_days``, ``funnel_steps``, ``funnel_window_days``, ``search_thresholds``,
    ``search_windows``); ``parameters`` is ``{}`` and every table None when the report
    does not build the chapter:

    - ``by_cohort``: as ``kpi_by_cohort`` for the chapter's rule;
    - ``retention`` = ``retention_by_activation(act, outcomes)`` (two rows: ``group``,
      ``customers``, ``retained``, ``rate``, ``ci_low``, ``ci_high``), ``outcomes`` =
      ``customer_outcomes(scope.customers, subscriptions, scope.as_of, retention_days)``,
      ``subscriptions`` = ``paid_subscriptions(dataset)`` (for a ready MRR table the
      month-granular paid spans of ``paid_spans_from_mrr``);
      ``retention_summary`` its ``attrs["summary"]`` (a dict);
    - ``search`` = ``magic_moment_search(scope.events, outcomes, None, search_thresholds,
      search_windows)`` (one row per candidate rule, ranked);
    - ``early_churn`` = ``early_churn_shares(customer_outcomes(scope.all_customers, ...), (30, 45, 90))``;
    - ``ttfv`` = ``time_to_first_value(act[window_complete])`` (one row per day bin:
      ``days_from``, ``days_to``, ``customers``, ``share``, ``cumulative_share``),
      ``ttfv_summary`` its ``attrs["summary"]``;
    - ``funnel`` = ``onboarding_funnel(scope.events, customers whose window has passed,
      funnel_steps, funnel_window_days)``."""

    kpi_rule: str
    kpi_by_cohort: pd.DataFrame
    events_start: pd.Timestamp
    customers: int
    parameters: dict[str, Any] = field(default_factory=dict)
    by_cohort: pd.DataFrame | None = None
    retention: pd.DataFrame | None = None
    retention_summary: dict[str, Any] | None = None
    search: pd.DataFrame | None = None
    early_churn: pd.DataFrame | None = None
    ttfv: pd.DataFrame | None = None
    ttfv_summary: dict[str, Any] | None = None
    funnel: pd.DataFrame | None = None


@dataclass
class MonthFacts:
    """Every number of one report month: the data's description, the ledger's figures and,
    when the data have events and customers, the activation figures."""

    month: pd.Period
    data: DataFacts
    ledger: LedgerFacts
    activation: ActivationFacts | None = None
    engine: str = "embedded"
