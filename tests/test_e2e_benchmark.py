"""The end-to-end benchmark stays runnable (issue 14): `benchmarks/e2e.py` on a tiny company,
CSV and Parquet, where saas-kit's movements table and DuckDB's must be the same month by
month (in ticks), and the month analysis's ten ledger tables the same cell by cell.
Nothing here is timed."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_e2e_benchmark_runs_and_both_tables_agree(tmp_path):
    out = tmp_path / "E2E.md"
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "e2e.py"), "--sizes", "300", "--repeat", "1",
                          "--small-repeat", "1", "--out", str(out), "--data-root", str(tmp_path / "data")],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    rows = [line for line in out.read_text().splitlines() if line.startswith("| 300 |")]
    assert len(rows) == 4  # movements and analysis, each from CSV and from Parquet
    results = [[c.strip() for c in row.strip("|").split("|")][8] for row in rows]
    assert [r.startswith("yes, ") and r.endswith(" months") for r in results] == [True, True, False, False], results
    assert all(r.startswith("yes, 10 tables, ") for r in results[2:]), results
