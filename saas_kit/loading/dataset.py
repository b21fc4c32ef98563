"""The :class:`Dataset`: everything read from a data folder, validated (metrics.md §1, §2)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from saas_kit.errors import DataError, DataWarning, ParameterError
from saas_kit.loading.schema import CURRENCY_HINT, parse_month_parameter


@dataclass
class Dataset:
    """Everything read from a data directory, validated.

    ``customer_mrr`` is the customer-month MRR frame (from subscriptions or from a
    ready ``mrr`` table); ``files`` lists what was read (file, kind, rows, columns,
    period); ``warnings`` the usable-but-suspicious findings.
    """

    directory: Path
    currency: str | None
    customer_mrr: pd.DataFrame
    subscriptions: pd.DataFrame | None = None
    customers: pd.DataFrame | None = None
    charges: pd.DataFrame | None = None
    events: pd.DataFrame | None = None
    company: pd.DataFrame | None = None
    files: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: list[DataWarning] = field(default_factory=list)
    #: when the export was taken (metrics.md §2); None only for hand-built datasets
    as_of: pd.Timestamp | None = None
    #: the last complete month before ``as_of`` (the last month any output shows)
    last_month: pd.Period | None = None
    #: the keys of the folder's dataset.yml ({} without one)
    metadata: dict = field(default_factory=dict)

    @property
    def first_month(self) -> pd.Period:
        return self.customer_mrr["month"].min()

    @property
    def latest_month(self) -> pd.Period:
        """The last month reported: the last complete month before the as-of date (a
        churn in it shows even when no row mentions that month), else the latest month
        with MRR."""
        if self.last_month is not None:
            return self.last_month
        return self.customer_mrr["month"].max()

    def require_currency(self) -> str:
        """The dataset's currency, or a DataError saying how to give one (metrics.md §8:
        a currency is never silently assumed)."""
        if not self.currency:
            raise DataError(f"the data has no currency: {CURRENCY_HINT}", file=str(self.directory))
        return self.currency

    def warnings_table(self, lang: str = "en") -> pd.DataFrame:
        """The warnings as the data page's table (:func:`saas_kit.loading.data_warnings.warnings_table`)."""
        from saas_kit.loading.data_warnings import warnings_table

        return warnings_table(self.warnings, lang)

    def check_month(self, month: str | pd.Period | None) -> pd.Period:
        """Validate a report month (``YYYY-MM``) against the data; None or "" = latest."""
        return check_report_month(month, self.first_month, self.latest_month, self.as_of)


def check_report_month(month: str | pd.Period | None, first: pd.Period, latest: pd.Period,
                       as_of: pd.Timestamp | None) -> pd.Period:
    """A report month inside the data's months ``first..latest`` (None or "" = ``latest``,
    the last complete month before the as-of date, metrics.md §2). A later month is
    refused as not yet complete, an earlier one as outside the data. Shared by both
    engines' datasets."""
    if month is None or (isinstance(month, str) and not month.strip()):
        return latest
    p = parse_month_parameter(month)
    if as_of is not None and p > latest and p >= first:
        raise ParameterError(
            f"report month {p} is not complete at the as-of date {as_of.date()} (a month counts once its "
            f"last day is before the as-of date; the last complete month is {latest}; "
            f"give a later date with --as-of YYYY-MM-DD)")
    if p < first or p > latest:
        raise ParameterError(f"report month {p} is outside the data, which covers {first} to {latest}")
    return p
