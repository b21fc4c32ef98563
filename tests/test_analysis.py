"""saas_kit.analysis: the month analysis is built once, saved, read back, and refuses
to serve a notebook whose parameters differ from the ones it was built with."""
from __future__ import annotations

import pytest

from saas_kit.analysis import build_analysis, chapter_defaults, load_analysis, open_page
from saas_kit.errors import ParameterError
from saas_kit.loading import load_dataset


@pytest.fixture
def tiny_dir(tmp_path):
    """Three customers, three months; events for one of them (the activation row needs events)."""
    data = tmp_path / "acme"
    data.mkdir()
    (data / "subscriptions.csv").write_text(
        "customer_id,start_date,end_date,amount\nA,2025-01-01,,1000\nB,2025-02-01,,3000\nC,2025-03-01,,500\n", encoding="utf-8")
    (data / "customers.csv").write_text(
        "customer_id,segment,signup_date\nA,SMB,2025-01-01\nB,SMB,2025-02-01\nC,SMB,2025-03-01\n", encoding="utf-8")
    (data / "events.csv").write_text(
        "customer_id,event,timestamp\nA,invite_teammate,2025-01-02\nA,invite_teammate,2025-01-03\n"
        "A,invite_teammate,2025-01-04\nB,login,2025-02-02\n", encoding="utf-8")
    (data / "dataset.yml").write_text("as_of: '2025-04-01'\ncurrency: JPY\n", encoding="utf-8")  # March complete
    return data


def test_kpis_hold_the_headline_table_and_the_activation_row(tiny_dir):
    analysis = build_analysis(load_dataset(tiny_dir), "2025-03", chapters={})
    assert analysis.pages == {}
    kpis = analysis.kpis.set_index("key")
    assert kpis.loc["mrr", "value"] == 4500 and kpis.loc["arr", "value"] == 54000
    # Report month 2025-03, 14-day rule: the February cohort (B, no invites) -> 0 of 1 activated.
    assert kpis.loc["activation_rate", "value"] == 0.0
    assert str(analysis.basis.activation.iloc[0]["cohort"]) == "2025-02"


def test_saved_and_loaded_analysis_serves_the_same_pages(tiny_dir, tmp_path):
    analysis = build_analysis(load_dataset(tiny_dir), None, "ja", {"01_nrr": {"trend_months": 2}})
    assert str(analysis.month) == "2025-03"  # None: the latest month in the data
    back = load_analysis(analysis.save(tmp_path / "a.pickle"))
    assert back.page("01_nrr", trend_months=2).texts == analysis.pages["01_nrr"].texts
    assert back.pages["01_nrr"].texts["report_month_label"] == "2025年3月"


def test_a_page_built_with_other_parameters_is_refused(tiny_dir, tmp_path):
    analysis = build_analysis(load_dataset(tiny_dir), "2025-03", chapters={"01_nrr": {"trend_months": 2}})
    with pytest.raises(ParameterError, match="trend_months=2 \\(notebook: 24\\)"):
        analysis.page("01_nrr")  # the notebook's default is 24
    with pytest.raises(ParameterError, match="no page '02_arr_t2d3'"):
        analysis.page("02_arr_t2d3")
    path = analysis.save(tmp_path / "a.pickle")
    with pytest.raises(ParameterError, match="is for 2025-03"):
        open_page(path, "01_nrr", tiny_dir, "2025-02", "en", "", trend_months=2)
    with pytest.raises(ParameterError, match="style"):
        open_page(path, "01_nrr", tiny_dir, "", "ja", "", trend_months=2)
    assert open_page(path, "01_nrr", tiny_dir, "2025-03", "en", "", trend_months=2).texts["nrr_trend_months"] == "2"


def test_a_notebook_run_by_hand_builds_its_own_page(tiny_dir):
    page = open_page("", "01_nrr", tiny_dir, "2025-02", "en", "")
    assert page.texts["report_month"] == "2025-02" and page.texts["kpi_mrr"] == "¥4K"


def test_bad_parameters_are_clear_errors(tiny_dir):
    dataset = load_dataset(tiny_dir)
    with pytest.raises(ParameterError, match="unknown chapter"):
        build_analysis(dataset, "2025-03", chapters={"07_nope": {}})
    with pytest.raises(ParameterError, match="style"):
        build_analysis(dataset, "2025-03", "fr", chapters={})
    with pytest.raises(ParameterError, match="currency"):
        open_page("", "01_nrr", tiny_dir, "", "en", "YENS")
    with pytest.raises(ParameterError, match="data_dir"):
        open_page("", "01_nrr", "", "", "en", "")


def test_activation_page_without_events_says_what_it_needs(tmp_path):
    """Issue 10/9: billing-only data build the chapter; it names the missing file and its columns."""
    (tmp_path / "subscriptions.csv").write_text("customer_id,start_date,end_date,amount\nA,2025-01-01,,1000\n",
                                                encoding="utf-8")
    page = build_analysis(load_dataset(tmp_path, currency="JPY"), "2025-01",
                          chapters={"05_activation": {}}).pages["05_activation"]
    assert page.texts["activation_missing"].startswith("This chapter needs an events file (events.csv)")
    assert page.tables["cohorts"] == page.texts["activation_missing"]


def test_chapter_defaults_are_the_notebook_parameters():
    assert chapter_defaults("04_churn_compounding") == {"gross_margin": 0.8, "window_months": 12, "trend_months": 24,
                                                        "cohorts_shown": 18, "segment_column": "segment"}
    assert chapter_defaults("05_activation")["search_windows"] == [7, 14, 30]
