"""The translator's commands (``make translations``, ``make translations-check``; see
``locales/README.md``).

``python -m saas_kit.translations update [--lang ja]``
    Stage the book as the report does (``_config.yml``, ``book/``, the notebooks, not
    executed: only their prose is read), extract every translatable paragraph with
    Sphinx's gettext builder (one ``.pot`` per page), and merge them into
    ``locales/<lang>/LC_MESSAGES/<page>.po`` with ``sphinx-intl update``: new
    paragraphs arrive empty, changed ones are marked fuzzy, translations of unchanged
    paragraphs are kept.

``python -m saas_kit.translations check [--lang ja]``
    Extract again and report, without changing a file: paragraphs with no
    translation, fuzzy entries, translations that lose a glued value, glossary
    variants, glossary variants in the ``ja`` message table, and words of the pages'
    formulas (``\\text{...}``) that ``locales/<lang>/math.yml`` does not translate.
    Exit status 1 when anything is found.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from saas_kit.editions import extract_messages, write_edition_configs
from saas_kit.i18n import DEFAULT_LANG, LANGUAGES
from saas_kit.i18n_check import (
    ROLE_PATTERN,
    catalog_files,
    check_catalogs,
    math_term_issues,
    message_table_issues,
    missing_translations,
    read_catalog,
)

TOC = Path("book") / "_toc.yml"


def stage_sources(project: Path, src: Path) -> Path:
    """Copy what the report's book is made of into ``src``: ``_config.yml``, ``book/``
    and ``notebooks/*.ipynb`` (as committed). Returns the staged table of contents."""
    src.mkdir(parents=True, exist_ok=True)
    shutil.copy2(project / "_config.yml", src / "_config.yml")
    ignore = shutil.ignore_patterns("_build", ".ipynb_checkpoints", "__pycache__")
    shutil.copytree(project / "book", src / "book", ignore=ignore)
    shutil.copytree(project / "notebooks", src / "notebooks", ignore=ignore)
    return src / TOC


def extract_templates(project: Path, work: Path, toc: Path | None = None) -> Path:
    """Stage ``project`` in ``work`` and run the gettext builder; returns the folder of
    ``.pot`` templates. ``toc``: the table of contents relative to the project
    (default ``book/_toc.yml``; the fixture book keeps its own at the top)."""
    src = work / "src"
    if toc is None:
        staged_toc = stage_sources(project, src)
    else:
        shutil.copytree(project, src, ignore=shutil.ignore_patterns("_build", "locales", ".ipynb_checkpoints"))
        staged_toc = src / toc
    write_edition_configs(src, [DEFAULT_LANG], locale_dir=src / "locales")
    return extract_messages(src, work / "gettext", staged_toc, work / "gettext.log")


def sphinx_intl_command() -> Path:
    exe = Path(sys.executable).parent / "sphinx-intl"
    if not exe.exists():
        raise SystemExit(f"sphinx-intl not found next to {sys.executable}; run `make setup` (requirements.txt pins it)")
    return exe


def nothing_to_translate(msgid: str) -> bool:
    """A message with no words once its roles are taken out: a table cell holding only
    ``{glue:text}`kpi_mrr:s```, a dash, a number."""
    return not any(c.isalpha() for c in ROLE_PATTERN.sub("", msgid))


def prefill_untranslatable(po_path: Path) -> int:
    """Give every empty message with :func:`nothing_to_translate` its own text as
    translation, so translators see only real text. Returns how many were filled."""
    from babel.messages.pofile import write_po

    catalog = read_catalog(po_path)
    filled = 0
    for msg in catalog:
        if msg.id and isinstance(msg.id, str) and not msg.string and nothing_to_translate(msg.id):
            msg.string = msg.id
            filled += 1
    if filled:
        with open(po_path, "wb") as f:
            write_po(f, catalog, width=0)
    return filled


def update_catalogs(project: Path, locale_dir: Path, lang: str = "ja", toc: Path | None = None) -> list[str]:
    """Extract the book's messages and merge them into ``locale_dir/<lang>/LC_MESSAGES``
    (``sphinx-intl update``); messages with nothing to translate get their own text
    (:func:`prefill_untranslatable`). Returns sphinx-intl's report lines."""
    with tempfile.TemporaryDirectory(prefix="saas-kit-gettext-") as tmp:
        pot_dir = extract_templates(project, Path(tmp), toc)
        proc = subprocess.run([str(sphinx_intl_command()), "update", "-p", str(pot_dir), "-l", lang,
                               "-d", str(locale_dir), "-w", "0", "--no-obsolete"],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"sphinx-intl update failed:\n{proc.stdout}{proc.stderr}")
    lines = proc.stdout.strip().splitlines()
    for po in catalog_files(locale_dir, lang):
        if filled := prefill_untranslatable(po):
            lines.append(f"Prefilled {filled} message(s) with nothing to translate: {po}")
    return lines


def check_translations(project: Path, locale_dir: Path, lang: str = "ja", toc: Path | None = None) -> list[str]:
    """Every problem of the ``lang`` translation, in words (empty = complete)."""
    with tempfile.TemporaryDirectory(prefix="saas-kit-gettext-") as tmp:
        pot_dir = extract_templates(project, Path(tmp), toc)
        issues = missing_translations(pot_dir, locale_dir, lang)
    issues += check_catalogs(locale_dir, lang)
    issues += message_table_issues(lang)
    issues += math_term_issues(project, locale_dir, lang)
    return [str(i) for i in issues]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m saas_kit.translations", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("update", "check"))
    parser.add_argument("--lang", default="ja", choices=[lang for lang in LANGUAGES if lang != DEFAULT_LANG])
    parser.add_argument("--project", default=None, help="project folder (default: this package's parent)")
    parser.add_argument("--locales", default=None, help="catalog folder (default: PROJECT/locales)")
    args = parser.parse_args(argv)
    project = Path(args.project).absolute() if args.project else Path(__file__).resolve().parent.parent
    locale_dir = Path(args.locales).absolute() if args.locales else project / "locales"
    if args.command == "update":
        for line in update_catalogs(project, locale_dir, args.lang):
            print(line)
        print(f"catalogs: {locale_dir / args.lang / 'LC_MESSAGES'}; translate the empty and fuzzy entries, "
              f"then run `make translations-check`")
        return 0
    problems = check_translations(project, locale_dir, args.lang)
    for line in problems:
        print(line)
    print(f"{len(problems)} problem(s) in the {args.lang} translation" if problems
          else f"the {args.lang} translation is complete")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
