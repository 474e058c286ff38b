"""``snncompile targets``: which layers and topologies each installed target supports."""

from __future__ import annotations

import argparse
from typing import Any

from snncompile.commands.common import EXIT_OK, add_command, print_json, say


def add_targets_command(sub: Any) -> None:
    """Register ``targets`` on an argparse subparsers object."""
    p = add_command(
        sub,
        "targets",
        handler=run_targets,
        help="which layers and topologies each installed target supports",
        description="The support table, built from what each installed backend declares: "
        "IR node types x targets (yes, no, or folded: removed by the generic pipeline) and "
        "graph topologies x targets (chain, fan-out, residual, SEW, shortcuts, pooling on a "
        "branch, max pooling of spikes or values, recurrence, several inputs or outputs). "
        "docs/targets.md holds the same table; docs/deployable.md says how to write a "
        "model that fits a target.",
        epilog="examples:\n  snncompile targets\n  snncompile targets --markdown\n"
        "  snncompile targets --json",
    )
    form = p.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="machine-readable output")
    form.add_argument("--markdown", action="store_true", help="Markdown tables")


def run_targets(args: argparse.Namespace) -> int:
    from snncompile.support import support_table

    table = support_table()
    if args.json:
        print_json(table.to_json())
    elif args.markdown:
        say(args, table.to_markdown())
    else:
        say(args, table.to_text())
    return EXIT_OK
