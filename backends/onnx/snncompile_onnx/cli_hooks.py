"""Functions for wiring the ONNX target into ``snncompile``'s CLI (the lead wires them).

``snncompile export model.pt --target onnx [--mode step|unrolled|loop] [--steps T]
[--quantize int8]`` and ``snncompile simulate model.onnx inputs.npy --out outputs.npz``::

    from snncompile_onnx import cli_hooks
    cli_hooks.add_export_options(export_parser)      # adds --mode/--steps/--quantize
    path = cli_hooks.export_from_args(graph, out_path, args)
    cli_hooks.add_simulate_options(simulate_parser)  # adds model, inputs, --out, --threads
    summary = cli_hooks.simulate_from_args(args)     # returns lines to print

Everything raises :class:`~snncompile.errors.SnnCompileError` subclasses only for user
errors (bad options, unreadable inputs), which the CLI prints as ``error:``/``hint:``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from snncompile.errors import InputError
from snncompile.ir.graph import Graph
from snncompile_onnx.export import QUANTIZE_CHOICES, export_onnx
from snncompile_onnx.modes import MODES
from snncompile_onnx.runtime import simulate_onnx


def add_export_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--mode``, ``--steps`` and ``--quantize`` (ONNX target options)."""
    group = parser.add_argument_group("ONNX target (--target onnx)")
    group.add_argument("--mode", choices=MODES, default="step", help="ONNX model form")
    group.add_argument("--steps", type=int, default=None, help="T for --mode unrolled")
    group.add_argument("--quantize", choices=QUANTIZE_CHOICES, default=None,
                       help="int8: per-layer symmetric int8 QDQ weights")  # fmt: skip


def export_from_args(graph: Graph, path: str | Path, args: argparse.Namespace) -> Path:
    """``export_onnx(graph, path, args.mode, args.steps, args.quantize)``."""
    return export_onnx(
        graph,
        path,
        getattr(args, "mode", "step"),
        getattr(args, "steps", None),
        getattr(args, "quantize", None),
    )


def add_simulate_options(parser: argparse.ArgumentParser) -> None:
    """Add ``model``, ``inputs`` (.npy [T, B, ...] or .npz per input), ``--out``, ``--threads``."""
    parser.add_argument("model", type=Path, help="the .onnx file written by snncompile")
    parser.add_argument("inputs", type=Path, help=".npy [T, B, ...] float32, or .npz by name")
    parser.add_argument("--out", type=Path, default=None, help="write outputs to this .npz")
    parser.add_argument("--threads", type=int, default=None, help="onnxruntime threads")


def load_inputs(path: Path) -> np.ndarray | dict[str, np.ndarray]:
    """Read a ``.npy`` array or a ``.npz`` of named arrays (no pickles)."""
    try:
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as data:
                return {key: data[key] for key in data.files}
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputError(
            f"cannot read inputs from {path}: {exc}",
            hint="save them with np.save (one input) or np.savez (by input name)",
        ) from exc


def simulate_from_args(args: argparse.Namespace) -> list[str]:
    """Run the model on the inputs, optionally save the outputs; return summary lines."""
    outputs = simulate_onnx(args.model, load_inputs(args.inputs), threads=args.threads)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        np.savez(args.out, **outputs)
    lines = [f"{name}: {list(value.shape)} {value.dtype}" for name, value in outputs.items()]
    if args.out is not None:
        lines.append(f"wrote {args.out}")
    return lines
