import dataclasses
import math

import pytest

from saas_kit.bands import (
    BANDS,
    METRIC_NAMES,
    VERDICTS,
    Band,
    bands_for,
    bands_table,
    place_in_band,
    position_in_band,
    range_text,
)
from saas_kit.errors import ParameterError
from saas_kit.growth import T2D3_MULTIPLIERS

M = 1_000_000
NAN = float("nan")


def verdict(metric, value, **context):
    band = place_in_band(metric, value, **context)
    return None if band is None else band.verdict


# --- the data -----------------------------------------------------------------------

def test_bands_are_frozen_and_well_formed():
    band = BANDS[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        band.low = 0
    for b in BANDS:
        assert isinstance(b, Band)
        assert b.metric in METRIC_NAMES
        assert b.verdict in VERDICTS
        assert b.caveat
        assert set(b.source_seed.replace(" ", "").split(",")) <= {"000", "001", "002", "003", "004"}
        if b.low is not None and b.high is not None:
            assert b.low <= b.high


def test_every_row_of_metrics_section_6_is_covered():
    assert {b.metric for b in BANDS} == set(METRIC_NAMES)


def test_section_6_figures_in_fraction_and_yen_units():
    values = {(b.metric, b.label): (b.low, b.high) for b in BANDS}
    assert values[("nrr", "Japanese B2B SaaS average")] == (1.021, 1.021)  # seed 000
    assert values[("nrr", "US SaaS at IPO, median")] == (1.10, 1.20)  # seed 003
    assert values[("nrr", "Snowflake")] == (1.50, None)  # seed 003
    assert [b.low for b in bands_for("grr")] == [0.80, 0.90]  # seed 000
    assert [b.segment for b in bands_for("grr")] == ["SMB", "Enterprise"]
    assert [(b.low, b.high) for b in bands_for("new_arr_share")] == [(0.7, 0.8), (0.5, 0.6), (0.3, 0.4)]
    stages = [(b.low, b.high) for b in bands_for("arr_growth")]
    assert stages == [(2.0, 3.0), (1.0, 2.0), (0.3, 0.5), (0.2, 0.3)]
    assert [b.condition_low for b in bands_for("arr_growth")] == [0, 30 * M, 300 * M, 1000 * M]
    assert [(b.low, b.high) for b in bands_for("arr_multiple")] == [(10, 20), (5, 10), (3, 5)]
    assert [b.low for b in bands_for("arr_milestone")] == [100 * M, 1000 * M, 10_000 * M]
    assert [b.low for b in bands_for("early_churn_share_30d")] == [0.40]
    assert [b.low for b in bands_for("early_churn_share_45d")] == [0.65]


def test_t2d3_band_matches_the_plan_multipliers():
    (band,) = bands_for("t2d3")
    assert band.low == math.prod(T2D3_MULTIPLIERS) == 72


# --- boundaries ---------------------------------------------------------------------

@pytest.mark.parametrize(
    "value, expected",
    [(6.0, "excellent"), (4.0, "excellent"), (3.99, "average"), (8 / 3, "average"), (2.0, "average"),
     (1.99, "needs work"), (0.0, "needs work"), (NAN, None)],
)
def test_quick_ratio_bands_seed_002(value, expected):
    assert verdict("quick_ratio", value) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        (0.005, "good"),  # below the seed's 1%: our row, counted as good
        (0.01, "good"),
        (0.02, "good"),  # "1-2%" includes 2%
        (0.025, "between good and average"),  # the seed's gap
        (0.03, "average"),
        (0.049, "average"),
        (0.05, "needs work"),  # "5% or more"
        (0.20, "needs work"),
        (NAN, None),
    ],
)
def test_b2b_monthly_logo_churn_bands_seed_004(value, expected):
    assert verdict("logo_churn_monthly", value) == expected
    assert verdict("logo_churn_monthly", value, segment="B2B") == expected


@pytest.mark.parametrize(
    "value, expected",
    [(0.02, "good"), (0.03, "good"), (0.049, "good"), (0.05, "average"), (0.099, "average"),
     (0.10, "needs work"), (0.15, "needs work")],
)
def test_b2c_monthly_logo_churn_bands_seed_004(value, expected):
    assert verdict("logo_churn_monthly", value, segment="B2C") == expected
    assert verdict("logo_churn_monthly", value, segment="b2c") == expected


def test_churn_of_5_percent_depends_on_segment():
    assert verdict("logo_churn_monthly", 0.05, segment="B2B") == "needs work"
    assert verdict("logo_churn_monthly", 0.05, segment="B2C") == "average"


@pytest.mark.parametrize(
    "value, expected",
    [(30 * M, "excellent"), (45 * M, "excellent"), (29_999_999, "average"), (15 * M, "average"),
     (14_999_999, "needs work")],
)
def test_arr_per_employee_bands_seed_002(value, expected):
    assert verdict("arr_per_employee", value) == expected


@pytest.mark.parametrize("value, expected", [(3.01, "good"), (3.0, "needs work"), (1.0, "needs work")])
def test_ltv_to_cac_must_be_above_3_seed_004(value, expected):
    assert verdict("ltv_to_cac", value) == expected


