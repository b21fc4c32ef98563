"""``saas-kit report`` from start to end (:func:`build_report`) and its command-line options."""
from __future__ import annotations

import argparse
import os
import shutil
import time
from pathlib import Path
from typing import Any, Callable

from saas_kit.calendar import check_month_name
from saas_kit.editions import (EditionBuildError, assemble_editions, build_editions, edition_title,
                               editions_index_page, months_with_editions, stage_locales, write_edition_configs)
from saas_kit.errors import ParameterError
from saas_kit.i18n import DEFAULT_LANG, parse_languages
from saas_kit.export import write_downloads
from saas_kit.pages.nrr import pdf_link_html
from saas_kit.pdf import pdf_unavailable
from saas_kit.publish import failed_dir, make_staging_dir, publish_month
from saas_kit.report.base import (ANALYSIS_FILE, ANALYSIS_PARAMETER, KERNEL_NAME, LANG_PARAMETER, LANGUAGE_KEY,
                                  NOTEBOOK_GLOB, TOC_FILE, NotebookFailure, REQUIRED_PARAMETERS,
                                  RESERVED_PARAMETERS, ReportError, check_toc, discover_notebooks, project_root)
from saas_kit.report.book import stage_book
from saas_kit.report.execution import check_kernel, execute_notebooks, tag_injected_cell
from saas_kit.report.parameters import load_params_file, notebook_parameters


# ----------------------------------------------------------------------------- run


