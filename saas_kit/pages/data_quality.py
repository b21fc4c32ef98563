"""Facts of the data page (notebooks/00_data_quality.ipynb): the files read, their
rows and period, the parameters of the run and every validation warning (issue 3)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from saas_kit.formatting import format_count
from saas_kit.pages.base import MonthBasis, Page


#: How the number style reads on the page (not its code).
STYLE_NAMES = {"en": "English (¥1.2M)", "ja": "Japanese (1億2,000万円)"}


def warnings_summary(count: int) -> str:
    """``No warnings``, ``1 warning``, ``12 warnings``."""
    return "No warnings" if count == 0 else f"{format_count(count)} warning{'s' if count != 1 else ''}"


def data_quality_page(basis: MonthBasis) -> Page:
    """Every figure of the data page. The data folder is named, never its full path
    (a path of the machine that ran the report must not be published)."""
    ds, fmt = basis.dataset, basis.fmt
    page = Page("00_data_quality", fmt, basis.month)
    folder = Path(ds.directory).resolve().name
    files = ds.files
    warnings_table = ds.warnings_table()
    page.texts.update(basis.common_texts())
    page.texts.update({
        "data_period": f"{ds.first_month} to {ds.latest_month}",
        "data_files_count": format_count(len(files)),
        "data_warnings_count": format_count(len(warnings_table)),
        "data_folder": folder,
        "data_currency": ds.currency,
        "data_warnings_summary": warnings_summary(len(warnings_table)),
    })
    page.tables["files"] = pd.DataFrame({
        "file": files["file"], "kind": files["kind"], "rows": [format_count(n) for n in files["rows"]],
        "period": files["period"].replace("", "—"), "columns used": files["columns"],
    }).set_index("file")
    requested = basis.requested_currency
    page.tables["parameters"] = pd.DataFrame({
        "parameter": ["data folder", "report month", "number style", "currency requested", "currency used"],
        "value": [folder, f"{basis.month} ({basis.month_label})", STYLE_NAMES.get(basis.style, basis.style),
                  requested.strip().upper() if requested else "(the data's own)", basis.currency],
    }).set_index("parameter")
    if warnings_table.empty:
        # the sentence above the table already says "No warnings": say what that covers, once
        page.tables["warnings"] = "Every file passed every check."
    else:
        shown = warnings_table.rename(columns={"kind": "check", "rows": "rows affected"})
        shown["column"] = shown["column"].replace("", "—")
        shown["rows affected"] = [format_count(n) if n else "—" for n in shown["rows affected"]]
        shown.index = pd.RangeIndex(1, len(shown) + 1, name="#")
        page.tables["warnings"] = shown
    return page
