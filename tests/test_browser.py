"""A real browser opens the built report from disk (issue 3, "Tests"): Debian's
chromium, headless, driven by Playwright. The overview and a notebook page show the
KPI values, every image loads, and the console stays free of errors.

Skipped when /usr/bin/chromium is missing, unless SAAS_KIT_REQUIRE_BROWSER=1 (set by
.ci/run, which installs chromium), in which case it fails.
"""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import pytest

from report_build import KPI_KEYS, MONTH, shared_report

CHROMIUM = Path("/usr/bin/chromium")
# The one asset the report loads from the internet (Sphinx's default MathJax, see
# _config.yml). Tests answer it with an empty script: they run offline, and a failed
# load would be a console error that says nothing about the report.
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("SAAS_KIT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing (apt-get install chromium) and SAAS_KIT_REQUIRE_BROWSER=1")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="session")
def report(tmp_path_factory):
    return shared_report(tmp_path_factory)


def _open(browser, path: Path):
    """Open ``path`` via file://; return (page, console errors, failed or external requests)."""
    page = browser.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("requestfailed", lambda req: outside.append(f"failed: {req.url}"))
    page.on("request", lambda req: outside.append(req.url)
            if urlparse(req.url).scheme not in ("file", "data", "blob", "about") else None)
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_load_state("networkidle")
    return page, errors, outside


def _images_loaded(page) -> list[str]:
    """The src of every <img> that did not load (naturalWidth 0)."""
    return page.evaluate(
        "() => Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")


def test_overview_from_disk_shows_the_kpis(browser, report):
    # the folder's index.html redirects to the overview page (book/index.html)
    page, errors, outside = _open(browser, report["index"])
    page.wait_for_url("**/book/index.html")
    text = page.inner_text("main")
    assert "Report month: October 2026" in text
    for key in KPI_KEYS:
        assert f"FX {key} {MONTH}" in text and f"BAND {key}" in text, key
    assert page.title() == "Overview — SaaS metrics report — October 2026"
    assert _images_loaded(page) == []
    assert errors == [] and outside == []
    page.close()


def test_notebook_page_from_disk_shows_its_chart(browser, report):
    page, errors, outside = _open(browser, report["out"] / MONTH / "notebooks" / "01_nrr.html")
    assert "Net revenue retention" in page.inner_text("main")
    count = page.evaluate("() => document.querySelectorAll('main img').length")
    assert count >= 1
    assert _images_loaded(page) == []
    assert "injected-parameters" not in page.content()
    assert errors == [] and outside == []
    page.close()


def test_months_index_links_to_the_report(browser, report):
    page, errors, outside = _open(browser, report["out"] / "index.html")
    page.click("text=October 2026")
    page.wait_for_url("**/book/index.html")
    assert "Headline figures" in page.inner_text("main")
    assert errors == [] and outside == []
    page.close()
