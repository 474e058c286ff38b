"""``snncompile export`` and ``snncompile simulate``.

export: model (checkpoint or .nir) → IR → pass pipeline → target artefact, written
atomically (a temporary sibling, then a rename). simulate: run an artefact in its
target's runtime on ``--input data.npz`` and print outputs and accuracy.
"""

from __future__ import annotations

import argparse
import inspect
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from snncompile.commands.common import (
    EXIT_OK,
    add_allow_pickle,
    add_command,
    is_quiet,
    print_json,
    say,
    warn,
)
from snncompile.commands.nir_options import add_nir_options, nir_kwargs
from snncompile.errors import ConfigError

if TYPE_CHECKING:
    from snncompile.backend import Backend

#: namespace attribute: {dest: (flag, targets that declare it)} of the backend flags
_OWNERS = "backend_flags"


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive integer (>= 1)")
    return value


def shape_arg(text: str) -> tuple[int, ...]:
    """argparse type: a comma-separated shape such as ``4,1,1,8,8``."""
    try:
        shape = tuple(int(part) for part in text.replace("x", ",").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a shape like 4,1,1,8,8") from None
    if len(shape) < 2 or min(shape) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give positive T,B,... (at least 2 dims)")
    return shape


def add_model_options(p: argparse.ArgumentParser) -> None:
    """``--allow-pickle`` and ``--input-shape``: how to read and trace a model file."""
    add_allow_pickle(p)
    p.add_argument(
        "--input-shape",
        type=shape_arg,
        metavar="T,B,...",
        help="example input shape to trace a pickled module with (checkpoints written by "
        "snncompile.save store their own)",
    )


#: the commands whose parsers carry the installed backends' own flags
DEPLOY_COMMANDS = frozenset({"export", "simulate"})


def add_deploy_commands(sub: Any, *, backend_flags: bool = True) -> None:
    """Register ``export`` and ``simulate`` on an argparse subparsers object, with every
    installed backend's own flags unless ``backend_flags`` is false (another command
    runs: loading the plug-ins would only cost start-up time)."""
    p = add_command(
        sub,
        "export",
        handler=run_export,
        help="compile a model for a target and write the artefact",
        description="Trace a checkpoint written by snncompile.save (or read a .nir file), run "
        "the pass pipeline and write the target's artefact. The output is written into a "
        "temporary sibling and renamed into place: never a half-written artefact.",
        epilog="examples:\n"
        "  snncompile export examples/models/digits_lif.pt --target nir -o lif.nir\n"
        "  snncompile export model.pt --target onnx --onnx-mode loop -o model.onnx\n"
        "  snncompile export model.pt --target lava -o out/ --report energy.html "
        "--input data.npz\n"
        "  snncompile export model.nir --target onnx -o model.onnx --json --force\n"
        "  snncompile export snntorch.nir --dialect snntorch --set dt=1e-3 --target onnx "
        "-o m.onnx\n"
        "  snncompile export pickled.pt --allow-pickle --input-shape 4,1,1,8,8 --target nir "
        "-o m.nir",
    )
    p.add_argument("model", help="checkpoint (.pt) or NIR file (.nir)")
    p.add_argument("--target", required=True, help="backend name (see list-backends)")
    p.add_argument("-o", "--output", required=True, help="output file or directory")
    p.add_argument("--force", action="store_true", help="replace an existing output")
    add_model_options(p)
    add_nir_options(p)
    p.add_argument("--dump-ir", metavar="DIR", help="write the IR text dump after every pass")
    p.add_argument(
        "--steps", type=positive_int, help="time steps (of static inputs; targets may use it)"
    )
    p.add_argument("--quantize", help="target quantisation scheme (see the target's docs)")
    p.add_argument("--calibration", metavar="NPZ", help="calibration inputs (.npz/.npy)")
    p.add_argument(
        "--report",
        metavar="FILE",
        help="also write an energy report (.json/.md/.html) from a reference run on --input",
    )
    p.add_argument("--input", metavar="NPZ", help="data for --report")
    p.add_argument("--profile", action="append", default=[], help="energy profile (repeat)")
    p.add_argument("--json", action="store_true", help="machine-readable summary")
    if backend_flags:
        _add_backend_flags(p, "export")

    p = add_command(
        sub,
        "simulate",
        handler=run_simulate,
        help="run an exported artefact on input data",
        description="Run an artefact in its target's runtime (the target is found from "
        "the file's suffix or the directory's manifest.json: onnxruntime for .onnx, the "
        "reference simulator for .nir, Lava for a Lava directory) on time-major inputs.",
        epilog="examples:\n"
        "  snncompile simulate model.onnx --input data.npz\n"
        "  snncompile simulate model.nir --input static.npz --steps 4 -o outputs.npz --json\n"
        "  snncompile simulate out/ --input data.npz --mode fixed --steps 8\n"
        "  snncompile simulate net.nir --dialect spikingjelly --set compare='>' --input x.npz",
    )
    p.add_argument("artifact", help="an exported .onnx or .nir file, or a Lava directory")
    p.add_argument(
        "--input",
        required=True,
        metavar="NPZ",
        help="inputs under 'inputs' [T, B, ...] or static [B, ...], labels under 'labels'",
    )
    p.add_argument("--steps", type=positive_int, help="time steps (required for static inputs)")
    p.add_argument(
        "--limit", type=positive_int, metavar="N", help="run only the first N samples of --input"
    )
    p.add_argument("-o", "--output", metavar="NPZ", help="write the outputs here (.npz)")
    p.add_argument(
        "--record",
        metavar="NPZ",
        help="write the run's per-layer activity (.npz) for 'snncompile report NPZ'",
    )
    p.add_argument("--force", action="store_true", help="replace an existing --output/--record")
    p.add_argument("--json", action="store_true", help="machine-readable summary")
    add_nir_options(p)
    if backend_flags:
        _add_backend_flags(p, "simulate")


@dataclass
class _FlagTable:
    """The backend flags of one command: who declared each, and where it is shown."""

    owners: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # dest -> flag, targets
    dests: dict[str, str] = field(default_factory=dict)  # option string -> dest
    groups: dict[str, Any] = field(default_factory=dict)  # dest -> its argument group


class _SharedFlags:
    """The ``add_argument`` a backend's ``add_*_options`` sees: adds the flag to the
    backend's group, or, when an earlier backend declared it, records this backend as
    another owner (so ``lava`` and ``netx`` share ``--allow-clamp``)."""

    def __init__(self, group: Any, name: str, table: _FlagTable) -> None:
        self.group, self.name, self.table = group, name, table

    def add_argument(self, *names: str, **kwargs: Any) -> Any:
        table = self.table
        known = [table.dests[n] for n in names if n in table.dests]
        if known:
            table.owners[known[0]][1].append(self.name)
            group = table.groups[known[0]]
            group.title = f"{group.title}, {self.name}"  # "--target lava, netx"
            return None
        try:
            action = self.group.add_argument(*names, **kwargs)
        except argparse.ArgumentError:  # a core flag of the command: the backend reads it
            return None
        flag = next((n for n in names if n.startswith("--")), names[0])
        table.owners[action.dest] = (flag, [self.name])
        table.groups[action.dest] = self.group
        table.dests.update(dict.fromkeys(names, action.dest))
        return action


def _add_backend_flags(p: argparse.ArgumentParser, command: str) -> None:
    """Each installed backend's own flags of ``command``, one argument group per target.

    A plug-in that cannot be loaded adds none; using it reports why."""
    from snncompile.backend import installed_backends

    table = _FlagTable()
    for name, cls in installed_backends().items():
        if isinstance(cls, Exception):
            continue
        title = f"--target {name}" if command == "export" else f"{name} artefacts"
        shared = _SharedFlags(p.add_argument_group(title), name, table)
        if command == "export":
            cls.add_export_options(shared)
        else:
            cls.add_simulate_options(shared)
    p.set_defaults(**{_OWNERS: table.owners})


def _refuse_foreign_flags(args: argparse.Namespace, target: str) -> None:
    """Refuse a backend flag given for a target that does not declare it."""
    for dest, (flag, targets) in getattr(args, _OWNERS, {}).items():
        if target in targets or getattr(args, dest, None) in (None, False):
            continue
        raise ConfigError(
            f"{flag} applies to --target {' or '.join(targets)}, not {target!r}",
            hint=f"drop {flag}",
        )


def _constructor_parameters(cls: type[Backend]) -> Mapping[str, inspect.Parameter]:
    """The parameters of a Backend class's constructor."""
    return inspect.signature(cls).parameters


def _backend_options(target: str, args: argparse.Namespace) -> dict[str, Any]:
    """Options given on the command line for the target's constructor.

    The target's own flags become options through its ``options_from_args``. ``--steps``
    also sets T for static ``--input``/``--calibration`` data: with those it goes to the
    target only when the target takes it itself.
    """
    from snncompile.backend import load_backend_class
    from snncompile.datafiles import read_input_data

    cls = load_backend_class(target)
    _refuse_foreign_flags(args, target)
    params = _constructor_parameters(cls)
    given = cls.options_from_args(args)
    if args.quantize is not None:
        given["quantize"] = args.quantize
    if args.steps is not None and "steps" not in given and not (args.report or args.calibration):
        given["steps"] = args.steps
    if args.calibration:
        # the model's per-step input shape tells static [N, ...] from time-major data
        from snncompile.api import load_graph
        from snncompile.backend import graph_input_shape

        graph = load_graph(
            args.model,
            input_shape=args.input_shape,
            allow_pickle=args.allow_pickle,
            **nir_kwargs(args, args.model),
        )
        given["calibration"] = read_input_data(
            args.calibration, per_step_shape=graph_input_shape(graph), steps=args.steps
        ).inputs
    unknown = sorted(k for k in given if k not in params)
    if unknown and not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        flags = ", ".join("--" + k.replace("_", "-") for k in unknown)
        raise ConfigError(
            f"--target {target} does not take {flags}",
            hint=f"drop {flags} (see `snncompile export --help`)",
        )
    return given


def run_export(args: argparse.Namespace) -> int:
    from snncompile.api import artifact_path, require_model_file
    from snncompile.api import compile as compile_model
    from snncompile.backend import load_backend_class
    from snncompile.reference.progress import heartbeat, resolve

    # one bar over the stages (on a terminal), moving at least once a second: tracing a
    # checkpoint and calibrating take seconds and report nothing themselves
    bar = resolve(None, f"export ({args.target})", unit="stage")
    with heartbeat(bar, 0, 3, "read the model and options"):
        nir = nir_kwargs(args, args.model)  # a misplaced --dialect/--set: before anything
        options = _backend_options(args.target, args)
        from snncompile.energy.report import check_report_path
        from snncompile.outputs import check_output

        # a missing model, a wrong suffix or an existing output: refused before tracing
        require_model_file(args.model)
        target_cls = load_backend_class(args.target)
        check_output(artifact_path(args.output, target_cls), force=args.force)
        if args.report:
            check_report_path(args.report, force=args.force)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with heartbeat(bar, 1, 3, "compile"):
            artifact = compile_model(
                args.model,
                args.target,
                input_shape=args.input_shape,
                allow_pickle=args.allow_pickle,
                **nir,
                options=options,
                dump_dir=args.dump_ir,
            )
            # read the report's data before writing anything: fail early, not after
            data = _report_inputs(artifact.graph, args) if args.report else None
        with heartbeat(bar, 2, 3, "write"):
            path = artifact.save(args.output, force=args.force)
    if bar is not None:
        bar(3, 3)
    notes = sorted({str(w.message) for w in caught})
    report_path = None
    if data is not None:
        report_path = _write_report(artifact, data, args)
    details = artifact.backend.emit_summary(artifact.staged)
    summary = {
        "target": args.target,
        "output": str(path),
        "report": str(report_path) if report_path else None,
        "warnings": notes,
        "details": details,
    }
    if args.json:
        print_json(summary)
        return EXIT_OK
    for note in notes:
        warn(note)
    say(args, f"wrote {path} (target {args.target})")
    if report_path:
        say(args, f"wrote {report_path} (energy report)")
    if details:
        say(args, "\n" + details.rstrip("\n"))
    return EXIT_OK


def _report_inputs(graph: Any, args: argparse.Namespace) -> Any:
    from snncompile.backend import graph_input_shape
    from snncompile.datafiles import read_input_data
    from snncompile.energy.report import check_report_path

    if not args.input:
        raise ConfigError(
            "--report needs --input data to run the model on",
            hint="add --input data.npz (the activity is measured, not assumed)",
        )
    check_report_path(args.report, force=args.force)
    return read_input_data(args.input, per_step_shape=graph_input_shape(graph), steps=args.steps)


def _write_report(artifact: Any, data: Any, args: argparse.Namespace) -> Path:
    """The energy report of the exported network as its target runs it (issue 15)."""
    report = artifact.report(data.inputs, args.profile or None)
    return report.save(args.report, force=args.force)


def run_simulate(args: argparse.Namespace) -> int:
    from snncompile.backend import artifact_target, get_backend, load_backend_class
    from snncompile.datafiles import read_input_data
    from snncompile.outputs import check_output, save_npz

    path = Path(args.artifact)
    nir = nir_kwargs(args, args.artifact)
    target = artifact_target(path)
    if args.output:
        check_output(args.output, force=args.force)
    _check_record_path(args)
    cls = load_backend_class(target)
    _refuse_foreign_flags(args, target)
    options = cls.options_from_args(args)
    if "progress" in _constructor_parameters(cls):  # the CLI's bar (on a terminal)
        from snncompile.reference.progress import resolve

        options["progress"] = resolve(None, f"simulate ({target})", unit="sample")
    backend = get_backend(target, **options)
    engine = engine_name(target, backend, nir)
    want_rates = int(getattr(args, "verbose", 0) or 0) > 0 and not is_quiet(args)
    rates: dict[str, float] | None = None
    if target == "nir":
        outputs, data = _simulate_nir(path, args, nir)
    else:
        shape = cls.input_shape(path)
        data = _first(read_input_data(args.input, per_step_shape=shape, steps=args.steps), args)
        if want_rates and hasattr(backend, "simulate_recorded"):  # measured by the target
            traces = backend.simulate_recorded(path, data.inputs, args.steps, record="spikes")
            outputs = {k: v for k, v in traces.items() if "/" not in k}
            rates = _recorded_rates(traces)
        else:
            outputs = backend.simulate(path, data.inputs, args.steps)
    summary: dict[str, Any] = {
        "artifact": str(path),
        "target": target,
        "engine": engine,
        "inputs": list(data.inputs.shape),
        "outputs": {k: list(v.shape) for k, v in outputs.items()},
    }
    if data.labels is not None and len(outputs) == 1:
        scores = next(iter(outputs.values())).sum(axis=0).reshape(data.inputs.shape[1], -1)
        correct = int((scores.argmax(axis=1) == data.labels).sum())
        summary["accuracy"] = correct / len(data.labels)  # a fraction in [0, 1]
        summary["correct"] = correct
    if want_rates:
        rates_engine = engine
        if rates is None:
            rates, rates_engine = _reference_rates(path, target, data.inputs, nir, engine)
        summary["spike_rates"] = rates
        summary["spike_rates_engine"] = rates_engine
    if args.output:
        save_npz(args.output, outputs, force=args.force)
        summary["written"] = args.output
    if args.record:
        summary.update(_write_record(path, target, data, args, nir))
    if args.json:
        print_json(summary)
    elif not is_quiet(args):
        say(args, simulate_text(summary, len(data.labels) if data.labels is not None else 0))
    return EXIT_OK


#: The runtime that runs each target's artefacts, when it is not the target's name.
_ENGINES = {
    "onnx": "onnxruntime",
    "nir": "snncompile reference simulator",
    "lava": "lava",
}
_MODES = {"fixed": "fixed point", "float": "floating point"}


def engine_name(target: str, backend: Any, nir: Mapping[str, Any]) -> str:
    """What ran the artefact, in words: the runtime and its arithmetic (e.g. ``lava,
    fixed point``; ``onnxruntime``; ``snncompile reference simulator, float32``)."""
    if target == "nir":
        return f"{_ENGINES['nir']}, float32"
    name = _ENGINES.get(target, target)
    mode = getattr(backend, "mode", None)
    return f"{name}, {_MODES.get(mode, f'{mode} mode')}" if isinstance(mode, str) else name


def _recorded_rates(traces: Mapping[str, Any]) -> dict[str, float]:
    """Spike rates from a target's ``"<layer>/spikes"`` traces. A layer whose output
    is read as a value (``"<layer>/v"``, the readout) is left out: it never spikes."""
    read_out = {k.split("/")[0] for k in traces if "/" in k and not k.endswith("/spikes")}
    return {
        k.split("/")[0]: _rate(v)
        for k, v in traces.items()
        if k.endswith("/spikes") and k.split("/")[0] not in read_out
    }


def _rate(spikes: Any) -> float:
    """Spikes per neuron and time step (the mean of a binary [T, B, ...] array)."""
    import numpy as np

    return float(np.mean(np.asarray(spikes) != 0))


def _reference_rates(
    path: Path, target: str, inputs: Any, nir: dict[str, Any], engine: str
) -> tuple[dict[str, float], str]:
    """Per-layer spike rates of a reference-simulator run of the artefact's graph, for a
    target that records none itself; the second item names where they come from."""
    import numpy as np

    from snncompile.reference import simulate

    if target == "nir":
        from snncompile.api import load_graph

        graph = load_graph(path, **nir)
    else:
        from snncompile.api import open as open_artifact

        graph = open_artifact(path).graph
    traces = simulate(graph, inputs, dtype=np.float32, record="spikes")
    rates = {k: _rate(v) for k, v in traces.items() if k not in graph.outputs}
    if target == "nir":
        return rates, engine
    return rates, "snncompile reference simulator, float32, on the artefact's graph"


def simulate_text(summary: Mapping[str, Any], samples: int) -> str:
    """The plain-text form of ``simulate``'s summary: one ``key value`` line each,
    the accuracy as a percentage with its count, spike rates one layer per line."""
    lines = []
    for key, value in summary.items():
        if key in ("correct", "spike_rates", "spike_rates_engine"):
            continue
        if key == "accuracy":
            value = f"{100 * value:.2f} % ({summary['correct']} of {samples} samples)"
        elif key == "outputs":
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        lines.append(f"{key:<9} {value}")  # a longer key keeps one space
    if "spike_rates" in summary:
        lines.append(f"spike rates (spikes per neuron and step; {summary['spike_rates_engine']}):")
        width = max((len(k) for k in summary["spike_rates"]), default=0)
        lines += [f"  {k:<{width}}  {v:.4f}" for k, v in summary["spike_rates"].items()]
    return "\n".join(lines)


def _first(data: Any, args: argparse.Namespace) -> Any:
    """``data`` cut to its first ``--limit`` samples (all of them without it)."""
    limit = getattr(args, "limit", None)
    if limit is None:
        return data
    from dataclasses import replace

    labels = None if data.labels is None else data.labels[:limit]
    return replace(data, inputs=data.inputs[:, :limit], labels=labels)


def _check_record_path(args: argparse.Namespace) -> None:
    """``--record``: suffix .npz, not existing unless --force, not the --output file;
    checked before the run."""
    if not args.record:
        return
    from snncompile.energy.activity import check_activity_path

    if args.output and Path(args.output).resolve() == Path(args.record).resolve():
        raise ConfigError(
            f"--record and --output name the same file '{args.record}'",
            hint="write the outputs and the activity to two files",
        )
    check_activity_path(args.record, force=args.force)


def _write_record(
    path: Path, target: str, data: Any, args: argparse.Namespace, nir: dict[str, Any]
) -> dict[str, Any]:
    """Record the activity of the run on the same inputs and write it to ``--record``.

    No backend records per-layer activity through the backend contract, so the activity
    comes from the reference simulator run of the graph the artefact stores (for a
    ``.nir`` file: the graph as read with ``--dialect``/``--set``); the summary names
    that engine.
    """
    from snncompile.commands.report import record_reference_activity

    if target == "nir":
        from snncompile.api import load_graph

        graph = load_graph(path, **nir)
    else:
        from snncompile.api import open as open_artifact

        graph = open_artifact(path).graph
    metadata = {"source": path.name, "input": Path(args.input).name, "target": target}
    record = record_reference_activity(graph, data.inputs, metadata)
    written = record.save(args.record, force=args.force)
    return {"activity": str(written), "activity_engine": record.metadata["engine"]}


def _simulate_nir(path: Path, args: argparse.Namespace, nir: dict[str, Any]) -> tuple[Any, Any]:
    """Outputs and input data of a ``.nir`` run.

    The file is read with ``--dialect`` (None: the ``snncompile`` preset, with a warning
    when another tool wrote it) and the ``--set`` overrides, and run by the nir target's
    runtime, the reference simulator in float32; a run in which no layer spikes warns
    (:func:`warn_if_silent`).
    """
    import numpy as np

    from snncompile.api import load_graph
    from snncompile.backend import graph_input_shape
    from snncompile.datafiles import read_input_data
    from snncompile.reference import simulate

    graph = load_graph(path, **nir)
    data = read_input_data(args.input, per_step_shape=graph_input_shape(graph), steps=args.steps)
    data = _first(data, args)
    # the nir target's runtime (the reference simulator in float32) on the graph as read
    # with --dialect/--set, recording spikes to warn when no layer fires: the usual sign
    # of a preset mix-up. data.inputs are time-major, --steps applied (datafiles.time_major)
    traces = simulate(graph, data.inputs, dtype=np.float32, record="spikes")
    warn_if_silent(graph, traces, nir["dialect"])
    return {k: v for k, v in traces.items() if k in graph.outputs}, data


def warn_if_silent(graph: Any, traces: Mapping[str, Any], dialect: str | None) -> None:
    """A :class:`~snncompile.ir.diagnostics.DialectWarning` when no spiking node of ``graph``
    spiked in ``traces`` (a reference run recorded with ``record="spikes"``)."""
    from snncompile.ir.diagnostics import DialectWarning
    from snncompile.ir.plausibility import silent_run_note

    counts = {k: float(v.sum()) for k, v in traces.items() if k not in graph.outputs}
    note = silent_run_note(counts, dialect or "snncompile")  # None: the assumed preset
    if note:
        warnings.warn(note, DialectWarning, stacklevel=2)
