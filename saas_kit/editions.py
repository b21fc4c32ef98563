"""One executed book, one HTML edition per language (issue 13).

The report's notebooks are executed once; the staged book is then built once per
language with Jupyter Book, each build reading its own configuration file
``_config.<lang>.yml`` beside the staged ``_config.yml`` (:func:`write_edition_configs`):
the same book, plus

- ``sphinx.config.language`` (Sphinx translates its own interface: search,
  navigation, "Next"), ``locale_dirs`` and ``gettext_compact: false`` (one catalog per
  page, ``locales/<lang>/LC_MESSAGES/<page path>.po``), so the prose is translated from
  the gettext catalogs;
- the extension :mod:`saas_kit.book_i18n` (glue keys ``key__<lang>``, glue inside
  translated paragraphs, cells tagged for one language, unbreakable numbers, the
  language switch) and ``saas_kit_editions`` (the languages published side by side);
- the title with the month in that language.

The two builds run at the same time (:func:`build_editions`), in separate output
folders. Published layout of a month (:func:`assemble_editions`)::

    reports/2026-10/index.html     redirect to the default edition (old links keep working)
    reports/2026-10/en/...         the English book
    reports/2026-10/ja/...         the Japanese book

and :func:`editions_index_page` writes ``reports/index.html`` with both editions of
every month.
"""
from __future__ import annotations

import copy
import html
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from saas_kit.errors import SaasKitError
from saas_kit.i18n import DEFAULT_LANG, LANGUAGE_NAMES, LANGUAGES, check_lang, message, month_label
from saas_kit.i18n import parse_languages as i18n_parse_languages

EXTENSION = "saas_kit.book_i18n"
LOCALES_DIR = "locales"


class EditionBuildError(SaasKitError):
    """The book did not build in one of the languages (warnings are errors)."""


def parse_languages(text: str | Iterable[str] | None) -> list[str]:
    """``"en,ja"`` / ``["ja"]`` / None -> the languages to build, in the given order,
    without repeats (None or empty: ``["en"]``). ParameterError on an unknown language."""
    return i18n_parse_languages(text, "--lang")


def edition_config(base: Mapping[str, Any], lang: str, editions: list[str], locale_dir: str | Path,
                   title: str | None = None) -> dict[str, Any]:
    """The Jupyter Book configuration of the ``lang`` edition: ``base`` (the staged
    ``_config.yml``) with the language, the catalogs and :mod:`saas_kit.book_i18n`."""
    check_lang(lang)
    config = copy.deepcopy(dict(base))
    if title is not None:
        config["title"] = title
    sphinx = config.setdefault("sphinx", {})
    sphinx.setdefault("recursive_update", True)
    conf = sphinx.setdefault("config", {})
    extensions = list(conf.get("extensions") or [])
    if EXTENSION not in extensions:
        extensions.append(EXTENSION)
    conf["extensions"] = extensions
    conf["language"] = lang
    conf["locale_dirs"] = [str(locale_dir)]
    conf["gettext_compact"] = False
    conf["gettext_location"] = False  # no "#: ../../src/page.md:12" lines: staging paths change every run
    conf["gettext_uuid"] = False
    conf["saas_kit_editions"] = list(editions)
    return config


def edition_title(base_title: str, month: str | None, lang: str) -> str:
    """``"SaaS metrics report — October 2026"`` / ``"SaaS指標レポート — 2026年10月"``."""
    name = message("report.title", lang) if lang != DEFAULT_LANG else (base_title or message("report.title", lang))
    return f"{name} — {month_label(month, lang)}" if month else name


def config_path(src: Path, lang: str) -> Path:
    return Path(src) / f"_config.{check_lang(lang)}.yml"


def write_edition_configs(src: Path, langs: list[str], locale_dir: str | Path, month: str | None = None,
                          base_config: Path | None = None, base_title: str | None = None) -> dict[str, Path]:
    """Write ``src/_config.<lang>.yml`` for every language from ``base_config``
    (default ``src/_config.yml``, the staged one). With ``month``, each edition's title
    is ``base_title`` (default: the base config's ``title``; give the project's own when
    the staged title already carries an English month) or the ja message
    ``report.title``, followed by the month in that language. Returns lang -> file."""
    base_path = Path(base_config) if base_config is not None else Path(src) / "_config.yml"
    base = yaml.safe_load(base_path.read_text("utf-8")) or {}
    title = base_title if base_title is not None else str(base.get("title") or "")
    written = {}
    for lang in langs:
        config = edition_config(base, lang, langs, locale_dir,
                                title=edition_title(title, month, lang) if month else None)
        path = config_path(src, lang)
        path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), "utf-8")
        written[lang] = path
    return written


