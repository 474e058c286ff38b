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
from pathlib import Path
from typing import Any

import numpy as np

from snncompile.errors import ConfigError

#: artefact suffix → target that simulates it
SUFFIX_TARGETS = {".onnx": "onnx", ".nir": "nir"}
MANIFEST = "manifest.json"


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
        "--input data.npz",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", help="checkpoint (.pt) or NIR file (.nir)")
    p.add_argument("--target", required=True, help="backend name (see list-backends)")
    p.add_argument("-o", "--output", required=True, help="output file or directory")
    p.add_argument("--force", action="store_true", help="replace an existing output")
    p.add_argument(
        "--allow-pickle",
        action="store_true",
        help="accept a whole pickled nn.Module (runs code from the file)",
    )
    p.add_argument("--dialect", default="snncompile", help="NIR dialect preset for .nir inputs")
    p.add_argument("--dump-ir", metavar="DIR", help="write the IR text dump after every pass")
    p.add_argument(
        "--onnx-mode",
        choices=("step", "unrolled", "loop"),
        help="ONNX: one step with explicit states (default), unrolled, or Loop",
    )
    p.add_argument("--steps", type=int, help="time steps (ONNX unrolled; static inputs)")
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
    p.add_argument("--steps", type=int, help="time steps (required for static inputs)")
    p.add_argument("--mode", choices=("float", "fixed"), help="Lava: numeric mode")
    p.add_argument("-o", "--output", metavar="NPZ", help="write the outputs here")
    p.add_argument("--json", action="store_true", help="machine-readable summary")
    p.set_defaults(handler=run_simulate)


def _backend_options(target: str, args: argparse.Namespace) -> dict[str, Any]:
    """Options given on the command line that the target's constructor takes."""
    from snncompile.backend import _entry_points
    from snncompile.datafiles import read_input_data

    given: dict[str, Any] = {}
    if args.onnx_mode is not None:
        if target != "onnx":
            raise ConfigError(
                f"--onnx-mode applies to --target onnx, not {target!r}", hint="drop --onnx-mode"
            )
        given["mode"] = args.onnx_mode
    for name in ("steps", "quantize"):
        if getattr(args, name) is not None:
            given[name] = getattr(args, name)
    if args.allow_clamp:
        given["allow_clamp"] = True
    if args.calibration:
        given["calibration"] = read_input_data(args.calibration, steps=args.steps).inputs
    ep = _entry_points().get(target)
    if ep is None or not given:
        return given
    params = inspect.signature(ep.load()).parameters
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
            allow_pickle=args.allow_pickle,
            dialect=args.dialect,
            options=options,
            dump_dir=args.dump_ir,
        )
        path = artifact.save(args.output, force=args.force)
    notes = sorted({str(w.message) for w in caught})
    report_path = None
    if args.report:
        report_path = _write_report(artifact.graph, args)
    summary = {
        "target": args.target,
        "output": str(path),
        "report": str(report_path) if report_path else None,
        "warnings": notes,
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for note in notes:
            print(f"warning: {note}")
        print(f"wrote {path} (target {args.target})")
        if report_path:
            print(f"wrote {report_path} (energy report)")
    return 0


def _write_report(graph: Any, args: argparse.Namespace) -> Path:
    from snncompile.api import energy_report
    from snncompile.datafiles import read_input_data

    if not args.input:
        raise ConfigError(
            "--report needs --input data to run the model on",
            hint="add --input data.npz (the activity is measured, not assumed)",
        )
    data = read_input_data(args.input, per_step_shape=_input_shape(graph), steps=args.steps)
    report = energy_report(graph, data.inputs, args.profile or None)
    return report.save(args.report)


def _input_shape(graph: Any) -> tuple[int, ...] | None:
    import nir

    shapes = [
        tuple(int(d) for d in np.asarray(n.input_type["input"]))
        for n in graph.nodes.values()
        if isinstance(n, nir.Input)
    ]
    return shapes[0] if len(shapes) == 1 else None


def _artifact_target(path: Path) -> str:
    if path.is_dir():
        manifest = path / MANIFEST
        if manifest.is_file():
            target = json.loads(manifest.read_text()).get("target")
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

    path = Path(args.artifact)
    target = _artifact_target(path)
    backend = get_backend(target, **({"mode": args.mode} if args.mode else {}))
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
        np.savez(args.output, **outputs)
        summary["written"] = args.output
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for key, value in summary.items():
            print(f"{key:<10}{value}")
    return 0


def _artifact_input_shape(path: Path, target: str) -> tuple[int, ...] | None:
    """The per-step input shape stored in the artefact, when the target records one."""
    if target == "nir":
        from snncompile.ir.nir_io import read_nir

        return _input_shape(read_nir(path, "snncompile"))
    if target == "onnx":
        import onnx

        model = onnx.load(str(path), load_external_data=False)
        dims = model.graph.input[0].type.tensor_type.shape.dim
        values = [d.dim_value for d in dims]
        # step mode: [B, ...]; unrolled/loop: [T, B, ...]
        rank_extra = 1 if len(model.graph.input) > 1 else 2
        return tuple(values[rank_extra:]) if all(values[rank_extra:]) else None
    return None
