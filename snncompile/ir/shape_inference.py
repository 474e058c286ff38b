"""Graph-level shape inference: the input and output shape of every node.

Shapes propagate along forward edges in topological order. A node's input shape is the
one it declares (weights, per-neuron parameters, ``input_shape``) or else the output shape
of its first forward predecessor; edge agreement is checked by
:func:`check_edge_shapes`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from snncompile.errors import IRValidationError, SnnCompileError
from snncompile.ir.graph import Graph
from snncompile.ir.nodes import NodeKind, kind_of, type_name
from snncompile.ir.shapes import Shape, ShapeError


@dataclass(frozen=True)
class NodeShapes:
    """Input and output shape of one node (None when unknown)."""

    input: Shape | None
    output: Shape | None


def infer_graph_shapes(graph: Graph) -> dict[str, NodeShapes]:
    """Input/output shapes of every node (requires known node types; see ``verify``).

    Raises:
        IRValidationError: a node rejects the shape it receives.
    """
    shapes: dict[str, NodeShapes] = {}
    back = graph.back_edges
    for name in graph.topological_order:
        node = graph.nodes[name]
        kind = kind_of(node)
        if kind is None:  # verify() reports unknown types before calling this
            raise TypeError(f"node {name!r} has unknown type {type_name(node)}")
        in_shape = kind.declared_input(node)
        if in_shape is None:
            for pred in graph.predecessors(name):
                known = shapes.get(pred)
                if (pred, name) not in back and known is not None and known.output is not None:
                    in_shape = known.output
                    break
        out_shape: Shape | None = None
        if in_shape is not None:
            out_shape = output_shape(
                kind,
                node,
                in_shape,
                lambda why, name=name, node=node: IRValidationError(
                    f"node {name!r} ({type_name(node)}) {why}",
                    node=name,
                    hint="fix the node's parameters or the layer feeding it",
                ),
            )
        shapes[name] = NodeShapes(in_shape, out_shape)
    return shapes


def output_shape(
    kind: NodeKind, node: Any, in_shape: Shape, fail: Callable[[str], SnnCompileError]
) -> Shape:
    """The output shape ``kind`` gives ``node`` fed ``in_shape``, as a tuple of ints.

    Raises:
        SnnCompileError: ``fail(why)`` when the node rejects the input shape, ``why``
            completing "the node …" (the caller names the node in its own vocabulary).
    """
    try:
        return tuple(int(d) for d in kind.output(node, in_shape))
    except ShapeError as exc:
        raise fail(str(exc)) from None


def check_edge_shapes(graph: Graph, shapes: dict[str, NodeShapes]) -> None:
    """Raise IRValidationError unless every edge joins equal shapes and all are known."""
    for name in graph.topological_order:
        node_shapes = shapes[name]
        if node_shapes.input is None or node_shapes.output is None:
            raise IRValidationError(
                f"cannot infer the shape of node {name!r} ({type_name(graph.nodes[name])}): "
                "it states no input shape and no forward edge feeds it a known shape",
                node=name,
                hint="connect it to a node with a known shape, or set its input_shape / "
                "input_type explicitly",
            )
    for src, dst in graph.edges:
        out_shape, in_shape = shapes[src].output, shapes[dst].input
        if out_shape != in_shape:
            kind = "back edge" if (src, dst) in graph.back_edges else "edge"
            raise IRValidationError(
                f"type mismatch: {src}.output: {_fmt(out_shape)} -> {dst}.input: "
                f"{_fmt(in_shape)} ({kind} {src} ({type_name(graph.nodes[src])}) -> "
                f"{dst} ({type_name(graph.nodes[dst])}))",
                node=dst,
                hint="summed inputs must have the node's input shape: fix the weight shape, "
                "add a Flatten, or correct the edge",
            )


def _fmt(shape: Shape | None) -> str:
    return "unknown" if shape is None else str(list(shape))
