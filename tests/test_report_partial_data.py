"""A full report from whatever data exists (issue 9, part 3): billing data only, a ready
``mrr`` table only, a ready ``mrr`` table with events, and customers without events. Each builds the real notebooks and
the book with warnings as errors; the pages say what is missing instead of failing.
A bad activation rule is rejected before any notebook runs."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import sample_as_mrr_table
from saas_kit.errors import ParameterError
from saas_kit.i18n import message
from saas_kit.report import build_report

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
MONTH = "2026-10"

pytestmark = pytest.mark.slow


def _folder(tmp_path: Path, *files: str) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    for name in ("dataset.yml", *files):
        shutil.copy2(SAMPLE / name, data / name)
    return data


def _text(html: Path) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.read_text("utf-8")))


def _build(data: Path, out: Path) -> Path:
    index = build_report(data, out_dir=out, progress=lambda line: None, pdf=False)
    assert index == out / MONTH / "index.html"
    return out / MONTH


def test_billing_data_only_builds_a_full_report_whose_activation_chapter_asks_for_events(tmp_path):
    site = _build(_folder(tmp_path, "subscriptions.csv"), tmp_path / "out")
    activation = _text(site / "notebooks" / "05_activation.html")
    assert "needs an events file" in activation and "customer_id" in activation and "timestamp" in activation
    overview = _text(site / "book" / "index.html")
    assert "no event data" in overview
    # built with pdf=False: the overview says so instead of linking a missing PDF
    assert "No PDF was printed this month (--no-pdf was given)" in overview
    assert 'href="../report-' not in (site / "book" / "index.html").read_text("utf-8")


def test_customers_without_events_builds_and_says_events_are_missing(tmp_path):
    site = _build(_folder(tmp_path, "subscriptions.csv", "customers.csv"), tmp_path / "out")
    assert "needs an events file" in _text(site / "notebooks" / "05_activation.html")


def test_a_ready_mrr_table_builds_a_full_report(tmp_path):
    from saas_kit.loading import load_dataset

    customer_mrr = load_dataset(SAMPLE).customer_mrr
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy2(SAMPLE / "dataset.yml", data / "dataset.yml")
    table = customer_mrr.assign(month=customer_mrr["month"].astype(str))[["customer_id", "month", "mrr"]]
    table.to_csv(data / "mrr.csv", index=False)
    site = _build(data, tmp_path / "out")
    overview = _text(site / "book" / "index.html")
    assert "¥70.1M" in overview  # the same October MRR as from the subscriptions
    assert "no event data" in overview


def test_a_ready_mrr_table_with_events_builds_the_activation_chapter(tmp_path):
    """mrr.csv with customers.csv and events.csv: the activation chapter is built, its
    outcomes found in the month-granular paid spans, and says that its dates are month-granular."""
    data = sample_as_mrr_table(tmp_path / "data", optional=("customers.csv", "events.csv", "dataset.yml"))
    site = _build(data, tmp_path / "out")
    activation = _text(site / "notebooks" / "05_activation.html")
    assert "needs an events file" not in activation
    assert message("activation.mrr_table_months", "en") in activation
    assert "were still paying on day 90" in activation


def test_a_bad_activation_rule_is_rejected_before_any_notebook_runs(tmp_path):
    params = tmp_path / "p.yml"
    params.write_text('activation_rule: "invite_teamate>=3@14d"\n', encoding="utf-8")
    lines: list[str] = []
    with pytest.raises(ParameterError, match=r"invite_teamate.*known event names: .*invite_teammate"):
        build_report(SAMPLE, params_file=params, out_dir=tmp_path / "out", progress=lines.append, pdf=False)
    assert not any("started" in line for line in lines)  # no kernel was started
    assert not (tmp_path / "out" / MONTH).exists()
