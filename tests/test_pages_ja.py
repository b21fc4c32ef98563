"""The Japanese edition of the pages of "strings B" (issue 13): the data page (with its
warnings), the churn and activation chapters, the overview's KPI table and verdict, and
the KPI texts every chapter glues, all in Japanese, with the English unchanged."""
from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from ja_words import english_words
from saas_kit import bands
from saas_kit.analysis import build_analysis
from saas_kit.i18n import check_message_tables, message
from saas_kit.i18n_check import message_table_issues
from saas_kit.kpis import KPIS, band_label, band_label_key, band_text
from saas_kit.loading import load_dataset
from saas_kit.loading.schema import SCHEMAS
from saas_kit.loading.data_warnings import warning_text
from saas_kit.pages.base import cite_sources

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"
#: The pages of strings B; 01_nrr carries the overview (KPI table, verdict, who moved).
PAGES = ("00_data_quality", "04_churn_compounding", "05_activation")
#: Tables whose cells come from saas_kit.bands (helper "strings A"): only their headers are checked here.
BAND_TABLES = {("04_churn_compounding", "bands"), ("05_activation", "bands")}
OVERVIEW_TEXTS = ("verdict_grew", "verdict_shrank", "verdict_look_at", "who_moved_summary")


def data_names(ds) -> list[str]:
    """The data's own names (customers, segments, plans, events, ids, columns, currency,
    folder, the input files' column names): they stay as the data spell them. Longest first, so a name inside another goes after it."""
    names = {ds.currency, Path(ds.directory).resolve().name}
    names |= {str(c) for required, optional in SCHEMAS.values() for c in (*required, *optional)}  # input columns
    for frame in (ds.subscriptions, ds.customers, ds.events, ds.charges, ds.company):
        if frame is None:
            continue
        names |= {str(c) for c in frame.columns}
        for column in ("customer_id", "name", "segment", "plan", "event", "industry"):
            if column in frame.columns:
                names |= set(frame[column].dropna().astype(str))
    return sorted((n for n in names if n), key=len, reverse=True)


def leftovers(text: str, names: list[str]) -> list[str]:
    text = html.unescape(re.sub(r"<[^>]+>", " ", str(text)))
    for name in names:
        text = text.replace(name, " ")
    return english_words(text)


def table_cells(table, headers_only: bool = False) -> list[str]:
    if isinstance(table, str):
        return [table]
    cells = [str(c) for c in table.columns] + [str(table.index.name or "")]
    if not headers_only:
        cells += [str(i) for i in table.index] + [str(v) for v in table.to_numpy().ravel()]
    return cells


def english_left(page, names: list[str], tables: bool = True, keys=None) -> dict[str, list[str]]:
    found = {}
    for key, text in page.texts.items():
        if keys is None or key in keys:
            if words := leftovers(text, names):
                found[f"text {key}: {text}"] = words
    for name, table in page.tables.items() if tables else ():
        for cell in table_cells(table, (page.chapter, name) in BAND_TABLES):
            if words := leftovers(cell, names):
                found[f"table {name}: {cell[:120]}"] = words
    return found


@pytest.fixture(scope="module")
def sample():
    return load_dataset(SAMPLE)


@pytest.fixture(scope="module")
def ja(sample):
    return build_analysis(sample, None, "ja", lang="ja")


def test_ja_words_checker():
    assert english_words("解約率は2.1%です") == []
    assert english_words("MRR解約率（グロス）とSaaS Quick Ratio、B2B・月1〜2%") == []
    assert english_words("invite_teammate が events.csv に3回以上") == []
    assert english_words("past 12 months: 98.0% to 99.3%") == ["past", "months", "to"]
    assert english_words("n/a") == ["n/a"]


@pytest.mark.parametrize("chapter", PAGES)
def test_pages_have_no_english_left(ja, sample, chapter):
    assert english_left(ja.pages[chapter], data_names(sample)) == {}


