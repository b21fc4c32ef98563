r"""``mrr-matrix``: the spreadsheet shape (one row per customer, one column per month)
-> ``mrr.csv`` (and ``customers.csv`` with the other columns) (metrics.md §8).

- Month headers: ``2026-01``, ``2026/1``, ``2026.1``, ``2026年1月``, or a date such as
  ``2026-01-01`` / ``2026/1/31`` (its month). Other columns: the first is the customer id
  (or the one named ``customer_id``, ``id``, ``顧客ID``...); the rest (name, segment...)
  are written to ``customers.csv``.
- Cells: ``¥``, ``￥``, ``$``, ``円`` (and ``\``, which is how a Shift_JIS file's ¥ decodes)
  and thousands separators (``,`` ``，``) are removed;
  blank, ``-`` and ``—`` mean 0. A negative or unreadable cell is an error naming it.
- The file may be UTF-8 (with or without BOM), Shift_JIS (cp932) or UTF-16, as the
  loader reads.
- Total rows (an id or text cell ``合計``, ``小計``, ``総計``, ``Total``...; or a row whose
  every month equals the sum of the other rows) and total columns (a header such as
  ``合計`` or ``Total``) are set aside and named in the summary, never counted.
- Ids keep their text (``007`` stays ``007``). The currency is ``--currency``, else
  JPY when the cells carry ``¥``/``￥``/``円``; a ``$`` alone does not say which dollar.
- Without ``--as-of``, the as-of date is the first day after the last month column
  (every month of the sheet is complete). A matrix has no subscription detail and no
  plan-change reasons: it gives MRR per customer-month only.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Mapping, Sequence

import pandas as pd

from saas_kit.errors import DataError, ParameterError
from saas_kit.imports.common import as_number, number_to_month
from saas_kit.imports.summary import ImportResult, SetAside
from saas_kit.loading import is_total_label, read_raw
from saas_kit.metadata import last_complete_month
from saas_kit.money import TICKS_PER_UNIT, ticks_to_text

_MONTH_HEADER = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(?:\s*[-/.]\s*\d{1,2}\s*日?)?(?:[ T].*)?")
_ID_NAMES = ("customer_id", "customer", "id", "顧客id", "顧客コード", "取引先id", "account_id")
_SYMBOLS = re.compile(r"[¥￥$円,，\\\s\u00a0]")


def month_of_header(header: str) -> int | None:
    """Month number of a month header, or None for any other column."""
    m = _MONTH_HEADER.fullmatch(header.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        return None
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def import_mrr_matrix(paths: Sequence[str], mapping: Mapping[str, str] | None, result: ImportResult,
                      amounts: str | None = None) -> ImportResult:
    if len(paths) != 1:
        raise ParameterError("mrr-matrix takes one spreadsheet file")
    raw = read_raw(paths[0], mapping)  # headers as written: 2026年1月 is not snake-cased
    raw.insert(1, "_file", str(paths[0]).rsplit("/", 1)[-1])
    file = str(paths[0])
    result.rows_read = len(raw)
    headers = [c for c in raw.columns if c not in ("_row", "_file")]
    months = {c: month_of_header(c) for c in headers}
    month_cols = [c for c in headers if months[c] is not None]
    if not month_cols:
        raise DataError(f"no month column found (headers such as 2026-01, 2026/1 or 2026年1月); found "
                        f"{', '.join(headers[:8])}", file=file, row=1)
    dup = pd.Series([months[c] for c in month_cols]).duplicated()
    if dup.any():
        raise DataError("two columns are the same month", file=file, row=1, column=month_cols[int(dup.idxmax())])
    other = [c for c in headers if months[c] is None]
    total_cols = [c for c in other if is_total_label(c)]
    other = [c for c in other if c not in total_cols]
    if not other:
        raise DataError("no customer id column (the first column that is not a month)", file=file, row=1)
    id_col = next((c for c in other if c.strip().lower().replace(" ", "_") in _ID_NAMES), other[0])
    ids = raw[id_col].map(lambda v: "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v).strip())

    values, symbols = _cells(raw, month_cols, file)
    result.currency = _currency(result.currency, symbols)
    ticks = {c: [int(v * TICKS_PER_UNIT) if (v * TICKS_PER_UNIT) == int(v * TICKS_PER_UNIT)
                 else _too_fine(raw, i, c, file) for i, v in enumerate(values[c])] for c in month_cols}
    frame = pd.DataFrame(ticks, index=raw.index)
    row_sum = frame.sum(axis=1)
    text_cells = raw[other].astype(str)
    labelled = ids.map(is_total_label) | text_cells.map(is_total_label).any(axis=1)
    blank_id = (ids == "") & ~labelled
    if blank_id.any():
        first = raw.loc[blank_id, "_row"].iloc[0]
        if (row_sum[blank_id] == 0).all():
            result.add("blank id and no amount", blank_id, raw, row_sum, "sum of cells")
        else:
            raise DataError("customer id is missing", file=file, row=int(first), column=id_col)
    by_sum = _sum_row(frame, labelled | blank_id)
    total = labelled | by_sum
    if total.any():
        names = ", ".join(repr(x) for x in ids[total].tolist()[:3])
        result.add(f"total row ({names}; a total is not a customer)", total, raw, row_sum, "sum of cells")
    for c in total_cols:
        column_sum = sum(_cells(raw, [c], file)[0][c], Decimal(0))
        result.set_aside.append(SetAside(f"total column {c!r} (a total is not a month)", 1,
                                         int((column_sum * TICKS_PER_UNIT).to_integral_value()), "sum of cells",
                                         [f"{raw['_file'].iloc[0]}: column {c}"]))
    keep = ~total & ~blank_id
    dup = ids[keep].duplicated(keep=False)
    if dup.any():
        rows = raw.loc[keep][dup]["_row"].tolist()
        raise DataError(f"customer id {ids[keep][dup].iloc[0]!r} appears on several rows ({rows[:5]}): one row per "
                        "customer", file=file, row=int(rows[1]), column=id_col)
    if result.as_of is None:  # every month of the sheet is complete
        last = max(months[c] for c in month_cols)
        result.as_of = pd.Period(number_to_month(last), "M").end_time.normalize() + pd.Timedelta(days=1)
        result.as_of_source = "the day after the last month column; pass --as-of to change it"
    through = as_number(last_complete_month(result.as_of))
    later = [c for c in month_cols if months[c] > through]
    if later:
        late_ticks = int(frame.loc[keep, later].to_numpy().sum())
        result.set_aside.append(SetAside(f"months after {number_to_month(through)} (not complete at the as-of date):"
                                         f" {', '.join(later)}", int((frame.loc[keep, later] > 0).to_numpy().sum()),
                                         late_ticks, "sum of cells", [f"columns {', '.join(later)}"]))
    rows = []
    for i in raw.index[keep]:
        for c in month_cols:
            if months[c] <= through and frame.at[i, c] > 0:
                rows.append((ids[i], number_to_month(months[c]), ticks_to_text(frame.at[i, c], 6)))
    result.rows_kept = int(keep.sum())
    result.frames["mrr"] = pd.DataFrame(rows, columns=["customer_id", "month", "mrr"]).assign(
        currency=result.currency)
    attributes = [c for c in other if c != id_col]
    if attributes:
        customers = raw.loc[keep, attributes].copy()
        customers.insert(0, "customer_id", ids[keep])
        result.frames["customers"] = customers.reset_index(drop=True)
    result.notes.append("an MRR matrix holds MRR per customer and month only: no subscriptions, billing periods, "
                        "plans or reasons for a change")
    return result


def _cells(raw: pd.DataFrame, columns: list[str], file: str) -> tuple[dict[str, list[Decimal]], set[str]]:
    """Cell values (Decimal currency units) per month column, and the currency symbols seen."""
    out: dict[str, list[Decimal]] = {}
    symbols: set[str] = set()
    for c in columns:
        values = []
        for i, v in raw[c].items():
            cell = "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v).strip()
            # Shift_JIS has no ¥ of its own: byte 0x5C shows as ¥ in Japanese Excel and decodes as "\\"
            symbols.update("¥" if s == "\\" else s for s in ("¥", "￥", "円", "$", "\\") if s in cell)
            cleaned = _SYMBOLS.sub("", cell)
            if cleaned in ("", "-", "—", "－", "ー"):
                values.append(Decimal(0))
                continue
            try:
                number = Decimal(cleaned)
            except InvalidOperation:
                raise DataError(f"cannot read the amount {cell[:40]!r}", file=file, row=int(raw.at[i, "_row"]),
                                column=c) from None
            if not number.is_finite() or number < 0:
                raise DataError(f"amount {cell[:40]!r} is not a non-negative number (MRR cannot be negative)",
                                file=file, row=int(raw.at[i, "_row"]), column=c)
            values.append(number)
        out[c] = values
    return out, symbols


def _too_fine(raw: pd.DataFrame, i: int, column: str, file: str) -> int:
    raise DataError(f"amount {raw.at[raw.index[i], column]!r} is finer than 1/1200 of a unit", file=file,
                    row=int(raw.at[raw.index[i], "_row"]), column=column)


def _currency(given: str | None, symbols: set[str]) -> str:
    yen = bool(symbols & {"¥", "￥", "円"})
    if given:
        code = given.strip().upper()
        if yen and code != "JPY":
            raise ParameterError(f"the cells carry yen signs but --currency says {code}")
        return code
    if yen and "$" in symbols:
        raise ParameterError("the cells mix ¥ and $: give the currency with --currency")
    if yen:
        return "JPY"
    raise ParameterError("the matrix does not say its currency" + (" ($ does not say which dollar)" if symbols
                                                                     else "") +
                         ": give it with --currency CODE (e.g. --currency USD); it is never assumed")


def _sum_row(frame: pd.DataFrame, excluded: pd.Series) -> pd.Series:
    """The one row (if any) whose every month equals the sum of at least two other rows."""
    found = pd.Series(False, index=frame.index)
    rest = frame[~excluded]
    if len(rest) < 3:
        return found
    sums = rest.sum(axis=0)
    counts = (rest > 0).sum(axis=0)
    for i in rest.index:
        row = rest.loc[i]
        if row.sum() > 0 and ((row * 2 == sums) | (row == 0) & (sums == 0)).all() and (counts[row > 0] >= 3).all():
            found[i] = True
            break
    return found

