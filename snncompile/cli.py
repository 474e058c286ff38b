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


def _cmd_inspect(args: argparse.Namespace) -> int:
    """Describe a ``.nir`` file, or a checkpoint plus the IR traced from it."""
    from pathlib import Path

    from snncompile.checkpoint.summary import summarize
    from snncompile.frontend.describe import ir_summary, trace_from_spec
    from snncompile.inspect import describe, inspect_path
    from snncompile.ir import read_nir

    if Path(args.checkpoint).suffix.lower() == ".nir":
        if not args.json:
            print(inspect_path(args.checkpoint), end="")
            return EXIT_OK
        graph = read_nir(args.checkpoint)
        ir = {"path": args.checkpoint, "format": "NIR", "ir": ir_summary(graph)}
        print(json.dumps(ir, indent=2))
        return EXIT_OK
    summary = summarize(args.checkpoint, allow_pickle=args.allow_pickle)
    graph = None
    try:  # a checkpoint that cannot be traced is still described, with the reason
        import snncompile

        model = snncompile.load(args.checkpoint, allow_pickle=args.allow_pickle)
        graph = trace_from_spec(model, summary.get("inputs") or [])
        summary["ir"] = ir_summary(graph)
    except SnnCompileError as exc:
        summary["ir"] = {"error": exc.message, "hint": exc.hint}
    if args.json:
        print(json.dumps(summary, indent=2))
        return EXIT_OK
    print(f"{'file':<12}{summary['path']}")
    print(f"{'format':<12}{summary['format']}")
    print(f"{'model':<12}{summary['model_class']}, {summary['parameters']:,} parameters")
    for item in summary.get("inputs", []):
        print(f"{'input':<12}{item['name']}: {item['shape']} {item['dtype']}")
    output = summary.get("output")
    if isinstance(output, dict) and "shape" in output:
        print(f"{'output':<12}{output['shape']} {output['dtype']}")
    if "weights_sha256" in summary:
        print(f"{'sha256':<12}{summary['weights_sha256']}")
    print("layers")
    for row in summary["layers"]:
        print(f"  {row['path']:<20}{row['layer']}")
    if summary.get("metadata"):
        print(f"{'metadata':<12}{', '.join(summary['metadata'])}")
    if graph is None:
        print(f"{'ir':<12}not traceable: {summary['ir']['error']}")
        if summary["ir"].get("hint"):
            print(f"{'':<12}hint: {summary['ir']['hint']}")
    else:
        print("ir (traced with the stored example input shape)")
        print(describe(graph), end="")
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

    p = sub.add_parser(
        "inspect",
        help="summarise a checkpoint (.pt) or a NIR file (.nir)",
        description="For a .nir file: its IR nodes, shapes, parameter counts, neuron types "
        "and how each node lowers to NIR primitives. For a checkpoint written by "
        "snncompile.save: load it (without running code from it), show its format, input "
        "and output shapes, layers, parameter count and metadata, then trace it with its "
        "stored example input shape and show the same IR description.",
        epilog="examples: snncompile inspect examples/models/digits_lif.pt; "
        "snncompile inspect model.nir --json",
    )
    p.add_argument("checkpoint", metavar="MODEL", help="the .pt checkpoint or .nir file")
    p.add_argument(
        "--allow-pickle",
        action="store_true",
        help="also accept a whole pickled nn.Module (runs code from the file: trusted files only)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=_cmd_inspect)

    from snncompile.commands.deploy import add_deploy_commands
    from snncompile.commands.report import add_model_report_command

    add_deploy_commands(sub)
    add_model_report_command(sub)
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
