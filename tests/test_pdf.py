"""The board PDF (issue 10): the built report printed to A4 by Debian's chromium.

The walk over the pages is unit-tested; the printing itself runs on the shared
fixture report and is read back with ``pdftotext`` (poppler-utils), as a reader's
PDF viewer would show it.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest

from saas_kit import pdf
from report_build import MONTH, shared_report


def test_reading_order_follows_next_links_once():
    chain = {Path("/a"): Path("/b"), Path("/b"): Path("/c"), Path("/c"): Path("/a")}  # a cycle
    assert pdf.reading_order(Path("/a"), chain.get) == [Path("/a"), Path("/b"), Path("/c")]
    assert pdf.reading_order(Path("/x"), {}.get) == [Path("/x")]


def test_missing_browser_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("SAAS_KIT_CHROMIUM", str(tmp_path / "no-such-browser"))
    assert pdf.chromium_path() is None
    assert "chromium" in pdf.pdf_unavailable()
    with pytest.raises(RuntimeError, match="chromium"):
        pdf.write_report_pdf(tmp_path, tmp_path / "x.pdf", "t")


def _text_per_page(path: Path) -> list[str]:
    if shutil.which("pdftotext") is None:
        if os.environ.get("SAAS_KIT_REQUIRE_BROWSER") == "1":
            pytest.fail("pdftotext is missing (apt-get install poppler-utils)")
        pytest.skip("pdftotext is missing (apt-get install poppler-utils)")
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return text.split("\f")


def _page_titles(site: Path) -> list[str]:
    titles = []
    for html in sorted((site / "notebooks").glob("*.html")) + [site / "book" / "index.html",
                                                                site / "book" / "methodology.html"]:
        m = re.search(r"<title>(.*?)(?:&#8212;|—)", html.read_text("utf-8"), re.S)
        if m:
            titles.append(unescape(m.group(1)).strip())
    return titles


@pytest.mark.slow
@pytest.mark.browser
def test_report_pdf_has_overview_first_and_every_chapter(tmp_path_factory):
    if pdf.pdf_unavailable():
        if os.environ.get("SAAS_KIT_REQUIRE_BROWSER") == "1":
            pytest.fail(pdf.pdf_unavailable())
        pytest.skip(pdf.pdf_unavailable())
    report = shared_report(tmp_path_factory)
    site = report["out"] / MONTH
    target = site / f"report-{MONTH}.pdf"
    if not target.exists():  # the report command writes it; print it here if this build has none
        pdf.write_report_pdf(site, target, "SaaS metrics report")
    pages = _text_per_page(target)
    assert "Overview" in pages[0]
    whole = re.sub(r"\s+", " ", " ".join(pages))
    titles = _page_titles(site)
    assert len(titles) >= 3
    for title in titles:
        assert re.sub(r"\s+", " ", title) in whole, title
    assert "Show code cell" not in whole
