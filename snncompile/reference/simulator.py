"""``simulate``: the numpy reference executor, the executable definition of the IR.

Per time step t, nodes run in the graph's topological order. A node's input is the sum
(in edge-list order) of its forward predecessors' outputs at t and its back-edge
predecessors' outputs at t − 1 (zero at t = 0); a node without predecessors receives
zeros. Inputs and outputs are time-major ``[T, B, *shape]``. Every state starts at 0.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

import nir
import numpy as np

from snncompile.errors import ConfigError, InputError, UnsupportedNodeError
from snncompile.ir.graph import Graph
from snncompile.ir.native_layers import BatchNorm, MaxPool2d
from snncompile.ir.native_neurons import CLIF, DALIF, ILIF, PLIF, SoftLIF
from snncompile.ir.nodes import kind_of
from snncompile.ir.shape_inference import infer_graph_shapes
from snncompile.ir.shapes import Shape
from snncompile.ir.verify import verify
from snncompile.reference import layers, native_neurons, nir_neurons
from snncompile.reference.progress import ProgressHook, resolve

#: observer(t, node name, output at t) is called after every node of every step.
Observer = Callable[[int, str, np.ndarray], None]
Factory = Callable[[Any, Any, int, np.dtype, Shape], Any]


def neuron_stepper(cls: type) -> Factory:
    """The factory of a neuron stepper class built as ``cls(node, profile, batch, dtype)``."""
    return lambda node, profile, batch, dtype, out: cls(node, profile, batch, dtype)


_neuron = neuron_stepper

#: Stepper factory per IR node class: ``factory(node, profile, batch, dtype, out_shape)``
#: returns an object with ``step(x) -> y`` and a ``states`` dict. A new node type adds its
#: entry here (docs/extending.md); a coverage test checks that every NODE_TYPES class has
#: one, except the classes in :data:`FED`.
STEPPERS: dict[type, Factory] = {
    nir.Output: layers.Stateless,
    nir.Affine: layers.AffineStep,
    nir.Linear: layers.AffineStep,
    nir.Scale: layers.ScaleStep,
    nir.Conv1d: layers.ConvStep,
    nir.Conv2d: layers.ConvStep,
    nir.SumPool2d: layers.PoolStep,
    nir.AvgPool2d: layers.PoolStep,
    MaxPool2d: layers.MaxPoolStep,
    nir.Flatten: layers.FlattenStep,
    BatchNorm: layers.BatchNormStep,
    nir.Delay: _neuron(nir_neurons.DelayStep),
    nir.Threshold: _neuron(nir_neurons.ThresholdStep),
    nir.I: _neuron(nir_neurons.IStep),
    nir.LI: _neuron(nir_neurons.LIStep),
    nir.IF: _neuron(nir_neurons.LIFStep),
    nir.LIF: _neuron(nir_neurons.LIFStep),
    nir.CubaLI: _neuron(nir_neurons.CubaStep),
    nir.CubaLIF: _neuron(nir_neurons.CubaStep),
    SoftLIF: _neuron(native_neurons.SoftLIFStep),
    PLIF: _neuron(native_neurons.PLIFStep),
    DALIF: _neuron(native_neurons.DALIFStep),
    CLIF: _neuron(native_neurons.CLIFStep),
    ILIF: _neuron(native_neurons.ILIFStep),
}

#: Node classes that are not stepped: their values are the user's inputs.
FED: frozenset[type] = frozenset({nir.Input})


def simulate(
    graph: Graph,
    inputs: np.ndarray | Mapping[str, np.ndarray],
    *,
    dtype: type[np.floating[Any]] | np.dtype = np.float64,
    record: str | Collection[str] | None = None,
    observer: Observer | None = None,
    progress: ProgressHook | None = None,
) -> dict[str, np.ndarray]:
    """Run ``graph`` on time-major ``inputs`` and return the requested traces.

    Args:
        graph: a well-formed IR graph (verified here).
        inputs: ``[T, B, *shape]`` for a graph with one Input, else ``{input name: array}``.
        dtype: ``np.float64`` or ``np.float32``; parameters and states use it throughout.
        record: extra traces besides the Output nodes: ``"spikes"`` (every spiking node's
            output, keyed by node name), ``"all"`` (every node's output plus its states,
            keyed ``"<node>:<state>"``), or a collection of node names (their outputs and
            states).
        observer: called as ``observer(t, name, output)`` after each node's step, e.g. to
            count events for an energy estimate.
        progress: called as ``progress(done, T)`` before the first and after every time
            step (default: the context's hook, see :mod:`snncompile.reference.progress`).

    Returns:
        ``{name: [T, B, *shape]}`` for every Output node and every recorded trace.

    Raises:
        IRValidationError: ``graph`` is not well formed.
        InputError: inputs missing, of the wrong shape, non-numeric or not finite.
        ConfigError: unsupported ``dtype`` or unknown node names in ``record``.
    """
    dt = _check_dtype(dtype)
    verify(graph)
    shapes = infer_graph_shapes(graph)
    feeds = _check_inputs(graph, inputs, shapes, dt)
    steps, batch = next(iter(feeds.values())).shape[:2]
    want_nodes, want_states = _record_plan(graph, record)
    order = graph.topological_order
    steppers = {
        name: _stepper_factory(name, graph.nodes[name])(
            graph.nodes[name], graph.node_profile(name), batch, dt, shapes[name].output
        )
        for name in order
        if name not in feeds
    }
    preds = {name: graph.predecessors(name) for name in order}
    back = graph.back_edges
    prev = {name: np.zeros((batch, *shapes[name].output), dtype=dt) for name in order}
    start = back_edge_start(graph, shapes, batch, dt)
    traces: dict[str, list[np.ndarray]] = {}
    hook = resolve(progress, "simulate")
    if hook is not None:
        hook(0, steps)
    for t in range(steps):
        cur: dict[str, np.ndarray] = {}
        for name in order:
            if name in feeds:
                y = feeds[name][t]
            else:
                before = start if t == 0 else None
                x = _summed_input(
                    name, preds[name], cur, prev, back, before, batch, shapes[name].input, dt
                )
                y = steppers[name].step(x)
            cur[name] = y
            if observer is not None:
                observer(t, name, y)
            if name in want_nodes or isinstance(graph.nodes[name], nir.Output):
                traces.setdefault(name, []).append(np.array(y, dtype=dt))
            if name in want_states and name in steppers:
                for key, value in steppers[name].states.items():
                    traces.setdefault(f"{name}:{key}", []).append(np.array(value, dtype=dt))
        prev = cur
        if hook is not None:
            hook(t + 1, steps)
    return {key: np.stack(values) for key, values in traces.items()}


def _stepper_factory(name: str, node: Any) -> Factory:
    factory = STEPPERS.get(type(node))
    if factory is None:
        raise UnsupportedNodeError(
            f"node {name!r} of type {type(node).__name__} has no reference stepper",
            node=name,
            hint="add its entry to snncompile.reference.simulator.STEPPERS (docs/extending.md)",
        )
    return factory


def _summed_input(
    name: str,
    preds: tuple[str, ...],
    cur: Mapping[str, np.ndarray],
    prev: Mapping[str, np.ndarray],
    back: frozenset[tuple[str, str]],
    start: Mapping[tuple[str, str], np.ndarray] | None,
    batch: int,
    shape: Shape | None,
    dtype: np.dtype,
) -> np.ndarray:
    """The sum of ``name``'s inputs: forward edges at t, back edges at t − 1 (at t = 0,
    ``start``'s value of the edge where the profile asks for one, else zeros)."""
    values = []
    for p in preds:
        if (p, name) not in back:
            values.append(cur[p])
        elif start is not None and (p, name) in start:
            values.append(start[(p, name)])
        else:
            values.append(prev[p])
    if not values:
        return np.zeros((batch, *(shape or ())), dtype=dtype)
    total = values[0]
    for value in values[1:]:
        total = total + value
    return total


def back_edge_start(
    graph: Graph, shapes: Mapping[str, Any], batch: int, dtype: np.dtype
) -> dict[tuple[str, str], np.ndarray]:
    """Back edges whose target's profile has ``recurrent_t0="bias"``: the source's output
    for zero input from its initial state (a fresh stepper, so no state is disturbed)."""
    start: dict[tuple[str, str], np.ndarray] = {}
    for src, dst in sorted(graph.back_edges):
        if graph.node_profile(dst).recurrent_t0 != "bias":
            continue
        node = graph.nodes[src]
        stepper = _stepper_factory(src, node)(
            node, graph.node_profile(src), batch, dtype, shapes[src].output
        )
        zeros = np.zeros((batch, *(shapes[src].input or ())), dtype=dtype)
        start[(src, dst)] = np.asarray(stepper.step(zeros), dtype=dtype)
    return start


def _check_dtype(dtype: Any) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise ConfigError(f"dtype={dtype!r} is not a numpy dtype", hint="use np.float64") from exc
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ConfigError(
            f"simulation dtype {dt} is not supported",
            hint="use dtype=np.float64 (reference) or np.float32",
        )
    return dt


def _check_inputs(
    graph: Graph, inputs: Any, shapes: Mapping[str, Any], dtype: np.dtype
) -> dict[str, np.ndarray]:
    names = graph.inputs
    if not isinstance(inputs, Mapping):
        if len(names) != 1:
            raise InputError(
                f"the graph has {len(names)} Input nodes {list(names)} but one array was given",
                hint="pass a dict {input name: [T, B, *shape] array}",
            )
        inputs = {names[0]: inputs}
    missing, extra = sorted(set(names) - set(inputs)), sorted(set(inputs) - set(names))
    if missing or extra:
        raise InputError(
            f"inputs do not match the graph's Input nodes {list(names)}: missing {missing}, "
            f"unknown {extra}",
            hint="give exactly one array per Input node, keyed by its name",
        )
    feeds: dict[str, np.ndarray] = {}
    for name in names:
        value = np.asarray(inputs[name])
        want = shapes[name].output
        if value.dtype.kind not in "biuf":
            raise InputError(
                f"input {name!r} has dtype {value.dtype}",
                node=name,
                hint="pass numeric arrays (spikes as 0/1 floats)",
            )
        if value.ndim != len(want) + 2 or tuple(value.shape[2:]) != tuple(want):
            raise InputError(
                f"input {name!r} has shape {list(value.shape)}, expected [T, B, "
                f"{', '.join(map(str, want))}] (time-major; Input shape {list(want)})",
                node=name,
                hint="transpose to time-major [T, B, ...] and add a batch axis if needed",
            )
        feeds[name] = value.astype(dtype)
        if not np.all(np.isfinite(feeds[name])):
            raise InputError(
                f"input {name!r} contains NaN or Inf", node=name, hint="clean the input data"
            )
    lead = {tuple(v.shape[:2]) for v in feeds.values()}
    if len(lead) != 1:
        raise InputError(
            f"inputs disagree on [T, B]: {sorted(lead)}",
            hint="every input must have the same number of steps and batch size",
        )
    return feeds


def _record_plan(graph: Graph, record: Any) -> tuple[set[str], set[str]]:
    if record is None:
        return set(), set()
    if record == "spikes":
        spiking = {n for n, node in graph.nodes.items() if (k := kind_of(node)) and k.spiking}
        return spiking, set()
    if record == "all":
        return set(graph.nodes), set(graph.nodes)
    if isinstance(record, str):
        raise ConfigError(
            f"record={record!r} is not 'spikes', 'all' or a collection of node names",
            hint="pass record='spikes', record='all' or record=['lif1', ...]",
        )
    names = set(record)
    unknown = sorted(names - set(graph.nodes))
    if unknown:
        raise ConfigError(
            f"record names unknown node(s) {unknown}",
            hint=f"choose among: {', '.join(sorted(graph.nodes))}",
        )
    return names, names


def stepper_types() -> set[str]:
    """Type names the simulator can execute (for coverage tests and reports)."""
    return {cls.__name__ for cls in (*STEPPERS, *FED)}


__all__ = ["FED", "STEPPERS", "Observer", "neuron_stepper", "simulate", "stepper_types"]
