"""Embedded engine vs Spark engine (issue 12): the month analysis from the files, time and
peak memory, and where Spark takes over.

    .venv/bin/python benchmarks/spark_engines.py [--sizes 100000 1000000 10000000]
        [--format csv|parquet] [--budget-gib 8] [--driver-memory 4g] [--engines embedded spark]

For every size the generated company of ``benchmarks/data/e2e/c<N>-<format>/`` is used
(the files of ``benchmarks/e2e.py``; made with ``saas-kit generate`` and written as
Parquet when missing) and ``saas-kit metrics DATA --tables OUT`` runs once per engine in
a fresh process: read and validate every file, the customer-month MRR, the month's facts
(bridge with rates, twelve-month retention, segments, cohorts, MRR by month, one-off
charges, billing periods, who moved, the files table and the loader's warnings), the
headline metrics printed and every ledger table written as CSV.

* **the same fixed memory budget for both engines**: each run is placed in its own
  memory cgroup (v1 ``memory.limit_in_bytes``, no swap on this machine) limited to
  ``--budget-gib``; a run that needs more is killed by the kernel and reported as
  failed. Where cgroups cannot be created the embedded run gets an address-space limit
  (RLIMIT_AS) instead and the Spark run only its heap setting;
* the Spark engine runs in local mode on every core with a driver (= executor) heap of
  ``--driver-memory``, its shuffle and cache spilling to local disk;
* time is wall time of the whole command (Spark's includes starting its JVM); peak
  memory is the largest summed resident set of the command's process tree (the Python
  process and, for Spark, its JVM), sampled every 0.1 s;
* where both engines finish, their printed metrics and every table file must be
  byte-identical.

``--activation`` measures the activation chapter from the product event log instead (the
stage that outgrows a laptop first): ``saas-kit metrics DATA --tables OUT --activation`` on a
company generated with onboarding events for every signup (``saas-kit generate
--event-customers all --format parquet``, ``benchmarks/data/events/c<N>-parquet-us/``; about
22 events per customer): the ledger tables as above plus the activation rate per cohort,
retention by activation, the magic-moment search over every event, threshold and window, the
onboarding funnel, time to first value and early churn. Sizes above 1,000,000 customers are the
1,000,000-customer company tiled (``c<N>-tiled-parquet-us``: copy k of every file with
``-t<k>`` appended to every ``*_id``, so the customers are distinct and every figure is that of
a company of that size; the company's monthly figures are the original's).

Writes benchmarks/SPARK_RESULTS.md (rows of earlier runs of other sizes are kept).
Not a test: the numbers depend on the machine.
"""
from __future__ import annotations

import argparse
import filecmp
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data" / "e2e"
RESULTS = ROOT / "benchmarks" / "SPARK_RESULTS.md"
CGROUP_ROOT = Path("/sys/fs/cgroup/memory")
sys.path.insert(0, str(ROOT / "benchmarks"))

from run import _tree_rss_mb  # noqa: E402  (the project's process-tree memory probe)

COLUMNS = ["customers", "format", "subscription rows", "engine", "memory budget (GiB)", "result", "time (s)",
           "peak memory (MB)", "outputs"]
#: The activation table: the same columns with the event rows after the subscription rows.
ACTIVATION_COLUMNS = [*COLUMNS[:3], "event rows", *COLUMNS[3:]]
EVENTS_DATA = ROOT / "benchmarks" / "data" / "events"
TILE_UNIT = 1_000_000


