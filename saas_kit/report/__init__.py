"""``saas-kit report``: execute every notebook with papermill, build the Jupyter Book,
publish the month's HTML report all or nothing.

The run, step by step (issue 3, "The monthly run"):

1. Check everything that can be checked cheaply: the data loads (``load_dataset``),
   the report month is valid (default: the latest month in the data), the ``--params``
   file names only parameters the notebooks declare, with the right types, and the
   ``saas-kit`` Jupyter kernel is this environment's Python.
   Then the month analysis (:mod:`saas_kit.analysis`) is computed once, for every
   chapter whose notebook declares the ``analysis`` parameter, with that notebook's
   parameters.
2. Stage: a hidden folder ``OUT/.<month>.tmp-XXXX/`` next to the output (same file
   system) gets a copy of ``_config.yml`` (title + report month) and ``book/``.
3. Execute ``notebooks/[0-9][0-9]_*.ipynb`` with papermill into the staging copy,
   in parallel (one worker process per notebook, at most ``min(jobs, cores)`` at a
   time), one progress line per notebook started and finished. The cell papermill
   injects is tagged ``remove-cell`` so the book hides it. The analysis is saved once
   in the staging folder and its path passed to each notebook as the papermill
   parameter ``analysis``: notebooks only narrate and plot what it holds.
4. ``jupyter-book build STAGING --config _config.<lang>.yml ... -W -n --keep-going``
   once per language (``--lang en,ja``; :mod:`saas_kit.editions`), at the same time:
   warnings are errors. The book never executes anything (``execute_notebooks: off``).
   The notebooks ran once for every language: the analysis file holds one analysis per
   language, and each output is marked with its language (:mod:`saas_kit.book_i18n`).
5. Publish (:mod:`saas_kit.publish`): the HTML, the executed notebooks (under
   ``notebooks/``) and the CSV downloads (``downloads/``, :mod:`saas_kit.export`,
   read from the same analysis, safe against formula injection) replace
   ``OUT/<month>/`` in one rename (several languages: ``OUT/<month>/<lang>/`` each, with
   their PDFs and downloads, and a redirect ``OUT/<month>/index.html``);
   ``OUT/index.html`` lists the months and their editions.

A failing notebook (an exception, a dead kernel, a cell over ``--timeout``) or build,
or a folder that cannot be written (disk full, read-only), raises :class:`ReportError`
(exit code 2 from the CLI) naming the notebook and the cell, or the step; the
executed notebooks are kept in ``OUT/.failed/<month>/``; ``OUT/<month>/`` is left
byte-for-byte as it was; the staging folder is removed, also on Ctrl-C.
"""
from saas_kit.report.base import (KERNEL_NAME, NotebookFailure, ReportError, check_toc, discover_notebooks,
                                  project_root)
from saas_kit.report.book import stage_book
from saas_kit.report.execution import check_kernel, execute_notebooks, locate_failure, tag_injected_cell
from saas_kit.report.parameters import load_params_file, notebook_parameters
from saas_kit.report.run import add_report_arguments, build_report, month_analysis, run_report

__all__ = ["KERNEL_NAME", "NotebookFailure", "ReportError", "add_report_arguments", "build_report",
           "check_kernel", "check_toc", "discover_notebooks", "execute_notebooks", "load_params_file",
           "locate_failure", "month_analysis", "notebook_parameters", "project_root", "run_report", "stage_book",
           "tag_injected_cell"]
