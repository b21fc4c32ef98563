"""Facts of the data page (notebooks/00_data_quality.ipynb): the files read, their
rows and period, the parameters of the run and every validation warning (issue 3)."""
from __future__ import annotations

import pandas as pd

from saas_kit.formatting import Formatter, format_count
from saas_kit.loading.data_warnings import warnings_table as data_warnings_table
from saas_kit.pages.base import MonthBasis, Page

#: The data page's parameters table: row -> message key of its name.
PARAMETER_ROWS = ("folder", "month", "style", "currency_requested", "currency_used")


def warnings_summary(count: int, fmt: Formatter | None = None) -> str:
    """``No warnings``, ``1 warning``, ``12 warnings`` (``警告はありません``, ``警告12件``)."""
    fmt = fmt or Formatter()
    if count == 0:
        return fmt.msg("data.no_warnings")
    return fmt.msg("data.one_warning") if count == 1 else fmt.msg("data.warnings_count", count=format_count(count))


def _period(first: str, last: str, fmt: Formatter) -> str:
    """``2019-11 to 2026-10`` / ``2019年11月〜2026年10月``; "—" without dates."""
    if not first or first in ("NaT", "None", "nan"):
        return "—"
    return fmt.msg("data.period", first=fmt.month_short(first), last=fmt.month_short(last))


def data_quality_page(basis: MonthBasis) -> Page:
    """Every figure of the data page. The data folder is named, never its full path
    (a path of the machine that ran the report must not be published)."""
    data, fmt = basis.facts.data, basis.fmt
    m = fmt.msg
    page = Page("00_data_quality", fmt, basis.month)
    folder = data.folder
    files = data.files
    warnings_table = data_warnings_table(data.warnings, fmt.lang)
    page.texts.update(basis.common_texts())
    page.texts.update({
        "data_period": _period(str(data.first_month), str(data.latest_month), fmt),
        "data_files_count": format_count(len(files)),
        "data_warnings_count": format_count(len(warnings_table)),
        "data_folder": folder,
        "data_currency": data.currency,
        "data_warnings_summary": warnings_summary(len(warnings_table), fmt),
    })
    if "first" in files.columns:
        periods = [_period(a, b, fmt) for a, b in zip(files["first"], files["last"])]
    else:  # a dataset read by other means: its English period
        periods = list(files["period"].replace("", "—"))
    page.tables["files"] = pd.DataFrame({
        m("data.col.file"): files["file"], m("data.col.kind"): [m(f"data.kind.{k}") for k in files["kind"]],
        m("data.col.rows"): [format_count(n) for n in files["rows"]],
        m("data.col.period"): periods,
        m("data.col.columns_used"): files["columns"],
    }).set_index(m("data.col.file"))
    requested = basis.requested_currency
    page.tables["parameters"] = pd.DataFrame({
        m("data.col.parameter"): [m(f"data.parameter.{k}") for k in PARAMETER_ROWS],
        m("data.col.value"): [folder, m("data.month_value", month=str(basis.month), label=basis.month_label),
                              m(f"data.style.{basis.style}"),
                              requested.strip().upper() if requested else m("data.currency_own"), basis.currency],
    }).set_index(m("data.col.parameter"))
    if warnings_table.empty:
        # the sentence above the table already says "No warnings": say what that covers, once
        page.tables["warnings"] = m("data.all_passed")
    else:
        shown = warnings_table.rename(columns={c: m(f"data.col.warning_{c.replace(' ', '_')}")
                                               for c in warnings_table.columns})
        column, rows = m("data.col.warning_column"), m("data.col.warning_rows")
        shown[column] = shown[column].replace("", "—")
        shown[rows] = [format_count(n) if n else "—" for n in shown[rows]]
        shown.index = pd.RangeIndex(1, len(shown) + 1, name="#")
        page.tables["warnings"] = shown
    return page
