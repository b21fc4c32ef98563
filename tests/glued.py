"""Read the values a notebook glued (myst-nb ``glue``) from an executed .ipynb, and run
a notebook with papermill on the project's own kernel."""
from __future__ import annotations

import ast
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KERNEL = "saas-kit"


def glued_values(path: str | Path) -> dict[str, str]:
    """key -> the glued text/plain value (quotes of a glued str removed); glued HTML
    tables and figures are left out."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("scrapbook")
            data = output.get("data", {})
            if meta and not any(k.endswith(("text/html", "image/png")) for k in data):  # texts only
                text = data.get("text/plain") or data.get(meta.get("mime_prefix", "") + "text/plain", "")
                if isinstance(text, list):
                    text = "".join(text)
                try:  # a glued str is stored as its repr
                    value = ast.literal_eval(text)
                except (ValueError, SyntaxError):
                    value = text
                out[meta["name"]] = value if isinstance(value, str) else text
    return out


def execute_notebook(name: str, out_dir: Path, **parameters) -> Path:
    """Execute notebooks/<name> with papermill on the sample data (unless overridden)."""
    import tempfile

    import papermill as pm

    from saas_kit.report.execution import ipc_kernel_manager

    params = {"data_dir": str(ROOT / "data" / "sample"), "month": "", "style": "en"}
    params.update(parameters)
    target = Path(out_dir) / name
    with tempfile.TemporaryDirectory(prefix="saas-kit-kernel-") as sockets:  # no TCP port to lose
        pm.execute_notebook(str(ROOT / "notebooks" / name), str(target), parameters=params, kernel_name=KERNEL,
                            cwd=str(ROOT / "notebooks"), progress_bar=False,
                            kernel_manager_class=ipc_kernel_manager(Path(sockets)))
    return target
