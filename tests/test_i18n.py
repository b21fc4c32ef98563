"""Unit tests of the bilingual report's machinery (issue 13): message tables, glossary,
catalog checks, language cells and keys, numbers kept on one line, edition configs
and the published layout. The end-to-end build is tests/test_i18n_book.py."""
from __future__ import annotations

import json
import textwrap

import pytest
import yaml

from saas_kit.book_i18n import _split_numbers, switch_href
from saas_kit.editions import (
    EXTENSION,
    assemble_editions,
    edition_config,
    edition_title,
    editions_index_page,
    months_with_editions,
    parse_languages,
)
from saas_kit.errors import ParameterError
from saas_kit.i18n import (
    check_message_tables,
    lang_key,
    message,
    messages,
    month_label,
    placeholders,
    select_language_cells,
)
from saas_kit.i18n_check import (
    GLOSSARY_FILE,
    GlossaryTerm,
    catalog_issues,
    glossary_issues,
    load_glossary,
    message_table_issues,
    roles,
)

# ------------------------------------------------------------------ message tables


def test_message_tables_are_complete_with_the_same_placeholders():
    assert check_message_tables() == []
    assert set(messages("en")) == set(messages("ja"))


def test_message_fills_placeholders_in_each_language():
    assert message("verdict.needs_work", "en") == "needs work"
    assert message("verdict.needs_work", "ja") == "要改善"
    assert message("chart.mrr_currency", "ja", currency="JPY") == "MRR（JPY）"
    assert message("band.quick_ratio", "en", verdict="good", band="2–4") == "good (2–4) [seed 002]"


def test_message_errors_name_the_key_and_the_field():
    with pytest.raises(ParameterError, match="no message 'nope'"):
        message("nope", "ja")
    with pytest.raises(ParameterError, match="needs currency"):
        message("chart.mrr_currency", "en")
    with pytest.raises(ParameterError, match="language must be one of"):
        message("verdict.good", "fr")


def test_month_label_in_both_languages():
    assert month_label("2026-10", "en") == "October 2026"
    assert month_label("2026-10", "ja") == "2026年10月"
    assert month_label("2027-01", "ja") == "2027年1月"


def test_placeholders():
    assert placeholders("{value} ({band}) {value}") == {"value", "band"}
    assert placeholders("no fields, {{literal}}") == set()


def test_table_check_finds_missing_keys_and_placeholder_mismatch(tmp_path):
    (tmp_path / "en.yml").write_text("a: \"{x} items\"\nb: \"B\"\nc: \"C\"\n", "utf-8")
    (tmp_path / "ja.yml").write_text("a: \"{y}件\"\nb: \"  \"\n", "utf-8")
    problems = check_message_tables(tmp_path)
    assert "ja.yml: missing 'c'" in problems
    assert "ja.yml: 'b' is empty" in problems
    assert any("'a' has placeholders ['y']" in p and "['x']" in p for p in problems)


def _area_tables(folder):
    for lang, words in (("en", ("Opening", "Closing")), ("ja", ("期首", "期末"))):
        (folder / lang).mkdir(parents=True)
        (folder / f"{lang}.yml").write_text(f"a: \"{words[0]}\"\n", "utf-8")
        (folder / lang / "nrr.yml").write_text(f"nrr.b: \"{words[1]} {{x}}\"\n", "utf-8")
    return folder


def test_a_table_is_merged_from_its_area_files_and_a_key_may_live_in_one_file_only(tmp_path):
    good = _area_tables(tmp_path / "good")
    assert message("nrr.b", "ja", folder=good, x=1) == "期末 1"
    assert message("a", "en", folder=good) == "Opening"
    assert check_message_tables(good) == []
    twice = _area_tables(tmp_path / "twice")
    (twice / "en" / "zz.yml").write_text("a: \"again\"\n", "utf-8")
    with pytest.raises(ParameterError, match=r"'a' is defined twice: in .*en.yml and .*zz.yml"):
        message("a", "en", folder=twice)


def test_formatter_speaks_its_language_and_ja_writes_ja_numbers():
    from saas_kit.formatting import Formatter

    assert Formatter("ja", "JPY", "ja").msg("movement.churn") != Formatter("en", "JPY", "en").msg("movement.churn")
    assert Formatter("ja", "JPY", "en").msg("movement.churn") == "Churn"
    assert Formatter("ja", "JPY", "ja").month("2026-10") == "2026年10月"
    with pytest.raises(ParameterError, match="ja style"):
        Formatter("en", "JPY", "ja")
    with pytest.raises(ParameterError, match="language must be one of"):
        Formatter("en", "JPY", "fr")


# ------------------------------------------------------------------------ glossary