def test_overview_kpi_table_verdict_and_kpi_texts_are_japanese(ja, sample):
    names = data_names(sample)
    overview = ja.pages["01_nrr"]
    found = english_left(overview, names, tables=False, keys=OVERVIEW_TEXTS)
    for name in ("overview_kpis", "who_moved"):
        for cell in table_cells(overview.tables[name]):
            if words := leftovers(cell, names):
                found[f"{name}: {cell[:120]}"] = words
    for page in ja.pages.values():  # every chapter glues its KPIs' texts
        found |= english_left(page, names, tables=False, keys={k for k in page.texts if k.startswith("kpi_")})
    # the KPI table as `saas-kit metrics` and the pages take it (a page numbers the citations)
    found |= {f"kpis {c}: {v}": leftovers(cite_sources(v), names)
              for c in ("metric", "value_text", "mom_text", "yoy_text", "band")
              for v in ja.kpis[c] if leftovers(cite_sources(v), names)}
    assert found == {}
    assert "%" in overview.texts["verdict_grew"] and "です" in overview.texts["verdict_shrank"] + "。"


def test_japanese_texts_read_as_written(ja):
    churn, act, data = ja.pages["04_churn_compounding"], ja.pages["05_activation"], ja.pages["00_data_quality"]
    kpis = ja.kpis.set_index("key")
    assert kpis.loc["logo_churn", "metric"] == "顧客解約率（月次）"
    assert kpis.loc["logo_churn", "mom_text"].endswith("ポイント")
    assert kpis.loc["nrr_ttm", "band"].startswith("国内B2B SaaSの平均（102.1%）を上回り、米国IPO企業の中央値")
    assert kpis.loc["logo_churn", "band"] == "B2B基準の評価：良いと平均の間（B2B・月2%超3%未満）[seed 004]"
    assert churn.texts["kpi_logo_churn_band"].endswith("[5]")  # the page numbers the citation
    assert churn.texts["churn_ltv_cac_verdict"] == "出典[5]の経験則である3以下にとどまっています"
    assert act.texts["activation_rule_text"] == "14日以内にinvite_teammateが3回以上"
    assert act.texts["ttfv_median"].endswith("日")
    assert data.texts["data_warnings_summary"] == "警告はありません"
    assert re.fullmatch(r"\d{4}年\d{1,2}月〜\d{4}年\d{1,2}月", data.texts["data_period"])


def test_english_words_do_not_follow_the_number_style(sample):
    """Words follow the language, never the style: the English edition in the ja number style is English."""
    en_ja_style = build_analysis(sample, None, "ja", {"04_churn_compounding": {}}, lang="en")
    kpis = en_ja_style.kpis.set_index("key")
    assert kpis.loc["mrr", "band"].startswith("past 12 months: ") and "万円 to " in kpis.loc["mrr", "band"]
    assert kpis.loc["arr", "band"].endswith("milestone (84% of the way)")
    assert en_ja_style.pages["04_churn_compounding"].texts["kpi_logo_churn_mom"].endswith(" pt")


# ----------------------------------------------------------------- data warnings

SUBSCRIPTIONS = """customer_id,subscription_id,start_date,end_date,amount,billing_period,plan,currency,notes
 A1,S1,2026-01-01,,1000,month,Basic,JPY,x
A2,S2,2026-01-01,9999-12-31,2000,month,Basic,JPY,
A3,S3,2026-02-01,2026-02-01,500,month,Basic,JPY,
A4,S4,2026-01-01,,0,month,Free,JPY,
A5,S5,2026-01-01,,1000.1234,month,Basic,JPY,
A6,S6,2026-01-01,,3000,month,Pro,JPY,
A6,S7,2026-03-01,,3000,month,Pro,JPY,
A7,S8,2026-01-01,2026-04-01,1500,month,Basic,JPY,
A8,S9,2026-05-01,,800,month,Basic,JPY,
"""
#: What the CLI and the English data page say (unchanged by issue 13).
ENGLISH = {
    "whitespace_in_id": "ids with leading or trailing spaces were trimmed",
    "open_end_placeholder": "end dates from 2100 on (such as 9999-12-31) are read as 'still active'",
    "zero_length": "subscriptions that end on their start date never count in MRR",
    "zero_amount": "zero-amount subscriptions (free plans or 100% discounts) are kept but add no MRR",
    "sub_cent_amounts": "amounts with more than two decimals are rounded to 1/1200 of a unit in MRR",
    "overlapping_subscriptions": "the same customer has overlapping subscriptions to the same plan (both count in MRR)",
    "after_as_of": "subscriptions starting after the as-of date are not yet MRR (2026-04-15)",
    "ignored_columns": "columns not used and ignored: notes",
}


