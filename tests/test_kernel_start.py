"""The notebook workers' kernels: Unix sockets instead of TCP ports, and one more start
when a kernel dies before answering (CI saw "Kernel died before replying to kernel_info"
when two notebooks' kernels started at the same moment)."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from saas_kit.report.base import KERNEL_NAME
from saas_kit.report.execution import ipc_kernel_manager, kernel_failed_to_start

posix_only = pytest.mark.skipif(os.name != "posix", reason="Unix domain sockets")


@posix_only
def test_the_kernel_listens_on_sockets_in_the_private_folder_not_on_tcp_ports(tmp_path):
    async def run() -> tuple[dict, list[str], str]:
        km = ipc_kernel_manager(tmp_path)(kernel_name=KERNEL_NAME)
        await km.start_kernel()
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            sockets = sorted(p.name for p in tmp_path.iterdir())
            reply = await kc.execute_interactive("x = 6 * 7", timeout=30)
            return km.get_connection_info(), sockets, reply["content"]["status"]
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)

    # a thread of its own: another test's Playwright may leave an event loop running in this one
    with ThreadPoolExecutor(max_workers=1) as thread:
        info, sockets, status = thread.submit(asyncio.run, run()).result()
    assert info["transport"] == "ipc"
    assert info["ip"] == str(tmp_path / "kernel")
    ports = [info[f"{name}_port"] for name in ("shell", "iopub", "stdin", "control", "hb")]
    assert sockets == sorted(f"kernel-{port}" for port in ports)
    assert status == "ok"
    assert not any(tmp_path.iterdir()), "the socket files are removed when the kernel stops"


def test_only_a_kernel_that_never_answered_is_started_again():
    assert kernel_failed_to_start(RuntimeError("Kernel died before replying to kernel_info"))
    assert kernel_failed_to_start(RuntimeError("Kernel didn't respond in 60 seconds"))
    assert not kernel_failed_to_start(RuntimeError("Kernel died"))  # a cell was running
    assert not kernel_failed_to_start(ValueError("Kernel died before replying to kernel_info"))


def _flaky_kernel(tmp_path: Path) -> Path:
    """A kernelspec ``flaky`` whose first start exits at once (as a kernel does when its
    port was taken) and whose later starts run ipykernel."""
    marker = tmp_path / "started-once"
    script = tmp_path / "flaky_kernel.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        from pathlib import Path
        marker = Path({str(marker)!r})
        if not marker.exists():
            marker.write_text("1")
            sys.exit("zmq.error.ZMQError: Address already in use")
        from ipykernel import kernelapp
        kernelapp.launch_new_instance()
    """), "utf-8")
    spec_dir = tmp_path / "jupyter" / "kernels" / "flaky"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, str(script), "-f", "{connection_file}"],
        "display_name": "flaky", "language": "python"}), "utf-8")
    return marker


def test_a_kernel_that_dies_before_answering_is_started_once_more(tmp_path):
    marker = _flaky_kernel(tmp_path)
    nb = tmp_path / "nb.ipynb"
    nb.write_text(json.dumps({
        "cells": [
            {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "x = 1", "outputs": [],
             "execution_count": None},
            {"cell_type": "code", "metadata": {}, "source": "print(x * 42)", "outputs": [], "execution_count": None},
        ],
        "metadata": {"kernelspec": {"name": "flaky", "display_name": "flaky", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5}), "utf-8")
    out = tmp_path / "out.ipynb"
    spec = tmp_path / "spec.json"
    result = tmp_path / "result.json"
    spec.write_text(json.dumps({"input": str(nb), "output": str(out), "parameters": {"x": 2},
                                "kernel_name": "flaky", "timeout": 60, "cwd": str(tmp_path)}), "utf-8")
    env = {**os.environ, "JUPYTER_PATH": str(tmp_path / "jupyter")}
    run = subprocess.run([sys.executable, "-c", "from saas_kit.report.execution import worker_main; worker_main()",
                          str(spec), str(result)], env=env, capture_output=True, text=True, timeout=180)
    assert marker.exists(), "the first start happened and failed"
    assert json.loads(result.read_text("utf-8")) == {"ok": True}, run.stderr[-2000:]
    assert "the kernel did not start" in run.stderr
    executed = json.loads(out.read_text("utf-8"))
    assert executed["cells"][-1]["outputs"][0]["text"] in ("84\n", ["84\n"])
