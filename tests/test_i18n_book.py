"""The bilingual build end to end on a fixture book (issue 13): one notebook executed
once, built in English and in Japanese with warnings as errors, published side by side.

tests/fixtures/i18n/ holds a markdown page pasting glued values from the notebook, a
notebook that glues a value in both languages (``glue_both``) and draws a figure once
per language (cells tagged ``lang-en`` / ``lang-ja``), and the Japanese catalogs.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from saas_kit.editions import assemble_editions, build_editions, stage_locales, write_edition_configs
from saas_kit.i18n_check import check_catalogs, missing_translations
from saas_kit.translations import extract_templates
from test_browser import ARGS, CHROMIUM

FIXTURE = Path(__file__).parent / "fixtures" / "i18n"
EN_VALUE, JA_VALUE = "¥841.7M", "8億4,172万円"

pytestmark = pytest.mark.slow


def _execute(notebook: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    from saas_kit.report.execution import ipc_kernel_manager

    nb = nbformat.read(notebook, as_version=4)
    with tempfile.TemporaryDirectory(prefix="saas-kit-kernel-") as sockets:  # no TCP port to lose
        NotebookClient(nb, kernel_name="saas-kit", timeout=120, kernel_manager_class=ipc_kernel_manager(Path(sockets)),
                       resources={"metadata": {"path": str(notebook.parent)}}).execute()
    nbformat.write(nb, notebook)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The fixture book executed once and built in both languages: ``site/en``, ``site/ja``."""
    root = tmp_path_factory.mktemp("i18n-book")
    src = root / "src"
    shutil.copytree(FIXTURE, src, ignore=shutil.ignore_patterns("locales"))
    _execute(src / "demo.ipynb")
    locales = stage_locales(FIXTURE, src)
    write_edition_configs(src, ["en", "ja"], locales, month="2026-10")
    builds = build_editions(src, root / "build", ["en", "ja"], src / "_toc.yml", root / "logs")
    return assemble_editions(root / "site", {lang: b.html_dir for lang, b in builds.items()})


def _main_text(page: Path) -> str:
    html = page.read_text("utf-8")
    main = html[html.index("<main"):html.index("</main>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", main))


def test_ja_page_pastes_the_japanese_value_inside_the_translated_paragraph(site):
    text = _main_text(site / "ja" / "demo.html")
    assert f"2026年10月の月末MRRは{JA_VALUE}で、有料顧客は1,234社です。" in text
    assert EN_VALUE not in text and "Closing MRR" not in text


def test_en_page_pastes_the_english_value(site):
    text = _main_text(site / "en" / "demo.html")
    assert f"Closing MRR was {EN_VALUE} in October 2026, from 1,234 paying customers." in text


def test_markdown_page_pastes_values_of_the_notebook_in_its_language(site):
    assert f"2026年10月の月末MRRは{JA_VALUE}で、前月比+2.1%でした。" in _main_text(site / "ja" / "intro.html")
    assert (f"The report for October 2026 shows closing MRR of {EN_VALUE}, a change of +2.1% "
            "on the previous month.") in _main_text(site / "en" / "intro.html")


def test_each_edition_shows_only_its_own_figure_cell(site):
    en = (site / "en" / "demo.html").read_text("utf-8")
    ja = (site / "ja" / "demo.html").read_text("utf-8")
    assert "tag_lang-en" in en and "tag_lang-ja" not in en
    assert "tag_lang-ja" in ja and "tag_lang-en" not in ja
    assert en.count("<img") == ja.count("<img") >= 1


def test_each_edition_shows_only_its_own_outputs_of_a_multi_language_page(site):
    """``Pages.show`` and a ``per_language`` chart write one output per language, each
    marked with its language; each edition keeps its own (book_i18n at source-read)."""
    en = (site / "en" / "demo.html").read_text("utf-8")
    ja = (site / "ja" / "demo.html").read_text("utf-8")
    assert "Every customer is counted once." in en and "顧客はそれぞれ一度だけ数えます。" not in en
    assert "顧客はそれぞれ一度だけ数えます。" in ja and "Every customer is counted once." not in ja
    for html in (en, ja):
        cell = html[html.index("tag_demo-pages"):html.index('id="fig-demo"')]
        assert cell.count("<img") == 1 and cell.count('class="page-note"') == 1


def test_output_filter_keeps_unmarked_outputs_and_the_build_language():
    from saas_kit.book_i18n import select_language_outputs

    def out(lang=None):
        return {"output_type": "display_data", "data": {"text/plain": lang or "all"},
                "metadata": {"saas_kit": {"lang": lang}} if lang else {}}

    nb = {"cells": [{"cell_type": "code", "outputs": [out(), out("en"), out("ja")]},
                    {"cell_type": "markdown", "source": "x"}]}
    assert select_language_outputs(nb, "ja") is True
    assert [o["data"]["text/plain"] for o in nb["cells"][0]["outputs"]] == ["all", "ja"]
    assert select_language_outputs(nb, "ja") is False  # nothing left to drop


