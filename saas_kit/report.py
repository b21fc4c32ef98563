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
4. ``jupyter-book build STAGING --path-output ... -W -n --keep-going``: warnings are
   errors. The book never executes anything (``execute_notebooks: off``).
5. Publish (:mod:`saas_kit.publish`): the HTML, the executed notebooks (under
   ``notebooks/``) and the CSV downloads (``downloads/``, :mod:`saas_kit.export`,
   read from the same analysis, safe against formula injection) replace
   ``OUT/<month>/`` in one rename; ``OUT/index.html`` lists the months.

A failing notebook (an exception, a dead kernel, a cell over ``--timeout``) or build,
or a folder that cannot be written (disk full, read-only), raises :class:`ReportError`
(exit code 2 from the CLI) naming the notebook and the cell, or the step; the
executed notebooks are kept in ``OUT/.failed/<month>/``; ``OUT/<month>/`` is left
byte-for-byte as it was; the staging folder is removed, also on Ctrl-C.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

from saas_kit.errors import ParameterError, SaasKitError
from saas_kit.export import write_downloads
from saas_kit.calendar import check_month_name, month_label
from saas_kit.publish import failed_dir, make_staging_dir, publish_month

KERNEL_NAME = "saas-kit"
#: The month analysis of a run (saas_kit.analysis), written once into its private staging
#: folder; its path is every notebook's ``analysis`` parameter.
ANALYSIS_FILE = "analysis.pickle"
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
TOC_FILE = Path("book") / "_toc.yml"
# Parameters the command sets itself (from --data / --month, and the analysis file); a params file may not.
RESERVED_PARAMETERS = ("data_dir", "month", "analysis")
REQUIRED_PARAMETERS = ("data_dir", "month")
#: The parameter through which a notebook receives the run's month analysis (its file's path).
ANALYSIS_PARAMETER = "analysis"
ALLOWED_VALUES: dict[str, tuple[str, ...]] = {"style": ("en", "ja")}
INJECTED_TAG = "injected-parameters"
ERROR_MARKER_TAG = "papermill-error-cell-tag"


class ReportError(SaasKitError):
    """A notebook failed, the book did not build, or the environment cannot run the report."""


@dataclass(frozen=True)
class NotebookFailure:
    """Where a notebook stopped: cell index as in the source notebook (0-based), its first line."""

    notebook: str
    cell_index: int | None
    first_line: str
    error: str
    kept_at: Path | None = None

    def describe(self) -> str:
        where = f" at cell index {self.cell_index} (`{self.first_line}`)" if self.cell_index is not None else ""
        text = f"notebook {self.notebook} failed{where}: {self.error}"
        if self.kept_at is not None:
            text += f"\n  executed notebook kept for debugging: {self.kept_at}"
        return text


@dataclass
class _Run:
    """Bookkeeping of the worker processes, so that Ctrl-C can stop them."""

    cancelled: threading.Event = field(default_factory=threading.Event)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


# --------------------------------------------------------------------------- project


def project_root() -> Path:
    """The project folder holding ``_config.yml``, ``book/`` and ``notebooks/`` (this package's parent)."""
    return Path(__file__).resolve().parent.parent


def discover_notebooks(notebooks_dir: Path) -> list[Path]:
    """``notebooks/[0-9][0-9]_*.ipynb``, sorted by name (the number orders them)."""
    return sorted(p for p in notebooks_dir.glob(NOTEBOOK_GLOB) if p.is_file())


def _toc_files(toc: Any) -> list[str]:
    """Every ``file:`` entry of a jb-book table of contents, in order."""
    found: list[str] = []
    if isinstance(toc, dict):
        for key, value in toc.items():
            if key in ("file", "root") and isinstance(value, str):
                found.append(value)
            else:
                found += _toc_files(value)
    elif isinstance(toc, list):
        for item in toc:
            found += _toc_files(item)
    return found


def check_toc(project: Path, notebooks: list[Path]) -> None:
    """Every discovered notebook is a chapter of ``book/_toc.yml`` and every notebook
    chapter exists: a notebook missing from the toc would silently vanish from the book."""
    toc_path = project / TOC_FILE
    if not toc_path.is_file():
        raise ReportError(f"table of contents not found: {toc_path}")
    entries = {e.removesuffix(".ipynb") for e in _toc_files(yaml.safe_load(toc_path.read_text("utf-8")))}
    toc_notebooks = {e for e in entries if e.startswith("notebooks/")}
    found = {f"notebooks/{p.stem}" for p in notebooks}
    if missing := sorted(found - toc_notebooks):
        raise ReportError(f"{toc_path}: notebook(s) not in the table of contents: {', '.join(missing)}")
    if absent := sorted(toc_notebooks - found):
        raise ReportError(f"{toc_path}: lists notebook(s) that do not exist: {', '.join(absent)}")


