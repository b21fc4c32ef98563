"""Snapshot and compare every glued value of a built report (issue 11's proof that the
figures are unchanged): ``python tests/glue_snapshot.py save REPORT_MONTH_DIR OUT.json``
then ``python tests/glue_snapshot.py compare REPORT_MONTH_DIR OUT.json``.
``REPORT_MONTH_DIR`` is a published month folder (``OUT/<YYYY-MM>``) whose
``notebooks/`` holds the executed notebooks. ``python tests/glue_snapshot.py tables
BEFORE_MONTH_DIR AFTER_MONTH_DIR`` also compares every displayed table and printed line
(and the number and order of the charts) of two built reports."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from glued import glued_values  # noqa: E402

#: Keys renamed on purpose: old name -> new name (none so far).
RENAMED: dict[str, str] = {}


def snapshot(month_dir: Path) -> dict[str, dict[str, str]]:
    return {nb.name: glued_values(nb) for nb in sorted((month_dir / "notebooks").glob("*.ipynb"))}


def compare(before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]) -> list[str]:
    problems = []
    for nb in sorted(set(before) | set(after)):
        old, new = before.get(nb, {}), after.get(nb, {})
        old = {RENAMED.get(k, k): v for k, v in old.items()}
        for key in sorted(set(old) | set(new)):
            if key not in new:
                problems.append(f"{nb}: {key} missing after (was {old[key]!r})")
            elif key not in old:
                problems.append(f"{nb}: {key} new after ({new[key]!r})")
            elif old[key] != new[key]:
                problems.append(f"{nb}: {key}: {old[key]!r} -> {new[key]!r}")
    return problems


def displayed(path: Path) -> list[tuple[str, str]]:
    """(kind, content) of every output: an HTML table (pandas' random style ids removed),
    printed text, or a chart (content left out: PNG bytes differ between runs)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/html" in data:
                out.append(("table", re.sub(r"T_[0-9a-f_]+", "", "".join(data["text/html"]))))
            elif output.get("output_type") == "stream":
                out.append(("text", "".join(output["text"])))
            elif "image/png" in data:
                out.append(("chart", ""))
    return out


def compare_outputs(before_dir: Path, after_dir: Path) -> list[str]:
    problems = []
    for nb in sorted((before_dir / "notebooks").glob("*.ipynb")):
        old, new = displayed(nb), displayed(after_dir / "notebooks" / nb.name)
        if [k for k, _ in old] != [k for k, _ in new]:
            problems.append(f"{nb.name}: outputs differ in kind or order")
        problems += [f"{nb.name}: output {i} differs" for i, (a, b) in enumerate(zip(old, new)) if a != b]
    return problems


if __name__ == "__main__":
    action, month_dir, path = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    if action == "tables":
        problems = compare_outputs(month_dir, path)
        count = sum(len(displayed(nb)) for nb in (month_dir / "notebooks").glob("*.ipynb"))
        print("\n".join(problems) or f"all {count} outputs (tables, printed text, charts) are equal")
        sys.exit(1 if problems else 0)
    if action == "save":
        snap = snapshot(month_dir)
        path.write_text(json.dumps(snap, indent=1, ensure_ascii=False, sort_keys=True), "utf-8")
        print(f"saved {sum(len(v) for v in snap.values())} glued values of {len(snap)} notebooks to {path}")
    else:
        before = json.loads(path.read_text("utf-8"))
        after = snapshot(month_dir)
        problems = compare(before, after)
        total = sum(len(v) for v in before.values())
        print("\n".join(problems) or f"all {total} glued values of {len(before)} notebooks are equal")
        sys.exit(1 if problems else 0)
