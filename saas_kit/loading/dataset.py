"""The :class:`Dataset`: everything read from a data folder, validated (metrics.md §1, §2)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from saas_kit.calendar import months_from_numbers
from saas_kit.errors import DataError, DataWarning, ParameterError
from saas_kit.loading.schema import CURRENCY_HINT, parse_month_parameter
from saas_kit.mrr import ChangePoints, customer_months_from_points
from saas_kit.mrr_steps import last_month_with_mrr
from saas_kit.rows import points_from_rows, sorted_rows


class CustomerMonths:
    """The ``customer_mrr`` field of :class:`Dataset`: the frame it was given, or, given
    None, the frame built from :attr:`Dataset.points` the first time it is read (the
    loader gives the points only: the month analysis never needs the frame, which at a
    million customers holds 16 million rows)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = "_" + name

    def __get__(self, dataset: "Dataset | None", owner: type | None = None) -> pd.DataFrame | None:
        if dataset is None:
            return None  # the field's default
        frame = dataset.__dict__.get(self.slot)
        if frame is None and dataset.__dict__.get("points") is not None:
            frame = customer_months_from_points(dataset.points)
            if dataset.last_month is not None:
                frame.attrs["through"] = dataset.last_month
            dataset.__dict__[self.slot] = dataset.__dict__["_built_from_points"] = frame
        return frame

    def __set__(self, dataset: "Dataset", frame: pd.DataFrame | None) -> None:
        dataset.__dict__[self.slot] = frame


@dataclass
class Dataset:
    """Everything read from a data directory, validated.

    ``customer_mrr`` is the customer-month MRR frame (from subscriptions or from a
    ready ``mrr`` table; built on first use when the loader gave only ``points``);
    ``files`` lists what was read (file, kind, rows, columns, period); ``warnings`` the
    usable-but-suspicious findings.
    """

    directory: Path
    currency: str | None
    customer_mrr: pd.DataFrame = CustomerMonths()
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
    #: the points where each customer's MRR changes (:mod:`saas_kit.mrr_steps`; customer
    #: ids sorted), which the loader computes from the subscriptions; see :meth:`mrr_points`
    points: ChangePoints | None = field(default=None, repr=False)

    def mrr_points(self) -> ChangePoints | None:
        """The points where each customer's MRR changes (None without any MRR): the
        loader's while ``customer_mrr`` is (or will be) built from them, else those of
        ``customer_mrr`` (computed once per frame)."""
        frame = self.__dict__.get("_customer_mrr")
        if self.points is not None and (frame is None or frame is self.__dict__.get("_built_from_points")):
            return self.points
        cached = self.__dict__.get("_points_of")
        if cached is None or cached[0] is not frame:
            positive = frame[frame["mrr"] > 0]
            cached = (frame, points_from_rows(sorted_rows(positive)) if len(positive) else None)
            self.__dict__["_points_of"] = cached
        return cached[1]

    def _frame_built(self) -> bool:
        return self.__dict__.get("_customer_mrr") is not None

    @property
    def first_month(self) -> pd.Period:
        if not self._frame_built() and self.points is not None:
            return months_from_numbers(self.points.first_month)
        return self.customer_mrr["month"].min()

    @property
    def latest_month(self) -> pd.Period:
        """The last month reported: the last complete month before the as-of date (a
        churn in it shows even when no row mentions that month), else the latest month
        with MRR."""
        if self.last_month is not None:
            return self.last_month
        if not self._frame_built() and self.points is not None:
            return months_from_numbers(last_month_with_mrr(self.points))
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
