"""Command-line interface: ``snncompile <command> [options]``.

Exit codes: 0 ok, 1 user error (an :class:`SnnCompileError`), 2 usage error,
3 internal error (a bug: please report it). ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from snncompile import __version__
from snncompile.errors import SnnCompileError

EXIT_OK, EXIT_USER_ERROR, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def _cmd_list_backends(args: argparse.Namespace) -> int:
    from snncompile.backend import list_backends

    rows = list_backends()
    if args.json:
        print(json.dumps([row.__dict__ for row in rows], indent=2))
        return EXIT_OK
    if not rows:
        print("no backends installed")
    for row in rows:
        if row.installed:
            print(f"{row.name:<10} installed      {row.source}")
        else:
            print(f"{row.name:<10} not installed  {row.install_hint}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="snncompile",
        description="Compile spiking neural networks trained in PyTorch to neuromorphic targets.",
        epilog="Exit codes: 0 ok, 1 user error, 2 usage error, 3 internal error.",
    )
    parser.add_argument("--version", action="version", version=f"snncompile {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "list-backends",
        help="show installed and known backends",
        description="List the backends found through the 'snncompile.backends' entry points "
        "and the known ones that are not installed, with their install command.",
        epilog="example: snncompile list-backends --json",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=_cmd_list_backends)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the exit code (never raises for user errors)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.handler(args))
    except SnnCompileError as exc:
        if args.debug:
            raise
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_USER_ERROR
    except Exception as exc:
        if args.debug:
            raise
        print(f"internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print(
            "hint: this is a bug in snncompile; rerun with --debug and report it", file=sys.stderr
        )
        return EXIT_INTERNAL
