"""``verify(graph)``: the well-formedness specification of the IR, checked in one place.

A graph is well formed when:

1. node names are non-empty strings without ``/`` or ``:``, no surrounding whitespace;
2. every node is an instance of a type in ``NODE_TYPES``;
3. every edge joins two existing nodes, appears once, never enters an ``Input`` or
   leaves an ``Output``; there is at least one ``Input`` and one ``Output``, and every
   ``Output`` is fed;
4. every parameter array is real, numeric and finite, with the shape its node type
   requires (per-neuron arrays share the population shape), and values in the range
   that defines the model (τ > 0, SoftLIF 0 <= β <= 1, BatchNorm σ² >= 0, integral
   delays, θ > 0 under multi-spike);
5. per-node profile overrides name existing NIR-primitive nodes;
6. metadata keys are strings outside the reserved ``snncompile.`` namespace;
7. every node's shapes are known and every edge joins equal shapes.

Target-specific limits (e.g. DA-LIF export ranges) live in
:mod:`snncompile.ir.export_checks`, not here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import nir
import numpy as np

from snncompile.errors import IRValidationError
from snncompile.ir.graph import Graph
from snncompile.ir.node_checks import check_node
from snncompile.ir.nodes import NODE_TYPES, kind_of, type_name
from snncompile.ir.shape_inference import check_edge_shapes, infer_graph_shapes

RESERVED_PREFIX = "snncompile."


def verify(graph: Graph) -> Graph:
    """Check that ``graph`` is well formed and return it unchanged.

    Raises:
        IRValidationError: the first violation found, naming the node, its type and
            shape where relevant, with a hint on how to fix it.
    """
    _check_names(graph)
    _check_types(graph)
    _check_edges(graph)
    for name, node in graph.nodes.items():
        check_node(name, node, graph.node_profile(name))
    _check_overrides(graph)
    _check_metadata(graph.metadata, "graph metadata", None)
    for name, node in graph.nodes.items():
        _check_metadata(node.metadata or {}, f"metadata of node {name!r}", name)
    check_edge_shapes(graph, infer_graph_shapes(graph))
    return graph


def _check_names(graph: Graph) -> None:
    for name in graph.nodes:
        if not isinstance(name, str) or not name or name in (".", ".."):
            raise IRValidationError(
                f"invalid node name {name!r}: names are non-empty strings",
                hint="name nodes like 'fc1', 'lif1' or 'block1.conv'",
            )
        if "/" in name or ":" in name or name != name.strip() or not name.isprintable():
            raise IRValidationError(
                f"invalid node name {name!r}: '/', ':', control characters and surrounding "
                "whitespace are not allowed ('/' separates HDF5 groups, ':' recorded states)",
                node=name,
                hint="use letters, digits, '_', '-' and '.' (dots mark nesting)",
            )


def _check_types(graph: Graph) -> None:
    for name, node in graph.nodes.items():
        if kind_of(node) is None:
            raise IRValidationError(
                f"node {name!r} has type {type(node).__module__}.{type_name(node)}, which is "
                "not an IR node type",
                node=name,
                hint=f"use one of: {', '.join(NODE_TYPES)}",
            )


def _check_edges(graph: Graph) -> None:
    for src, dst in graph.edges:
        for end, role in ((src, "source"), (dst, "destination")):
            if not isinstance(end, str) or end not in graph.nodes:
                raise IRValidationError(
                    f"dangling edge ({src!r}, {dst!r}): {role} {end!r} is not a node of the "
                    f"graph (nodes: {sorted(map(str, graph.nodes))})",
                    node=str(end),
                    hint="add the missing node or remove the edge",
                )
    for (src, dst), count in Counter(graph.edges).items():
        if count > 1:
            raise IRValidationError(
                f"duplicate edge ({src!r}, {dst!r}) appears {count} times",
                node=dst,
                hint="edges are identity wires and are summed; to double a signal use a Scale",
            )
    for src, dst in graph.edges:
        if isinstance(graph.nodes[dst], nir.Input):
            raise IRValidationError(
                f"edge ({src!r}, {dst!r}) enters Input node {dst!r}",
                node=dst,
                hint="Input nodes are sources: feed the node after the Input instead",
            )
        if isinstance(graph.nodes[src], nir.Output):
            raise IRValidationError(
                f"edge ({src!r}, {dst!r}) leaves Output node {src!r}",
                node=src,
                hint="Output nodes are sinks: take the signal from the node before the Output",
            )
    if not graph.inputs or not graph.outputs:
        missing = "Input" if not graph.inputs else "Output"
        raise IRValidationError(
            f"the graph has no {missing} node (nodes: {sorted(graph.nodes)})",
            hint=f"add a nir.{missing} node and connect it",
        )
    for name in graph.outputs:
        if not graph.predecessors(name):
            raise IRValidationError(
                f"Output node {name!r} has no incoming edge",
                node=name,
                hint="connect the layer whose result it should return, or remove it",
            )


def _check_overrides(graph: Graph) -> None:
    for name in graph.profile.overrides:
        if name not in graph.nodes:
            raise IRValidationError(
                f"execution profile override names node {name!r}, which is not in the graph",
                node=name,
                hint="remove the override (profile.without_node) or rename it",
            )
        kind = kind_of(graph.nodes[name])
        if kind is not None and kind.native:
            raise IRValidationError(
                f"execution profile override on native node {name!r} ({kind.name}) has no "
                "effect: native nodes have fixed discrete equations and fire on >=",
                node=name,
                hint="remove the override; overrides apply to NIR primitive nodes",
            )


def _check_metadata(meta: Mapping[str, Any], where: str, node: str | None) -> None:
    for key, value in meta.items():
        if not isinstance(key, str) or not key or "/" in key:
            raise IRValidationError(
                f"{where}: key {key!r} is not a non-empty string without '/'",
                node=node,
                hint="use plain string keys (they become HDF5 names in .nir files)",
            )
        if key.startswith(RESERVED_PREFIX):
            raise IRValidationError(
                f"{where}: key {key!r} uses the reserved prefix {RESERVED_PREFIX!r}",
                node=node,
                hint="snncompile writes these keys on export; choose another prefix",
            )
        _check_metadata_value(value, f"{where}[{key!r}]", node)


def _check_metadata_value(value: Any, where: str, node: str | None) -> None:
    if isinstance(value, Mapping):
        _check_metadata(value, where, node)
        return
    scalar = value is None or isinstance(value, (str, bool, int, float, np.generic))
    array = isinstance(value, np.ndarray) and value.dtype.kind in "biufSU"
    sequence = isinstance(value, (tuple, list)) and all(
        isinstance(v, (str, bool, int, float)) for v in value
    )
    if not (scalar or array or sequence):
        raise IRValidationError(
            f"{where} has type {type(value).__name__}, which cannot be stored in a .nir file",
            node=node,
            hint="use str, bool, int, float, None, numeric numpy arrays, lists or nested dicts",
        )
