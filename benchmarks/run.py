"""Scale benchmark of saas_kit (issue 4): ``make benchmark`` or

    .venv/bin/python benchmarks/run.py [--sizes 10000 100000 1000000] [--repeat 3]

Generates companies with the sample generator (cached under benchmarks/data/; every
window signup gets its onboarding events, so the event log grows with the company),
then times every step in a fresh subprocess (median of ``--repeat`` runs; peak resident
memory from the subprocess' own high-water mark, VmHWM), runs the DuckDB window-SQL reference
and the per-customer Python loop on the same data, checks that they agree with
saas_kit on every month, and writes benchmarks/RESULTS.md: the per-step diagnosis inside
one process. What a user waits for, whole commands from the export file against DuckDB
from the same file, is measured by benchmarks/e2e.py (benchmarks/E2E_RESULTS.md).

Memory target (loading + movements <= 4x the loaded ledger): the ledger is the loaded
subscriptions frame as pandas counts it (``memory_usage(deep=True)``); the memory used
is the step's peak resident set minus the process before the step, after imports and
after reading a 20-row Parquet file once, so that the readers' fixed start-up cost
(thread pool, allocator arenas, shared libraries) is not charged to the data.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
GENERATOR = {"months": 36, "max_event_customers": None}  # parameters of the cached companies
WARMUP_ROWS = 20
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

LOOP_MAX_CUSTOMERS = 10_000


# ----------------------------------------------------------------------------- steps (run in a subprocess)


def _customer_mrr(data_dir: Path):
    from saas_kit.loading import load_subscriptions
    from saas_kit.mrr import monthly_mrr

    subs, _, _ = load_subscriptions(data_dir / "subscriptions.parquet")
    return subs, monthly_mrr(subs)


def step(name: str, data_dir: Path) -> dict:
    """Prepare untimed inputs, time one step, return seconds and extra facts."""
    import pandas as pd

    from saas_kit import cohorts, movements, mrr, rates
    from saas_kit.loading import load_subscriptions

    extra: dict = {}
    if name == "load_csv":
        t = time.perf_counter()
        subs, _, _ = load_subscriptions(data_dir / "subscriptions.csv")
        sec = time.perf_counter() - t
        extra["rows"] = len(subs)
    elif name == "load_parquet":
        t = time.perf_counter()
        subs, _, _ = load_subscriptions(data_dir / "subscriptions.parquet")
        sec = time.perf_counter() - t
    elif name == "load_and_movements":  # peak memory of loading plus movements vs the ledger's size
        gc.collect()
        imports_mb = _rss_now_mb()
        _warm_up(data_dir)
        base = _rss_now_mb()
        t = time.perf_counter()
        subs, _, _ = load_subscriptions(data_dir / "subscriptions.parquet")
        ledger_mb = subs.memory_usage(deep=True).sum() / 2**20
        cm = mrr.monthly_mrr(subs)
        movements.mrr_movements(cm)
        sec = time.perf_counter() - t
        extra.update(ledger_mb=ledger_mb, baseline_mb=base, imports_mb=imports_mb, customer_months=len(cm))
    else:
        subs, cm = _customer_mrr(data_dir)
        extra["customer_months"] = len(cm)
        t = time.perf_counter()
        if name == "monthly_mrr":
            mrr.monthly_mrr(subs)
        elif name == "movements":
            movements.mrr_movements(cm)
        elif name == "trailing_nrr":
            rates.trailing_retention(cm)
        elif name == "cohorts":
            cohorts.cohort_table(cm, "logo", max_age=None)
            cohorts.cohort_table(cm, "revenue", max_age=None)
        elif name == "magic_moment":
            from saas_kit.activation import customer_outcomes, magic_moment_search
            from saas_kit.loading import read_table, validate_customers, validate_events

            customers, _ = validate_customers(read_table(data_dir / "customers.parquet", "customers"), "customers")
            events, _ = validate_events(read_table(data_dir / "events.parquet", "events"), "events")
            extra["events"] = len(events)
            t = time.perf_counter()
            outcomes = customer_outcomes(customers, subs, subs["start_date"].max())
            magic_moment_search(events, outcomes)
        elif name == "duckdb_movements":
            from duckdb_reference import duckdb_movements

            from saas_kit.calendar import month_numbers
            from saas_kit.money import to_ticks

            frame = pd.DataFrame({"customer_id": cm["customer_id"].to_numpy(),
                                  "month_no": month_numbers(cm["month"]), "mrr_ticks": to_ticks(cm["mrr"])})
            last = int(frame["month_no"].max())
            t = time.perf_counter()
            duckdb_movements(frame, last)
        elif name == "loop_movements":
            import oracle

            rows = [(r.customer_id, r.start_date.date(), None if pd.isna(r.end_date) else r.end_date.date(),
                     r.amount, r.billing_period) for r in subs.itertuples()]
            last = cm["month"].max()
            t = time.perf_counter()
            oracle.bridge(rows, (last.year, last.month))
        else:
            raise SystemExit(f"unknown step {name}")
        sec = time.perf_counter() - t
    extra["seconds"] = sec
    extra["peak_mb"] = _peak_mb()
    return extra


def _warm_up(data_dir: Path) -> None:
    """Load and bridge a 20-row slice of the company once: the Parquet reader's and the
    allocators' fixed start-up cost, which does not grow with the data."""
    from saas_kit import movements, mrr
    from saas_kit.loading import load_subscriptions

    tiny = load_subscriptions(data_dir / "warmup" / "subscriptions.parquet")[0]
    movements.mrr_movements(mrr.monthly_mrr(tiny))
    del tiny
    gc.collect()