TERMS = (
    GlossaryTerm("NRR", "売上継続率", allowed=("売上継続率（NRR）",),
                 variants=("ネットレベニューリテンション", "売上維持率")),
    GlossaryTerm("Churn", "解約", allowed=("ネガティブチャーン",), variants=("チャーン",)),
    GlossaryTerm("month on month", "前月比", variants=("対前月比",)),
)


def test_glossary_flags_a_variant_and_names_the_term_to_use():
    issues = glossary_issues("ネットレベニューリテンションは102%でした", TERMS)
    assert [i.problem for i in issues] == [
        "uses 'ネットレベニューリテンション' for 'NRR'; the glossary says '売上継続率'"]


def test_glossary_accepts_preferred_and_allowed_forms():
    assert glossary_issues("売上継続率（NRR）は102%、ネガティブチャーンの状態です。前月比+2.1%。", TERMS) == []


def test_glossary_flags_a_variant_that_contains_the_preferred_form():
    # 対前月比 contains 前月比 but is itself the variant
    assert len(glossary_issues("対前月比+2.1%", TERMS)) == 1
    # チャーン outside ネガティブチャーン is flagged
    assert len(glossary_issues("ネガティブチャーンとチャーン", TERMS)) == 1


def test_project_glossary_is_followed_by_the_ja_message_table():
    terms = load_glossary()
    nrr = next(t for t in terms if t.en == "NRR")
    assert nrr.ja == "売上継続率" and "ネットレベニューリテンション" in nrr.variants
    assert message_table_issues("ja") == []
    # every glossary entry is usable: a variant is never its own preferred form
    for term in terms:
        assert term.ja not in term.variants, term.en


# ------------------------------------------------------------------------ catalogs


PO = textwrap.dedent('''\
    msgid ""
    msgstr ""
    "Content-Type: text/plain; charset=UTF-8\\n"
    "Language: ja\\n"

    msgid "Closing MRR was {glue:text}`kpi_mrr:s`."
    msgstr "月末MRRは{glue:text}`kpi_mrr:s`でした。"

    msgid "What moved"
    msgstr ""

    #, fuzzy
    msgid "Churn was low."
    msgstr "解約は少なめでした。"

    msgid "NRR was {glue:text}`kpi_nrr:s`."
    msgstr "ネットレベニューリテンションは高水準でした。"
    ''')


def test_catalog_check_reports_each_kind_of_problem(tmp_path):
    po = tmp_path / "page.po"
    po.write_text(PO, "utf-8")
    issues = catalog_issues(po, TERMS, name="page.po")
    text = [str(i) for i in issues]
    assert len(issues) == 4, text
    assert "page.po: 'What moved': not translated" in text
    assert any("'Churn was low.'" in t and "fuzzy" in t for t in text)
    assert any("roles differ" in t and "kpi_nrr" in t for t in text)
    assert any("ネットレベニューリテンション" in t for t in text)


def test_roles_are_compared_whatever_their_order():
    assert roles("{glue:text}`b` then {glue:text}`a:s`") == roles("{glue:text}`a:s`のあと{glue:text}`b`")
    assert roles("x {ref}`label` y") == ["{ref}`label`"]


# ----------------------------------------------------------------- language cells


def _nb(*tags_per_cell):
    return {"cells": [{"cell_type": "code", "metadata": {"tags": list(tags)}, "source": ""}
                      for tags in tags_per_cell]}


def test_select_language_cells_removes_only_the_other_languages_cells():
    nb = _nb(["lang-en"], ["lang-ja", "remove-input"], [], ["lang-en", "lang-ja"])
    assert select_language_cells(nb, "ja") is True
    tags = [c["metadata"]["tags"] for c in nb["cells"]]
    assert tags == [["lang-en", "remove-cell"], ["lang-ja", "remove-input"], [], ["lang-en", "lang-ja"]]
    assert select_language_cells(nb, "ja") is False  # already done


def test_lang_key():
    assert lang_key("kpi_mrr", "en") == "kpi_mrr"
    assert lang_key("kpi_mrr", "ja") == "kpi_mrr__ja"


# ------------------------------------------------------------------------ numbers


@pytest.mark.parametrize("text, numbers", [
    ("2026年10月の月末MRRは8億4,172万円で、前月比+2.1%でした。", ["2026年10月", "8億4,172万円", "+2.1%"]),
    ("有料顧客は1,234社、12億円、-¥1.2M", ["1,234社", "12億円", "-¥1.2M"]),
    ("前月比+0.7ポイント、前年同月比-0.2ポイント", ["+0.7ポイント", "-0.2ポイント"]),
    ("closing ¥841.7M, +0.4 pt, 2.67× and NRR 102.1% in October 2026", ["¥841.7M", "+0.4 pt", "2.67×", "102.1%", "2026"]),
    ("B2B and seed 3 and T2D3", []),
    ("months 2026-10 and 2026-09-30, FX mrr 2026-10", ["2026-10", "2026-09-30", "2026-10"]),  # digits inside words and single digits stay plain text
])
def test_numbers_with_units_are_found_whole(text, numbers):
    pieces = list(_split_numbers(text))
    assert [p for p, is_number in pieces if is_number] == numbers
    assert "".join(p for p, _ in pieces) == text


