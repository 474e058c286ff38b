"""Nested NIR subgraphs flattened into dotted top-level names (``g.node``).

Every subgraph is inlined under its name as a prefix; its inner Input and Output nodes
become *relays* that are then contracted away: each predecessor of a relay is wired to
each of its successors. So an edge into subgraph ``g`` (or into its Input ``g.in``)
feeds what that Input feeds, an edge out of ``g`` (or its Output ``g.out``) leaves from
what feeds the Output, and a passthrough (inner Input wired straight to inner Output)
connects the subgraph's producer to its consumer. Edges naming an inner node directly
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
    relays: list[str] = []
    _inline(graph, "", nodes, edges, relays)
    for relay in relays:
        edges = _contract(relay, edges)
    return nodes, edges


def _inline(
    graph: nir.NIRGraph, prefix: str, nodes: dict[str, Any], edges: list[Edge], relays: list[str]
) -> None:
    """Add ``graph``'s nodes and edges under ``prefix``; inner Input/Output go to relays."""
    ports: dict[str, tuple[list[str], list[str]]] = {}  # subgraph -> (its Inputs, Outputs)
    for name, node in graph.nodes.items():
        qualified = f"{prefix}{name}"
        if isinstance(node, nir.NIRGraph):
            inner = f"{qualified}."
            _inline(node, inner, nodes, edges, relays)
            ins = [inner + k for k, v in node.nodes.items() if isinstance(v, nir.Input)]
            outs = [inner + k for k, v in node.nodes.items() if isinstance(v, nir.Output)]
            for relay in ins + outs:
                del nodes[relay]
                relays.append(relay)
            ports[name] = (ins, outs)
        else:
            nodes[qualified] = node
    for src, dst in graph.edges:
        edges.append(
            (
                _port(str(src), ports, 1, prefix, "source"),
                _port(str(dst), ports, 0, prefix, "destination"),
            )
        )


def _port(
    end: str, ports: dict[str, tuple[list[str], list[str]]], side: int, prefix: str, role: str
) -> str:
    """The qualified node an edge end names: a subgraph's single Input or Output."""
    if end not in ports:
        return f"{prefix}{end}"
    candidates = ports[end][side]
    if len(candidates) != 1:
        raise IRValidationError(
            f"edge {role} {prefix + end!r} is a subgraph with {len(candidates)} "
            f"{'Output' if side else 'Input'} nodes, so the port is ambiguous",
            node=prefix + end,
            hint=f"address the port explicitly, e.g. '{end}.<{'output' if side else 'input'} "
            "node name>'",
        )
    return candidates[0]


def _contract(relay: str, edges: list[Edge]) -> list[Edge]:
    """``edges`` without ``relay``: each of its predecessors wired to each successor."""
    sources = [s for s, d in edges if d == relay and s != relay]
    targets = [d for s, d in edges if s == relay and d != relay]
    kept = [e for e in edges if relay not in e]
    bridged = [(s, d) for s in sources for d in targets]
    return kept + [e for e in bridged if e not in kept]
