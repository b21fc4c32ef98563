"""Snapshot and compare every glued value of a built report (issue 11's proof that the
figures are unchanged): ``python tests/glue_snapshot.py save REPORT_MONTH_DIR OUT.json``
then ``python tests/glue_snapshot.py compare REPORT_MONTH_DIR OUT.json``.
``REPORT_MONTH_DIR`` is a published month folder (``OUT/<YYYY-MM>``) whose
``notebooks/`` holds the executed notebooks."""
from __future__ import annotations

import json
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


if __name__ == "__main__":
    action, month_dir, path = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
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