# ------------------------------------------------------------- editions and layout


def test_switch_href_goes_to_the_same_page_of_the_sibling_edition():
    assert switch_href("index", "ja") == "../ja/index.html"
    assert switch_href("book/index", "en") == "../../en/book/index.html"
    assert switch_href("notebooks/01_nrr", "ja") == "../../ja/notebooks/01_nrr.html"


def test_parse_languages():
    assert parse_languages(None) == ["en"]
    assert parse_languages("en,ja") == ["en", "ja"]
    assert parse_languages(" ja , en,ja") == ["ja", "en"]
    with pytest.raises(ParameterError, match="unknown language 'fr'"):
        parse_languages("en,fr")


def test_edition_config_adds_language_catalogs_and_extension_once():
    base = {"title": "T", "sphinx": {"config": {"extensions": ["myst_nb", EXTENSION]}}}
    config = edition_config(base, "ja", ["en", "ja"], "/x/locales", title="T ja")
    conf = config["sphinx"]["config"]
    assert conf["extensions"] == ["myst_nb", EXTENSION]
    assert conf["language"] == "ja" and conf["locale_dirs"] == ["/x/locales"]
    assert conf["gettext_compact"] is False and conf["saas_kit_editions"] == ["en", "ja"]
    assert config["title"] == "T ja" and base["title"] == "T"  # the base is not changed
    assert "language" not in base["sphinx"]["config"]


def test_edition_title_has_the_month_in_the_edition_language():
    assert edition_title("SaaS metrics report", "2026-10", "en") == "SaaS metrics report — October 2026"
    assert edition_title("SaaS metrics report", "2026-10", "ja") == "SaaS指標レポート — 2026年10月"


def test_assemble_editions_and_index(tmp_path):
    html = {}
    for lang in ("en", "ja"):
        html[lang] = tmp_path / "build" / lang / "html"
        html[lang].mkdir(parents=True)
        (html[lang] / "index.html").write_text(lang, "utf-8")
    site = assemble_editions(tmp_path / "site", html)
    assert (site / "en" / "index.html").read_text() == "en" and (site / "ja" / "index.html").read_text() == "ja"
    assert 'url=en/index.html' in (site / "index.html").read_text()
    out = tmp_path / "reports"
    (out / "2026-09").mkdir(parents=True)
    (out / "2026-09" / "index.html").write_text("old layout", "utf-8")
    assemble_editions(out / "2026-10", {lang: tmp_path / "site" / lang for lang in ("en", "ja")})
    assert months_with_editions(out) == {"2026-10": ["en", "ja"], "2026-09": []}
    page = editions_index_page(months_with_editions(out))
    assert '<a href="2026-10/en/index.html" hreflang="en" lang="en">October 2026</a>' in page
    assert '<a href="2026-10/ja/index.html" hreflang="ja" lang="ja">2026年10月</a>' in page
    assert '<a href="2026-09/index.html">September 2026</a>' in page


def test_glossary_file_is_a_list_of_complete_terms():
    raw = yaml.safe_load(GLOSSARY_FILE.read_text("utf-8"))
    assert len(load_glossary()) == len(raw) >= 20
    assert all(set(item) <= {"en", "ja", "allowed", "variants", "note"} for item in raw)


def test_messages_with_nothing_to_translate():
    from saas_kit.translations import nothing_to_translate

    assert nothing_to_translate("{glue:text}`../notebooks/01_nrr.ipynb::kpi_mrr:s`")
    assert nothing_to_translate("—") and nothing_to_translate("+2.1%")
    assert not nothing_to_translate("[MRR](../notebooks/01_nrr.ipynb)")
    assert not nothing_to_translate("Closing MRR was {glue:text}`kpi_mrr:s`.")


def test_write_edition_configs_titles_each_edition_in_its_language(tmp_path):
    from saas_kit.editions import write_edition_configs

    (tmp_path / "_config.yml").write_text(
        "title: SaaS metrics report — October 2026\nsphinx:\n  config:\n    extensions: [myst_nb]\n", "utf-8")
    written = write_edition_configs(tmp_path, ["en", "ja"], tmp_path / "locales", month="2026-10",
                                    base_title="SaaS metrics report")
    configs = {lang: yaml.safe_load(path.read_text("utf-8")) for lang, path in written.items()}
    assert written["ja"] == tmp_path / "_config.ja.yml"
    assert configs["en"]["title"] == "SaaS metrics report — October 2026"
    assert configs["ja"]["title"] == "SaaS指標レポート — 2026年10月"
    assert configs["ja"]["sphinx"]["config"]["extensions"] == ["myst_nb", EXTENSION]
    assert configs["ja"]["sphinx"]["config"]["language"] == "ja"


