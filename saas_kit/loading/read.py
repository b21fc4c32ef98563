"""Reading files: CSV (UTF-8, BOM, Shift_JIS, UTF-16) or Parquet into text cells with the
spreadsheet row number ``_row`` of each record; the column mapping; the required columns."""
from __future__ import annotations

import csv
import io
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from saas_kit.errors import DataError, ParameterError
from saas_kit.loading.schema import INTERNAL_COLUMNS, SCHEMAS, COMMA_SEPARATED_HINT, NON_SJIS_CHARACTERS
from saas_kit.loading.parse import is_all_text, cell_text, is_number_column


def read_table(path: str | Path, kind: str, mapping: Mapping[str, str] | None = None,
               text_codes: bool = False) -> pd.DataFrame:
    """Read a CSV (text: UTF-8 with or without BOM, Shift_JIS/cp932 or UTF-16 with BOM;
    comma-separated) or Parquet file, apply the column mapping and check the required
    columns of ``kind``.

    Every cell of a CSV is kept as text (``""`` when blank). The returned frame has an
    ``_row`` column with the spreadsheet row number of each record.

    ``text_codes``: text columns read without a missing cell come as pandas Categoricals
    (Arrow's dictionary encoding, every category used) instead of object columns: the
    validators (:func:`saas_kit.loading.parse.distinct_codes`) then check each distinct
    cell once without hashing every row again. For callers that only validate the frame.
    """
    if kind not in SCHEMAS:
        raise ParameterError(f"unknown input kind {kind!r} (one of {', '.join(SCHEMAS)})")
    name = str(path)
    df = read_raw(path, mapping, text_codes)
    if len(df) == 0:
        raise DataError("file has a header but no data rows", file=name, row=1 if "_row" in df else None)
    check_required_columns(df, kind, name)
    return df


def read_raw(path: str | Path, mapping: Mapping[str, str] | None = None, text_codes: bool = False) -> pd.DataFrame:
    """Any CSV or Parquet export read as :func:`read_table` reads it (encodings, ``_row``
    numbers, all-empty rows dropped, the column mapping applied) without checking it
    against a canonical schema: the billing-export importers start here."""
    path = Path(path)
    _check_file(path)
    df = _read_parquet(path, text_codes) if path.suffix.lower() in (".parquet", ".pq") else _read_csv(path, text_codes)
    return _apply_mapping(_drop_empty_rows(df), mapping, str(path))


def _drop_empty_rows(df: pd.DataFrame) -> pd.DataFrame:
    """Rows with every cell blank (a trailing Excel row of commas, an all-null Parquet
    row) are not records: a spreadsheet shows them as blank rows. Only the rows still
    blank in every column looked at before are looked at, and the columns cheapest to
    look at come first (text codes, then numbers and dates, then text), so a normal file
    costs one pass over one such column."""
    if len(df) == 0 or len(df.columns) < 2:
        return df
    candidates = np.arange(len(df))

    def cost(j: int) -> int:
        dtype = df.dtypes.iloc[j]
        return 0 if isinstance(dtype, pd.CategoricalDtype) else 2 if dtype == object else 1

    for j in sorted(range(1, len(df.columns)), key=cost):  # by position: a duplicated header is reported later
        cells = df.iloc[:, j] if len(candidates) == len(df) else df.iloc[candidates, j]
        if isinstance(cells.dtype, pd.CategoricalDtype) and len(candidates) == len(df):  # text codes: per category
            words = pd.Series(cells.cat.categories.to_numpy(dtype=object), dtype=object)
            blank = (words.astype("string[pyarrow]").str.strip() == "").to_numpy(dtype=bool, na_value=True)
            codes = cells.cat.codes.to_numpy()
            blank = np.where(codes >= 0, blank[codes], True)
        elif isinstance(cells.dtype, pd.CategoricalDtype):
            blank = (cells.astype(object).astype("string[pyarrow]").str.strip() == "").to_numpy(dtype=bool,
                                                                                               na_value=True)
        elif cells.dtype == object:
            text = cells.map(cell_text) if not is_all_text(cells) else cells
            blank = (text.astype("string[pyarrow]").str.strip() == "").to_numpy(dtype=bool, na_value=True)
        else:
            blank = cells.isna().to_numpy()
        candidates = candidates[blank]
        if len(candidates) == 0:
            return df
    return df.drop(index=df.index[candidates]).reset_index(drop=True)


