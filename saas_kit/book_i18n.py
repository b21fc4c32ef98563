"""Sphinx extension of the bilingual report (issue 13): one executed notebook, one
edition per language.

Add ``saas_kit.book_i18n`` to the ``extensions`` of the staged ``_config.yml`` (after
``myst_nb``); :func:`saas_kit.editions.edition_config` does it. What it does in a build
whose Sphinx ``language`` is ``L``:

1. **Language cells and outputs.** A notebook cell tagged ``lang-X`` (``X`` another
   language than ``L``) is removed before myst-nb renders the notebook (``source-read``
   event, see :func:`saas_kit.i18n.select_language_cells`), and so is every output
   whose metadata is ``{"saas_kit": {"lang": "X"}}`` (:func:`select_language_outputs`;
   ``page.show`` and the charts of a multi-language page write them): one executed
   notebook carries the figures and tables of every language, each build shows its own.
2. **Language glue keys.** Every glue reference (``{glue:text}``, ``{glue}``,
   ``{glue:any}``, ``{glue:md}``, the ``glue:*`` directives, local or ``nb::key``)
   to ``key`` resolves ``key__L`` when the notebook glued one
   (:func:`saas_kit.i18n.glue_both`), else ``key``.
3. **Glue inside translated paragraphs.** Sphinx re-parses a gettext-translated
   paragraph as a fresh little document that has no notebook attached, where myst-nb's
   roles find no glue data and paste nothing ("No key ... found in glue data"). Here a
   local glue role in such a document pastes the value from the glue cache myst-nb
   wrote while parsing that notebook (``<doc>.glue.json``), in the build language,
   exactly as myst-nb pastes text (also in a heading, where a pending reference would
   break the table of contents); a value without ``text/plain`` (an image) becomes a
   reference to the notebook itself (``this.ipynb::key``), resolved after reading.
4. **Numbers never wrap** (Japanese edition; ``saas_kit_nowrap_numbers: true`` for
   every edition). Every number with its unit (``8億4,172万円``, ``¥841.7M``,
   ``+2.1%``, ``+0.4 pt``, ``2.67×``) in the page text is wrapped in
   ``<span class="saas-num">`` (``white-space: nowrap``): Japanese text may break
   between any two characters, also inside ``8億 / 4,172万 / 円``.
5. **Language switch.** Every page gets a link to the same page in the other edition
   (``saas_kit_editions``: the languages published side by side as ``<month>/<lang>/``)
   and ``<link rel="alternate" hreflang>``.
"""
from __future__ import annotations

import json
import posixpath
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform

from saas_kit.i18n import (DEFAULT_LANG, LANG_KEY_SEPARATOR, LANGUAGE_NAMES, MATH_TERMS_FILE, lang_key,
                           read_math_terms, select_language_cells, translate_math_words)

STATIC_DIR = Path(__file__).parent / "book_static"

#: A number with its sign, currency and unit: ``8億4,172万円``, ``-¥1.2M``, ``+0.4 pt``, ``2.67×``, ``102.1%``.
NUMBER_PATTERN = re.compile(
    r"(?<![0-9A-Za-z.,])(?:"
    r"\d{4}年\d{1,2}月(?:\d{1,2}日)?"  # a Japanese date: 2026年10月
    r"|\d{4}-\d{2}(?:-\d{2})?(?![\d])"  # an ISO month or date: 2026-10
    r"|[-+−]?[¥$€£]?\d[\d,]*(?:\.\d+)?(?:(?:兆|億|万)(?:\d[\d,]*)?)*"
    r"(?:円|%|ポイント|\s?pt|×|倍|社|件|人|名|[かヶカケ]月|日|年|[KMBT](?![A-Za-z]))?"
    r")"
)
#: Languages whose text a browser may break between any two characters.
BREAK_ANYWHERE_LANGUAGES = ("ja", "zh", "ko")
#: Nodes whose text is left alone (code, formulas, raw HTML).
_SKIP_NODES = (nodes.literal, nodes.literal_block, nodes.raw, nodes.math, nodes.math_block,
               nodes.FixedTextElement)