def test_switch_links_point_at_the_same_page_of_the_other_edition(site):
    for lang, other in (("en", "ja"), ("ja", "en")):
        for page in ("intro.html", "demo.html", "search.html"):
            html = (site / lang / page).read_text("utf-8")
            hrefs = re.findall(r'class="saas-lang-switch__link" href="([^"]+)"', html)
            assert hrefs == [f"../{other}/{page}"], (lang, page)
            assert ((site / lang / hrefs[0]).resolve()) == (site / other / page).resolve()
            assert (site / other / page).is_file()


def test_sphinx_interface_and_title_are_japanese(site):
    ja = (site / "ja" / "intro.html").read_text("utf-8")
    assert '<html lang="ja"' in ja
    assert "次へ" in ja and "SaaS指標レポート — 2026年10月" in ja
    en = (site / "en" / "intro.html").read_text("utf-8")
    assert '<html lang="en"' in en and "SaaS metrics report — October 2026" not in en  # fixture keeps its title
    assert "Fixture report — October 2026" in en


def test_glued_values_are_kept_on_one_line(site):
    ja = (site / "ja" / "demo.html").read_text("utf-8")
    assert f'<span class="saas-num">{JA_VALUE}</span>' in ja
    assert "saas-num" not in (site / "en" / "demo.html").read_text("utf-8")  # English breaks only at spaces
    assert "saas-kit-i18n.css" in ja and (site / "ja" / "_static" / "saas-kit-i18n.css").is_file()


def test_fixture_catalog_is_complete_and_consistent(tmp_path):
    pot_dir = extract_templates(FIXTURE, tmp_path, toc=Path("_toc.yml"))
    assert sorted(p.name for p in pot_dir.glob("*.pot")) == ["demo.pot", "intro.pot"]
    assert missing_translations(pot_dir, FIXTURE / "locales") == []
    assert check_catalogs(FIXTURE / "locales") == []


def test_a_changed_paragraph_is_reported_missing(tmp_path):
    project = tmp_path / "book"
    shutil.copytree(FIXTURE, project)
    intro = project / "intro.md"
    intro.write_text(intro.read_text("utf-8") + "\nA paragraph added after the translation.\n", "utf-8")
    pot_dir = extract_templates(project, tmp_path / "work", toc=Path("_toc.yml"))
    missing = [str(i) for i in missing_translations(pot_dir, project / "locales")]
    assert missing == ["intro.po: 'A paragraph added after the translation.': not in the catalog "
                       "(run make translations)"]


# ----------------------------------------------------------------------- browser


@pytest.fixture
def in_browser():
    """``in_browser(check)`` runs ``check(browser)`` with a headless chromium of its own,
    in a thread of its own: Playwright's Sync API allows one instance per thread, and
    the session's ``browser`` fixture (tests/test_browser.py) may hold this thread's."""
    if not CHROMIUM.exists():
        if os.environ.get("SAAS_KIT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing (apt-get install chromium) and SAAS_KIT_REQUIRE_BROWSER=1")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")

    def run(check):
        def work():
            with sync_api.sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
                try:
                    return check(browser)
                finally:
                    browser.close()

        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(work).result()

    return run


def _japanese_share(text: str) -> float:
    """Japanese letters (kana, kanji) among all letters of ``text``."""
    letters = [c for c in text if unicodedata.category(c).startswith("L")]
    japanese = [c for c in letters if unicodedata.name(c, "").startswith(("CJK UNIFIED", "HIRAGANA", "KATAKANA"))]
    return len(japanese) / len(letters) if letters else 0.0


@pytest.mark.browser
def test_a_japanese_font_is_installed_for_chromium():
    fc_list = shutil.which("fc-list")
    if fc_list is None or not CHROMIUM.exists():
        pytest.skip("fontconfig or chromium missing")
    fonts = subprocess.run([fc_list, ":lang=ja", "family"], capture_output=True, text=True).stdout
    assert fonts.strip(), "no Japanese font: apt-get install fonts-noto-cjk (.ci/run does)"


