"""The book: staging ``_config.yml``, ``book/`` and MathJax (built per language by :mod:`saas_kit.editions`)."""
from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from saas_kit.calendar import month_label


# ------------------------------------------------------------------------------ book


def book_title(project: Path, month: str) -> str:
    """The report's title: ``_config.yml``'s ``title`` and the report month's label."""
    config = yaml.safe_load((project / "_config.yml").read_text("utf-8")) or {}
    return f"{config.get('title') or 'SaaS metrics report'} — {month_label(month)}"


def stage_book(project: Path, src: Path, month: str) -> None:
    """Copy ``_config.yml`` (title + report month) and ``book/`` into the staging source folder."""
    config = yaml.safe_load((project / "_config.yml").read_text("utf-8")) or {}
    config["title"] = book_title(project, month)
    src.mkdir(parents=True, exist_ok=True)
    (src / "_config.yml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), "utf-8")
    shutil.copytree(project / "book", src / "book",
                    ignore=shutil.ignore_patterns("_build", ".ipynb_checkpoints", "__pycache__"))
    stage_mathjax(src / "_vendor" / "mathjax")


def stage_mathjax(target: Path) -> None:
    """Copy MathJax 3 (``tex-chtml.js`` and its web fonts, about 2 MB) into the book's
    static files, so that the report renders formulas without the internet."""
    import mathjax  # the django-static-mathjax package: MathJax's files, nothing else

    es5 = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(es5 / "tex-chtml.js", target / "tex-chtml.js")
    shutil.copytree(es5 / "output" / "chtml" / "fonts" / "woff-v2", target / "output" / "chtml" / "fonts" / "woff-v2")