@pytest.mark.parametrize(
    "arr, label",
    [(99_999_999, None), (100 * M, "¥100M: product-market fit"), (999 * M, "¥100M: product-market fit"),
     (1000 * M, "¥1B: scaling"), (10_000 * M, "¥10B: enterprise scale")],
)
def test_arr_milestones_seeds_002_004(arr, label):
    band = place_in_band("arr_milestone", arr)
    assert (band.label if band else None) == label


def test_nrr_references():
    assert place_in_band("nrr", 1.021).label == "Japanese B2B SaaS average"
    assert place_in_band("nrr", 1.10).label == "US SaaS at IPO, median"
    assert place_in_band("nrr", 1.20).label == "US SaaS at IPO, median"
    assert place_in_band("nrr", 1.50) is None  # "above 150%"
    assert place_in_band("nrr", 1.58).label == "Snowflake"
    assert place_in_band("nrr", 1.05) is None
    assert verdict("nrr", 1.15) == "reference"


def test_grr_references_by_segment():
    assert place_in_band("grr", 0.80, segment="SMB").label == "SMB-focused SaaS, typical"
    assert place_in_band("grr", 0.80, segment="Enterprise") is None
    assert place_in_band("grr", 0.90).segment == "Enterprise"
    assert place_in_band("grr", 0.90, segment="Mid-market") is None


@pytest.mark.parametrize(
    "arr, share, label",
    [
        (50 * M, 0.75, "ARR under ¥100M"),
        (50 * M, 0.55, None),
        (100 * M, 0.55, "ARR ¥100M–¥1B"),
        (1000 * M, 0.55, "ARR ¥100M–¥1B"),  # "1-10億円" includes 1B; "10億円超" starts above it
        (1000 * M + 1, 0.35, "ARR over ¥1B"),
        (5000 * M, 0.75, None),
    ],
)
def test_new_arr_share_by_arr_size_seed_002(arr, share, label):
    band = place_in_band("new_arr_share", share, arr=arr)
    assert (band.label if band else None) == label


def test_arr_growth_and_multiple_context():
    assert place_in_band("arr_growth", 2.5, arr=10 * M).label == "seed"
    assert place_in_band("arr_growth", 2.5, arr=100 * M) is None
    assert place_in_band("arr_multiple", 12, yoy=0.6).label == "growth 50% or more"
    assert place_in_band("arr_multiple", 12, yoy=0.4) is None


def test_place_in_band_context_errors():
    with pytest.raises(ParameterError):
        place_in_band("new_arr_share", 0.7)  # needs arr=
    with pytest.raises(ParameterError):
        place_in_band("arr_multiple", 10)  # needs yoy=
    with pytest.raises(ParameterError):
        place_in_band("quick_ratio", 3, segment="B2B")
    with pytest.raises(ParameterError):
        place_in_band("logo_churn_monthly", 0.03, segment="B2G")
    with pytest.raises(ParameterError):
        place_in_band("magic", 1.0)


def test_nan_and_none_give_none_everywhere():
    assert place_in_band("quick_ratio", None) is None
    assert place_in_band("quick_ratio", math.inf) is None
    assert place_in_band("new_arr_share", NAN, arr=50 * M) is None
    assert place_in_band("arr_per_employee", NAN) is None


def test_position_in_band():
    (early,) = bands_for("arr_growth", arr=100 * M)
    assert position_in_band(early, 0.5) == "below"
    assert position_in_band(early, 1.0) == "within"
    assert position_in_band(early, 2.0) == "within"
    assert position_in_band(early, 2.01) == "above"
    assert position_in_band(early, NAN) is None


# --- the report table ---------------------------------------------------------------

def test_bands_table_has_one_row_per_band_and_the_report_columns():
    table = bands_table()
    assert len(table) == len(BANDS)
    assert list(table.columns) == ["metric", "metric_name", "band", "range", "applies_to", "verdict",
                                   "source", "caveat"]
    assert table["caveat"].str.len().gt(0).all()


def test_bands_table_range_texts():
    qr = bands_table("quick_ratio")
    assert qr["range"].tolist() == ["≥ 4", "2–4", "< 2"]
    assert qr["source"].unique().tolist() == ["seed 002"]
    churn = bands_table("logo_churn_monthly").set_index("band")
    assert churn.loc["B2B 1–2%", "range"] == "1–2%"
    assert churn.loc["B2B 5% or more", "range"] == "≥ 5%"
    assert churn.loc["B2C 10% or more", "applies_to"] == "B2C"
    nrr = bands_table("nrr")
    assert nrr["range"].tolist() == ["102.1%", "110–120%", "> 150%"]
    ape = bands_table("arr_per_employee")
    assert ape["range"].tolist() == ["≥ ¥30M", "¥15M–¥30M", "< ¥15M"]
    mult = bands_table("arr_multiple")
    assert mult["range"].tolist() == ["10–20×", "5–10×", "3–5×"]
    assert mult["applies_to"].tolist() == ["ARR growth ≥ 50%", "ARR growth 30–50%", "ARR growth < 30%"]
    stages = bands_table("arr_growth")
    assert stages["applies_to"].tolist() == ["ARR < ¥30M", "ARR ¥30M–¥300M", "ARR ¥300M–¥1B",
                                             "ARR ≥ ¥1B"]
    assert range_text(bands_for("ltv_to_cac")[0]) == "> 3"


def test_bands_table_unknown_metric():
    with pytest.raises(ParameterError):
        bands_table("nope")