def ensure_company(customers: int, fmt: str) -> Path:
    """The generated company of ``customers`` as ``fmt`` files, made once. Parquet is the
    e2e benchmark's (``c<N>-parquet``, written by pandas) with its timestamps in
    microseconds (``c<N>-parquet-us``): Spark cannot read pandas' nanoseconds, and
    Spark-written Parquet (a lakehouse's) has microseconds."""
    csv_dir = DATA / f"c{customers}-csv"
    target = csv_dir if fmt == "csv" else DATA / f"c{customers}-parquet-us"
    if (target / f"subscriptions.{fmt}").exists():
        return target
    source = DATA / f"c{customers}-parquet"
    if not (csv_dir / "subscriptions.csv").exists() and not (source / "subscriptions.parquet").exists():
        print(f"generating {customers:,} customers ...", flush=True)
        subprocess.run([str(Path(sys.executable).parent / "saas-kit"), "generate", "--customers", str(customers),
                        "--out", str(csv_dir)], check=True, stdout=subprocess.DEVNULL)
    if fmt == "parquet":
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        target.mkdir(parents=True, exist_ok=True)
        if (source / "subscriptions.parquet").exists():
            for f in source.glob("*.parquet"):
                write_parquet_us(f, target / f.name)
            shutil.copy2(source / "dataset.yml", target / "dataset.yml")
        else:
            for f in csv_dir.glob("*.csv"):
                pq.write_table(pacsv.read_csv(f, convert_options=pacsv.ConvertOptions(strings_can_be_null=False)),
                               target / f"{f.stem}.parquet", coerce_timestamps="us")
            shutil.copy2(csv_dir / "dataset.yml", target / "dataset.yml")
    return target


