"""Data warnings in the report's languages (issue 13): a loader builds each
:class:`~saas_kit.errors.DataWarning` from a message key and its fields
(``saas_kit/messages/<lang>/warning.yml``), so the CLI prints the English text as before
and the data page says it in the page's language. Errors (DataError, ParameterError)
stop a run and stay English."""
from __future__ import annotations

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
