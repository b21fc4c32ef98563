"""Text formatting of money, percentages, ratios and counts for the report.

Conventions (the methodology page repeats them):

- Rounding is half away from zero on the *decimal* value a float stands for
  (``0.0145`` -> ``1.5%``, not ``1.4%`` as binary rounding would give).
- Negative numbers start with an ASCII hyphen-minus (``-¥1.2M``, ``-2.1%``): it
  survives copy and paste into spreadsheets and CSV files. A value that rounds to
  zero prints without a sign (never ``-¥0`` or ``-0.0%``).
- Undefined values (NaN, None, +/-inf) print as ``n/a`` (English money, percent,
  count), ``—`` (Japanese money) or ``undefined`` (ratios such as the Quick Ratio,
  which is undefined when nothing was lost; metrics.md §4).
- Compact English money uses K / M / B / T (10^3 ... 10^12) with ``precision``
  decimals and trailing zeros dropped (``¥850K``, ``¥1.2M``). A value that rounds
  up to 1,000 of one unit moves to the next unit: 999,950 yen is ``¥1M``, never
  ``¥1000.0K``.
- Japanese yen style uses 万 (10^4), 億 (10^8) and 兆 (10^12). Amounts of one
  million yen or more are rounded to the nearest 万 (``1億2,340万円``, ``8,333万円``,
  ``12億円``); from 100,000 yen to one million, to the nearest tenth of 万
  (``73.5万円``, ``10万円``), so that a table column or a sentence with both
  ``244万円`` and a smaller amount reads in one unit; smaller amounts are written in
  whole yen (``950円``, ``10,000円``), the way seed 004 writes a CAC of 3,333円.
  ``precision`` does not apply to this style.
"""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from numbers import Integral

from saas_kit.calendar import month_label
from saas_kit.errors import ParameterError

#: Symbols written before the number; any other ISO code is written after it.
CURRENCY_SYMBOLS: dict[str, str] = {"JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£"}
#: Decimals of the currency's minor unit (JPY has none); others default to 2.
MINOR_UNIT_DECIMALS: dict[str, int] = {"JPY": 0}

_EN_UNITS = (
    (Decimal(10) ** 12, "T"),
    (Decimal(10) ** 9, "B"),
    (Decimal(10) ** 6, "M"),
    (Decimal(10) ** 3, "K"),
)
_JA_UNITS = ((10**12, "兆"), (10**8, "億"), (10**4, "万"))
_STYLES = ("en", "ja")


def _is_undefined(value) -> bool:
    if value is None:
        return True
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError):
        raise ParameterError(f"not a number: {value!r}") from None


def _decimal(value) -> Decimal:
    """The decimal a float stands for (its shortest repr), so 0.0145 is 0.0145;
    integers (Python or numpy) are taken exactly."""
    if isinstance(value, Integral):
        return Decimal(int(value))
    return Decimal(repr(float(value)))


def _round(d: Decimal, decimals: int) -> Decimal:
    return d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _strip_zeros(text: str) -> str:
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _with_currency(number: str, sign: str, code: str) -> str:
    symbol = CURRENCY_SYMBOLS.get(code)
    if symbol is not None:
        return f"{sign}{symbol}{number}"
    return f"{sign}{number} {code}"


def _check_currency(currency: str) -> str:
    if not isinstance(currency, str) or not currency.strip():
        raise ParameterError(f"currency must be an ISO code such as 'JPY', got {currency!r}")
    return currency.strip().upper()


def format_money(value, currency: str = "JPY", style: str = "en", precision: int = 1) -> str:
    """Compact money text for tables and headlines.

    English style: ``¥123.4M``, ``¥1.2B``, ``¥850K``, ``¥950``, ``$1.2M``, ``€850K``,
    ``1.2M CHF`` (a code without a known symbol goes after the number). Below 1,000
    the amount is printed in whole units (JPY) or with at most two decimals (other
    currencies). Japanese style (JPY only; other currencies fall back to English
    style): ``1億2,340万円``, ``8,333万円``, ``12億円``, ``73.5万円``, ``950円``. See the module
    docstring for rounding, signs and undefined values. Seed 004 writes ARR
    100,000,000 yen as MRR "8.33M"; ``format_money(8_333_333)`` gives ``¥8.3M``.
    """
    if style not in _STYLES:
        raise ParameterError(f"style must be 'en' or 'ja', got {style!r}")
    if not isinstance(precision, int) or precision < 0:
        raise ParameterError(f"precision must be a whole number >= 0, got {precision!r}")
    code = _check_currency(currency)
    if _is_undefined(value):
        return "—" if style == "ja" else "n/a"
    if style == "ja" and code == "JPY":
        return _format_ja_yen(_decimal(value))
    return _format_en(_decimal(value), code, precision)


