"""Assemble an ONNX model from the per-step lowering, in one of three modes.

- ``step``: one time step. Inputs ``<input>`` [batch, *shape] and every state
  ``state.<node>.<var>`` [batch, *shape]; outputs ``<output>`` [batch, *shape] and every
  ``state.<node>.<var>.next``. The caller loops over time (zero states, T calls).
- ``unrolled``: T inlined copies of the step (T fixed at export). Inputs ``<input>``
  [T, batch, *shape], outputs ``<output>`` [T, batch, *shape].
- ``loop``: one ``Scan`` node over the leading axis of ``<input>`` [time, batch, *shape]
  (time symbolic); outputs ``<output>`` [time, batch, *shape].

In ``unrolled`` and ``loop`` every state starts at zero (``ConstantOfShape``) and stays
inside the model. Input and output names are the IR Input/Output node names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from onnx import GraphProto, NodeProto, ValueInfoProto, helper

from snncompile.errors import ConfigError
from snncompile.ir.graph import Graph
from snncompile.ir.shape_inference import NodeShapes, infer_graph_shapes
from snncompile.ir.verify import verify
from snncompile.quant.int8 import Int8Weight
from snncompile_onnx.context import (
    STATE_PREFIX,
    Shared,
    StateReader,
    StateSpec,
    StepContext,
)
from snncompile_onnx.emitter import FLOAT, ConstantStore, Emitter
from snncompile_onnx.lowerings import check_supported
from snncompile_onnx.step import build_step

Mode = Literal["step", "unrolled", "loop"]
MODES: tuple[str, ...] = ("step", "unrolled", "loop")
OPSET = 17
BATCH, TIME = "batch", "time"


@dataclass(frozen=True)
class Lowered:
    """A lowered model before metadata: the ONNX graph and the states it carries."""

    graph: GraphProto
    states: tuple[StateSpec, ...]


def _info(name: str, dims: Sequence[int | str]) -> ValueInfoProto:
    return helper.make_tensor_value_info(name, FLOAT, list(dims))


def _check_names(graph: Graph) -> None:
    """Model input/output names are IR names; they must not look like state names."""
    for name in (*graph.inputs, *graph.outputs):
        if name.startswith(STATE_PREFIX):
            raise ConfigError(
                f"Input/Output node {name!r} starts with {STATE_PREFIX!r}, which the ONNX "
                "backend reserves for state tensors",
                node=name,
                hint="rename the node",
            )


def lower_graph(
    graph: Graph,
    mode: Mode,
    steps: int | None = None,
    weights: Mapping[str, Int8Weight] | None = None,
) -> Lowered:
    """Lower a verified graph to an ONNX GraphProto in ``mode`` (see the module table)."""
    verify(graph)
    check_supported(graph)
    _check_names(graph)
    shapes = infer_graph_shapes(graph)
    em = Emitter(ConstantStore())
    em.names.update((*graph.inputs, *graph.outputs))
    shared = Shared(em, graph, shapes, weights or {})
    if mode == "step":
        return _lower_step(shared)
    if mode == "unrolled":
        if steps is None or steps < 1:
            raise ConfigError(
                f"mode 'unrolled' needs steps >= 1, got {steps!r}",
                hint="pass steps=T (CLI: --steps T), or use mode 'loop' for any T",
            )
        return _lower_unrolled(shared, steps)
    return _lower_loop(shared)


def _io_dims(shapes: Mapping[str, NodeShapes], name: str, lead: Sequence[int | str]) -> list:
    shape = shapes[name].output
    return [*lead, *(shape or ())]


def _finish(
    shared: Shared, inputs: list, outputs: list, doc: str, skip: frozenset[str] = frozenset()
) -> GraphProto:
    tensors = shared.outer.constants.tensors
    return helper.make_graph(
        shared.outer.nodes,
        "snncompile",
        inputs,
        outputs,
        initializer=[tensor for name, tensor in tensors.items() if name not in skip],
        doc_string=doc,
    )


def _lower_step(shared: Shared) -> Lowered:
    em, graph = shared.outer, shared.graph
    ctx = StepContext(shared, em, lambda _, spec: spec.name, batch_of=graph.inputs[0])
    outs = build_step(ctx, {name: name for name in graph.inputs})
    specs = tuple(ctx.specs.values())
    for name in graph.outputs:
        em.identity(outs[name], name)
    for spec in specs:
        em.identity(ctx.new_states[spec.name], spec.next_name)
    inputs = [_info(n, _io_dims(shared.shapes, n, [BATCH])) for n in graph.inputs]
    inputs += [_info(s.name, [BATCH, *s.shape]) for s in specs]
    outputs = [_info(n, _io_dims(shared.shapes, n, [BATCH])) for n in graph.outputs]
    outputs += [_info(s.next_name, [BATCH, *s.shape]) for s in specs]
    doc = "one time step; states in state.<node>.<var>, out in state.<node>.<var>.next"
    return Lowered(_finish(shared, inputs, outputs, doc), specs)


def _lower_unrolled(shared: Shared, steps: int) -> Lowered:
    em, graph = shared.outer, shared.graph
    per_step: list[dict[str, str]] = []
    previous: dict[str, str] = {}
    specs: tuple[StateSpec, ...] = ()
    for t in range(steps):
        sub = em.child(f"t{t}/")
        step_inputs = {
            name: sub.op("Gather", [name, sub.const(f"const.t{t}", t, np.int64)], name, axis=0)
            for name in graph.inputs
        }
        first = step_inputs[graph.inputs[0]]
        ctx = StepContext(shared, sub, _unrolled_reader(previous), batch_of=first)
        per_step.append(build_step(ctx, step_inputs))
        previous = dict(ctx.new_states)
        specs = tuple(ctx.specs.values())
    axis0 = em.const("const.[0]", [0], np.int64)
    for name in graph.outputs:
        frames = [em.op("Unsqueeze", [outs[name], axis0], f"{name}/t{t}") for t, outs in
                  enumerate(per_step)]  # fmt: skip
        stacked = em.op("Concat", frames, f"{name}/stacked", axis=0)
        em.identity(stacked, name)
    inputs = [_info(n, _io_dims(shared.shapes, n, [steps, BATCH])) for n in graph.inputs]
    outputs = [_info(n, _io_dims(shared.shapes, n, [steps, BATCH])) for n in graph.outputs]
    doc = f"{steps} time steps unrolled; time-major [T={steps}, batch, ...]"
    return Lowered(_finish(shared, inputs, outputs, doc), specs)


def _unrolled_reader(previous: Mapping[str, str]) -> StateReader:
    """The state from the previous unrolled step, or zeros at t = 0."""

    def read(ctx: StepContext, spec: StateSpec) -> str:
        if spec.name in previous:
            return previous[spec.name]
        return ctx.zeros(spec.shape, f"{spec.node}/{spec.var}.initial")

    return read


def _lower_loop(shared: Shared) -> Lowered:
    em, graph = shared.outer, shared.graph
    body_nodes: list = []
    body = em.child("loop/", body_nodes, local_ints=True)
    scan_in = {name: f"loop/{name}" for name in graph.inputs}
    body.names.update(scan_in.values())

    def read(_: StepContext, spec: StateSpec) -> str:
        body.names.add(f"loop/{spec.name}")
        return f"loop/{spec.name}"

    ctx = StepContext(shared, body, read, batch_of=scan_in[graph.inputs[0]])
    outs = build_step(ctx, scan_in)
    specs = tuple(ctx.specs.values())
    for spec in specs:
        body.identity(ctx.new_states[spec.name], f"loop/{spec.next_name}")
    for name in graph.outputs:
        body.identity(outs[name], f"loop/{name}.step")
    first = graph.inputs[0]
    batch = em.op("Shape", [first], "batch", start=1, end=2)
    zero_ctx = StepContext(shared, em, _no_state, batch_of=first, batch=batch)
    initial = [zero_ctx.zeros(s.shape, f"{s.node}/{s.var}.initial") for s in specs]
    # Constants only the body reads live in the body: onnxruntime then treats them as
    # constant weights there (pre-packing, NCHWc conv), which it does not for values
    # captured from the outer scope.
    used_outside = {name for node in em.nodes for name in node.input}
    tensors = em.constants.tensors
    local = [name for name in tensors if name not in used_outside and _read_by(name, body_nodes)]
    body_graph = helper.make_graph(
        body_nodes,
        "step",
        [_info(f"loop/{s.name}", [BATCH, *s.shape]) for s in specs]
        + [_info(scan_in[n], _io_dims(shared.shapes, n, [BATCH])) for n in graph.inputs],
        [_info(f"loop/{s.next_name}", [BATCH, *s.shape]) for s in specs]
        + [_info(f"loop/{n}.step", _io_dims(shared.shapes, n, [BATCH])) for n in graph.outputs],
        initializer=[tensors[name] for name in local],
    )
    finals = [em.fresh(f"final/{s.name}") for s in specs]
    em.nodes.append(
        helper.make_node(
            "Scan",
            [*initial, *graph.inputs],
            [*finals, *graph.outputs],
            name=em.fresh("time_loop:Scan"),
            body=body_graph,
            num_scan_inputs=len(graph.inputs),
        )
    )
    inputs = [_info(n, _io_dims(shared.shapes, n, [TIME, BATCH])) for n in graph.inputs]
    outputs = [_info(n, _io_dims(shared.shapes, n, [TIME, BATCH])) for n in graph.outputs]
    doc = "Scan over the leading time axis; time-major [time, batch, ...]"
    return Lowered(_finish(shared, inputs, outputs, doc, frozenset(local)), specs)


def _read_by(name: str, nodes: Sequence[NodeProto]) -> bool:
    return any(name in node.input for node in nodes)


def _no_state(ctx: StepContext, spec: StateSpec) -> str:
    raise RuntimeError(f"no state reader here (asked for {spec.name})")
