"""``saas-kit report --lang en,ja`` (issue 13): the notebooks executed once, the book built
once per language, published as ``<month>/en/`` and ``<month>/ja/`` with a redirect, a
language switch on every page, the editions in ``reports/index.html``, a board PDF and
the downloads per edition. The English edition reads exactly as a single-language report.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from glued import glued_values
from report_build import MONTH, ROOT, make_project, shared_editions_report, shared_sample_report
from saas_kit.analysis import build_analysis
from saas_kit.cli import main as cli_main
from saas_kit.errors import ParameterError
from saas_kit.i18n import LANG_KEY_SEPARATOR
from saas_kit.loading import load_dataset
from saas_kit.report import ReportError, build_report
from saas_kit.report.parameters import load_params_file

CHAPTERS = ["00_data_quality", "01_nrr", "02_arr_t2d3", "03_new_arr_mix", "04_churn_compounding", "05_activation"]


# ------------------------------------------------------------------ quick checks


def test_params_file_language_is_a_list_of_languages(tmp_path):
    declared = {"01_nrr.ipynb": {"data_dir": "", "month": "", "style": "en", "lang": "en", "analysis": ""}}
    params = tmp_path / "p.yml"
    params.write_text("language: [en, ja]\nstyle: ja\n", encoding="utf-8")
    assert load_params_file(params, declared) == {"language": ["en", "ja"], "style": "ja"}
    params.write_text("language: ja\n", encoding="utf-8")
    assert load_params_file(params, declared) == {"language": ["ja"]}
    params.write_text("language: [en, fr]\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="'language': unknown language 'fr'"):
        load_params_file(params, declared)
    params.write_text("language: 3\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="'language' must be a language or a list"):
        load_params_file(params, declared)
    params.write_text("lang: ja\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="'lang' is set by the command; use 'language"):
        load_params_file(params, declared)


def test_unknown_language_on_the_command_line_is_a_clear_error(tmp_path, capsys):
    code = cli_main(["report", "--lang", "en,fr", "--out", str(tmp_path / "out"), "--no-pdf"])
    assert code == 2
    assert "--lang: unknown language 'fr' (available: en, ja)" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------- the sample, en + ja


@pytest.fixture(scope="module")
def editions(tmp_path_factory):
    return shared_editions_report(tmp_path_factory)


def _pages(edition: Path) -> list[Path]:
    return [edition / "book" / "index.html", *sorted((edition / "notebooks").glob("*.html")),
            edition / "book" / "methodology.html", edition / "book" / "references.html"]


def _article_text(page: Path) -> str:
    html = page.read_text("utf-8")
    article = html[html.index('<article class="bd-article"'):html.index("</article>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", article)).strip()


@pytest.mark.slow
def test_both_editions_are_published_with_a_redirect_and_the_index(editions):
    month = editions["month"]
    assert month.name == "2026-10"
    for lang in ("en", "ja"):
        assert len(_pages(editions[lang])) == 9 and all(p.is_file() for p in _pages(editions[lang]))
    redirect = (month / "index.html").read_text("utf-8")
    assert 'url=en/index.html' in redirect and 'href="ja/index.html"' in redirect
    top = (editions["out"] / "index.html").read_text("utf-8")
    for href in ("2026-10/en/index.html", "2026-10/ja/index.html"):
        assert f'href="{href}"' in top and (editions["out"] / href).is_file()
    assert "2026年10月" in top and "October 2026" in top
    assert any("computed the month analysis" in line for line in editions["progress"])
    assert sum("started  " in line for line in editions["progress"]) == 6  # every notebook executed once


@pytest.mark.slow
def test_glued_values_are_the_single_language_values_in_each_language(editions):
    """The English keys hold exactly what a single-language run glues (the analysis of
    the default run, as tests/test_notebooks.py checks), the ``__ja`` keys the
    Japanese analysis's texts."""
    dataset = load_dataset(ROOT / "data" / "sample")
    english = build_analysis(dataset)
    japanese = build_analysis(dataset, None, "ja", lang="ja")
    for chapter in CHAPTERS:
        values = glued_values(editions["en"] / "notebooks" / f"{chapter}.ipynb")
        en = {k: v for k, v in values.items() if LANG_KEY_SEPARATOR not in k}
        ja = {k.removesuffix(LANG_KEY_SEPARATOR + "ja"): v for k, v in values.items()
              if k.endswith(LANG_KEY_SEPARATOR + "ja")}
        assert en == english.pages[chapter].texts, chapter
        assert ja == japanese.pages[chapter].texts, chapter


@pytest.mark.slow
def test_english_edition_reads_as_the_single_language_report(editions, tmp_path_factory):
    single = shared_sample_report(tmp_path_factory)
    for page in _pages(single):
        twin = editions["en"] / page.relative_to(single)
        assert _article_text(twin) == _article_text(page), page.name


