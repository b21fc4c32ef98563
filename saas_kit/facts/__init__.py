"""The month's facts: every number the report's pages state, computed once by an engine
(issues 12 and 14), before any word is written.

:class:`MonthFacts` holds only monthly aggregates, per-segment and per-cohort sums and
short lists (plus the small description of the data): never a customer-month frame.
Two engines produce it, equal to the tick: the embedded engine
(:func:`saas_kit.facts.embedded.embedded_facts`, pandas/numpy in this process) and the
Spark engine (:func:`saas_kit.spark.facts.spark_facts`). The pages
(:mod:`saas_kit.pages`) turn one :class:`MonthFacts` into the words of each language,
so a report in several languages computes its figures once.
"""
from saas_kit.facts.model import ActivationFacts, DataFacts, LedgerFacts, MonthFacts, SegmentFacts

__all__ = ["ActivationFacts", "DataFacts", "LedgerFacts", "MonthFacts", "SegmentFacts"]
