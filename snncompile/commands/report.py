"""``snncompile report MODEL|ARTIFACT --input data.npz``: measure, count, price.

Extends the energy package's ``report`` command (which reads activity records and
saved reports) with models: a checkpoint or ``.nir`` file is run by the reference
simulator on ``--input`` and the recorded activity is counted and priced. The output
file is written atomically and never replaced without ``--force``.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

from snncompile.commands.common import EXIT_OK, add_command, is_quiet, print_json, say
from snncompile.commands.deploy import add_model_options, positive_int
from snncompile.commands.nir_options import add_nir_options, nir_kwargs
from snncompile.errors import ConfigError, InputError, SnnCompileError

MODEL_SUFFIXES = (".pt", ".pth", ".nir")


#: ``report``'s line in ``snncompile --help`` (the energy package's own, see below).
REPORT_HELP = "energy and hardware report from recorded activity"


def add_model_report_command(sub: Any, *, full: bool = True) -> None:
    """Register ``report``. With ``full`` false (the command line runs another command)
    only its name and help line are registered: the energy package's parser costs
    seconds of imports (numpy, nir, networkx) that ``--help`` or ``list-backends`` need not
    pay; ``snncompile report ...`` builds the full parser."""
    if not full:
        add_command(sub, "report", handler=run_model_report, help=REPORT_HELP)
        return
    from snncompile.energy.cli import add_report_command

    p = add_report_command(sub)
    p.description += (
        " Or give a model (checkpoint .pt or .nir) with --input: it is run by "
        "the reference simulator and its measured activity is reported."
    )
    p.epilog = (
        "examples:\n  snncompile report examples/models/digits_lif.pt --input "
        "examples/data/digits_test.npz --steps 4 --profile loihi --profile "
        "cmos45-fp32 -o report.html\n"
        "  snncompile simulate model.onnx --input data.npz --record activity.npz\n"
        "  snncompile report activity.npz -o energy.md\n"
        "  snncompile report model.nir --input data.npz --json   # J per sample/step/batch\n"
        "  snncompile report net.nir --dialect snntorch --input data.npz\n"
        "  snncompile report model.pt --target lava --input data.npz   # as deployed\n"
        "  snncompile report model.pt --target lava --engine lava --input data.npz\n"
        "  snncompile report out/model --input data.npz   # a saved artefact, its target\n"
        "  snncompile report --list-profiles"
    )
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("--input", metavar="NPZ", help="data to run a model on")
    p.add_argument(
        "--target",
        help="count the network this target runs (its passes, e.g. pooling folded on "
        "Loihi, and its arithmetic: the fixed-point run for lava/netx); default: the "
        "float network after the generic passes (BatchNorm folded), or an artefact's own "
        "target",
    )
    p.add_argument(
        "--engine",
        choices=("reference", "lava"),
        help="what runs the target's arithmetic: reference (default; for lava/netx the "
        "integer reference, bit-exact with Lava) or lava (the Lava fixed-point run of the "
        "emitted artefact itself, --target lava or a Lava artefact; needs lava-nc)",
    )
    p.add_argument(
        "--calibration",
        metavar="NPZ",
        help="with --target: calibration inputs for the target's quantiser, as for export "
        "(default: weights only); give the data the artefact was exported with",
    )
    p.add_argument("--steps", type=positive_int, help="time steps for static inputs")
    p.add_argument("--force", action="store_true", help="replace an existing --output")
    p.add_argument(
        "--model",
        metavar="MODEL|ARTIFACT",
        help="check that an activity record was recorded from this model or artefact "
        "(same layers, shapes and weights) before pricing it",
    )
    p.add_argument(
        "--json", action="store_true", help="print a machine-readable summary (totals per profile)"
    )
    add_model_options(p)
    add_nir_options(p)
    p.set_defaults(handler=run_model_report)


def run_model_report(args: argparse.Namespace) -> int:
    """Handler of ``snncompile report`` (models, activity records and saved reports)."""
    from snncompile.energy.cli import profiles_table, report_from_args
    from snncompile.energy.report import check_report_path

    if args.list_profiles:
        say(args, profiles_table())
        return EXIT_OK
    nir_kwargs(args, args.source)  # --dialect/--set: .nir models only
    if args.output:  # suffix and existence, before the simulation
        check_report_path(args.output, force=args.force)
    is_model = bool(args.source) and (
        Path(args.source).suffix.lower() in MODEL_SUFFIXES or is_artifact(args.source)
    )
    if args.calibration and not args.target and not (args.source and is_artifact(args.source)):
        raise ConfigError(
            "--calibration applies to a quantising --target",
            hint="add --target lava (or drop --calibration)",
        )
    if args.engine not in (None, "reference") and not is_model:
        raise ConfigError(
            f"--engine {args.engine} runs a model or artefact; '{args.source}' is a recorded "
            "run, priced as it was recorded",
            hint=f"give the model (.pt/.nir) or Lava artefact with --input, --target lava "
            f"and --engine {args.engine}",
        )
    if args.target and not is_model:
        raise ConfigError(
            f"--target applies to models and artefacts; '{args.source}' is a recorded run",
            hint="give the model (.pt/.nir) or artefact with --input to count it as deployed",
        )
    if args.source and not is_model and (args.input or args.steps):
        # a record already holds its run: new data would be silently ignored
        raise ConfigError(
            f"--input/--steps apply to models; '{args.source}' is a recorded run "
            "(activity record or saved report) and is priced as it is",
            hint="drop --input/--steps, or give the model (.pt/.nir) to run it on new data",
        )
    if args.model:
        check_record_model(args)
    report = _model_report(args) if is_model else report_from_args(args)
    report = report.at_fps(getattr(args, "fps", None))
    if args.output:
        report.save(args.output, force=args.force)
    if args.json:
        print_json(report_summary(report, args.output))
    elif args.output:
        say(args, f"wrote {args.output}")
    elif not is_quiet(args):
        sys.stdout.write(report.to_markdown())
    return EXIT_OK


def check_record_model(args: argparse.Namespace) -> None:
    """``--model``: the activity record ``args.source`` must describe the graph of
    ``args.model`` (a checkpoint, a ``.nir`` file or a saved artefact): the same counted
    layers in the same order, each with the same type, shape and weights.

    Raises:
        ConfigError: ``--model`` with a source that is not an activity record.
        InputError: naming the first layer that does not match.
    """
    import numpy as np

    from snncompile.energy.activity import ActivityRecord
    from snncompile.energy.from_ir import layer_specs
    from snncompile.errors import InputError

    if not args.source or Path(args.source).suffix.lower() != ".npz":
        raise ConfigError(
            "--model checks an activity record (.npz) against a model",
            hint="snncompile report activity.npz --model model.pt",
        )
    record = ActivityRecord.load(args.source)
    specs = layer_specs(_graph_of(args.model, args))
    hint = (
        "record the activity again (snncompile simulate ARTIFACT --input data.npz --record "
        f"activity.npz), or give --model the file it came from "
        f"({record.metadata.get('source', 'not stored in the record')})"
    )
    names = [layer.name for layer in record]
    if names != list(specs):
        raise InputError(
            f"activity record '{args.source}' does not match '{args.model}': its layers "
            f"are {names}, the model's are {list(specs)}",
            hint=hint,
        )
    for layer in record:
        ours, theirs = vars(layer.spec), vars(specs[layer.name])
        same = type(layer.spec) is type(specs[layer.name]) and ours.keys() == theirs.keys()
        for key in ours if same else ():
            a, b = ours[key], theirs[key]
            if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
                a, b = np.asarray(a), np.asarray(b)
                same = a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-6, atol=0))
            else:
                same = _plain(a) == _plain(b)
            if not same:
                break
        if not same:
            raise InputError(
                f"activity record '{args.source}' does not match '{args.model}': layer "
                f"{layer.name!r} differs ({layer.spec.describe()['type']} in the record, "
                f"{specs[layer.name].describe()['type']} in the model, or other "
                "shapes/weights)",
                node=layer.name,
                hint=hint,
            )


def _plain(value: Any) -> Any:
    """Tuples and lists alike (a record's JSON turns tuples into lists)."""
    return [_plain(v) for v in value] if isinstance(value, (list, tuple)) else value


def _graph_of(path: str, args: argparse.Namespace) -> Any:
    """The graph a record of ``path`` describes: after the generic pass pipeline
    (BatchNorm folded), as every artefact stores it."""
    from snncompile.api import load_graph
    from snncompile.api import open as open_artifact
    from snncompile.passes.pipeline import run_pipeline

    if Path(path).suffix.lower() in MODEL_SUFFIXES:
        graph = load_graph(path, allow_pickle=args.allow_pickle, input_shape=args.input_shape)
    else:
        graph = open_artifact(path).graph
    return run_pipeline(graph)


def is_artifact(path: str) -> bool:
    """Whether ``path`` is a saved artefact of an installed target other than an
    activity record or saved report (a Lava directory, an ``.onnx`` file)."""
    from snncompile.backend import artifact_target

    where = Path(path)
    if where.suffix.lower() in (".npz", ".json") or not where.exists():
        return False
    try:
        artifact_target(where)
    except SnnCompileError:
        return False
    return True


def _model_report(args: argparse.Namespace) -> Any:
    if not args.input:
        raise ConfigError(
            f"a model ('{args.source}') needs --input data to measure activity",
            hint="add --input data.npz (energy is priced from measured spikes)",
        )
    from snncompile.api import energy_report, load_graph, target_calibration
    from snncompile.api import open as open_artifact
    from snncompile.backend import graph_input_shape
    from snncompile.datafiles import read_input_data
    from snncompile.energy.cli import pricing_from_args
    from snncompile.energy.counter import CountOptions

    target = args.target
    if Path(args.source).suffix.lower() in MODEL_SUFFIXES:
        graph = load_graph(
            args.source,
            allow_pickle=args.allow_pickle,
            input_shape=args.input_shape,
            **nir_kwargs(args, args.source),
        )
    else:  # a saved artefact: its stored graph, counted for its own target by default
        artifact = open_artifact(args.source)
        graph, target = artifact.graph, target or artifact.target
    shape = graph_input_shape(graph)
    data = read_input_data(args.input, per_step_shape=shape, steps=args.steps)
    metadata = {"source": Path(args.source).name, "input": Path(args.input).name}
    target_options = {}
    stored = None
    if args.calibration:
        calibration = read_input_data(args.calibration, per_step_shape=shape, steps=args.steps)
        target_options["calibration"] = calibration.inputs
        metadata["calibration"] = Path(args.calibration).name
    elif target:  # as export does: a checkpoint's stored example input calibrates
        stored = target_calibration(args.source, graph, target, allow_pickle=args.allow_pickle)
        if stored is not None:
            target_options["calibration"] = stored
            metadata["calibration"] = "the checkpoint's stored example input"

    def count() -> Any:
        return energy_report(
            graph,
            data.inputs,
            args.profile or None,
            target=target,
            target_options=target_options,
            engine=args.engine,
            options=CountOptions(neuron_macs=args.neuron_macs),
            pricing=pricing_from_args(args),
            chip=None if args.chip == "none" else args.chip,
            metadata={**metadata, **({"target": target} if target else {})},
        )

    try:
        report = count()
    except InputError:
        if stored is None:
            raise
        # a default the target cannot take (graded data for netx): export drops it too
        target_options.pop("calibration")
        metadata.pop("calibration")
        report = count()
    if Path(args.source).suffix.lower() == ".nir":
        _warn_if_silent(graph, report.counts, args.dialect)
    return report


def _warn_if_silent(graph: Any, counts: Any, dialect: str | None) -> None:
    """A DialectWarning when no spiking node of a ``.nir`` model spiked in the counted
    run: an energy report of 0 spikes usually prices a preset mix-up."""
    from snncompile.ir.diagnostics import DialectWarning
    from snncompile.ir.nodes import kind_of
    from snncompile.ir.plausibility import silent_run_note

    spiking = {n for n, node in graph.nodes.items() if (k := kind_of(node)) and k.spiking}
    spikes = {c.name: c.get("SpikeMessages") for c in counts.layers if c.name in spiking}
    note = silent_run_note(spikes, dialect or "snncompile")
    if note:
        warnings.warn(note, DialectWarning, stacklevel=2)


#: The ``--json`` document's energy keys: unit and scope (docs/cli.md).
ENERGY_KEYS = {
    "per_sample_j": "J per sample (one inference over its T steps)",
    "per_step_j": "J per sample per time step (per_sample_j / timesteps)",
    "total_j": "J over the whole batch (per_sample_j × samples)",
}


def report_summary(report: Any, output: str | None) -> dict[str, Any]:
    """The ``--json`` document: the workload, what was counted (``deployment``: target,
    engine, ``count_engine``, passes, notes; None for a recorded run) and each profile's
    energy estimate, per sample, per step and over the batch (:data:`ENERGY_KEYS`)."""
    counts = report.counts
    return {
        "output": output,
        "samples": counts.samples,
        "timesteps": counts.timesteps,
        "firing_rate": counts.firing_rate,
        "deployment": dict(report.deployment) or None,
        "units": dict(ENERGY_KEYS),
        "estimates": report.energy_summary(),
    }


#: What ``simulate --record`` says the activity came from (the engine that ran it).
REFERENCE_ENGINE = "reference simulator (float32) on the artefact's graph"


def record_reference_activity(graph: Any, inputs: Any, metadata: dict[str, Any]) -> Any:
    """The :class:`~snncompile.energy.ActivityRecord` of a reference-simulator run of
    ``graph`` on ``inputs`` (time-major): every counted layer, the synapse groups for
    the chip estimate, and ``metadata`` plus ``engine``. The run is the one
    ``snncompile report MODEL`` makes, so both price to the same figures."""
    import numpy as np

    from snncompile.energy.from_ir import record_activity, synapse_groups
    from snncompile.reference import simulate

    recorded = simulate(graph, inputs, dtype=np.float32, record="all")
    record = record_activity(graph, recorded)
    record.groups = synapse_groups(graph)
    record.metadata = {**metadata, "engine": REFERENCE_ENGINE}
    return record
