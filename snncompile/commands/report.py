"""``snncompile report MODEL|ARTIFACT --input data.npz``: measure, count, price.

Extends the energy package's ``report`` command (which reads activity records and
saved reports) with models: a checkpoint or ``.nir`` file is run by the reference
simulator on ``--input`` and the recorded activity is counted and priced.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from snncompile.energy.cli import add_report_command, run_report
from snncompile.energy.pricing import PricingOptions
from snncompile.errors import ConfigError

MODEL_SUFFIXES = (".pt", ".pth", ".nir")


def add_model_report_command(sub: Any) -> None:
    p = add_report_command(sub)
    p.description += (
        " Or give a model (checkpoint .pt or .nir) with --input: it is run by "
        "the reference simulator and its measured activity is reported."
    )
    p.epilog = (
        "examples:\n  snncompile report examples/models/digits_lif.pt --input "
        "examples/data/digits_test.npz --steps 4 --profile loihi --profile "
        "cmos45-fp32 -o report.html\n  snncompile report activity.npz -o energy.md"
    )
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("--input", metavar="NPZ", help="data to run a model on")
    p.add_argument("--steps", type=int, help="time steps for static inputs")
    p.add_argument(
        "--allow-pickle",
        action="store_true",
        help="accept a whole pickled nn.Module (runs code from the file)",
    )
    p.set_defaults(handler=run_model_report)


def run_model_report(args: argparse.Namespace) -> int:
    if args.list_profiles or not args.source or Path(args.source).suffix not in MODEL_SUFFIXES:
        return run_report(args)
    if not args.input:
        raise ConfigError(
            f"a model ('{args.source}') needs --input data to measure activity",
            hint="add --input data.npz (energy is priced from measured spikes)",
        )
    from snncompile.api import energy_report, load_graph
    from snncompile.commands.deploy import _input_shape
    from snncompile.datafiles import read_input_data

    graph = load_graph(args.source, allow_pickle=args.allow_pickle)
    data = read_input_data(args.input, per_step_shape=_input_shape(graph), steps=args.steps)
    pricing = PricingOptions.paper() if args.paper else PricingOptions()
    if args.t_step is not None:
        pricing = PricingOptions(**{**pricing.to_dict(), "t_step_s": args.t_step})
    report = energy_report(
        graph,
        data.inputs,
        args.profile or None,
        pricing=pricing,
        chip=None if args.chip == "none" else args.chip,
        metadata={"source": Path(args.source).name, "input": Path(args.input).name},
    )
    if args.output:
        report.save(args.output)
        print(f"wrote {args.output}")
    else:
        sys.stdout.write(report.to_markdown())
    return 0
