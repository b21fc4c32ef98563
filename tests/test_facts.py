"""The month's facts of the embedded engine (saas_kit.facts.embedded, issues 12 and 14):
each table equal to the computation the pages made from the dataset, on the sample
company and on a small ledger worked by hand; and the CSV tables of
``saas-kit metrics --tables`` (saas_kit.facts.tables), exact and atomic."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT
from saas_kit import activation, cohorts, rates
from saas_kit.arr import mrr_by_billing_period, one_off_by_kind, recurring_and_one_off
from saas_kit.cli import main
from saas_kit.errors import ParameterError
from saas_kit.facts import MonthFacts
from saas_kit.facts.embedded import embedded_facts, segment_columns
from saas_kit.facts.tables import read_facts_table, write_facts_tables
from saas_kit.kpis import activation_kpi_row, activation_kpis, monthly_kpi_series
from saas_kit.loading import load_dataset
from saas_kit.money import TICKS_PER_UNIT
from saas_kit.movements import mrr_movements, with_attribute
from saas_kit.mrr import mrr_by_month

SAMPLE = ROOT / "data" / "sample"
MONTH = pd.Period("2026-10", "M")
ACTIVATION = {"activation_rule": "invite_teammate>=3@14d", "retention_days": 90,
              "funnel_steps": ["login", "import_data", "create_project", "invite_teammate", "create_report"],
              "funnel_window_days": 30, "search_thresholds": [1, 2, 3, 5, 10], "search_windows": [7, 14, 30]}
PARAMETERS = {"01_nrr": {"segment_column": "segment"}, "04_churn_compounding": {"segment_column": "segment"},
              "05_activation": ACTIVATION}


@pytest.fixture(scope="module")
def facts(dataset) -> MonthFacts:
    return embedded_facts(dataset, MONTH, PARAMETERS)


def test_ledger_facts_equal_the_ledger_functions(dataset, facts):
    cm = dataset.customer_mrr
    bridge = rates.monthly_rates(mrr_movements(cm, last_month=MONTH))
    bridge = bridge[bridge["month"] <= MONTH].reset_index(drop=True)
    ledger = facts.ledger
    pd.testing.assert_frame_equal(ledger.bridge, bridge)
    assert ledger.bridge["month"].iloc[-1] == MONTH
    pd.testing.assert_frame_equal(ledger.ttm, rates.trailing_retention(cm))
    pd.testing.assert_frame_equal(ledger.kpi_series, monthly_kpi_series(cm))
    pd.testing.assert_series_equal(ledger.mrr_by_month, mrr_by_month(cm))
    split = recurring_and_one_off(cm, dataset.charges)
    pd.testing.assert_frame_equal(ledger.recurring_one_off, split[split["month"] <= MONTH].reset_index(drop=True))
    pd.testing.assert_frame_equal(ledger.billing_periods, mrr_by_billing_period(dataset.subscriptions, MONTH))
    pd.testing.assert_frame_equal(ledger.one_off_by_kind, one_off_by_kind(dataset.charges, MONTH - 11, MONTH))
    assert facts.engine == "embedded" and facts.month == MONTH


def test_segment_facts_give_the_pages_segment_rates(dataset, facts):
    """The NRR page's one-month rates and the churn page's twelve-month ones (which it
    computed from the ledger cut at the report month) come out the same from the facts."""
    seg = facts.ledger.segments["segment"]
    cm = dataset.customer_mrr
    cut = with_attribute(cm[cm["month"] <= MONTH], dataset.customers, "segment")
    churn_bridge = mrr_movements(cut, last_month=MONTH, by="segment")
    for window in (1, 12):
        pd.testing.assert_frame_equal(rates.segment_rates(seg.bridge, "segment", MONTH, window=window),
                                      rates.segment_rates(churn_bridge, "segment", MONTH, window=window))
    pd.testing.assert_frame_equal(seg.ttm, rates.trailing_retention(with_attribute(cm, dataset.customers, "segment"),
                                                                   by="segment"))
    assert list(facts.ledger.segments) == ["segment"]


def test_cohort_facts_give_the_churn_pages_cohort_table(dataset, facts):
    cut = dataset.customer_mrr[dataset.customer_mrr["month"] <= MONTH]
    long = facts.ledger.cohorts
    shown = cohorts.cohort_matrix(long[long["age"] <= 18], facts.ledger.cohorts_last_month, "logo", 18)
    pd.testing.assert_frame_equal(shown, cohorts.cohort_table(cut, "logo", max_age=18))
    sizes = long[long["age"] == 0][["cohort", "customers", "mrr"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(sizes, cohorts.cohort_sizes(cut))


def test_movers_are_every_customer_that_moved_in_the_month(dataset, facts):
    movers = facts.ledger.movers
    bridge = facts.ledger.bridge.set_index("month").loc[MONTH]
    counts = movers["movement"].value_counts()
    for movement, column in (("new", "new_customers"), ("churn", "churned_customers"),
                             ("expansion", "expansion_customers"), ("contraction", "contraction_customers")):
        assert counts.get(movement, 0) == bridge[column], movement
    assert movers["change"].sum() == pytest.approx(bridge["net_new_mrr"])
    order = ["churn", "expansion", "contraction", "new", "reactivation"]
    assert movers["movement"].map(order.index).is_monotonic_increasing


def test_activation_facts_equal_the_activation_functions(dataset, facts):
    act_facts = facts.activation
    scope = activation.onboarding_scope(dataset, MONTH)
    rule = activation.ActivationRule.parse(ACTIVATION["activation_rule"])
    act = activation.evaluate_rule(scope.events, scope.customers, rule, as_of=scope.as_of)
    by_cohort = activation.activation_rate_by_cohort(act, scope.customers)
    pd.testing.assert_frame_equal(act_facts.by_cohort, by_cohort)
    pd.testing.assert_frame_equal(act_facts.kpi_by_cohort, by_cohort)
    assert act_facts.kpi_rule == "invite_teammate>=3@14d"
    assert act_facts.customers == len(scope.customers) and act_facts.events_start == scope.events_start
    outcomes = activation.customer_outcomes(scope.customers, dataset.subscriptions, scope.as_of, 90)
    retention = activation.retention_by_activation(act, outcomes)
    pd.testing.assert_frame_equal(act_facts.retention, retention)
    assert act_facts.retention_summary == retention.attrs["summary"]
    pd.testing.assert_frame_equal(act_facts.search, activation.magic_moment_search(
        scope.events, outcomes, None, [1, 2, 3, 5, 10], [7, 14, 30]))
    everyone = activation.customer_outcomes(scope.all_customers, dataset.subscriptions, scope.as_of, 90)
    pd.testing.assert_frame_equal(act_facts.early_churn, activation.early_churn_shares(everyone, (30, 45, 90)))
    closed = act[act["window_complete"].fillna(False).to_numpy(dtype=bool)]
    closed.attrs["rule"] = rule
    ttfv = activation.time_to_first_value(closed)
    pd.testing.assert_frame_equal(act_facts.ttfv, ttfv)
    assert act_facts.ttfv_summary == ttfv.attrs["summary"]
    assert act_facts.ttfv["customers"].sum() == act_facts.ttfv_summary["activated"]
    funnel_customers = scope.customers[scope.customers["signup_date"] + pd.Timedelta(days=30) <= scope.as_of]
    pd.testing.assert_frame_equal(act_facts.funnel, activation.onboarding_funnel(
        scope.events, funnel_customers, ACTIVATION["funnel_steps"], 30))
    row = activation_kpi_row(act_facts.kpi_by_cohort, MONTH, act_facts.kpi_rule)
    pd.testing.assert_frame_equal(row, activation_kpis(dataset, MONTH))


def test_the_overview_rule_apart_from_the_chapters(dataset):
    facts = embedded_facts(dataset, MONTH, {"05_activation": ACTIVATION}, activation_rule="login>=1@7d")
    assert facts.activation.kpi_rule == "login>=1@7d"
    assert facts.activation.parameters["activation_rule"] == "invite_teammate>=3@14d"
    pd.testing.assert_frame_equal(activation_kpi_row(facts.activation.kpi_by_cohort, MONTH, "login>=1@7d"),
                                  activation_kpis(dataset, MONTH, "login>=1@7d"))
    only_kpi = embedded_facts(dataset, MONTH, {})
    assert only_kpi.activation.parameters == {} and only_kpi.activation.funnel is None
    assert list(only_kpi.ledger.segments) == ["segment"]


def test_segment_columns_are_those_customers_have_once_each():
    params = {"01_nrr": {"segment_column": "plan_tier"}, "02_arr_t2d3": {"trend_months": 36},
              "04_churn_compounding": {"segment_column": "region"}, "x": {"segment_column": "plan_tier"}}
    # the chapters' columns in order, then the downloads' "segment"; only those customers.csv has
    assert segment_columns(params, ("customer_id", "region", "plan_tier", "segment")) == [
        "plan_tier", "region", "segment"]
    assert segment_columns(params, ("customer_id", "region")) == ["region"]
    assert segment_columns({}, ("segment",)) == ["segment"]  # the downloads' column, with or without chapters
    assert segment_columns(params, ()) == []


# ------------------------------------------------------------------ a ledger by hand


def _hand_ledger(folder: Path):
    """March 2025: A 1,000 (from January) up to 1,500; B 2,000 (January-February) leaves;
    C annual 12,000 from February (1,000/month); D 500 from March. Opening 4,000, new 500,
    expansion 500, churn 2,000, closing 3,000. A one-off setup fee of 300 in March."""
    (folder / "subscriptions.csv").write_text(
        "customer_id,start_date,end_date,amount,billing_period,plan\n"
        "A,2025-01-01,2025-03-01,1000,month,Basic\nA,2025-03-01,,1500,month,Pro\n"
        "B,2025-01-01,2025-03-01,2000,month,Pro\n"
        "C,2025-02-01,,12000,year,Annual\nD,2025-03-01,,500,month,Basic\n", encoding="utf-8")
    (folder / "customers.csv").write_text(
        "customer_id,name,segment,signup_date\nA,Alpha,SMB,2025-01-01\nB,=Beta,SMB,2025-01-01\n"
        "C,Gamma,Enterprise,2025-02-01\nD,,SMB,2025-03-01\n", encoding="utf-8")
    (folder / "charges.csv").write_text("customer_id,date,amount,kind\nD,2025-03-10,300.5,setup_fee\n",
                                        encoding="utf-8")
    return load_dataset(folder, currency="JPY", as_of="2025-04-01")


def test_facts_of_a_ledger_by_hand(tmp_path):
    ds = _hand_ledger(tmp_path)
    facts = embedded_facts(ds, "2025-03", {"01_nrr": {"segment_column": "segment"}})
    march = facts.ledger.bridge.set_index("month").loc[pd.Period("2025-03", "M")]
    assert (march["opening_mrr"], march["new"], march["expansion"], march["churn"], march["closing_mrr"]) == (
        4000, 500, 500, 2000, 3000)
    assert facts.ledger.mrr_by_month.tolist() == [3000, 4000, 3000]
    assert facts.ledger.billing_periods.set_index("billing_period")["mrr"].to_dict() == {
        "month": 2000, "quarter": 0, "year": 1000}
    assert facts.ledger.one_off_by_kind.to_dict("records") == [{"kind": "setup_fee", "charges": 1, "amount": 300.5}]
    assert [tuple(r) for r in facts.ledger.movers[["movement", "customer_id", "name", "segment", "plan",
                                                   "change"]].itertuples(index=False)] == [
        ("churn", "B", "=Beta", "SMB", "Pro", -2000), ("expansion", "A", "Alpha", "SMB", "Pro", 500),
        ("new", "D", "D", "SMB", "Basic", 500)]
    seg = facts.ledger.segments["segment"].bridge
    smb = seg[(seg["segment"] == "SMB") & (seg["month"] == pd.Period("2025-03", "M"))].iloc[0]
    assert (smb["opening_mrr"], smb["churn"], smb["closing_mrr"]) == (3000, 2000, 2000)
    long = facts.ledger.cohorts.set_index(["cohort", "age"])
    assert long.loc[(pd.Period("2025-01", "M"), 2), "customers"] == 1  # A stays, B left
    assert long.loc[(pd.Period("2025-01", "M"), 2), "revenue_retention"] == 0.5  # 1,500 of 3,000
    assert facts.data.folder == tmp_path.name and facts.data.has_charges and not facts.data.has_events
    assert facts.activation is None


# ------------------------------------------------------------------ CSV tables


def test_tables_are_written_and_read_back_exactly(tmp_path, facts):
    paths = write_facts_tables(facts, tmp_path / "out")
    names = sorted(p.name for p in paths)
    assert names == sorted(["bridge.csv", "ttm.csv", "mrr_by_month.csv", "recurring_one_off.csv",
                            "billing_periods.csv", "one_off_by_kind.csv", "segment_bridge_segment.csv",
                            "segment_ttm_segment.csv", "cohorts.csv", "movers.csv",
                            *(f"activation_{t}.csv" for t in ("kpi_by_cohort", "by_cohort", "retention", "search",
                                                              "early_churn", "ttfv", "funnel", "summary"))])
    bridge = read_facts_table(tmp_path / "out" / "bridge.csv")
    want = facts.ledger.bridge
    assert list(bridge.columns) == list(want.columns)
    assert bridge["month"].tolist() == [str(m) for m in want["month"]]
    for column in ("opening_mrr", "churn", "closing_mrr", "arr", "net_new_arr"):  # money: exact ticks
        assert [Fraction(v) * TICKS_PER_UNIT for v in bridge[column]] == [
            Fraction(round(v * TICKS_PER_UNIT)) for v in want[column]], column
    assert [int(v) for v in bridge["customers"]] == want["customers"].tolist()
    read_nrr = np.array([float(v) if v else np.nan for v in bridge["nrr"]])
    np.testing.assert_array_equal(read_nrr, want["nrr"].to_numpy())  # repr floats: bit for bit
    movers = read_facts_table(tmp_path / "out" / "movers.csv")
    assert movers["customer_id"].tolist() == facts.ledger.movers["customer_id"].tolist()
    assert [Fraction(v) for v in movers["change"]] == [Fraction(v) for v in facts.ledger.movers["change"]]


def test_text_cells_are_safe_and_fractions_exact(tmp_path):
    (tmp_path / "data").mkdir()
    facts = embedded_facts(_hand_ledger(tmp_path / "data"), "2025-03", {"01_nrr": {"segment_column": "segment"}})
    write_facts_tables(facts, tmp_path / "out")
    movers = (tmp_path / "out" / "movers.csv").read_text(encoding="utf-8").splitlines()
    assert movers[1] == "churn,B,'=Beta,SMB,Pro,2000,0,-2000"  # a formula-like name is quoted as text
    assert (tmp_path / "out" / "one_off_by_kind.csv").read_text() == "kind,charges,amount\nsetup_fee,1,300.5\n"
    assert "billing_periods.csv" in {p.name for p in (tmp_path / "out").iterdir()}


def test_tables_replace_an_earlier_run_and_never_half_write(tmp_path, facts, monkeypatch):
    out = tmp_path / "out"
    write_facts_tables(facts, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (out / "movers.csv").write_text("stale\n")
    write_facts_tables(facts, out)  # an earlier run's folder is replaced as a whole
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before

    import saas_kit.facts.tables as tables

    calls = []
    real = tables.table_text

    def failing(frame):
        calls.append(1)
        if len(calls) % 10 == 3:  # the third table of each run
            raise OSError("disk full")
        return real(frame)

    monkeypatch.setattr(tables, "table_text", failing)
    (out / "movers.csv").write_text("kept\n")
    with pytest.raises(OSError):
        write_facts_tables(facts, out)
    assert (out / "movers.csv").read_text() == "kept\n"  # the folder as it was
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging folder left
    with pytest.raises(OSError):
        write_facts_tables(facts, tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_tables_refuse_a_folder_with_other_files(tmp_path, facts):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ParameterError, match="notes.txt"):
        write_facts_tables(facts, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_metrics_command_writes_the_tables(tmp_path, capsys, facts):
    out = tmp_path / "tables"
    assert main(["metrics", str(SAMPLE), "--month", "2026-10", "--tables", str(out), "--activation"]) == 0
    assert "Headline metrics for 2026-10" in capsys.readouterr().out
    expected = tmp_path / "expected"
    write_facts_tables(facts, expected)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in expected.iterdir())
    for path in expected.iterdir():
        assert (out / path.name).read_bytes() == path.read_bytes(), path.name


def test_activation_tables_only_with_the_flag_and_read_back_exactly(tmp_path, capsys, facts):
    ledger_only = tmp_path / "ledger"
    assert main(["metrics", str(SAMPLE), "--month", "2026-10", "--tables", str(ledger_only)]) == 0
    names = sorted(p.name for p in ledger_only.iterdir())
    assert names and not [n for n in names if n.startswith("activation_")]
    out = tmp_path / "all"
    write_facts_tables(facts, out)
    act = facts.activation
    for name, frame in [("search", act.search), ("funnel", act.funnel), ("retention", act.retention),
                        ("ttfv", act.ttfv), ("early_churn", act.early_churn), ("by_cohort", act.by_cohort)]:
        back = read_facts_table(out / f"activation_{name}.csv")
        assert list(back.columns) == list(frame.columns), name
        assert len(back) == len(frame) > 0, name
        for column in frame.columns:
            if pd.api.types.is_float_dtype(frame[column].dtype):
                got = back[column].replace("", "nan").astype(float).to_numpy()
                assert np.array_equal(got, frame[column].to_numpy(dtype=float), equal_nan=True), (name, column)
            else:
                assert back[column].tolist() == frame[column].astype(str).tolist(), (name, column)
    summary = read_facts_table(out / "activation_summary.csv").set_index(["summary", "key"])["value"]
    assert float(summary["ttfv", "median"]) == act.ttfv_summary["median"]
    assert int(summary["retention", "observable_customers"]) == act.retention_summary["observable_customers"]
    assert summary["parameters", "funnel_steps"] == " ".join(ACTIVATION["funnel_steps"])
    assert summary["scope", "events_start"] == act.events_start.date().isoformat()


def test_activation_flag_without_events_names_what_is_missing(tmp_path, capsys):
    import shutil

    for name in ("subscriptions.csv", "dataset.yml"):
        if (SAMPLE / name).exists():
            shutil.copy(SAMPLE / name, tmp_path / name)
    assert main(["metrics", str(tmp_path), "--activation"]) == 2
    assert "--activation needs onboarding events and customers" in capsys.readouterr().err


def test_metrics_command_reports_a_blocked_tables_folder(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("x")
    assert main(["metrics", str(SAMPLE), "--tables", str(tmp_path)]) == 2
    assert "keep.txt" in capsys.readouterr().err


# ------------------------------------------------------------------ the pages from the facts alone


def _frames(value, seen=None):
    """Every DataFrame and Series reachable from ``value`` (dataclasses, dicts, lists)."""
    import dataclasses

    if isinstance(value, (pd.DataFrame, pd.Series)):
        yield value
    elif dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            yield from _frames(getattr(value, f.name))
    elif isinstance(value, dict):
        for v in value.values():
            yield from _frames(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _frames(v)


def test_editions_word_one_computation_of_the_facts(dataset):
    from saas_kit.analysis import build_analysis, build_editions_analysis

    editions = build_editions_analysis(dataset, "2026-10", "en", ["en", "ja"])
    en, ja = editions.by_lang["en"], editions.by_lang["ja"]
    assert en.basis.facts is ja.basis.facts  # computed once, worded twice
    assert not hasattr(en.basis, "dataset")
    # aggregates: the only frame naming customers is the month's short list of movers
    per_customer = [f for f in _frames(en.basis.facts) if "customer_id" in getattr(f, "columns", ())]
    assert len(per_customer) == 1 and per_customer[0] is en.basis.facts.ledger.movers
    # the same pages from the facts alone (no dataset), as the Spark engine's facts would give them
    alone = build_analysis(None, None, "ja", None, lang="ja", facts=en.basis.facts)
    for chapter, page in ja.pages.items():
        assert alone.pages[chapter].texts == page.texts, chapter
        for name, table in page.tables.items():
            other = alone.pages[chapter].tables[name]
            if isinstance(table, pd.DataFrame):
                pd.testing.assert_frame_equal(other, table)
            else:
                assert other == table, (chapter, name)


def test_facts_that_do_not_answer_the_report_are_refused(dataset, facts):
    from saas_kit.analysis import build_analysis

    with pytest.raises(ParameterError, match="facts are for 2026-10"):
        build_analysis(None, "2026-09", chapters={}, facts=facts)
    with pytest.raises(ParameterError, match="outside the data"):
        build_analysis(None, "2001-01", chapters={}, facts=facts)
    with pytest.raises(ParameterError, match="retention_days"):
        build_analysis(None, None, chapters={"05_activation": {"retention_days": 60}}, facts=facts)
    with pytest.raises(ParameterError, match="activation rate of invite_teammate>=3@14d"):
        build_analysis(None, None, chapters={}, activation_rule="login>=1@7d", facts=facts)
    no_segments = embedded_facts(dataset, MONTH, {})
    no_segments.ledger.segments = {}
    with pytest.raises(ParameterError, match="no figures per segment"):
        build_analysis(None, None, chapters={"01_nrr": {}}, facts=no_segments)
    with pytest.raises(ParameterError, match="needs a dataset or the month's facts"):
        build_analysis(None, None, chapters={})
