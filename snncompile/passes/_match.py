"""Pattern helpers shared by the folding passes."""

from __future__ import annotations

import nir

from snncompile.ir.graph import Edge, Graph

#: Node types a per-output-channel scale can be folded into.
FOLDABLE_PRODUCERS: tuple[type, ...] = (nir.Affine, nir.Linear, nir.Conv1d, nir.Conv2d)


def exclusive_producer(graph: Graph, name: str) -> str | None:
    """The producer p of ``name`` when ``p -> name`` is ``name``'s only input, a forward
    edge, ``name`` is ``p``'s only consumer, and p is an Affine/Linear/Conv with a 2-D
    (Affine/Linear) or conv weight; else None."""
    preds = graph.predecessors(name)
    if len(preds) != 1:
        return None
    producer = preds[0]
    if (producer, name) in graph.back_edges or graph.successors(producer) != (name,):
        return None
    node = graph.nodes[producer]
    if not isinstance(node, FOLDABLE_PRODUCERS):
        return None
    if isinstance(node, (nir.Affine, nir.Linear)) and node.weight.ndim != 2:
        return None
    return producer


def bypass(edges: tuple[Edge, ...], removed: str, producer: str) -> tuple[Edge, ...]:
    """Edges with ``producer -> removed`` dropped and ``removed -> x`` now ``producer -> x``."""
    out: list[Edge] = []
    for src, dst in edges:
        if (src, dst) == (producer, removed):
            continue
        out.append((producer if src == removed else src, dst))
    return tuple(out)
