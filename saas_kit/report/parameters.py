"""Notebook parameters: what each notebook declares, and the ``--params`` file checked against it."""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import yaml

from saas_kit.errors import ParameterError
from saas_kit.i18n import parse_languages
from saas_kit.report.base import (ALLOWED_VALUES, LANGUAGE_KEY, RESERVED_PARAMETERS, ReportError, cell_source,
                                  cell_tags, read_notebook)


def notebook_parameters(path: Path) -> dict[str, Any]:
    """The parameters a notebook declares in its cell tagged ``parameters``: name ->
    default (the Python literal, or the ``_UNKNOWN`` marker when the default is an
    expression). The same cell papermill reads; {} when there is none."""
    nb = read_notebook(path)
    cell = next((c for c in nb.get("cells", [])
                 if c.get("cell_type") == "code" and "parameters" in cell_tags(c)), None)
    if cell is None:
        return {}
    try:
        tree = ast.parse(cell_source(cell))
    except SyntaxError as exc:
        raise ReportError(f"notebook {path.name}: its 'parameters' cell is not valid Python: {exc}") from None
    out: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                try:
                    out[target.id] = ast.literal_eval(value)
                except (ValueError, SyntaxError, TypeError):
                    out[target.id] = _UNKNOWN
    return out


class _Unknown:
    def __repr__(self) -> str:
        return "<expression>"


_UNKNOWN = _Unknown()


def _type_ok(value: Any, default: Any) -> bool:
    """Is ``value`` (from YAML) acceptable where the notebook's default is ``default``?
    bool only for bool; int (not bool) for int; int or float for float; str for str;
    list for list/tuple; dict for dict; anything when the default is None or an expression."""
    if default is None or default is _UNKNOWN:
        return True
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, (list, tuple)):
        return isinstance(value, list)
    if isinstance(default, dict):
        return isinstance(value, dict)
    return isinstance(value, type(default))


def load_params_file(path: str | Path, declared: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Read and validate a ``--params`` YAML file: a mapping of notebook parameters.

    ``declared`` maps notebook name -> its parameters and defaults (see
    :func:`notebook_parameters`). A key no notebook declares, a key the command sets
    itself (``data_dir``, ``month``: use ``--data`` / ``--month``), a value whose type
    differs from the notebook's default, or a ``style`` other than ``en``/``ja`` is a
    :class:`ParameterError` naming the key. ``language`` (``ja``, ``en,ja`` or a list
    such as ``[en, ja]``: the report's editions, like ``--lang``) is returned as a list.
    """
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParameterError(f"--params: file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise ParameterError(f"--params {path}: not valid YAML: {exc}") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ParameterError(f"--params {path}: expected a mapping of parameter: value, got {type(raw).__name__}")
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if not isinstance(key, str):
            raise ParameterError(f"--params {path}: parameter names must be text, got {key!r}")
        if key == LANGUAGE_KEY:
            if not isinstance(value, (str, list)) or not all(isinstance(v, str) for v in
                                                               (value if isinstance(value, list) else [value])):
                raise ParameterError(f"--params {path}: '{key}' must be a language or a list of languages "
                                     f"such as [en, ja], got {value!r}")
            params[key] = parse_languages(value, f"--params {path}: '{key}'")
            continue
        if key in RESERVED_PARAMETERS:
            if key == "lang":
                raise ParameterError(f"--params {path}: 'lang' is set by the command; use 'language: [en, ja]' "
                                     "or --lang instead")
            if key == "analysis":
                raise ParameterError(f"--params {path}: 'analysis' is set by the command (the run's month analysis)")
            flag = "--data" if key == "data_dir" else "--month"
            raise ParameterError(f"--params {path}: '{key}' is set by the command; use {flag} instead")
        owners = {nb: decl[key] for nb, decl in declared.items() if key in decl}
        if not owners:
            known = sorted({k for decl in declared.values() for k in decl} - set(RESERVED_PARAMETERS))
            raise ParameterError(f"--params {path}: unknown parameter '{key}' (the notebooks declare: {', '.join(known)})")
        for nb, default in owners.items():
            if not _type_ok(value, default):
                raise ParameterError(
                    f"--params {path}: parameter '{key}' must be {type(default).__name__} "
                    f"(default {default!r} in {nb}), got {type(value).__name__} {value!r}"
                )
        if key in ALLOWED_VALUES and value not in ALLOWED_VALUES[key]:
            raise ParameterError(f"--params {path}: parameter '{key}' must be one of {ALLOWED_VALUES[key]}, got {value!r}")
        params[key] = value
    return params
