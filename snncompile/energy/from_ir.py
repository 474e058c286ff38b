"""Counts and reports from an IR graph and a recorded reference-simulator run.

The static description of every layer comes from the graph; the activity from a run::

    from snncompile.reference import simulate
    recorded = simulate(graph, x, record="all")        # every node's output and states
    report = report_from_run(graph, recorded, profiles=["cmos45-fp32", "loihi"])

Any run that records the same ``{node name: [T, B, *shape]}`` outputs (and, optionally,
``"<node>:v"`` membrane states) can be used, e.g. a backend's simulation.

Mapping (nodes are counted in the graph's topological order):

- ``Affine``/``Linear`` → :class:`DenseSpec`; ``Conv1d``/``Conv2d`` → :class:`ConvSpec`
  (stride, padding, dilation, groups; input shape from shape inference);
  ``SumPool2d``/``AvgPool2d``/``MaxPool2d`` → :class:`PoolSpec`; ``Scale`` and an unfolded
  ``BatchNorm`` → :class:`ScaleSpec` (a diagonal synapse);
- ``SoftLIF`` → LIF (soft or hard reset), ``PLIF``, ``DALIF``, ``CLIF``, ``ILIF``;
  NIR ``LIF`` → LIF with a hard reset (``LIF-hard`` when v_reset or v_leak is non-zero),
  ``IF``, ``LI``, ``CubaLIF``, ``CubaLI``, ``I``, ``Threshold``;
- ``Input``, ``Output``, ``Flatten`` and ``Delay`` do no arithmetic and are not counted.

A node's recorded input is rebuilt as the run saw it: the sum of its predecessors'
outputs, a back edge contributing the previous step's output (zero at t = 0).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import nir
import numpy as np

from snncompile.energy.activity import ActivityRecord
from snncompile.energy.counter import CountOptions, count_activity
from snncompile.energy.counts import NetworkCounts
from snncompile.energy.layers import (
    ConvSpec,
    DenseSpec,
    LayerSpec,
    NeuronSpec,
    PoolSpec,
    ScaleSpec,
)
from snncompile.energy.pricing import PricingOptions
from snncompile.energy.profile import HardwareProfile
from snncompile.energy.report import EnergyReport, build_report
from snncompile.errors import InputError, UnsupportedNodeError
from snncompile.ir.graph import Graph
from snncompile.ir.native_layers import BatchNorm, MaxPool2d
from snncompile.ir.native_neurons import CLIF, DALIF, ILIF, PLIF, SoftLIF
from snncompile.ir.shape_inference import infer_graph_shapes

_STATE_KEY = "v"

#: ``spec(node, input shape, output shape)`` -> the node's static description.
SpecFn = Callable[[Any, "tuple[int, ...] | None", "tuple[int, ...]"], LayerSpec]


def neuron(model: str) -> SpecFn:
    """A :data:`LAYER_SPECS` entry for a neuron priced as cost model ``model``
    (a :data:`~snncompile.energy.neuron_costs.NEURON_COSTS` row)."""
    return lambda node, in_shape, out_shape: NeuronSpec(model, out_shape)


def _softlif(node: Any, in_shape: Any, out_shape: tuple[int, ...]) -> LayerSpec:
    nonzero = node.reset == "hard" and bool(np.any(node.v_reset_or_zero != 0))
    return NeuronSpec("LIF", out_shape, reset=node.reset, v_reset_nonzero=nonzero)


def _dalif(node: Any, in_shape: Any, out_shape: tuple[int, ...]) -> LayerSpec:
    return NeuronSpec("DALIF", out_shape, reset=node.reset)


def _nir_lif(node: Any, in_shape: Any, out_shape: tuple[int, ...]) -> LayerSpec:
    v_reset = np.zeros(1) if node.v_reset is None else np.asarray(node.v_reset)
    nonzero = bool(np.any(v_reset != 0) or np.any(np.asarray(node.v_leak) != 0))
    return NeuronSpec("LIF", out_shape, reset="hard", v_reset_nonzero=nonzero)


def _dense(node: Any, in_shape: Any, out_shape: tuple[int, ...]) -> LayerSpec:
    return DenseSpec(np.asarray(node.weight))


def _conv(node: Any, in_shape: Any, out_shape: tuple[int, ...]) -> LayerSpec:
    padding = node.padding.decode() if isinstance(node.padding, bytes) else node.padding
    return ConvSpec(
        np.asarray(node.weight),
        stride=node.stride,
        padding=padding,
        dilation=node.dilation,
        groups=int(node.groups),
        input_shape=in_shape,
    )


def _pool(node: Any, in_shape: Any, out_shape: tuple[int, ...]) -> LayerSpec:
    mode = "avg" if isinstance(node, nir.AvgPool2d) else "sum"
    if isinstance(node, MaxPool2d):
        mode = "max"
    kernel = tuple(int(k) for k in np.atleast_1d(node.kernel_size))
    stride = tuple(int(s) for s in np.atleast_1d(node.stride))
    padding = tuple(int(p) for p in np.atleast_1d(node.padding))
    return PoolSpec(kernel, stride=stride, padding=padding, mode=mode)


def _scale(node: Any, in_shape: Any, out_shape: tuple[int, ...]) -> LayerSpec:
    return ScaleSpec(np.asarray(node.scale))


def _batchnorm(node: Any, in_shape: Any, out_shape: tuple[int, ...]) -> LayerSpec:
    scale, _ = node.scale_shift()
    return ScaleSpec(scale.reshape((-1,) + (1,) * (len(out_shape) - 1)))


#: IR node class -> its static description for counting. A new node type adds its entry
#: here (neurons with :func:`neuron` and a NEURON_COSTS row; docs/extending.md) or to
#: :data:`NOT_COUNTED`; a coverage test checks every NODE_TYPES class is in one of them.
LAYER_SPECS: dict[type, SpecFn] = {
    nir.Affine: _dense,
    nir.Linear: _dense,
    nir.Conv1d: _conv,
    nir.Conv2d: _conv,
    nir.SumPool2d: _pool,
    nir.AvgPool2d: _pool,
    MaxPool2d: _pool,
    nir.Scale: _scale,
    BatchNorm: _batchnorm,
    SoftLIF: _softlif,
    DALIF: _dalif,
    nir.LIF: _nir_lif,
    PLIF: neuron("PLIF"),
    CLIF: neuron("CLIF"),
    ILIF: neuron("ILIF"),
    nir.IF: neuron("IF"),
    nir.LI: neuron("LI"),
    nir.CubaLIF: neuron("CubaLIF"),
    nir.CubaLI: neuron("CubaLI"),
    nir.I: neuron("I"),
    nir.Threshold: neuron("Threshold"),
}

#: Node classes that do no arithmetic and are not counted.
NOT_COUNTED: frozenset[type] = frozenset({nir.Input, nir.Output, nir.Flatten, nir.Delay})


def _spec(
    node: Any, in_shape: tuple[int, ...] | None, out_shape: tuple[int, ...]
) -> LayerSpec | None:
    spec = LAYER_SPECS.get(type(node))
    if spec is not None:
        return spec(node, in_shape, out_shape)
    if type(node) in NOT_COUNTED:
        return None
    raise UnsupportedNodeError(
        f"node type {type(node).__name__} has no energy cost entry",
        hint="add it to snncompile.energy.from_ir.LAYER_SPECS or NOT_COUNTED (docs/extending.md)",
    )


def layer_specs(graph: Graph) -> dict[str, LayerSpec]:
    """The counted nodes of ``graph`` and their static descriptions, in execution order."""
    shapes = infer_graph_shapes(graph)
    specs: dict[str, LayerSpec] = {}
    for name in graph.topological_order:
        out_shape = shapes[name].output or ()
        spec = _spec(graph.nodes[name], shapes[name].input, tuple(out_shape))
        if spec is not None:
            specs[name] = spec
    return specs


def _node_input(graph: Graph, name: str, recorded: Mapping[str, np.ndarray]) -> np.ndarray | None:
    total: np.ndarray | None = None
    for pred in graph.predecessors(name):
        if pred not in recorded:
            raise InputError(
                f"the recorded run has no output of node {pred!r}, the input of {name!r}",
                node=pred,
                hint="record every node: simulate(graph, x, record='all')",
            )
        y = np.asarray(recorded[pred])
        if (pred, name) in graph.back_edges:
            y = np.concatenate([np.zeros_like(y[:1]), y[:-1]])
        total = y if total is None else total + y
    return total


def record_activity(
    graph: Graph, recorded: Mapping[str, np.ndarray], *, neuron_inputs: bool = True
) -> ActivityRecord:
    """An :class:`ActivityRecord` of every counted node from a recorded run.

    With ``neuron_inputs=False`` neurons are recorded without their synaptic input (every
    update counts as active, noted in the counts), for runs that record only spikes and
    states (see :func:`layer_traces`).

    Raises:
        InputError: a needed node output is missing from ``recorded``.
    """
    record = ActivityRecord()
    for name, spec in layer_specs(graph).items():
        is_neuron = isinstance(spec, NeuronSpec)
        inputs = _node_input(graph, name, recorded) if neuron_inputs or not is_neuron else None
        if is_neuron:
            if name not in recorded:
                raise InputError(
                    f"the recorded run has no output of neuron node {name!r}",
                    node=name,
                    hint="record every node: simulate(graph, x, record='all')",
                )
            record.add(
                name,
                spec,
                inputs=inputs,
                outputs=recorded[name],
                state=recorded.get(f"{name}:{_STATE_KEY}"),
            )
        elif inputs is not None:
            record.add(name, spec, inputs=inputs)
    return record


def count_ops(
    graph: Graph,
    recorded: Mapping[str, np.ndarray],
    options: CountOptions | None = None,
    *,
    neuron_inputs: bool = True,
) -> NetworkCounts:
    """Count the operations of ``graph`` from a recorded run (see the module docstring)."""
    return count_activity(record_activity(graph, recorded, neuron_inputs=neuron_inputs), options)


def layer_traces(
    graph: Graph, recorded: Mapping[str, np.ndarray], inputs: np.ndarray
) -> dict[str, np.ndarray]:
    """Node-keyed traces (as ``simulate(graph, x, record="all")`` keys them) from a run
    recorded per Loihi layer: ``simulate_fixed(qgraph, x, record="all")`` (``"<layer>"``,
    ``"<layer>:<Var>"``) or the Lava backend's ``simulate_recorded(..., record="all")``
    (``"<layer>/<Var>"``); ``graph`` is ``qgraph.graph``.

    Taken: a neuron layer's ``spikes`` (its node's output) and states (``"<node>:v"``…);
    ``inputs``, the input as the first layer saw it (``qgraph.quantize_input(x)``), under
    the Input node, and every ``Flatten`` node reshaped from its input. Not taken: the
    readout's Vars and ``a`` (``simulate_fixed`` only; Lava records no synaptic input), so
    count with ``count_ops(graph, traces, neuron_inputs=False)``, which makes the counts of
    both runs comparable.
    """
    neurons = {n for n, s in layer_specs(graph).items() if isinstance(s, NeuronSpec)}
    traces: dict[str, np.ndarray] = {}
    for key, value in recorded.items():
        layer, _, var = key.replace("/", ":").partition(":")
        if layer not in neurons or var == "a":
            continue
        traces[layer if var in ("", "spikes") else f"{layer}:{var}"] = np.asarray(value)
    x = np.asarray(inputs)
    shapes = infer_graph_shapes(graph)
    for name in graph.topological_order:
        node = graph.nodes[name]
        if isinstance(node, nir.Input):
            traces[name] = x
        elif isinstance(node, nir.Flatten):
            source = _node_input(graph, name, traces)
            if source is not None:
                out = tuple(shapes[name].output or ())
                traces[name] = source.reshape(*source.shape[:2], *out)
    return traces


def synapse_groups(graph: Graph) -> dict[str, list[str]]:
    """Neuron node -> the synaptic nodes that feed it (through non-counted nodes)."""
    specs = layer_specs(graph)
    groups: dict[str, list[str]] = {n: [] for n, s in specs.items() if isinstance(s, NeuronSpec)}
    unassigned: list[str] = []
    for name, spec in specs.items():
        if isinstance(spec, NeuronSpec):
            continue
        targets = _downstream_neurons(graph, name, specs)
        for target in targets:
            groups[target].append(name)
        if not targets:
            unassigned.append(name)
    if unassigned:
        groups["(unassigned synapses)"] = unassigned
    return groups


def _downstream_neurons(graph: Graph, start: str, specs: Mapping[str, LayerSpec]) -> list[str]:
    found: list[str] = []
    frontier, seen = list(graph.successors(start)), {start}
    while frontier:
        node = frontier.pop(0)
        if node in seen:
            continue
        seen.add(node)
        if isinstance(specs.get(node), NeuronSpec):
            found.append(node)
        elif node not in specs:
            frontier.extend(graph.successors(node))
    return found


def layer_info(
    graph: Graph,
    folded: Mapping[str, Sequence[str]] | None = None,
    fields: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Per counted layer of ``graph``: ``module``, the node name (the tracer names a node
    after its torch module path, ``layer1.conv2``; BatchNorm and pooling folds keep the
    name of the connection they fold into; NIR and Lava artefacts store the names),
    ``folded`` (the nodes folded into it, from ``folded``) and, when quantised,
    ``precision`` (field -> its integer format, from a QuantizedGraph's ``fields``,
    whose values describe themselves with ``describe()``)."""
    info: dict[str, dict[str, Any]] = {}
    for name in layer_specs(graph):
        entry: dict[str, Any] = {"module": name, "folded": list((folded or {}).get(name, ()))}
        node_fields = (fields or {}).get(name)
        if node_fields:
            entry["precision"] = {k: str(f.describe()) for k, f in node_fields.items()}
        info[name] = entry
    return info


def report_from_run(
    graph: Graph,
    recorded: Mapping[str, np.ndarray],
    profiles: Sequence[str | HardwareProfile] | None = None,
    *,
    options: CountOptions | None = None,
    pricing: PricingOptions | None = None,
    chip: str | None = "loihi2",
    weight_bits: int = 8,
    metadata: Mapping[str, Any] | None = None,
    neuron_inputs: bool = True,
    layers: Mapping[str, Mapping[str, Any]] | None = None,
    deployment: Mapping[str, Any] | None = None,
) -> EnergyReport:
    """Count ``graph``'s operations from a recorded run and price them (see build_report).

    ``neuron_inputs``: as for :func:`count_ops`; ``layers``: per-layer information
    (default: :func:`layer_info` of ``graph``); ``deployment``: what was counted (target,
    engine, passes, notes), copied into the report.
    """
    counts = count_ops(graph, recorded, options, neuron_inputs=neuron_inputs)
    return build_report(
        counts,
        profiles,
        pricing=pricing,
        chip=chip,
        weight_bits=weight_bits,
        groups=synapse_groups(graph) if chip else None,
        metadata=metadata,
        layers=layers if layers is not None else layer_info(graph),
        deployment=deployment,
    )