def _peak_mb() -> float:
    """This process' peak resident set (VmHWM). Not ``ru_maxrss``: Linux carries that
    over from the parent across fork and exec, so a child started by a large driver
    would report the driver's peak instead of its own."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux


def _rss_now_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# ----------------------------------------------------------------------------- driver


def run_step(name: str, data_dir: Path, repeat: int) -> dict:
    runs = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, __file__, "_step", name, str(data_dir)], capture_output=True,
                             text=True, check=False)
        if out.returncode != 0:
            raise SystemExit(f"step {name} on {data_dir.name} failed:\n{out.stderr[-3000:]}")
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    result = dict(runs[0])
    result["seconds"] = statistics.median(r["seconds"] for r in runs)
    result["peak_mb"] = max(r["peak_mb"] for r in runs)
    return result


def ensure_data(customers: int, data_root: Path = DATA) -> Path:
    """The company of ``customers`` as CSV and Parquet, generated once and reused while
    the generator parameters (kept in ``generated.json``) are unchanged."""
    import pandas as pd

    from saas_kit.generate import generate_company, write_company

    target = data_root / f"c{customers}"
    marker = target / "generated.json"
    wanted = {"customers": customers, **GENERATOR}
    if not marker.exists() or json.loads(marker.read_text()) != wanted:
        print(f"generating {customers:,} customers ...", flush=True)
        frames = generate_company(customers=customers, months=GENERATOR["months"],
                                  max_event_customers=GENERATOR["max_event_customers"])
        write_company(frames, target, fmt="csv")
        write_company(frames, target, fmt="parquet")
        del frames
        (target / "warmup").mkdir(exist_ok=True)
        pd.read_parquet(target / "subscriptions.parquet").head(WARMUP_ROWS).to_parquet(
            target / "warmup" / "subscriptions.parquet")
        marker.write_text(json.dumps(wanted))
    return target


def check_agreement(data_dir: Path, with_loop: bool) -> str:
    """saas_kit vs DuckDB (and the loop) on every month's movements, exactly in ticks."""
    import pandas as pd
    from duckdb_reference import duckdb_movements

    from saas_kit import movements
    from saas_kit.calendar import month_numbers
    from saas_kit.money import to_ticks

    subs, cm = _customer_mrr(data_dir)
    ours = movements.mrr_movements(cm)
    frame = pd.DataFrame({"customer_id": cm["customer_id"].to_numpy(), "month_no": month_numbers(cm["month"]),
                          "mrr_ticks": to_ticks(cm["mrr"])})
    ref = duckdb_movements(frame, int(frame["month_no"].max())).set_index("month_no")
    ours_no = month_numbers(ours["month"])
    for name in ("new", "expansion", "reactivation", "contraction", "churn"):
        got = pd.Series(to_ticks(ours[name]), index=ours_no)
        want = ref[name].reindex(got.index).fillna(0).astype("int64")
        if not (got == want).all():
            raise SystemExit(f"{data_dir.name}: saas_kit and DuckDB disagree on {name}")
    verdict = "saas_kit = DuckDB on every month"
    if with_loop:
        import oracle

        rows = [(r.customer_id, r.start_date.date(), None if pd.isna(r.end_date) else r.end_date.date(), r.amount,
                 r.billing_period) for r in subs.itertuples()]
        last = cm["month"].max()
        loop = {pd.Period(f"{r['month'][0]}-{r['month'][1]:02d}", "M"): r
                for r in oracle.bridge(rows, (last.year, last.month))}
        for row in ours.itertuples():
            ref_row = loop.get(row.month)
            if ref_row is None:
                continue
            for name in ("new", "expansion", "reactivation", "contraction", "churn"):
                if to_ticks(getattr(row, name)) != int(ref_row[name] * 1200):
                    raise SystemExit(f"{data_dir.name}: saas_kit and the loop disagree on {name} in {row.month}")
        verdict += " = loop"
    return verdict


