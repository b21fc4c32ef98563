"""Every report notebook (one parametrised test each, issue 11): it runs with papermill,
it glues exactly the texts of its page in the month analysis, its outputs hold no
error and no machine path, and it is committed clean and thin (no outputs, no
execution counts, no function definitions, no metric logic)."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from glued import ROOT, execute_notebook, glued_values
from saas_kit.analysis import build_analysis
from saas_kit.pages import CHAPTERS

NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
#: All notebooks together hold at most this many lines of code (issue 11).
MAX_CODE_LINES = 600


def _notebook(name: str) -> dict:
    return json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))


def _code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def _outputs(path: Path) -> list[dict]:
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    return [o for c in nb["cells"] for o in c.get("outputs", [])]


@pytest.fixture(scope="module")
def analysis_file(dataset, tmp_path_factory):
    """The analysis of the sample's latest month, every chapter with its defaults, saved once."""
    analysis = build_analysis(dataset)
    return analysis, analysis.save(tmp_path_factory.mktemp("analysis") / "analysis.pickle")


def test_every_notebook_is_a_chapter():
    assert [Path(n).stem for n in NOTEBOOKS] == sorted(CHAPTERS)


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_and_glues_its_page(name, analysis_file, tmp_path):
    analysis, path = analysis_file
    executed = execute_notebook(name, tmp_path, analysis=str(path))
    assert glued_values(executed) == analysis.pages[Path(name).stem].texts
    for output in _outputs(executed):
        assert output["output_type"] != "error"
        assert not (output["output_type"] == "stream" and output["name"] == "stderr"), output["text"]
        assert str(ROOT) not in json.dumps(output, ensure_ascii=False)  # no path of this machine


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_run_by_hand_japanese_earlier_month(name, dataset, tmp_path):
    """Without an analysis file the notebook computes its own page: the same texts."""
    month = dataset.latest_month - 3
    executed = execute_notebook(name, tmp_path, month=str(month), style="ja")
    page = build_analysis(dataset, month, "ja", {Path(name).stem: {}}).pages[Path(name).stem]
    values = glued_values(executed)
    assert values == page.texts
    assert values["report_month_label"] == f"{month.year}年{month.month}月"


@pytest.mark.slow
def test_notebook_refuses_an_analysis_built_with_other_parameters(dataset, tmp_path):
    analysis = build_analysis(dataset, None, "en", {"01_nrr": {"trend_months": 12}})
    path = analysis.save(tmp_path / "analysis.pickle")
    import papermill

    with pytest.raises(papermill.PapermillExecutionError, match="trend_months=12"):
        execute_notebook("01_nrr.ipynb", tmp_path, analysis=str(path))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_committed_clean(name):
    nb = _notebook(name)
    code = _code_cells(nb)
    assert code[0]["metadata"]["tags"] == ["parameters", "remove-cell"]
    assert "analysis" in {t.id for node in ast.parse("".join(code[0]["source"])).body
                          if isinstance(node, ast.Assign) for t in node.targets}
    assert all(not c["outputs"] and c["execution_count"] is None for c in code)
    assert all(c["metadata"].get("tags") for c in code)
    headings = [line for c in nb["cells"] if c["cell_type"] == "markdown"
                for line in "".join(c["source"]).splitlines() if line.startswith("# ")]
    assert len(headings) == 1 and "".join(nb["cells"][0]["source"]).startswith("# ")
    assert nb["metadata"]["kernelspec"]["name"] == "saas-kit"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_only_narrates_and_plots(name):
    """No function or class defined, no loop, no arithmetic: the page computes, the notebook shows."""
    for cell in _code_cells(_notebook(name))[1:]:
        tree = ast.parse("".join(cell["source"]))
        for node in ast.walk(tree):
            assert not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef,
                                         ast.For, ast.While, ast.If, ast.BinOp, ast.Compare)), \
                f"{name}: {ast.unparse(node)[:80]}"


def test_all_notebooks_hold_at_most_600_lines_of_code():
    lines = sum(1 for name in NOTEBOOKS for c in _code_cells(_notebook(name))
                for line in "".join(c["source"]).splitlines() if line.strip() and not line.strip().startswith("#"))
    assert lines <= MAX_CODE_LINES