def ensure_event_company(customers: int) -> Path:
    """The company of ``customers`` with onboarding events for every signup, as Parquet with
    microsecond timestamps, made once: generated up to :data:`TILE_UNIT` customers, the
    :data:`TILE_UNIT` company tiled above (a multiple of it)."""
    target = EVENTS_DATA / (f"c{customers}-parquet-us" if customers <= TILE_UNIT else f"c{customers}-tiled-parquet-us")
    if (target / "events.parquet").exists():
        return target
    if customers > TILE_UNIT:
        if customers % TILE_UNIT:
            raise SystemExit(f"--activation sizes above {TILE_UNIT:,} must be multiples of it (got {customers:,})")
        tile_company(ensure_event_company(TILE_UNIT), customers // TILE_UNIT, target)
        return target
    generated = EVENTS_DATA / f"c{customers}-parquet"
    if not (generated / "events.parquet").exists():
        print(f"generating {customers:,} customers with events for every signup ...", flush=True)
        subprocess.run([str(Path(sys.executable).parent / "saas-kit"), "generate", "--customers", str(customers),
                        "--event-customers", "all", "--format", "parquet", "--out", str(generated)],
                       check=True, stdout=subprocess.DEVNULL)
    staging = target.with_name(target.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for f in generated.glob("*.parquet"):
        write_parquet_us(f, staging / f.name)
    shutil.copy2(generated / "dataset.yml", staging / "dataset.yml")
    os.replace(staging, target)
    return target


def write_parquet_us(source: Path, target: Path) -> None:
    """Copy a Parquet file with its timestamps in microseconds (Spark cannot read pandas'
    nanoseconds; Spark-written Parquet, a lakehouse's, has microseconds), batch by batch."""
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(source)
    with pq.ParquetWriter(target, parquet.schema_arrow, coerce_timestamps="us") as writer:
        for batch in parquet.iter_batches(batch_size=1_000_000):
            writer.write_batch(batch)


def tile_company(source: Path, copies: int, target: Path) -> None:
    """``copies`` copies of the company at ``source`` in one folder: copy k (from 1; copy 0 is
    the original) has ``-t<k>`` appended to every ``*_id`` value of every file. The company's
    monthly figures (``company.parquet``) and ``dataset.yml`` are the original's. Streams in
    batches: memory stays that of one batch."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    print(f"tiling {source.name} x{copies} into {target.name} ...", flush=True)
    staging = target.with_name(target.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for f in source.glob("*.parquet"):
        parquet = pq.ParquetFile(f)
        if f.stem == "company":
            shutil.copy2(f, staging / f.name)
            continue
        with pq.ParquetWriter(staging / f.name, parquet.schema_arrow) as writer:
            for k in range(copies):
                for batch in parquet.iter_batches(batch_size=1_000_000):
                    if k:
                        columns = [pc.binary_join_element_wise(col, pa.scalar(f"t{k}", col.type), "-")
                                   if name.endswith("_id") else col
                                   for name, col in zip(batch.schema.names, batch.columns)]
                        batch = pa.RecordBatch.from_arrays(columns, schema=batch.schema)
                    writer.write_batch(batch)
    shutil.copy2(source / "dataset.yml", staging / "dataset.yml")
    os.replace(staging, target)


def parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


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


def run_engine(engine: str, data_dir: Path, budget_gib: float, driver_memory: str, out: Path,
               activation: bool = False) -> dict:
    """One ``saas-kit metrics DATA --tables OUT [--activation]`` run: seconds, peak tree RSS (MB),
    ok / why it failed."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    cmd = [str(Path(sys.executable).parent / "saas-kit"), "metrics", str(data_dir), "--tables", str(out / "tables")]
    if activation:
        cmd.append("--activation")
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    if engine == "spark":
        cmd += ["--engine", "spark", "--spark-master", "local[*]"]
        env["SAAS_KIT_SPARK_DRIVER_MEMORY"] = driver_memory
    budget = MemoryBudget(budget_gib, f"{engine}_{data_dir.name}")
    t = time.perf_counter()
    with open(out / "stdout.txt", "w") as stdout, open(out / "stderr.txt", "w") as stderr:
        proc = subprocess.Popen(cmd, stdout=stdout, stderr=stderr, text=True, env=env,
                                preexec_fn=budget.preexec(engine))
        peak = 0.0
        while proc.poll() is None:
            peak = max(peak, _tree_rss_mb(proc.pid))
            time.sleep(0.1)
    seconds = time.perf_counter() - t
    err = (out / "stderr.txt").read_text(errors="replace")
    killed = budget.oom_killed() or proc.returncode in (-9, 137)
    budget.close()
    status = run_status(proc.returncode, killed, err, engine, budget_gib, driver_memory)
    (out / "status.txt").write_text(status)
    return {"engine": engine, "seconds": seconds, "peak_mb": peak, "status": status}


def run_status(returncode: int, killed: bool, err: str, engine: str, budget_gib: float, driver_memory: str) -> str:
    """How a run ended, in the results table's words."""
    if returncode == 0:
        return "ok" if engine == "embedded" else f"ok, {driver_memory} heap"
    if killed:
        return f"killed by the {budget_gib:g} GiB budget"
    if "MemoryError" in err or "Unable to allocate" in err or "OutOfMemory" in err:
        return f"out of memory in the {budget_gib:g} GiB budget"
    last = [line for line in err.strip().splitlines() if line.strip()][-1:] or [""]
    return f"failed (exit {returncode}): {last[0][:200]}"


def same_outputs(a: Path, b: Path) -> bool:
    """The printed metrics and every table file byte-identical."""
    if (a / "stdout.txt").read_bytes() != (b / "stdout.txt").read_bytes():
        return False
    left, right = sorted(p.name for p in (a / "tables").iterdir()), sorted(p.name for p in (b / "tables").iterdir())
    return left == right and all(filecmp.cmp(a / "tables" / n, b / "tables" / n, shallow=False) for n in left)


def subscription_rows(data_dir: Path) -> int:
    files = list(data_dir.glob("subscriptions.*"))
    if files[0].suffix == ".parquet":
        return parquet_rows(files[0])
    with open(files[0], "rb") as f:
        return sum(1 for _ in f) - 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--format", choices=["csv", "parquet"], default="csv")
    parser.add_argument("--budget-gib", type=float, default=8.0)
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument("--engines", nargs="+", choices=["embedded", "spark"], default=["embedded", "spark"])
    parser.add_argument("--note", default="", help="a line about the machine's load during the runs")
    parser.add_argument("--rewrite", action="store_true", help="only rewrite SPARK_RESULTS.md from its rows")
    parser.add_argument("--activation", action="store_true",
                        help="the activation chapter from the event log (metrics --activation) on companies with "
                             "events for every signup, as Parquet; sizes above 1,000,000 are multiples of it")
    args = parser.parse_args(argv)
    rows, activation_rows = earlier_rows()
    if not args.rewrite:
        for size in args.sizes:
            data_dir = ensure_event_company(size) if args.activation else ensure_company(size, args.format)
            fmt = "parquet" if args.activation else args.format
            outs = {}
            for engine in args.engines:
                kind = "activation-" if args.activation else ""
                out = ROOT / "benchmarks" / "data" / "spark-out" / f"{kind}{engine}-{data_dir.name}"
                load = os.getloadavg()[0]
                print(f"{size:,} customers ({fmt}{', activation' if args.activation else ''}), {engine}, "
                      f"load {load:.1f} ...", flush=True)
                r = run_engine(engine, data_dir, args.budget_gib, args.driver_memory, out, args.activation)
                print(f"  {r['status']}: {r['seconds']:.1f} s, peak {r['peak_mb']:.0f} MB", flush=True)
                r.update(size=size, fmt=fmt, budget_gib=args.budget_gib, subscriptions=subscription_rows(data_dir))
                if args.activation:
                    r["events"] = parquet_rows(data_dir / "events.parquet")
                table = activation_rows if args.activation else rows
                table[:] = [x for x in table if (x["size"], x["fmt"], x["engine"], x["budget_gib"])
                            != (size, fmt, engine, args.budget_gib)] + [r]
                outs[engine] = (out, r)
            for engine, other in (("embedded", "spark"), ("spark", "embedded")):
                if engine in outs and other not in outs:  # the other engine's last run of these files
                    kind = "activation-" if args.activation else ""
                    earlier = ROOT / "benchmarks" / "data" / "spark-out" / f"{kind}{other}-{data_dir.name}"
                    status = earlier / "status.txt"
                    if status.exists() and status.read_text().startswith("ok"):
                        table = activation_rows if args.activation else rows
                        row = next((x for x in table if (x["size"], x["fmt"], x["engine"]) == (size, fmt, other)
                                    and x["status"].startswith("ok")), {"status": "ok"})
                        outs[other] = (earlier, row)
            if len(outs) == 2 and all(r["status"].startswith("ok") for _, r in outs.values()):
                same = "identical" if same_outputs(outs["embedded"][0], outs["spark"][0]) else "DIFFERENT"
                for _, r in outs.values():
                    r["same_output"] = same
            write_results(rows, activation_rows, args)
    write_results(rows, activation_rows, args)
    return 0


def earlier_rows() -> tuple[list[dict], list[dict]]:
    """The rows of SPARK_RESULTS.md written by this version of the script: its table of
    ``metrics --tables`` runs and its table of ``metrics --tables --activation`` runs."""
    if not RESULTS.exists():
        return [], []
    rows: list[dict] = []
    activation: list[dict] = []
    own = RESULTS.read_text().split("\n## Import of invoice lines", 1)[0]  # that section is spark_import.py's
    for line in own.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) not in (len(COLUMNS), len(ACTIVATION_COLUMNS)) or not cells[0].replace(",", "").isdigit():
            continue
        events = None
        if len(cells) == len(ACTIVATION_COLUMNS):
            events = int(cells.pop(3).replace(",", ""))
        row = {"size": int(cells[0].replace(",", "")), "fmt": cells[1],
               "subscriptions": int(cells[2].replace(",", "")), "engine": cells[3],
               "budget_gib": float(cells[4]), "status": cells[5], "seconds": float(cells[6]),
               "peak_mb": float(cells[7].replace(",", "")), "same_output": cells[8]}
        if events is None:
            rows.append(row)
        else:
            activation.append({**row, "events": events})
    return rows, activation


def write_results(rows: list[dict], activation_rows: list[dict], args) -> None:
    lines = [
        "# Embedded vs Spark engine: the month analysis from the files",
        "",
        "Written by `benchmarks/spark_engines.py` (issue 12). Each run is one fresh process of",
        "`saas-kit metrics DATA --tables OUT` on a generated company (`benchmarks/data/e2e/c<N>-<format>/`:",
        "subscriptions, customers, one-off charges, company figures): read and validate every file, the",
        "customer-month MRR, the month's facts (bridge with rates, twelve-month retention, segments, cohorts,",
        "MRR by month, one-off charges, billing periods, who moved, the files table, the loader's warnings),",
        "the headline metrics printed and every ledger table written as CSV. Both engines get the same",
        "memory budget for the whole process tree (a memory cgroup; the kernel kills a run that needs more).",
        "Spark runs in local mode on every core with the driver heap shown with its result, its cache and",
        "shuffles spilling to local disk. Peak memory is the largest summed resident set of the process tree",
        "(Python and, for Spark, its JVM), sampled every 0.1 s. Time is wall time, JVM start included.",
        "`outputs`: the printed metrics and every table file byte-identical between the engines.",
        "",
        f"Machine: {os.cpu_count()} cores, {_mem_gib():.0f} GiB RAM, Python {platform.python_version()}, "
        f"{_spark_version()}; shared with other jobs, so times are indicative."
        + (f" {args.note}" if getattr(args, "note", "") else ""),
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|--:|:--|--:|:--|--:|:--|--:|--:|:--|",
    ]
    for r in sorted(rows, key=lambda r: (r["size"], r["fmt"], -r["budget_gib"], r["engine"])):
        lines.append(f"| {r['size']:,} | {r['fmt']} | {r['subscriptions']:,} | {r['engine']} | {r['budget_gib']:g} "
                     f"| {r['status']} | {r['seconds']:.1f} | {r['peak_mb']:,.0f} | {r.get('same_output', '')} |")
    lines += ["", "## Crossover", "", crossover(rows), ""]
    if activation_rows:
        lines += [
            "## The activation chapter from the event log",
            "",
            "`saas-kit metrics DATA --tables OUT --activation` (`benchmarks/spark_engines.py --activation`): as",
            "above, plus the onboarding events (`benchmarks/data/events/`: every signup has events, about 22 per",
            "customer; above 1,000,000 customers the 1,000,000-customer company tiled with distinct ids) and the",
            "activation chapter's tables: the activation rate per signup cohort, retention by activation, the",
            "magic-moment search (every event x 5 thresholds x 3 windows, ranked), the onboarding funnel, time",
            "to first value and early churn. `outputs`: every file of the two engines byte-identical.",
            "",
            "| " + " | ".join(ACTIVATION_COLUMNS) + " |",
            "|--:|:--|--:|--:|:--|--:|:--|--:|--:|:--|",
        ]
        for r in sorted(activation_rows, key=lambda r: (r["size"], -r["budget_gib"], r["engine"])):
            lines.append(f"| {r['size']:,} | {r['fmt']} | {r['subscriptions']:,} | {r['events']:,} | {r['engine']} "
                         f"| {r['budget_gib']:g} | {r['status']} | {r['seconds']:.1f} | {r['peak_mb']:,.0f} "
                         f"| {r.get('same_output', '')} |")
        lines += ["", "### Crossover (activation)", "", crossover(activation_rows), ""]
    lines += SPEED_NOTES
    kept = ""  # the import section of benchmarks/spark_import.py, kept as it is
    if RESULTS.exists() and "\n## Import of invoice lines" in RESULTS.read_text():
        kept = "\n## Import of invoice lines" + RESULTS.read_text().split("\n## Import of invoice lines", 1)[1]
        kept = kept.split("\n## Why `movements`", 1)[0].rstrip("\n")
    RESULTS.write_text("\n".join(lines).rstrip("\n") + ("\n" + kept + "\n" if kept else ""))


#: Why the Spark engine was slow before issue 12's rework (the measurements that found it).
SPEED_NOTES = [
    "## Why `movements` took 336 s at 100,000 customers before",
    "",
    "The earlier runs of this file (`saas-kit movements` alone: 336 s at 100k, 639 s at 1M customers)",
    "were not spent on data. The Spark stage log of a 100k run showed the validation pass at about",
    "100 µs per row, and the customer-month stage as slow, on 2 tasks: every check of the loader was",
    "one expression built from the raw text, so the date pattern ran nine times per cell and",
    "Catalyst inlined it into every check (one date's parse was a plan of several thousand",
    "characters); the code generated for the stage was a method over HotSpot's 8000-byte limit",
    "(`Generated method too long to be JIT compiled`), so it ran in the bytecode interpreter; the",
    "subscriptions were parsed twice (validation, then again for the customer-months, not cached),",
    "and each later stage re-shuffled the customer-months. Fixed with standard means:",
    "",
    "- cells are parsed in staged projections (trimmed text, then the date's pieces, then typed",
    "  values), so each pattern runs once per cell (Catalyst does not merge a projection whose",
    "  expensive expression the next one repeats); ISO dates and timestamps, what every export",
    "  writes, are cut by position and only other forms go through the pattern;",
    "- every check is a bit of one column and one aggregation over the cached typed rows finds the",
    "  first bad row of each (the row's value is looked up only when there is one); the typed rows",
    "  are cached once (memory, spilling to disk) and every later stage reads them;",
    "- a JVM the engine starts gets `-XX:-DontCompileHugeMethods`, so generated methods over",
    "  8000 bytes are compiled;",
    "- the customer-months are hash-partitioned by customer with one shuffle, sorted and cached;",
    "  the windows read that cache without a shuffle, and one window and one aggregation give every",
    "  sum of the month (bridge per segment, twelve-month retention, cohorts, MRR by month, the",
    "  movers): a few jobs instead of dozens of small ones;",
    "- shuffle partitions: twice the cores in local mode (adaptive query execution coalesces small",
    "  ones), one per 500,000 subscriptions for the customer-months of a large ledger.",
    "",
]


def crossover(rows: list[dict]) -> str:
    pairs: dict[tuple, dict[str, dict]] = {}
    for r in rows:
        pairs.setdefault((r["size"], r["fmt"], r["budget_gib"]), {})[r["engine"]] = r
    notes = []
    for (size, fmt, budget), pair in sorted(pairs.items()):
        e, s = pair.get("embedded"), pair.get("spark")
        if not e or not s:
            continue
        if e["status"].startswith("ok") and s["status"].startswith("ok"):
            faster, ratio = ("embedded", s["seconds"] / e["seconds"]) if e["seconds"] <= s["seconds"] else \
                ("Spark", e["seconds"] / s["seconds"])
            notes.append(f"- {size:,} customers ({fmt}), {budget:g} GiB: both finish; {faster} is {ratio:.1f}x faster "
                         f"({e['seconds']:.0f} s vs {s['seconds']:.0f} s), embedded peak {e['peak_mb']:,.0f} MB, "
                         f"Spark peak {s['peak_mb']:,.0f} MB.")
        elif s["status"].startswith("ok"):
            notes.append(f"- {size:,} customers ({fmt}): the embedded engine does not fit the {budget:g} GiB budget "
                         f"({e['status']} after {e['seconds']:.0f} s); Spark finishes in {s['seconds']:.0f} s with a "
                         f"peak of {s['peak_mb']:,.0f} MB.")
        else:
            notes.append(f"- {size:,} customers ({fmt}), {budget:g} GiB: embedded {e['status']}; Spark {s['status']}.")
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
