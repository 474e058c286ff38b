"""The IR node set: NIR's own node classes plus snncompile's native nodes.

``NODE_TYPES`` is the single registry of node types (:func:`register_node_type` adds one;
docs/extending.md). Every other module (verify, text dump, NIR I/O) derives what it needs
from it; the per-type tables of the consumers (reference steppers, NIR forms, energy
costs, backend lowerings) are keyed by the node class and checked against it by tests.
NIR classes are reused as they are (``nir.LIF`` etc.), so their continuous-time
definitions apply, discretised by the graph's execution profile
(:mod:`snncompile.ir.profile`). Native classes document their discrete equations.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import nir
import numpy as np

from snncompile.errors import ConfigError
from snncompile.ir.native_layers import BatchNorm, MaxPool2d
from snncompile.ir.native_neurons import CLIF, DALIF, ILIF, PLIF, SoftLIF
from snncompile.ir.shapes import (
    Shape,
    ShapeError,
    as_shape,
    conv_output,
    flatten_output,
    pool_output,
)

Family = Literal["io", "synapse", "pooling", "reshape", "delay", "threshold", "neuron", "norm"]


@dataclass(frozen=True)
class NodeKind:
    """What the compiler needs to know about one node type.

    Attributes:
        name: the type name (the class name; also the NIR type name for NIR nodes).
        cls: the node class.
        family: coarse role, used by passes and reports.
        native: True for snncompile's own nodes (not NIR primitives).
        spiking: True when the output is a spike train (events).
        stateful: True when the output depends on earlier time steps.
        population: array fields that must have the population (input = output) shape.
        channel: array fields that may be per neuron, per channel (C,) or per layer (1,).
        declared_input: the input shape a node states itself, or None (then inferred).
        output: the output shape for a given input shape (raises ShapeError).
    """

    name: str
    cls: type
    family: Family
    native: bool
    spiking: bool
    stateful: bool
    population: tuple[str, ...]
    channel: tuple[str, ...]
    declared_input: Callable[[Any], Shape | None]
    output: Callable[[Any, Shape], Shape]


def _field_shape(name: str) -> Callable[[Any], Shape | None]:
    return lambda node: tuple(int(d) for d in getattr(node, name).shape)


def _identity(node: Any, in_shape: Shape) -> Shape:
    return in_shape


def _matmul_in(node: Any) -> Shape:
    w = node.weight.shape
    return (*w[:-2], w[-1]) if len(w) >= 2 else tuple(w)


def _matmul_out(node: Any, in_shape: Shape) -> Shape:
    w = node.weight.shape
    return (*w[:-2], w[-2])


def _conv_in(ndim: int) -> Callable[[Any], Shape | None]:
    def declared(node: Any) -> Shape | None:
        if node.input_shape is None:
            return None
        spatial = as_shape(node.input_shape) or ()
        return (int(node.weight.shape[1]) * int(node.groups), *spatial)

    return declared


def _conv_out(ndim: int) -> Callable[[Any, Shape], Shape]:
    return lambda node, in_shape: conv_output(node, in_shape, ndim)


def _batchnorm_out(node: Any, in_shape: Shape) -> Shape:
    channels = int(node.weight.shape[0]) if node.weight.ndim == 1 else -1
    if not in_shape or in_shape[0] != channels:
        raise ShapeError(f"normalises {channels} channels (axis 0) but receives {list(in_shape)}")
    return in_shape


def _flatten_out(node: Any, in_shape: Shape) -> Shape:
    return flatten_output(in_shape, int(node.start_dim), int(node.end_dim))


_NEURON = {"family": "neuron", "stateful": True}
_SPIKING = {"family": "neuron", "stateful": True, "spiking": True}

_REGISTRY: dict[str, NodeKind] = {}
_BY_CLASS: dict[type, NodeKind] = {}

#: The registry: type name -> NodeKind (a read-only live view; extend it with
#: :func:`register_node_type`). Order: I/O, synapses, pooling, reshape, delay, threshold,
#: NIR neurons, native nodes, then registered extensions.
NODE_TYPES: Mapping[str, NodeKind] = MappingProxyType(_REGISTRY)


def register_node_type(
    cls: type,
    family: Family,
    *,
    population: tuple[str, ...] = (),
    channel: tuple[str, ...] = (),
    native: bool = False,
    spiking: bool = False,
    stateful: bool = False,
    declared: Callable[[Any], Shape | None] | None = None,
    output: Callable[[Any, Shape], Shape] = _identity,
) -> NodeKind:
    """Make ``cls`` an IR node type (the built-in types are registered the same way).

    Invariant: one NodeKind per class and per class name. ``declared`` defaults to the
    shape of the first ``population`` field (None when there is none); ``output`` to the
    identity (population nodes keep their input shape).

    Raises:
        ConfigError: ``cls`` or its name is already registered.
    """
    if cls in _BY_CLASS or cls.__name__ in _REGISTRY:
        raise ConfigError(
            f"node type {cls.__name__} is already registered",
            hint="give the new node class a name of its own",
        )
    if declared is None:
        declared = _field_shape(population[0]) if population else (lambda node: None)
    kind = NodeKind(
        cls.__name__, cls, family, native, spiking, stateful, population, channel, declared, output
    )
    _REGISTRY[kind.name] = kind
    _BY_CLASS[cls] = kind
    return kind


def unregister_node_type(cls: type) -> None:
    """Remove a node type registered with :func:`register_node_type` (tests, plug-ins)."""
    kind = _BY_CLASS.pop(cls)
    del _REGISTRY[kind.name]


register_node_type(nir.Input, "io", declared=lambda n: as_shape(n.input_type))
register_node_type(nir.Output, "io", declared=lambda n: as_shape(n.output_type))
register_node_type(nir.Affine, "synapse", declared=_matmul_in, output=_matmul_out)
register_node_type(nir.Linear, "synapse", declared=_matmul_in, output=_matmul_out)
register_node_type(nir.Scale, "synapse", population=("scale",))
register_node_type(nir.Conv1d, "synapse", declared=_conv_in(1), output=_conv_out(1))
register_node_type(nir.Conv2d, "synapse", declared=_conv_in(2), output=_conv_out(2))
register_node_type(nir.SumPool2d, "pooling", output=pool_output)
register_node_type(nir.AvgPool2d, "pooling", output=pool_output)
register_node_type(
    nir.Flatten, "reshape", declared=lambda n: as_shape(n.input_type), output=_flatten_out
)
register_node_type(nir.Delay, "delay", population=("delay",), stateful=True)
register_node_type(nir.Threshold, "threshold", population=("threshold",), spiking=True)
register_node_type(nir.I, population=("r",), **_NEURON)
register_node_type(nir.LI, population=("tau", "r", "v_leak"), **_NEURON)
register_node_type(nir.IF, population=("r", "v_threshold", "v_reset"), **_SPIKING)
register_node_type(nir.LIF, population=("tau", "r", "v_leak", "v_threshold", "v_reset"), **_SPIKING)
register_node_type(nir.CubaLI, population=("tau_syn", "tau_mem", "r", "v_leak", "w_in"), **_NEURON)
register_node_type(
    nir.CubaLIF,
    population=("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in"),
    **_SPIKING,
)
register_node_type(BatchNorm, "norm", native=True, output=_batchnorm_out)
register_node_type(MaxPool2d, "pooling", native=True, output=pool_output)
register_node_type(SoftLIF, population=("beta", "v_threshold", "v_reset"), native=True, **_SPIKING)
register_node_type(PLIF, population=("w", "v_threshold"), native=True, **_SPIKING)
register_node_type(
    DALIF, population=("v_threshold",), channel=("alpha", "beta"), native=True, **_SPIKING
)
register_node_type(CLIF, population=("tau", "v_threshold"), native=True, **_SPIKING)
register_node_type(ILIF, population=("tau", "v_threshold"), native=True, **_SPIKING)


def node_classes() -> tuple[type, ...]:
    """Every class a graph node may be an instance of (registration order)."""
    return tuple(_BY_CLASS)


def kind_of(node: Any) -> NodeKind | None:
    """The NodeKind of ``node``, or None when its type is not part of the IR."""
    return _BY_CLASS.get(type(node))


def type_name(node: Any) -> str:
    """The IR type name of ``node`` (its class name)."""
    return type(node).__name__


def node_fields(node: Any) -> dict[str, Any]:
    """The defining fields of a node (constructor arguments), without ``metadata``.

    Input and Output report their shape as ``shape``; Flatten its input shape as
    ``input_type`` (None when not yet inferred).
    """
    if isinstance(node, nir.Input):
        return {"shape": node.input_type["input"]}
    if isinstance(node, nir.Output):
        return {"shape": node.output_type["output"]}
    out: dict[str, Any] = {}
    for f in dataclasses.fields(node):
        if f.init and f.name != "metadata":
            out[f.name] = getattr(node, f.name)
    if isinstance(node, nir.Flatten):
        out["input_type"] = node.input_type.get("input") if node.input_type else None
    return out


def parameter_count(node: Any) -> int:
    """The number of real-valued numbers stored in ``node``'s array fields (weights, biases,
    per-neuron constants): the one parameter count of an IR node."""
    return int(
        sum(
            np.size(v)
            for v in node_fields(node).values()
            if isinstance(v, np.ndarray) and v.dtype.kind in "fc"
        )
    )


def make_node(type_name: str, fields: Mapping[str, Any], metadata: Mapping[str, Any]) -> Any:
    """Build a node of ``type_name`` from :func:`node_fields` output and metadata."""
    kind = NODE_TYPES[type_name]
    meta = dict(metadata)
    if kind.cls is nir.Input:
        return nir.Input(input_type={"input": fields["shape"]}, metadata=meta)
    if kind.cls is nir.Output:
        return nir.Output(output_type={"output": fields["shape"]}, metadata=meta)
    kwargs = dict(fields)
    if kind.cls is nir.Flatten:
        kwargs["input_type"] = {"input": kwargs.get("input_type")}
    return kind.cls(**kwargs, metadata=meta)


def replace_node(node: Any, **changes: Any) -> Any:
    """A copy of ``node`` with some defining fields (or ``metadata``) replaced."""
    fields = node_fields(node)
    metadata = changes.pop("metadata", node.metadata)
    fields.update(changes)
    return make_node(type_name(node), fields, metadata or {})


def population_shape(node: Any) -> Shape | None:
    """The population shape of a node with per-neuron parameters, else None."""
    kind = kind_of(node)
    if kind is None or not kind.population:
        return None
    return kind.declared_input(node)
