"""The Japanese edition of the NRR, ARR and New ARR mix chapters (issue 13, "strings A"):
every text, table header and cell and every chart label of those pages comes from the
Japanese message tables, with no English word left; the band table and the number
formats speak both languages; the English texts stay those of the band data."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from saas_kit import charts  # noqa: E402
from saas_kit.analysis import build_analysis  # noqa: E402
from saas_kit.bands import (BANDS, METRIC_NAMES, applies_text, band_caveat, band_label, bands_for,  # noqa: E402
                            bands_table, metric_name, range_text, source_text, verdict_text)
from saas_kit.chart_words import currency_name, month_labels  # noqa: E402
from saas_kit.formatting import Formatter  # noqa: E402
from saas_kit.i18n import check_message_tables  # noqa: E402
from saas_kit.i18n_check import message_table_issues  # noqa: E402
from saas_kit.loading import load_dataset  # noqa: E402
from saas_kit.pages import nrr  # noqa: E402
from saas_kit.pages.base import cite_sources  # noqa: E402
from saas_kit.pages.new_arr_mix import share_reading  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ja_words import english_words  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("01_nrr", "02_arr_t2d3", "03_new_arr_mix")
#: Texts and tables of these pages written by other modules (kpis.py, pages/overview.py,
#: the frame's common texts): their Japanese is checked by their own tests.
OTHER_TEXTS = ("kpi_", "verdict_", "who_moved")
OTHER_TABLES = {"overview_kpis", "who_moved", "pdf_link"}
#: Tables whose cells come from kpis.py (the headers are this page's).
KPI_CELL_TABLES = {"kpis"}
#: Chart functions of the three chapters and of the churn chapter (their words are charts.py's).
CHARTS = {"01_nrr": ("nrr_bridge", "nrr_trend", "nrr_segments"),
          "02_arr_t2d3": ("arr_one_off", "arr_growth", "arr_t2d3"),
          "03_new_arr_mix": ("seed_002_cases", "arr_movements", "quick_ratio_trend", "new_arr_share"),
          "04_churn_compounding": ("retention_curves", "churn_trend", "cohort_heatmap")}


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(ROOT / "data" / "sample")


@pytest.fixture(scope="module")
def ja(dataset):
    return build_analysis(dataset, None, "ja", lang="ja")


@pytest.fixture(scope="module")
def data_names(dataset) -> set[str]:
    """Names that come from the data (segments, plans, customers) and may stay as they are."""
    names: set[str] = set()
    customers = dataset.customers
    for column in ("segment", "plan", "name", "customer_id"):
        if customers is not None and column in customers.columns:
            names.update(str(v) for v in customers[column].dropna().unique())
    return names


def left_english(text, data_names: set[str]) -> list[str]:
    """English words of ``text`` after removing the data's own names."""
    text = str(text)
    for name in sorted(data_names, key=len, reverse=True):
        text = text.replace(name, " ")
    return english_words(text)


def table_strings(table) -> list[str]:
    """Every header, index label and cell of a page table (or its one-line note)."""
    if isinstance(table, str):
        return [table]
    plain = isinstance(table.index, pd.RangeIndex) and table.index.name is None  # not shown (table_html)
    frame = table if plain else table.reset_index()
    return [str(c) for c in frame.columns] + [str(v) for v in frame.to_numpy().ravel() if isinstance(v, str)]


# ------------------------------------------------------------------ pages


@pytest.mark.parametrize("chapter", PAGES)
def test_every_text_of_the_page_is_japanese(ja, data_names, chapter):
    texts = {k: v for k, v in ja.pages[chapter].texts.items() if not k.startswith(OTHER_TEXTS)}
    assert len(texts) > 10
    left = {k: left_english(v, data_names) for k, v in texts.items()}
    assert {k: v for k, v in left.items() if v} == {}


