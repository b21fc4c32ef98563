"""Builds the fixture report once per test session, for test_report.py and test_browser.py.

The fixture project is the real ``_config.yml`` and ``book/`` with the small notebooks
of ``tests/fixtures/notebooks/`` (same names and glue keys as the real ones) and a
three-row data folder. Building a book takes a while, so the first caller builds it
into the session's base temp folder and later callers reuse it.
"""
from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_NOTEBOOKS = Path(__file__).parent / "fixtures" / "notebooks"
MONTH = "2026-10"
KPI_KEYS = ["kpi_mrr", "kpi_arr", "kpi_net_new_arr", "kpi_nrr_monthly", "kpi_nrr_ttm", "kpi_grr_monthly",
            "kpi_grr_ttm", "kpi_quick_ratio", "kpi_logo_churn", "kpi_revenue_churn", "kpi_activation_rate"]


def make_project(base: Path) -> tuple[Path, Path]:
    """A fixture project and data folder under ``base``: (project, data)."""
    project, data = base / "project", base / "data"
    (project / "notebooks").mkdir(parents=True)
    shutil.copy2(ROOT / "_config.yml", project / "_config.yml")
    shutil.copytree(ROOT / "book", project / "book")
    for nb in FIXTURE_NOTEBOOKS.glob("*.ipynb"):
        shutil.copy2(nb, project / "notebooks" / nb.name)
    data.mkdir()
    (data / "subscriptions.csv").write_text(
        "customer_id,start_date,end_date,amount\n"
        "c1,2025-01-01,,10000\n"
        "c2,2025-03-01,2026-05-01,20000\n"
        "c3,2026-10-01,,5000\n", encoding="utf-8")
    # the currency is never assumed and the as-of date makes 2026-10 the last complete month (metrics.md §2, §8)
    (data / "dataset.yml").write_text("as_of: 2026-11-01\ncurrency: JPY\n", encoding="utf-8")
    return project, data


def shared_report(tmp_path_factory) -> dict:
    """Build (once) the fixture report for ``MONTH``; returns its paths and progress lines."""
    from saas_kit.report import build_report

    base = tmp_path_factory.getbasetemp() / "shared-report"
    out = base / "out"
    if not (out / MONTH / "index.html").exists():
        shutil.rmtree(base, ignore_errors=True)
        base.mkdir()
        project, data = make_project(base)
        lines: list[str] = []
        index = build_report(data, month=MONTH, out_dir=out, project_dir=project, progress=lines.append)
        (base / "progress.txt").write_text("\n".join(lines), encoding="utf-8")
    return {"base": base, "project": base / "project", "data": base / "data", "out": out,
            "index": out / MONTH / "index.html",
            "progress": (base / "progress.txt").read_text(encoding="utf-8").splitlines()}


def shared_editions_report(tmp_path_factory) -> dict:
    """Build (once per session) the real sample report in both languages
    (``--lang en,ja``); returns its paths: ``month`` (``OUT/<month>/``), ``en``, ``ja``."""
    from saas_kit.report import build_report

    base = tmp_path_factory.getbasetemp() / "editions-report"
    out = base / "out"
    index = next(out.glob("*/index.html"), None) if out.is_dir() else None
    if index is None or not (index.parent / "ja" / "index.html").is_file():
        shutil.rmtree(base, ignore_errors=True)
        base.mkdir()
        lines: list[str] = []
        index = build_report(ROOT / "data" / "sample", out_dir=out, languages="en,ja", progress=lines.append)
        (base / "progress.txt").write_text("\n".join(lines), encoding="utf-8")
    month_dir = Path(index).parent
    return {"out": out, "month": month_dir, "en": month_dir / "en", "ja": month_dir / "ja",
            "progress": (base / "progress.txt").read_text(encoding="utf-8").splitlines()}


def shared_sample_report(tmp_path_factory) -> Path:
    """Build (once per session) the real sample report in English only (the default);
    returns its month folder."""
    from saas_kit.report import build_report

    base = tmp_path_factory.getbasetemp() / "sample-report"
    out = base / "out"
    index = next(out.glob("*/index.html"), None) if out.is_dir() else None
    if index is None:
        shutil.rmtree(base, ignore_errors=True)
        base.mkdir()
        index = build_report(ROOT / "data" / "sample", out_dir=out, progress=lambda line: None)
    return Path(index).parent
