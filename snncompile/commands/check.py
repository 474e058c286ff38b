"""``snncompile check MODEL --target T``: can the model be deployed there, and if not, why.

Runs :func:`snncompile.check` (everything ``export`` runs, writing nothing) and prints a
verdict line and one row per node the target cannot take, with the fix; ``--json`` prints
the result record instead. Exit status 0 when deployable, 1 when not (the problems are
the output, on stdout), and the usual 1/2 for errors in the request itself.
"""

from __future__ import annotations

import argparse
from typing import Any

from snncompile.commands.common import (
    EXIT_OK,
    EXIT_USER_ERROR,
    add_allow_pickle,
    add_command,
    print_json,
    say,
)
from snncompile.commands.deploy import shape_arg
from snncompile.commands.nir_options import add_nir_options, nir_kwargs


def add_check_command(sub: Any) -> None:
    """Register ``check`` on an argparse subparsers object."""
    p = add_command(
        sub,
        "check",
        handler=run_check,
        help="say whether a model can be deployed to a target, naming every node that cannot",
        description="Trace (or read) the model and run the target's stages without writing "
        "anything: the pass pipeline, its node-type capabilities, its quantisation and its "
        "lowering. Prints 'deployable' or every node the target cannot take, with the "
        "reason and the fix. Exit status 0: deployable; 1: not deployable (or an error).",
        epilog="examples:\n"
        "  snncompile check examples/models/digits_lif.pt --target lava\n"
        "  snncompile check model.pt --target onnx --json",
    )
    p.add_argument("model", metavar="MODEL", help="checkpoint (.pt) or .nir file")
    p.add_argument("--target", required=True, help="backend name (snncompile list-backends)")
    p.add_argument(
        "--input-shape",
        type=shape_arg,
        metavar="T,B,...",
        help="example input shape to trace a pickled module with ([B, ...] for a per-step "
        "model; checkpoints written by snncompile.save store their own)",
    )
    add_allow_pickle(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    add_nir_options(p)


def run_check(args: argparse.Namespace) -> int:
    from snncompile.checking import check

    result = check(
        args.model,
        target=args.target,
        input_shape=args.input_shape,
        allow_pickle=args.allow_pickle,
        **nir_kwargs(args, args.model),
    )
    if args.json:
        print_json({"model": args.model, **result.to_dict()})
    else:
        say(args, f"{args.model}: {result.table()}")
    return EXIT_OK if result.deployable else EXIT_USER_ERROR