def _tree_rss_mb(root: int) -> float:
    """Resident memory of a process and all its descendants now (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)  # fields[1] is the parent pid
        rss[pid] = int(fields[21])  # resident pages
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total * os.sysconf("SC_PAGE_SIZE") / 2**20


def time_report(data_dir: Path, repeat: int, out: Path) -> dict:
    """Median wall time of ``saas-kit report`` and the peak of the summed resident memory
    of its whole process tree (the command, the parallel notebook kernels, the book
    build), sampled every 0.1 s."""
    times, peaks = [], []
    for _ in range(repeat):
        t = time.perf_counter()
        proc = subprocess.Popen([str(Path(sys.executable).parent / "saas-kit"), "report", "--data", str(data_dir),
                                 "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        peak = 0.0
        while proc.poll() is None:
            peak = max(peak, _tree_rss_mb(proc.pid))
            time.sleep(0.1)
        stderr = proc.stderr.read()
        if proc.returncode != 0:
            raise SystemExit(f"report on {data_dir} failed:\n{stderr[-3000:]}")
        times.append(time.perf_counter() - t)
        peaks.append(peak)
    return {"seconds": statistics.median(times), "peak_mb": max(peaks)}


STEPS = ["load_csv", "load_parquet", "monthly_mrr", "movements", "duckdb_movements", "trailing_nrr", "cohorts",
         "magic_moment", "load_and_movements"]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_step"]:
        print(json.dumps(step(argv[1], Path(argv[2]))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per step on the largest size (default 3)")
    parser.add_argument("--small-repeat", type=int, default=7,
                        help="runs per step on the other sizes (default 7: their steps take a second or less, "
                        "where a shared machine's noise is largest)")
    parser.add_argument("--report-sizes", type=int, nargs="*", default=[100_000],
                        help="sizes on which the whole `saas-kit report` is timed (besides the sample)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--data-root", type=Path, default=DATA, help="where generated companies are cached")
    parser.add_argument("--no-sample-report", action="store_true", help="skip timing the report on the sample")
    args = parser.parse_args(argv)

    results: dict[int, dict] = {}
    for size in args.sizes:
        data_dir = ensure_data(size, args.data_root)
        res: dict = {}
        for name in STEPS + (["loop_movements"] if size <= LOOP_MAX_CUSTOMERS else []):
            repeat = args.repeat if size == max(args.sizes) else args.small_repeat
            res[name] = run_step(name, data_dir, repeat if name != "loop_movements" else 1)
            print(f"{size:>9,} customers  {name:<20} {res[name]['seconds']:8.3f} s  peak {res[name]['peak_mb']:7.0f} MB",
                  flush=True)
        res["agreement"] = check_agreement(data_dir, size <= LOOP_MAX_CUSTOMERS)
        if size in args.report_sizes:
            res["report"] = time_report(data_dir, args.repeat, args.data_root / "reports")
            print(f"{size:>9,} customers  whole report         {res['report']['seconds']:8.1f} s  "
                  f"peak {res['report']['peak_mb']:7.0f} MB", flush=True)
        results[size] = res
    sample_report = None
    if not args.no_sample_report:
        sample_report = time_report(ROOT / "data" / "sample", args.repeat, args.data_root / "reports")
        print(f"sample report: {sample_report['seconds']:.1f} s  peak {sample_report['peak_mb']:.0f} MB")
    write_results(results, sample_report, args)
    print(f"wrote {args.out}")
    return 0


def _mb(value: float) -> str:
    return f"{value:.1f} MB" if abs(value) < 10 else f"{value:.0f} MB"


def write_results(results: dict[int, dict], sample_report: dict | None, args) -> None:
    sizes = sorted(results)
    lines = ["# Benchmark results", "",
             f"Written by `benchmarks/run.py` (`make benchmark`) on {time.strftime('%Y-%m-%d')}. Machine: "
             f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
             f"{platform.system()} {platform.release()}. Each step is the median of {args.small_repeat} runs "
             f"({args.repeat} at the largest size and for the whole report; the loop runs once), each in a fresh "
             "process; "
             "peak memory is the process' peak resident set (including Python and the libraries).", "",
             "| step | " + " | ".join(f"{s:,} customers" for s in sizes) + " |",
             "|:--|" + "--:|" * len(sizes)]
    lines.append("| customer-months | " + " | ".join(f"{results[s]['movements']['customer_months']:,}" for s in sizes) + " |")
    lines.append("| onboarding events | " + " | ".join(f"{results[s]['magic_moment']['events']:,}" for s in sizes) + " |")
    names = STEPS + ["loop_movements"]
    for name in names:
        cells = []
        for s in sizes:
            r = results[s].get(name)
            cells.append(f"{r['seconds']:.3f} s / {r['peak_mb']:.0f} MB" if r else "—")
        lines.append(f"| {name} (time / peak) | " + " | ".join(cells) + " |")
    cells = [f"{results[s]['report']['seconds']:.1f} s / {results[s]['report']['peak_mb']:.0f} MB"
             if "report" in results[s] else "—" for s in sizes]
    lines.append("| whole `saas-kit report` (time / peak of all its processes) | " + " | ".join(cells) + " |")
    if sample_report is not None:
        lines += ["", f"Whole report on the bundled sample company (1,600 customers): {sample_report['seconds']:.1f} s, "
                  f"peak {sample_report['peak_mb']:.0f} MB for all its processes together."]

    lines += ["", "## Memory of loading + movements", "",
              "The ledger is the loaded subscriptions frame as pandas counts it (`memory_usage(deep=True)`). "
              "Used = peak resident set − the process before loading (after imports and one 20-row warm-up "
              "read, the readers' fixed start-up cost, shown separately).", "",
              "| | " + " | ".join(f"{s:,} customers" for s in sizes) + " |", "|:--|" + "--:|" * len(sizes)]
    mem = {s: results[s]["load_and_movements"] for s in sizes}
    for label, cell in (("ledger", lambda r: _mb(r["ledger_mb"])),
                        ("process after imports", lambda r: f"{r['imports_mb']:.0f} MB"),
                        ("fixed start-up cost of the readers", lambda r: f"{r['baseline_mb'] - r['imports_mb']:.0f} MB"),
                        ("peak", lambda r: f"{r['peak_mb']:.0f} MB"),
                        ("used by loading + movements", lambda r: f"{r['peak_mb'] - r['baseline_mb']:.0f} MB"),
                        ("used ÷ ledger", lambda r: f"{(r['peak_mb'] - r['baseline_mb']) / r['ledger_mb']:.1f}×"),
                        ("(peak − process after imports) ÷ ledger",
                         lambda r: f"{(r['peak_mb'] - r['imports_mb']) / r['ledger_mb']:.1f}×")):
        lines.append(f"| {label} | " + " | ".join(cell(mem[s]) for s in sizes) + " |")

    lines += ["", "## Targets", "", "| target | measured | met |", "|:--|:--|:--|"]
    big = sizes[-1]
    ratio_duck = results[big]["movements"]["seconds"] / results[big]["duckdb_movements"]["seconds"]
    lines.append(f"| movements ≤ 1.5× DuckDB on the largest ledger ({big:,} customers) | {ratio_duck:.2f}× | "
                 f"{'yes' if ratio_duck <= 1.5 else 'no'} |")
    loop_sizes = [s for s in sizes if "loop_movements" in results[s]]
    for s in loop_sizes:
        speedup = results[s]["loop_movements"]["seconds"] / results[s]["movements"]["seconds"]
        lines.append(f"| movements ≥ 50× faster than the per-customer loop ({s:,} customers) | {speedup:,.0f}× | "
                     f"{'yes' if speedup >= 50 else 'no'} |")
    if len(sizes) >= 2:
        small, large = sizes[-2], sizes[-1]
        for name, unit, count in (("monthly_mrr", "customer-month", "customer_months"),
                                  ("movements", "customer-month", "customer_months"),
                                  ("trailing_nrr", "customer-month", "customer_months"),
                                  ("cohorts", "customer-month", "customer_months"),
                                  ("magic_moment", "event", "events")):
            source = "magic_moment" if count == "events" else "movements"
            per = [results[s][name]["seconds"] / results[s][source][count] for s in (small, large)]
            growth = per[1] / per[0]
            lines.append(f"| {name}: time per {unit} {small:,} → {large:,} customers ≤ 1.3× | {growth:.2f}× | "
                         f"{'yes' if growth <= 1.3 else 'no'} |")
    for s in sizes:
        r = mem[s]
        ratio = (r["peak_mb"] - r["baseline_mb"]) / r["ledger_mb"]
        lines.append(f"| peak memory of loading + movements ≤ 4× the loaded ledger ({s:,}; ledger "
                     f"{_mb(r['ledger_mb'])}, used {_mb(r['peak_mb'] - r['baseline_mb'])}) | {ratio:.1f}× | "
                     f"{'yes' if ratio <= 4 else 'no'} |")
    for s in sizes:
        if "report" in results[s]:
            sec = results[s]["report"]["seconds"]
            lines.append(f"| whole report on {s:,} customers ≤ 180 s | {sec:.1f} s | {'yes' if sec <= 180 else 'no'} |")
    if sample_report is not None:
        sec = sample_report["seconds"]
        lines.append(f"| whole report on the sample company ≤ 60 s | {sec:.1f} s | {'yes' if sec <= 60 else 'no'} |")
    lines += ["", "## Agreement", ""] + [f"- {s:,} customers: {results[s]['agreement']}" for s in sizes]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
