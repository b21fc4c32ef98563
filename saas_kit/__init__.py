"""saas_kit: exact SaaS metrics from billing exports.

MRR per customer and month, the MRR movement bridge, NRR / GRR (monthly and
twelve-month), churn, Quick Ratio, ARR and T2D3, churn compounding, onboarding
activation and benchmark bands, as pure functions on tidy pandas DataFrames. The
specification is metrics.md (in the project's shared folder); see README.md.
"""
from saas_kit.activation import (ActivationRule, activation_rate_by_cohort, customer_outcomes, early_churn_shares,
                                 evaluate_rule, magic_moment_search, onboarding_funnel, retention_by_activation)
from saas_kit.analysis import MonthAnalysis, build_analysis, load_analysis
from saas_kit.arr import arr_from_mrr, mrr_by_billing_period, mrr_from_arr
from saas_kit.bands import bands_table, place_in_band
from saas_kit.calendar import Month, month_label
from saas_kit.cohorts import cohort_table
from saas_kit.errors import DataError, DataWarning, ParameterError, SaasKitError
from saas_kit.formatting import format_money, format_percent, format_ratio
from saas_kit.kpis import headline_kpis
from saas_kit.loading import Dataset, load_dataset, load_subscriptions, parse_mapping
from saas_kit.movements import customer_movements, mrr_movements, reconciles, with_attribute
from saas_kit.mrr import monthly_mrr, mrr_by_month, mrr_from_table
from saas_kit.growth import t2d3_plan, yoy_growth
from saas_kit.compounding import cac, half_life, ltv, retention_after
from saas_kit.rates import (grr, logo_churn_rate, monthly_rates, net_revenue_churn_rate, new_arr_mix,
                            nrr, quick_ratio, segment_rates, trailing_retention)

__version__ = "0.1.0"

__all__ = [
    "ActivationRule", "MonthAnalysis", "build_analysis", "load_analysis", "mrr_by_billing_period", "mrr_from_arr",
    "Month", "month_label", "activation_rate_by_cohort", "customer_outcomes", "early_churn_shares", "evaluate_rule",
    "magic_moment_search", "onboarding_funnel", "retention_by_activation", "bands_table", "place_in_band",
    "cohort_table", "format_money", "format_percent", "format_ratio", "headline_kpis",
    "DataError", "DataWarning", "ParameterError", "SaasKitError", "Dataset", "load_dataset", "load_subscriptions",
    "parse_mapping", "customer_movements", "mrr_movements", "reconciles", "with_attribute", "monthly_mrr",
    "mrr_by_month", "arr_from_mrr", "t2d3_plan", "yoy_growth", "cac", "half_life", "ltv", "retention_after", "mrr_from_table", "grr", "logo_churn_rate", "monthly_rates",
    "net_revenue_churn_rate", "new_arr_mix", "nrr", "quick_ratio", "segment_rates", "trailing_retention",
]