def build_language(config_or_env: Any) -> str:
    """The build's language (``language`` of the Sphinx config), ``en`` when unset."""
    config = getattr(config_or_env, "config", config_or_env)
    return (getattr(config, "language", None) or DEFAULT_LANG).split("_")[0]


# ------------------------------------------------------------------ language cells


#: Output metadata naming the language of one output: ``{"saas_kit": {"lang": "ja"}}``
#: (:func:`saas_kit.pages.base.output_metadata`; same key, no import of the pages here).
OUTPUT_METADATA_KEY = "saas_kit"


def output_language(output: dict[str, Any]) -> str | None:
    """The language an output is marked with (its metadata ``saas_kit.lang``), None when unmarked."""
    meta = output.get("metadata") if isinstance(output, dict) else None
    mark = meta.get(OUTPUT_METADATA_KEY) if isinstance(meta, dict) else None
    lang = mark.get("lang") if isinstance(mark, dict) else None
    return lang if isinstance(lang, str) else None


def select_language_outputs(notebook: dict[str, Any], lang: str) -> bool:
    """Drop, in place, every output marked with another language than ``lang`` (a table
    or figure a multi-language notebook displayed once per language); unmarked outputs
    stay. Returns whether anything changed."""
    changed = False
    for cell in notebook.get("cells", []):
        outputs = cell.get("outputs")
        if not outputs:
            continue
        kept = [o for o in outputs if output_language(o) in (None, lang)]
        if len(kept) != len(outputs):
            cell["outputs"] = kept
            changed = True
    return changed


def remove_other_language_cells(app: Sphinx, docname: str, source: list[str]) -> None:
    """``source-read``: drop the other languages' ``lang-X`` cells of a notebook and
    the outputs marked with another language (:func:`select_language_outputs`)."""
    if not app.env.doc2path(docname).endswith(".ipynb"):
        return
    try:
        nb = json.loads(source[0])
    except ValueError:
        return  # not our business: myst-nb reports an unreadable notebook itself
    lang = build_language(app)
    cells_changed = select_language_cells(nb, lang)
    if select_language_outputs(nb, lang) or cells_changed:
        source[0] = json.dumps(nb, ensure_ascii=False)


# -------------------------------------------------------------------- glue roles


def _local_glue_keys(document: nodes.document) -> dict[str, Any] | None:
    """The glue data of the notebook being parsed, None in a document without one."""
    renderer = document.get("nb_renderer") if hasattr(document, "get") else None
    if renderer is None:
        return None
    return renderer.renderer.nb_client.glue_data


def _cached_glue_keys(env: Any, docname: str) -> dict[str, Any]:
    """The glue data myst-nb cached for ``docname`` while parsing it (``<doc>.glue.json``)."""
    from myst_nb.ext.glue.crossref import read_glue_cache

    return read_glue_cache(env.mystnb_config.output_folder, docname)


def _choose_key(key: str, available: dict[str, Any] | None, lang: str) -> str:
    """``key__lang`` when glued, else ``key``."""
    candidate = lang_key(key, lang)
    return candidate if available is not None and candidate in available else key


def _split_target(text: str, with_format: bool) -> tuple[str, str, str]:
    """A glue role's target ``[doc::]key[:fmt]`` -> ``(doc, key, fmt)``; ``fmt`` keeps its ``:``."""
    body, fmt = text, ""
    if with_format:
        head, sep, tail = text.rpartition(":")
        if sep and head and not head.endswith(":"):  # key:fmt, not the "::" of doc::key
            body, fmt = head, ":" + tail
    doc, _, key = body.rpartition("::")
    return doc, key, fmt


def _read_glue_file(env: Any, docname: str) -> dict[str, Any]:
    """The glue data myst-nb wrote for ``docname`` while parsing it (``<doc>.glue.json``;
    re-read when the file changes: the translated paragraphs of a notebook are parsed
    right after it)."""
    path = Path(env.mystnb_config.output_folder).joinpath(*docname.split("/"))
    path = path.with_name(path.name + ".glue.json")
    return _read_json(str(path), path.stat().st_mtime_ns) if path.is_file() else {}


@lru_cache(maxsize=8)
def _read_json(path: str, mtime_ns: int) -> dict[str, Any]:
    return json.loads(Path(path).read_text("utf-8"))


