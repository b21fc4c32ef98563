"""notebooks/00_data_quality.ipynb (the report's data page): executed with papermill; the
glued figures equal what saas_kit's loader reports, and no machine path leaks into it."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from glued import ROOT, execute_notebook, glued_values as glued
from saas_kit.formatting import format_count
from saas_kit.loading import load_dataset

NOTEBOOK = "00_data_quality.ipynb"
SAMPLE = ROOT / "data" / "sample"

pytestmark = pytest.mark.slow




def outputs_text(path: Path) -> str:
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    parts = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error"
            parts.append(json.dumps(output.get("data", {}), ensure_ascii=False))
            parts.append("".join(output.get("text", "")))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def sample():
    if not (SAMPLE / "subscriptions.csv").exists():
        pytest.skip("data/sample has not been generated")
    return load_dataset(SAMPLE)


def test_glued_figures_equal_loader(sample, tmp_path):
    path = execute_notebook(NOTEBOOK, tmp_path)
    values = glued(path)
    assert values["report_month"] == str(sample.latest_month)
    assert values["report_month_label"] == sample.latest_month.strftime("%B %Y")
    assert values["data_period"] == f"{sample.first_month} to {sample.latest_month}"
    assert values["data_files_count"] == format_count(len(sample.files))
    assert values["data_warnings_count"] == format_count(len(sample.warnings))
    assert values["data_folder"] == "sample"
    text = outputs_text(path)
    for name in sample.files["file"]:
        assert name in text
    if not sample.warnings:
        assert "No warnings" in text
    assert str(ROOT) not in text


def test_warnings_listed_without_machine_paths_japanese_style(sample, tmp_path):
    data = tmp_path / "acme_export"
    shutil.copytree(SAMPLE, data)
    company = data / "company.csv"
    lines = company.read_text(encoding="utf-8").splitlines()
    company.write_text("\n".join([lines[0] + ",note"] + [line + ",x" for line in lines[1:]]) + "\n", encoding="utf-8")
    expected = load_dataset(data)
    assert len(expected.warnings) == len(sample.warnings) + 1  # the unused 'note' column

    out = tmp_path / "out"
    out.mkdir()
    path = execute_notebook(NOTEBOOK, out, data_dir=str(data), style="ja", month="2026-01")
    values = glued(path)
    assert values["report_month"] == "2026-01"
    assert values["report_month_label"] == "2026年1月"
    assert values["data_warnings_count"] == format_count(len(expected.warnings))
    assert values["data_folder"] == "acme_export"
    assert values["data_period"] == f"{expected.first_month} to {expected.latest_month}"
    text = outputs_text(path)
    assert "columns not used and ignored: note" in text
    assert str(tmp_path) not in text  # files and messages name the file only
