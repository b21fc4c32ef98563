"""Loading a data folder: every input file, ``dataset.yml`` (as-of date and currency),
month-end MRR up to the last complete month, and the cross-file warnings."""
from __future__ import annotations

import datetime as _dt
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Mapping

import pandas as pd

from saas_kit.errors import DataError, DataWarning
from saas_kit.metadata import last_complete_month, parse_as_of, read_metadata, today
from saas_kit.mrr import change_points, customer_codes, mrr_from_table, number_to_period, period_to_number
from saas_kit.rows import points_from_rows, sorted_rows
from saas_kit.loading.data_warnings import data_warning
from saas_kit.loading.schema import CURRENCY_HINT, KEEPS_EXTRA_COLUMNS, SCHEMAS
from saas_kit.loading.dataset import Dataset
from saas_kit.loading.read import read_table
from saas_kit.loading.parse import currency_parameter, leading_zero_matches
from saas_kit.loading.validate import (
    validate_charges, validate_company, validate_customers, validate_events, validate_mrr_table,
    validate_subscriptions)


def find_file(directory: Path, kind: str) -> Path | None:
    """``<kind>.csv`` or else ``<kind>.parquet`` in ``directory`` (None if neither)."""
    for suffix in (".csv", ".parquet"):
        p = directory / f"{kind}{suffix}"
        if p.exists():
            return p
    return None


def load_subscriptions(path: str | Path, mapping: Mapping[str, str] | None = None,
                       currency: str | None = None) -> tuple[pd.DataFrame, str, list[DataWarning]]:
    """Read and validate one subscriptions file: (frame, currency, warnings)."""
    df = read_table(path, "subscriptions", mapping, text_codes=True)  # only validated: text as codes
    warnings: list[DataWarning] = []
    _note_extra(df, "subscriptions", Path(path), warnings)
    subs, currency, w = validate_subscriptions(df, str(path), currency)
    return subs, currency, warnings + w


def load_dataset(directory: str | Path, mapping: Mapping[str, str] | None = None,
                 currency: str | None = None, as_of: str | _dt.date | pd.Timestamp | None = None,
                 require_currency: bool = True) -> Dataset:
    """Load every input found in ``directory``: ``subscriptions`` (or ``mrr``) is
    required; ``customers``, ``charges``, ``events``, ``company`` are optional. Each as
    ``<kind>.csv`` or ``<kind>.parquet``; ``dataset.yml`` (saas_kit.metadata) gives the
    as-of date and the currency when the arguments do not.

    Customer-month MRR (metrics.md §2) runs to the last complete month before the
    as-of date (``as_of``, else dataset.yml, else today): nothing dated after it counts.
    ``require_currency``: raise when no currency is known (the default; commands that
    print plain numbers pass False and get ``Dataset.currency`` None). Cross-file
    checks (charges or events of customers that appear nowhere else, ids that differ
    only by leading zeros between files) become warnings."""
    directory = Path(directory)
    _check_directory(directory)
    metadata = read_metadata(directory)
    currency = currency_parameter(currency) or metadata.get("currency")
    as_of = parse_as_of(as_of) or metadata.get("as_of") or today()
    with ThreadPoolExecutor(max_workers=1) as reader:  # the other files are read while the ledger is validated
        prefetched = {kind: reader.submit(read_table, path, kind, mapping) for kind in OPTIONAL_KINDS
                      if (path := find_file(directory, kind)) is not None}
        try:
            return _load(directory, mapping, currency, as_of, require_currency, metadata, prefetched)
        finally:
            for future in prefetched.values():
                future.cancel()  # after an error: the files not yet read are not read


#: The optional inputs, in the order they are checked.
OPTIONAL_KINDS = ("customers", "charges", "events", "company")


