"""The report's languages: message tables, language-specific glue keys and cells (issue 13).

Three mechanisms, one per kind of text a reader sees:

- **Prose of the pages** (markdown cells, ``book/*.md``): written once in English; the
  Japanese lives in gettext catalogs ``locales/ja/LC_MESSAGES/**/*.po`` (Sphinx i18n,
  ``sphinx-intl``); see ``locales/README.md``.
- **Strings the package produces** (chart titles, axes, legends, verdicts, band texts,
  warnings, table headers): :func:`message` from one table per language,
  ``saas_kit/messages/<lang>.yml``; the tables hold the same keys with the same
  ``{placeholders}`` (:func:`check_message_tables`).
- **Values glued by a notebook**, executed once for every language:
  :func:`glue_both` glues ``key`` (English) and ``key__ja`` (Japanese); a figure or
  table is drawn once per language in cells tagged ``lang-en`` / ``lang-ja``. The
  Sphinx extension :mod:`saas_kit.book_i18n` shows each edition its own.
"""
from __future__ import annotations

import re
import string
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from saas_kit.errors import ParameterError

DEFAULT_LANG = "en"
LANGUAGES = ("en", "ja")
LANGUAGE_NAMES = {"en": "English", "ja": "日本語"}
#: ``key`` + ``__`` + language: the glue key of a language's version of a value.
LANG_KEY_SEPARATOR = "__"
#: Cell tag prefix: ``lang-ja`` marks a cell shown only in the Japanese edition.
LANG_TAG_PREFIX = "lang-"
REMOVE_TAG = "remove-cell"
MESSAGES_DIR = Path(__file__).parent / "messages"


