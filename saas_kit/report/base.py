"""What every step of ``saas-kit report`` shares: the project's layout (notebooks, table of
contents), its constants, the errors it raises and notebooks read and written as plain JSON."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from saas_kit.errors import SaasKitError


KERNEL_NAME = "saas-kit"
#: The month analysis of a run (saas_kit.analysis), written once into its private staging
#: folder; its path is every notebook's ``analysis`` parameter.
ANALYSIS_FILE = "analysis.pickle"
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
TOC_FILE = Path("book") / "_toc.yml"
# Parameters the command sets itself (from --data / --month / --lang, and the analysis file); a params file may not.
RESERVED_PARAMETERS = ("data_dir", "month", "analysis", "lang")
#: The params file's key for the report's languages (``language: ja`` or ``language: [en, ja]``; ``--lang``).
LANGUAGE_KEY = "language"
#: The notebook parameter through which a notebook receives the run's languages (``"en,ja"``).
LANG_PARAMETER = "lang"
REQUIRED_PARAMETERS = ("data_dir", "month")
#: The parameter through which a notebook receives the run's month analysis (its file's path).
ANALYSIS_PARAMETER = "analysis"
ALLOWED_VALUES: dict[str, tuple[str, ...]] = {"style": ("en", "ja")}
INJECTED_TAG = "injected-parameters"
ERROR_MARKER_TAG = "papermill-error-cell-tag"


class ReportError(SaasKitError):
    """A notebook failed, the book did not build, or the environment cannot run the report."""


@dataclass(frozen=True)
class NotebookFailure:
    """Where a notebook stopped: cell index as in the source notebook (0-based) and the
    cell's line that raised (its first line when the traceback does not say)."""

    notebook: str
    cell_index: int | None
    first_line: str
    error: str
    kept_at: Path | None = None

    def describe(self) -> str:
        where = f" at cell index {self.cell_index} (`{self.first_line}`)" if self.cell_index is not None else ""
        text = f"notebook {self.notebook} failed{where}: {self.error}"
        if self.kept_at is not None:
            text += f"\n  executed notebook kept for debugging: {self.kept_at}"
        return text


# --------------------------------------------------------------------------- project


def project_root() -> Path:
    """The project folder holding ``_config.yml``, ``book/`` and ``notebooks/`` (this package's parent)."""
    return Path(__file__).resolve().parents[2]


def discover_notebooks(notebooks_dir: Path) -> list[Path]:
    """``notebooks/[0-9][0-9]_*.ipynb``, sorted by name (the number orders them)."""
    return sorted(p for p in notebooks_dir.glob(NOTEBOOK_GLOB) if p.is_file())


def _toc_files(toc: Any) -> list[str]:
    """Every ``file:`` entry of a jb-book table of contents, in order."""
    found: list[str] = []
    if isinstance(toc, dict):
        for key, value in toc.items():
            if key in ("file", "root") and isinstance(value, str):
                found.append(value)
            else:
                found += _toc_files(value)
    elif isinstance(toc, list):
        for item in toc:
            found += _toc_files(item)
    return found


def check_toc(project: Path, notebooks: list[Path]) -> None:
    """Every discovered notebook is a chapter of ``book/_toc.yml`` and every notebook
    chapter exists: a notebook missing from the toc would silently vanish from the book."""
    toc_path = project / TOC_FILE
    if not toc_path.is_file():
        raise ReportError(f"table of contents not found: {toc_path}")
    entries = {e.removesuffix(".ipynb") for e in _toc_files(yaml.safe_load(toc_path.read_text("utf-8")))}
    toc_notebooks = {e for e in entries if e.startswith("notebooks/")}
    found = {f"notebooks/{p.stem}" for p in notebooks}
    if missing := sorted(found - toc_notebooks):
        raise ReportError(f"{toc_path}: notebook(s) not in the table of contents: {', '.join(missing)}")
    if absent := sorted(toc_notebooks - found):
        raise ReportError(f"{toc_path}: lists notebook(s) that do not exist: {', '.join(absent)}")


# ------------------------------------------------------------------- notebook files


def read_notebook(path: Path) -> dict[str, Any]:
    """A notebook as plain JSON (no nbformat import in the main process: importing it
    costs ~2.5 s here, through jsonschema's optional format checkers)."""
    try:
        return json.loads(Path(path).read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ReportError(f"cannot read notebook {path}: {exc}") from None


def write_notebook(nb: dict[str, Any], path: Path) -> None:
    """Write a notebook the way nbformat does (sorted keys, one-space indent)."""
    Path(path).write_text(json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n", "utf-8")


def cell_source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def cell_tags(cell: dict[str, Any]) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])
