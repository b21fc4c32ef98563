"""The scale benchmark stays runnable (issue 4): `benchmarks/run.py` on two tiny companies.

The real run (`make benchmark`, 10k to 1M customers) takes half an hour; this runs the
same script end to end on 200 and 400 customers, so a change that breaks a step, the
DuckDB or loop reference, the agreement check or the results file fails here. Speed and
memory targets are not asserted: on a shared machine they belong to the benchmark.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> str:
    tmp = tmp_path_factory.mktemp("bench")
    out = tmp / "RESULTS.md"
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--sizes", "200", "400",
                          "--repeat", "1", "--small-repeat", "1", "--report-sizes", "400", "--no-sample-report",
                          "--data-root", str(tmp / "data"), "--out", str(out)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return out.read_text(encoding="utf-8")


def test_every_step_is_timed_at_every_size(results):
    for step in ("load_csv", "load_parquet", "monthly_mrr", "movements", "duckdb_movements", "trailing_nrr",
                 "cohorts", "magic_moment", "load_and_movements", "loop_movements"):
        row = next(line for line in results.splitlines() if line.startswith(f"| {step} (time / peak) |"))
        assert row.count(" s / ") == 2, row  # a time and a peak at both sizes


def test_the_whole_report_is_timed_with_the_memory_of_all_its_processes(results):
    row = next(line for line in results.splitlines() if line.startswith("| whole `saas-kit report`"))
    cells = [c.strip() for c in row.strip("|").split("|")[1:]]
    assert cells[0] == "—" and cells[1].endswith(" MB"), row
    peak = float(cells[1].split("/")[1].split()[0])
    assert peak > 300  # the command, the notebook kernels and the book build together
    assert "| whole report on 400 customers ≤ 180 s |" in results


def test_references_agree_exactly_with_saas_kit(results):
    assert "- 200 customers: saas_kit = DuckDB on every month = loop" in results
    assert "- 400 customers: saas_kit = DuckDB on every month = loop" in results


def test_every_target_has_a_row_with_a_verdict(results):
    targets = results.split("## Targets")[1].split("## Agreement")[0]
    for needle in ("≤ 1.5× DuckDB", "≥ 50× faster than the per-customer loop", "time per customer-month",
                   "magic_moment: time per event", "≤ 4× the loaded ledger"):
        rows = [line for line in targets.splitlines() if needle in line]
        assert rows and all(line.rstrip().endswith(("| yes |", "| no |")) for line in rows), needle


def test_events_grow_with_the_company(results):
    """Every window signup gets onboarding events (no cap), so the magic-moment search
    is measured on an event log that scales with the customers."""
    row = next(line for line in results.splitlines() if line.startswith("| onboarding events |"))
    small, large = (int(cell.strip().replace(",", "")) for cell in row.strip("|").split("|")[1:])
    assert large > 1.6 * small > 0


def test_memory_table_separates_the_fixed_start_up_cost(results):
    memory = results.split("## Memory of loading + movements")[1].split("## Targets")[0]
    for label in ("ledger", "process after imports", "fixed start-up cost of the readers", "peak",
                  "used by loading + movements", "used ÷ ledger"):
        assert f"| {label} |" in memory, label
