"""Embedded engine vs Spark engine (issue 12, item 5): ``saas-kit import stripe-invoice-lines``,
time and peak memory of both engines, and where Spark takes over.

    PYTHONPATH=. .venv/bin/python benchmarks/spark_import.py [--sizes 100000 1000000] [--budget-gib 8]
        [--driver-memory 4g] [--engines embedded spark] [--timeout-min 25]

For every size the Stripe invoice-line export of ``benchmarks/invoice_lines_export.py``
(``benchmarks/data/invoice-lines/c<N>.parquet``, made when missing) is imported once per
engine, in a fresh process, the way a user runs it:

    python -m saas_kit.cli import stripe-invoice-lines c<N>.parquet --out OUT --as-of 2026-11-01 --currency USD
        [--engine spark --spark-master local[*]]

(``python -m saas_kit.cli`` with this checkout on ``PYTHONPATH``, so the package measured is
the one next to this file). The runner is ``benchmarks/spark_engines.py``'s: the same memory
budget for both engines (a memory cgroup of ``--budget-gib`` around the process tree; the
kernel kills a run that needs more), Spark in local mode on every core with a driver heap
of ``--driver-memory`` (``SAAS_KIT_SPARK_DRIVER_MEMORY``), wall time of the whole command
(Spark's includes starting its JVM), peak memory = the largest summed resident set of the
process tree (Python and, for Spark, its JVM), sampled every 0.1 s. A run still going after
``--timeout-min`` is stopped (its process group killed) and reported as such.

Where both engines finish, their outputs are compared: ``mrr.csv`` with the rows of the
``mrr.parquet`` folder (every column as text; the same rows in the same order after sorting
both by ``customer_id, month``), ``charges.csv`` with ``charges.parquet`` likewise (sorted by
every column: the order of one-off lines is not part of the rules), and the two
``import-summary.txt`` with ``mrr.parquet``/``charges.parquet`` read as ``.csv``.

Appends (or replaces) the section "Import of invoice lines" of benchmarks/SPARK_RESULTS.md;
rows of earlier runs of other sizes are kept. Not a test: the numbers depend on the machine.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from invoice_lines_export import write_export  # noqa: E402
from spark_engines import (RESULTS, MemoryBudget, _mem_gib, _spark_version, _tree_rss_mb, parquet_rows,  # noqa: E402
                           run_status)

OUT = ROOT / "benchmarks" / "data" / "spark-out"
AS_OF = "2026-11-01"
SECTION = "## Import of invoice lines"
COLUMNS = ["customers", "export", "lines", "engine", "memory budget (GiB)", "result", "time (s)", "peak memory (MB)",
           "outputs"]


def command(engine: str, export: Path, out: Path) -> list[str]:
    cmd = [sys.executable, "-m", "saas_kit.cli", "import", "stripe-invoice-lines", str(export.resolve()), "--out", str(out),
           "--as-of", AS_OF, "--currency", "USD"]
    return cmd + (["--engine", "spark", "--spark-master", "local[*]"] if engine == "spark" else [])


def run_import(engine: str, export: Path, budget_gib: float, driver_memory: str, out: Path,
               timeout_s: float) -> dict:
    """One import in a fresh process: seconds, peak tree RSS (MB), ok / why not."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    env = dict(os.environ, PYTHONWARNINGS="ignore", PYTHONPATH=str(ROOT))
    if engine == "spark":
        env["SAAS_KIT_SPARK_DRIVER_MEMORY"] = driver_memory
    budget = MemoryBudget(budget_gib, f"import_{engine}_{export.stem}")
    timed_out = False
    t = time.perf_counter()
    with open(out / "stdout.txt", "w") as stdout, open(out / "stderr.txt", "w") as stderr:
        proc = subprocess.Popen(command(engine, export, out / "data"), stdout=stdout, stderr=stderr, text=True,
                                env=env, cwd=out, preexec_fn=budget.preexec(engine), start_new_session=True)
        peak = 0.0
        while proc.poll() is None:
            peak = max(peak, _tree_rss_mb(proc.pid))
            if time.perf_counter() - t > timeout_s:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)  # the run's own process group (started above)
                proc.wait()
                break
            time.sleep(0.1)
    seconds = time.perf_counter() - t
    err = (out / "stderr.txt").read_text(errors="replace")
    killed = budget.oom_killed() or (proc.returncode in (-9, 137) and not timed_out)
    procs = budget.path / "cgroup.procs"
    for _ in range(300):  # Spark's JVM may outlive the Python process by a moment; the cgroup goes when empty
        if budget.kind != "cgroup" or not procs.exists() or not procs.read_text().strip():
            break
        time.sleep(0.1)
    budget.close()
    if timed_out:
        status = (f"stopped after {timeout_s / 60:.0f} min, not finished" if timeout_s >= 60 else
                  f"stopped after {timeout_s:.0f} s, not finished")
    else:
        status = run_status(proc.returncode, killed, err, engine, budget_gib, driver_memory)
    (out / "status.txt").write_text(status)
    return {"engine": engine, "seconds": seconds, "peak_mb": peak, "status": status}


