"""Load and validate the inputs of metrics.md §1 from CSV or Parquet.

Every problem that makes a number wrong raises :class:`~saas_kit.errors.DataError`
naming the file, the row and the column. Row numbers are those a spreadsheet shows:
for CSV the header is row 1 and the first record row 2 (blank lines and cells with
line breaks count as a spreadsheet counts them); for Parquet the first record is
row 1. Suspicious but usable data is kept unchanged and reported as
:class:`~saas_kit.errors.DataWarning` (listed on the report's data page).

Real exports rarely use our column names, so every loader takes a column mapping
``{"export name": "canonical name"}`` (on the command line ``--map OLD=NEW``).

Choices where metrics.md §1 is silent (for the methodology page):

- CSV must be comma-separated, UTF-8 (with or without BOM), Shift_JIS (cp932) or
  UTF-16 with BOM; a semicolon- or tab-separated file is rejected with a message.
- Dates are ``YYYY-MM-DD`` (also ``YYYY/M/D`` and ``2024年1月5日``), optionally with a
  time; a UTC offset is dropped, keeping the local wall-clock time as written.
- Dates must lie between 1990 and one year after today; an ``end_date`` from 2100 on
  (placeholders such as ``9999-12-31``) means "still active" and is reported as a warning.
- Amounts are plain numbers (``1200``, ``1200.50``); ``1,200`` and ``¥1,200`` are
  rejected rather than guessed; negative amounts and amounts above 10^12 are errors.
- MRR is computed up to the last complete month before the as-of date (metrics.md §2):
  the ``as_of`` argument, else ``dataset.yml``'s ``as_of`` (saas_kit.metadata), else today.
  Nothing dated after the as-of date counts; rows of a ready ``mrr`` table for later months,
  and charges and events dated after it, are set aside with a warning.
- The currency is never assumed: the ``currency`` column, ``dataset.yml`` or the
  ``currency`` argument; without any, :func:`load_dataset` raises (unless the caller only
  prints plain numbers and passes ``require_currency=False``).
- Internal columns (``_row``) cannot collide with a user's column: a user column of that
  name is renamed ``_row (column N)``. All-empty rows (a trailing Excel row of commas) are
  ignored. A row whose customer id is a total label (合計, 小計, 総計, Total, Subtotal,
  Grand total, Sum) is set aside with a warning naming it, never counted; so is a row of a
  ready ``mrr`` table whose customer's every value equals the sum of the other customers'
  that month.
"""

from __future__ import annotations

from saas_kit.loading.schema import (  # noqa: F401
    BILLING_PERIODS, CURRENCY_HINT, EARLIEST_DATE, FUTURE_TOLERANCE, INTERNAL_COLUMNS, KEEPS_EXTRA_COLUMNS,
    LATEST_DATE, MAX_AMOUNT, SCHEMAS, TOTAL_LABELS, parse_mapping, parse_month_parameter)
from saas_kit.loading.dataset import Dataset  # noqa: F401
from saas_kit.loading.read import check_required_columns, read_raw, read_table  # noqa: F401
from saas_kit.loading.parse import strip_text, currency_parameter, leading_zero_clashes, parse_amounts, parse_dates  # noqa: F401
from saas_kit.loading.validate import (  # noqa: F401
    overlap_warnings, is_total_label, validate_charges, validate_company, validate_customers, validate_events,
    validate_mrr_table, validate_subscriptions)
from saas_kit.loading.directory import find_file, load_dataset, load_subscriptions  # noqa: F401
from saas_kit.loading.snapshot import SNAPSHOT_ENV, load_dataset_cached, write_snapshot  # noqa: F401

__all__ = [
    "BILLING_PERIODS", "CURRENCY_HINT", "Dataset", "check_required_columns", "currency_parameter", "EARLIEST_DATE", "FUTURE_TOLERANCE", "INTERNAL_COLUMNS",
    "KEEPS_EXTRA_COLUMNS", "LATEST_DATE", "MAX_AMOUNT", "SCHEMAS", "SNAPSHOT_ENV", "TOTAL_LABELS", "find_file",
    "is_total_label", "leading_zero_clashes", "load_dataset", "load_dataset_cached", "load_subscriptions",
    "parse_amounts", "parse_dates", "parse_mapping", "parse_month_parameter", "read_raw", "read_table",
    "validate_charges", "validate_company", "validate_customers", "validate_events", "validate_mrr_table",
    "validate_subscriptions", "write_snapshot",
]