# ------------------------------------------------------------------------ parameters


def _read_notebook(path: Path) -> dict[str, Any]:
    """A notebook as plain JSON (no nbformat import in the main process: importing it
    costs ~2.5 s here, through jsonschema's optional format checkers)."""
    try:
        return json.loads(Path(path).read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ReportError(f"cannot read notebook {path}: {exc}") from None


def _write_notebook(nb: dict[str, Any], path: Path) -> None:
    """Write a notebook the way nbformat does (sorted keys, one-space indent)."""
    Path(path).write_text(json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n", "utf-8")


def _source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _tags(cell: dict[str, Any]) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def notebook_parameters(path: Path) -> dict[str, Any]:
    """The parameters a notebook declares in its cell tagged ``parameters``: name ->
    default (the Python literal, or the ``_UNKNOWN`` marker when the default is an
    expression). The same cell papermill reads; {} when there is none."""
    nb = _read_notebook(path)
    cell = next((c for c in nb.get("cells", [])
                 if c.get("cell_type") == "code" and "parameters" in _tags(c)), None)
    if cell is None:
        return {}
    try:
        tree = ast.parse(_source(cell))
    except SyntaxError as exc:
        raise ReportError(f"notebook {path.name}: its 'parameters' cell is not valid Python: {exc}") from None
    out: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                try:
                    out[target.id] = ast.literal_eval(value)
                except (ValueError, SyntaxError, TypeError):
                    out[target.id] = _UNKNOWN
    return out


class _Unknown:
    def __repr__(self) -> str:
        return "<expression>"


_UNKNOWN = _Unknown()


def _type_ok(value: Any, default: Any) -> bool:
    """Is ``value`` (from YAML) acceptable where the notebook's default is ``default``?
    bool only for bool; int (not bool) for int; int or float for float; str for str;
    list for list/tuple; dict for dict; anything when the default is None or an expression."""
    if default is None or default is _UNKNOWN:
        return True
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, (list, tuple)):
        return isinstance(value, list)
    if isinstance(default, dict):
        return isinstance(value, dict)
    return isinstance(value, type(default))


def load_params_file(path: str | Path, declared: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Read and validate a ``--params`` YAML file: a mapping of notebook parameters.

    ``declared`` maps notebook name -> its parameters and defaults (see
    :func:`notebook_parameters`). A key no notebook declares, a key the command sets
    itself (``data_dir``, ``month``: use ``--data`` / ``--month``), a value whose type
    differs from the notebook's default, or a ``style`` other than ``en``/``ja`` is a
    :class:`ParameterError` naming the key.
    """
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParameterError(f"--params: file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise ParameterError(f"--params {path}: not valid YAML: {exc}") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ParameterError(f"--params {path}: expected a mapping of parameter: value, got {type(raw).__name__}")
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if not isinstance(key, str):
            raise ParameterError(f"--params {path}: parameter names must be text, got {key!r}")
        if key in RESERVED_PARAMETERS:
            if key == "analysis":
                raise ParameterError(f"--params {path}: 'analysis' is set by the command (the run's month analysis)")
            flag = "--data" if key == "data_dir" else "--month"
            raise ParameterError(f"--params {path}: '{key}' is set by the command; use {flag} instead")
        owners = {nb: decl[key] for nb, decl in declared.items() if key in decl}
        if not owners:
            known = sorted({k for decl in declared.values() for k in decl} - set(RESERVED_PARAMETERS))
            raise ParameterError(f"--params {path}: unknown parameter '{key}' (the notebooks declare: {', '.join(known)})")
        for nb, default in owners.items():
            if not _type_ok(value, default):
                raise ParameterError(
                    f"--params {path}: parameter '{key}' must be {type(default).__name__} "
                    f"(default {default!r} in {nb}), got {type(value).__name__} {value!r}"
                )
        if key in ALLOWED_VALUES and value not in ALLOWED_VALUES[key]:
            raise ParameterError(f"--params {path}: parameter '{key}' must be one of {ALLOWED_VALUES[key]}, got {value!r}")
        params[key] = value
    return params


# ---------------------------------------------------------------------------- kernel


def check_kernel(kernel_name: str = KERNEL_NAME) -> Path:
    """The kernelspec ``kernel_name`` must exist and start this environment's Python
    (the interpreter running this command): a user's other kernels, or a ``saas-kit``
    kernel of another checkout, must never run the report. Returns the kernelspec folder."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        raise ReportError(
            f"Jupyter kernel '{kernel_name}' not found; install it with `make setup` "
            f"(runs: {sys.executable} -m ipykernel install --sys-prefix --name {kernel_name})"
        ) from None
    exe = spec.argv[0] if spec.argv else ""
    exe_path = Path(shutil.which(exe) or exe) if exe and not os.path.isabs(exe) else Path(exe)
    here = Path(sys.executable)
    same_env = exe_path.is_absolute() and (
        exe_path.absolute() == here.absolute()
        or exe_path.parent.resolve() == here.parent.resolve()  # python vs python3.11 in the same bin/
    )
    if not same_env:
        raise ReportError(
            f"Jupyter kernel '{kernel_name}' ({spec.resource_dir}) runs {exe!r}, not this environment's "
            f"Python {sys.executable}; reinstall it with `{sys.executable} -m ipykernel install "
            f"--sys-prefix --name {kernel_name}` and remove the other one (`jupyter kernelspec list`)"
        )
    return Path(spec.resource_dir)


# ------------------------------------------------------------------------- execution


def _worker_main(argv: list[str] | None = None) -> None:
    """Entry point of one worker process: execute one notebook as described by a JSON
    spec file and write a JSON result file. Run as
    ``python -c "from saas_kit.report import _worker_main; _worker_main()" SPEC RESULT``."""
    spec_path, result_path = (argv if argv is not None else sys.argv[1:])[:2]
    spec = json.loads(Path(spec_path).read_text("utf-8"))

    def _terminate(signum, frame):  # so that papermill shuts the kernel down on the way out
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    # jsonschema imports this optional IRI checker when present, and it builds a parser
    # at import (~2.5 s per process here); nbformat never validates IRIs. Blocking the
    # import in this throw-away worker process only makes jsonschema skip that format.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    import papermill
    from papermill.exceptions import PapermillExecutionError

    result: dict[str, Any] = {"ok": True}
    try:
        papermill.execute_notebook(
            spec["input"], spec["output"],
            parameters=spec["parameters"],
            kernel_name=spec["kernel_name"],
            language="python",
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=True,
            execution_timeout=spec["timeout"],
            cwd=spec["cwd"],
        )
    except PapermillExecutionError as exc:
        result = {"ok": False, "error": f"{exc.ename}: {exc.evalue}", "exec_count": exc.exec_count}
    except KeyboardInterrupt:
        result = {"ok": False, "error": "interrupted"}
    except Exception as exc:  # kernel died, cell timeout, bad notebook: reported, not raised
        result = {"ok": False, "error": _describe_exception(exc, spec["timeout"])}
    Path(result_path).write_text(json.dumps(result), "utf-8")


def _describe_exception(exc: BaseException, timeout: int) -> str:
    """A worker's exception in words: a dead kernel and a cell time-out are named as such."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    detail = f"{type(exc).__name__}: {exc}".strip()
    if isinstance(exc, DeadKernelError):
        return ("the kernel died while running this cell (it crashed, ran out of memory or was killed) "
                f"[{detail}]")
    if isinstance(exc, (CellTimeoutError, TimeoutError)):
        return (f"timed out: the cell was still running after {timeout} s (the --timeout limit per cell) "
                f"[{detail}]")
    return detail


def _locate_failure(executed: Path) -> tuple[int | None, str]:
    """The failing cell of an executed notebook: index in the *source* notebook
    (cells papermill inserted are not counted) and the first line of its source.
    papermill marks the cell it was running ``failed`` (or leaves it ``running`` on a
    timeout or a dead kernel); a cell with an error output counts too."""
    try:
        nb = _read_notebook(executed)
    except ReportError:
        return None, ""
    index = 0
    candidate: tuple[int, str] | None = None
    for cell in nb.get("cells", []):
        tags = _tags(cell)
        if INJECTED_TAG in tags or ERROR_MARKER_TAG in tags:
            continue
        status = cell.get("metadata", {}).get("papermill", {}).get("status")
        has_error = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
        if status in ("failed", "running") or has_error:
            first = next((line for line in _source(cell).splitlines() if line.strip()), "")
            candidate = (index, first.strip()[:120])
            if status == "failed" or has_error:
                return candidate
        index += 1
    return candidate if candidate else _unfinished_cell(nb)


def _unfinished_cell(nb: dict[str, Any]) -> tuple[int | None, str]:
    """When the kernel dies, papermill marks every cell ``completed``; the cell that was
    running is the one that started (papermill ``start_time``) but never got a reply from
    the kernel (no ``shell.execute_reply`` timing from nbclient)."""
    index = 0
    for cell in nb.get("cells", []):
        tags = _tags(cell)
        if INJECTED_TAG in tags or ERROR_MARKER_TAG in tags:
            continue
        meta = cell.get("metadata", {})
        if (cell.get("cell_type") == "code" and meta.get("papermill", {}).get("start_time")
                and "shell.execute_reply" not in meta.get("execution", {})):
            first = next((line for line in _source(cell).splitlines() if line.strip()), "")
            return index, first.strip()[:120]
        index += 1
    return None, ""


def _execute_one(nb: Path, out: Path, parameters: dict[str, Any], timeout: int, logs: Path,
                 run: _Run, progress: Callable[[str], None]) -> NotebookFailure | None:
    """Run one notebook in a worker process; None on success."""
    if run.cancelled.is_set():
        return NotebookFailure(nb.name, None, "", "not run (cancelled)")
    spec = {"input": str(nb), "output": str(out), "parameters": parameters, "kernel_name": KERNEL_NAME,
            "timeout": timeout, "cwd": str(out.parent)}
    spec_path = logs / f"{nb.stem}.spec.json"
    result_path = logs / f"{nb.stem}.result.json"
    spec_path.write_text(json.dumps(spec), "utf-8")
    with open(logs / f"{nb.stem}.log", "wb") as log:
        with run.lock:  # no new worker once Ctrl-C has been seen
            if run.cancelled.is_set():
                return NotebookFailure(nb.name, None, "", "not run (cancelled)")
            progress(f"  started  {nb.name}")
            started = time.monotonic()
            proc = subprocess.Popen(
                [sys.executable, "-c", "from saas_kit.report import _worker_main; _worker_main()",
                 str(spec_path), str(result_path)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
            run.procs[nb.name] = proc
        try:
            proc.wait()
        finally:
            with run.lock:
                run.procs.pop(nb.name, None)
    seconds = time.monotonic() - started
    try:
        result = json.loads(result_path.read_text("utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        tail = (logs / f"{nb.stem}.log").read_text("utf-8", errors="replace").strip().splitlines()[-5:]
        result = {"ok": False, "error": f"worker exited with code {proc.returncode}: " + " | ".join(tail)}
    if result["ok"]:
        progress(f"  finished {nb.name} in {seconds:.1f} s")
        return None
    if run.cancelled.is_set():
        progress(f"  stopped  {nb.name} after {seconds:.1f} s")
        return NotebookFailure(nb.name, None, "", "interrupted")
    progress(f"  FAILED   {nb.name} after {seconds:.1f} s")
    index, first = _locate_failure(out) if out.exists() else (None, "")
    return NotebookFailure(nb.name, index, first, result["error"])


def execute_notebooks(jobs: list[tuple[Path, Path, dict[str, Any]]], workers: int, timeout: int,
                      logs: Path, progress: Callable[[str], None]) -> list[NotebookFailure]:
    """Execute ``(source, output, parameters)`` jobs, ``workers`` at a time. Every notebook
    runs even if another fails (all failures are reported). On Ctrl-C the worker
    processes are terminated and KeyboardInterrupt propagates."""
    run = _Run()
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="saas-kit-nb")
    try:
        futures = [pool.submit(_execute_one, nb, out, params, timeout, logs, run, progress)
                   for nb, out, params in jobs]
        return [f for f in (fut.result() for fut in futures) if f is not None]
    except BaseException:
        with run.lock:
            run.cancelled.set()
            procs = list(run.procs.values())
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def tag_injected_cell(path: Path) -> None:
    """Add ``remove-cell`` to the cell papermill injected (tag ``injected-parameters``)
    so the book shows neither its code nor its output."""
    nb = _read_notebook(path)
    changed = False
    for cell in nb.get("cells", []):
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if INJECTED_TAG in tags and "remove-cell" not in tags:
            tags.append("remove-cell")
            changed = True
    if changed:
        _write_notebook(nb, path)


# ------------------------------------------------------------------------------ book


def stage_book(project: Path, src: Path, month: str) -> None:
    """Copy ``_config.yml`` (title + report month) and ``book/`` into the staging source folder."""
    config = yaml.safe_load((project / "_config.yml").read_text("utf-8")) or {}
    base = config.get("title") or "SaaS metrics report"
    config["title"] = f"{base} — {month_label(month)}"
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
) -> Path:
    """Build the monthly report and publish it as ``out_dir/<YYYY-MM>/``; returns the
    path of its ``index.html``.

    ``data_dir``: the data folder (default: the project's ``data/sample``). ``month``:
    ``YYYY-MM`` (default: the latest month in the data). ``params_file``: YAML of extra
    notebook parameters (validated by :func:`load_params_file`). ``jobs``: notebooks run
    at the same time (default and cap: the available cores). ``timeout``: seconds per
    cell. ``project_dir``: the folder with ``_config.yml``, ``book/``, ``notebooks/``
    (default: the project this package belongs to).

    Paths: the month (validated ``YYYY-MM``) is the only part of an output path that
    comes from the user besides ``out_dir`` itself; notebook names come from the
    project's ``notebooks/`` folder; a params file cannot set ``data_dir`` or ``month``.

    Raises :class:`ReportError` (a notebook or the build failed, or the output folder
    cannot be written; nothing published), :class:`ParameterError`,
    :class:`saas_kit.errors.DataError`.
    """
    started = time.monotonic()
    project = (Path(project_dir) if project_dir is not None else project_root()).absolute()
    data = (Path(data_dir) if data_dir is not None else project / "data" / "sample").absolute()
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
    from saas_kit.loading import load_dataset

    currency = extra.get("currency") or ""
    dataset = load_dataset(data, None, currency.strip().upper() or None)
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
        analysis = month_analysis(dataset, month, notebook_params, progress)
        analysis_path = analysis.save(logs / ANALYSIS_FILE)  # computed once here, read by every notebook
        stage_book(project, src, month)
        step = "executing the notebooks"
        (src / "notebooks").mkdir()
        data_abs = str(data.resolve())
        runs = []
        for nb in notebooks:
            params = {"data_dir": data_abs, "month": month,
                      **{k: v for k, v in extra.items() if k in declared[nb.name]}}
            if ANALYSIS_PARAMETER in declared[nb.name]:
                params[ANALYSIS_PARAMETER] = str(analysis_path)
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

        progress("  building the book (jupyter-book, warnings are errors)")
        t0 = time.monotonic()
        try:
            html_dir = build_book(src, build, logs / "build.log")
        except ReportError as exc:
            keep = _keep_for_debugging(out, month, [logs / "build.log"])
            log_note = f"\n  full log: {keep['build.log']}" if "build.log" in keep else ""
            raise ReportError(f"{exc}{log_note}\n" + _unchanged_note(out, month)) from None
        progress(f"  built the book in {time.monotonic() - t0:.1f} s")

        step = "assembling the report"
        site = stage / "site"
        os.rename(html_dir, site)
        for _, executed, _ in runs:  # the executed notebooks, for auditing
            (site / "notebooks").mkdir(exist_ok=True)
            shutil.copy2(executed, site / "notebooks" / executed.name)
        write_downloads(analysis, site / "downloads")  # CSV tables, safe for Excel
        step = "publishing"
        final = publish_month(site, out, month)
        shutil.rmtree(failed_dir(out, month), ignore_errors=True)
        _remove_empty(out / ".failed")
    except OSError as exc:  # disk full, read-only folder, ...: nothing half-published
        raise ReportError(f"the report could not be written while {step}: {_os_reason(exc)}\n"
                          + _unchanged_note(out, month)) from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    progress(f"report {month} done in {time.monotonic() - started:.1f} s")
    return final / "index.html"


def month_analysis(dataset, month: str, notebook_params: dict[str, dict[str, Any]],
                   progress: Callable[[str], None] = print):
    """The run's :class:`saas_kit.analysis.MonthAnalysis`, with the page of every chapter
    whose notebook reads the analysis (declares the ``analysis`` parameter), built with
    that notebook's parameters (its declared defaults and the ``--params`` values);
    ``style`` and ``currency`` are shared by all notebooks. ``notebook_params`` maps
    those notebooks' names to their parameters."""
    from saas_kit.analysis import COMMON_PARAMETERS, build_analysis
    from saas_kit.pages import CHAPTERS

    t0 = time.monotonic()
    shared = {k: v for params in notebook_params.values() for k, v in params.items() if k in ("style", "currency")}
    chapters = {Path(name).stem: {k: v for k, v in params.items() if k not in COMMON_PARAMETERS}
                for name, params in notebook_params.items() if Path(name).stem in CHAPTERS}
    analysis = build_analysis(dataset, month, shared.get("style", "en"), chapters, shared.get("currency") or "")
    progress(f"  computed the month analysis in {time.monotonic() - t0:.1f} s")
    return analysis


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


def run_report(args: argparse.Namespace) -> int:
    """``saas-kit report``: build the report and print the path of its ``index.html``."""
    index = build_report(data_dir=args.data, month=args.month, params_file=args.params,
                         out_dir=args.out, jobs=args.jobs, timeout=args.timeout,
                         project_dir=args.project)
    print(index)
    return 0