def _load(directory: Path, mapping: Mapping[str, str] | None, currency: str | None, as_of: pd.Timestamp,
          require_currency: bool, metadata: dict, prefetched: dict[str, Future]) -> Dataset:
    """:func:`load_dataset` once the folder, its metadata and the as-of date are known;
    ``prefetched``: the optional files being read (kind -> the future :func:`read_table`)."""
    through = last_complete_month(as_of)
    warnings: list[DataWarning] = []
    files: list[dict] = []
    subs_path = _pick_file(directory, "subscriptions", warnings)
    mrr_path = _pick_file(directory, "mrr", warnings)
    if subs_path is not None:
        if mrr_path is not None:
            warnings.append(data_warning(mrr_path.name, "ignored_file", "ignored_mrr_table"))
        subscriptions, currency, w = load_subscriptions(subs_path, mapping, currency)
        warnings += w
        warnings += _after_as_of(subscriptions, "start_date", subs_path, as_of, "subscriptions_after_as_of")
        # the points where each customer's MRR changes; the customer-month frame is built
        # from them only if something asks for it (Dataset.customer_mrr)
        points, customer_mrr = change_points(subscriptions, period_to_number(through)), None
        main_path, main_frame = subs_path, subscriptions
        # the points number every customer of the file (also those never active at a month end)
        known = points.uniques if points is not None else pd.Index([])
    elif mrr_path is not None:
        raw = read_table(mrr_path, "mrr", mapping)
        _note_extra(raw, "mrr", mrr_path, warnings)
        table, currency, w = validate_mrr_table(raw, str(mrr_path), currency)
        warnings += w
        late = table["month"] > through
        if late.any():
            warnings.append(data_warning(mrr_path.name, "after_as_of", "months_after_as_of_not_counted",
                                         table.loc[late, "_row"].tolist(), "month", month=through,
                                         as_of=as_of.date()))
            table = table[~late]
        subscriptions, customer_mrr, main_path, main_frame = None, mrr_from_table(table), mrr_path, table
        points = None if customer_mrr.empty else points_from_rows(sorted_rows(customer_mrr))
        known = distinct_ids(customer_mrr["customer_id"])
    else:
        raise DataError("no subscriptions.csv / subscriptions.parquet (or mrr.csv / mrr.parquet) in the data "
                        "directory", file=str(directory))
    if points is None:
        raise DataError(f"no subscription is active at any month end up to {through}, the last complete month "
                        f"before the as-of date {as_of.date()}: nothing to report", file=str(main_path))
    if require_currency and not currency:
        raise DataError(f"the data has no currency: {CURRENCY_HINT}", file=str(main_path))
    if customer_mrr is not None:
        customer_mrr.attrs["through"] = through
    files.append(_file_entry(main_path, main_path.stem, main_frame, (number_to_period(points.first_month), through)))
    loaded = {kind: _load_optional(directory, kind, mapping, currency, warnings, files, as_of, prefetched.get(kind))
              for kind in OPTIONAL_KINDS}
    warnings += _cross_file_warnings(known, loaded)
    return Dataset(
        directory=directory,
        currency=currency,
        customer_mrr=customer_mrr,
        points=points,
        subscriptions=None if subscriptions is None else subscriptions.drop(columns="_row"),
        **{kind: None if frame is None else frame.drop(columns="_row") for kind, (frame, _) in loaded.items()},
        files=pd.DataFrame(files, columns=["file", "kind", "rows", "columns", "period", "first", "last"]),
        warnings=warnings,
        as_of=as_of,
        last_month=through,
        metadata=metadata,
    )


def _after_as_of(frame: pd.DataFrame, column: str, path: Path, as_of: pd.Timestamp, key: str, **fields: object
                 ) -> list[DataWarning]:
    """The rows dated after the as-of date, as one warning (message ``warning.<key>``)."""
    late = frame[column] >= as_of + pd.Timedelta(days=1)
    if not late.any():
        return []
    return [data_warning(path.name, "after_as_of", key, frame.loc[late, "_row"].tolist(), column,
                         as_of=as_of.date(), **fields)]


def _check_directory(directory: Path) -> None:
    if not directory.exists():
        raise DataError("data directory not found", file=str(directory))
    if not directory.is_dir():
        raise DataError("expected a data directory, got a file", file=str(directory))


def _pick_file(directory: Path, kind: str, warnings: list[DataWarning]) -> Path | None:
    path = find_file(directory, kind)
    if path is not None and path.suffix == ".csv" and (directory / f"{kind}.parquet").exists():
        warnings.append(data_warning(f"{kind}.parquet", "ignored_file", "ignored_parquet", what=kind))
    return path


def _file_entry(path: Path, kind: str, frame: pd.DataFrame, span: tuple[pd.Period, pd.Period] | None) -> dict:
    """One row of :attr:`Dataset.files`: ``period`` is "2019-11 to 2026-10" ("" without
    dates), ``first`` / ``last`` its months ("" without dates) for a page in another language."""
    first, last = (str(span[0]), str(span[1])) if span else ("", "")
    return {"file": path.name, "kind": kind, "rows": len(frame),
            "columns": ", ".join(c for c in frame.columns if c != "_row"),
            "period": f"{first} to {last}" if span else "", "first": first, "last": last}