def _format_en(d: Decimal, code: str, precision: int) -> str:
    magnitude = abs(d)
    sign = "-" if d < 0 else ""
    # Start from the largest unit the value reaches, then move one unit up when
    # rounding carries to 1,000 (999,950 yen -> 1M, never 1000.0K).
    units = [(Decimal(1), "")] + list(reversed(_EN_UNITS))  # 1, K, M, B, T
    i = 0
    while i + 1 < len(units) and magnitude >= units[i + 1][0]:
        i += 1
    size, suffix = units[i]
    decimals = precision if i > 0 else MINOR_UNIT_DECIMALS.get(code, 2)
    rounded = _round(magnitude / size, decimals)
    if rounded >= 1000 and i + 1 < len(units):
        size, suffix = units[i + 1]
        decimals = precision
        rounded = _round(magnitude / size, decimals)
    if rounded == 0:
        sign = ""
    if suffix:
        text = _strip_zeros(f"{rounded:,.{decimals}f}")  # 850.0K -> 850K
    elif rounded == rounded.to_integral_value():
        text = f"{rounded:,.0f}"  # $950, ¥950
    else:
        text = f"{rounded:,.{decimals}f}"  # $9.50 keeps both cent digits
    return _with_currency(text + suffix, sign, code)


def _format_ja_yen(d: Decimal) -> str:
    magnitude = abs(d)
    if magnitude < 100_000:
        whole = int(_round(magnitude, 0))
        if whole < 100_000:
            sign = "-" if (d < 0 and whole != 0) else ""
            return f"{sign}{whole:,}円"
    if magnitude < 1_000_000:  # 10万 to 100万: tenths of 万, so a column reads in one unit
        tenths = _round(magnitude / 10_000, 1)
        if tenths < 100:
            sign = "-" if d < 0 else ""
            return f"{sign}{_strip_zeros(f'{tenths:.1f}')}万円"
    man = int(_round(magnitude / 10_000, 0))  # whole 万
    rest = man * 10_000
    parts = []
    for size, name in _JA_UNITS:
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count:,}{name}")
    sign = "-" if d < 0 else ""
    return sign + "".join(parts) + "円"


def format_money_exact(value, currency: str = "JPY", style: str = "en") -> str:
    """Full-precision money text with thousands separators, rounded to the currency's
    minor unit: ``¥8,333,333`` (JPY, whole yen), ``$1,234.50``, ``1,234.50 CHF``;
    Japanese style ``8,333,333円``. Worked example 15 (seed 004): ARR 100,000,000 yen
    is MRR 8,333,333 yen (the seed rounds it to 8.33M). NaN -> ``n/a`` / ``—``."""
    if style not in _STYLES:
        raise ParameterError(f"style must be 'en' or 'ja', got {style!r}")
    code = _check_currency(currency)
    if _is_undefined(value):
        return "—" if style == "ja" else "n/a"
    d = _decimal(value)
    decimals = MINOR_UNIT_DECIMALS.get(code, 2)
    rounded = _round(abs(d), decimals)
    sign = "-" if (d < 0 and rounded != 0) else ""
    text = f"{rounded:,.{decimals}f}"
    if style == "ja" and code == "JPY":
        return f"{sign}{text}円"
    return _with_currency(text, sign, code)


def format_percent(value, decimals: int = 1, signed: bool = False) -> str:
    """A fraction as a percentage: ``0.021`` -> ``2.1%``; ``signed=True`` adds ``+``
    to positive values (``+2.1%``), for changes and net revenue churn. Negative
    values use ``-`` (``-5.0%``, seed 004's negative churn). A value that rounds to
    zero has no sign. NaN -> ``n/a``."""
    if not isinstance(decimals, int) or decimals < 0:
        raise ParameterError(f"decimals must be a whole number >= 0, got {decimals!r}")
    if _is_undefined(value):
        return "n/a"
    rounded = _round(_decimal(value) * 100, decimals)
    if rounded == 0:
        return f"{abs(rounded):.{decimals}f}%"
    sign = "-" if rounded < 0 else ("+" if signed else "")
    return f"{sign}{abs(rounded):,.{decimals}f}%"


def format_ratio(value, decimals: int = 2) -> str:
    """A ratio with a times sign: Quick Ratio 8/3 -> ``2.67×``, 6 -> ``6.00×``
    (seed 002's two cases). NaN or infinite (a Quick Ratio with nothing lost,
    metrics.md §4) -> ``undefined``."""
    if not isinstance(decimals, int) or decimals < 0:
        raise ParameterError(f"decimals must be a whole number >= 0, got {decimals!r}")
    if _is_undefined(value):
        return "undefined"
    rounded = _round(_decimal(value), decimals)
    sign = "-" if rounded < 0 else ""
    return f"{sign}{abs(rounded):,.{decimals}f}×"


def format_count(n) -> str:
    """A count with thousands separators: ``1000`` -> ``1,000``; a float (an expected
    number of customers such as 540.4) is rounded half away from zero. NaN -> ``n/a``."""
    if _is_undefined(n):
        return "n/a"
    rounded = int(_round(_decimal(n), 0))
    return f"{rounded:,}"


def displayed_change(now, before, decimals: int, scale: int = 100) -> Decimal | None:
    """The difference of two values *as displayed*: each rounded half away from zero to
    ``decimals`` places after scaling (100 for a percentage, 1 for a ratio), then
    subtracted, so a change always equals the difference of the two figures the reader
    sees (100.0% -> 100.3% is +0.3 pt even when the unrounded gap is 0.24 pt). None
    when either value is undefined."""
    if _is_undefined(now) or _is_undefined(before):
        return None
    return _round(_decimal(now) * scale, decimals) - _round(_decimal(before) * scale, decimals)


