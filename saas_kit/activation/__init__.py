"""Onboarding activation: rules, magic-moment search, early churn, time to value (metrics.md §7, seed 004).

Seed 004 argues that the first weeks decide whether a customer stays: 40-60% of all
churn happens in the first 30 days, one B2B case lost about 65% of its churned
customers within 45 days, and customers who reach a product's "magic moment" (X:
follow 5 accounts; Facebook: 7 friends in 10 days; Dropbox: first file synced; Zoom:
first meeting) keep paying far more often than those who do not. This module measures
those claims on the canonical ``customers``, ``subscriptions`` and ``events`` frames.

Conventions used by every function here (write them on the methodology page):

* **Windows start at signup and are half-open.** A rule's window of ``N`` days covers
  ``signup_date <= timestamp < signup_date + N days``. With a midnight signup on
  1 January, a 14-day window ends just before 15 January 00:00: an event at
  14 January 23:59 counts, one at 15 January 00:00 does not. Events before signup are
  ignored; so are events of customers missing from ``customers``.
* **Counts are event rows**, not distinct users or days: "invite_teammate >= 3" means
  three ``invite_teammate`` rows inside the window (``user_id`` is not used).
* **Retention** is "still has a paid subscription (``amount > 0``) active on
  ``signup_date + retention_days``" (default 90, seed 004's "still paying 90 days
  after signup"); a subscription is active at instant ``t`` when
  ``start_date <= t < end_date`` (``end_date`` exclusive, NaT = still active).
  It is only known for customers whose check date is on or before ``as_of``
  (``observable``); all retention comparisons use observable customers only.
* **A ready MRR table** (no subscriptions) knows paid time to the month only: each run
  of consecutive months with MRR > 0 is taken as paid from the first day of its first
  month to the first day of the month after its last (:func:`paid_spans_from_mrr`), so
  first payment, churn and retention dates are month-granular.
* Undefined ratios are NaN, never inf. Bad parameters raise
  :class:`~saas_kit.errors.ParameterError`, bad data :class:`~saas_kit.errors.DataError`.

Everything is vectorised: each function sorts or groups the events once
(``O(E log E)`` for ``E`` events) and never loops over customers, so it scales to
millions of customers and tens of millions of events.
"""
from saas_kit.activation.frames import DAY_NS
from saas_kit.activation.onboarding import early_churn_shares, onboarding_funnel, time_to_first_value
from saas_kit.activation.outcomes import (activation_rate_by_cohort, customer_outcomes, evaluate_rule,
                                          retention_by_activation)
from saas_kit.activation.paid_spans import paid_spans_from_mrr
from saas_kit.activation.population import OnboardingScope, activation_cohort, onboarding_scope, paid_subscriptions
from saas_kit.activation.rule import ActivationRule
from saas_kit.activation.search import magic_moment_search
from saas_kit.activation.stats import Z_95, two_proportion_z_test, wilson_interval

__all__ = [
    "ActivationRule",
    "customer_outcomes",
    "evaluate_rule",
    "activation_rate_by_cohort",
    "retention_by_activation",
    "magic_moment_search",
    "early_churn_shares",
    "time_to_first_value",
    "onboarding_funnel",
    "wilson_interval",
    "two_proportion_z_test",
    "OnboardingScope",
    "onboarding_scope",
    "activation_cohort",
    "paid_spans_from_mrr",
    "paid_subscriptions",
    "DAY_NS",
    "Z_95",
]
