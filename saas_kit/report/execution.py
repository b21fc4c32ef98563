"""Executing the notebooks: the ``saas-kit`` kernel check, one worker process per notebook
(papermill), where a failed notebook stopped, Ctrl-C, and hiding the injected parameters cell."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from saas_kit.report.base import (ERROR_MARKER_TAG, INJECTED_TAG, KERNEL_NAME, NotebookFailure, ReportError,
                                  cell_source, cell_tags, read_notebook, write_notebook)


@dataclass
class _Run:
    """Bookkeeping of the worker processes, so that Ctrl-C can stop them."""

    cancelled: threading.Event = field(default_factory=threading.Event)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


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


def worker_main(argv: list[str] | None = None) -> None:
    """Entry point of one worker process: execute one notebook as described by a JSON
    spec file and write a JSON result file. Run as
    ``python -c "from saas_kit.report.execution import worker_main; worker_main()" SPEC RESULT``."""
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
    with tempfile.TemporaryDirectory(prefix="saas-kit-kernel-") as socket_dir:
        engine_options = ({"kernel_manager_class": ipc_kernel_manager(Path(socket_dir))}
                          if os.name == "posix" else {})
        for attempt in range(1 + KERNEL_START_RETRIES):
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
                    **engine_options,
                )
            except PapermillExecutionError as exc:
                result = {"ok": False, "error": f"{exc.ename}: {exc.evalue}", "exec_count": exc.exec_count}
            except KeyboardInterrupt:
                result = {"ok": False, "error": "interrupted"}
            except Exception as exc:  # kernel died, cell timeout, bad notebook: reported, not raised
                if kernel_failed_to_start(exc) and attempt < KERNEL_START_RETRIES:
                    print(f"saas-kit: the kernel did not start ({exc}); starting it again", file=sys.stderr)
                    continue
                result = {"ok": False, "error": _describe_exception(exc, spec["timeout"])}
            break
    Path(result_path).write_text(json.dumps(result), "utf-8")


KERNEL_START_RETRIES = 1
"""How many times a worker starts the kernel again when it died before running any cell."""


def kernel_failed_to_start(exc: BaseException) -> bool:
    """True when jupyter_client gave up before the kernel answered its first request
    (``kernel_info``): no cell of the notebook has run, so running it again is safe."""
    return isinstance(exc, RuntimeError) and str(exc).startswith(
        ("Kernel died before replying to kernel_info", "Kernel didn't respond"))


def ipc_kernel_manager(socket_dir: Path) -> type:
    """A jupyter_client kernel manager whose kernel talks over Unix domain sockets in
    ``socket_dir`` instead of TCP ports on localhost.

    With TCP, jupyter_client picks five free ports by binding to port 0 and closing the
    socket, and the kernel binds them a moment later; in between, another process (a second
    notebook's kernel, any outgoing connection taking an ephemeral port) can take one, and the
    kernel exits with "Address already in use", seen as "Kernel died before replying to
    kernel_info". Socket files in a folder private to this worker cannot collide."""
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("ip", str(socket_dir / "kernel"))
            super().__init__(**kwargs)

    return IPCKernelManager


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


def locate_failure(executed: Path) -> tuple[int | None, str]:
    """The failing cell of an executed notebook: index in the *source* notebook
    (cells papermill inserted are not counted) and the first line of its source.
    papermill marks the cell it was running ``failed`` (or leaves it ``running`` on a
    timeout or a dead kernel); a cell with an error output counts too."""
    try:
        nb = read_notebook(executed)
    except ReportError:
        return None, ""
    index = 0
    candidate: tuple[int, str] | None = None
    for cell in nb.get("cells", []):
        tags = cell_tags(cell)
        if INJECTED_TAG in tags or ERROR_MARKER_TAG in tags:
            continue
        status = cell.get("metadata", {}).get("papermill", {}).get("status")
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        has_error = bool(errors)
        if status in ("failed", "running") or has_error:
            first = next((line for line in cell_source(cell).splitlines() if line.strip()), "")
            raised = raising_line(cell_source(cell), errors[-1].get("traceback", [])) if errors else None
            candidate = (index, (raised or first).strip()[:120])
            if status == "failed" or has_error:
                return candidate
        index += 1
    return candidate if candidate else _unfinished_cell(nb)


_CELL_LINE = re.compile(r"Cell In\[\d*\], line (\d+)")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def raising_line(source: str, traceback: list[str]) -> str | None:
    """The line of the cell's ``source`` that raised, from the kernel's traceback
    (IPython writes ``Cell In[7], line 3`` for each frame in the cell; the last such
    frame is the cell's own line that led to the exception). None when the traceback
    does not say (a syntax error, an exception raised by the kernel itself)."""
    lines = source.splitlines()
    number = None
    for entry in traceback:
        for match in _CELL_LINE.finditer(_ANSI.sub("", entry)):
            number = int(match.group(1))
    if number is None or not 1 <= number <= len(lines) or not lines[number - 1].strip():
        return None
    return lines[number - 1]


def _unfinished_cell(nb: dict[str, Any]) -> tuple[int | None, str]:
    """When the kernel dies, papermill marks every cell ``completed``; the cell that was
    running is the one that started (papermill ``start_time``) but never got a reply from
    the kernel (no ``shell.execute_reply`` timing from nbclient)."""
    index = 0
    for cell in nb.get("cells", []):
        tags = cell_tags(cell)
        if INJECTED_TAG in tags or ERROR_MARKER_TAG in tags:
            continue
        meta = cell.get("metadata", {})
        if (cell.get("cell_type") == "code" and meta.get("papermill", {}).get("start_time")
                and "shell.execute_reply" not in meta.get("execution", {})):
            first = next((line for line in cell_source(cell).splitlines() if line.strip()), "")
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
                [sys.executable, "-c", "from saas_kit.report.execution import worker_main; worker_main()",
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
    index, first = locate_failure(out) if out.exists() else (None, "")
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
    nb = read_notebook(path)
    changed = False
    for cell in nb.get("cells", []):
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if INJECTED_TAG in tags and "remove-cell" not in tags:
            tags.append("remove-cell")
            changed = True
    if changed:
        write_notebook(nb, path)
