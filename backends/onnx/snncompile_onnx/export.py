"""``export_onnx`` / ``build_model``: IR graph → checked ONNX model (the public entry point).

Pipeline: [the int8 quantisation stage] → ``lower_graph`` (verify, lowering, mode
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
from snncompile.quant.int8 import SCHEME, int8_weights, quantize_int8_graph
from snncompile.quant.stage import QuantizationRequest, QuantizedGraph
from snncompile.quant.stage import quantize as quantize_stage
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


def check_quantize_option(quantize: str | None) -> None:
    """Raise ConfigError unless ``quantize`` is None or one of ``QUANTIZE_CHOICES``."""
    if quantize is not None and quantize not in QUANTIZE_CHOICES:
        raise ConfigError(
            f"unknown quantize={quantize!r} for the ONNX backend",
            hint=f"use one of {QUANTIZE_CHOICES} or None (float32 weights)",
        )


def _check_options(mode: str, steps: int | None, quantize: str | None) -> None:
    if mode not in MODES:
        raise ConfigError(f"unknown ONNX export mode {mode!r}", hint=f"use one of {MODES}")
    check_quantize_option(quantize)
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int)):
        raise ConfigError(f"steps must be an int, got {steps!r}", hint="pass e.g. steps=8")
    if mode != "unrolled" and steps is not None:
        raise ConfigError(
            f"steps={steps} is only meaningful with mode='unrolled' (mode is {mode!r})",
            hint="drop steps: 'step' runs one step per call and 'loop' takes T from the input",
        )


def stage_input(graph: Graph | QuantizedGraph, quantize: str | None) -> QuantizedGraph | None:
    """The quantised stage to lower: ``graph`` itself when already quantised (the
    backend's ``quantize`` hook ran), the int8 stage for ``quantize="int8"``, else None."""
    if isinstance(graph, QuantizedGraph):
        return graph
    if quantize == SCHEME:
        return quantize_stage(graph, QuantizationRequest(SCHEME), quantizer=quantize_int8_graph)
    return None


def build_model(
    graph: Graph | QuantizedGraph,
    mode: str = "step",
    steps: int | None = None,
    quantize: str | None = None,
) -> Exported:
    """Lower ``graph`` (or an int8 QuantizedGraph) to a checked ONNX model (see
    :func:`export_onnx`). Lowering maps the stage's integers; it never quantises."""
    _check_options(mode, steps, quantize)
    staged = stage_input(graph, quantize)
    if staged is not None and staged.request.scheme != SCHEME:
        raise ConfigError(
            f"the ONNX backend lowers int8 quantised graphs, not {staged.request.scheme!r}",
            hint="quantise with quantize='int8' (or not at all)",
        )
    plain = staged.graph if staged is not None else graph
    weights = int8_weights(staged)
    quantize = SCHEME if staged is not None else None
    lowered = lower_graph(plain, mode, steps, weights)  # type: ignore[arg-type]
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
        plain,
        mode=mode,
        steps=steps,
        states=lowered.states,
        quantize=quantize,
        weights=weights,
    )
    helper.set_model_props(model, dict(props))
    onnx.checker.check_model(model, full_check=True)
    return Exported(model, plain, lowered.states)


def export_onnx(
    graph: Graph | QuantizedGraph,
    path: str | os.PathLike[str],
    mode: str = "step",
    steps: int | None = None,
    quantize: str | None = None,
) -> Path:
    """Write ``graph`` as an ONNX model (opset 17) and return the file's path.

    Args:
        graph: a well-formed IR graph (verified here), or the int8 QuantizedGraph of
            the quantisation stage (then ``quantize`` is implied).
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
