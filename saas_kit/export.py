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
:func:`write_downloads`), all read from the run's month analysis
(:mod:`saas_kit.analysis`): the MRR bridge per month, the headline KPIs of the report
month and, when customers have a segment, the rates per segment.
"""
from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

import pandas as pd

from saas_kit.csv_cells import FORMULA_PREFIXES, safe_cell  # noqa: F401 - re-exported: the downloads use them

ENCODING = "utf-8-sig"  # UTF-8 with a byte-order mark


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


def bridge_table(analysis) -> pd.DataFrame:
    """The MRR bridge with its rates, one row per month up to the report month (the
    analysis' ``basis.bridge``: :func:`saas_kit.rates.monthly_rates`), months as text."""
    table = analysis.basis.bridge.copy()
    table["month"] = table["month"].astype(str)
    return table


def kpis_table(analysis) -> pd.DataFrame:
    """The overview's headline KPIs (``analysis.kpis``, activation included when the data
    have events) as numbers: ``key``, ``metric``, ``unit`` (the currency for money,
    ``ratio`` for rates and ratios: 1.05 = 105%), ``value``, ``previous_month``,
    ``year_ago``, ``band``. The formatted texts are left out: a spreadsheet wants numbers."""
    from saas_kit.kpis import KPIS

    table = analysis.kpis.copy()
    kinds = {spec.key: spec.kind for spec in KPIS}
    currency = analysis.basis.currency
    table.insert(2, "unit", [currency if kinds.get(k) in ("money", "flow") else "ratio" for k in table["key"]])
    return table[["key", "metric", "unit", "value", "previous_month", "year_ago", "band"]].reset_index(drop=True)


def segments_table(analysis, column: str = "segment") -> pd.DataFrame:
    """Rates per customer ``column`` (default ``segment``) for the report month, as on
    the NRR page (:func:`saas_kit.pages.nrr.segment_retention`): customers, MRR, monthly
    NRR/GRR/logo and revenue churn and twelve-month NRR/GRR. Empty (header only) when
    customers have no such column."""
    from saas_kit.pages.nrr import segment_retention

    columns = [column, "customers", "mrr", "nrr", "grr", "logo_churn", "revenue_churn", "net_revenue_churn",
               "nrr_ttm", "grr_ttm", "base_customers_ttm", "retained_customers_ttm"]
    segments = segment_retention(analysis.basis, column)
    if segments is None:
        return pd.DataFrame(columns=columns)
    out, ttm = segments[0].copy(), segments[1]
    out["nrr_ttm"] = ttm["nrr_ttm"]
    out["grr_ttm"] = ttm["grr_ttm"]
    out["base_customers_ttm"] = ttm["base_customers"]
    out["retained_customers_ttm"] = ttm["retained_customers"]
    out = out.reset_index()
    out[column] = out[column].astype(str)
    return out[columns]


def who_moved_download(analysis) -> pd.DataFrame:
    """Every customer whose MRR moved in the report month, as on the overview's "who
    moved" list but complete (:func:`saas_kit.pages.overview.who_moved`): ``movement``,
    ``customer_id``, ``name``, ``segment``, ``plan``, ``mrr_before``, ``mrr_after``,
    ``change`` (money in the data's currency, as numbers)."""
    from saas_kit.pages.overview import who_moved

    return who_moved(analysis.basis)


def write_downloads(analysis, folder: str | Path) -> list[Path]:
    """Write ``mrr_bridge.csv``, ``kpis.csv``, ``segments.csv`` and ``who_moved.csv`` of a
    :class:`saas_kit.analysis.MonthAnalysis` (see the three functions above) into
    ``folder`` (created if needed); returns their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_csv(bridge_table(analysis), folder / "mrr_bridge.csv"),
        write_csv(kpis_table(analysis), folder / "kpis.csv"),
        write_csv(segments_table(analysis), folder / "segments.csv"),
        write_csv(who_moved_download(analysis), folder / "who_moved.csv"),
    ]