@pytest.mark.slow
def test_every_output_is_shown_in_its_own_edition_only(editions):
    executed = json.loads((editions["en"] / "notebooks" / "01_nrr.ipynb").read_text("utf-8"))
    marks = [o.get("metadata", {}).get("saas_kit", {}).get("lang") for c in executed["cells"]
             for o in c.get("outputs", []) if o["output_type"] == "display_data"
             and "scrapbook" not in o.get("metadata", {})]
    assert marks and marks.count("en") == marks.count("ja") and set(marks) == {"en", "ja"}  # once per language
    for chapter in CHAPTERS:
        en = (editions["en"] / "notebooks" / f"{chapter}.html").read_text("utf-8")
        ja = (editions["ja"] / "notebooks" / f"{chapter}.html").read_text("utf-8")
        assert en.count("<table") == ja.count("<table") and en.count("<img") == ja.count("<img"), chapter
        assert en.count("<img") >= (chapter != "00_data_quality")


@pytest.mark.slow
def test_pages_carry_their_language_and_the_switch_resolves(editions):
    for lang, other in (("en", "ja"), ("ja", "en")):
        for page in _pages(editions[lang]):
            html = page.read_text("utf-8")
            assert f'<html lang="{lang}"' in html, page
            links = re.findall(r'class="saas-lang-switch__link"[^>]*href="([^"]+)"', html) or \
                re.findall(r'href="([^"]+)"[^>]*class="saas-lang-switch__link"', html)
            assert len(links) == 1, (page, links)
            target = (page.parent / links[0]).resolve()
            assert target == (editions[other] / page.relative_to(editions[lang])).resolve() and target.is_file()


@pytest.mark.slow
def test_sidebar_title_and_month_are_in_the_edition_language(editions):
    ja = (editions["ja"] / "book" / "index.html").read_text("utf-8")
    en = (editions["en"] / "book" / "index.html").read_text("utf-8")
    assert "SaaS指標レポート — 2026年10月" in ja and "October 2026" not in ja
    assert "SaaS metrics report — October 2026" in en


@pytest.mark.slow
def test_downloads_per_edition_keep_english_headers(editions):
    """Documented choice (README, overview): the CSV column headers stay English in
    every edition (stable for spreadsheets and scripts); cells are in the edition's language."""
    names = sorted(p.name for p in (editions["en"] / "downloads").glob("*.csv"))
    assert names == ["kpis.csv", "mrr_bridge.csv", "segments.csv", "who_moved.csv"]
    for name in names:
        headers = {lang: (editions[lang] / "downloads" / name).read_text("utf-8-sig").splitlines()[0]
                   for lang in ("en", "ja")}
        assert headers["ja"] == headers["en"] and headers["ja"].isascii(), name
    assert "直近12か月" in (editions["ja"] / "downloads" / "kpis.csv").read_text("utf-8-sig")


def _japanese_letters(text: str) -> int:
    return sum(unicodedata.name(c, "").startswith(("CJK UNIFIED", "HIRAGANA", "KATAKANA")) for c in text)


@pytest.mark.slow
@pytest.mark.browser
def test_each_edition_has_its_pdf_linked_from_its_overview(editions):
    pdftotext = shutil.which("pdftotext")
    for lang in ("en", "ja"):
        pdf = editions[lang] / f"report-{MONTH}.pdf"
        assert pdf.is_file(), pdf
        overview = (editions[lang] / "book" / "index.html").read_text("utf-8")
        href = re.search(r'class="pdf-link"><a href="([^"]+)"', overview).group(1)
        assert (editions[lang] / "book" / href).resolve() == pdf.resolve()
    if pdftotext is None:
        pytest.skip("pdftotext is missing (apt-get install poppler-utils)")
    text = {lang: subprocess.run([pdftotext, str(editions[lang] / f"report-{MONTH}.pdf"), "-"],
                                 capture_output=True, text=True, check=True).stdout for lang in ("en", "ja")}
    assert "2026年10月" in text["ja"] and "指標レポート" in text["ja"] and _japanese_letters(text["ja"]) > 200
    assert "October 2026" in text["en"] and "日本語" not in text["en"]


# ------------------------------------------------------- one language, failures


@pytest.mark.slow
def test_japanese_only_keeps_the_single_edition_layout(tmp_path):
    project, data = make_project(tmp_path)
    params = tmp_path / "p.yml"
    params.write_text("language: ja\n", encoding="utf-8")
    out = tmp_path / "out"
    index = build_report(data, month=MONTH, params_file=params, out_dir=out, project_dir=project, pdf=False,
                         progress=lambda line: None)
    assert index == out / MONTH / "index.html"
    overview = (out / MONTH / "book" / "index.html").read_text("utf-8")
    assert '<html lang="ja"' in overview and "SaaS指標レポート — 2026年10月" in overview
    assert "saas-lang-switch__link" not in overview  # one edition: nothing to switch to
    assert not (out / MONTH / "ja").exists() and f'href="{MONTH}/index.html"' in (out / "index.html").read_text()


@pytest.mark.slow
def test_a_failed_edition_build_publishes_nothing(tmp_path):
    project, data = make_project(tmp_path)
    page = project / "book" / "index.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n{glue:text}`../notebooks/01_nrr.ipynb::kpi_missing:s`\n",
                    encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(ReportError, match="did not build") as err:
        build_report(data, month=MONTH, out_dir=out, project_dir=project, languages="en,ja", pdf=False,
                     progress=lambda line: None)
    assert "[en]" in str(err.value) and "[ja]" in str(err.value) and "kpi_missing" in str(err.value)
    assert sorted(p.name for p in out.iterdir()) == [".failed"]
    assert sorted(p.name for p in (out / ".failed" / MONTH).iterdir()) == ["build.en.log", "build.ja.log"]
