"""One time step of an IR graph as ONNX ops (shared by every export mode).

Per step, nodes run in the graph's topological order. A node's input is the sum, in
edge-list order and folded left (``((a + b) + c)``), of its forward predecessors'
outputs at t and its back-edge predecessors' outputs at t − 1; those come from the
state ``state.<source>.output`` (zero at t = 0, or the source's zero-input response where
the target's profile has ``recurrent_t0="bias"``), exactly as in the reference simulator.
A node without predecessors receives zeros.
"""

from __future__ import annotations

from collections.abc import Mapping

import nir
import numpy as np
from onnx import TensorProto

from snncompile.reference import back_edge_start
from snncompile_onnx import lowerings
from snncompile_onnx.context import StepContext

BACK_EDGE_VAR = "output"
BOOL = TensorProto.BOOL


def build_step(ctx: StepContext, inputs: Mapping[str, str]) -> dict[str, str]:
    """Emit one step; ``inputs`` maps IR Input names to ``[B, *shape]`` tensors.

    Returns:
        IR Output name → tensor holding its value at this step. New state values are
        left in ``ctx.new_states`` (every state read is also written).
    """
    graph = ctx.shared.graph
    back = graph.back_edges
    start = back_edge_start(graph, ctx.shared.shapes, 1, np.dtype(np.float32))
    values: dict[str, str] = {}
    back_sources: list[str] = []
    for name in graph.topological_order:
        node = graph.nodes[name]
        if isinstance(node, nir.Input):
            values[name] = inputs[name]
            continue
        terms = []
        for pred in graph.predecessors(name):
            if (pred, name) in back:
                previous = ctx.state(pred, BACK_EDGE_VAR, ctx.out_shape(pred))
                if (pred, name) in start:
                    previous = _at_t0(ctx, pred, name, previous, start[(pred, name)])
                terms.append(previous)
                if pred not in back_sources:
                    back_sources.append(pred)
            else:
                terms.append(values[pred])
        if not terms:
            x = ctx.zeros(ctx.in_shape(name), f"{name}/zero_input")
        else:
            x = terms[0]
            for term in terms[1:]:
                x = ctx.add(x, term, f"{name}/sum")
        values[name] = lowerings.LOWERINGS[type(node)](ctx, name, node, x)
    for src in back_sources:
        ctx.set_state(src, BACK_EDGE_VAR, values[src])
    missing = sorted(set(ctx.specs) - set(ctx.new_states))
    if missing:  # a lowering bug, not a user error
        raise RuntimeError(f"states read but never written: {missing}")
    return {name: values[name] for name in graph.outputs}


def _at_t0(ctx: StepContext, src: str, dst: str, previous: str, value: np.ndarray) -> str:
    """The back edge ``src -> dst``: ``value`` (``recurrent_t0="bias"``) at t = 0, then the
    previous step's output. A ``started`` state (zero-initialised in every mode, one from
    the first step on) selects, so both values pass through unchanged."""
    started = ctx.state(src, f"started.{dst}", ctx.out_shape(src))
    first = ctx.raw(src, f"t0.{dst}", np.asarray(value, dtype=np.float32))
    chosen = ctx.em.op(
        "Where",
        [ctx.em.op("Cast", [started], f"{src}/started", to=BOOL), previous, first],
        f"{src}/back_edge_t0",
    )
    zero = ctx.mul(started, ctx.scalar(0.0), f"{src}/started_zero")
    ctx.set_state(src, f"started.{dst}", ctx.add(zero, ctx.scalar(1.0), f"{src}/started_next"))
    return chosen
