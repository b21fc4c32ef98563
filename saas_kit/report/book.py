"""The book: staging ``_config.yml``, ``book/`` and MathJax, and ``jupyter-book build`` with warnings as errors."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from saas_kit.calendar import month_label
from saas_kit.report.base import ReportError, TOC_FILE


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


def jupyter_book_command() -> Path:
    """The ``jupyter-book`` script of this environment (next to ``sys.executable``)."""
    exe = Path(sys.executable).parent / "jupyter-book"
    if not exe.exists():
        raise ReportError(f"jupyter-book not found next to {sys.executable}; run `make setup`")
    return exe


def build_book(src: Path, build: Path, log_path: Path) -> Path:
    """``jupyter-book build SRC --toc SRC/book/_toc.yml --path-output BUILD -W -n --keep-going``.
    Returns the HTML folder; :class:`ReportError` with the warnings when the build fails."""
    cmd = [str(jupyter_book_command()), "build", str(src), "--toc", str(src / TOC_FILE),
           "--path-output", str(build), "--builder", "html", "-W", "-n", "--keep-going"]
    with open(log_path, "wb") as log:
        proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=src)
    html_dir = build / "_build" / "html"
    if proc.returncode != 0 or not (html_dir / "index.html").is_file():
        text = re.sub(r"\x1b\[[0-9;]*m", "", log_path.read_text("utf-8", errors="replace"))
        problems = [line.strip() for line in text.splitlines()
                    if re.search(r"WARNING|ERROR|CRITICAL|Error:|Exception", line)]
        shown = "\n  ".join(problems[:20]) or "\n  ".join(text.strip().splitlines()[-10:])
        raise ReportError(f"the book did not build (warnings are errors):\n  {shown}")
    return html_dir