def stage_locales(project: Path, src: Path) -> Path:
    """Copy the project's catalogs (``locales/``, .po files only) into the staging
    folder: Sphinx compiles them to .mo files next to them, which must never land in
    the project. Returns the staged folder (created, possibly empty)."""
    target = Path(src) / LOCALES_DIR
    source = Path(project) / LOCALES_DIR
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("*.mo", "*.md", ".gitignore"))
    target.mkdir(parents=True, exist_ok=True)
    return target


#: ``jupyter-book`` run by this environment's Python, without jsonschema's optional IRI
#: format checker: importing ``rfc3987_syntax`` builds a parser (~2.5 s per process here)
#: and Jupyter Book never validates IRIs (the same trick as saas_kit.report's workers).
_JUPYTER_BOOK = ("import sys; sys.modules.setdefault('rfc3987_syntax', None); "
                 "from jupyter_book.cli.main import main; sys.argv[0] = 'jupyter-book'; main()")


def jupyter_book_command() -> list[str]:
    """The command prefix that runs this environment's Jupyter Book."""
    if not (Path(sys.executable).parent / "jupyter-book").exists():
        raise EditionBuildError(f"jupyter-book not found next to {sys.executable}; run `make setup`")
    return [sys.executable, "-c", _JUPYTER_BOOK]


def edition_build_command(src: Path, build: Path, lang: str, toc: Path,
                          builder: Iterable[str] = ("--builder", "html")) -> list[str]:
    """``jupyter-book build SRC --config SRC/_config.<lang>.yml --toc TOC --path-output
    BUILD -W -n --keep-going`` (warnings are errors)."""
    return [*jupyter_book_command(), "build", str(src), "--config", str(config_path(src, lang)),
            "--toc", str(toc), "--path-output", str(build), *builder, "-W", "-n", "--keep-going"]


@dataclass(frozen=True)
class EditionBuild:
    lang: str
    html_dir: Path
    seconds: float