def _available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def build_report(
    data_dir: str | Path | None = None,
    month: str | None = None,
    params_file: str | Path | None = None,
    out_dir: str | Path = "reports",
    jobs: int | None = None,
    timeout: int = 600,
    progress: Callable[[str], None] = print,
    project_dir: str | Path | None = None,
    mapping: dict[str, str] | list[str] | None = None,
    currency: str | None = None,
    as_of: str | None = None,
    pdf: bool = True,
    languages: str | list[str] | None = None,
    engine: str = "embedded",
    spark_master: str | None = None,
) -> Path:
    """Build the monthly report and publish it as ``out_dir/<YYYY-MM>/``; returns the
    path of its ``index.html``.

    ``data_dir``: the data folder (default: the project's ``data/sample``). ``month``:
    ``YYYY-MM`` (default: the latest month in the data). ``params_file``: YAML of extra
    notebook parameters (validated by :func:`load_params_file`). ``jobs``: notebooks run
    at the same time (default and cap: the available cores). ``timeout``: seconds per
    cell. ``project_dir``: the folder with ``_config.yml``, ``book/``, ``notebooks/``
    (default: the project this package belongs to). ``mapping`` (``OLD=NEW`` pairs or a
    dict), ``currency`` and ``as_of`` are passed to the loader as in the other commands
    (``currency`` overrides a ``currency`` in the params file). ``pdf``: also print the
    report to ``report-<YYYY-MM>.pdf`` in the month folder (skipped, with a note, when
    no browser is installed). ``languages``: the editions (``"en,ja"``, ``["ja"]``;
    default: the params file's ``language``, else English), built from one execution
    of the notebooks (issue 13): with one, the month folder is that edition; with
    several, ``OUT/<month>/<lang>/`` each and ``OUT/<month>/index.html`` redirecting
    to the first. ``engine``: ``spark`` computes the month's facts on Apache Spark
    (:mod:`saas_kit.spark`; ``data_dir`` may then be any location Spark reads, or
    ``spark-table:catalog.schema``; ``spark_master`` as in ``--spark-master``); the pages
    and the book are the same.

    Paths: the month (validated ``YYYY-MM``) is the only part of an output path that
    comes from the user besides ``out_dir`` itself; notebook names come from the
    project's ``notebooks/`` folder; a params file cannot set ``data_dir`` or ``month``.

    Raises :class:`ReportError` (a notebook or the build failed, or the output folder
    cannot be written; nothing published), :class:`ParameterError`,
    :class:`saas_kit.errors.DataError`.
    """
    started = time.monotonic()
    project = (Path(project_dir) if project_dir is not None else project_root()).absolute()
    if engine not in ("embedded", "spark"):
        raise ParameterError(f"--engine must be embedded or spark, got {engine!r}")
    remote = engine == "spark" and data_dir is not None and ("://" in str(data_dir)
                                                            or str(data_dir).startswith("spark-table:"))
    data = (Path(data_dir) if data_dir is not None else project / "data" / "sample").absolute() if not remote \
        else str(data_dir)
    out = Path(out_dir).absolute()  # subprocesses run in other folders: never pass on a relative path
    if timeout is None or timeout <= 0:
        raise ParameterError(f"--timeout must be a positive number of seconds, got {timeout!r}")
    if jobs is not None and jobs < 1:
        raise ParameterError(f"--jobs must be at least 1, got {jobs!r}")

    notebooks = discover_notebooks(project / "notebooks")
    if not notebooks:
        raise ReportError(f"no notebooks found: {project / 'notebooks' / NOTEBOOK_GLOB}")
    check_toc(project, notebooks)
    declared = {nb.name: notebook_parameters(nb) for nb in notebooks}
    for name, decl in declared.items():
        if missing := [p for p in REQUIRED_PARAMETERS if p not in decl]:
            raise ReportError(f"notebook {name}: its 'parameters' cell does not declare {', '.join(missing)}")
    extra = load_params_file(params_file, declared) if params_file is not None else {}
    langs = parse_languages(languages) if languages else extra.get(LANGUAGE_KEY) or [DEFAULT_LANG]
    extra.pop(LANGUAGE_KEY, None)
    from saas_kit.loading import load_dataset, parse_mapping

    currency = currency or extra.get("currency") or ""
    if engine == "spark":
        from saas_kit.spark.commands import load_for_report

        dataset = load_for_report(str(data), mapping, currency.strip().upper() or None, as_of, spark_master)
    else:
        dataset = load_dataset(data, parse_mapping(mapping), currency.strip().upper() or None, as_of=as_of)
    month = check_month_name(str(dataset.check_month(month or None)))
    notebook_params = {nb.name: {k: v for k, v in {**declared[nb.name], **extra}.items()
                                 if k in declared[nb.name] and k not in RESERVED_PARAMETERS}
                       for nb in notebooks if ANALYSIS_PARAMETER in declared[nb.name]}
    check_kernel(KERNEL_NAME)
    workers = max(1, min(jobs or _available_cores(), _available_cores(), len(notebooks)))

    try:
        stage = make_staging_dir(out, month)
    except OSError as exc:
        raise ReportError(f"cannot write to the output folder {out}: {_os_reason(exc)}") from None
    step = "preparing the staging folder"
    try:
        src, build, logs = stage / "src", stage / "build", stage / "logs"
        logs.mkdir()
        analyses = month_analysis(dataset, month, notebook_params, progress, langs)
        no_pdf = "--no-pdf was given" if not pdf else pdf_unavailable()
        for lang, analysis in analyses.by_lang.items():
            if no_pdf and "01_nrr" in analysis.pages:  # the overview says why instead of linking a missing file
                analysis.pages["01_nrr"].tables["pdf_link"] = pdf_link_html(month, lang, no_pdf)
        analysis_path = analyses.save(logs / ANALYSIS_FILE)  # computed once here, read by every notebook
        stage_book(project, src, month)
        locales = stage_locales(project, src)
        write_edition_configs(src, langs, locales, month, base_title=project_title(project))
        step = "executing the notebooks"
        (src / "notebooks").mkdir()
        data_abs = data if isinstance(data, str) else str(data.resolve())
        runs = []
        for nb in notebooks:
            params = {"data_dir": data_abs, "month": month,
                      **{k: v for k, v in extra.items() if k in declared[nb.name]}}
            if ANALYSIS_PARAMETER in declared[nb.name]:
                params[ANALYSIS_PARAMETER] = str(analysis_path)
            if LANG_PARAMETER in declared[nb.name]:
                params[LANG_PARAMETER] = ",".join(langs)
            runs.append((nb, src / "notebooks" / nb.name, params))
        progress(f"report {month}: executing {len(notebooks)} notebooks ({workers} at a time)")
        failures = execute_notebooks(runs, workers, timeout, logs, progress)
        if failures:
            keep = _keep_for_debugging(out, month, [src / "notebooks" / f.notebook for f in failures])
            failures = [NotebookFailure(f.notebook, f.cell_index, f.first_line, f.error,
                                        keep.get(f.notebook)) for f in failures]
            raise ReportError(_failure_message(failures, out, month))
        for _, executed, _ in runs:
            tag_injected_cell(executed)

        html_dirs = build_book_editions(src, build, logs, langs, out, month, progress)
        step = "assembling the report"
        for lang, html_dir in html_dirs.items():
            for _, executed, _ in runs:  # the executed notebooks, for auditing
                (html_dir / "notebooks").mkdir(exist_ok=True)
                shutil.copy2(executed, html_dir / "notebooks" / executed.name)
            write_downloads(analyses.by_lang[lang], html_dir / "downloads")  # CSV tables, safe for Excel
        if pdf:
            step = "printing the PDF"
            write_edition_pdfs(html_dirs, month, project_title(project), progress)
        site = stage / "site"
        if len(langs) == 1:  # one language: the edition is the month folder, as before editions existed
            os.rename(html_dirs[langs[0]], site)
        else:
            assemble_editions(site, html_dirs, default_lang=langs[0])
        step = "publishing"
        index_page = reports_index_page(out, month, langs)
        final = publish_month(site, out, month, index_page=index_page)
        shutil.rmtree(failed_dir(out, month), ignore_errors=True)
        _remove_empty(out / ".failed")
    except OSError as exc:  # disk full, read-only folder, ...: nothing half-published
        raise ReportError(f"the report could not be written while {step}: {_os_reason(exc)}\n"
                          + _unchanged_note(out, month)) from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    progress(f"report {month} done in {time.monotonic() - started:.1f} s")
    return final / "index.html"


