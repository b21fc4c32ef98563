"""The facts of a month as CSV files (``saas-kit metrics DATA_DIR --tables OUT_DIR``,
issues 12 and 14): one file per table of :class:`~saas_kit.facts.model.LedgerFacts` and,
with ``--activation``, of the activation chapter (:class:`~saas_kit.facts.model.ActivationFacts`:
``activation_*.csv``), the same from both engines, so two runs compare with ``diff -r``.

Cells: money exact in currency units as ``saas-kit movements`` writes it (whole numbers
as such, fractions with up to 4 decimals: :func:`saas_kit.money.ticks_to_text`); counts
as integers; rates and other non-money numbers as ``repr`` floats (they read back
exactly), an undefined one as an empty cell; months as ``YYYY-MM``; text through
:func:`saas_kit.csv_cells.safe_cell` (no formula injection). UTF-8, ``\\n`` line ends.

Atomic: every file is written into a temporary folder beside ``folder``, which then
takes ``folder``'s place; on any error ``folder`` is left as it was (never half written).
"""
from __future__ import annotations

import csv
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from saas_kit.csv_cells import safe_cell
from saas_kit.errors import ParameterError
from saas_kit.facts.model import ActivationFacts, LedgerFacts, MonthFacts
from saas_kit.money import to_ticks, ticks_to_text

#: Columns holding money (written exact in currency units); every other float column is a rate or ratio.
MONEY_COLUMNS = frozenset({
    "opening_mrr", "new", "expansion", "reactivation", "contraction", "churn", "net_new_mrr", "closing_mrr",
    "arr", "new_arr", "expansion_arr", "reactivation_arr", "contraction_arr", "churn_arr", "net_new_arr",
    "mrr", "one_off", "billed_amount", "amount", "base_mrr", "retained_mrr", "retained_mrr_capped",
    "mrr_before", "mrr_after", "change",
})
#: The names a facts folder may hold (anything else in an existing ``folder`` stops the write).
TABLE_FILE = re.compile(r"^(bridge|ttm|mrr_by_month|recurring_one_off|billing_periods|one_off_by_kind|cohorts|movers"
                        r"|segment_(bridge|ttm)_.+|activation_[a-z_]+)\.csv$")


def ledger_tables(ledger: LedgerFacts) -> dict[str, pd.DataFrame]:
    """File name -> table of the ledger facts (``billing_periods.csv`` only with subscriptions)."""
    tables = {"bridge.csv": ledger.bridge, "ttm.csv": ledger.ttm,
              "mrr_by_month.csv": ledger.mrr_by_month.rename("mrr").rename_axis("month").reset_index(),
              "recurring_one_off.csv": ledger.recurring_one_off}
    if ledger.billing_periods is not None:
        tables["billing_periods.csv"] = ledger.billing_periods
    tables["one_off_by_kind.csv"] = ledger.one_off_by_kind
    for column, segment in ledger.segments.items():
        tables[f"segment_bridge_{column}.csv"] = segment.bridge
        tables[f"segment_ttm_{column}.csv"] = segment.ttm
    tables["cohorts.csv"] = ledger.cohorts
    tables["movers.csv"] = ledger.movers
    return tables