def _csv_table(path: Path):
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with open(path, encoding="utf-8") as f:
        names = f.readline().rstrip("\r\n").split(",")
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        column_types={n: pa.string() for n in names}, strings_can_be_null=False, quoted_strings_can_be_null=False))


def _parquet_table(folder: Path):
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(folder)
    return pa.table({n: pc.cast(table[n], pa.string()) for n in table.column_names})


def _sorted(table, keys: list[str]):
    import pyarrow.compute as pc

    return table.take(pc.sort_indices(table, sort_keys=[(k, "ascending") for k in keys]))


def compare(embedded: Path, spark: Path) -> tuple[str, list[str]]:
    """``identical`` or ``DIFFERENT``, with what differs (the first rows of each)."""
    notes: list[str] = []
    for kind, keys in (("mrr", ["customer_id", "month"]), ("charges", None)):
        csv, folder = embedded / f"{kind}.csv", spark / f"{kind}.parquet"
        if csv.exists() != folder.exists():
            notes.append(f"{kind}: {csv.name} {'present' if csv.exists() else 'absent'}, "
                         f"{folder.name} {'present' if folder.exists() else 'absent'}")
            continue
        if not csv.exists():
            continue
        left, right = _csv_table(csv), _parquet_table(folder)
        if left.column_names != right.column_names:
            notes.append(f"{kind}: columns {left.column_names} vs {right.column_names}")
            continue
        if keys is None:
            keys = left.column_names
            left = _sorted(left, keys)
        right = _sorted(right, keys)  # the embedded mrr.csv is in its own order: sorted by customer and month
        if left.num_rows != right.num_rows:
            notes.append(f"{kind}: {left.num_rows:,} rows vs {right.num_rows:,}")
        if not left.equals(right):
            notes.extend(_first_differences(kind, left, right, keys))
        del left, right
    a = (embedded / "import-summary.txt").read_text(encoding="utf-8")
    b = (spark / "import-summary.txt").read_text(encoding="utf-8")
    b = b.replace("mrr.parquet", "mrr.csv").replace("charges.parquet", "charges.csv")
    if a != b:
        import difflib
        notes.append("import-summary.txt: " + " | ".join(
            line for line in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---")))[:1500])
    return ("identical" if not notes else "DIFFERENT"), notes


def _first_differences(kind: str, left, right, keys: list[str], limit: int = 10) -> list[str]:
    """The first rows of either side that the other side has not (matched on every column)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cols = left.column_names

    def row_keys(table):
        return pc.binary_join_element_wise(*[table[c] for c in cols], "\x1f")

    lk, rk = row_keys(left), row_keys(right)
    only_left = left.filter(pc.invert(pc.is_in(lk, value_set=rk)))
    only_right = right.filter(pc.invert(pc.is_in(rk, value_set=lk)))
    notes = [f"{kind}: {only_left.num_rows:,} rows only in the embedded output, {only_right.num_rows:,} only in "
             "Spark's" + ("" if only_left.num_rows or only_right.num_rows else " (the same rows in another order)")]
    for side, table in (("embedded", only_left), ("spark", only_right)):
        for row in table.slice(0, limit).to_pylist():
            notes.append(f"  {side}: {row}")
    del pa
    return notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--budget-gib", type=float, default=8.0)
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument("--engines", nargs="+", choices=["embedded", "spark"], default=["embedded", "spark"])
    parser.add_argument("--timeout-min", type=float, default=25.0, help="stop a run still going after this long")
    parser.add_argument("--note", default="", help="a line about the machine's load during the runs")
    parser.add_argument("--rewrite", action="store_true", help="only rewrite the section from its rows")
    args = parser.parse_args(argv)
    rows, note = earlier_rows()
    note = args.note or note
    for size in [] if args.rewrite else args.sizes:
        export = write_export(size, ("parquet",))["parquet"]
        lines = parquet_rows(export)
        outs = {}
        for engine in args.engines:
            out = OUT / f"import-{engine}-c{size}"
            print(f"{size:,} customers ({lines:,} lines), {engine}, load {os.getloadavg()[0]:.1f} ...", flush=True)
            r = run_import(engine, export, args.budget_gib, args.driver_memory, out, args.timeout_min * 60)
            print(f"  {r['status']}: {r['seconds']:.1f} s, peak {r['peak_mb']:.0f} MB", flush=True)
            r.update(size=size, fmt=export.suffix[1:], lines=lines, budget_gib=args.budget_gib)
            rows[:] = [x for x in rows if (x["size"], x["engine"], x["budget_gib"])
                       != (size, engine, args.budget_gib)] + [r]
            outs[engine] = out
        for engine in ("embedded", "spark"):  # the other engine's last run of this export
            earlier = OUT / f"import-{engine}-c{size}"
            if engine not in outs and (earlier / "status.txt").exists():
                outs[engine] = earlier
        if len(outs) == 2 and all((o / "status.txt").read_text().startswith("ok") for o in outs.values()):
            same, notes = compare(outs["embedded"] / "data", outs["spark"] / "data")
            print(f"  outputs: {same}", flush=True)
            for line in notes:
                print(f"    {line}", flush=True)
            (OUT / f"import-compare-c{size}.txt").write_text("\n".join([same, *notes]) + "\n")
            for r in rows:
                if r["size"] == size and r["budget_gib"] == args.budget_gib:
                    r["same_output"] = same
        write_section(rows, note)
    write_section(rows, note)
    return 0


def earlier_rows() -> tuple[list[dict], str]:
    """The rows (and the load note) of this section of SPARK_RESULTS.md."""
    if not RESULTS.exists():
        return [], ""
    text = RESULTS.read_text()
    if SECTION not in text:
        return [], ""
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    rows, note = [], ""
    for line in section.splitlines():
        if line.startswith("Machine:") and "indicative." in line:
            note = line.split("indicative.", 1)[1].strip()
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != len(COLUMNS) or not cells[0].replace(",", "").isdigit():
            continue
        rows.append({"size": int(cells[0].replace(",", "")), "fmt": cells[1], "lines": int(cells[2].replace(",", "")),
                     "engine": cells[3], "budget_gib": float(cells[4]), "status": cells[5],
                     "seconds": float(cells[6]), "peak_mb": float(cells[7].replace(",", "")),
                     "same_output": cells[8]})
    return rows, note


def write_section(rows: list[dict], note: str) -> None:
    lines = [
        SECTION,
        "",
        "Written by `benchmarks/spark_import.py` (issue 12, item 5). Each run is one fresh process of",
        "",
        "    python -m saas_kit.cli import stripe-invoice-lines c<N>.parquet --out OUT --as-of 2026-11-01 --currency USD",
        "        [--engine spark --spark-master local[*]]",
        "",
        "on a Stripe invoice-line export of `benchmarks/invoice_lines_export.py` (seed 12; about 15 lines",
        "per customer: monthly lines for 85% of the customers, yearly for 15%, mid-month plan changes with",
        "two cent-rounded proration lines for 5%, discounts, tax, setup fees, a few credits; Parquet,",
        "amounts as int64, dates as ISO text): read and check every line, the service periods in calendar",
        "months, the snapping of partial-month rates, the customer-month MRR up to 2026-10 and the one-off",
        "charges, written as `mrr.csv`/`charges.csv` (embedded) or the Parquet folders `mrr.parquet`/",
        "`charges.parquet` (Spark), with `dataset.yml` and `import-summary.txt`. The runner, memory budget",
        "(a memory cgroup around the process tree), Spark settings and measurements are those of",
        "`benchmarks/spark_engines.py` (the first table of this file). `outputs`: the MRR rows identical",
        "(every column as text, sorted by customer and month), the charges identical (sorted by every",
        "column), the summaries identical but for `.parquet`/`.csv`; blank where one engine did not finish.",
        "",
        f"Machine: {os.cpu_count()} cores, {_mem_gib():.0f} GiB RAM, Python {platform.python_version()}, "
        f"{_spark_version()}; shared with other jobs, so times are indicative." + (f" {note}" if note else ""),
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|--:|:--|--:|:--|--:|:--|--:|--:|:--|",
    ]
    for r in sorted(rows, key=lambda r: (r["size"], -r["budget_gib"], r["engine"])):
        lines.append(f"| {r['size']:,} | {r['fmt']} | {r['lines']:,} | {r['engine']} | {r['budget_gib']:g} "
                     f"| {r['status']} | {r['seconds']:.1f} | {r['peak_mb']:,.0f} | {r.get('same_output', '')} |")
    lines += ["", "### Crossover (import)", "", crossover(rows), ""]
    text = RESULTS.read_text() if RESULTS.exists() else ""
    if SECTION in text:
        before, rest = text.split(SECTION, 1)
        after = rest.split("\n## ", 1)[1] if "\n## " in rest else ""
        text = before + "\n".join(lines) + ("\n## " + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines)
    RESULTS.write_text(text)


def crossover(rows: list[dict]) -> str:
    """What was measured, per size: who is faster where both finish, or which one did not."""
    pairs: dict[tuple, dict[str, dict]] = {}
    for r in rows:
        pairs.setdefault((r["size"], r["budget_gib"]), {})[r["engine"]] = r
    notes = []
    for (size, budget), pair in sorted(pairs.items()):
        e, s = pair.get("embedded"), pair.get("spark")
        if not e or not s:
            continue
        e_ok, s_ok = e["status"].startswith("ok"), s["status"].startswith("ok")
        if e_ok and s_ok:
            faster, ratio = ("embedded", s["seconds"] / e["seconds"]) if e["seconds"] <= s["seconds"] else \
                ("Spark", e["seconds"] / s["seconds"])
            notes.append(f"- {size:,} customers, {budget:g} GiB: both finish; {faster} is {ratio:.1f}x faster "
                         f"({e['seconds']:.0f} s vs {s['seconds']:.0f} s), embedded peak {e['peak_mb']:,.0f} MB, "
                         f"Spark peak {s['peak_mb']:,.0f} MB.")
        elif s_ok:
            notes.append(f"- {size:,} customers, {budget:g} GiB: the embedded engine did not finish ({e['status']}, "
                         f"{e['seconds']:.0f} s, peak {e['peak_mb']:,.0f} MB); Spark finished in {s['seconds']:.0f} s "
                         f"with a peak of {s['peak_mb']:,.0f} MB.")
        else:
            notes.append(f"- {size:,} customers, {budget:g} GiB: embedded {e['status']} ({e['seconds']:.0f} s); "
                         f"Spark {s['status']} ({s['seconds']:.0f} s).")
    return "\n".join([*notes, "", summary_sentence(pairs)]) if notes else ""


def summary_sentence(pairs: dict) -> str:
    """One sentence: between which measured sizes Spark takes over, or that it did not."""
    embedded_wins, spark_wins, why = [], [], {}
    for (size, budget), pair in sorted(pairs.items()):
        e, s = pair.get("embedded"), pair.get("spark")
        if not e or not s:
            continue
        e_ok, s_ok = e["status"].startswith("ok"), s["status"].startswith("ok")
        if e_ok and (not s_ok or e["seconds"] <= s["seconds"]):
            embedded_wins.append(size)
        elif s_ok:
            spark_wins.append(size)
            why[size] = ("Spark faster" if e_ok else
                         f"the embedded engine {e['status'].replace('not finished', 'unfinished')}, Spark the only "
                         "one to finish")
    if spark_wins and embedded_wins and max(embedded_wins) < min(spark_wins):
        return (f"Crossover: between {max(embedded_wins):,} customers (embedded faster) and {min(spark_wins):,} "
                f"({why[min(spark_wins)]}); no size between them was measured.")
    if spark_wins and not embedded_wins:
        return f"Crossover: at or below {min(spark_wins):,} customers, the smallest size measured (Spark ahead there)."
    if embedded_wins and not spark_wins:
        return (f"Crossover: not reached in the sizes measured; the embedded engine is faster up to "
                f"{max(embedded_wins):,} customers.")
    return "Crossover: the sizes measured do not give one (see the rows)."


if __name__ == "__main__":
    sys.exit(main())
