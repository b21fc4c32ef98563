"""The package's own error and warning types.

Every problem with input data is raised as :class:`DataError`, whose message names
the file, the (1-based, header = row 1) row and the column, so that an analyst can
open the export and find the cell. Suspicious but usable data is not an error: it
becomes a :class:`DataWarning` that the report's data page lists.
"""
from __future__ import annotations

from dataclasses import dataclass


class SaasKitError(Exception):
    """Base class of every error this package raises on purpose."""


class DataError(SaasKitError, ValueError):
    """Bad input data. ``str(err)`` reads ``file, row N, column 'c': what is wrong``."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file = file
        self.row = row
        self.column = column
        self.reason = message
        super().__init__(_locate(file, row, column) + message)


class ParameterError(SaasKitError, ValueError):
    """A run parameter (report month, params file value, CLI option) is invalid."""


def _locate(file: str | None, row: int | None, column: str | None) -> str:
    parts = []
    if file is not None:
        parts.append(str(file))
    if row is not None:
        parts.append(f"row {row}")
    if column is not None:
        parts.append(f"column '{column}'")
    return (", ".join(parts) + ": ") if parts else ""


@dataclass(frozen=True)
class DataWarning:
    """Usable but suspicious data, kept as it is and shown on the report's data page."""

    file: str
    kind: str
    message: str
    rows: tuple[int, ...] = ()
    column: str | None = None
    #: The message key (``warning.*`` in ``saas_kit/messages/<lang>/warning.yml``) and its
    #: fields, so the data page can say it in the report's language (issue 13,
    #: :mod:`saas_kit.loading.data_warnings`); "" = the English ``message`` only. ``message``
    #: is the English text (the CLI, the English page).
    key: str = ""
    fields: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        where = _locate(self.file, None, self.column)
        rows = ""
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:10])
            more = f" and {len(self.rows) - 10} more" if len(self.rows) > 10 else ""
            rows = f" (rows {shown}{more})"
        return f"{where}{self.message}{rows}"