def build_editions(src: Path, build_root: Path, langs: list[str], toc: Path, logs: Path,
                   parallel: bool = True) -> dict[str, EditionBuild]:
    """Build every language's edition of the staged book ``src`` into
    ``build_root/<lang>/_build/html`` (fresh folders), at the same time when
    ``parallel``. Every build runs to its end; :class:`EditionBuildError` lists the
    warnings of each language that failed. Logs: ``logs/build.<lang>.log``."""
    build_root, logs = Path(build_root), Path(logs)
    logs.mkdir(parents=True, exist_ok=True)
    running: dict[str, tuple[subprocess.Popen, Any, float]] = {}
    done: dict[str, tuple[int, float]] = {}
    try:
        for lang in langs:
            out = build_root / lang
            shutil.rmtree(out, ignore_errors=True)
            log = open(logs / f"build.{lang}.log", "wb")
            proc = subprocess.Popen(edition_build_command(src, out, lang, toc), cwd=src, stdout=log,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            running[lang] = (proc, log, time.monotonic())
            if not parallel:
                done[lang] = (proc.wait(), time.monotonic() - running[lang][2])
        for lang, (proc, _, started) in running.items():
            if lang not in done:
                done[lang] = (proc.wait(), time.monotonic() - started)
    finally:
        for proc, log, _ in running.values():
            if proc.poll() is None:
                proc.terminate()
                proc.wait()
            log.close()
    results, problems = {}, []
    for lang in langs:
        code, seconds = done[lang]
        html_dir = build_root / lang / "_build" / "html"
        if code != 0 or not (html_dir / "index.html").is_file():
            problems.append(f"[{lang}] " + _build_problems(logs / f"build.{lang}.log"))
        else:
            results[lang] = EditionBuild(lang, html_dir, seconds)
    if problems:
        raise EditionBuildError("the book did not build (warnings are errors):\n  " + "\n  ".join(problems))
    return results


def _build_problems(log_path: Path) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", log_path.read_text("utf-8", errors="replace"))
    lines = [line.strip() for line in text.splitlines()
             if re.search(r"WARNING|ERROR|CRITICAL|Error:|Exception", line)]
    return "\n  ".join(lines[:20]) or "\n  ".join(text.strip().splitlines()[-10:])


def extract_messages(src: Path, out: Path, toc: Path, log: Path) -> Path:
    """Sphinx's gettext builder on the staged book: one ``.pot`` template per page
    under ``out/_build/gettext`` (the input of ``sphinx-intl update``). The English
    configuration is used; notebooks need not be executed (prose only)."""
    cmd = [*jupyter_book_command(), "build", str(src), "--config", str(config_path(src, DEFAULT_LANG)),
           "--toc", str(toc), "--path-output", str(out), "--builder", "custom", "--custom-builder", "gettext"]
    with open(log, "wb") as f:
        proc = subprocess.run(cmd, cwd=src, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    pot_dir = Path(out) / "_build" / "gettext"
    if proc.returncode != 0 or not pot_dir.is_dir():
        raise EditionBuildError("message extraction failed:\n  " + _build_problems(Path(log)))
    return pot_dir


# ------------------------------------------------------------------ publishing


def assemble_editions(site: Path, html_dirs: Mapping[str, Path], default_lang: str = DEFAULT_LANG) -> Path:
    """Move each edition's HTML into ``site/<lang>/`` and write ``site/index.html``,
    a redirect to the default edition (or the first one built). Returns ``site``."""
    site = Path(site)
    site.mkdir(parents=True, exist_ok=True)
    for lang, html_dir in html_dirs.items():
        os.rename(html_dir, site / check_lang(lang))
    first = default_lang if default_lang in html_dirs else next(iter(html_dirs))
    (site / "index.html").write_text(redirect_page(first, list(html_dirs)), "utf-8")
    return site


def redirect_page(first: str, langs: Iterable[str]) -> str:
    """The month's ``index.html``: sends the reader on to ``<first>/index.html``
    (relative), with a plain link to every edition for browsers without redirects."""
    target = html.escape(f"{first}/index.html", quote=True)
    links = " · ".join(f'<a href="{html.escape(lang)}/index.html" hreflang="{html.escape(lang)}" '
                       f'lang="{html.escape(lang)}">{html.escape(LANGUAGE_NAMES.get(lang, lang))}</a>'
                       for lang in langs)
    return f"""<!DOCTYPE html>
<html lang="{html.escape(first)}">
  <head>
    <meta charset="utf-8">
    <meta http-equiv="refresh" content="0; url={target}">
    <link rel="canonical" href="{target}">
    <title>SaaS metrics report</title>
  </head>
  <body>
    <p>{links}</p>
  </body>
</html>
"""


def month_editions(out_dir: Path, month: str) -> list[str]:
    """The languages published for ``month`` (``OUT/<month>/<lang>/index.html``), in :data:`LANGUAGES` order."""
    return [lang for lang in LANGUAGES if (Path(out_dir) / month / lang / "index.html").is_file()]


def months_with_editions(out_dir: Path) -> dict[str, list[str]]:
    """Every published month of ``out_dir`` (``YYYY-MM`` folders with an ``index.html``,
    newest first) -> its languages (:func:`month_editions`; empty for a month built
    before the editions existed). The input of :func:`editions_index_page`."""
    from saas_kit.publish import available_months

    return {month: month_editions(out_dir, month) for month in available_months(Path(out_dir))}


def editions_index_page(months: Mapping[str, list[str]], title: str = "SaaS metrics reports") -> str:
    """``OUT/index.html``: one row per month (newest first, the given order), a link per
    edition (``<month>/<lang>/index.html``); a month built before the editions existed
    (no language folder) links its ``<month>/index.html``. Relative links only."""
    rows = []
    for month, langs in months.items():
        m = html.escape(month)
        if langs:
            links = " · ".join(
                f'<a href="{m}/{lang}/index.html" hreflang="{lang}" lang="{lang}">'
                f"{html.escape(month_label(month, lang))}</a>" for lang in langs)
        else:
            links = f'<a href="{m}/index.html">{html.escape(month_label(month, DEFAULT_LANG))}</a>'
        rows.append(f"      <li>{links} <small>({m})</small></li>")
    items = "\n".join(rows) or "      <li>No report has been built yet. / レポートはまだありません。</li>"
    ja_title = html.escape(message("report.index_title", "ja"))
    return f"""<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{html.escape(title)} / {ja_title}</title>
    <style>
      body {{ font-family: system-ui, "Noto Sans CJK JP", sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; color: #222; }}
      li {{ margin: 0.4rem 0; }}
      small {{ color: #666; }}
    </style>
  </head>
  <body>
    <h1>{html.escape(title)} <span lang="ja">/ {ja_title}</span></h1>
    <p>One report per month, in English and Japanese. Newest first.
       <span lang="ja">{html.escape(message("report.index_intro", "ja"))}</span></p>
    <ul>
{items}
    </ul>
  </body>
</html>
"""


__all__ = ["EditionBuildError", "LANGUAGE_NAMES", "assemble_editions", "build_editions", "edition_config",
           "editions_index_page", "extract_messages", "months_with_editions", "parse_languages",
           "stage_locales", "write_edition_configs"]