def _translated_paste(role: Any, key: str, fmt: str, env: Any, plain_only: bool) -> list[nodes.Node] | None:
    """A local glue role inside a translated paragraph (a fresh document without the
    notebook): the notebook's ``text/plain`` value in the build language, pasted as
    myst-nb pastes text; None when there is no such value, or (``plain_only``, the
    ``{glue}`` role) when the value has a richer form too (then a reference to the
    notebook itself is left for myst-nb to resolve after reading)."""
    from myst_nb.core.variables import format_plain_text

    data = _read_glue_file(env, env.docname)
    output = data.get(_choose_key(key, data, build_language(env)), {}).get("data", {})
    if "text/plain" not in output or (plain_only and set(output) != {"text/plain"}):
        return None
    text = format_plain_text(output["text/plain"], fmt[1:] or "s")
    node = nodes.inline(text, text, classes=["pasted-text"])
    role.set_source_info(node)
    return [node]


def _lang_role(base: type, with_format: bool, paste: str) -> type:
    """``base`` made language-aware. ``paste``: how a translated paragraph pastes the
    value itself: ``"text"`` (``{glue:text}``), ``"plain-only"`` (``{glue}``: only a
    value that is nothing but text) or ``"never"`` (``{glue:md}``)."""
    class LangGlueRole(base):  # type: ignore[misc, valid-type]
        __doc__ = f"{base.__name__} resolving ``key__<language>`` and working in translated paragraphs."

        def run(self):  # noqa: D401
            env = getattr(self.document.settings, "env", None)
            doc, key, fmt = _split_target(self.text, with_format)
            if env is None or doc:  # docutils alone, or doc::key (see LangGlueReferences)
                return super().run()
            local = _local_glue_keys(self.document)
            if local is not None:  # the notebook itself
                self.text = _choose_key(key, local, build_language(env)) + fmt
                return super().run()
            pasted = None if paste == "never" else _translated_paste(self, key, fmt, env, paste == "plain-only")
            if pasted is not None:
                return pasted, []
            # e.g. an image glued for {glue}: let myst-nb paste it from its cache after reading
            this_file = posixpath.basename(env.doc2path(env.docname, base=False))
            self.text = f"{this_file}::{key}{fmt or (':s' if with_format else '')}"
            return super().run()

    LangGlueRole.__name__ = f"Lang{base.__name__}"
    return LangGlueRole


def _lang_directive(base: type) -> type:
    class LangGlueDirective(base):  # type: ignore[misc, valid-type]
        __doc__ = f"{base.__name__} resolving ``key__<language>``."

        def run(self):  # noqa: D401
            env = getattr(self.state.document.settings, "env", None)
            key = self.arguments[0]
            if env is not None and "::" not in key:
                self.arguments[0] = _choose_key(key, _local_glue_keys(self.state.document), build_language(env))
            return super().run()

    LangGlueDirective.__name__ = f"Lang{base.__name__}"
    return LangGlueDirective


def make_glue_domain() -> type:
    """myst-nb's ``glue`` domain with every role and directive language-aware."""
    from myst_nb.ext.glue.directives import (
        PasteAnyDirective,
        PasteFigureDirective,
        PasteMarkdownDirective,
        PasteMathDirective,
    )
    from myst_nb.ext.glue.domain import NbGlueDomain
    from myst_nb.ext.glue.roles import PasteMarkdownRole, PasteRoleAny, PasteTextRole

    any_role = _lang_role(PasteRoleAny, with_format=False, paste="plain-only")
    any_directive = _lang_directive(PasteAnyDirective)

    class LangNbGlueDomain(NbGlueDomain):
        """The ``glue`` domain of myst-nb, language-aware (saas_kit.book_i18n)."""

        roles = {"": any_role(), "any": any_role(), "text": _lang_role(PasteTextRole, with_format=True, paste="text")(),
                 "md": _lang_role(PasteMarkdownRole, with_format=False, paste="never")()}
        directives = {"": any_directive, "any": any_directive,
                      "figure": _lang_directive(PasteFigureDirective),
                      "math": _lang_directive(PasteMathDirective),
                      "md": _lang_directive(PasteMarkdownDirective)}

    return LangNbGlueDomain


