"""``snncompile export`` and ``snncompile simulate``.

export: model (checkpoint or .nir) → IR → pass pipeline → target artefact, written
atomically (a temporary sibling, then a rename). simulate: run an artefact in its
target's runtime on ``--input data.npz`` and print outputs and accuracy.
"""

from __future__ import annotations

import argparse
import inspect
import json
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from snncompile.commands.common import EXIT_OK, is_quiet, print_json, say, warn
from snncompile.errors import CheckpointError, ConfigError

#: artefact suffix → target that simulates it
SUFFIX_TARGETS = {".onnx": "onnx", ".nir": "nir"}
MANIFEST = "manifest.json"


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
    p.add_argument(
        "--allow-pickle",
        action="store_true",
        help="accept a whole pickled nn.Module (runs code from the file: trusted files only)",
    )
    p.add_argument(
        "--input-shape",
        type=shape_arg,
        metavar="T,B,...",
        help="example input shape to trace a pickled module with (checkpoints written by "
        "snncompile.save store their own)",
    )


def add_deploy_commands(sub: Any) -> None:
    """Register ``export`` and ``simulate`` on an argparse subparsers object."""
    p = sub.add_parser(
        "export",
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
        "  snncompile export pickled.pt --allow-pickle --input-shape 4,1,1,8,8 --target nir "
        "-o m.nir",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", help="checkpoint (.pt) or NIR file (.nir)")
    p.add_argument("--target", required=True, help="backend name (see list-backends)")
    p.add_argument("-o", "--output", required=True, help="output file or directory")
    p.add_argument("--force", action="store_true", help="replace an existing output")
    add_model_options(p)
    p.add_argument("--dialect", default="snncompile", help="NIR dialect preset for .nir inputs")
    p.add_argument("--dump-ir", metavar="DIR", help="write the IR text dump after every pass")
    p.add_argument(
        "--onnx-mode",
        choices=("step", "unrolled", "loop"),
        help="ONNX: one step with explicit states (default), unrolled, or Loop",
    )
    p.add_argument("--steps", type=positive_int, help="time steps (ONNX unrolled; static inputs)")
    p.add_argument("--quantize", help="target quantisation (ONNX: int8)")
    p.add_argument("--calibration", metavar="NPZ", help="calibration inputs (.npz/.npy)")
    p.add_argument(
        "--allow-clamp",
        action="store_true",
        help="clamp unrepresentable values with a warning instead of failing",
    )
    p.add_argument(
        "--report",
        metavar="FILE",
        help="also write an energy report (.json/.md/.html) from a reference run on --input",
    )
    p.add_argument("--input", metavar="NPZ", help="data for --report")
    p.add_argument("--profile", action="append", default=[], help="energy profile (repeat)")
    p.add_argument("--json", action="store_true", help="machine-readable summary")
    p.set_defaults(handler=run_export)

    p = sub.add_parser(
        "simulate",
        help="run an exported artefact on input data",
        description="Run an artefact in its target's runtime (onnxruntime for .onnx, the "
        "reference simulator for .nir, Lava for a Lava directory) on time-major inputs.",
        epilog="examples:\n"
        "  snncompile simulate model.onnx --input data.npz\n"
        "  snncompile simulate model.nir --input static.npz --steps 4 -o outputs.npz --json\n"
        "  snncompile simulate out/ --input data.npz --mode fixed --steps 8",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("artifact", help="an exported .onnx or .nir file, or a Lava directory")
    p.add_argument(
        "--input",
        required=True,
        metavar="NPZ",
        help="inputs under 'inputs' [T, B, ...] or static [B, ...], labels under 'labels'",
    )
    p.add_argument("--steps", type=positive_int, help="time steps (required for static inputs)")
    p.add_argument("--mode", choices=("float", "fixed"), help="Lava: numeric mode")
    p.add_argument("-o", "--output", metavar="NPZ", help="write the outputs here (.npz)")
    p.add_argument("--force", action="store_true", help="replace an existing --output")
    p.add_argument("--json", action="store_true", help="machine-readable summary")
    p.set_defaults(handler=run_simulate)


def _constructor_parameters(target: str) -> Mapping[str, inspect.Parameter] | None:
    """The parameters of ``target``'s Backend class (None: not installed)."""
    from snncompile.backend import _entry_points

    ep = _entry_points().get(target)
    return inspect.signature(ep.load()).parameters if ep is not None else None


def _backend_options(target: str, args: argparse.Namespace) -> dict[str, Any]:
    """Options given on the command line that the target's constructor takes.

    ``--steps`` also sets T for static ``--input``/``--calibration`` data: with those it
    goes to the target only when the target uses it (ONNX: ``--onnx-mode unrolled``).
    """
    from snncompile.datafiles import read_input_data

    params = _constructor_parameters(target)
    known = params or {}
    given: dict[str, Any] = {}
    if args.onnx_mode is not None:
        if target != "onnx":
            raise ConfigError(
                f"--onnx-mode applies to --target onnx, not {target!r}", hint="drop --onnx-mode"
            )
        given["mode"] = args.onnx_mode
    if args.quantize is not None:
        given["quantize"] = args.quantize
    if args.steps is not None:
        used_by_target = "steps" in known and (target != "onnx" or args.onnx_mode == "unrolled")
        if used_by_target or not (args.report or args.calibration):
            given["steps"] = args.steps
    if args.allow_clamp:
        given["allow_clamp"] = True
    if args.calibration:
        # the model's per-step input shape tells static [N, ...] from time-major data
        from snncompile.api import graph_input_shape, load_graph

        graph = load_graph(
            args.model,
            input_shape=args.input_shape,
            allow_pickle=args.allow_pickle,
            dialect=args.dialect,
        )
        given["calibration"] = read_input_data(
            args.calibration, per_step_shape=graph_input_shape(graph), steps=args.steps
        ).inputs
    if params is None or not given:
        return given
    unknown = sorted(k for k in given if k not in params)
    if unknown and not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        flags = ", ".join("--" + k.replace("_", "-") for k in unknown)
        raise ConfigError(
            f"--target {target} does not take {flags}",
            hint=f"drop {flags} (see `snncompile export --help`)",
        )
    return given


def run_export(args: argparse.Namespace) -> int:
    from snncompile.api import compile as compile_model

    options = _backend_options(args.target, args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        artifact = compile_model(
            args.model,
            args.target,
            input_shape=args.input_shape,
            allow_pickle=args.allow_pickle,
            dialect=args.dialect,
            options=options,
            dump_dir=args.dump_ir,
        )
        # read the report's data before writing anything: fail early, not after the export
        data = _report_inputs(artifact.graph, args) if args.report else None
        path = artifact.save(args.output, force=args.force)
    notes = sorted({str(w.message) for w in caught})
    report_path = None
    if data is not None:
        report_path = _write_report(artifact.graph, data, args)
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
    from snncompile.datafiles import read_input_data
    from snncompile.outputs import check_output

    if not args.input:
        raise ConfigError(
            "--report needs --input data to run the model on",
            hint="add --input data.npz (the activity is measured, not assumed)",
        )
    check_output(args.report, force=args.force)
    return read_input_data(args.input, per_step_shape=_input_shape(graph), steps=args.steps)


def _write_report(graph: Any, data: Any, args: argparse.Namespace) -> Path:
    from snncompile.api import energy_report
    from snncompile.outputs import write_atomic

    report = energy_report(graph, data.inputs, args.profile or None)
    return write_atomic(args.report, report.save, force=args.force)


def _input_shape(graph: Any) -> tuple[int, ...] | None:
    from snncompile.api import graph_input_shape

    return graph_input_shape(graph)


def _artifact_target(path: Path) -> str:
    if path.is_dir():
        manifest = path / MANIFEST
        if manifest.is_file():
            try:
                target = json.loads(manifest.read_text("utf-8")).get("target")
            except (ValueError, AttributeError) as exc:
                raise CheckpointError(
                    f"'{manifest}' is not a valid snncompile manifest ({exc})",
                    hint="export the artefact again",
                ) from exc
            if isinstance(target, str):
                return target
        raise ConfigError(
            f"'{path}' is a directory without an snncompile {MANIFEST}",
            hint="give the directory written by `snncompile export --target lava`",
        )
    if not path.exists():
        raise ConfigError(f"artefact '{path}' does not exist", hint="check the path")
    if path.suffix in SUFFIX_TARGETS:
        return SUFFIX_TARGETS[path.suffix]
    raise ConfigError(
        f"'{path}': unknown artefact type {path.suffix!r}",
        hint="give a .onnx or .nir file or a Lava export directory",
    )


def run_simulate(args: argparse.Namespace) -> int:
    from snncompile.backend import get_backend
    from snncompile.datafiles import read_input_data
    from snncompile.outputs import check_output, save_npz

    path = Path(args.artifact)
    target = _artifact_target(path)
    if args.output:
        check_output(args.output, force=args.force)
    options: dict[str, Any] = {"mode": args.mode} if args.mode else {}
    if "progress" in (_constructor_parameters(target) or {}):  # the CLI's bar (on a terminal)
        from snncompile.reference.progress import resolve

        options["progress"] = resolve(None, f"simulate ({target})", unit="sample")
    backend = get_backend(target, **options)
    shape = _artifact_input_shape(path, target)
    data = read_input_data(args.input, per_step_shape=shape, steps=args.steps)
    outputs = backend.simulate(path, data.inputs, args.steps)
    summary: dict[str, Any] = {
        "artifact": str(path),
        "target": target,
        "inputs": list(data.inputs.shape),
        "outputs": {k: list(v.shape) for k, v in outputs.items()},
    }
    if data.labels is not None and len(outputs) == 1:
        scores = next(iter(outputs.values())).sum(axis=0).reshape(data.inputs.shape[1], -1)
        summary["accuracy"] = float((scores.argmax(axis=1) == data.labels).mean())
    if args.output:
        save_npz(args.output, outputs, force=args.force)
        summary["written"] = args.output
    if args.json:
        print_json(summary)
    elif not is_quiet(args):
        for key, value in summary.items():
            say(args, f"{key:<10}{value}")
    return EXIT_OK


def _artifact_input_shape(path: Path, target: str) -> tuple[int, ...] | None:
    """The per-step input shape stored in the artefact, when the target records one."""
    if target == "nir":
        from snncompile.ir.nir_io import read_nir

        return _input_shape(read_nir(path, "snncompile"))
    if target == "onnx":
        return _onnx_input_shape(path)
    if path.is_dir():  # directory artefacts may record it in their manifest
        try:
            shape = json.loads((path / MANIFEST).read_text("utf-8"))["input"]["shape"]
            return tuple(int(d) for d in shape)
        except (OSError, ValueError, KeyError, TypeError):
            return None
    return None


def _onnx_input_shape(path: Path) -> tuple[int, ...] | None:
    import onnx
    from google.protobuf.message import DecodeError

    try:
        model = onnx.load(str(path), load_external_data=False)
    except (DecodeError, ValueError, OSError, RuntimeError) as exc:
        raise CheckpointError(
            f"cannot read '{path}' as an ONNX model: {type(exc).__name__}: {exc}",
            hint="the file is damaged or not an ONNX model; export it again with "
            "`snncompile export MODEL --target onnx`",
        ) from exc
    if not model.graph.input:
        raise CheckpointError(
            f"'{path}' is not an ONNX model written by snncompile (it has no graph inputs; "
            f"{path.stat().st_size} bytes)",
            hint="the file is empty, damaged or not an ONNX model; export it again with "
            "`snncompile export MODEL --target onnx`",
        )
    dims = model.graph.input[0].type.tensor_type.shape.dim
    values = [d.dim_value for d in dims]
    # step mode: [B, ...]; unrolled/loop: [T, B, ...]
    rank_extra = 1 if len(model.graph.input) > 1 else 2
    return tuple(values[rank_extra:]) if all(values[rank_extra:]) else None
