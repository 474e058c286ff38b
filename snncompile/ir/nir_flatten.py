"""Nested NIR subgraphs flattened into dotted top-level names (``g.node``).

An edge into subgraph ``g`` (or into its Input ``g.in``) feeds the successors of that
Input; an edge out of ``g`` (or its Output ``g.out``) leaves from the Output's
predecessors. Inner Input/Output nodes disappear. Edges naming an inner node directly
(``g.bi``, NIR's documented port addressing) are kept as they are.
"""

from __future__ import annotations

from typing import Any

import nir

from snncompile.errors import IRValidationError

Edge = tuple[str, str]


def flatten_nir(graph: nir.NIRGraph) -> tuple[dict[str, Any], list[Edge]]:
    """(nodes, edges) of ``graph`` with every nested NIRGraph inlined, recursively."""
    nodes: dict[str, Any] = {}
    edges: list[Edge] = []
    entries: dict[str, list[str]] = {}  # subgraph or "g.input" -> inner destinations
    exits: dict[str, list[str]] = {}  # subgraph or "g.output" -> inner sources
    for name, node in graph.nodes.items():
        if not isinstance(node, nir.NIRGraph):
            nodes[name] = node
            continue
        inner_nodes, inner_edges = flatten_nir(node)
        ins = [k for k, v in inner_nodes.items() if isinstance(v, nir.Input)]
        outs = [k for k, v in inner_nodes.items() if isinstance(v, nir.Output)]
        for k, v in inner_nodes.items():
            if k not in ins and k not in outs:
                nodes[f"{name}.{k}"] = v
        for src, dst in inner_edges:
            if src not in ins and dst not in outs:
                edges.append((f"{name}.{src}", f"{name}.{dst}"))
        for i in ins:
            entries[f"{name}.{i}"] = [f"{name}.{d}" for s, d in inner_edges if s == i]
        for o in outs:
            exits[f"{name}.{o}"] = [f"{name}.{s}" for s, d in inner_edges if d == o]
        if len(ins) == 1:
            entries[name] = entries[f"{name}.{ins[0]}"]
        if len(outs) == 1:
            exits[name] = exits[f"{name}.{outs[0]}"]
    for src, dst in graph.edges:
        src, dst = str(src), str(dst)
        for s in _resolve(src, exits, graph, "source"):
            for d in _resolve(dst, entries, graph, "destination"):
                edges.append((s, d))
    return nodes, edges


def _resolve(end: str, table: dict[str, list[str]], graph: nir.NIRGraph, role: str) -> list[str]:
    if end in table:
        return table[end]
    node = graph.nodes.get(end)
    if isinstance(node, nir.NIRGraph):
        raise IRValidationError(
            f"edge {role} {end!r} is a subgraph with several Input/Output nodes, so the port "
            "is ambiguous",
            node=end,
            hint=f"address the port explicitly, e.g. '{end}.<input node name>'",
        )
    return [end]