class LangGlueReferences(SphinxPostTransform):
    """Before myst-nb resolves ``nb::key`` references (priority 5), point them at
    ``key__<language>`` when that notebook glued it."""

    default_priority = 4

    def apply(self, **kwargs: Any) -> None:
        from myst_nb.ext.glue.utils import PendingGlueReference

        lang = build_language(self.env)
        if lang == DEFAULT_LANG:
            return
        for node in list(self.document.findall(PendingGlueReference)):
            node["key"] = _choose_key(node["key"], _cached_glue_keys(self.env, node["refdoc"]), lang)


# -------------------------------------------------------------------- numbers


class NoWrapNumbers(SphinxPostTransform):
    """Wrap every number-with-unit of the page text in ``<span class="saas-num">`` (CSS
    ``white-space: nowrap``), after glue values are pasted (myst-nb: priority 5)."""

    default_priority = 50

    def apply(self, **kwargs: Any) -> None:
        enabled = self.config.saas_kit_nowrap_numbers
        if enabled is None:  # default: in the editions whose script breaks anywhere (ja)
            enabled = build_language(self.config) in BREAK_ANYWHERE_LANGUAGES
        if not enabled:
            return
        for text in list(self.document.findall(nodes.Text)):
            parent = text.parent
            if parent is None or _inside(parent, _SKIP_NODES) or "saas-num" in parent.get("classes", []):
                continue
            value = str(text)
            pieces = list(_split_numbers(value))
            if len(pieces) == 1 and not pieces[0][1]:
                continue
            replacement = [nodes.inline(p, p, classes=["saas-num"]) if is_number else nodes.Text(p)
                           for p, is_number in pieces if p]
            parent.replace(text, replacement)
        for raw in list(self.document.findall(nodes.raw)):  # tables and notes a notebook displayed as HTML
            if "html" in raw.get("format", "").split() and not _UNSAFE_HTML.search(raw.astext()):
                html = nowrap_numbers_in_html(raw.astext())
                raw.children = [nodes.Text(html)]


#: HTML whose text is not plain page text (scripts, styles, formulas): left alone.
_UNSAFE_HTML = re.compile(r"<(?:script|style|math|svg|pre|code)\b", re.I)


def nowrap_numbers_in_html(html: str) -> str:
    """Every number-with-unit in the text of ``html`` (between tags, never inside a tag
    or an entity such as ``&#8212;``) wrapped in ``<span class="saas-num">``: the
    tables and notes a notebook displays are raw HTML, out of reach of the page text."""
    def text_part(match: re.Match) -> str:
        text = match.group(1)
        out, pos = [], 0
        for number in NUMBER_PATTERN.finditer(text):
            value = number.group(0)
            if len(value) < 2 or text[max(0, number.start() - 1):number.start()] in ("#", "&"):
                continue
            out += [text[pos:number.start()], f'<span class="saas-num">{value}</span>']
            pos = number.end()
        return ">" + "".join(out) + text[pos:] + "<"

    return re.sub(r">([^<>]+)<", text_part, html)


def _inside(node: nodes.Node, kinds: tuple[type, ...]) -> bool:
    while node is not None:
        if isinstance(node, kinds):
            return True
        node = node.parent
    return False


def _split_numbers(text: str):
    """``(piece, is_number)`` in order; a number must hold more than a single digit or have a unit."""
    pos = 0
    for match in NUMBER_PATTERN.finditer(text):
        number = match.group(0)
        if len(number) < 2:
            continue
        yield text[pos:match.start()], False
        yield number, True
        pos = match.end()
    yield text[pos:], False


# -------------------------------------------------------------------- switch link


def switch_href(pagename: str, lang: str) -> str:
    """Relative link from page ``pagename`` of one edition to the same page of the
    ``lang`` edition, the editions being sibling folders (``<month>/en/``, ``<month>/ja/``)."""
    depth = pagename.count("/") + 1  # up out of the page's folders and the edition folder
    return "../" * depth + f"{lang}/{pagename}.html"


