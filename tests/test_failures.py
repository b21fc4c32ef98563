"""Failures during a run (issue 5, "Failures during a run"): a kernel that dies, a cell
that hangs past ``--timeout``, a book that does not build, an output folder that cannot
be written, a disk that fills up while publishing. In every case: a non-zero exit /
:class:`ReportError` naming what failed, the previous report byte-for-byte intact, no
staging or temporary files left; and running again after the fix gives the same report
as a clean run.

The notebook failures run on a copy of the fixture project (tests/fixtures/notebooks,
via ``project_dir``) whose notebooks get an extra failing cell; the real notebooks are
never touched. test_report.py already covers a notebook that raises, a build error with
no previous report, and Ctrl-C.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from glued import glued_values
from report_build import MONTH, make_project, shared_report
from saas_kit import publish
from saas_kit.report import ReportError, build_report


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _add_cell(notebook: Path, source: str) -> None:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    nb["cells"].append({"cell_type": "code", "execution_count": None, "id": "injected-failure",
                        "metadata": {}, "outputs": [], "source": source})
    notebook.write_text(json.dumps(nb, indent=1), encoding="utf-8")


def _leftovers(out: Path) -> list[str]:
    """Hidden staging / temporary entries in the output folder (``.failed`` is by design)."""
    return sorted(p.name for p in out.iterdir() if p.name.startswith(".") and p.name != ".failed")


@pytest.fixture(scope="session")
def report(tmp_path_factory):
    return shared_report(tmp_path_factory)


@pytest.fixture
def previous(report, tmp_path):
    """An output folder holding a complete earlier report for MONTH, and its hashes."""
    out = tmp_path / "out"
    shutil.copytree(report["out"], out)
    return out, _tree(out)


# ------------------------------------------------------------- notebook failures


@pytest.mark.slow
def test_dead_kernel_and_hang_then_fix_gives_the_clean_report(report, previous, tmp_path):
    out, before = previous
    project, data = make_project(tmp_path / "p")
    nb_dies = project / "notebooks" / "03_new_arr_mix.ipynb"
    nb_hangs = project / "notebooks" / "04_churn_compounding.ipynb"
    originals = {p: p.read_bytes() for p in (nb_dies, nb_hangs)}
    _add_cell(nb_dies, "import os\nos._exit(1)")
    _add_cell(nb_hangs, "import time\ntime.sleep(60)")

    # --timeout is per cell: 10 s leaves the first cell (imports matplotlib) room on a busy
    # two-core machine, and is far below the 60 s the hanging cell would take.
    with pytest.raises(ReportError) as err:
        build_report(data, month=MONTH, out_dir=out, project_dir=project, timeout=10, progress=lambda line: None)
    message = str(err.value)
    dies = next(line for line in message.splitlines() if "03_new_arr_mix.ipynb" in line)
    hangs = next(line for line in message.splitlines() if "04_churn_compounding.ipynb" in line)
    assert "kernel died" in dies and "(`import os`)" in dies
    assert "timed out" in hangs and "after 10 s" in hangs and "(`time.sleep(60)`)" in hangs  # the line running
    assert "previous report" in message and "unchanged" in message
    assert _tree(out / MONTH) == {k[len(MONTH) + 1:]: v for k, v in before.items() if k.startswith(MONTH + "/")}
    assert (out / "index.html").read_bytes() == (report["out"] / "index.html").read_bytes()
    assert _leftovers(out) == []  # staging removed
    assert (out / ".failed" / MONTH / "03_new_arr_mix.ipynb").is_file()

    # the fix: the notebooks as they were; the same output folder
    for path, content in originals.items():
        path.write_bytes(content)
    build_report(data, month=MONTH, out_dir=out, project_dir=project, progress=lambda line: None)
    clean = report["out"] / MONTH  # a clean run of the same project and data into a fresh folder
    again = out / MONTH
    assert set(_tree(again)) == set(_tree(clean))
    for nb in sorted((clean / "notebooks").glob("*.ipynb")):
        assert glued_values(again / "notebooks" / nb.name) == glued_values(nb), nb.name
    for csv_file in ("mrr_bridge.csv", "kpis.csv", "segments.csv"):
        assert (again / "downloads" / csv_file).read_bytes() == (clean / "downloads" / csv_file).read_bytes()
    assert sorted(p.name for p in out.iterdir()) == [MONTH, "index.html"]  # .failed cleared by the success


@pytest.mark.slow
def test_build_error_exits_non_zero_and_keeps_the_previous_report(previous, tmp_path, capsys):
    from saas_kit.cli import main

    out, before = previous
    project, data = make_project(tmp_path / "p")
    page = project / "book" / "methodology.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n\nSee {ref}`no-such-section`.\n", encoding="utf-8")
    code = main(["report", "--data", str(data), "--month", MONTH, "--out", str(out), "--project", str(project)])
    err = capsys.readouterr().err
    assert code != 0
    assert "did not build" in err and "no-such-section" in err
    assert f"the previous report {out / MONTH} is unchanged" in err
    assert _tree(out) == {**before, **{k: v for k, v in _tree(out).items() if k.startswith(".failed/")}}
    assert _leftovers(out) == []


# -------------------------------------------------------------- output folder


def test_output_path_under_a_file_is_a_clear_error_before_any_notebook_runs(tmp_path):
    project, data = make_project(tmp_path / "p")
    blocker = tmp_path / "somefile"
    blocker.write_text("not a folder")
    lines: list[str] = []
    with pytest.raises(ReportError, match="cannot write to the output folder .*somefile/reports") as err:
        build_report(data, month=MONTH, out_dir=blocker / "reports", project_dir=project, progress=lines.append)
    assert "not a folder" in str(err.value) or "Not a directory" in str(err.value)
    assert lines == []  # nothing started
    assert blocker.read_text() == "not a folder"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="running as root: chmod does not stop root from writing (see the test above)")
def test_read_only_output_folder_is_a_clear_error(previous, tmp_path):
    out, before = previous
    project, data = make_project(tmp_path / "p")
    os.chmod(out, 0o555)
    try:
        with pytest.raises(ReportError, match="cannot write to the output folder"):
            build_report(data, month=MONTH, out_dir=out, project_dir=project, progress=lambda line: None)
    finally:
        os.chmod(out, 0o755)
    assert _tree(out) == before


@pytest.mark.slow
def test_disk_full_while_publishing_keeps_the_previous_report(previous, tmp_path, monkeypatch):
    out, before = previous
    project, data = make_project(tmp_path / "p")
    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):
        if Path(dst).name == "index.html":  # the publish step's last rename
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(ReportError) as err:
        build_report(data, month=MONTH, out_dir=out, project_dir=project, progress=lambda line: None)
    message = str(err.value)
    assert "while publishing" in message and "No space left on device" in message and "disk is full" in message
    assert f"the previous report {out / MONTH} is unchanged" in message
    assert _tree(out) == before
    assert sorted(p.name for p in out.iterdir()) == [MONTH, "index.html"]  # no temporary folders or files


# --------------------------------------------- publish_month, rename by rename (fast)


def _site(out: Path, text: str) -> Path:
    site = publish.make_staging_dir(out, MONTH) / "site"
    site.mkdir()
    (site / "index.html").write_text(text)
    return site


def _old_report(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    (out / MONTH).mkdir(parents=True)
    (out / MONTH / "index.html").write_text("old")
    (out / "2026-09").mkdir()
    (out / "2026-09" / "index.html").write_text("september")
    (out / "index.html").write_text(publish.months_index_page(publish.available_months(out)))
    return out


def test_publish_month_replaces_report_and_index(tmp_path):
    out = _old_report(tmp_path)
    site = _site(out, "new")
    publish.publish_month(site, out, MONTH)
    assert (out / MONTH / "index.html").read_text() == "new"
    assert not site.exists()
    shutil.rmtree(site.parent)
    assert sorted(p.name for p in out.iterdir()) == ["2026-09", MONTH, "index.html"]


def test_publish_month_adds_a_new_month_to_the_index(tmp_path):
    out = tmp_path / "out"
    site = _site(out, "first")
    publish.publish_month(site, out, MONTH)
    assert f'href="{MONTH}/index.html"' in (out / "index.html").read_text()


@pytest.mark.parametrize("failing", ["write", "rename-in", "index"])
def test_publish_month_failure_restores_everything(tmp_path, monkeypatch, failing):
    out = _old_report(tmp_path)
    before = _tree(out)
    site = _site(out, "new")
    real_rename, real_replace, real_fdopen = os.rename, os.replace, os.fdopen
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def rename(src, dst):
        if failing == "rename-in" and Path(src) == site:
            raise full
        return real_rename(src, dst)

    def replace(src, dst):
        if failing == "index":
            raise full
        return real_replace(src, dst)

    def fdopen(*args, **kwargs):
        if failing == "write":
            raise full
        return real_fdopen(*args, **kwargs)

    monkeypatch.setattr(os, "rename", rename)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "fdopen", fdopen)
    with pytest.raises(OSError):
        publish.publish_month(site, out, MONTH)
    monkeypatch.undo()
    assert (site / "index.html").read_text() == "new"  # the new report is back where it was
    shutil.rmtree(site.parent)
    assert _tree(out) == before
    assert sorted(p.name for p in out.iterdir()) == ["2026-09", MONTH, "index.html"]
