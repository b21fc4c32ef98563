"""Checks of the Japanese edition's texts (issue 13, "Proof"): glossary terms used
consistently, every paragraph translated, every glued value kept.

- :func:`glossary_issues`: a Japanese text using a spelling the glossary
  (``saas_kit/messages/glossary.yml``) lists as a variant, e.g. ネットレベニューリテンション
  where the glossary says 売上継続率 (NRR).
- :func:`catalog_issues`: a gettext catalog (``.po``) with an empty or fuzzy
  translation, a translation that drops or changes a ``{glue:text}`key``` role (the
  value would vanish from the Japanese page), or a glossary variant.
- :func:`missing_translations`: msgids of the extracted templates (``.pot``, the
  pages as they are now) that the catalogs do not translate yet.
- :func:`message_table_issues`: the ja message table checked against the glossary.
- :func:`math_term_issues`: a word written in a page's formula (``\\text{...}``) that
  ``locales/<lang>/math.yml`` does not translate (the formula would show it in English).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from saas_kit.errors import ParameterError
from saas_kit.i18n import DEFAULT_LANG, MATH_TERMS_FILE, MESSAGES_DIR, TEXT_IN_MATH, cell_languages, messages, read_math_terms

GLOSSARY_FILE = MESSAGES_DIR / "glossary.yml"
#: A MyST role in a paragraph: ``{glue:text}`key:s```, ``{ref}`label```, ``{math}`x```.
ROLE_PATTERN = re.compile(r"\{[\w:.-]+\}`[^`]*`")


@dataclass(frozen=True)
class GlossaryTerm:
    """One concept: its English term, the Japanese term to write, accepted other
    spellings and the spellings not to use."""

    en: str
    ja: str
    allowed: tuple[str, ...] = ()
    variants: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Issue:
    """A problem found in a text: where (file and message), what."""

    where: str
    problem: str
    text: str = field(default="", compare=False)

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"


@lru_cache(maxsize=None)
def _read_glossary(path: Path) -> tuple[GlossaryTerm, ...]:
    raw = yaml.safe_load(Path(path).read_text("utf-8"))
    if not isinstance(raw, list):
        raise ParameterError(f"glossary {path}: expected a list of terms")
    terms = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not {"en", "ja"} <= set(item):
            raise ParameterError(f"glossary {path}: entry {i + 1} needs 'en' and 'ja'")
        terms.append(GlossaryTerm(en=str(item["en"]), ja=str(item["ja"]),
                                  allowed=tuple(str(a) for a in item.get("allowed") or ()),
                                  variants=tuple(str(v) for v in item.get("variants") or ()),
                                  note=str(item.get("note") or "")))
    return tuple(terms)


def load_glossary(path: Path = GLOSSARY_FILE) -> tuple[GlossaryTerm, ...]:
    """The glossary terms, in file order."""
    return _read_glossary(Path(path))


def _spans(text: str, needle: str) -> list[tuple[int, int]]:
    return [(m.start(), m.start() + len(needle)) for m in re.finditer(re.escape(needle), text)]


def glossary_issues(text: str, glossary: tuple[GlossaryTerm, ...] | None = None,
                    where: str = "text") -> list[Issue]:
    """Every glossary variant used in ``text``, as issues naming the term to write.

    A variant occurrence is accepted only when it lies inside a longer preferred or
    allowed form of any term (チャーン inside ネガティブチャーン, 月次経常収益 inside
    MRR（月次経常収益）); 対前月比 is flagged even though it contains 前月比."""
    terms = glossary if glossary is not None else load_glossary()
    protected = [(span, len(form)) for term in terms for form in (term.ja, *term.allowed)
                 for span in _spans(text, form)]
    issues = []
    for term in terms:
        for variant in term.variants:
            for start, end in _spans(text, variant):
                covered = any(s <= start and end <= e and size > len(variant) for (s, e), size in protected)
                if not covered:
                    issues.append(Issue(where, f"uses {variant!r} for {term.en!r}; the glossary says {term.ja!r}",
                                        text))
                    break
    return issues


def roles(text: str) -> list[str]:
    """The MyST roles of a paragraph, sorted (order may change in translation)."""
    return sorted(ROLE_PATTERN.findall(text))


def read_catalog(path: Path):
    """A .po file as a Babel catalog (Babel comes with Sphinx)."""
    from babel.messages.pofile import read_po

    with open(path, "rb") as f:
        return read_po(f, abort_invalid=True)


def catalog_issues(path: Path, glossary: tuple[GlossaryTerm, ...] | None = None,
                   name: str | None = None) -> list[Issue]:
    """Problems of one catalog: a message with no translation, a fuzzy one (Sphinx
    would show the English), glue or other roles not kept exactly, glossary variants."""
    where = name or str(path)
    issues = []
    for msg in read_catalog(Path(path)):
        if not msg.id:
            continue  # the header
        msgid = msg.id if isinstance(msg.id, str) else msg.id[0]
        msgstr = msg.string if isinstance(msg.string, str) else (msg.string[0] if msg.string else "")
        label = f"{where}: {msgid[:60]!r}"
        if not msgstr.strip():
            issues.append(Issue(label, "not translated", msgid))
            continue
        if msg.fuzzy:
            issues.append(Issue(label, "fuzzy (the build shows the English): check it and remove the fuzzy flag",
                                msgid))
        if roles(msgid) != roles(msgstr):
            issues.append(Issue(label, f"roles differ: the English has {roles(msgid)}, the translation "
                                       f"{roles(msgstr)}", msgstr))
        issues.extend(Issue(label, i.problem, msgstr) for i in glossary_issues(msgstr, glossary))
    return issues


def catalog_files(locale_dir: Path, lang: str = "ja") -> list[Path]:
    """Every ``.po`` under ``locale_dir/<lang>/LC_MESSAGES``, sorted."""
    return sorted((Path(locale_dir) / lang / "LC_MESSAGES").rglob("*.po"))


def check_catalogs(locale_dir: Path, lang: str = "ja",
                   glossary: tuple[GlossaryTerm, ...] | None = None) -> list[Issue]:
    """:func:`catalog_issues` of every catalog of ``lang``."""
    base = Path(locale_dir) / lang / "LC_MESSAGES"
    return [issue for po in catalog_files(locale_dir, lang)
            for issue in catalog_issues(po, glossary, name=str(po.relative_to(base)))]


def missing_translations(pot_dir: Path, locale_dir: Path, lang: str = "ja") -> list[Issue]:
    """Messages of the extracted templates ``pot_dir/**/*.pot`` (Sphinx gettext builder)
    that have no entry in the matching ``locale_dir/<lang>/LC_MESSAGES/**/*.po``: a
    page changed or added since ``make translations`` last ran."""
    base = Path(locale_dir) / lang / "LC_MESSAGES"
    issues = []
    for pot in sorted(Path(pot_dir).rglob("*.pot")):
        rel = pot.relative_to(pot_dir).with_suffix(".po")
        po = base / rel
        wanted = [m.id for m in read_catalog(pot) if m.id]
        if not po.is_file():
            issues.extend(Issue(str(rel), "no catalog for this page", str(w)) for w in wanted[:1])
            continue
        have = {m.id for m in read_catalog(po) if m.id and not m.fuzzy and m.string}
        issues.extend(Issue(f"{rel}: {str(w)[:60]!r}", "not in the catalog (run make translations)", str(w))
                      for w in wanted if w not in have)
    return issues


def message_table_issues(lang: str = "ja", folder: Path = MESSAGES_DIR,
                         glossary: tuple[GlossaryTerm, ...] | None = None) -> list[Issue]:
    """Glossary variants in the ``lang`` message table."""
    return [issue for key, text in messages(lang, folder).items()
            for issue in glossary_issues(text, glossary, where=f"{lang}.yml: {key}")]


#: Names that stay as they are inside a formula in every language (metric acronyms);
#: a formula word made only of them (``SaaS Quick Ratio``, ``MRR``) needs no translation.
MATH_ACRONYMS = ("MRR", "ARR", "NRR", "GRR", "ARPA", "CAC", "LTV", "CAGR", "SaaS", "Quick Ratio")
_ACRONYM = re.compile(r"(?<![^\W\d_])(?:" + "|".join(re.escape(a) for a in sorted(MATH_ACRONYMS, key=len, reverse=True))
                      + r")(?![^\W\d_])")


def needs_math_term(word: str) -> bool:
    """Whether a formula word is read as a word: it has letters once the metric acronyms
    are taken out (``opening MRR`` yes; ``MRR``, ``SaaS Quick Ratio``, ``12`` no)."""
    return any(c.isalpha() for c in _ACRONYM.sub(" ", word))


def formula_words(text: str) -> list[str]:
    """The words of every ``\\text{...}`` in ``text``, spaces stripped, in order."""
    return [m.group(1).strip() for m in TEXT_IN_MATH.finditer(text)]


def page_texts(project: Path) -> dict[str, list[str]]:
    """The English text of the pages, by file relative to ``project``: the markdown cells
    of ``notebooks/*.ipynb`` (cells tagged for other languages only left out) and
    ``book/*.md``."""
    project = Path(project)
    texts: dict[str, list[str]] = {}
    for path in sorted((project / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text("utf-8")).get("cells", [])
        texts[str(path.relative_to(project))] = [
            "".join(c.get("source", "")) if isinstance(c.get("source"), list) else str(c.get("source", ""))
            for c in cells
            if c.get("cell_type") == "markdown" and (not cell_languages(c) or DEFAULT_LANG in cell_languages(c))]
    for path in sorted((project / "book").glob("*.md")):
        texts[str(path.relative_to(project))] = [path.read_text("utf-8")]
    return texts


def math_term_issues(project: Path, locale_dir: Path, lang: str = "ja") -> list[Issue]:
    """Every word of the pages' formulas (:func:`page_texts`, :func:`needs_math_term`)
    without an entry in ``locale_dir/<lang>/math.yml``: the ``lang`` edition would show
    it in English inside a translated page. One issue per word, naming the first page."""
    terms_file = Path(locale_dir) / lang / MATH_TERMS_FILE
    try:
        terms = read_math_terms.__wrapped__(terms_file)  # as the file is now, not as first read
    except ValueError as exc:
        return [Issue(str(terms_file), str(exc))]
    issues, seen = [], set()
    for page, texts in page_texts(project).items():
        for text in texts:
            for word in formula_words(text):
                if word in seen or word in terms or not needs_math_term(word):
                    continue
                seen.add(word)
                issues.append(Issue(f"{lang}/{MATH_TERMS_FILE}",
                                    f"no translation of the formula word {word!r} (in {page})", word))
    return issues