def format_points_change(now, before, decimals: int = 1) -> str:
    """Change of a rate in percentage points between the displayed percentages:
    ``0.1003, 0.1000`` -> ``+0.3 pt``; no sign for zero; NaN -> ``n/a``."""
    diff = displayed_change(now, before, decimals)
    if diff is None:
        return "n/a"
    sign = "" if diff == 0 else ("+" if diff > 0 else "-")
    return f"{sign}{abs(diff):,.{decimals}f} pt"


def format_ratio_change(now, before, decimals: int = 2) -> str:
    """Change of a ratio between the displayed ratios: ``4.30, 3.61`` -> ``+0.69``."""
    diff = displayed_change(now, before, decimals, scale=1)
    if diff is None:
        return "n/a"
    sign = "" if diff == 0 else ("+" if diff > 0 else "-")
    return f"{sign}{abs(diff):,.{decimals}f}"


def format_points(value) -> str:
    """A difference of two rates in percentage points: ``0.132`` -> ``+13.2 pt``."""
    return format_percent(value, 1, signed=True).replace("%", " pt")


def format_p_value(p) -> str:
    """A p-value as the report prints it: ``below 0.001`` or three decimals; ``n/a``."""
    if p is None or not math.isfinite(float(p)):
        return "n/a"
    return "below 0.001" if p < 0.001 else f"{p:.3f}"


def format_days(x) -> str:
    """A duration in days with one decimal: ``3.5 days``; ``n/a`` when undefined."""
    return "n/a" if not math.isfinite(float(x)) else f"{x:.1f} days"


class Formatter:
    """The report's number style and language bound to one currency: ``fmt.money(x)``,
    ``fmt.pct(x)``, ``fmt.ratio(x)``, ``fmt.month(p)`` (the helpers above) and
    ``fmt.msg(key, **fields)``, the text of a message in the report's language
    (:func:`saas_kit.i18n.message`, issue 13).

    ``lang`` is the language of the words (``en`` or ``ja``), ``style`` how numbers are
    written; a Japanese edition always writes numbers in the Japanese style."""

    def __init__(self, style: str = "en", currency: str = "JPY", lang: str = "en") -> None:
        from saas_kit.i18n import check_lang

        if style not in _STYLES:
            raise ParameterError(f"style must be one of {', '.join(_STYLES)}, got {style!r}")
        if check_lang(lang) == "ja" and style != "ja":
            raise ParameterError(f"the Japanese edition writes numbers in the ja style, got style {style!r}")
        self.style, self.currency, self.lang = style, currency, lang

    def msg(self, key: str, **fields) -> str:
        """Message ``key`` in this formatter's language, its ``{placeholders}`` filled."""
        from saas_kit.i18n import message

        return message(key, self.lang, **fields)

    def money(self, value, precision: int = 1) -> str:
        return format_money(value, self.currency, self.style, precision)

    def signed_money(self, value) -> str:
        """``+¥1.2M`` for a gain, ``-¥1.2M`` for a loss."""
        return ("+" if value > 0 else "") + self.money(value)

    def yen(self, value) -> str:
        """Exact yen (the seeds' worked examples are in yen whatever the data's currency)."""
        return format_money_exact(value, "JPY", self.style)

    def pct(self, value, decimals: int = 1, signed: bool = False) -> str:
        """:func:`format_percent`; an undefined value is ``n/a`` / ``—`` (message ``na``)."""
        return self.msg("na") if _is_undefined(value) else format_percent(value, decimals, signed)

    def ratio(self, value) -> str:
        """:func:`format_ratio`; an undefined ratio is ``undefined`` / ``定義できません``."""
        return self.msg("undefined") if _is_undefined(value) else format_ratio(value)

    def count(self, n) -> str:
        """:func:`format_count`; an undefined count is ``n/a`` / ``—``."""
        return self.msg("na") if _is_undefined(n) else format_count(n)

    def days(self, x) -> str:
        """A duration in days: ``3.5 days`` / ``3.5日`` (:func:`format_days`)."""
        return self.msg("na") if _is_undefined(x) else self.msg("format.days", days=f"{x:.1f}")

    def p_value(self, p) -> str:
        """A p-value: ``below 0.001`` / ``0.001未満`` or three decimals (:func:`format_p_value`)."""
        if _is_undefined(p):
            return self.msg("na")
        return self.msg("format.p_below") if p < 0.001 else f"{p:.3f}"

    def month_short(self, month) -> str:
        """The month in digits: ``2026-10`` (English) or ``2026年10月`` (Japanese)."""
        import pandas as pd

        period = pd.Period(month, freq="M")
        return self.msg("format.month_short", year=period.year, month=period.month)

    def month(self, month) -> str:
        """The month in words: ``October 2026`` (English) or ``2026年10月`` (Japanese
        style or language)."""
        return month_label(month, "ja" if self.lang == "ja" else self.style)
