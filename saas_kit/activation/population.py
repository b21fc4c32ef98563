"""The population an activation analysis of one report month looks at: the customers who
signed up while the event log was recording, their events up to the end of the month,
and the signup cohort whose activation windows have all closed (metrics.md §7, seed 004)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from saas_kit.activation.paid_spans import paid_spans_from_mrr
from saas_kit.errors import DataError, ParameterError

if TYPE_CHECKING:
    from saas_kit.loading import Dataset


@dataclass(frozen=True)
class OnboardingScope:
    """The customers and events the activation analysis of one report month looks at.

    ``as_of`` is the first instant after the report month (``month.end + 1 ns``, i.e.
    midnight on the 1st of the next month); nothing at or after it is used.
    ``customers``: customers who signed up in ``[events_start, as_of)`` — the ones whose
    onboarding the event log can show; ``events``: their events before ``as_of``;
    ``all_customers``: every customer who signed up before ``as_of`` (early churn
    needs no events); ``events_start``: the first day of the first month with an event.
    """

    as_of: pd.Timestamp
    events_start: pd.Timestamp
    customers: pd.DataFrame
    events: pd.DataFrame
    all_customers: pd.DataFrame


def onboarding_scope(dataset: Dataset, month: pd.Period | str) -> OnboardingScope:
    """Restrict the dataset to what the activation analysis of ``month`` may use (metrics.md §7, seed 004).

    Event logs usually start long after the first customers signed up; a customer who
    signed up before tracking began looks "not activated" only because their first
    weeks were never recorded. So the population is the customers with
    ``events_start <= signup_date < as_of``, where ``events_start`` is the first day of
    the month of the earliest event (tracking is taken to cover whole months) and
    ``as_of`` the first instant after the report month. Events at or after ``as_of`` are
    dropped, so a report for an earlier month sees only what was known then.
    Raises DataError when the dataset has no events or no customers' signup dates.
    """
    if dataset.events is None or dataset.events.empty:
        raise DataError("the activation analysis needs an events file (customer_id, event, timestamp)",
                        file="events")
    customers = dataset.customers
    if customers is None or "signup_date" not in customers.columns:
        raise DataError("the activation analysis needs a customers file with signup_date",
                        file="customers", column="signup_date")
    month = pd.Period(month, freq="M")
    as_of = (month + 1).start_time
    events = dataset.events
    events_start = pd.Timestamp(events["timestamp"].min()).to_period("M").start_time
    signup = customers["signup_date"]
    known = customers.loc[signup.notna() & (signup < as_of)]
    scope = known.loc[known["signup_date"] >= events_start].reset_index(drop=True)
    ev = events.loc[(events["timestamp"] < as_of).to_numpy(dtype=bool, na_value=False)
                    & events["customer_id"].isin(scope["customer_id"]).to_numpy()].reset_index(drop=True)
    return OnboardingScope(as_of=as_of, events_start=events_start, customers=scope, events=ev,
                           all_customers=known.reset_index(drop=True))


def paid_subscriptions(dataset: Dataset) -> pd.DataFrame:
    """The subscriptions the customer outcomes are found in (who paid, stayed, churned;
    :func:`saas_kit.activation.customer_outcomes`): the dataset's own, or, when its ledger
    is a ready MRR table (no subscriptions), the paid spans its customer-months imply
    (:func:`saas_kit.activation.paid_spans.paid_spans_from_mrr`, open after the last
    complete month ``dataset.last_month``): month-granular outcomes."""
    if dataset.subscriptions is not None:
        return dataset.subscriptions
    return paid_spans_from_mrr(dataset.customer_mrr, dataset.last_month)


def activation_cohort(month: pd.Period | str, window_days: int) -> pd.Period:
    """The signup month a report month's activation rate refers to (metrics.md §7).

    The latest signup month ``C`` whose activation windows have all closed by the end of
    the report month ``M``: the last customer of ``C`` signs up before ``start(C + 1)``
    and their window ``[signup, signup + window_days)`` closes by ``start(M + 1)``, so
    ``C`` is the latest month with ``start(C + 1) + window_days <= start(M + 1)``.
    Signup times count, so the bound is conservative: a 14-day window always gives
    ``C = M - 1``; a 30-day window gives ``M - 1`` except in a February report
    (``M - 2``); a 45-day window ``M - 2``.
    """
    month = pd.Period(month, freq="M")
    if isinstance(window_days, bool) or not isinstance(window_days, (int, np.integer)) or window_days < 1:
        raise ParameterError(f"window_days must be a whole number of at least 1, got {window_days!r}")
    as_of = (month + 1).start_time
    cohort = month
    while (cohort + 1).start_time + pd.Timedelta(days=int(window_days)) > as_of:
        cohort -= 1
    return cohort