@pytest.mark.parametrize("chapter", PAGES)
def test_every_table_header_and_cell_is_japanese(ja, data_names, chapter):
    page = ja.pages[chapter]
    checked = 0
    for name, table in page.tables.items():
        if name in OTHER_TABLES:
            continue
        if name in KPI_CELL_TABLES:
            strings = [str(c) for c in table.reset_index().columns]
        else:
            strings = table_strings(table)
        checked += 1
        left = [(s, w) for s in strings if (w := left_english(s, data_names))]
        assert left == [], f"{chapter} table {name!r}"
    assert checked >= 4


def test_japanese_pages_use_japanese_numbers_and_months(ja):
    arr = ja.pages["02_arr_t2d3"]
    assert arr.texts["arr_t2d3_base"] == "2024年10月"
    assert arr.texts["arr_stage"] == "グロース期"
    assert arr.tables["yoy"].index.name == "月"
    assert list(arr.tables["yoy"].index) == ["2026年10月", "2025年10月", "2024年10月"]
    mix = ja.pages["03_new_arr_mix"]
    assert mix.texts["nna_stage_band"] == "ARR 1億円〜10億円の企業で50〜60%"
    assert mix.texts["nna_ape_band"] == "要改善（1,500万円未満）"
    assert list(mix.tables["cases"].index) == ["ケース1", "ケース2"]
    assert ja.pages["01_nrr"].texts["nrr_negative_months"].startswith("直近12か月のうち")


def test_sources_in_japanese_tables_become_numbered_citations(ja):
    bands = ja.pages["02_arr_t2d3"].tables["bands"]
    assert set(bands["出典"]) == {"[2]", "[3]", "[3, 5]"}
    assert "出典[3]" in ja.pages["03_new_arr_mix"].tables["cases"].columns[-1]


# ------------------------------------------------------------------ charts


def figure_texts(fig) -> list[str]:
    """Titles, axis labels, tick labels, legend texts and annotations of a figure."""
    out = []
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        out += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
        if ax.get_legend():
            out += [t.get_text() for t in ax.get_legend().get_texts()]
        out += [t.get_text() for t in ax.texts]
    return [t for t in out if t]


def draw(monkeypatch, function, page) -> list[list[str]]:
    """The texts of every figure ``function`` shows for ``page``."""
    shown = []
    charts.use_report_style()
    monkeypatch.setattr(charts, "_show", lambda: shown.append(figure_texts(plt.gcf())))
    plt.close("all")
    function(page)
    plt.close("all")
    return shown


@pytest.mark.parametrize("chapter,name", [(c, n) for c, names in CHARTS.items() for n in names])
def test_every_chart_label_is_japanese(ja, data_names, monkeypatch, chapter, name):
    figures = draw(monkeypatch, getattr(charts, name), ja.pages[chapter])
    assert figures, f"{name} showed no figure"
    texts = [t for fig in figures for t in fig]
    assert any(any("\u3040" <= ch <= "\u9fff" for ch in t) for t in texts), texts
    assert [(t, w) for t in texts if (w := left_english(t, data_names))] == []


def test_the_bridge_chart_in_japanese(ja, monkeypatch):
    (texts,) = draw(monkeypatch, charts.nrr_bridge, ja.pages["01_nrr"])
    for word in ("月初MRR", "新規", "拡大", "復帰", "縮小", "解約", "月末MRR", "MRR（円）",
                 "MRRの増減内訳（2026年10月）", "増減の内訳"):
        assert word in texts


# ---------------------------------------------------------------- bands


def test_english_band_texts_are_the_band_data():
    for band in BANDS:
        assert band_label(band) == band.label
        assert band_caveat(band) == band.caveat
    assert {m: metric_name(m) for m in METRIC_NAMES} == METRIC_NAMES


def test_every_band_has_japanese_words():
    table = bands_table(lang="ja")
    assert len(table) == len(BANDS)
    for column in ("metric_name", "band", "range", "applies_to", "verdict", "source", "caveat"):
        for text in table[column]:
            left = [w for w in english_words(cite_sources(text)) if w not in ("B2C", "Enterprise", "SMB")]
            assert left == [], (column, text)


