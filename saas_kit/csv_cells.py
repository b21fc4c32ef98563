"""CSV cells safe to open in a spreadsheet (issue 5, "Security of the published report"):
:func:`safe_cell` writes numbers as numbers and guards text against formula (CSV)
injection (OWASP: a leading ``'`` before ``=``, ``+``, ``-``, ``@``). Used by the
report's downloads (:mod:`saas_kit.export`) and the facts tables (:mod:`saas_kit.facts.tables`)."""
from __future__ import annotations

import datetime as _dt
import math
import numbers

import numpy as np
import pandas as pd

#: Leading characters that make a spreadsheet read a text cell as a formula (OWASP's
#: list, plus the full-width forms a Japanese input method produces).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def safe_cell(value: object) -> str:
    """One CSV cell as text, safe against formula injection.

    Numbers (int, float, numpy numbers; not bool) are written as numbers: ``repr`` of
    the float, so the value reads back exactly; NaN, None and NaT are an empty cell.
    Everything else is text; text starting with one of :data:`FORMULA_PREFIXES` gets a
    leading ``'`` (so ``"-2+3"`` becomes ``"'-2+3"`` while the number ``-2.5`` stays
    ``"-2.5"``). Periods and timestamps are written as ``2026-10`` / ISO dates.
    """
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        x = float(value)
        if math.isnan(x):
            return ""
        if math.isinf(x):
            return "inf" if x > 0 else "'-inf"
        return repr(x)
    if isinstance(value, pd.Timestamp):
        text = value.isoformat() if (value.hour or value.minute or value.second or value.microsecond) \
            else value.strftime("%Y-%m-%d")
    elif isinstance(value, (_dt.datetime, _dt.date)):
        text = value.isoformat()
    else:
        try:
            if pd.isna(value):
                return ""
        except (TypeError, ValueError):  # list-like values: not missing
            pass
        text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


__all__ = ["FORMULA_PREFIXES", "safe_cell"]
