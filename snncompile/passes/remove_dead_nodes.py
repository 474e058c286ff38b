"""``remove_dead_nodes``: every node except an Input has a path to some Output."""

from __future__ import annotations

import networkx as nx
import nir

from snncompile.ir.graph import Graph


def remove_dead_nodes(graph: Graph) -> Graph:
    """Drop nodes (and their edges and profile overrides) that no Output depends on;
    Input nodes are kept so the graph's signature does not change."""
    g = graph.to_networkx()
    live: set[str] = set(graph.outputs)
    for out in graph.outputs:
        live |= nx.ancestors(g, out)
    dead = [
        n for n, node in graph.nodes.items() if n not in live and not isinstance(node, nir.Input)
    ]
    if not dead:
        return graph
    profile = graph.profile
    for name in dead:
        profile = profile.without_node(name)
    nodes = {n: v for n, v in graph.nodes.items() if n not in dead}
    edges = tuple(e for e in graph.edges if e[0] in nodes and e[1] in nodes)
    return graph.replace(nodes=nodes, edges=edges, profile=profile)