def build_book_editions(src: Path, build: Path, logs: Path, langs: list[str], out: Path, month: str,
                        progress: Callable[[str], None] = print) -> dict[str, Path]:
    """The staged book built once per language, at the same time (:func:`saas_kit.editions.build_editions`,
    warnings are errors); language -> its HTML folder. A failed build is a :class:`ReportError` with the
    warnings, its logs kept in ``OUT/.failed/<month>/`` (``build.log``; ``build.<lang>.log`` with several
    languages)."""
    progress(f"  building the book in {', '.join(langs)} (jupyter-book, warnings are errors)")
    t0 = time.monotonic()
    try:
        builds = build_editions(src, build, langs, src / TOC_FILE, logs, parallel=True)
    except EditionBuildError as exc:
        logs_of = {lang: logs / f"build.{lang}.log" for lang in langs}
        if len(langs) == 1 and logs_of[langs[0]].is_file():  # the one log keeps its usual name
            os.replace(logs_of[langs[0]], logs / "build.log")
            logs_of = {langs[0]: logs / "build.log"}
        keep = _keep_for_debugging(out, month, list(logs_of.values()))
        log_note = "".join(f"\n  full log: {path}" for path in keep.values())
        raise ReportError(f"{exc}{log_note}\n" + _unchanged_note(out, month)) from None
    progress(f"  built the book in {time.monotonic() - t0:.1f} s")
    return {lang: b.html_dir for lang, b in builds.items()}


def project_title(project: Path) -> str:
    """The report's title in ``_config.yml`` (without a month)."""
    import yaml

    config = yaml.safe_load((project / "_config.yml").read_text("utf-8")) or {}
    return str(config.get("title") or "SaaS metrics report")


