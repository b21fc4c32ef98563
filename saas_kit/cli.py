"""The ``saas-kit`` command line.

Each subcommand lives in the module that does the work and exposes two functions:
``add_arguments(parser)`` and ``run(args) -> int`` (the exit code). Errors of the
package's own types go to stderr with exit code 2; nothing half-written is left.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from saas_kit.errors import SaasKitError

# subcommand -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "movements": ("saas_kit.commands", "print MRR movements per month as CSV"),
    "metrics": ("saas_kit.commands", "print a month's headline metrics"),
    "generate": ("saas_kit.generate", "generate a sample company (CSV or Parquet)"),
    "import": ("saas_kit.imports.command", "turn a billing export (Stripe, Chargebee, invoice lines, an MRR "
                                           "spreadsheet) into a data folder"),
    "report": ("saas_kit.report", "execute every notebook with papermill and build the HTML report"),
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every subcommand; ``only``: import only that subcommand's module
    (the others are listed but take no arguments), so that a quick command does not
    wait for the report's imports."""
    parser = argparse.ArgumentParser(prog="saas-kit", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if only is not None and name != only:
            continue
        module = importlib.import_module(module_name)
        getattr(module, f"add_{name}_arguments")(p)
        p.set_defaults(_run=getattr(module, f"run_{name}"))
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv[0] if argv and argv[0] in SUBCOMMANDS else None)
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except SaasKitError as exc:
        print(f"saas-kit {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `saas-kit movements ... | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(f"saas-kit {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
