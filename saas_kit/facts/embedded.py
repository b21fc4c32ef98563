"""The embedded engine of the month's facts (issues 12 and 14): every number the report's
pages state, computed once in this process (pandas/numpy) from a loaded
:class:`~saas_kit.loading.Dataset`, as :class:`~saas_kit.facts.model.MonthFacts`.

Each table is the embedded function named in :mod:`saas_kit.facts.model`; the Spark
engine (:func:`saas_kit.spark.facts.spark_facts`) must give the same frames.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from saas_kit import activation
from saas_kit.arr import mrr_by_billing_period, one_off_by_kind, recurring_beside_one_off
from saas_kit.calendar import month_number, months_from_numbers
from saas_kit.cohorts import cohorts_from_points
from saas_kit.facts.model import (ACTIVATION_DEFAULTS, DEFAULT_ACTIVATION_RULE, ActivationFacts, DataFacts,
                                  LedgerFacts, MonthFacts, SegmentFacts)
from saas_kit.kpis import monthly_kpi_series
from saas_kit.loading import Dataset
from saas_kit.movements import attribute_groups, bridge_from_points, bridges_from_points, month_movements
from saas_kit.mrr import ChangePoints
from saas_kit.mrr_steps import customers_with_points, last_month_with_mrr_by, mrr_by_month_from_points
from saas_kit.rates import monthly_rates, retention_from_points, retentions_from_points

#: The movements of the "who moved" list, in its order (metrics.md §3).
MOVER_ORDER = ("churn", "expansion", "contraction", "new", "reactivation")
#: The segment column of the report's downloads (saas_kit.export.segments_table).
DOWNLOADS_SEGMENT_COLUMN = "segment"
#: The chapter whose parameters are the activation chapter's.
ACTIVATION_CHAPTER = "05_activation"


def embedded_facts(dataset: Dataset, month: pd.Period | str, parameters: dict[str, dict[str, Any]] | None = None,
                   activation_rule: str | None = None) -> MonthFacts:
    """Every figure of ``month``'s report from ``dataset``.

    ``parameters``: chapter -> its parameters, as :func:`saas_kit.analysis.build_analysis`
    builds them (the chapters' ``segment_column`` values choose the segment tables, the
    activation chapter's parameters its tables; a chapter not named is not computed).
    ``activation_rule``: the overview's activation rule (default: the activation
    chapter's, else :data:`DEFAULT_ACTIVATION_RULE`)."""
    parameters = parameters or {}
    month = pd.Period(month, freq="M")
    data = data_facts(dataset)
    ledger = ledger_facts(dataset, month, segment_columns(parameters, data.customer_columns))
    act = None
    if dataset.events is not None and dataset.customers is not None:
        chapter = parameters.get(ACTIVATION_CHAPTER)
        rule = activation_rule or (chapter or {}).get("activation_rule") or DEFAULT_ACTIVATION_RULE
        act = activation_facts(dataset, month, rule, chapter)
    return MonthFacts(month=month, data=data, ledger=ledger, activation=act, engine="embedded")


def segment_columns(parameters: dict[str, dict[str, Any]], customer_columns: tuple[str, ...]) -> list[str]:
    """The segment columns the facts hold: the ``segment_column`` of every chapter that has
    one, in chapter order, then :data:`DOWNLOADS_SEGMENT_COLUMN` (the report's
    ``segments.csv`` download, :func:`saas_kit.export.segments_table`); once each, and
    only those customers.csv has."""
    wanted = [(params or {}).get("segment_column") for params in parameters.values()] + [DOWNLOADS_SEGMENT_COLUMN]
    out: list[str] = []
    for column in wanted:
        if column and column in customer_columns and column not in out:
            out.append(column)
    return out


def data_facts(dataset: Dataset) -> DataFacts:
    """What the data page says about the data (metrics.md §2, §8): the folder's name
    (never its path), the files read, the warnings and which inputs exist."""
    customers = dataset.customers
    return DataFacts(
        folder=Path(dataset.directory).resolve().name, currency=dataset.currency, first_month=dataset.first_month,
        latest_month=dataset.latest_month, as_of=dataset.as_of, files=dataset.files.copy(),
        warnings=list(dataset.warnings), company=None if dataset.company is None else dataset.company.copy(),
        customer_columns=tuple(customers.columns) if customers is not None else (),
        has_subscriptions=dataset.subscriptions is not None, has_customers=customers is not None,
        has_charges=dataset.charges is not None, has_events=dataset.events is not None)


def ledger_facts(dataset: Dataset, month: pd.Period, columns: list[str]) -> LedgerFacts:
    """The ledger's figures of ``month`` (see :class:`saas_kit.facts.model.LedgerFacts`),
    computed from the points where each customer's MRR changes (``dataset.mrr_points()``;
    the frames equal those of the functions of the customer-month frame model.py names)."""
    points = dataset.mrr_points()
    lo, hi = (points.first_month if points is not None else 0), month_number(month)
    ids = points.uniques if points is not None else pd.Index([])
    present = customers_with_points(points) if points is not None else None
    groupings = {column: attribute_groups(ids, dataset.customers, column, present) for column in columns}
    whole_bridge, segment_bridges = bridges_from_points(points, lo, hi, groupings)  # one pass for both
    bridge = monthly_rates(whole_bridge)
    ttm, segment_ttms = retentions_from_points(points, 12, groupings)
    total = mrr_by_month_from_points(points)
    split = recurring_beside_one_off(total, dataset.charges)
    segments = {column: SegmentFacts(column=column, bridge=segment_bridges[column], ttm=segment_ttms[column])
                for column in columns}
    cohorts_last = last_month_with_mrr_by(points, hi)
    return LedgerFacts(
        bridge=bridge, ttm=ttm, kpi_series=monthly_kpi_series(None, bridge, ttm), mrr_by_month=total,
        recurring_one_off=split[split["month"] <= month].reset_index(drop=True),
        billing_periods=None if dataset.subscriptions is None else mrr_by_billing_period(dataset.subscriptions, month),
        one_off_by_kind=one_off_by_kind(dataset.charges, month - 11, month), segments=segments,
        cohorts=cohorts_from_points(points, hi),
        cohorts_last_month=None if cohorts_last is None else months_from_numbers(cohorts_last),
        movers=movers(dataset, month))


def segment_facts(points: ChangePoints | None, customers: pd.DataFrame, month: pd.Period,
                  column: str) -> SegmentFacts:
    """The bridge (every month up to ``month``) and the twelve-month retention per value of ``column``."""
    groups, group_of_customer = attribute_groups(points.uniques if points is not None else pd.Index([]), customers,
                                                 column, customers_with_points(points) if points is not None else None)
    lo = points.first_month if points is not None else 0
    return SegmentFacts(column=column,
                        bridge=bridge_from_points(points, lo, month_number(month), groups, group_of_customer, column),
                        ttm=retention_from_points(points, 12, groups, group_of_customer, column))


def plans_at(subscriptions: pd.DataFrame | None, month: pd.Period, customer_ids=None) -> pd.Series:
    """Each customer's plan: that of the last subscription started by the end of ``month``
    (``customer_ids``: of those customers only)."""
    if subscriptions is None or "plan" not in subscriptions.columns:
        return pd.Series(dtype="object")
    end = month.to_timestamp(how="end")
    started = pd.to_datetime(subscriptions["start_date"]) <= end
    if customer_ids is not None:
        started &= subscriptions["customer_id"].isin(customer_ids)
    started = subscriptions[started].sort_values("start_date", kind="stable")
    return started.groupby("customer_id", sort=False)["plan"].last().astype(str)


def movers(dataset: Dataset, month: pd.Period) -> pd.DataFrame:
    """Every customer whose MRR moved in ``month`` (metrics.md §3): ``movement``,
    ``customer_id``, ``name`` (customers.csv ``name``, else the id), ``segment``,
    ``plan``, ``mrr_before``, ``mrr_after``, ``change`` (after - before). Sorted by
    movement (:data:`MOVER_ORDER`) then by the size of the change, largest first, then id."""
    moves = month_movements(dataset.mrr_points(), month)
    ids = moves["customer_id"].astype(str)
    customers = pd.DataFrame() if dataset.customers is None else dataset.customers[
        dataset.customers["customer_id"].isin(ids.unique())].set_index("customer_id")  # the movers' rows only
    names = customers["name"].reindex(ids).astype("object") if "name" in customers.columns else pd.Series(
        [None] * len(ids), index=ids, dtype="object")
    segments = customers["segment"].reindex(ids) if "segment" in customers.columns else pd.Series(
        [""] * len(ids), index=ids)
    plans = plans_at(dataset.subscriptions, month, ids.unique()).reindex(ids)
    out = pd.DataFrame({
        "movement": moves["movement"].astype(str).to_numpy(), "customer_id": ids.to_numpy(),
        "name": [n if isinstance(n, str) and n.strip() else i for n, i in zip(names.to_numpy(), ids)],
        "segment": segments.fillna("").astype(str).to_numpy(), "plan": plans.fillna("").astype(str).to_numpy(),
        "mrr_before": moves["prev_mrr"].to_numpy(), "mrr_after": moves["mrr"].to_numpy(),
    })
    out["change"] = out["mrr_after"] - out["mrr_before"]
    order = {m: i for i, m in enumerate(MOVER_ORDER)}
    out["_order"] = out["movement"].map(order)
    out["_size"] = -out["change"].abs()
    return out.sort_values(["_order", "_size", "customer_id"], kind="stable").drop(
        columns=["_order", "_size"]).reset_index(drop=True)


def activation_parameters(chapter: dict[str, Any] | None) -> dict[str, Any]:
    """The activation chapter's parameters with the defaults filled in (lists, not tuples)."""
    params = {**ACTIVATION_DEFAULTS, **(chapter or {})}
    for key in ("funnel_steps", "search_thresholds", "search_windows"):
        params[key] = list(params[key])
    return params


def activation_facts(dataset: Dataset, month: pd.Period, kpi_rule: str,
                     chapter: dict[str, Any] | None = None) -> ActivationFacts:
    """The activation figures of ``month`` (metrics.md §7, seed 004; see
    :class:`saas_kit.facts.model.ActivationFacts` for each table): the overview's row
    for ``kpi_rule`` always; the chapter's tables when ``chapter`` (its parameters) is given.

    Population: :func:`saas_kit.activation.onboarding_scope` (customers who signed up
    while the event log was recording, their events before the end of the month)."""
    scope = activation.onboarding_scope(dataset, month)
    kpi = activation.ActivationRule.parse(kpi_rule)
    kpi_act = activation.evaluate_rule(scope.events, scope.customers, kpi, as_of=scope.as_of)
    kpi_by_cohort = activation.activation_rate_by_cohort(kpi_act, scope.customers)
    out = ActivationFacts(kpi_rule=str(kpi), kpi_by_cohort=kpi_by_cohort, events_start=scope.events_start,
                          customers=len(scope.customers))
    if chapter is None:
        return out
    params = activation_parameters(chapter)
    rule = activation.ActivationRule.parse(params["activation_rule"])
    if rule == kpi:
        act, by_cohort = kpi_act, kpi_by_cohort
    else:
        act = activation.evaluate_rule(scope.events, scope.customers, rule, as_of=scope.as_of)
        by_cohort = activation.activation_rate_by_cohort(act, scope.customers)
    days = params["retention_days"]
    paid = activation.paid_subscriptions(dataset)  # month-granular spans for a ready MRR table
    outcomes = activation.customer_outcomes(scope.customers, paid, scope.as_of, days)
    retention = activation.retention_by_activation(act, outcomes)
    search = activation.magic_moment_search(scope.events, outcomes, None, params["search_thresholds"],
                                            params["search_windows"])
    all_outcomes = activation.customer_outcomes(scope.all_customers, paid, scope.as_of, days)
    closed = act.loc[act["window_complete"].fillna(False).to_numpy(dtype=bool)]
    closed.attrs["rule"] = rule
    ttfv = activation.time_to_first_value(closed)
    window = pd.Timedelta(days=params["funnel_window_days"])
    funnel_customers = scope.customers.loc[scope.customers["signup_date"] + window <= scope.as_of]
    funnel = activation.onboarding_funnel(scope.events, funnel_customers, params["funnel_steps"],
                                          params["funnel_window_days"])
    out.parameters = params
    out.by_cohort = by_cohort
    out.retention, out.retention_summary = _without_attrs(retention), dict(retention.attrs["summary"])
    out.search = search
    out.early_churn = activation.early_churn_shares(all_outcomes, (30, 45, 90))
    out.ttfv, out.ttfv_summary = _without_attrs(ttfv), dict(ttfv.attrs["summary"])
    out.funnel = funnel
    return out


def _without_attrs(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without its ``attrs`` (they are facts of their own)."""
    frame = frame.copy()
    frame.attrs = {}
    return frame


__all__ = ["embedded_facts", "data_facts", "ledger_facts", "segment_facts", "movers", "activation_facts",
           "segment_columns", "activation_parameters"]
