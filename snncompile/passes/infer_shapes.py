"""``infer_shapes``: every Conv and Flatten node states its input shape explicitly."""

from __future__ import annotations

import nir
import numpy as np

from snncompile.ir.graph import Graph
from snncompile.ir.nodes import replace_node
from snncompile.ir.shape_inference import infer_graph_shapes


def infer_shapes(graph: Graph) -> Graph:
    """Fill ``input_shape`` of Conv1d/Conv2d and ``input_type`` of Flatten from the graph."""
    shapes = infer_graph_shapes(graph)
    nodes = dict(graph.nodes)
    for name, node in graph.nodes.items():
        in_shape = shapes[name].input
        if in_shape is None:
            continue
        if isinstance(node, nir.Conv1d) and node.input_shape is None:
            nodes[name] = replace_node(node, input_shape=int(in_shape[1]))
        elif isinstance(node, nir.Conv2d) and node.input_shape is None:
            nodes[name] = replace_node(node, input_shape=tuple(int(d) for d in in_shape[1:]))
        elif isinstance(node, nir.Flatten) and node.input_type.get("input") is None:
            nodes[name] = replace_node(node, input_type=np.asarray(in_shape, dtype=np.int64))
    return graph.replace(nodes=nodes)
