"""Embedded engine vs Spark engine (issue 12): time and peak memory, and where Spark takes over.

    .venv/bin/python benchmarks/spark_engines.py [--sizes 100000 1000000 2000000]
                                                 [--budget-gib 4] [--driver-memory 2g]

For every size a company is generated once (``saas-kit generate``, cached under
benchmarks/data/spark-c<N>/) and ``saas-kit movements <subscriptions.csv>`` (read and
validate the ledger, customer-month MRR, the five movements, the bridge as CSV) runs
once per engine in a fresh process:

* **the same fixed memory budget for both engines**: each run is placed in its own
  memory cgroup (v1 ``memory.limit_in_bytes``, no swap on this machine) limited to
  ``--budget-gib``; a run that needs more is killed by the kernel and reported as
  failed. Where cgroups cannot be created the embedded run gets an address-space limit
  (RLIMIT_AS) instead and the Spark run only its heap setting;
* the Spark engine runs in local mode on every core with a driver (= executor) heap of
  ``--driver-memory`` and spills what does not fit to local disk;
* time is wall time of the whole command (Spark's includes starting its JVM); peak
  memory is the largest summed resident set of the command's process tree (the Python
  process and, for Spark, its JVM), sampled every 0.1 s;
* where both engines finish, their CSV output must be byte-identical.

Writes benchmarks/SPARK_RESULTS.md. Not a test: the numbers depend on the machine.
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"
RESULTS = ROOT / "benchmarks" / "SPARK_RESULTS.md"
CGROUP_ROOT = Path("/sys/fs/cgroup/memory")
sys.path.insert(0, str(ROOT / "benchmarks"))

from run import _tree_rss_mb  # noqa: E402  (the project's process-tree memory probe)


def ensure_company(customers: int) -> Path:
    """The generated company of ``customers`` (CSV), made once."""
    target = DATA / f"spark-c{customers}"
    if not (target / "subscriptions.csv").exists():
        print(f"generating {customers:,} customers ...", flush=True)
        subprocess.run([str(Path(sys.executable).parent / "saas-kit"), "generate", "--customers", str(customers),
                        "--out", str(target)], check=True, stdout=subprocess.DEVNULL)
    return target


class MemoryBudget:
    """A memory cgroup limited to ``gib`` GiB for one child process tree (or RLIMIT_AS)."""

    def __init__(self, gib: float, name: str) -> None:
        self.bytes = int(gib * 2**30)
        self.path = CGROUP_ROOT / f"saas_kit_bench_{os.getpid()}_{name}"
        try:
            self.path.mkdir()
            (self.path / "memory.limit_in_bytes").write_text(str(self.bytes))
            swap = self.path / "memory.memsw.limit_in_bytes"
            if swap.exists():
                swap.write_text(str(self.bytes))
            self.kind = "cgroup"
        except OSError:
            self.kind = "rlimit"

    def preexec(self, engine: str):
        def enter() -> None:
            if self.kind == "cgroup":
                (self.path / "cgroup.procs").write_text(str(os.getpid()))
            elif engine == "embedded":
                import resource
                resource.setrlimit(resource.RLIMIT_AS, (self.bytes, self.bytes))
        return enter

    def oom_killed(self) -> bool:
        if self.kind != "cgroup":
            return False
        text = (self.path / "memory.oom_control").read_text() if (self.path / "memory.oom_control").exists() else ""
        return any(line.startswith("oom_kill ") and int(line.split()[1]) > 0 for line in text.splitlines())

    def close(self) -> None:
        if self.kind == "cgroup":
            try:
                self.path.rmdir()
            except OSError:
                pass


def run_engine(engine: str, data_dir: Path, budget_gib: float, driver_memory: str, out: Path) -> dict:
    """One ``saas-kit movements`` run: seconds, peak tree RSS (MB), ok / why it failed."""
    cmd = [str(Path(sys.executable).parent / "saas-kit"), "movements", str(data_dir / "subscriptions.csv")]
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    if engine == "spark":
        cmd += ["--engine", "spark", "--spark-master", "local[*]"]
        env["SAAS_KIT_SPARK_DRIVER_MEMORY"] = driver_memory
        env["SAAS_KIT_SPARK_PARTITIONS"] = env.get("SAAS_KIT_SPARK_PARTITIONS", "16")
    budget = MemoryBudget(budget_gib, f"{engine}_{data_dir.name}")
    t = time.perf_counter()
    with open(out, "w") as stdout:
        proc = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE, text=True, env=env,
                                preexec_fn=budget.preexec(engine))
        peak = 0.0
        while proc.poll() is None:
            peak = max(peak, _tree_rss_mb(proc.pid))
            time.sleep(0.1)
    seconds = time.perf_counter() - t
    stderr = proc.stderr.read()
    killed = budget.oom_killed() or proc.returncode in (-9, 137)
    budget.close()
    if proc.returncode == 0:
        status = "ok" if engine == "embedded" else f"ok, {driver_memory} heap"
    elif killed:
        status = f"killed by the {budget_gib:g} GiB budget"
    elif "MemoryError" in stderr or "Unable to allocate" in stderr or "OutOfMemory" in stderr:
        status = f"out of memory in the {budget_gib:g} GiB budget"
    else:
        status = f"failed (exit {proc.returncode}): {stderr.strip().splitlines()[-1][:200] if stderr.strip() else ''}"
    return {"engine": engine, "seconds": seconds, "peak_mb": peak, "status": status, "budget": budget.kind}


def subscription_rows(data_dir: Path) -> int:
    """Records in the company's subscriptions.csv."""
    with open(data_dir / "subscriptions.csv", "rb") as f:
        return sum(1 for _ in f) - 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 2_000_000])
    parser.add_argument("--budget-gib", type=float, default=4.0)
    parser.add_argument("--driver-memory", default="2g")
    parser.add_argument("--fresh", action="store_true", help="forget the rows of earlier runs")
    parser.add_argument("--rewrite", action="store_true", help="only rewrite SPARK_RESULTS.md from its rows")
    parser.add_argument("--engines", nargs="+", choices=["embedded", "spark"], default=["embedded", "spark"])
    args = parser.parse_args(argv)
    rows = [] if args.fresh else earlier_rows(args.sizes, args.budget_gib)
    if args.rewrite:
        write_results(earlier_rows([], 0.0), args)
        return 0
    for size in args.sizes:
        data_dir = ensure_company(size)
        outputs = {}
        for engine in args.engines:
            out = data_dir / f"movements-{engine}.csv"
            print(f"{size:,} customers, {engine} ...", flush=True)
            r = run_engine(engine, data_dir, args.budget_gib, args.driver_memory, out)
            print(f"  {r['status']}: {r['seconds']:.1f} s, peak {r['peak_mb']:.0f} MB", flush=True)
            r["size"] = size
            r["budget_gib"] = args.budget_gib
            r["subscriptions"] = subscription_rows(data_dir)
            rows.append(r)
            outputs[engine] = out if r["status"].startswith("ok") else None
        if len(outputs) == 2 and all(outputs.values()):
            same = outputs["embedded"].read_bytes() == outputs["spark"].read_bytes()
            rows[-1]["same_output"] = rows[-2]["same_output"] = "identical" if same else "DIFFERENT"
        write_results(rows, args)
    return 0


