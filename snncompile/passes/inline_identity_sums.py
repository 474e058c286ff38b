"""``inline_identity_sums``: identity sum nodes wired through (every node sums its inputs).

The tracer materialises a sum that feeds several layers as one identity node,
``Scale(1)`` (``snncompile.frontend.graph_builder``): e.g. the spike sum of a SEW block
that feeds the next block's conv and its shortcut. Every IR node sums its inputs, so
for an identity ``S`` with sources P and consumers C::

    c receives Σ_{p∈P} y_p through S   ≡   c receives y_p from every p ∈ P directly

and :func:`inline_identity_sums` replaces ``S`` with the edges P × C: a target without
a sum unit (Loihi sums at every population's a_in) then needs none. An identity is kept
when inlining would change the graph's meaning or signature: it reads an Input, feeds an
Output, lies on a back edge, or an edge p → c already exists (a duplicate edge).
"""

from __future__ import annotations

import nir
import numpy as np

from snncompile.ir.graph import Graph


def is_identity_sum(node: object) -> bool:
    """Whether ``node`` is a ``Scale`` whose every gain is exactly 1."""
    return isinstance(node, nir.Scale) and bool(np.all(np.asarray(node.scale) == 1))


def inline_identity_sums(graph: Graph) -> Graph:
    """``graph`` with every inlinable identity ``Scale`` replaced by direct edges
    (module docstring); the graph itself when there is none."""
    on_back_edges = {end for edge in graph.back_edges for end in edge}
    edges = list(graph.edges)
    removed: list[str] = []
    for name, node in graph.nodes.items():
        if not is_identity_sum(node) or name in on_back_edges:
            continue
        sources = [src for src, dst in edges if dst == name]
        consumers = [dst for src, dst in edges if src == name]
        ends = [graph.nodes[n] for n in (*sources, *consumers)]
        through = {(p, c) for p in sources for c in consumers}
        if (
            not sources
            or not consumers
            or any(isinstance(n, (nir.Input, nir.Output)) for n in ends)
            or through & set(edges)
        ):
            continue
        edges = [e for e in edges if name not in e] + sorted(through)
        removed.append(name)
    if not removed:
        return graph
    profile = graph.profile
    for name in removed:
        profile = profile.without_node(name)
    nodes = {n: v for n, v in graph.nodes.items() if n not in removed}
    return graph.replace(nodes=nodes, edges=tuple(edges), profile=profile)