def _check_file(path: Path) -> None:
    name = str(path)
    try:
        if not path.exists():
            raise DataError("file not found", file=name)
        if path.is_dir():
            if path.suffix.lower() in (".parquet", ".pq") and any(path.glob("*.parquet")):
                return  # a folder of Parquet parts (what Spark writes): read as one table
            raise DataError("is a directory, expected a CSV or Parquet file", file=name)
        if path.stat().st_size == 0:
            raise DataError("file is empty", file=name)
    except OSError as exc:
        raise DataError(f"cannot open the file ({exc.strerror or exc})", file=name) from None


def _read_parquet(path: Path, text_codes: bool = False) -> pd.DataFrame:
    import pyarrow as pa

    try:
        # Text arrives dictionary-encoded (categorical): a value repeated on many rows
        # (a plan, an event name, a customer's id in the events) becomes one Python
        # string shared by those rows below, not one string per row.
        df, coded = _parquet_frame(path, text_codes)
    except Exception as exc:  # pyarrow raises many types for broken files
        raise DataError(f"cannot read Parquet file ({type(exc).__name__}: {exc})", file=str(path)) from None
    finally:
        pa.default_memory_pool().release_unused()  # hand the file's Arrow buffers back to the system
    df = df.reset_index(drop=True)
    # Text columns as Python text like the CSV reader gives (or text codes); numbers and
    # dates keep their types (the validators take them as they are, which is much faster).
    df.columns = _safe_names([str(c).strip() for c in df.columns])
    df = df.astype({c: "object" for i, c in enumerate(df.columns) if i not in coded
                    and not (pd.api.types.is_datetime64_any_dtype(df[c]) or is_number_column(df[c]))})
    df.insert(0, "_row", np.arange(1, len(df) + 1))
    return df


def _parquet_frame(path: Path, text_codes: bool = False) -> tuple[pd.DataFrame, set[int]]:
    """The Parquet file as pandas reads it (``pd.read_parquet`` with strings as
    categoricals, the pandas index dropped), except that text columns without nulls
    come as object arrays of Python strings, one string object per distinct value
    (:func:`_python_strings`), which is what the caller turns them into anyway, or with
    ``text_codes`` Categoricals (:func:`_text_codes`); and the positions of those."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    index_columns = [c for c in (table.schema.pandas_metadata or {}).get("index_columns", []) if isinstance(c, str)]
    names = [n for n in table.column_names if n not in index_columns]

    def is_text(column) -> bool:
        kind = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
        return (pa.types.is_string(kind) or pa.types.is_large_string(kind)) and column.null_count == 0

    text = {n for n in names if is_text(table.column(n))}
    rest = table.select([n for n in names if n not in text])
    other = rest.to_pandas(strings_to_categorical=True) if rest.num_columns else None
    if other is not None:
        other = other.reset_index(drop=True)
    converted = _text_columns([table.column(n) for n in names if n in text], text_codes)
    columns = [pd.Series(converted.pop(0), name=n) if n in text else other[n] for n in names]
    coded = {i for i, n in enumerate(names) if n in text and text_codes}
    return (pd.concat(columns, axis=1) if columns else pd.DataFrame(index=range(table.num_rows))), coded


def _read_csv(path: Path, text_codes: bool = False) -> pd.DataFrame:
    raw = _read_bytes(path)
    if raw[:2] not in (b"\xff\xfe", b"\xfe\xff") and not raw.startswith(b"\xef\xbb\xbf") and b"\x00" not in raw:
        # Plain UTF-8 (Arrow checks every cell's UTF-8 as it reads them): no decoding of
        # the whole file into one Python string. Anything unusual goes the long way below.
        fast = _read_csv_fast(None, str(path), raw, text_codes)
        if fast is not None:
            return fast
    text, raw = _decode(path, raw)
    if not text.strip():
        raise DataError("file is empty", file=str(path))
    if "\x00" in text:
        raise DataError("file contains NUL bytes: it is not a text CSV (Parquet files need the .parquet "
                        "extension)", file=str(path))
    fast = _read_csv_fast(text, str(path), raw, text_codes)
    if fast is not None:
        return fast
    header_row, header, records = _csv_records(text, str(path))
    return _frame(header_row, header, records, str(path))


def _read_csv_fast(text: str | None, name: str, utf8: bytes | None = None,
                   text_codes: bool = False) -> pd.DataFrame | None:
    """Read a well-formed CSV with pyarrow (multi-threaded C) when its row numbers are
    certain: the file has exactly one line per record after the header (no blank lines,
    no line breaks inside quoted values). None = use the exact reader, which also
    produces every error message. ``utf8``: the file's bytes when they are ``text`` in
    UTF-8 (without a BOM), read as they are instead of encoding ``text`` again; with
    ``text`` None, bytes not yet known to be UTF-8 (then None unless they are)."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    data = utf8 if utf8 is not None else text.encode("utf-8")
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    end = data.find(b"\n")
    try:
        first = (data if end < 0 else data[:end]).decode("utf-8").rstrip("\r")
        header = next(csv.reader([first]), [])
    except (csv.Error, UnicodeDecodeError):
        return None
    if len(header) < 2 or any(not h.strip() for h in header) or (
            b"\r" in data and data.count(b"\r") != data.count(b"\r\n")):
        return None
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(data),
            read_options=pa_csv.ReadOptions(column_names=[f"c{i}" for i in range(len(header))], skip_rows=1),
            parse_options=pa_csv.ParseOptions(newlines_in_values=False),
            convert_options=pa_csv.ConvertOptions(column_types={f"c{i}": pa.string() for i in range(len(header))},
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    if table.num_rows != lines - 1 or table.num_rows == 0:
        return None
    columns = [c for c in _frame(1, header, [], name).columns if c != "_row"]  # the header checks
    df = pd.DataFrame(dict(enumerate(_text_columns([table.column(i) for i in range(len(columns))], text_codes))),
                      copy=False)
    df.columns = columns  # positionally: a duplicated header name must survive to be reported
    df.insert(0, "_row", np.arange(2, 2 + len(df), dtype="int64"))
    return df


def _text_columns(columns: list, text_codes: bool) -> list[pd.Series]:
    """:func:`_text_column` of each column, two at a time: Arrow's encoding kernels
    release the GIL, so one column's encoding runs beside another's Python strings."""
    if len(columns) < 2 or sum(len(c) for c in columns) < 200_000:
        return [_text_column(c, text_codes) for c in columns]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda c: _text_column(c, text_codes), columns))