# ------------------------------------------------------------ words inside formulas


def test_formula_words_need_a_term_unless_they_are_metric_acronyms():
    from saas_kit.i18n_check import formula_words, needs_math_term

    assert formula_words(r"\text{NRR}_{\text{month}} = \frac{\text{ opening }}{x}") == ["NRR", "month", "opening"]
    assert needs_math_term("opening MRR") and needs_math_term("half-life") and needs_math_term("Quick")
    assert needs_math_term("MRRs")  # an acronym only when it stands alone
    assert not needs_math_term("MRR") and not needs_math_term("SaaS Quick Ratio")
    assert not needs_math_term("ARR / MRR") and not needs_math_term("12") and not needs_math_term("")


def _formula_project(root):
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["$$\n", r"\text{opening MRR} + \text{MRR} - \text{churn}", "\n$$"]},
        {"cell_type": "markdown", "metadata": {"tags": ["lang-ja"]}, "source": r"$\text{日数}$ は日本語版だけ"},
        {"cell_type": "markdown", "metadata": {"tags": ["lang-en"]}, "source": r"$\text{SaaS Quick Ratio} = \text{ ratio }$"},
        {"cell_type": "code", "metadata": {}, "source": r"print(r'\text{not a page}')", "outputs": []},
    ]
    (root / "notebooks").mkdir(parents=True)
    (root / "notebooks" / "01_page.ipynb").write_text(json.dumps({"cells": cells}), "utf-8")
    (root / "book").mkdir()
    (root / "book" / "methodology.md").write_text("$$\n\\text{churn} = \\text{half-life} \\text{ days}\n$$\n", "utf-8")
    (root / "locales" / "ja").mkdir(parents=True)
    (root / "locales" / "ja" / "math.yml").write_text('"opening MRR": "月初MRR"\n"days": "日"\n', "utf-8")


def test_math_term_check_lists_each_formula_word_without_a_translation_once(tmp_path):
    from saas_kit.i18n_check import math_term_issues

    _formula_project(tmp_path)
    issues = [str(i) for i in math_term_issues(tmp_path, tmp_path / "locales")]
    assert issues == ["ja/math.yml: no translation of the formula word 'churn' (in notebooks/01_page.ipynb)",
                      "ja/math.yml: no translation of the formula word 'ratio' (in notebooks/01_page.ipynb)",
                      "ja/math.yml: no translation of the formula word 'half-life' (in book/methodology.md)"]
    (tmp_path / "locales" / "ja" / "math.yml").write_text(
        '"opening MRR": "月初MRR"\n"days": "日"\n"churn": "解約"\n"ratio": "比率"\n"half-life": "半減期"\n', "utf-8")
    assert math_term_issues(tmp_path, tmp_path / "locales") == []


def test_math_term_check_reports_a_missing_or_malformed_math_yml(tmp_path):
    from saas_kit.i18n_check import math_term_issues

    _formula_project(tmp_path)
    (tmp_path / "locales" / "ja" / "math.yml").write_text("- churn\n", "utf-8")
    [issue] = math_term_issues(tmp_path, tmp_path / "locales")
    assert "expected a flat mapping" in str(issue)
    missing = [i.text for i in math_term_issues(tmp_path, tmp_path / "nowhere")]  # no file: every word
    assert missing == ["opening MRR", "churn", "ratio", "half-life", "days"]


def test_project_formulas_have_their_japanese_words():
    from pathlib import Path

    from saas_kit.i18n_check import math_term_issues

    project = Path(__file__).resolve().parent.parent
    assert [str(i) for i in math_term_issues(project, project / "locales")] == []


def test_translate_math_words_keeps_the_spaces_around_a_word():
    from saas_kit.i18n import translate_math_words

    terms = {"rows of event": "イベント", "days": "日", "opening": "月初MRR"}
    assert (translate_math_words(r"\#\{\text{rows of event } e + W \text{ days}\} / \text{opening} \text{MRR}", terms)
            == r"\#\{\text{イベント } e + W \text{ 日}\} / \text{月初MRR} \text{MRR}")


def test_translate_math_words_drops_a_space_next_to_full_width_punctuation():
    from saas_kit.i18n import translate_math_words

    terms = {"for": "の行（顧客", "with": "）、", "paying at": "支払い中、時刻"}
    assert (translate_math_words(r"e \text{ for } i \text{ with } s_i \text{ paying at } s_i", terms)
            == r"e \text{ の行（顧客 } i \text{）、} s_i \text{ 支払い中、時刻 } s_i")