def reports_index_page(out: Path, month: str, langs: list[str]) -> str:
    """``OUT/index.html`` once ``month`` is published in ``langs``: every month, a link per edition."""
    months = months_with_editions(out)
    months[month] = list(langs) if len(langs) > 1 else []
    return editions_index_page(dict(sorted(months.items(), reverse=True)))


def write_edition_pdfs(html_dirs: dict[str, Path], month: str, base_title: str,
                       progress: Callable[[str], None] = print) -> dict[str, Path | None]:
    """The board PDF of every edition (:func:`write_month_pdf`, title in its language),
    printed at the same time, each into its edition's folder."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(html_dirs)) as pool:
        futures = {lang: pool.submit(write_month_pdf, html_dir, month, edition_title(base_title, month, lang),
                                     progress)
                   for lang, html_dir in html_dirs.items()}
        return {lang: future.result() for lang, future in futures.items()}


def write_month_pdf(site: Path, month: str, title: str, progress: Callable[[str], None] = print) -> Path | None:
    """Print the assembled site to ``site/report-<month>.pdf`` for the board (A4, the
    overview on page one, see :mod:`saas_kit.pdf`). Without a usable browser the HTML
    report is still published: the reason is printed and None returned. A browser that
    starts but fails to print is an error like any other (nothing is published)."""
    from saas_kit.pdf import pdf_unavailable, write_report_pdf

    reason = pdf_unavailable()
    if reason:
        progress(f"  no PDF this time: {reason}; the HTML report is published without it")
        return None
    t0 = time.monotonic()
    target = site / f"report-{month}.pdf"
    try:
        write_report_pdf(site, target, title)
    except Exception as exc:  # Playwright's errors are not OSErrors: name them in the report's words
        raise ReportError(f"the PDF could not be printed: {type(exc).__name__}: {exc}") from None
    progress(f"  printed {target.name} in {time.monotonic() - t0:.1f} s")
    return target


def month_analysis(dataset, month: str, notebook_params: dict[str, dict[str, Any]],
                   progress: Callable[[str], None] = print, langs: list[str] | None = None):
    """The run's :class:`saas_kit.analysis.EditionAnalyses`: for every language of
    ``langs`` (default English) a :class:`saas_kit.analysis.MonthAnalysis` with the
    page of every chapter whose notebook reads the analysis (declares the ``analysis``
    parameter), built with that notebook's parameters (its declared defaults and the
    ``--params`` values); ``style`` and ``currency`` are shared by all notebooks (the
    Japanese edition always in style ``ja``). ``notebook_params`` maps those notebooks'
    names to their parameters."""
    from saas_kit.analysis import COMMON_PARAMETERS, build_editions_analysis
    from saas_kit.loading import Dataset
    from saas_kit.pages import CHAPTERS

    t0 = time.monotonic()
    shared = {k: v for params in notebook_params.values() for k, v in params.items() if k in ("style", "currency")}
    chapters = {Path(name).stem: {k: v for k, v in params.items() if k not in COMMON_PARAMETERS}
                for name, params in notebook_params.items() if Path(name).stem in CHAPTERS}
    facts = None
    if not isinstance(dataset, Dataset):  # the Spark engine's data: its facts, worded as the embedded ones
        from saas_kit.spark.commands import report_facts

        facts = report_facts(dataset, month, chapters)
    analyses = build_editions_analysis(None if facts is not None else dataset, month, shared.get("style", "en"),
                                       list(langs or [DEFAULT_LANG]), chapters, shared.get("currency") or "",
                                       facts=facts)
    progress(f"  computed the month analysis in {time.monotonic() - t0:.1f} s")
    return analyses


def _keep_for_debugging(out: Path, month: str, files: list[Path]) -> dict[str, Path]:
    """Copy files into a fresh ``OUT/.failed/<month>/``; name -> kept path. Best effort:
    a copy that fails (disk full) is skipped, never hiding the error being reported."""
    dest = failed_dir(out, month)
    kept = {}
    try:
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        for f in files:
            if f.exists():
                shutil.copy2(f, dest / f.name)
                kept[f.name] = dest / f.name
    except OSError:
        pass
    return kept


def _os_reason(exc: OSError) -> str:
    """``[Errno 28] No space left on device: 'path'`` with a hint for the usual causes."""
    import errno

    hints = {errno.ENOSPC: " (the disk is full)", errno.EDQUOT: " (disk quota exceeded)",
             errno.EACCES: " (no permission to write there)", errno.EPERM: " (no permission to write there)",
             errno.EROFS: " (read-only file system)",
             errno.ENOTDIR: " (a part of the path is a file, not a folder)"}
    return f"{exc}{hints.get(exc.errno, '')}"


def _unchanged_note(out: Path, month: str) -> str:
    previous = out / month
    return (f"  the previous report {previous} is unchanged" if previous.exists()
            else f"  nothing was published to {previous}")


def _failure_message(failures: list[NotebookFailure], out: Path, month: str) -> str:
    lines = [f.describe() for f in failures]
    return "\n".join(lines) + "\n" + _unchanged_note(out, month)


def _remove_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass


# ------------------------------------------------------------------------------- CLI


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``saas-kit report``."""
    parser.add_argument("--data", metavar="DIR", default=None,
                        help="data folder (default: the bundled sample, data/sample)")
    parser.add_argument("--month", metavar="YYYY-MM", default=None,
                        help="report month (default: the latest month in the data)")
    parser.add_argument("--params", metavar="FILE.yml", default=None,
                        help="YAML file of extra notebook parameters (e.g. style: ja)")
    parser.add_argument("--out", metavar="DIR", default="reports",
                        help="output folder; the report goes to DIR/YYYY-MM/ (default: reports)")
    parser.add_argument("--jobs", metavar="N", type=int, default=None,
                        help="notebooks executed at the same time (default: the available cores)")
    parser.add_argument("--timeout", metavar="SECONDS", type=int, default=600,
                        help="time limit of one notebook cell (default: 600)")
    parser.add_argument("--project", metavar="DIR", default=None,
                        help="folder holding _config.yml, book/ and notebooks/ (default: this project)")
    parser.add_argument("--map", action="append", default=[], metavar="OLD=NEW",
                        help="rename an export's column (repeatable), e.g. --map monthly_amount=amount")
    parser.add_argument("--currency", default=None, metavar="CODE",
                        help="the data's currency when it has no currency column and no dataset.yml (e.g. USD)")
    parser.add_argument("--as-of", default=None, metavar="YYYY-MM-DD", dest="as_of",
                        help="when the export was taken: only months complete before it are reported "
                             "(default: the folder's dataset.yml, else today)")
    parser.add_argument("--no-pdf", action="store_false", dest="pdf",
                        help="do not print the report-YYYY-MM.pdf (the HTML report only)")
    from saas_kit.spark.session import add_engine_arguments  # no PySpark import

    add_engine_arguments(parser)
    parser.add_argument("--lang", metavar="LANGS", default=None, dest="languages",
                        help="the report's language(s): en, ja or en,ja (both editions from one execution, "
                             "published as YYYY-MM/en/ and YYYY-MM/ja/); default: the params file's "
                             "'language', else en")


def run_report(args: argparse.Namespace) -> int:
    """``saas-kit report``: build the report and print the path of its ``index.html``."""
    index = build_report(data_dir=args.data, month=args.month, params_file=args.params,
                         out_dir=args.out, jobs=args.jobs, timeout=args.timeout,
                         project_dir=args.project, mapping=args.map, currency=args.currency,
                         as_of=args.as_of, pdf=args.pdf, languages=args.languages,
                         engine=args.engine, spark_master=args.spark_master)
    print(index)
    return 0
