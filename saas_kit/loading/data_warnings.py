"""Data warnings in the report's languages (issue 13): a loader builds each
:class:`~saas_kit.errors.DataWarning` from a message key and its fields
(``saas_kit/messages/<lang>/warning.yml``), so the CLI prints the English text as before
and the data page says it in the page's language. Errors (DataError, ParameterError)
stop a run and stay English."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from saas_kit.errors import DataWarning
from saas_kit.i18n import message


def data_warning(file: str, kind: str, key: str, rows: tuple[int, ...] | list[int] = (), column: str | None = None,
                 **fields: object) -> DataWarning:
    """A :class:`DataWarning` whose text is message ``warning.<key>`` filled with
    ``fields``: ``message`` holds the English text, :func:`warning_text` any language's."""
    values = tuple((name, str(value)) for name, value in fields.items())
    key = f"warning.{key}"
    return DataWarning(file, kind, message(key, "en", **dict(values)), tuple(rows), column, key, values)


def warning_text(warning: DataWarning, lang: str = "en") -> str:
    """The warning's sentence in ``lang`` (a warning without a key: its English ``message``)."""
    if not warning.key:
        return warning.message
    return message(warning.key, lang, **dict(warning.fields))


def warning_check(kind: str, lang: str = "en") -> str:
    """The name of a warning's check on the data page (``total_row`` / ``合計行``)."""
    return message(f"warning.kind.{kind}", lang)


def warnings_table(warnings: list[DataWarning], lang: str = "en") -> pd.DataFrame:
    """The warnings as a table for the report's data page: file names only (never a
    machine's folder paths), the check, the column, how many rows, the first row
    numbers and the message, the words in ``lang`` (``warning.*`` messages; the
    English ones are the warnings' own text)."""
    def first_rows(rows: tuple[int, ...]) -> str:
        shown = ", ".join(map(str, rows[:10]))
        return message("warning.more_rows", lang, rows=shown, more=len(rows) - 10) if len(rows) > 10 else shown

    return pd.DataFrame(
        [{"file": Path(w.file).name, "kind": warning_check(w.kind, lang), "column": w.column or "",
          "rows": len(w.rows), "first rows": first_rows(w.rows), "message": warning_text(w, lang)}
         for w in warnings],
        columns=["file", "kind", "column", "rows", "first rows", "message"],
    )
