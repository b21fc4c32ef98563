import math

import numpy as np
import pytest

from saas_kit.errors import ParameterError
from saas_kit.formatting import (
    format_count,
    format_money,
    format_money_exact,
    format_percent,
    format_ratio,
)

NAN = float("nan")


@pytest.mark.parametrize(
    "value, expected",
    [
        (123_400_000, "¥123.4M"),
        (1_200_000_000, "¥1.2B"),
        (1_234_567_890, "¥1.2B"),
        (850_000, "¥850K"),
        (950, "¥950"),
        (0, "¥0"),
        (12_000_000, "¥12M"),
        (-1_200_000, "-¥1.2M"),
        (-850_000, "-¥850K"),
        # rounding at unit boundaries moves to the next unit
        (999_950, "¥1M"),
        (999_949, "¥999.9K"),
        (999_950_000, "¥1B"),
        (999.6, "¥1K"),
        (999.4, "¥999"),
        (-999_950, "-¥1M"),
        # half away from zero on the decimal value
        (1_250_000, "¥1.3M"),
        (1_350_000, "¥1.4M"),
        (-1_250_000, "-¥1.3M"),
        # tiny negatives that round to zero carry no sign
        (-0.3, "¥0"),
        (2_500_000_000_000, "¥2.5T"),
        (np.int64(60_000_000), "¥60M"),
        (np.float64(8_333_333.33), "¥8.3M"),
        (NAN, "n/a"),
        (None, "n/a"),
        (math.inf, "n/a"),
    ],
)
def test_format_money_jpy_en(value, expected):
    assert format_money(value) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        (123_400_000, "1億2,340万円"),
        (83_333_333, "8,333万円"),
        (950, "950円"),
        (1_200_000_000, "12億円"),
        (10_000, "10,000円"),
        (3_333.33, "3,333円"),
        (999_999, "100万円"),
        (735_180, "73.5万円"),
        (-735_180, "-73.5万円"),
        (100_000, "10万円"),
        (99_999, "99,999円"),
        (99_999.6, "10万円"),
        (120_040, "12万円"),
        (994_999, "99.5万円"),
        (999_499, "99.9万円"),
        (1_000_000, "100万円"),
        (130_800_000, "1億3,080万円"),
        (1_234_567_890, "12億3,457万円"),
        (1_000_000_000_000, "1兆円"),
        (1_234_500_000_000, "1兆2,345億円"),
        (-1_200_000, "-120万円"),
        (0, "0円"),
        (NAN, "—"),
    ],
)
def test_format_money_jpy_ja(value, expected):
    assert format_money(value, style="ja") == expected


@pytest.mark.parametrize(
    "value, currency, expected",
    [
        (1_200_000, "USD", "$1.2M"),
        (850_000, "EUR", "€850K"),
        (850_000, "eur", "€850K"),
        (3_400_000_000, "GBP", "£3.4B"),
        (1_200_000, "CHF", "1.2M CHF"),
        (-1_200_000, "CHF", "-1.2M CHF"),
        (950, "USD", "$950"),
        (9.5, "USD", "$9.50"),
        (9.999, "USD", "$10"),
        (NAN, "USD", "n/a"),
    ],
)
def test_format_money_other_currencies(value, currency, expected):
    assert format_money(value, currency) == expected


def test_format_money_ja_style_falls_back_to_english_for_other_currencies():
    assert format_money(1_200_000, "USD", style="ja") == "$1.2M"


def test_format_money_precision():
    assert format_money(123_456_789, precision=2) == "¥123.46M"
    assert format_money(123_456_789, precision=0) == "¥123M"
    assert format_money(999_500, precision=0) == "¥1M"


def test_format_money_rejects_bad_parameters():
    with pytest.raises(ParameterError):
        format_money(1, style="fr")
    with pytest.raises(ParameterError):
        format_money(1, precision=-1)
    with pytest.raises(ParameterError):
        format_money(1, currency="")
    with pytest.raises(ParameterError):
        format_money("abc")


def test_worked_example_15_seed_004_mrr_of_100m_arr_exact():
    # seed 004: ARR 100,000,000 yen -> MRR 8,333,333 yen (the seed rounds to 8.33M)
    assert format_money_exact(100_000_000 / 12) == "¥8,333,333"
    assert format_money_exact(100_000_000 / 12, style="ja") == "8,333,333円"
    assert format_money(100_000_000 / 12, precision=2) == "¥8.33M"


@pytest.mark.parametrize(
    "value, currency, expected",
    [
        (1_234.5, "USD", "$1,234.50"),
        (1_234.5, "CHF", "1,234.50 CHF"),
        (-8_333_333.4, "JPY", "-¥8,333,333"),
        (0.4, "JPY", "¥0"),
        (-0.4, "JPY", "¥0"),
        (2.5, "JPY", "¥3"),
        (NAN, "JPY", "n/a"),
    ],
)
def test_format_money_exact(value, currency, expected):
    assert format_money_exact(value, currency) == expected


@pytest.mark.parametrize(
    "value, kwargs, expected",
    [
        (0.021, {}, "2.1%"),
        (0.021, {"signed": True}, "+2.1%"),
        (-0.05, {"signed": True}, "-5.0%"),
        (-0.05, {}, "-5.0%"),
        (1.021, {}, "102.1%"),
        (0.0145, {}, "1.5%"),  # decimal half-up, not binary rounding
        (0.5404, {"decimals": 0}, "54%"),
        (0.134, {"decimals": 2}, "13.40%"),
        (0.0, {"signed": True}, "0.0%"),
        (-0.0004, {}, "0.0%"),
        (12.5, {}, "1,250.0%"),
        (NAN, {}, "n/a"),
        (None, {"signed": True}, "n/a"),
    ],
)
def test_format_percent(value, kwargs, expected):
    assert format_percent(value, **kwargs) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        (2.666, "2.67×"),
        (8 / 3, "2.67×"),
        (6.0, "6.00×"),
        (0.0, "0.00×"),
        (NAN, "undefined"),
        (math.inf, "undefined"),
    ],
)
def test_format_ratio(value, expected):
    assert format_ratio(value) == expected


def test_format_ratio_decimals():
    assert format_ratio(1.75, decimals=1) == "1.8×"


@pytest.mark.parametrize(
    "value, expected",
    [(1000, "1,000"), (540.4, "540"), (693.84, "694"), (0, "0"), (-5, "-5"), (np.int64(1234567), "1,234,567"),
     (NAN, "n/a")],
)
def test_format_count(value, expected):
    assert format_count(value) == expected
