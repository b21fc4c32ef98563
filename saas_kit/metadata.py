"""The data folder's metadata file ``dataset.yml`` and the as-of date (metrics.md §2, §8).

``dataset.yml`` sits beside the canonical files and says what the files cannot:

.. code-block:: yaml

    as_of: 2026-11-01          # when the export was taken (ISO date)
    currency: JPY              # ISO 4217 code of every amount
    source:                    # where the files came from
      format: stripe-subscriptions
      files: [subscriptions_export.csv]
    imported_at: 2026-12-01T01:02:03Z

Every key is optional. ``saas-kit import`` and ``saas-kit generate`` write it; every
command that reads a data folder reads it (an explicit ``--as-of`` / ``--currency``
wins over the file).

As-of rules (metrics.md §2): month M is *complete* when ``last_day(M) < as_of``; only
complete months are reported, the default report month is the last complete month,
and nothing dated after the as-of date counts. Without an as-of date, today.
"""
from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import Any

import pandas as pd

from saas_kit.errors import DataError, ParameterError

METADATA_FILE = "dataset.yml"
_KEYS = ("as_of", "currency", "source", "imported_at")
_CURRENCY = re.compile(r"[A-Z]{3}")


def parse_as_of(value: str | _dt.date | pd.Timestamp | None, what: str = "as-of date") -> pd.Timestamp | None:
    """An as-of date (``YYYY-MM-DD``, a date or a Timestamp) -> midnight Timestamp; None
    stays None. A date before 1990 or after today is a ParameterError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (_dt.date, pd.Timestamp)):
        ts = pd.Timestamp(value)
    elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip(), re.ASCII):
        try:
            ts = pd.Timestamp(value.strip())
        except ValueError:
            raise ParameterError(f"{what} {value!r} is not a real date") from None
    else:
        raise ParameterError(f"{what} must look like YYYY-MM-DD (e.g. 2026-11-01), got {value!r}")
    ts = ts.tz_localize(None).normalize() if ts.tzinfo is not None else ts.normalize()
    if ts.year < 1990:
        raise ParameterError(f"{what} {ts.date()} is before 1990")
    if ts > pd.Timestamp.today().normalize() + pd.Timedelta(days=1):
        raise ParameterError(f"{what} {ts.date()} is in the future (an export cannot be taken after today)")
    return ts


def today() -> pd.Timestamp:
    return pd.Timestamp.today().normalize()


def last_complete_month(as_of: pd.Timestamp) -> pd.Period:
    """The latest month M with ``last_day(M) < as_of``: the month before the as-of
    date's month (an as-of date on the 1st makes the previous month complete)."""
    return pd.Timestamp(as_of).to_period("M") - 1


def read_metadata(directory: str | Path) -> dict[str, Any]:
    """The keys of ``directory/dataset.yml`` (``as_of`` as a Timestamp, ``currency``
    upper-case), or ``{}`` when there is no such file. Unknown keys are kept; a broken
    file is a DataError naming it."""
    path = Path(directory) / METADATA_FILE
    if not path.is_file():
        return {}
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"cannot read the metadata file ({type(exc).__name__}: {str(exc).splitlines()[0]})",
                        file=str(path)) from None
    return parse_metadata(text, str(path))


def parse_metadata(text: str, file: str) -> dict[str, Any]:
    """The keys of a ``dataset.yml`` given as text (``file`` names it in errors), as
    :func:`read_metadata` returns them; engines that read the file themselves (the Spark
    engine on any path Spark reads) use this."""
    import yaml

    try:
        # BaseLoader: every value stays text (no YAML date or number guessing), checked below
        loaded = yaml.load(text.lstrip("\ufeff"), Loader=yaml.BaseLoader)
    except (yaml.YAMLError, ValueError) as exc:
        raise DataError(f"cannot read the metadata file ({type(exc).__name__}: {str(exc).splitlines()[0]})",
                        file=file) from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise DataError("the metadata file must hold keys such as 'as_of: 2026-11-01' and 'currency: JPY'",
                        file=file)
    meta = dict(loaded)
    try:
        meta["as_of"] = parse_as_of(meta.get("as_of"), "as_of")
    except ParameterError as exc:
        raise DataError(str(exc), file=file, column="as_of") from None
    currency = meta.get("currency")
    if currency is not None and str(currency).strip():
        code = str(currency).strip().upper()
        if not _CURRENCY.fullmatch(code):
            raise DataError(f"currency {currency!r} is not a 3-letter ISO code such as JPY", file=file,
                            column="currency")
        meta["currency"] = code
    else:
        meta["currency"] = None
    return meta


def write_metadata(directory: str | Path, *, as_of: pd.Timestamp | _dt.date | None, currency: str | None,
                   source: dict[str, Any] | None = None, imported_at: _dt.datetime | None = None) -> Path:
    """Write ``directory/dataset.yml`` (see the module docstring) and return its path."""
    import yaml

    meta: dict[str, Any] = {}
    if as_of is not None:
        meta["as_of"] = pd.Timestamp(as_of).date().isoformat()
    if currency:
        meta["currency"] = str(currency).upper()
    if source:
        meta["source"] = source
    stamp = imported_at or _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
    meta["imported_at"] = stamp.isoformat().replace("+00:00", "Z")
    path = Path(directory) / METADATA_FILE
    text = "# saas-kit data folder metadata (data/README.md explains each key)\n"
    text += yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, default_flow_style=None)
    path.write_text(text, encoding="utf-8")
    return path
