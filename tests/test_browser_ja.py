"""The real Japanese edition in a browser (issue 13, "Proof"): the sample report built with
``--lang en,ja``, every page of ``<month>/ja/`` opened from disk in Debian's chromium at
1400 and 400 px. On every page at least half of the letters of the article are Japanese
(the company's own data shown as it is, such as customer names, set aside),
no number wraps in the middle of its value (in the prose and in the tables), and no
English sentence is left in the prose (metric acronyms and names allowed).
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from report_build import shared_editions_report
from test_i18n_book import in_browser  # noqa: F401 - a chromium in a thread of its own

pytestmark = [pytest.mark.slow, pytest.mark.browser]
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"

#: Words allowed in Japanese prose: metric acronyms and names (JA.md), file names' parts.
ALLOWED = {"MRR", "ARR", "NRR", "GRR", "SaaS", "T2D3", "CAC", "LTV", "ARPA", "PMF", "YoY", "MoM", "B2B", "SMB",
           "IPO", "KPI", "CSV", "PDF", "Quick", "Ratio", "English"}
#: Four or more English words in a row (a sentence or a phrase left untranslated).
ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[ ,:;]+[A-Za-z][A-Za-z'’-]*){3,}")

#: Every text node's numbers in the article (JS twin of saas_kit.book_i18n.NUMBER_PATTERN, lighter;
#: the theme's "on this page" list repeats headings, not values, and is left out):
#: returns the numbers whose glyphs sit on more than one line.
_WRAPPED_NUMBERS = r"""() => {
  const pattern = /[-+−]?[¥$€£]?\d[\d,]*(?:\.\d+)?(?:(?:兆|億|万)(?:\d[\d,]*)?)*(?:円|%|ポイント|pt|×|倍|社|件|人|名|か月|日|年|月)?/g;
  const walker = document.createTreeWalker(document.querySelector('article.bd-article'), NodeFilter.SHOW_TEXT);
  const wrapped = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest('script, style, .MathJax, mjx-container, .math, pre, code')) continue;
    if (!parent.getClientRects().length) continue;  // not displayed
    for (const m of node.textContent.matchAll(pattern)) {
      if (m[0].length < 2) continue;
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const tops = new Set(Array.from(range.getClientRects()).filter(r => r.width > 0)
                                                            .map(r => Math.round(r.top)));
      if (tops.size > 1) wrapped.push(m[0]);
    }
  }
  return wrapped;
}"""

#: The prose of a page: headings, paragraphs, list items and captions of the article
#: (tables and charts are data; the language switch names the other language).
_PROSE = """() => Array.from(document.querySelectorAll(
    'article.bd-article :is(h1, h2, h3, h4, p, li, figcaption, dt, dd)'))
    .filter(e => !e.closest('table, .saas-lang-switch, pre, code'))
    .map(e => e.innerText)"""


@pytest.fixture(scope="module")
def ja_edition(tmp_path_factory):
    return shared_editions_report(tmp_path_factory)["ja"]


PAGES = ["book/index.html", "notebooks/00_data_quality.html", "notebooks/01_nrr.html",
         "notebooks/02_arr_t2d3.html", "notebooks/03_new_arr_mix.html", "notebooks/04_churn_compounding.html",
         "notebooks/05_activation.html", "book/methodology.html", "book/references.html"]


def data_values(data_dir) -> list[str]:
    """The words of the company's own data that a page shows as they are, in no
    language of the report: customer names, segments, industries, plans and event names
    of the sample (longest first, so a name is removed before a word inside it)."""
    import pandas as pd

    customers = pd.read_csv(data_dir / "customers.csv", dtype=str)
    values = set()
    for column in ("name", "segment", "industry"):
        values.update(customers[column].dropna())
    values.update(pd.read_csv(data_dir / "subscriptions.csv", dtype=str, usecols=["plan"])["plan"].dropna())
    values.update(pd.read_csv(data_dir / "events.csv", dtype=str, usecols=["event"])["event"].dropna())
    return sorted(values, key=len, reverse=True)


def without(text: str, values: list[str]) -> str:
    """``text`` with every occurrence of ``values`` taken out."""
    for value in values:
        text = text.replace(value, " ")
    return text


def japanese_share(text: str) -> float:
    """Japanese letters (kana, kanji) among all letters of ``text``."""
    letters = [c for c in text if unicodedata.category(c).startswith("L")]
    japanese = [c for c in letters if unicodedata.name(c, "").startswith(("CJK UNIFIED", "HIRAGANA", "KATAKANA"))]
    return len(japanese) / len(letters) if letters else 0.0


def english_runs(text: str) -> list[str]:
    """Runs of four or more English words in ``text`` once the allowed words are set aside."""
    found = []
    for run in ENGLISH_RUN.findall(text):
        words = [w for w in re.findall(r"[A-Za-z][A-Za-z'’-]*", run) if w not in ALLOWED]
        if len(words) >= 4:
            found.append(run)
    return found


def test_english_runs_are_found_and_acronyms_are_not():
    assert english_runs("MRRは4.3%増えました。Look at the churned customers this month.") == [
        "Look at the churned customers this month"]
    assert english_runs("売上継続率 (NRR) と SaaS Quick Ratio、MRR ARR NRR GRR。") == []
    assert japanese_share("MRRは増えた") == pytest.approx(4 / 7)
    assert japanese_share(without("解約 Suzukaze Engineering Ltd. SMB", ["Suzukaze Engineering Ltd.", "SMB"])) == 1.0
    assert "Hikari Pharma Ltd." in data_values(SAMPLE) and "invite_teammate" in data_values(SAMPLE)


@pytest.mark.parametrize("width", [1400, 400])
@pytest.mark.parametrize("name", PAGES)
def test_ja_page_is_japanese_and_no_number_wraps(in_browser, ja_edition, name, width):
    def check(browser):
        page = browser.new_page(viewport={"width": width, "height": 900})
        try:
            page.goto((ja_edition / name).as_uri(), wait_until="load")
            article = without(page.inner_text("article.bd-article"), data_values(SAMPLE))
            return japanese_share(article), page.evaluate(_WRAPPED_NUMBERS), [
                run for text in page.evaluate(_PROSE) for run in english_runs(text)]
        finally:
            page.close()

    share, wrapped, leftovers = in_browser(check)
    problems = []
    if share < 0.5:
        problems.append(f"only {share:.0%} of the letters are Japanese")
    if wrapped:
        problems.append(f"numbers wrapped mid-value: {wrapped[:10]}")
    if leftovers:
        problems.append(f"{len(leftovers)} English sentence(s) in the prose, e.g. {leftovers[:3]}")
    assert not problems, f"{name} at {width} px: " + "; ".join(problems)
