"""``saas-kit import``: billing exports -> a canonical data folder (metrics.md §1, §8).

One module per export format, each a function ``(paths, mapping, result, amounts) ->
ImportResult`` that fills the canonical frames and records every row set aside;
:mod:`saas_kit.imports.summary` renders the summary and writes the folder
(``subscriptions.csv`` or ``mrr.csv``, ``charges.csv``/``customers.csv`` when the export
has them, ``dataset.yml`` and ``import-summary.txt``).
"""
from __future__ import annotations

from saas_kit.imports.chargebee import import_chargebee_subscriptions
from saas_kit.imports.invoice_lines import import_invoice_lines, import_stripe_invoice_lines
from saas_kit.imports.mrr_matrix import import_mrr_matrix
from saas_kit.imports.stripe_subscriptions import import_stripe_subscriptions
from saas_kit.imports.summary import ImportResult, write_folder

#: format -> (importer, one line for --help)
FORMATS = {
    "stripe-subscriptions": (import_stripe_subscriptions,
                             "Stripe subscriptions (API/Sigma columns or the dashboard export): a snapshot"),
    "stripe-invoice-lines": (import_stripe_invoice_lines,
                             "Stripe invoice line items (Sigma invoice_line_items + customer): the history"),
    "invoice-lines": (import_invoice_lines, "generic invoice lines (ChartMogul-like columns), any billing system"),
    "chargebee-subscriptions": (import_chargebee_subscriptions, "Chargebee subscription export: a snapshot"),
    "mrr-matrix": (import_mrr_matrix, "a spreadsheet with one row per customer and one column per month"),
}

__all__ = ["FORMATS", "ImportResult", "write_folder"]
