"""The package's import graph (issue 11): no cycles, nothing importing a module of a
higher layer, no module reaching into another module's private names, and no module
over 600 lines."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "saas_kit"
MAX_LINES = 600

#: Each module may import only modules of a lower layer (the package's __init__, the
#: public facade, is above everything).
LAYERS = [
    {"errors", "money"},
    {"calendar"},
    {"mrr", "metadata", "i18n", "pdf", "sources", "verdict", "spark.session", "facts.model"},
    {"facts"},
    {"formatting", "csv_cells", "rows", "mrr_steps", "arr", "bridge_runs", "i18n_check", "book_i18n", "loading.schema", "loading.data_warnings",
     "generate.model"},
    {"loading.dataset", "loading.parse", "generate.simulate"},
    {"loading.read", "loading.validate", "generate.frames"},
    {"loading.directory", "generate.company"},
    {"loading.snapshot", "generate.write"},
    {"loading", "generate"},
    {"bands", "movements", "compounding", "spark.ledger", "spark.reading", "imports.common", "imports.summary"},
    {"activation.rule", "activation.stats", "activation.paid_spans", "spark.parsing", "imports.snapshot",
     "imports.invoice_lines", "imports.mrr_matrix"},
    {"activation.frames", "spark.validation", "spark.export_reading", "spark.export_cells", "imports.chargebee", "imports.stripe_subscriptions"},
    {"activation.outcomes", "activation.search", "activation.onboarding", "activation.population", "imports",
     "spark.invoice_lines"},
    {"rates", "cohorts", "growth", "activation"},
    {"kpis", "spark.sums", "spark.files", "spark.activation", "spark.mrr_table"},
    {"spark.warnings"},
    {"facts.embedded", "facts.tables"},
    {"pages.base", "spark.data", "spark.activation_facts"},
    {"pages.overview", "spark.facts", "spark.imports"},
    {"pages.data_quality", "pages.nrr", "pages.arr", "pages.new_arr_mix", "pages.churn", "pages.onboarding"},
    {"pages"},
    {"chart_words"},
    {"charts", "spark"},
    {"analysis"},
    {"spark.commands", "imports.command"},
    {"export", "publish"},
    {"report.base", "editions"},
    {"report.parameters", "report.execution", "report.book", "translations"},
    {"report.run"},
    {"report", "commands"},
    {"cli"},
]


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(name: str) -> list[tuple[str, list[str], int]]:
    """(imported module, names imported from it, line) for every saas_kit import of ``name``,
    at module level or inside functions."""
    found = []
    for node in ast.walk(ast.parse(MODULES[name].read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "saas_kit":
            if node.module == "saas_kit":
                for alias in node.names:
                    if f"saas_kit.{alias.name}" in MODULES:
                        found.append((f"saas_kit.{alias.name}", [], node.lineno))
            else:
                found.append((node.module, [a.name for a in node.names], node.lineno))
        elif isinstance(node, ast.Import):
            found += [(a.name, [], node.lineno) for a in node.names if a.name.startswith("saas_kit.")]
    return [(mod, names, line) for mod, names, line in found if mod != name]


def _layer(name: str) -> int:
    short = name.removeprefix("saas_kit.")
    for i, layer in enumerate(LAYERS):
        if short in layer:
            return i
    raise AssertionError(f"{name} is in no layer of tests/test_architecture.py: place it")


def test_every_module_has_a_layer():
    for name in MODULES:
        if name != "saas_kit":
            _layer(name)


def test_no_module_imports_a_higher_or_equal_layer():
    upward = [f"{name}:{line} imports {mod}" for name in MODULES if name != "saas_kit"
              for mod, _, line in _imports(name) if _layer(mod) >= _layer(name)]
    assert upward == []


def test_no_import_cycles():
    graph = {name: {mod for mod, _, _ in _imports(name)} for name in MODULES if name != "saas_kit"}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path + [node, nxt]))
            if nxt not in state:
                visit(nxt, path + [node])
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node, [])


def _private_uses(tree: ast.AST, own: str) -> list[str]:
    """``from saas_kit.x import _y`` and ``x._y`` (x a saas_kit module) in a module other than x."""
    found, aliases = [], {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("saas_kit"):
            for alias in node.names:
                target = f"{node.module}.{alias.name}" if node.module == "saas_kit" else node.module
                if alias.name.startswith("_") and not alias.name.startswith("__") and target != own:
                    found.append(f"from {node.module} import {alias.name}")
                if f"saas_kit.{alias.name}" in MODULES and node.module == "saas_kit":
                    aliases[alias.asname or alias.name] = f"saas_kit.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("saas_kit.") and alias.asname:
                    aliases[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                and node.attr.startswith("_") and not node.attr.startswith("__") and aliases[node.value.id] != own):
            found.append(f"{node.value.id}.{node.attr}")
    return found


@pytest.mark.parametrize("path", sorted([*PACKAGE.rglob("*.py"), *(ROOT / "benchmarks").glob("*.py")]),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_uses_another_modules_private_names(path):
    own = _name(path) if PACKAGE in path.parents else ""
    assert _private_uses(ast.parse(path.read_text(encoding="utf-8")), own) == []


def test_the_checks_see_a_private_import():
    tree = ast.parse("from saas_kit.movements import _chunks\nfrom saas_kit import rows as r\nr._x\n")
    assert _private_uses(tree, "saas_kit.rates") == ["from saas_kit.movements import _chunks", "r._x"]


def test_no_module_over_600_lines():
    long = {name: n for name, path in MODULES.items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}