def check_lang(lang: str) -> str:
    """``lang`` if it is one of :data:`LANGUAGES`; ParameterError otherwise."""
    if lang not in LANGUAGES:
        raise ParameterError(f"language must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    return lang


def parse_languages(text: str | Iterable[str] | None, what: str = "--lang") -> list[str]:
    """``"en,ja"`` / ``["ja"]`` / None -> the languages, in the given order, without
    repeats (None or empty: ``["en"]``). ParameterError naming ``what`` on an unknown one."""
    if text is None:
        return [DEFAULT_LANG]
    items = text.split(",") if isinstance(text, str) else list(text)
    langs: list[str] = []
    for item in items:
        item = item.strip() if isinstance(item, str) else item
        if not item:
            continue
        if item not in LANGUAGES:
            raise ParameterError(f"{what}: unknown language {item!r} (available: {', '.join(LANGUAGES)})")
        if item not in langs:
            langs.append(item)
    return langs or [DEFAULT_LANG]


def lang_key(key: str, lang: str) -> str:
    """The glue key of ``lang``'s version of ``key``: ``key`` for English, ``key__ja`` for Japanese."""
    return key if lang == DEFAULT_LANG else f"{key}{LANG_KEY_SEPARATOR}{lang}"


# --------------------------------------------------------------------- notebooks


def glue_both(key: str, texts: Mapping[str, str]) -> None:
    """Glue one value in every language, not displayed: ``texts["en"]`` under ``key``
    and ``texts["ja"]`` under ``key__ja``. Call from a notebook cell, e.g.
    ``glue_both("kpi_mrr", {"en": format_money(v, style="en"), "ja": format_money(v, style="ja")})``."""
    from myst_nb import glue

    missing = [lang for lang in LANGUAGES if lang not in texts]
    if missing:
        raise ParameterError(f"glue_both({key!r}): no text for {', '.join(missing)}")
    for lang in LANGUAGES:
        glue(lang_key(key, lang), str(texts[lang]), display=False)


def cell_languages(cell: Mapping[str, Any]) -> set[str]:
    """The languages a cell is tagged for (``lang-en``, ``lang-ja``); empty = every language."""
    tags = cell.get("metadata", {}).get("tags", []) or []
    return {t[len(LANG_TAG_PREFIX):] for t in tags if isinstance(t, str) and t.startswith(LANG_TAG_PREFIX)}


def select_language_cells(notebook: dict[str, Any], lang: str) -> bool:
    """Tag ``remove-cell`` every cell tagged for other languages only (``lang-X``, X not
    ``lang``), in place; the book then drops the cell with its output. Cells without a
    ``lang-*`` tag stay. Returns whether anything changed."""
    changed = False
    for cell in notebook.get("cells", []):
        langs = cell_languages(cell)
        if langs and lang not in langs:
            tags = cell.setdefault("metadata", {}).setdefault("tags", [])
            if REMOVE_TAG not in tags:
                tags.append(REMOVE_TAG)
                changed = True
    return changed


# ------------------------------------------------------------------ message tables


#: YAML's safe loader in C when PyYAML has libyaml (ten times faster on the message tables
#: every command reads), else the Python one: the same safe subset of YAML either way.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=None)
def _read_table(path: Path) -> dict[str, str]:
    try:
        raw = yaml.load(path.read_text("utf-8"), Loader=SAFE_LOADER)
    except FileNotFoundError:
        raise ParameterError(f"message table not found: {path}") from None
    except yaml.YAMLError as exc:
        raise ParameterError(f"message table {path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        raise ParameterError(f"message table {path}: expected a flat mapping of key: text")
    return dict(raw)


def message_files(lang: str, folder: Path = MESSAGES_DIR) -> list[Path]:
    """The files of ``lang``'s message table: ``folder/<lang>.yml`` and, one per area
    of the report, ``folder/<lang>/*.yml`` (sorted by name)."""
    folder = Path(folder)
    return [folder / f"{check_lang(lang)}.yml", *sorted((folder / lang).glob("*.yml"))]


def messages(lang: str, folder: Path = MESSAGES_DIR) -> dict[str, str]:
    """The message table of ``lang``: key -> template, from every file of
    :func:`message_files`; a key defined in two files is a ParameterError naming both."""
    return dict(_merged_table(check_lang(lang), Path(folder)))


@lru_cache(maxsize=None)
def _merged_table(lang: str, folder: Path) -> dict[str, str]:
    table: dict[str, str] = {}
    origin: dict[str, Path] = {}
    for path in message_files(lang, folder):
        for key, text in _read_table(path).items():
            if key in table:
                raise ParameterError(f"message {key!r} is defined twice: in {origin[key]} and {path}")
            table[key], origin[key] = text, path
    return table


def placeholders(template: str) -> set[str]:
    """The ``{field}`` names of a template (``"{value} ({band})"`` -> ``{"value", "band"}``)."""
    return {field.split(".")[0].split("[")[0]
            for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def message(key: str, lang: str = DEFAULT_LANG, folder: Path = MESSAGES_DIR, **fields: Any) -> str:
    """The text of message ``key`` in ``lang``, its ``{placeholders}`` filled from
    ``fields``: ``message("verdict.good", "ja")`` -> ``"良好"``,
    ``message("chart.waterfall.ylabel", "ja", currency="JPY")`` -> ``"MRR（JPY）"``.
    An unknown key or a missing field is a ParameterError naming it."""
    table = _merged_table(check_lang(lang), Path(folder))
    if key not in table:
        raise ParameterError(f"no message {key!r} in the {lang} message table ({Path(folder) / (lang + '.yml')} "
                             f"and {Path(folder) / lang}/*.yml)")
    template = table[key]
    if missing := sorted(placeholders(template) - set(fields)):
        raise ParameterError(f"message {key!r} needs {', '.join(missing)}")
    return template.format(**fields)


def check_message_tables(folder: Path = MESSAGES_DIR) -> list[str]:
    """Every key in every language's table, with the same placeholders and a non-empty
    text; the problems in words (empty = complete)."""
    tables = {lang: messages(lang, folder) for lang in LANGUAGES}
    problems: list[str] = []
    all_keys = sorted(set().union(*tables.values()))
    for key in all_keys:
        for lang, table in tables.items():
            if key not in table:
                problems.append(f"{lang}.yml: missing {key!r}")
            elif not table[key].strip():
                problems.append(f"{lang}.yml: {key!r} is empty")
        present = {lang: placeholders(t[key]) for lang, t in tables.items() if key in t}
        reference = present.get(DEFAULT_LANG)
        for lang, names in present.items():
            if reference is not None and names != reference:
                problems.append(f"{lang}.yml: {key!r} has placeholders {sorted(names)}, "
                                f"{DEFAULT_LANG}.yml has {sorted(reference)}")
    return problems


def month_label(month: str, lang: str = DEFAULT_LANG) -> str:
    """``"2026-10"`` -> ``"October 2026"`` / ``"2026年10月"`` (from the message tables,
    so the sidebar title and the body say the same)."""
    year, mon = str(month).split("-")[:2]
    name = message(f"month.{int(mon)}", lang)
    return message("month.label", lang, year=int(year), month=int(mon), month_name=name)


# ------------------------------------------------------------------ formula words


#: ``\text{...}`` in a formula: the words a reader reads inside the math.
TEXT_IN_MATH = re.compile(r"\\text\{([^{}]*)\}")
#: The Japanese of the formulas' words, beside the catalogs: ``locales/<lang>/math.yml``.
MATH_TERMS_FILE = "math.yml"


@lru_cache(maxsize=None)
def read_math_terms(path: Path) -> dict[str, str]:
    """English formula word -> its translation, from a ``math.yml`` (empty when absent)."""
    if not path.is_file():
        return {}
    terms = yaml.safe_load(path.read_text("utf-8")) or {}
    if not isinstance(terms, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in terms.items()):
        raise ValueError(f"{path}: expected a flat mapping of English formula word: translation")
    return terms


#: Full-width punctuation carries its own space: no kept space before a closing one
#: (``\text{ with }`` -> ``\text{）、}``), none after an opening one or a comma.
_NO_SPACE_BEFORE = "）」』】〕、。，：；！？"
_NO_SPACE_AFTER = "（「『【〔、。，：；"


def translate_math_words(latex: str, terms: dict[str, str]) -> str:
    r"""``latex`` with the words of every ``\text{...}`` that ``terms`` knows in the
    other language, the spaces around them kept: ``\text{opening MRR}`` ->
    ``\text{月初MRR}``, ``\text{ days}`` -> ``\text{ 日}``; unknown words stay. A space
    next to full-width punctuation is dropped (``\text{ with }`` -> ``\text{）、}``)."""
    def swap(match: re.Match) -> str:
        inner = match.group(1)
        word = inner.strip()
        if word not in terms:
            return match.group(0)
        translation = terms[word]
        lead, trail = inner[:len(inner) - len(inner.lstrip())], inner[len(inner.rstrip()):]
        if translation[:1] in tuple(_NO_SPACE_BEFORE):
            lead = ""
        if translation[-1:] in tuple(_NO_SPACE_AFTER):
            trail = ""
        return "\\text{" + lead + translation + trail + "}"

    return TEXT_IN_MATH.sub(swap, latex)
