"""CSV downloads of the report, safe to open in Excel (issue 5, "Security of the published report").

A spreadsheet treats a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in
some versions, a tab or carriage return) as a formula: a plan name such as
``=HYPERLINK("http://x", "click")`` exported as is would run when the file is opened
(CSV or formula injection, OWASP). :func:`safe_cell` prefixes such *text* cells with a
single quote, the OWASP recommendation; real numbers are written as numbers, so a
negative amount stays ``-1200.5`` and still sums in the spreadsheet.

Files are UTF-8 with a byte-order mark (Excel then reads Japanese text correctly) and
written atomically (a temporary file in the same folder renamed over the target), so a
reader never sees half a file.

``saas-kit report`` writes three files into each month's ``downloads/`` folder (see
:func:`write_downloads`): the MRR bridge per month, the headline KPIs of the report
month and, when customers have a segment, the rates per segment.
"""
from __future__ import annotations

import csv
import datetime as _dt
import math
import numbers
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

#: Leading characters that make a spreadsheet read a text cell as a formula (OWASP's
#: list, plus the full-width forms a Japanese input method produces).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
ENCODING = "utf-8-sig"  # UTF-8 with a byte-order mark
DOWNLOADS = ("mrr_bridge.csv", "kpis.csv", "segments.csv")


def safe_cell(value: object) -> str:
    """One CSV cell as text, safe against formula injection.

    Numbers (int, float, numpy numbers; not bool) are written as numbers: ``repr`` of
    the float, so the value reads back exactly; NaN, None and NaT are an empty cell.
    Everything else is text; text starting with one of :data:`FORMULA_PREFIXES` gets a
    leading ``'`` (so ``"-2+3"`` becomes ``"'-2+3"`` while the number ``-2.5`` stays
    ``"-2.5"``). Periods and timestamps are written as ``2026-10`` / ISO dates.
    """
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        x = float(value)
        if math.isnan(x):
            return ""
        if math.isinf(x):
            return "inf" if x > 0 else "'-inf"
        return repr(x)
    if isinstance(value, pd.Timestamp):
        text = value.isoformat() if (value.hour or value.minute or value.second or value.microsecond) \
            else value.strftime("%Y-%m-%d")
    elif isinstance(value, (_dt.datetime, _dt.date)):
        text = value.isoformat()
    else:
        try:
            if pd.isna(value):
                return ""
        except (TypeError, ValueError):  # list-like values: not missing
            pass
        text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` (its columns, not its index) to ``path`` as CSV: header row then
    one row per record, every cell through :func:`safe_cell` (the header too), UTF-8
    with BOM, ``\\r\\n`` line ends, fields quoted only when needed. Atomic: written to a
    temporary file next to ``path`` and renamed over it; on any error the temporary
    file is removed and ``path`` is left as it was. Returns ``path``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding=ENCODING, newline="") as f:
            writer = csv.writer(f, lineterminator="\r\n")
            writer.writerow([safe_cell(c) for c in frame.columns])
            for row in frame.itertuples(index=False, name=None):
                writer.writerow([safe_cell(v) for v in row])
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# --------------------------------------------------------------------- report tables


def bridge_table(dataset, month: pd.Period | str) -> pd.DataFrame:
    """The MRR bridge month by month up to ``month`` (metrics.md §3 and §4): the
    movements of :func:`saas_kit.movements.mrr_movements` with the rates of
    :func:`saas_kit.rates.monthly_rates`; ``month`` as ``YYYY-MM`` text."""
    from saas_kit.movements import mrr_movements
    from saas_kit.rates import monthly_rates

    month = pd.Period(month, freq="M")
    table = monthly_rates(mrr_movements(dataset.customer_mrr, last_month=month))
    table = table[table["month"] <= month].reset_index(drop=True)
    table["month"] = table["month"].astype(str)
    return table


def kpis_table(dataset, month: pd.Period | str) -> pd.DataFrame:
    """The headline KPIs of ``month`` (:func:`saas_kit.kpis.headline_kpis`) as numbers:
    ``key``, ``metric``, ``unit`` (the currency for money, ``ratio`` for rates and
    ratios: 1.05 = 105%), ``value``, ``previous_month``, ``year_ago``, ``band``. The
    formatted texts of the overview are left out: a spreadsheet wants numbers."""
    from saas_kit.kpis import KPIS, headline_kpis

    table = headline_kpis(dataset, month)
    kinds = {spec.key: spec.kind for spec in KPIS}
    table.insert(2, "unit", [dataset.currency if kinds.get(k) == "money" else "ratio" for k in table["key"]])
    return table[["key", "metric", "unit", "value", "previous_month", "year_ago", "band"]]


def segments_table(dataset, month: pd.Period | str, column: str = "segment") -> pd.DataFrame:
    """Rates per customer ``column`` (default ``segment``) for ``month``, as on the NRR
    page: customers, MRR, monthly NRR/GRR/logo and revenue churn
    (:func:`saas_kit.rates.segment_rates`, one month) and twelve-month NRR/GRR
    (:func:`saas_kit.rates.trailing_retention`). Empty (header only) when customers have
    no such column."""
    from saas_kit.movements import mrr_movements, with_attribute
    from saas_kit.rates import segment_rates, trailing_retention

    columns = [column, "customers", "mrr", "nrr", "grr", "logo_churn", "revenue_churn", "net_revenue_churn",
               "nrr_ttm", "grr_ttm", "base_customers_ttm", "retained_customers_ttm"]
    if dataset.customers is None or column not in dataset.customers.columns:
        return pd.DataFrame(columns=columns)
    month = pd.Period(month, freq="M")
    cm = with_attribute(dataset.customer_mrr, dataset.customers, column)
    cm = cm[cm["month"] <= month]
    rates = segment_rates(mrr_movements(cm, last_month=month, by=column), column, month, window=1)
    ttm = trailing_retention(cm, by=column)
    ttm = ttm[ttm["month"] == month].set_index(column)
    out = rates.set_index(column)
    out["nrr_ttm"] = ttm["nrr_ttm"].reindex(out.index)
    out["grr_ttm"] = ttm["grr_ttm"].reindex(out.index)
    out["base_customers_ttm"] = ttm["base_customers"].reindex(out.index)
    out["retained_customers_ttm"] = ttm["retained_customers"].reindex(out.index)
    out = out.reset_index()
    out[column] = out[column].astype(str)
    return out[columns]


def write_downloads(dataset, month: pd.Period | str, folder: str | Path) -> list[Path]:
    """Write ``mrr_bridge.csv``, ``kpis.csv`` and ``segments.csv`` (see the three
    functions above) into ``folder`` (created if needed); returns their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_csv(bridge_table(dataset, month), folder / "mrr_bridge.csv"),
        write_csv(kpis_table(dataset, month), folder / "kpis.csv"),
        write_csv(segments_table(dataset, month), folder / "segments.csv"),
    ]