def _text_column(column, text_codes: bool) -> pd.Series:
    """An Arrow text column (no nulls) as an object Series of Python strings, or with
    ``text_codes`` as a Categorical."""
    if text_codes and not _mostly_distinct(column):
        return pd.Series(_text_codes(column), copy=False)
    return pd.Series(_python_strings(column), dtype=object, copy=False)


def _mostly_distinct(column, sample: int = 50_000) -> bool:
    """Are most of the column's first ``sample`` cells distinct (ids)? Such a column is
    cheaper as Python strings than as codes (its distinct values are nearly all rows)."""
    import pyarrow.compute as pc

    head = column.slice(0, sample)
    return len(head) > 1000 and len(pc.unique(head)) * 2 > len(head)


def _text_codes(column) -> pd.Categorical:
    """An Arrow text column (no nulls) as a pandas Categorical from Arrow's dictionary
    encoding of the whole column (C++): one Python string per distinct value, every
    category used by some row, no hashing of the rows in Python."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()  # a stored dictionary may hold unused values
    encoded = pc.dictionary_encode(array)
    words = pd.Index(encoded.dictionary.to_numpy(zero_copy_only=False).astype(object), dtype=object)
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    # Arrow's dictionary holds each value once: no uniqueness check of the categories.
    dtype = pd.CategoricalDtype._from_fastpath(words, ordered=False)
    return pd.Categorical.from_codes(codes, dtype=dtype, validate=False)


def _python_strings(column) -> np.ndarray:
    """An Arrow text column (no nulls) as an object array of Python strings, one string
    object per distinct value of each chunk (dictionary-encoded in Arrow's C++ first): a
    column of a few thousand dates or plans costs a few thousand strings, not millions,
    and equal cells are mostly the same object (hashing and comparing them later is
    nearly free)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = []
    for chunk in column.chunks:
        encoded = chunk if pa.types.is_dictionary(chunk.type) else pc.dictionary_encode(chunk)
        if len(encoded.dictionary) * 2 > len(chunk) and not pa.types.is_dictionary(chunk.type):
            parts.append(chunk.to_numpy(zero_copy_only=False).astype(object))  # mostly distinct: as it is
            continue
        words = encoded.dictionary.to_numpy(zero_copy_only=False).astype(object)
        parts.append(words[encoded.indices.to_numpy(zero_copy_only=False)])
    return np.concatenate(parts) if parts else np.empty(0, dtype=object)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read the file ({exc.strerror or exc})", file=str(path)) from None


def _decode(path: Path, raw: bytes | None = None) -> tuple[str, bytes | None]:
    """(the file's text, its bytes when they are that text in UTF-8 without a BOM);
    ``raw``: the file's bytes when already read."""
    raw = _read_bytes(path) if raw is None else raw
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return raw.decode("utf-16"), None
        except UnicodeDecodeError:
            pass
    else:
        try:
            return raw.decode("utf-8-sig"), (raw if not raw.startswith(b"\xef\xbb\xbf") else None)
        except UnicodeDecodeError:
            pass
        try:
            text = raw.decode("cp932")
            if not NON_SJIS_CHARACTERS.search(text):
                return text, None
        except UnicodeDecodeError:
            pass
    raise DataError("cannot decode the file: it is neither UTF-8 nor Shift_JIS (cp932) text; "
                    "save it as UTF-8 CSV", file=str(path))


def _csv_records(text: str, name: str) -> tuple[int, list[str], list[tuple[int, list[str]]]]:
    """(header row, header, [(spreadsheet row, fields)]) of non-blank records."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    header_row = 0
    records: list[tuple[int, list[str]]] = []
    row = 0
    try:
        for row, fields in enumerate(reader, start=1):
            if not any(f.strip() for f in fields):
                continue  # a blank line: a blank spreadsheet row
            if header is None:
                header, header_row = fields, row
            else:
                records.append((row, fields))
    except csv.Error as exc:
        raise DataError(f"malformed CSV ({exc}; check the quotes in this row)", file=name, row=row + 1,
                        column=None) from None
    if header is None:
        raise DataError("file is empty", file=name)
    return header_row, header, records


def _frame(header_row: int, header: list[str], records: list[tuple[int, list[str]]], name: str) -> pd.DataFrame:
    columns = [h.strip() for h in header]
    if len(columns) == 1 and re.search(r"[;\t|]", columns[0]):
        sep = {";": "semicolon", "\t": "tab", "|": "pipe"}[re.search(r"[;\t|]", columns[0]).group()]
        raise DataError(f"the file seems to be {sep}-separated, not comma-separated; {COMMA_SEPARATED_HINT}",
                        file=name, row=header_row, column=columns[0][:40])
    columns = _safe_names([c or f"(unnamed column {i + 1})" for i, c in enumerate(columns)])
    n = len(columns)
    rows = np.empty(len(records), dtype="int64")
    cells: list[list[str]] = []
    for i, (row, fields) in enumerate(records):
        if len(fields) > n:
            if any(f.strip() for f in fields[n:]):
                raise DataError(f"row has {len(fields)} values but the header has {n} columns (an unquoted comma, "
                                f"e.g. in 1,200? quote such values or {COMMA_SEPARATED_HINT} with plain numbers)",
                                file=name, row=row, column=columns[-1])
            fields = fields[:n]
        elif len(fields) < n:
            fields = fields + [""] * (n - len(fields))
        rows[i] = row
        cells.append(fields)
    df = pd.DataFrame(cells, columns=columns, dtype=object) if cells else pd.DataFrame(columns=columns, dtype=object)
    df.insert(0, "_row", rows)
    return df


def _safe_names(columns: list[str]) -> list[str]:
    """A user column named like an internal column (``_row``) becomes ``_row (column N)``."""
    return [f"{c} (column {i + 1})" if c in INTERNAL_COLUMNS else c for i, c in enumerate(columns)]


def _original_name(column: str) -> str:
    """The header as written in the file (undoes :func:`_safe_names`)."""
    m = re.fullmatch(r"(.*) \(column \d+\)", column)
    return m.group(1) if m and m.group(1) in INTERNAL_COLUMNS else column


def _apply_mapping(df: pd.DataFrame, mapping: Mapping[str, str] | None, name: str) -> pd.DataFrame:
    mapping = dict(mapping or {})
    for old, new in mapping.items():
        if new in INTERNAL_COLUMNS:
            raise ParameterError(f"column mapping {old}={new}: {new!r} is a name the loader uses itself; "
                                 "map the column to a canonical name such as customer_id")
    cols = [c if i == 0 and c == "_row" else mapping.get(_original_name(str(c).strip()), str(c).strip())
            for i, c in enumerate(df.columns)]
    df.columns = cols
    dup = df.columns[df.columns.duplicated()]
    if len(dup):
        raise DataError("column appears twice (in the header or after the column mapping)", file=name,
                        row=1, column=str(dup[0]))
    return df


def check_required_columns(df: pd.DataFrame, kind: str, name: str) -> None:
    """DataError naming file ``name`` when ``df`` lacks a required column of ``kind`` (SCHEMAS, metrics.md §1)."""
    required, _ = SCHEMAS[kind]
    found = [c for c in df.columns if c != "_row"]
    missing = [c for c in required if c not in df.columns]
    if not missing:
        return
    hints = [f"{c}={m}" for m in missing for c in found if c.lower().replace(" ", "_") == m]
    hint = f" (map export headers with --map {' --map '.join(hints) if hints else 'OLD=NEW'})"
    raise DataError(f"missing required column(s) {', '.join(missing)}; found {', '.join(found)}{hint}",
                    file=name, row=1, column=missing[0])
