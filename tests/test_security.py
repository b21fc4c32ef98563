"""Security of the published report (issue 5): text from the data is shown as text and
never executed (HTML of every page, and a real browser: no dialog opens); no value from
the data or the parameters is evaluated as code; paths from parameters cannot write
outside the output folder."""
from __future__ import annotations

import ast
import html.parser
import concurrent.futures
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from report_build import FIXTURE_NOTEBOOKS, MONTH, ROOT, make_project
from saas_kit import publish
from saas_kit.errors import ParameterError
from saas_kit.report import build_report, load_params_file, notebook_parameters

PAYLOADS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "{{7*7}}"]
CHROMIUM = Path("/usr/bin/chromium")


# ----------------------------------------------------- parameters are never code


def _declared() -> dict[str, dict]:
    return {nb.name: notebook_parameters(nb) for nb in sorted(FIXTURE_NOTEBOOKS.glob("*.ipynb"))}


def _code_strings(marker: Path) -> list[str]:
    touch = f"__import__('os').system('touch {marker}')"
    return [
        touch,
        f'"; {touch}; x = "',
        f"'; {touch}; x = '",
        f'\\"; {touch} #',
        f"line\n{touch}\n",
        f'""" + {touch} + """',
        f"{{{touch}}}",  # an f-string placeholder, if anything formatted it
    ]


def test_params_file_strings_stay_strings_in_the_injected_cell(tmp_path):
    """The cell papermill injects (the same call the worker makes) assigns each string
    as a literal; running it creates no file and yields the very same text."""
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    marker = tmp_path / "pwned"
    for text in _code_strings(marker):
        params_file = tmp_path / "params.yml"
        params_file.write_text(yaml.safe_dump({"currency": text}), encoding="utf-8")
        params = load_params_file(params_file, _declared())
        assert params == {"currency": text}
        nb = load_notebook_node(str(FIXTURE_NOTEBOOKS / "01_nrr.ipynb"))  # as papermill reads it
        nb = parameterize_notebook(nb, {"data_dir": "/d", "month": MONTH, **params}, kernel_name="saas-kit",
                                   language="python")
        injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
        tree = ast.parse(injected.source)
        assigned = {n.targets[0].id: n.value for n in tree.body if isinstance(n, ast.Assign)}
        assert all(isinstance(v, ast.Constant) for v in assigned.values()), injected.source
        assert assigned["currency"].value == text
        assert [type(n) for n in tree.body] == [ast.Assign] * len(tree.body)  # nothing but assignments
        run = subprocess.run([sys.executable, "-c", injected.source + "\nprint(repr(currency))"],
                             capture_output=True, text=True, check=True)
        assert ast.literal_eval(run.stdout.strip()) == text
        assert not marker.exists()


@pytest.mark.parametrize("document", [
    "currency: !!python/object/apply:os.system ['touch {marker}']\n",
    "currency: !!python/name:os.system\n",
    "!!python/object/new:os.system ['touch {marker}']\n",
    "currency: !!python/object:pathlib.PurePosixPath {{}}\n",
])
def test_params_file_yaml_python_tags_are_refused(tmp_path, document):
    marker = tmp_path / "pwned"
    params_file = tmp_path / "params.yml"
    params_file.write_text(document.format(marker=marker), encoding="utf-8")
    with pytest.raises(ParameterError, match="not valid YAML"):
        load_params_file(params_file, _declared())
    assert not marker.exists()


