"""Command-line interface: ``snncompile [global options] <command> [options]``.

Exit codes: 0 ok, 1 user error (an :class:`SnnCompileError`, a failed write or Ctrl-C:
``error:`` and ``hint:`` lines on stderr, no traceback), 2 usage error, 3 internal error
(a bug: please report it). ``--debug`` re-raises with the traceback. The commands live in
:mod:`snncompile.commands`; ``docs/cli.md`` documents them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from snncompile import __version__
from snncompile.commands.common import (
    EXIT_CODES,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    EXIT_USER_ERROR,
    add_global_options,
    cli_logging,
    progress_bars,
)
from snncompile.errors import OutputError, SnnCompileError

__all__ = [
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_USAGE",
    "EXIT_USER_ERROR",
    "build_parser",
    "main",
    "report_error",
]

_EXAMPLES = """examples:
  snncompile list-backends
  snncompile targets
  snncompile dialects
  snncompile inspect examples/models/digits_lif.pt
  snncompile check examples/models/digits_lif.pt --target lava
  snncompile export examples/models/digits_lif.pt --target onnx -o model.onnx
  snncompile simulate model.onnx --input examples/data/digits_test.npz --steps 4
  snncompile report examples/models/digits_lif.pt --input examples/data/digits_test.npz \\
      --steps 4 -o report.html
  snncompile <command> --help

"""


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argparse parser of every command (with examples and exit codes in --help).

    The backends' own flags of ``export`` and ``simulate`` load every installed plug-in,
    and ``report``'s parser the energy package; given ``argv``, only a command line
    naming one of those commands loads them (start-up: docs/performance.md)."""
    parser = argparse.ArgumentParser(
        prog="snncompile",
        description="Compile spiking neural networks trained in PyTorch to neuromorphic targets.",
        epilog=_EXAMPLES + EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"snncompile {__version__}")
    add_global_options(parser, top_level=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    from snncompile.commands.check import add_check_command
    from snncompile.commands.deploy import DEPLOY_COMMANDS, add_deploy_commands
    from snncompile.commands.dialects import add_dialects_command
    from snncompile.commands.info import add_info_commands
    from snncompile.commands.report import add_model_report_command
    from snncompile.commands.targets import add_targets_command

    add_info_commands(sub)
    add_deploy_commands(sub, backend_flags=argv is None or bool(DEPLOY_COMMANDS & set(argv)))
    add_model_report_command(sub, full=argv is None or "report" in argv)
    add_check_command(sub)
    add_dialects_command(sub)
    add_targets_command(sub)
    for command in sub.choices.values():
        command.formatter_class = argparse.RawDescriptionHelpFormatter
        command.epilog = f"{command.epilog}\n\n{EXIT_CODES}" if command.epilog else EXIT_CODES
        add_global_options(command, top_level=False)
    return parser


def report_error(exc: SnnCompileError) -> None:
    """Print ``error:`` and ``hint:`` lines for a user error on stderr."""
    print(f"error: {exc.message}", file=sys.stderr)
    # the CLI spelling of the options the hint names (--allow-clamp, not allow_clamp=True)
    hint = exc.cli_hint or exc.hint or "see `snncompile <command> --help` and docs/cli.md"
    print(f"hint: {hint}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the exit code (never raises, unless ``--debug``)."""
    parser = build_parser(list(sys.argv[1:] if argv is None else argv))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    bars = progress_bars(args)
    try:
        from snncompile.reference.progress import reporting

        with cli_logging(args), reporting(bars):
            return int(args.handler(args))
    except SnnCompileError as exc:
        if args.debug:
            raise
        report_error(exc)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        if args.debug:
            raise
        report_error(
            SnnCompileError(
                "interrupted",
                hint="the command was stopped (Ctrl-C) before it finished; "
                "no partial output was written",
            )
        )
        return EXIT_USER_ERROR
    except OSError as exc:  # the environment, not a bug: a file vanished, a disk failed
        if args.debug:
            raise
        where = exc.filename if exc.filename is not None else "a file"
        report_error(
            OutputError(
                f"I/O error on {where}: {exc.strerror or exc}",
                hint="check the path, its permissions and the free disk space",
            )
        )
        return EXIT_USER_ERROR
    except Exception as exc:
        if args.debug:
            raise
        print(f"internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print(
            "hint: this is a bug in snncompile; rerun with --debug and report it", file=sys.stderr
        )
        return EXIT_INTERNAL
    finally:
        bars.close()