def earlier_rows(sizes: list[int], budget_gib: float) -> list[dict]:
    """The rows of SPARK_RESULTS.md for (size, budget) pairs not measured again now (so
    that sizes and budgets can be run one at a time and the table keeps them all)."""
    if not RESULTS.exists():
        return []
    rows = []
    for line in RESULTS.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 7:  # a table written before budgets were a column: the default budget
            cells.insert(3, "4")
        if len(cells) != 8 or not cells[0].replace(",", "").isdigit():
            continue
        size, budget = int(cells[0].replace(",", "")), float(cells[3])
        if size in sizes and budget == budget_gib:
            continue
        rows.append({"size": size, "subscriptions": int(cells[1].replace(",", "")), "engine": cells[2],
                     "budget_gib": budget, "status": cells[4], "seconds": float(cells[5]),
                     "peak_mb": float(cells[6].replace(",", "")), "same_output": cells[7]})
    return rows


def write_results(rows: list[dict], args) -> None:
    lines = [
        "# Embedded vs Spark engine: `saas-kit movements`",
        "",
        "Written by `benchmarks/spark_engines.py` (issue 12). Each run reads and validates the generated",
        "company's `subscriptions.csv`, computes the customer-month MRR and the five movements and prints",
        "the monthly bridge, in a fresh process. Both engines get the same memory budget",
        "for the whole process tree (a memory cgroup; the kernel kills a run that needs more;",
        "the budget of each run is in the table). Spark runs in local mode on every core with the driver heap shown",
        "with its result, and spills to local disk. Peak memory is the largest summed resident set of the process tree",
        "(Python and, for Spark, its JVM), sampled every 0.1 s. Time is wall time, JVM start included.",
        "",
        f"Machine: {os.cpu_count()} cores, {_mem_gib():.0f} GiB RAM, Python {platform.python_version()}, "
        f"{_spark_version()}; shared with other jobs (load average 6-9 on 2 cores during the runs of",
        "2026-12-01), so times are indicative: Spark's many small jobs suffer most from it.",
        "",
        "| customers | subscription rows | engine | memory budget (GiB) | result | time (s) | peak memory (MB) | outputs |",
        "|--:|--:|:--|--:|:--|--:|--:|:--|",
    ]
    for r in sorted(rows, key=lambda r: (-r["budget_gib"], r["size"], r["engine"])):
        lines.append(f"| {r['size']:,} | {r['subscriptions']:,} | {r['engine']} | {r['budget_gib']:g} | {r['status']} "
                     f"| {r['seconds']:.1f} "
                     f"| {r['peak_mb']:,.0f} | {r.get('same_output', '')} |")
    lines += ["", "## Crossover", "", crossover(rows, args), ""]
    RESULTS.write_text("\n".join(lines))