def add_switch_context(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                       doctree: Any) -> None:
    """``html-page-context``: the other editions' links for the ``lang-switch.html`` template."""
    lang = build_language(app)
    others = [code for code in app.config.saas_kit_editions if code != lang]
    context["saas_kit_lang"] = lang
    context["saas_kit_switch"] = [
        {"lang": code, "label": LANGUAGE_NAMES.get(code, code), "href": switch_href(pagename, code)}
        for code in others
    ]
    links = "".join(
        f'\n<link rel="alternate" hreflang="{s["lang"]}" href="{s["href"]}" />' for s in context["saas_kit_switch"]
    )
    context["metatags"] = context.get("metatags", "") + links


def _config_inited(app: Sphinx, config: Any) -> None:
    """Our template and CSS; the switch in the article header, before the theme's buttons."""
    config.templates_path = [*config.templates_path, str(STATIC_DIR / "templates")]
    config.html_static_path = [*config.html_static_path, str(STATIC_DIR / "static")]
    options = dict(config.html_theme_options or {})
    header_end = list(options.get("article_header_end") or ["article-header-buttons.html"])
    if "lang-switch.html" not in header_end:
        header_end.insert(0, "lang-switch.html")
    options["article_header_end"] = header_end
    config.html_theme_options = options


class TranslateTocCaptions(SphinxTransform):
    """The captions of the sidebar's sections ("Metrics", "About this report") in the
    build language, from the page's gettext catalog. sphinx-external-toc inserts the
    toctrees (its transform, priority 100) after Sphinx's own translation of the page
    (priority 20), so their captions would stay English; this runs right after it."""

    default_priority = 101

    def apply(self, **kwargs: Any) -> None:
        from sphinx import addnodes
        from sphinx.locale import init as init_locale
        from sphinx.util.i18n import docname_to_domain

        if build_language(self.config) == DEFAULT_LANG:
            return
        toctrees = [n for n in self.document.findall(addnodes.toctree) if n.get("caption")]
        if not toctrees:
            return
        dirs = [str(Path(self.env.srcdir) / d) for d in self.config.locale_dirs]
        domain = docname_to_domain(self.env.docname, self.config.gettext_compact)
        catalog, has_catalog = init_locale(dirs, self.config.language, domain)
        if not has_catalog:
            return
        for toctree in toctrees:
            translated = catalog.gettext(toctree["caption"])
            if translated:
                toctree["caption"] = translated


class TranslateMathWords(SphinxPostTransform):
    """The words inside the formulas in the build language (``locales/<lang>/math.yml``):
    a formula is copied unchanged into the catalogs (Sphinx cannot re-parse a
    translated display formula), so its ``\text{...}`` words are swapped here, in display
    formulas and in inline math of translated paragraphs alike."""

    default_priority = 5

    def run(self, **kwargs: Any) -> None:
        lang = build_language(self.config)
        if lang == DEFAULT_LANG:
            return
        terms: dict[str, str] = {}
        for folder in self.config.locale_dirs:
            terms.update(read_math_terms(Path(self.env.srcdir) / folder / lang / MATH_TERMS_FILE))
        if not terms:
            return
        for node in list(self.document.findall(lambda n: isinstance(n, (nodes.math, nodes.math_block)))):
            latex = node.astext()
            translated = translate_math_words(latex, terms)
            if translated != latex:
                node.children = [nodes.Text(translated)]
                if "latex" in node.attributes:
                    node["latex"] = translated


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("myst_nb")
    app.add_config_value("saas_kit_editions", [DEFAULT_LANG], "html", types=[list])
    app.add_config_value("saas_kit_nowrap_numbers", None, "env", types=[bool, type(None)])
    app.add_domain(make_glue_domain(), override=True)
    app.add_post_transform(LangGlueReferences)
    app.add_post_transform(NoWrapNumbers)
    app.add_transform(TranslateTocCaptions)
    app.add_post_transform(TranslateMathWords)
    app.connect("config-inited", _config_inited)
    app.connect("source-read", remove_other_language_cells)
    app.connect("html-page-context", add_switch_context)
    app.add_css_file("saas-kit-i18n.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}


__all__ = ["LANG_KEY_SEPARATOR", "NUMBER_PATTERN", "build_language", "make_glue_domain", "setup", "switch_href"]
