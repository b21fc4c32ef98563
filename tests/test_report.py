"""The report pipeline (saas_kit.report, saas_kit.publish): parameters, kernel check,
publishing, and — marked slow — whole runs on the fixture notebooks (issue 3, "The
monthly run"): the book builds with -W, glued values reach the overview, papermill's
cell is hidden, a failing notebook or build leaves the previous report byte-for-byte
intact, and Ctrl-C cleans up."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from report_build import KPI_KEYS, MONTH, ROOT, make_project, shared_report
from saas_kit import publish
from saas_kit.calendar import month_label
from saas_kit.errors import ParameterError
from saas_kit.report import (
    ReportError,
    build_report,
    check_kernel,
    check_toc,
    discover_notebooks,
    load_params_file,
    locate_failure,
    notebook_parameters,
    tag_injected_cell,
)

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"


def _tree_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _nb(cells: list[dict]) -> dict:
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _code(source: str, tags=(), **extra) -> dict:
    cell = {"cell_type": "code", "source": source, "metadata": {"tags": list(tags)}, "outputs": [],
            "execution_count": None}
    cell["metadata"].update(extra)
    return cell


# ------------------------------------------------------------------ parameters


DECLARED = {
    "01_nrr.ipynb": {"data_dir": "../data/sample", "month": "", "style": "en", "currency": "JPY",
                     "top_n": 5, "threshold": 0.5},
    "05_activation.ipynb": {"data_dir": "", "month": "", "style": "en", "activation_events": ["login"],
                            "rule": None, "fail": False},
}


def _params(tmp_path: Path, text: str) -> dict:
    f = tmp_path / "params.yml"
    f.write_text(text, encoding="utf-8")
    return load_params_file(f, DECLARED)


def test_params_file_accepts_declared_parameters_of_the_right_type(tmp_path):
    got = _params(tmp_path, "style: ja\ntop_n: 3\nthreshold: 1\nactivation_events: [a, b]\nrule: anything\nfail: true\n")
    assert got == {"style": "ja", "top_n": 3, "threshold": 1, "activation_events": ["a", "b"],
                   "rule": "anything", "fail": True}


@pytest.mark.parametrize("text, key", [
    ("top_n: '3'\n", "top_n"),          # str for int
    ("top_n: 2.5\n", "top_n"),          # float for int
    ("top_n: true\n", "top_n"),         # bool is not an int here
    ("fail: 'yes'\n", "fail"),          # str for bool
    ("style: 1\n", "style"),            # int for str
    ("activation_events: login\n", "activation_events"),
])
def test_params_file_wrong_type_names_the_key(tmp_path, text, key):
    with pytest.raises(ParameterError, match=f"'{key}'"):
        _params(tmp_path, text)


def test_params_file_unknown_key_is_an_error(tmp_path):
    with pytest.raises(ParameterError, match="unknown parameter 'colour'"):
        _params(tmp_path, "colour: red\n")


@pytest.mark.parametrize("key, flag", [("month", "--month"), ("data_dir", "--data")])
def test_params_file_cannot_set_what_the_command_sets(tmp_path, key, flag):
    with pytest.raises(ParameterError, match=f"'{key}'.*{flag}"):
        _params(tmp_path, f"{key}: x\n")


def test_params_file_style_must_be_en_or_ja(tmp_path):
    with pytest.raises(ParameterError, match="'style'"):
        _params(tmp_path, "style: fr\n")


def test_params_file_bad_yaml_and_non_mapping(tmp_path):
    with pytest.raises(ParameterError, match="YAML"):
        _params(tmp_path, "style: [unclosed\n")
    with pytest.raises(ParameterError, match="mapping"):
        _params(tmp_path, "- style\n")
    with pytest.raises(ParameterError, match="not found"):
        load_params_file(tmp_path / "missing.yml", DECLARED)
    assert _params(tmp_path, "") == {}


def test_notebook_parameters_reads_the_parameters_cell(tmp_path):
    nb = _nb([_code("x = 1"),
              _code('data_dir = "d"\nmonth: str = ""\nn = 3\nrate = 0.5\nflag = False\nexpr = 2 * 3\n',
                    tags=["parameters"])])
    path = tmp_path / "01_x.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    got = notebook_parameters(path)
    assert {k: v for k, v in got.items() if k != "expr"} == {
        "data_dir": "d", "month": "", "n": 3, "rate": 0.5, "flag": False}
    assert "expr" in got  # an expression default: any type accepted
    assert notebook_parameters(FIXTURES / "03_new_arr_mix.ipynb") == {
        "data_dir": "../data/sample", "month": "", "style": "en", "currency": "JPY", "fail": False}


# ------------------------------------------------------- notebooks, toc, kernel


def test_discover_notebooks_numbered_and_sorted(tmp_path):
    for name in ["10_b.ipynb", "02_a.ipynb", "notes.ipynb", "1_x.ipynb", "00_data.ipynb"]:
        (tmp_path / name).write_text("{}")
    assert [p.name for p in discover_notebooks(tmp_path)] == ["00_data.ipynb", "02_a.ipynb", "10_b.ipynb"]


def test_toc_lists_exactly_the_notebooks(tmp_path):
    project, _ = make_project(tmp_path)
    notebooks = discover_notebooks(project / "notebooks")
    check_toc(project, notebooks)  # the real book/_toc.yml matches the notebook names
    (project / "notebooks" / "06_extra.ipynb").write_text("{}")
    with pytest.raises(ReportError, match="06_extra"):
        check_toc(project, discover_notebooks(project / "notebooks"))
    with pytest.raises(ReportError, match="05_activation"):
        check_toc(project, [p for p in notebooks if p.stem != "05_activation"])


def test_injected_cell_gets_remove_cell(tmp_path):
    nb = _nb([_code("month = ''", tags=["parameters"]), _code("month = '2026-10'", tags=["injected-parameters"]),
              _code("print(month)")])
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    tag_injected_cell(path)
    tags = [c["metadata"]["tags"] for c in json.loads(path.read_text())["cells"]]
    assert tags == [["parameters"], ["injected-parameters", "remove-cell"], []]


def test_locate_failure_counts_cells_of_the_source_notebook(tmp_path):
    error_output = {"output_type": "error", "ename": "ZeroDivisionError", "evalue": "division by zero",
                    "traceback": []}
    failing = _code("\n# comment\nx = 1 / 0\n", papermill={"status": "failed"})
    failing["outputs"] = [error_output]
    nb = _nb([
        {"cell_type": "markdown", "source": "An Exception was encountered", "metadata": {"tags": ["papermill-error-cell-tag"]}},
        {"cell_type": "markdown", "source": "# Title", "metadata": {}},
        _code("month = ''", tags=["parameters"], papermill={"status": "completed"}),
        _code("month = '2026-10'", tags=["injected-parameters"], papermill={"status": "completed"}),
        failing,
        _code("print(2)", papermill={"status": "pending"}),
    ])
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    # source notebook: 0 = Title, 1 = parameters, 2 = the failing cell
    assert locate_failure(path) == (2, "# comment")


def test_kernel_check_accepts_this_environment():
    spec_dir = check_kernel("saas-kit")
    argv0 = json.loads((spec_dir / "kernel.json").read_text())["argv"][0]
    assert Path(argv0).parent.resolve() == Path(sys.executable).parent.resolve()


def test_kernel_check_rejects_a_kernel_of_another_python(tmp_path, monkeypatch):
    spec = tmp_path / "kernels" / "saas-kit"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": ["/usr/bin/python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "someone else's", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))  # searched before the environment's own kernels
    with pytest.raises(ReportError, match="not this environment's"):
        check_kernel("saas-kit")


def test_kernel_check_missing_kernel():
    with pytest.raises(ReportError, match="not found"):
        check_kernel("saas-kit-does-not-exist")


# -------------------------------------------------------------------- publish


def test_publish_replaces_a_month_and_keeps_others(tmp_path):
    out = tmp_path / "out"
    (out / "2026-09").mkdir(parents=True)
    (out / "2026-09" / "index.html").write_text("september")
    (out / "2026-10").mkdir()
    (out / "2026-10" / "index.html").write_text("old october")
    (out / "2026-10" / "stale.html").write_text("only in the old build")
    site = publish.make_staging_dir(out, "2026-10") / "site"
    site.mkdir()
    (site / "index.html").write_text("new october")
    final = publish.publish_month(site, out, "2026-10")
    assert final == out / "2026-10"
    assert (final / "index.html").read_text() == "new october"
    assert not (final / "stale.html").exists()
    assert (out / "2026-09" / "index.html").read_text() == "september"
    assert not [p for p in out.iterdir() if p.name.startswith(".2026-10.old")]


def test_publish_puts_the_old_report_back_when_the_new_cannot_move_in(tmp_path):
    out = tmp_path / "out"
    (out / "2026-10").mkdir(parents=True)
    (out / "2026-10" / "index.html").write_text("old october")
    before = _tree_hashes(out)
    with pytest.raises(OSError):
        publish.publish_month(tmp_path / "no-such-site", out, "2026-10")
    assert _tree_hashes(out) == before
    assert sorted(p.name for p in out.iterdir()) == ["2026-10"]


def test_months_index_links_every_month_newest_first(tmp_path):
    out = tmp_path / "out"
    for month in ["2026-09", "2026-10", "2025-12"]:
        (out / month).mkdir(parents=True)
        (out / month / "index.html").write_text("x")
    (out / "2026-11").mkdir()  # no index.html: not a report
    (out / ".2026-11.tmp-abc").mkdir()
    page = publish.months_index_page(publish.available_months(out))
    links = re.findall(r'href="([^"]+)"', page)
    assert links == ["2026-10/index.html", "2026-09/index.html", "2025-12/index.html"]
    assert "October 2026" in page and "December 2025" in page


def test_month_label():
    assert month_label("2026-10") == "October 2026"
    assert month_label("2025-01") == "January 2025"
    assert month_label(pd.Period("2026-03", "M"), "ja") == "2026年3月"


# ------------------------------------------------------ whole runs (slow)


@pytest.fixture(scope="session")
def report(tmp_path_factory):
    return shared_report(tmp_path_factory)


@pytest.mark.slow
def test_report_builds_with_the_glued_kpis_on_the_overview(report):
    index = report["index"]
    assert index == report["out"] / MONTH / "index.html" and index.is_file()
    overview = (index.parent / "book" / "index.html").read_text(encoding="utf-8")
    assert "Report month: " in overview and "October 2026" in overview
    for key in KPI_KEYS:  # the fixture notebooks glue "FX <key> <month>", "MOM <key>", ...
        for text in (f"FX {key} {MONTH}", f"MOM {key}", f"YOY {key}", f"BAND {key}"):
            assert text in overview, text
    assert "<title>Overview &#8212; SaaS metrics report — October 2026</title>" in overview
    for heading in ("Overview", "Headline figures", "Chapters"):
        assert f"{heading}<a class=\"headerlink\"" in overview


@pytest.mark.slow
def test_report_hides_papermills_cell_and_keeps_the_executed_notebooks(report):
    month_dir = report["out"] / MONTH
    data_dir = str(report["data"].resolve())
    for name in ["00_data_quality", "01_nrr", "02_arr_t2d3", "03_new_arr_mix", "04_churn_compounding",
                 "05_activation"]:
        html = (month_dir / "notebooks" / f"{name}.html").read_text(encoding="utf-8")
        assert data_dir not in html  # the injected cell sets data_dir to this absolute path
        executed = json.loads((month_dir / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))
        injected = [c for c in executed["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
        assert len(injected) == 1 and "remove-cell" in injected[0]["metadata"]["tags"]
        assert data_dir in "".join(injected[0]["source"])
    nrr = (month_dir / "notebooks" / "01_nrr.html").read_text(encoding="utf-8")
    assert "Net revenue retention" in nrr and "<img" in nrr


@pytest.mark.slow
def test_report_uses_relative_links_only(report):
    month_dir = report["out"] / MONTH
    pages = [p for p in month_dir.rglob("*.html") if "_static" not in p.relative_to(month_dir).parts]
    assert len(pages) >= 9  # redirect, overview, methodology, six notebooks (+ search, genindex)
    for page in pages:
        html = page.read_text(encoding="utf-8")
        for url in re.findall(r'(?:href|src)="([^"#]+)"', html):
            assert not url.startswith(("/", "file:")), (page, url)
            if url.startswith(("http:", "https:", "mailto:", "data:")):  # data: the overview's inline charts
                continue
            target = (page.parent / url.split("?")[0]).resolve()
            assert target.exists(), (page, url)
    top = (report["out"] / "index.html").read_text(encoding="utf-8")
    assert f'href="{MONTH}/index.html"' in top


@pytest.mark.slow
def test_report_progress_names_every_notebook(report):
    lines = report["progress"]
    for name in ["00_data_quality", "01_nrr", "05_activation"]:
        assert any(re.fullmatch(rf"\s*started\s+{name}\.ipynb", line) for line in lines), name
        assert any(re.fullmatch(rf"\s*finished {name}\.ipynb in \d+\.\d s", line) for line in lines), name
    assert not [p for p in report["out"].iterdir() if p.name.startswith(".")]  # staging removed


@pytest.mark.slow
def test_failing_notebook_leaves_previous_report_intact(report, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(report["out"], out)
    before = _tree_hashes(out / MONTH)
    index_before = (out / "index.html").read_bytes()
    params = tmp_path / "fail.yml"
    params.write_text("fail: true\n", encoding="utf-8")  # the fixture 03 notebook raises in cell 6
    with pytest.raises(ReportError) as err:
        build_report(report["data"], month=MONTH, params_file=params, out_dir=out,
                     project_dir=report["project"], progress=lambda line: None)
    message = str(err.value)
    # the cell's line that raised, not its first line (`if fail:`)
    assert "notebook 03_new_arr_mix.ipynb failed at cell index 6 (`raise RuntimeError('fixture failure requested')`)" in message
    assert "RuntimeError: fixture failure requested" in message
    assert _tree_hashes(out / MONTH) == before
    assert (out / "index.html").read_bytes() == index_before
    kept = out / ".failed" / MONTH / "03_new_arr_mix.ipynb"
    assert str(kept) in message and kept.is_file()
    assert sorted(p.name for p in out.iterdir()) == [".failed", MONTH, "index.html"]  # no staging left


@pytest.mark.slow
def test_build_error_publishes_nothing(tmp_path):
    project, data = make_project(tmp_path)
    page = project / "book" / "index.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n{glue:text}`../notebooks/01_nrr.ipynb::kpi_missing:s`\n",
                    encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(ReportError, match="did not build") as err:
        build_report(data, month="2026-09", out_dir=out, project_dir=project, progress=lambda line: None)
    assert "kpi_missing" in str(err.value)
    assert not (out / "2026-09").exists()
    assert (out / ".failed" / "2026-09" / "build.log").is_file()
    assert sorted(p.name for p in out.iterdir()) == [".failed"]


@pytest.mark.slow
def test_cli_wrong_param_type_exits_non_zero_before_running_anything(tmp_path, capsys):
    from saas_kit.cli import main

    project, data = make_project(tmp_path)
    params = tmp_path / "p.yml"
    params.write_text("fail: 'yes'\n", encoding="utf-8")
    code = main(["report", "--data", str(data), "--month", MONTH, "--params", str(params),
                 "--out", str(tmp_path / "out"), "--project", str(project)])
    assert code != 0
    assert "'fail'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_ctrl_c_cleans_up_and_keeps_the_previous_report(report, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(report["out"], out)
    before = _tree_hashes(out)
    # Ctrl-C's default action, as in a terminal, even when the tests run where SIGINT is
    # ignored (a shell starts background jobs, `make test &`, with SIGINT ignored).
    code = ("import signal, sys\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n"
            "from saas_kit.cli import main\n"
            f"sys.exit(main(['report', '--data', {str(report['data'])!r}, '--month', {MONTH!r},"
            f" '--out', {str(out)!r}, '--project', {str(report['project'])!r}]))\n")
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while not any(p.name.startswith(f".{MONTH}.tmp-") for p in out.iterdir()):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.1)
    time.sleep(3)  # notebooks running
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, output
    assert _tree_hashes(out) == before  # staging gone, report untouched
    assert sorted(p.name for p in out.iterdir()) == [MONTH, "index.html"]


@pytest.mark.slow
@pytest.mark.skipif(not list((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")),
                    reason="the real notebooks are not written yet")
def test_real_report_on_the_sample_data(tmp_path):
    """The project's own notebooks on data/sample: every KPI cell of the overview is filled."""
    index = build_report(out_dir=tmp_path / "out", progress=lambda line: None)
    overview = (index.parent / "book" / "index.html").read_text(encoding="utf-8")
    table = overview[overview.index("<table"):overview.index("</table>")]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)[1:]
    from saas_kit.pages.overview import OVERVIEW_ROWS

    assert len(rows) == len(OVERVIEW_ROWS)  # the KPIs plus customers, ARPA, new and churned counts
    for row in rows:
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
        assert len(cells) == 5 and all(cells), cells


