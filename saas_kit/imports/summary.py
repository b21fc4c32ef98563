"""The import's result, its summary and the writer of the canonical data folder (metrics.md §8).

Every importer returns an :class:`ImportResult`: the canonical frames (``subscriptions``
or ``mrr``, and ``charges``/``customers`` when the export has them), the rows read and
kept, and every row set aside with its reason and amount. Nothing is dropped without
being listed. :func:`write_folder` writes the files, ``dataset.yml`` and
``import-summary.txt`` into a temporary folder, checks that the folder loads
(saas_kit.loading), and only then moves them into place: no half-written output.
"""
from __future__ import annotations

import datetime as _dt
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from saas_kit.errors import DataError, ParameterError
from saas_kit.metadata import METADATA_FILE, write_metadata
from saas_kit.money import ticks_to_text

SUMMARY_FILE = "import-summary.txt"
CANONICAL_FILES = ("subscriptions.csv", "mrr.csv", "charges.csv", "customers.csv", METADATA_FILE, SUMMARY_FILE)
#: what an import on Spark writes instead of the CSV files (Parquet folders); either
#: import replaces the other's files
SPARK_FILES = ("mrr.parquet", "charges.parquet")
WRITTEN_FILES = CANONICAL_FILES + SPARK_FILES


@dataclass
class SetAside:
    """Rows not counted as MRR, for one reason: how many, their amount (ticks; MRR for
    snapshot rows, the line amount for invoice lines, the cell sum for a matrix), and
    where they are (``file: rows``), plus ``where`` they went (e.g. charges.csv)."""

    reason: str
    rows: int
    ticks: int
    measure: str
    locations: list[str] = field(default_factory=list)
    went_to: str = "not counted"
    #: False for a part of kept rows (their tax): not counted again among the rows set aside
    whole_rows: bool = True


@dataclass
class ImportResult:
    format: str
    files: list[str]
    currency: str
    as_of: pd.Timestamp
    as_of_source: str
    rows_read: int
    rows_kept: int
    frames: dict[str, pd.DataFrame]
    set_aside: list[SetAside] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: file written -> rows, when the frames are not pandas (the Spark import's Parquet)
    outputs: dict[str, int] = field(default_factory=dict)

    def add(self, reason: str, mask: pd.Series, frame: pd.DataFrame, ticks: pd.Series | int, measure: str,
            went_to: str = "not counted", whole_rows: bool = True) -> None:
        """Record the rows of ``frame`` where ``mask`` holds as set aside for ``reason``."""
        if not mask.any():
            return
        total = int(ticks[mask].sum()) if isinstance(ticks, pd.Series) else int(ticks)
        places = frame.loc[mask].groupby("_file", sort=False)["_row"].apply(list)
        locations = [f"{name}: rows {_rows(rows)}" for name, rows in places.items()]
        self.set_aside.append(SetAside(reason, int(mask.sum()), total, measure, locations, went_to, whole_rows))

    def render(self) -> str:
        """The summary as plain text (printed and written to import-summary.txt)."""
        lines = [f"saas-kit import {self.format}: {', '.join(self.files)}",
                 f"as of {self.as_of.date()} ({self.as_of_source}); currency {self.currency}",
                 f"rows read: {self.rows_read}",
                 f"rows kept: {self.rows_kept}"]
        written = self.outputs or {f"{kind}.csv": len(frame) for kind, frame in self.frames.items()}
        for name, rows in written.items():
            lines.append(f"  -> {name}: {rows} rows")
        lines.append(f"rows set aside: {sum(s.rows for s in self.set_aside if s.whole_rows)}")
        for s in self.set_aside:
            amount = ticks_to_text(s.ticks, 2)
            lines.append(f"  {s.reason}: {s.rows} rows, {s.measure} {amount} {self.currency} ({s.went_to})")
            lines.extend(f"      {where}" for where in s.locations[:5])
        if self.notes:
            lines.append("notes:")
            lines.extend(f"  - {note}" for note in self.notes)
        return "\n".join(lines) + "\n"


def _rows(rows: list[int]) -> str:
    shown = ", ".join(map(str, rows[:12]))
    return shown + (f" and {len(rows) - 12} more" if len(rows) > 12 else "")


def remove(path: Path) -> None:
    """A file, or a folder of Parquet parts."""
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


def clash_error(out, clash: list[str]) -> ParameterError:
    """The folder holds files of an earlier import and --force was not given."""
    return ParameterError(f"{out} already holds {', '.join(clash)}: choose a new folder or pass --force to replace "
                          "them")


def check_out_folder(out: Path, force: bool) -> None:
    """The output folder may exist, but files an import writes are replaced only with --force."""
    if out.exists() and not out.is_dir():
        raise ParameterError(f"--out {out} is a file, not a folder")
    if out.is_dir() and not force:
        clash = [name for name in WRITTEN_FILES if (out / name).exists()]
        if clash:
            raise clash_error(out, clash)


def write_folder(result: ImportResult, out: str | Path, force: bool = False) -> Path:
    """Write the canonical CSV files, dataset.yml and import-summary.txt into ``out``
    (all or nothing), after checking that they load. Returns ``out``."""
    from saas_kit.loading import load_dataset

    out = Path(out)
    check_out_folder(out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.import-", dir=out.parent))
    try:
        for kind, frame in result.frames.items():
            frame.to_csv(tmp / f"{kind}.csv", index=False, encoding="utf-8", lineterminator="\n")
        write_metadata(tmp, as_of=result.as_of, currency=result.currency,
                       source={"format": result.format, "files": list(result.files)},
                       imported_at=_dt.datetime.now(_dt.timezone.utc).replace(microsecond=0))
        (tmp / SUMMARY_FILE).write_text(result.render(), encoding="utf-8")
        try:
            load_dataset(tmp)  # the folder must load as written
        except DataError as exc:
            raise DataError(f"nothing written: the imported rows do not make a data folder ({exc.reason})",
                            file=str(out)) from None
        out.mkdir(parents=True, exist_ok=True)
        for name in WRITTEN_FILES:
            if (out / name).exists() and not (tmp / name).exists():
                remove(out / name)  # a stale file of an earlier import would be read with the new ones
        for path in tmp.iterdir():
            os.replace(path, out / path.name)
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