def test_notebook_defaults_are_read_without_running_them(tmp_path):
    """The parameters cell is read with ast.literal_eval: an expression default is
    never evaluated in the command's process."""
    import json

    marker = tmp_path / "pwned"
    nb = {"cells": [{"cell_type": "code", "metadata": {"tags": ["parameters"]}, "outputs": [],
                     "execution_count": None,
                     "source": f"data_dir = ''\nmonth = ''\nx = __import__('os').system('touch {marker}')\n"}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "01_x.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    got = notebook_parameters(path)
    assert set(got) == {"data_dir", "month", "x"} and not marker.exists()


# ----------------------------------------------- paths cannot leave the output folder


BAD_MONTHS = ["../x", "2026-10/../../", "2026-10/../../x", "../2026-10", "/tmp/2026-10", "2026-10\n",
              "2026-10/", "２０２６-１０", "2026-1", "2026-13", ".", ""]


@pytest.mark.parametrize("month", [m for m in BAD_MONTHS if m and m != "2026-10\n"])  # that one is trimmed
def test_bad_month_is_rejected_before_anything_is_written(tmp_path, month):
    project, data = make_project(tmp_path / "p")
    out = tmp_path / "reports" / "out"
    lines: list[str] = []
    with pytest.raises(ParameterError, match="month"):
        build_report(data, month=month, out_dir=out, project_dir=project, progress=lines.append)
    assert lines == [] and not (tmp_path / "reports").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p"]


def test_cli_bad_month_exits_non_zero_and_writes_nothing(tmp_path, capsys):
    from saas_kit.cli import main

    project, data = make_project(tmp_path / "p")
    code = main(["report", "--data", str(data), "--month", "2026-10/../../x", "--out", str(tmp_path / "out"),
                 "--project", str(project)])
    assert code == 2 and "month" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("month", BAD_MONTHS)
def test_publish_functions_refuse_a_month_that_is_not_yyyy_mm(tmp_path, month):
    out = tmp_path / "out"
    for call in (lambda: publish.make_staging_dir(out, month), lambda: publish.failed_dir(out, month),
                 lambda: publish.publish_month(tmp_path / "site", out, month)):
        with pytest.raises(ParameterError):
            call()
    assert not out.exists()


@pytest.mark.parametrize("key", ["data_dir", "month", "out", "out_dir", "output", "project", "notebooks",
                                 "__import__", "../x"])
def test_params_file_cannot_set_paths_or_choose_notebooks(tmp_path, key):
    params_file = tmp_path / "p.yml"
    params_file.write_text(yaml.safe_dump({key: "../../elsewhere"}), encoding="utf-8")
    with pytest.raises(ParameterError, match=f"'{key}'"):
        load_params_file(params_file, _declared())


def test_notebook_names_come_from_the_project_folder_only():
    """Outputs are named after the files found by ``notebooks/[0-9][0-9]_*.ipynb``; a
    file name cannot hold a path separator, and no parameter names a notebook."""
    from saas_kit.report import build_report as fn, discover_notebooks

    names = [p.name for p in discover_notebooks(ROOT / "notebooks")]
    assert names and all("/" not in n and not n.startswith(".") for n in names)
    import inspect

    assert "notebook" not in " ".join(inspect.signature(fn).parameters)


# ---------------------------------------- text from the data is shown as text (slow)


def _inject(data: Path) -> None:
    """Put the payloads into the segment and name of every customer, every plan, and
    the name of an extra (ignored, listed) column of charges.csv."""
    import pandas as pd

    customers = pd.read_csv(data / "customers.csv", dtype=str, keep_default_na=False)
    segments = {s: f"{s} {PAYLOADS[i % 3]}" for i, s in enumerate(sorted(customers["segment"].unique()))}
    customers["segment"] = customers["segment"].map(segments)
    customers["name"] = [PAYLOADS[i % 3] + n for i, n in enumerate(customers["name"])]
    customers.to_csv(data / "customers.csv", index=False)
    subs = pd.read_csv(data / "subscriptions.csv", dtype=str, keep_default_na=False)
    subs["plan"] = [p + " " + PAYLOADS[i % 3] for i, p in enumerate(subs["plan"])]
    subs.to_csv(data / "subscriptions.csv", index=False)
    charges = pd.read_csv(data / "charges.csv", dtype=str, keep_default_na=False)
    charges[PAYLOADS[1]] = PAYLOADS[0]
    charges.to_csv(data / "charges.csv", index=False)


@pytest.fixture(scope="session")
def hostile_report(tmp_path_factory):
    """The project's real notebooks on a copy of data/sample carrying the payloads (built once)."""
    base = tmp_path_factory.getbasetemp() / "hostile-report"
    out = base / "out"
    if not (out / MONTH / "index.html").exists():
        shutil.rmtree(base, ignore_errors=True)
        base.mkdir()
        shutil.copytree(ROOT / "data" / "sample", base / "data")
        _inject(base / "data")
        build_report(base / "data", month=MONTH, out_dir=out, progress=lambda line: None)
    return out / MONTH


class _Elements(html.parser.HTMLParser):
    """Every start tag with its attributes, and the text inside <script> elements."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


@pytest.mark.slow
def test_payloads_are_escaped_on_every_page(hostile_report):
    pages = sorted(hostile_report.rglob("*.html"))
    assert len(pages) >= 9
    for page in pages:
        text = page.read_text(encoding="utf-8")
        parser = _Elements()
        parser.feed(text)
        assert not [a for t, a in parser.tags if t == "img" and a.get("src") == "x"], page
        assert not [a for t, a in parser.tags if "onerror" in a], page
        assert not [s for s in parser.scripts if "alert(1)" in s], page
        assert "<script>alert" not in text and "<img src=x" not in text, page
    nrr = (hostile_report / "notebooks" / "01_nrr.html").read_text(encoding="utf-8")
    churn = (hostile_report / "notebooks" / "04_churn_compounding.html").read_text(encoding="utf-8")
    data_page = (hostile_report / "notebooks" / "00_data_quality.html").read_text(encoding="utf-8")
    for page in (nrr, churn):  # the segment tables show the names, as text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "&lt;img src=x onerror=alert(1)&gt;" in page
        assert "{{7*7}}" in page  # not a template: shown as typed
    # the extra column is listed among the warnings, as text (pandas cuts long cells with "...")
    assert "columns not used and ignored: &lt;img src=x onerr" in data_page


@pytest.mark.slow
def test_downloads_of_the_hostile_data_are_safe(hostile_report):
    import csv

    with open(hostile_report / "downloads" / "segments.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert sorted(r[0] for r in rows[1:]) == sorted(
        f"{s} {PAYLOADS[i]}" for i, s in enumerate(["Enterprise", "Mid-market", "SMB"]))


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("page", ["book/index.html", "notebooks/01_nrr.html", "notebooks/00_data_quality.html",
                                  "notebooks/04_churn_compounding.html"])
def test_no_dialog_opens_in_a_browser(hostile_report, page):
    if not CHROMIUM.exists():
        if os.environ.get("SAAS_KIT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing and SAAS_KIT_REQUIRE_BROWSER=1")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    from test_browser import ARGS

    def visit() -> tuple[list[str], int, str]:
        dialogs: list[str] = []
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
            try:
                tab = browser.new_page()
                tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
                tab.goto((hostile_report / page).as_uri(), wait_until="load")
                tab.wait_for_timeout(500)
                shown = tab.inner_text("main")
                injected = tab.evaluate("() => document.querySelectorAll('main img[src=\"x\"], main script:not([src])')"
                                        ".length")
            finally:
                browser.close()
        return dialogs, injected, shown

    # Playwright's sync API refuses to start in a thread whose asyncio loop is marked
    # running (in-process papermill runs of earlier tests leave one): use a fresh thread.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        dialogs, injected, shown = pool.submit(visit).result()
    assert dialogs == []
    assert injected == 0
    if page != "book/index.html":  # the overview shows no data text
        assert "<script>alert(1)</script>" in shown or "<img src=x onerr" in shown