@pytest.mark.slow
def test_relative_paths_as_the_readme_uses_them(tmp_path, monkeypatch):
    """`saas-kit report` with relative --data, --out and --project (the defaults are
    relative too): jupyter-book runs in another folder, so nothing relative may leak."""
    from report_build import make_project

    from saas_kit.cli import main

    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    code = main(["report", "--data", "data", "--out", "reports", "--project", "project", "--month", "2026-10"])
    assert code == 0
    assert (tmp_path / "reports" / "2026-10" / "index.html").is_file()
    assert not list((tmp_path / "reports").glob(".*tmp*"))


def test_raising_line_is_read_from_the_kernel_traceback():
    from saas_kit.report.execution import raising_line

    source = "x = 1\nhelper(x)\nprint(x)"
    traceback = ["\x1b[0;31m---\x1b[0m", "Cell \x1b[0;32mIn[7], line 2\x1b[0m\n----> 2 helper(x)",
                 "File /lib/helper.py:10, in helper(x)", "ValueError: bad"]
    assert raising_line(source, traceback) == "helper(x)"
    assert raising_line(source, ["SyntaxError: invalid syntax"]) is None
    assert raising_line(source, ["Cell In[7], line 9"]) is None  # not a line of this cell


@pytest.mark.slow
def test_report_takes_map_currency_and_as_of_and_publishes_html_without_a_browser(tmp_path, monkeypatch):
    """An export with its own headers, no currency column and no dataset.yml: --map,
    --currency and --as-of on the report command (issue 9). Without a browser the HTML
    report is published and the missing PDF is explained (issue 10)."""
    project, _ = make_project(tmp_path)
    data = tmp_path / "export"
    data.mkdir()
    (data / "subscriptions.csv").write_text(
        "cust,start_date,end_date,monthly_amount\nc1,2025-01-01,,10000\nc2,2026-10-20,,5000\n", encoding="utf-8")
    monkeypatch.setenv("SAAS_KIT_CHROMIUM", str(tmp_path / "no-browser"))
    lines: list[str] = []
    index = build_report(data, params_file=None, out_dir=tmp_path / "out", project_dir=project,
                         mapping=["cust=customer_id", "monthly_amount=amount"], currency="usd",
                         as_of="2026-11-01", progress=lines.append)
    assert index == tmp_path / "out" / "2026-10" / "index.html"  # October: the last complete month
    assert any("no PDF this time: no chromium" in line for line in lines)
    assert not list((tmp_path / "out" / "2026-10").glob("*.pdf"))
    kpis = (tmp_path / "out" / "2026-10" / "downloads" / "kpis.csv").read_text("utf-8-sig")
    assert "mrr,MRR,USD,15000.0,10000.0" in kpis  # c2 started on 20 October: counted at the month end


def test_report_without_a_currency_says_how_to_give_one(tmp_path):
    from saas_kit.errors import DataError

    project, _ = make_project(tmp_path)
    data = tmp_path / "export"
    data.mkdir()
    (data / "subscriptions.csv").write_text("customer_id,start_date,amount\nc1,2025-01-01,100\n", encoding="utf-8")
    with pytest.raises(DataError, match="--currency"):
        build_report(data, out_dir=tmp_path / "out", project_dir=project, as_of="2026-11-01")
    assert not (tmp_path / "out" / "2026-10").exists()