def _load_optional(directory: Path, kind: str, mapping: Mapping[str, str] | None, currency: str | None,
                   warnings: list[DataWarning], files: list[dict], as_of: pd.Timestamp | None = None,
                   prefetched: Future | None = None) -> tuple[pd.DataFrame | None, str]:
    """(validated frame with ``_row`` or None, file name) of one optional input
    (``prefetched``: its :func:`read_table` already under way)."""
    path = _pick_file(directory, kind, warnings)
    if path is None:
        return None, ""
    raw = prefetched.result() if prefetched is not None else read_table(path, kind, mapping)
    _note_extra(raw, kind, path, warnings)
    if kind == "charges":
        frame, w = validate_charges(raw, str(path), currency)
    else:
        frame, w = {"customers": validate_customers, "events": validate_events,
                    "company": validate_company}[kind](raw, str(path))
    warnings += w
    date_col = {"charges": "date", "events": "timestamp", "company": "month", "customers": "signup_date"}[kind]
    if as_of is not None and kind in ("charges", "events"):
        found = _after_as_of(frame, date_col, path, as_of, "rows_after_as_of", what=kind)
        if found:
            warnings += found
            frame = frame[frame[date_col] < as_of + pd.Timedelta(days=1)].reset_index(drop=True)
    if as_of is not None and kind == "company":
        late = frame["month"] > last_complete_month(as_of)
        if late.any():
            warnings.append(data_warning(path.name, "after_as_of", "months_after_as_of_not_shown",
                                         frame.loc[late, "_row"].tolist(), "month",
                                         month=last_complete_month(as_of), as_of=as_of.date()))
            frame = frame[~late].reset_index(drop=True)
    span = None
    if date_col in frame.columns and frame[date_col].notna().any():
        lo, hi = frame[date_col].min(), frame[date_col].max()
        span = (pd.Period(lo, "M"), pd.Period(hi, "M"))
    files.append(_file_entry(path, kind, frame, span))
    return frame, path.name


def distinct_ids(ids: pd.Series) -> pd.Index:
    """The distinct customer ids of a column (no hashing when they come in order)."""
    return customer_codes(ids, sort=False)[1]


def _cross_file_warnings(known: pd.Index, loaded: dict[str, tuple[pd.DataFrame | None, str]]) -> list[DataWarning]:
    """Warnings on the ids of customers, charges and events against ``known``, the
    distinct customer ids of the subscriptions (or of the MRR table): ids that differ
    from a known one only by leading zeros, charges and events of unknown customers,
    and (one warning) how many known customers customers.csv lacks. Each check looks at
    the distinct ids of a file, and at its rows only when some id is unknown."""
    found: list[DataWarning] = []
    known_set = set(known.tolist())
    listed = 0  # how many known customers customers.csv lists
    for kind in ("customers", "charges", "events"):
        frame, name = loaded[kind]
        if frame is None:
            continue
        ids = frame["customer_id"]
        distinct = distinct_ids(ids).tolist()
        unknown_ids = [i for i in distinct if i not in known_set]
        if kind == "customers":
            listed = len(distinct) - len(unknown_ids)
        if not unknown_ids:
            continue
        clashes = leading_zero_matches(unknown_ids, known_set)
        if clashes:
            found.append(data_warning(name, "ids_differ_by_leading_zeros", "ids_differ_by_leading_zeros", (),
                                      "customer_id", ids=", ".join(clashes[:4])))
        unknown = ids.isin(unknown_ids)
        if kind != "customers":
            found.append(data_warning(name, "unknown_customers", "unknown_customers",
                                      frame.loc[unknown, "_row"].tolist(), "customer_id",
                                      count=int(unknown.sum()), what=kind))
    customers, name = loaded["customers"]
    if customers is not None:
        missing = len(known_set) - listed
        if missing:
            found.append(data_warning(name, "customers_missing", "customers_missing", (), "customer_id",
                                      count=missing))
    return found


def _note_extra(raw: pd.DataFrame, kind: str, path: Path, warnings: list[DataWarning]) -> None:
    if kind in KEEPS_EXTRA_COLUMNS:
        return
    required, optional = SCHEMAS[kind]
    extra = [c for c in raw.columns if c != "_row" and c not in required and c not in optional]
    if extra:
        warnings.append(data_warning(path.name, "ignored_columns", "ignored_columns", columns=", ".join(extra)))
