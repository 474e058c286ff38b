"""``export_onnx`` / ``build_model``: IR graph → checked ONNX model (the public entry point).

Pipeline: [``quantize_weights_int8``] → ``lower_graph`` (verify, lowering, mode
assembly) → metadata → ``onnx.checker.check_model(full_check=True)``. Lowering never
quantises: with ``quantize="int8"`` the quantisation pass runs first and lowering maps
its integers onto ``DequantizeLinear``.

Invariant: the same graph and options give byte-identical files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import onnx
from onnx import ModelProto, helper

from snncompile.errors import ConfigError
from snncompile.ir.graph import Graph
from snncompile.quant.int8 import Int8Graph, quantize_weights_int8
from snncompile_onnx.context import StateSpec
from snncompile_onnx.metadata import build_metadata, distribution_version
from snncompile_onnx.modes import MODES, OPSET, lower_graph

QUANTIZE_CHOICES: tuple[str, ...] = ("int8",)


@dataclass(frozen=True)
class Exported:
    """An exported model.

    Attributes:
        model: the checked ONNX model.
        graph: the IR graph whose semantics it carries (with dequantised weights for int8;
            run the reference simulator on it for conformance).
        states: the state variables (step-mode model inputs/outputs).
    """

    model: ModelProto
    graph: Graph
    states: tuple[StateSpec, ...]


def _check_options(mode: str, steps: int | None, quantize: str | None) -> None:
    if mode not in MODES:
        raise ConfigError(f"unknown ONNX export mode {mode!r}", hint=f"use one of {MODES}")
    if quantize is not None and quantize not in QUANTIZE_CHOICES:
        raise ConfigError(
            f"unknown quantize={quantize!r} for the ONNX backend",
            hint=f"use one of {QUANTIZE_CHOICES} or None (float32 weights)",
        )
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int)):
        raise ConfigError(f"steps must be an int, got {steps!r}", hint="pass e.g. steps=8")
    if mode != "unrolled" and steps is not None:
        raise ConfigError(
            f"steps={steps} is only meaningful with mode='unrolled' (mode is {mode!r})",
            hint="drop steps: 'step' runs one step per call and 'loop' takes T from the input",
        )


def build_model(
    graph: Graph, mode: str = "step", steps: int | None = None, quantize: str | None = None
) -> Exported:
    """Lower ``graph`` to a checked ONNX model (see :func:`export_onnx`)."""
    _check_options(mode, steps, quantize)
    quantized = quantize_weights_int8(graph) if quantize == "int8" else Int8Graph(graph, {})
    lowered = lower_graph(quantized.graph, mode, steps, quantized.weights)  # type: ignore[arg-type]
    model = helper.make_model(
        lowered.graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="snncompile-onnx",
        producer_version=distribution_version("snncompile-onnx"),
        doc_string="Spiking neural network exported by snncompile (float32 semantics of the "
        "snncompile reference simulator).",
    )
    model.ir_version = helper.find_min_ir_version_for([helper.make_opsetid("", OPSET)])
    props = build_metadata(
        quantized.graph,
        mode=mode,
        steps=steps,
        states=lowered.states,
        quantize=quantize,
        weights=quantized.weights,
    )
    helper.set_model_props(model, dict(props))
    onnx.checker.check_model(model, full_check=True)
    return Exported(model, quantized.graph, lowered.states)


def export_onnx(
    graph: Graph,
    path: str | os.PathLike[str],
    mode: str = "step",
    steps: int | None = None,
    quantize: str | None = None,
) -> Path:
    """Write ``graph`` as an ONNX model (opset 17) and return the file's path.

    Args:
        graph: a well-formed IR graph (verified here).
        path: the ``.onnx`` file to write (parent folders are created).
        mode: ``"step"`` (one step, explicit states), ``"unrolled"`` (``steps`` steps
            inlined) or ``"loop"`` (a ``Scan`` over the input's time axis).
        steps: T for ``"unrolled"`` (required there, rejected elsewhere).
        quantize: None (float32 weights) or ``"int8"`` (QDQ weights, per-layer symmetric).

    Raises:
        ConfigError: bad options. IRValidationError: ``graph`` is not well formed.
        UnsupportedNodeError: a node type without a lowering.
    """
    exported = build_model(graph, mode, steps, quantize)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(exported.model.SerializeToString(deterministic=True))
    return out
