"""saas_kit: exact SaaS metrics from billing exports.

MRR per customer and month, the MRR movement bridge, NRR / GRR (monthly and
twelve-month), churn, Quick Ratio, ARR and T2D3, churn compounding, onboarding
activation and benchmark bands, as pure functions on tidy pandas DataFrames. The
specification is metrics.md (in the project's shared folder); see README.md.
"""
import importlib

# name -> module: imported on first use (PEP 562), so that `saas-kit movements` does not
# pay for the report's modules (activation, kpis, charts) at start-up.
_EXPORTS = {
    "saas_kit.activation": ("ActivationRule", "activation_rate_by_cohort", "customer_outcomes", "early_churn_shares",
                            "evaluate_rule", "magic_moment_search", "onboarding_funnel", "retention_by_activation"),
    "saas_kit.analysis": ("MonthAnalysis", "build_analysis", "load_analysis"),
    "saas_kit.arr": ("arr_from_mrr", "mrr_by_billing_period", "mrr_from_arr"),
    "saas_kit.bands": ("bands_table", "place_in_band"),
    "saas_kit.calendar": ("Month", "month_label"),
    "saas_kit.cohorts": ("cohort_table",),
    "saas_kit.errors": ("DataError", "DataWarning", "ParameterError", "SaasKitError"),
    "saas_kit.formatting": ("format_money", "format_percent", "format_ratio"),
    "saas_kit.kpis": ("headline_kpis",),
    "saas_kit.loading": ("Dataset", "load_dataset", "load_subscriptions", "parse_mapping"),
    "saas_kit.movements": ("customer_movements", "mrr_movements", "reconciles", "with_attribute"),
    "saas_kit.mrr": ("monthly_mrr", "mrr_by_month", "mrr_from_table"),
    "saas_kit.growth": ("t2d3_plan", "yoy_growth"),
    "saas_kit.compounding": ("cac", "half_life", "ltv", "retention_after"),
    "saas_kit.rates": ("grr", "logo_churn_rate", "monthly_rates", "net_revenue_churn_rate", "new_arr_mix", "nrr",
                       "quick_ratio", "segment_rates", "trailing_retention"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}


def __getattr__(name: str):
    if name in _MODULE_OF:
        value = getattr(importlib.import_module(_MODULE_OF[name]), name)
        globals()[name] = value
        return value
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_MODULE_OF))


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