def activation_tables(act: ActivationFacts) -> dict[str, pd.DataFrame]:
    """File name -> table of the activation chapter's facts (empty when the chapter was not
    computed): the activation rate per signup cohort of the overview's rule and of the
    chapter's, retention by activation, the magic-moment search, early churn, time to first
    value, the onboarding funnel, and one table of the two summaries (``summary``, ``key``,
    ``value``) with the chapter's parameters and the scope (metrics.md §7, seed 004)."""
    if not act.parameters:
        return {}
    rows = [("scope", "events_start", act.events_start.date().isoformat()),
            ("scope", "customers", act.customers), ("kpi", "rule", act.kpi_rule)]
    rows += [("parameters", key, " ".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
             for key, v in act.parameters.items()]
    for name, summary in (("retention", act.retention_summary), ("ttfv", act.ttfv_summary)):
        rows += [(name, key, value) for key, value in (summary or {}).items()]
    summary = pd.DataFrame(rows, columns=["summary", "key", "value"], dtype=object)
    tables = {"activation_kpi_by_cohort.csv": act.kpi_by_cohort, "activation_by_cohort.csv": act.by_cohort,
              "activation_retention.csv": act.retention, "activation_search.csv": act.search,
              "activation_early_churn.csv": act.early_churn, "activation_ttfv.csv": act.ttfv,
              "activation_funnel.csv": act.funnel, "activation_summary.csv": summary}
    return {name: frame for name, frame in tables.items() if frame is not None}


def facts_tables(facts: MonthFacts) -> dict[str, pd.DataFrame]:
    """Every table :func:`write_facts_tables` writes: the ledger's, then the activation chapter's."""
    tables = ledger_tables(facts.ledger)
    if facts.activation is not None:
        tables.update(activation_tables(facts.activation))
    return tables


def column_cells(values: pd.Series, name: str) -> list[str]:
    """The cells of one column (see the module docstring)."""
    if isinstance(values.dtype, pd.PeriodDtype):
        return ["" if pd.isna(v) else str(v) for v in values]
    if name in MONEY_COLUMNS and pd.api.types.is_numeric_dtype(values.dtype):
        floats = values.to_numpy(dtype="float64", na_value=np.nan)
        missing = np.isnan(floats)
        ticks = to_ticks(np.where(missing, 0.0, floats))
        return ["" if m else ticks_to_text(int(t)) for t, m in zip(ticks, missing)]
    if pd.api.types.is_bool_dtype(values.dtype):
        return [safe_cell(bool(v)) if pd.notna(v) else "" for v in values]
    if pd.api.types.is_integer_dtype(values.dtype):
        return ["" if pd.isna(v) else str(int(v)) for v in values]
    if pd.api.types.is_float_dtype(values.dtype):
        return ["" if np.isnan(v) else repr(float(v)) for v in values.to_numpy(dtype="float64", na_value=np.nan)]
    return [str(v) if isinstance(v, pd.Period) else safe_cell(v) for v in values.to_numpy(dtype=object)]


def table_text(frame: pd.DataFrame) -> list[list[str]]:
    """Header and rows of ``frame`` as CSV cells."""
    columns = [column_cells(frame[c], str(c)) for c in frame.columns]
    return [[safe_cell(str(c)) for c in frame.columns], *map(list, zip(*columns))]


def write_facts_tables(facts: MonthFacts, folder: str | Path) -> list[Path]:
    """Write the facts of ``facts`` into ``folder`` as CSV files (:func:`facts_tables`),
    atomically: all files or none. ``folder`` may exist when it holds only such files (an
    earlier run's): it is then replaced as a whole. Returns the paths written, in order."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ParameterError(f"--tables {folder}: a file is in the way (give a folder)")
    if folder.is_dir() and (others := sorted(p.name for p in folder.iterdir() if not TABLE_FILE.match(p.name))):
        raise ParameterError(f"--tables {folder}: the folder holds other files ({', '.join(others[:5])}); "
                             "give a new or empty folder, or one an earlier --tables run wrote")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tables = facts_tables(facts)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    try:
        for name, frame in tables.items():
            with open(staging / name, "w", encoding="utf-8", newline="") as f:
                csv.writer(f, lineterminator="\n").writerows(table_text(frame))
            os.chmod(staging / name, 0o644)
        os.chmod(staging, 0o755)
        _swap_into_place(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [folder / name for name in tables]


def _swap_into_place(staging: Path, folder: Path) -> None:
    """Rename ``staging`` to ``folder``; an existing ``folder`` is moved aside first and removed after."""
    if not folder.exists():
        os.replace(staging, folder)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".old", dir=folder.parent))
    os.replace(folder, old / folder.name)
    try:
        os.replace(staging, folder)
    except BaseException:
        os.replace(old / folder.name, folder)  # put the earlier tables back
        shutil.rmtree(old, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)


def read_facts_table(path: str | Path) -> pd.DataFrame:
    """A table written by :func:`write_facts_tables`, read back as text cells (no type guessing),
    for comparisons of two folders."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)