def test_japanese_range_texts():
    qr = {b.verdict: b for b in bands_for("quick_ratio")}
    assert range_text(qr["excellent"], "ja") == "4以上"
    assert range_text(qr["average"], "ja") == "2〜4"
    assert range_text(qr["needs work"], "ja") == "2未満"
    churn = bands_for("logo_churn_monthly", segment="B2B")
    assert [range_text(b, "ja") for b in churn] == ["0〜1%", "1〜2%", "2〜3%", "3〜5%", "5%以上"]
    ape = bands_for("arr_per_employee")
    assert [range_text(b, "ja") for b in ape] == ["3,000万円以上", "1,500万円〜3,000万円", "1,500万円未満"]
    assert range_text(bands_for("ltv_to_cac")[0], "ja") == "3超"
    assert range_text(bands_for("grr")[0], "ja") == "80%"
    # the English stays as it was
    assert range_text(ape[1]) == "¥15M–¥30M" and range_text(qr["excellent"]) == "≥ 4"


def test_japanese_applies_and_source_texts():
    share = bands_for("new_arr_share")
    assert [applies_text(b, "ja") for b in share] == ["ARR 1億円未満", "ARR 1億円〜10億円", "ARR 10億円超"]
    assert applies_text(share[0]) == "ARR < ¥100M"
    assert applies_text(bands_for("arr_multiple")[2], "ja") == "ARR成長率 30%未満"
    milestone = bands_for("arr_milestone")[0]
    assert source_text(milestone) == "seeds 002, 004" and source_text(milestone, "ja") == "[seeds 002, 004]"
    assert verdict_text("needs work", "ja") == "要改善" and verdict_text("between good and average") == \
        "between good and average"


# -------------------------------------------------------- words of numbers


def test_formatter_words_follow_the_language():
    en, ja_fmt = Formatter("en", "JPY", "en"), Formatter("ja", "JPY", "ja")
    nan = float("nan")
    assert (en.pct(nan), ja_fmt.pct(nan)) == ("n/a", "—")
    assert (en.ratio(math.inf), ja_fmt.ratio(nan)) == ("undefined", "定義できません")
    assert (en.count(nan), ja_fmt.count(1234)) == ("n/a", "1,234")
    assert (en.days(3.46), ja_fmt.days(3.46)) == ("3.5 days", "3.5日")
    assert (en.p_value(0.0004), ja_fmt.p_value(0.0004), ja_fmt.p_value(0.0125)) == ("below 0.001", "0.001未満", "0.013")
    assert (en.month_short("2026-03"), ja_fmt.month_short(pd.Period("2026-03", "M"))) == ("2026-03", "2026年3月")
    # a Japanese number style in the English edition keeps English words
    assert Formatter("ja", "JPY", "en").month_short("2026-03") == "2026-03"


def test_chart_words():
    months = pd.period_range("2025-11", "2026-01", freq="M")
    assert month_labels(months) == ["2025-11", "2025-12", "2026-01"]
    assert month_labels(months, "ja") == ["2025年11月", "2025年12月", "2026年1月"]
    assert (currency_name("JPY"), currency_name("JPY", "ja"), currency_name("CHF", "ja")) == ("JPY", "円", "CHF")


def test_page_phrases_in_both_languages():
    assert nrr.net_churn_state(-0.01, "ja").startswith("ネガティブチャーン")
    assert nrr.ttm_state(float("nan"), "ja") == "データが1年分に満たないため、まだ算出できません"
    smb = bands_for("grr", segment="SMB")[0]
    assert nrr.grr_benchmark("SMB", smb.low + 0.05, "ja") == "SMB中心の企業の典型値（80%）を上回る"
    assert nrr.grr_benchmark("Enterprise", 0.85) == "below the typical 90% of enterprise-focused companies"
    assert share_reading("within", "ja").startswith("この規模の企業について")


# ------------------------------------------------------------ message tables


def test_message_tables_are_complete_and_use_the_glossary():
    assert check_message_tables() == []
    assert message_table_issues("ja") == []
