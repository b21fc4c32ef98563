"""The overview's facts (saas_kit.pages.overview, issue 10) and the statements issue 10
fixed, on small hand-made data with the expected values worked out by hand."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from saas_kit.analysis import build_analysis
from saas_kit.formatting import format_points_change, format_ratio_change
from saas_kit.kpis import KPIS, kpi_change_text
from saas_kit.loading import load_dataset
from saas_kit.pages.overview import overview_rows, overview_series, verdict_texts, who_moved, who_moved_table

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def _write(folder, names: bool = True, currency: str = "JPY"):
    """March 2025: A 1,000 (from January), B 2,000 (January-February, cancels in March),
    C annual 12,000 from February (1,000/month), D 500 from March, A up to 1,500 in March.
    March: opening 4,000; new 500 (D); expansion 500 (A); churn 2,000 (B); closing 3,000."""
    (folder / "subscriptions.csv").write_text(
        "customer_id,start_date,end_date,amount,billing_period,plan\n"
        "A,2025-01-01,2025-03-01,1000,month,Basic\nA,2025-03-01,,1500,month,Pro\n"
        "B,2025-01-01,2025-03-01,2000,month,Pro\n"
        "C,2025-02-01,,12000,year,Annual\nD,2025-03-01,,500,month,Basic\n", encoding="utf-8")
    name_col = ",name" if names else ""
    rows = [("A", "Alpha K.K.", "SMB"), ("B", "Beta Ltd.", "SMB"), ("C", "Gamma Inc.", "Enterprise"),
            ("D", "", "SMB")]
    (folder / "customers.csv").write_text(
        f"customer_id{name_col},segment,signup_date\n" + "".join(
            f"{c}{',' + n if names else ''},{s},2025-01-01\n" for c, n, s in rows), encoding="utf-8")
    return load_dataset(folder, currency=currency, as_of="2025-04-01")


@pytest.fixture
def march(tmp_path):
    return build_analysis(_write(tmp_path), "2025-03", chapters={})


def test_who_moved_names_customers_and_falls_back_to_ids(march):
    moved = who_moved(march.basis)
    got = [tuple(r) for r in moved[["movement", "customer_id", "name", "segment", "plan", "mrr_before",
                                    "mrr_after", "change"]].itertuples(index=False)]
    assert got == [("churn", "B", "Beta Ltd.", "SMB", "Pro", 2000, 0, -2000),
                   ("expansion", "A", "Alpha K.K.", "SMB", "Pro", 1000, 1500, 500),
                   ("new", "D", "D", "SMB", "Basic", 0, 500, 500)]  # D has no name: its id
    table = who_moved_table(moved, march.basis)
    assert list(table.columns) == ["Movement", "Customer", "Segment", "Plan", "MRR before", "MRR after", "Change"]
    assert table["Customer"].tolist() == ["Beta Ltd.", "Alpha K.K.", "D"]
    assert table["Change"].tolist() == ["-\u2060¥2K", "+\u2060¥500", "+\u2060¥500"]


def test_who_moved_without_customers_file(tmp_path):
    ds = _write(tmp_path)
    (tmp_path / "customers.csv").unlink()
    ds = load_dataset(tmp_path, currency="JPY", as_of="2025-04-01")
    moved = who_moved(build_analysis(ds, "2025-03", chapters={}).basis)
    assert moved["name"].tolist() == ["B", "A", "D"] and set(moved["segment"]) == {""}


def test_verdict_of_a_shrinking_month(march):
    b = march.basis
    series = overview_series(b, b.facts.ledger.kpi_series)
    v = verdict_texts(b, series)
    # 4,000 -> 3,000: -25.0%
    # no comebacks this month: the line does not name "reactivations ¥0"
    assert v["verdict_grew"] == "MRR fell 25.0% to ¥3K, although new customers brought ¥500 and expansion ¥500."
    assert v["verdict_shrank"].startswith("Cancellations took ¥2K and downgrades ¥0; 1 customers left, against 0")
    assert b.style == "en"
    ja = verdict_texts(build_analysis(None, "2025-03", "ja", chapters={}, lang="ja", facts=b.facts).basis, series)
    assert ja["verdict_grew"].startswith("MRRは25.0%減って") and "復帰" not in ja["verdict_grew"]


def test_verdict_names_reactivations_only_in_a_month_that_has_them():
    ds = load_dataset(SAMPLE)
    whole = build_analysis(ds, None, chapters={})
    bridge = whole.basis.bridge.set_index("month")
    with_comebacks = bridge.index[bridge["reactivation"] > 0][-1]
    for month, named in ((with_comebacks, True), (whole.basis.month, bridge.loc[whole.basis.month, "reactivation"] > 0)):
        basis = build_analysis(ds, str(month), chapters={}).basis
        line = verdict_texts(basis, overview_series(basis, basis.facts.ledger.kpi_series))
        assert ("reactivations" in line["verdict_grew"]) == named, (month, line["verdict_grew"])


def test_overview_rows_marks_activation_and_arr_band(march):
    b = march.basis
    rows = overview_rows(b, overview_series(b, b.facts.ledger.kpi_series))
    by = rows.set_index("key")
    assert by.loc["customers", "value_text"] == "3" and by.loc["customers", "mom_text"] == "0"  # A B C -> A C D
    assert by.loc["arpa", "value_text"] == "¥1K"  # 3,000 / 3
    assert by.loc["churned_customers", "assessment"] == "worse" and by.loc["churned_customers", "arrow"] == "▲"
    assert by.loc["mrr", "assessment"] == "worse" and by.loc["mrr", "arrow"] == "▼"
    # no events file: the activation row says so instead of failing
    assert by.loc["activation_rate", "value_text"] == "no event data"
    assert "customer_id, event, timestamp" in by.loc["activation_rate", "band"]
    # ARR 36,000: the first milestone of seed 001 is ¥100M
    assert by.loc["arr", "band"] == "¥100M to the ¥100M milestone (0% of the way)"
    assert not any(r.endswith("twelve-month figure") for r in rows["band"])


def test_arr_milestone_only_for_yen(tmp_path):
    ds = _write(tmp_path, currency="USD")
    b = build_analysis(ds, "2025-03", chapters={}).basis
    rows = overview_rows(b, overview_series(b, b.facts.ledger.kpi_series))
    assert rows.set_index("key").loc["arr", "band"] == "no benchmark in this currency"


def test_rate_change_is_the_difference_of_the_displayed_rates():
    # 100.049% shows as 100.0%, 100.25% as 100.3% (half away from zero): +0.3 pt,
    # although the unrounded difference is 0.201 pt
    assert format_points_change(1.0025, 1.00049) == "+0.3 pt"
    assert format_points_change(1.00249, 0.99951) == "+0.2 pt"  # 100.2% - 100.0%
    assert format_points_change(0.5, 0.5) == "0.0 pt"
    assert format_points_change(float("nan"), 0.5) == "n/a"
    assert format_ratio_change(4.305, 3.614) == "+0.70"  # 4.31 - 3.61


def test_net_new_arr_change_is_money_not_a_percentage():
    spec = next(s for s in KPIS if s.key == "net_new_arr")
    assert kpi_change_text(spec, -100_000, 50_000) == "-¥150K"
    assert kpi_change_text(spec, 3_000_000, 1_000_000) == "+¥2M"
    assert "%" not in kpi_change_text(spec, -1, 1)


def test_arr_page_uses_the_company_churn(tmp_path):
    page = build_analysis(_write(tmp_path), "2025-03", chapters={"02_arr_t2d3": {}}).pages["02_arr_t2d3"]
    # pooled revenue churn: (churn 2,000 + contraction 0) / (opening 0 + 3,000 + 4,000) = 28.6%;
    # one point less: 27.6% (more than half of it)
    assert page.texts["arr_own_churn"] == "28.6%" and page.texts["arr_own_churn_lower"] == "27.6%"
    assert "28.6% → 27.6%" in page.tables["churn_lift"]["Assumption"].iloc[-1]


def test_worked_examples_5_10_12_on_the_mix_page(tmp_path):
    page = build_analysis(_write(tmp_path), "2025-03", chapters={"03_new_arr_mix": {}}).pages["03_new_arr_mix"]
    t = page.texts
    assert (t["nna_example_mrr"], t["nna_example_arr"]) == ("¥10.9M", "¥130.8M")  # metrics.md §5 #5
    assert t["nna_example_net_new_mrr"] == "¥85,000"  # #10
    assert t["nna_example_negative_churn"] == "-5.0%"  # #12
    assert isinstance(page.tables["example"], pd.DataFrame)


def test_billing_only_data_build_every_page(tmp_path):
    """Subscriptions only (no customers, no events): every chapter is built; the
    activation chapter says which file it needs and with which columns (issue 9, part 3)."""
    ds = _write(tmp_path)
    (tmp_path / "customers.csv").unlink()
    analysis = build_analysis(load_dataset(tmp_path, currency="JPY", as_of="2025-04-01"), "2025-03")
    act = analysis.pages["05_activation"]
    assert "customer_id, event and timestamp, and optionally user_id" in act.texts["activation_missing"]
    assert act.texts["kpi_activation_rate"] == "no event data" and act.data["unavailable"]
    from saas_kit.pages.onboarding import ACTIVATION_TABLES, ACTIVATION_TEXT_KEYS

    assert set(ACTIVATION_TEXT_KEYS) <= set(act.texts) and set(ACTIVATION_TABLES) <= set(act.tables)


def test_activation_text_keys_are_those_of_a_full_page(dataset):
    """The page without events glues the same keys as a full page (the notebook refers to each)."""
    from saas_kit.pages.onboarding import ACTIVATION_TABLES, ACTIVATION_TEXT_KEYS

    page = build_analysis(dataset, None, "en", {"05_activation": {}}).pages["05_activation"]
    assert set(page.texts) == set(ACTIVATION_TEXT_KEYS) | {"report_month", "report_month_label", "activation_missing"}
    assert page.texts["activation_missing"] == "" and tuple(page.tables) == ACTIVATION_TABLES


def test_mrr_input_says_what_the_billing_split_needs(tmp_path):
    ds = _write(tmp_path)
    mrr = tmp_path / "mrr"
    mrr.mkdir()
    cm = ds.customer_mrr
    cm.assign(month=cm["month"].astype(str))[["customer_id", "month", "mrr"]].to_csv(mrr / "mrr.csv", index=False)
    analysis = build_analysis(load_dataset(mrr, currency="JPY", as_of="2025-04-01"), "2025-03")
    arr = analysis.pages["02_arr_t2d3"]
    assert arr.tables["billing_periods"].startswith("The split by billing period needs subscriptions.csv")
    assert arr.texts["arr_prepaid_share"] == "n/a"
    assert who_moved(analysis.basis)["plan"].tolist() == ["", "", ""]


def test_cac_payback_months():
    from saas_kit.pages.churn import cac_payback_months

    assert cac_payback_months(120_000, 10_000, 0.8) == pytest.approx(15.0)  # 120,000 / 8,000
    assert cac_payback_months(float("nan"), 10_000, 0.8) != cac_payback_months(float("nan"), 10_000, 0.8)  # NaN
    assert cac_payback_months(100, 0, 0.8) != cac_payback_months(100, 0, 0.8)


def test_churn_page_shows_the_promised_payback(dataset):
    page = build_analysis(dataset, None, "en", {"04_churn_compounding": {}}).pages["04_churn_compounding"]
    assert float(page.texts["churn_cac_payback"]) > 0
    assert "CAC payback (months of gross profit)" in page.tables["ltv_cac"][""].tolist()


def test_mix_page_signs_losses_the_same_way_and_fills_the_year_ago_column(dataset):
    page = build_analysis(dataset, None, "en", {"03_new_arr_mix": {}}).pages["03_new_arr_mix"]
    movements, drivers = page.tables["movements"], page.tables["drivers"]
    month = [c for c in movements.columns if c not in ("ARR movement", "Same month a year ago",
                                                       "Change on a year ago") and not c.startswith("Last")][0]
    churn_m = movements.set_index("ARR movement").loc["Churn", month]
    assert churn_m.startswith("-") and drivers.set_index("ARR movement").loc["Churn", month] == churn_m
    assert (movements["Same month a year ago"] != "").all() and (movements["Change on a year ago"] != "").all()
    assert "%" not in movements.set_index("ARR movement").loc["Net New ARR", "Change on a year ago"]


def test_yen_only_bands_for_other_currencies(tmp_path):
    analysis = build_analysis(_write(tmp_path, currency="USD"), "2025-03", chapters={"03_new_arr_mix": {}})
    assert analysis.pages["03_new_arr_mix"].texts["nna_ape_band"] == "no benchmark in this currency"
    assert analysis.kpis.set_index("key").loc["arr", "band"] == "no benchmark in this currency"


def test_monthly_rates_get_the_company_range_not_a_pointer(dataset):
    kpis = build_analysis(dataset, None, "en", {}).kpis.set_index("key")
    for key in ("nrr_monthly", "grr_monthly", "mrr", "net_new_arr", "revenue_churn"):
        assert kpis.loc[key, "band"].startswith("past 12 months: "), key
    assert " milestone (" in kpis.loc["arr", "band"]