def crossover(rows: list[dict], args) -> str:
    by_size: dict[tuple, dict[str, dict]] = {}
    for r in rows:
        by_size.setdefault((r["budget_gib"], r["size"]), {})[r["engine"]] = r
    notes = []
    for (budget, size), pair in sorted(by_size.items(), key=lambda kv: (-kv[0][0], kv[0][1])):
        e, s = pair.get("embedded"), pair.get("spark")
        if not e or not s:
            continue
        if e["status"].startswith("ok") and s["status"].startswith("ok"):
            faster = "embedded" if e["seconds"] <= s["seconds"] else "Spark"
            notes.append(f"- {size:,} customers, {budget:g} GiB: both finish; {faster} is faster "
                         f"({e['seconds']:.0f} s vs {s['seconds']:.0f} s), embedded peak {e['peak_mb']:,.0f} MB, "
                         f"Spark peak {s['peak_mb']:,.0f} MB.")
        elif s["status"].startswith("ok"):
            notes.append(f"- {size:,} customers: the embedded engine does not fit the {budget:g} GiB budget "
                         f"({e['status']}); Spark finishes in {s['seconds']:.0f} s with a peak of "
                         f"{s['peak_mb']:,.0f} MB.")
        else:
            notes.append(f"- {size:,} customers, {budget:g} GiB: embedded {e['status']}; Spark {s['status']}.")
    return "\n".join(notes)


def _mem_gib() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


def _spark_version() -> str:
    try:
        import pyspark
        return f"PySpark {pyspark.__version__}"
    except ImportError:
        return "PySpark not installed"


if __name__ == "__main__":
    sys.exit(main())