@pytest.fixture(scope="module")
def warned(tmp_path_factory):
    folder = tmp_path_factory.mktemp("warned")
    (folder / "subscriptions.csv").write_text(SUBSCRIPTIONS, encoding="utf-8")
    return load_dataset(folder, as_of="2026-04-15")


def test_warnings_keep_their_english_text(warned):
    assert {w.kind: w.message for w in warned.warnings} == ENGLISH
    assert all(warning_text(w, "en") == w.message and w.key.startswith("warning.") for w in warned.warnings)
    assert str(next(w for w in warned.warnings if w.kind == "zero_amount")).endswith(
        "subscriptions.csv, column 'amount': " + ENGLISH["zero_amount"] + " (rows 5)")
    table = warned.warnings_table()
    assert list(table["message"]) == [w.message for w in warned.warnings]
    assert list(table["kind"]) == [w.kind for w in warned.warnings]


def test_data_page_with_warnings_in_japanese(warned):
    analysis = build_analysis(warned, None, "ja", {"00_data_quality": {}, "05_activation": {}}, lang="ja")
    page = analysis.pages["00_data_quality"]
    assert english_left(page, ["notes", *data_names(warned)]) == {}  # "notes": the data's ignored column
    assert page.texts["data_warnings_summary"] == f"警告{len(ENGLISH)}件"
    shown = page.tables["warnings"]
    assert list(shown.columns) == ["ファイル", "確認項目", "列", "該当行数", "該当行（先頭）", "内容"]
    assert "金額0の契約（無料プランや100%割引）は残していますが、MRRには加わりません" in set(shown["内容"])
    assert "基準日（2026-04-15）より後に始まる契約は、まだMRRに含めていません" in set(shown["内容"])
    # the activation chapter of data without events says so in Japanese
    assert english_left(analysis.pages["05_activation"], data_names(warned)) == {}
    english = build_analysis(warned, None, "en", {"00_data_quality": {}}).pages["00_data_quality"]
    assert list(english.tables["warnings"]["message"]) == [w.message for w in warned.warnings]
    assert set(english.tables["warnings"]["message"]) == set(ENGLISH.values())
    assert english.texts["data_warnings_summary"] == f"{len(ENGLISH)} warnings"


def test_more_than_ten_rows_in_both_languages(warned):
    import dataclasses

    many = dataclasses.replace(warned.warnings[0], rows=tuple(range(2, 16)))
    ds = dataclasses.replace(warned, warnings=[many])
    assert ds.warnings_table()["first rows"][0] == "2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 4 more"
    assert ds.warnings_table("ja")["first rows"][0] == "2, 3, 4, 5, 6, 7, 8, 9, 10, 11 ほか4行"


# ------------------------------------------------------------------ message tables


def test_message_tables_complete_and_glossary_followed():
    assert check_message_tables() == []
    assert message_table_issues("ja") == []


def test_every_named_band_has_its_label_in_both_languages():
    for band in bands.BANDS:
        if band.metric in ("quick_ratio", "logo_churn_monthly", "ltv_to_cac"):
            assert message(band_label_key(band), "en") == band.label
            assert english_words(band_label(band, "ja").replace(band.segment or "", "")) == []


@pytest.mark.parametrize("key, value", [("nrr_ttm", 1.05), ("nrr_ttm", 1.15), ("nrr_ttm", 1.3), ("grr_ttm", 0.95),
                                        ("grr_ttm", 0.85), ("grr_ttm", 0.7), ("quick_ratio", 5.0),
                                        ("quick_ratio", 1.0), ("logo_churn", 0.06), ("arr", 2e9), ("arr", 5e7),
                                        ("nrr_monthly", 1.0)])
def test_band_texts_in_japanese(key, value):
    text = band_text(key, value, "ja")
    assert english_words(text.replace("[seed", "[")) == [] and text != band_text(key, value, "en")


def test_kpi_names_in_both_languages():
    for spec in KPIS:
        assert message(f"kpi.{spec.key}", "en") == spec.label
        assert english_words(message(f"kpi.{spec.key}", "ja")) == []
