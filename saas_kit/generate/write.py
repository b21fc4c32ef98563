"""Writing the frames (CSV or Parquet, all or nothing, with dataset.yml) and the
``saas-kit generate`` command line."""
from __future__ import annotations

import argparse
import datetime
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from saas_kit.errors import ParameterError

from saas_kit.generate.model import DEFAULT_EVENT_CUSTOMER_CAP, FRAME_NAMES
from saas_kit.generate.company import generate_company


def _text_frame(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """The CSV form of a frame: ISO dates, whole-yen amounts as integers, empty for missing."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.PeriodDtype):
            out[col] = s.dt.strftime("%Y-%m")
        elif pd.api.types.is_datetime64_any_dtype(s):
            unit = "s" if col == "timestamp" else "D"
            text = s.to_numpy().astype(f"datetime64[{unit}]").astype(str)
            text[s.isna().to_numpy()] = ""
            out[col] = text
        elif pd.api.types.is_float_dtype(s):
            v = s.to_numpy()
            if np.all(np.isfinite(v)) and np.all(v == np.rint(v)):
                out[col] = v.astype(np.int64)
    return out


_OPTIONAL_FRAMES = ("charges", "events")


def write_company(frames: dict[str, pd.DataFrame], out_dir: str | os.PathLike, fmt: str = "csv") -> list[Path]:
    """Write the five frames (metrics.md §1) to ``out_dir/<name>.csv`` (or ``.parquet``);
    return the paths.

    CSV: UTF-8, comma, header; dates ``YYYY-MM-DD``, event timestamps ``YYYY-MM-DDTHH:MM:SS``,
    company month ``YYYY-MM``, empty ``end_date`` for open subscriptions. Parquet keeps
    datetimes as timestamps and writes the month as ``YYYY-MM`` text. The files are written
    into a temporary directory beside ``out_dir`` and moved in only when all are complete.
    An optional frame without rows (no events with ``--event-customers 0``) is not written,
    and a file of that name left in ``out_dir`` by an earlier run is removed: a header-only
    file is not a valid input. ``dataset.yml`` records the as-of date (the first day after
    the window, so the window's last month is the last complete one) and the currency (JPY).
    """
    if fmt not in ("csv", "parquet"):
        raise ParameterError(f"format must be 'csv' or 'parquet', got {fmt!r}")
    missing = [k for k in FRAME_NAMES if k not in frames]
    if missing:
        raise ParameterError(f"frames missing: {', '.join(missing)}")
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        written, skipped = [], []
        for name in FRAME_NAMES:
            path = tmp / f"{name}.{fmt}"
            if name in _OPTIONAL_FRAMES and frames[name].empty:
                skipped.append(out / path.name)
                continue
            if fmt == "csv":
                _text_frame(name, frames[name]).to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
            else:
                df = frames[name].copy()
                for col in df.columns:
                    if isinstance(df[col].dtype, pd.PeriodDtype):
                        df[col] = df[col].dt.strftime("%Y-%m")
                df.to_parquet(path, index=False, engine="pyarrow")
            written.append(path)
        written.append(_write_metadata(frames, tmp))
        out.mkdir(parents=True, exist_ok=True)
        for stale in skipped:
            stale.unlink(missing_ok=True)
        final = []
        for path in written:
            target = out / path.name
            os.replace(path, target)
            final.append(target)
        return final
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _write_metadata(frames: dict[str, pd.DataFrame], directory: Path) -> Path:
    """``dataset.yml`` of a generated company (saas_kit.metadata): as of the day after the
    window's last month, in yen."""
    from saas_kit.metadata import write_metadata

    last = pd.PeriodIndex(frames["company"]["month"], freq="M").max()
    as_of = (last + 1).start_time
    return write_metadata(directory, as_of=as_of, currency="JPY",
                          source={"format": "saas-kit generate", "files": [f"{n}.*" for n in FRAME_NAMES]},
                          imported_at=as_of.to_pydatetime().replace(tzinfo=datetime.timezone.utc))


# --------------------------------------------------------------------------- CLI


def add_generate_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``saas-kit generate`` (the sample company of data/README.md, metrics.md §1)."""
    parser.add_argument("--customers", type=int, default=1600, metavar="N", help="customers in the export (default 1600)")
    parser.add_argument("--months", type=int, default=36, help="length of the window in months (default 36)")
    parser.add_argument("--end-month", default="2026-10", metavar="YYYY-MM", help="last month of the window (default 2026-10)")
    parser.add_argument("--seed", type=int, default=20261031, help="random seed (default 20261031)")
    parser.add_argument("--event-customers", type=_event_customers, default=DEFAULT_EVENT_CUSTOMER_CAP,
                        metavar="N|all", help="signups that get onboarding events: at most N (a seeded sample; "
                        f"default {DEFAULT_EVENT_CUSTOMER_CAP:,}) or all")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv", help="file format (default csv)")
    parser.add_argument("--out", required=True, metavar="DIR", help="directory to write the five files into")


def _event_customers(text: str) -> int | None:
    """``--event-customers``: a whole number >= 0, or ``all`` (no cap)."""
    if text.strip().lower() == "all":
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number or 'all', got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0 or 'all', got {value}")
    return value


def run_generate(args: argparse.Namespace) -> int:
    """Generate the company from ``args`` and write it (atomically, see :func:`write_company`);
    print ``path<TAB>N rows`` per file and return exit code 0 (metrics.md §1 frames)."""
    frames = generate_company(
        customers=args.customers, months=args.months, end_month=args.end_month, seed=args.seed,
        max_event_customers=getattr(args, "event_customers", DEFAULT_EVENT_CUSTOMER_CAP),
    )
    paths = write_company(frames, args.out, fmt=getattr(args, "format", "csv"))
    for path in paths:
        if path.stem in frames:
            print(f"{path}\t{len(frames[path.stem])} rows")
        else:
            print(f"{path}\t(as-of date and currency)")
    return 0
