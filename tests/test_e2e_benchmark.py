"""The end-to-end benchmark stays runnable (issue 14): `benchmarks/e2e.py` on a tiny company,
CSV and Parquet, where saas-kit's table and DuckDB's must be the same month by month (in
ticks). Nothing here is timed."""
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
    assert len(rows) == 2  # CSV and Parquet
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[8].startswith("yes, ") and cells[8].endswith(" months"), row
