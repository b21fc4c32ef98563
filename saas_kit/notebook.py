"""What every report notebook does first: validate its parameters, load the data once,
fix the report month and the number style, and set up charts.

Keeps the notebooks thin: ``ctx = notebook.setup(data_dir, month, style, currency)``
then ``ctx.money(x)``, ``ctx.pct(x)``, ``ctx.glue_text(key, text)``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from saas_kit.errors import ParameterError
from saas_kit.formatting import format_money, format_percent, format_ratio
from saas_kit.loading import Dataset, load_dataset_cached

STYLES = ("en", "ja")


@dataclass
class ReportContext:
    """The loaded dataset, the report month and formatting in the chosen style."""

    dataset: Dataset
    month: pd.Period
    style: str
    currency: str

    @property
    def month_label(self) -> str:
        if self.style == "ja":
            return f"{self.month.year}年{self.month.month}月"
        return self.month.strftime("%B %Y")

    def money(self, value: float, precision: int = 1) -> str:
        return format_money(value, self.currency, self.style, precision)

    def pct(self, value: float, decimals: int = 1, signed: bool = False) -> str:
        return format_percent(value, decimals, signed)

    def ratio(self, value: float) -> str:
        return format_ratio(value)

    def glue_text(self, key: str, text: str) -> None:
        """Glue a piece of text for the summary pages (not displayed here)."""
        from myst_nb import glue

        glue(key, str(text), display=False)

    def glue_common(self) -> None:
        """Glue ``report_month`` and ``report_month_label`` (every notebook does)."""
        self.glue_text("report_month", str(self.month))
        self.glue_text("report_month_label", self.month_label)


def setup(data_dir: str | Path, month: str | None = None, style: str = "en", currency: str | None = None,
          mapping: dict[str, str] | None = None) -> ReportContext:
    """Validate the common notebook parameters and load the data.

    ``month`` "" or None = the latest month in the data; ``style`` 'en' or 'ja';
    ``currency`` None or "" = the data's own. Raises ParameterError / DataError with a
    clear message on bad values.
    """
    if not isinstance(data_dir, (str, Path)) or not str(data_dir).strip():
        raise ParameterError(f"data_dir must be a folder path, got {data_dir!r}")
    if style not in STYLES:
        raise ParameterError(f"style must be one of {', '.join(STYLES)}, got {style!r}")
    if month is not None and not isinstance(month, str):
        raise ParameterError(f"month must be text like '2026-10', got {month!r}")
    if currency not in (None, "") and (not isinstance(currency, str) or len(currency.strip()) != 3):
        raise ParameterError(f"currency must be a three-letter code such as JPY, got {currency!r}")
    dataset = load_dataset_cached(data_dir, mapping, currency.strip().upper() if currency else None)
    report_month = dataset.check_month(month or None)
    from saas_kit import charts

    charts.use_report_style()
    return ReportContext(dataset=dataset, month=report_month, style=style, currency=dataset.currency)
