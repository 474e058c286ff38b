"""``fold_batchnorm``: no BatchNorm node remains; outputs are unchanged up to rounding."""

from __future__ import annotations

from snncompile.ir.graph import Graph
from snncompile.ir.lowering import lower_native
from snncompile.ir.native_layers import BatchNorm
from snncompile.ir.shape_inference import infer_graph_shapes
from snncompile.ir.splice import splice
from snncompile.passes._match import bypass, exclusive_producer
from snncompile.passes._scale import scale_outputs


def fold_batchnorm(graph: Graph) -> Graph:
    """Fold each BatchNorm (y = s·x + t) into its producer when it is the producer's only
    consumer (W' = s·W, b' = s·b + t); rewrite the others as exact diagonal Affine /
    1×1 Conv nodes of the same name."""
    nodes = dict(graph.nodes)
    edges = graph.edges
    current = graph
    for name in graph.topological_order:
        node = graph.nodes[name]
        if not isinstance(node, BatchNorm):
            continue
        producer = exclusive_producer(current, name)
        if producer is None:
            continue
        scale, shift = node.scale_shift()
        nodes[producer] = scale_outputs(nodes[producer], scale, shift)
        del nodes[name]
        edges = bypass(edges, name, producer)
        current = graph.replace(nodes=nodes, edges=edges, profile=graph.profile.without_node(name))
    shapes = infer_graph_shapes(current)
    forms = {}
    for name, node in current.nodes.items():
        if isinstance(node, BatchNorm):
            forms[name] = lower_native(name, node, current.profile, shapes[name].input)
    return splice(current, forms) if forms else current