@pytest.mark.browser
@pytest.mark.parametrize("width", [1400, 400])
def test_ja_pages_read_japanese_and_no_number_wraps(site, in_browser, width):
    def check(browser):
        page = browser.new_page(viewport={"width": width, "height": 900})
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        for name in ("intro.html", "demo.html"):
            page.goto((site / "ja" / name).as_uri(), wait_until="load")
            text = page.inner_text("main")
            assert _japanese_share(text) >= 0.5, (name, text)
            wrapped = page.evaluate("""() => Array.from(document.querySelectorAll('main .saas-num'))
                .filter(e => e.getClientRects().length > 1 || getComputedStyle(e).whiteSpace !== 'nowrap')
                .map(e => e.textContent)""")
            assert wrapped == [], (name, width, wrapped)
            values = page.evaluate("() => Array.from(document.querySelectorAll('main .saas-num')).map(e => e.textContent)")
            assert JA_VALUE in values, (name, values)
            assert page.locator(".saas-lang-switch__link").first.is_visible(), (name, width)
        # the switch opens the same page in English
        page.locator(".saas-lang-switch__link").first.click()
        page.wait_for_load_state("load")
        assert page.url.endswith("/en/demo.html")
        assert EN_VALUE in page.inner_text("main")
        assert errors == []
        page.close()

    in_browser(check)


@pytest.mark.browser
def test_japanese_text_is_drawn_with_a_japanese_font(site, in_browser):
    """Chromium's own answer to "which installed fonts drew this paragraph" (DevTools
    CSS.getPlatformFontsForNode): a Japanese face, so no tofu and no Chinese glyph forms."""
    def check(browser):
        page = browser.new_page()
        page.goto((site / "ja" / "demo.html").as_uri(), wait_until="load")
        cdp = page.context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "main section p"})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        page.close()
        families = {f["familyName"] for f in fonts}
        assert any("JP" in name or "IPA" in name for name in families), families

    in_browser(check)


@pytest.mark.browser
def test_ja_pdf_embeds_a_japanese_font_and_keeps_the_text(site, in_browser, tmp_path):
    def check(browser):
        pdffonts, pdftotext = shutil.which("pdffonts"), shutil.which("pdftotext")
        if pdffonts is None or pdftotext is None:
            pytest.skip("poppler-utils missing (apt-get install poppler-utils)")
        page = browser.new_page()
        page.goto((site / "ja" / "demo.html").as_uri(), wait_until="load")
        pdf = tmp_path / "demo.pdf"
        page.pdf(path=str(pdf), format="A4", print_background=True)
        page.close()
        fonts = subprocess.run([pdffonts, str(pdf)], capture_output=True, text=True, check=True).stdout
        # chromium embeds the CJK OpenType (CFF) face as Type 3 glyphs, with a Unicode map
        assert all(line.split()[-3] == "yes" for line in fonts.splitlines()[2:]), fonts  # every font embedded
        text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert JA_VALUE in text and "月末MRR" in text
        assert "English" not in text  # the language switch is not printed

    in_browser(check)


def test_update_catalogs_adds_new_paragraphs_empty_and_marks_changed_ones_fuzzy(tmp_path):
    from saas_kit.i18n_check import read_catalog
    from saas_kit.translations import update_catalogs

    project = tmp_path / "book"
    shutil.copytree(FIXTURE, project)
    intro = project / "intro.md"
    text = intro.read_text("utf-8").replace("The chapter explains where the movement came from.",
                                            "The chapter explains where the movement came from, month by month.")
    intro.write_text(text + "\nA new paragraph.\n\n{glue:text}`demo.ipynb::demo_mrr:s`\n", "utf-8")
    update_catalogs(project, project / "locales", "ja", toc=Path("_toc.yml"))
    entries = {m.id: m for m in read_catalog(project / "locales" / "ja" / "LC_MESSAGES" / "intro.po") if m.id}
    assert entries["A new paragraph."].string == ""
    role_only = "{glue:text}`demo.ipynb::demo_mrr:s`"
    assert entries[role_only].string == role_only  # nothing to translate: prefilled
    changed = entries["The chapter explains where the movement came from, month by month."]
    assert changed.fuzzy and changed.string == "増減の内訳は次の章で説明します。"  # old translation kept, to check
    assert entries["Overview"].string == "概要" and not entries["Overview"].fuzzy
    assert "The chapter explains where the movement came from." not in entries  # obsolete entry dropped


def test_glue_figure_directive_shows_the_edition_language_figure(site):
    def figure_src(lang: str) -> str:
        html = (site / lang / "demo.html").read_text("utf-8")
        figure = html[html.index('id="fig-demo"'):]
        return re.search(r'<img[^>]+src="([^"]+)"', figure).group(1)

    en, ja = figure_src("en"), figure_src("ja")
    assert en != ja  # two different images: the Japanese build pasted demo_fig__ja
    assert (site / "en" / en).is_file() and (site / "ja" / ja).is_file()


def test_the_project_japanese_edition_is_complete_and_follows_the_glossary():
    """Issue 13's completeness proof on the real pages: every translatable paragraph of
    the notebooks and book/*.md has a Japanese translation (none fuzzy, every glue role
    kept), every English message has a Japanese one with the same placeholders, every
    formula word has its Japanese, and the glossary's terms are the ones used
    (the same check as `make translations-check`)."""
    from saas_kit.translations import check_translations

    root = Path(__file__).resolve().parents[1]
    assert check_translations(root, root / "locales", "ja") == []
