"""Editions benchmark (issue 13): the whole ``saas-kit report`` on the sample, in one
language and with ``--lang en,ja``; the issue asks both editions within 1.6x the time of one.

    .venv/bin/python benchmarks/editions.py [--repeat 3] [--no-pdf] [--out benchmarks/EDITIONS_RESULTS.md]

Each run is a whole process started as a user starts it (``saas-kit report --out TMP``,
a fresh output folder each time), the two kinds alternating (one, both, one, both, ...)
so that a change in the machine's load hits both alike. The table shows the median and
the best wall time of each kind, their ratio, and the steps' times the report prints
(notebooks, book builds, PDFs) of the median run. The load average before and after is
recorded: the machine may be shared.
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "EDITIONS_RESULTS.md"
SAAS_KIT = Path(sys.executable).parent / "saas-kit"
KINDS = {"en": [], "en,ja": ["--lang", "en,ja"]}
TARGET_RATIO = 1.6


def run_once(extra: list[str], pdf: bool) -> tuple[float, list[str]]:
    """Wall seconds of one ``saas-kit report`` process and its progress lines."""
    out = Path(tempfile.mkdtemp(prefix="saas-kit-editions-"))
    try:
        cmd = [str(SAAS_KIT), "report", "--out", str(out), *extra, *([] if pdf else ["--no-pdf"])]
        started = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr}")
        return seconds, proc.stdout.splitlines()
    finally:
        shutil.rmtree(out, ignore_errors=True)


def steps(lines: list[str]) -> str:
    """The step times a report printed: notebooks (the longest), the build, the PDFs."""
    notebooks = [float(m.group(1)) for line in lines if (m := re.search(r"finished \S+ in ([\d.]+) s", line))]
    build = [m.group(1) for line in lines if (m := re.search(r"built the book in ([\d.]+) s", line))]
    pdfs = [m.group(1) for line in lines if (m := re.search(r"printed \S+ in ([\d.]+) s", line))]
    return (f"notebooks {sum(notebooks):.1f} s (sum of 6), build {', '.join(build) or '-'} s, "
            f"PDF {' + '.join(pdfs) or '-'} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-pdf", action="store_false", dest="pdf")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    load_before = os.getloadavg()
    times: dict[str, list[tuple[float, list[str]]]] = {kind: [] for kind in KINDS}
    for i in range(args.repeat):
        for kind, extra in KINDS.items():
            seconds, lines = run_once(extra, args.pdf)
            times[kind].append((seconds, lines))
            print(f"run {i + 1}/{args.repeat} --lang {kind}: {seconds:.1f} s", flush=True)
    load_after = os.getloadavg()

    rows, medians = [], {}
    for kind, runs in times.items():
        walls = [s for s, _ in runs]
        medians[kind] = statistics.median(walls)
        median_run = sorted(runs, key=lambda r: r[0])[len(runs) // 2]
        rows.append(f"| `--lang {kind}` | {medians[kind]:.1f} | {min(walls):.1f} | "
                    f"{', '.join(f'{w:.1f}' for w in walls)} | {steps(median_run[1])} |")
    ratio = medians["en,ja"] / medians["en"]
    best_ratio = min(s for s, _ in times["en,ja"]) / min(s for s, _ in times["en"])
    verdict = "met" if ratio <= TARGET_RATIO else "not met"
    text = f"""# Editions benchmark (issue 13)

`{Path(sys.argv[0]).name}`: the whole `saas-kit report` on `data/sample` (latest month), one
language vs `--lang en,ja` (notebooks executed once, the book built per language in
parallel{", a PDF per edition printed in parallel" if args.pdf else ", --no-pdf"}), {args.repeat} runs each,
alternating. Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()};
load average (1/5/15 min) before {' / '.join(f'{x:.1f}' for x in load_before)}, after
{' / '.join(f'{x:.1f}' for x in load_after)} (the machine is shared with other jobs).

| run | median s | best s | all runs s | steps of the median run |
|:--|--:|--:|:--|:--|
{chr(10).join(rows)}

Both editions take **{ratio:.2f}×** the time of one (median; best vs best {best_ratio:.2f}×);
target ≤ {TARGET_RATIO}×: **{verdict}**.
"""
    args.out.write_text(text, "utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
