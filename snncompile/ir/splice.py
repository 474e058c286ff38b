"""Replace nodes of a graph by subgraphs (:class:`~snncompile.ir.lowering.Lowering`).

External edges into a replaced node go to its entry member, edges out of it leave from
its exit member, each at its original position in the edge list; the internal edges
follow the first external edge that touches the node. This keeps the canonical
back-edge classification: the search enters a group only through its entry and walks
the group before leaving through the exit, exactly as it walked the original node.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from snncompile.errors import IRValidationError
from snncompile.ir.graph import Edge, Graph
from snncompile.ir.lowering import Lowering
from snncompile.ir.nodes import type_name


def splice_edges(
    edges: tuple[Edge, ...],
    entry: Mapping[str, str],
    exit_: Mapping[str, str],
    internal: Mapping[str, list[Edge]],
) -> list[Edge]:
    """Rewire ``edges`` through entry/exit members and insert internal edges."""
    pending = {k: list(v) for k, v in internal.items()}
    out: list[Edge] = []
    for src, dst in edges:
        out.append((exit_.get(src, src), entry.get(dst, dst)))
        for end in (src, dst):
            out.extend(pending.pop(end, []))
    for rest in pending.values():
        out.extend(rest)
    return out


def splice(graph: Graph, forms: Mapping[str, Lowering]) -> Graph:
    """``graph`` with each node ``name`` in ``forms`` replaced by its lowered members.

    Member profile pins become per-node overrides where they differ from the graph
    profile; the replaced nodes' own overrides are dropped.

    Raises:
        IRValidationError: a member name collides with an existing node.
    """
    nodes: dict[str, Any] = {}
    entry: dict[str, str] = {}
    exit_: dict[str, str] = {}
    internal: dict[str, list[Edge]] = {}
    profile = graph.profile
    own = profile.graph_fields()
    for name, node in graph.nodes.items():
        form = forms.get(name)
        if form is None:
            nodes[name] = node
            continue
        profile = profile.without_node(name)
        for suffix, member in form.nodes.items():
            full = form.full_name(name, suffix)
            if full != name and (full in graph.nodes or full in nodes):
                raise IRValidationError(
                    f"cannot rewrite node {name!r} ({type_name(node)}): member name {full!r} "
                    "is already used",
                    node=name,
                    hint=f"rename node {full!r}",
                )
            nodes[full] = member
            pins = {k: v for k, v in form.pins.get(suffix, {}).items() if own.get(k) != v}
            if pins:
                profile = profile.with_override(full, **pins)
        entry[name] = form.full_name(name, form.entry)
        exit_[name] = form.full_name(name, form.exit)
        internal[name] = [(form.full_name(name, a), form.full_name(name, b)) for a, b in form.edges]
    edges = splice_edges(graph.edges, entry, exit_, internal)
    return graph.replace(nodes=nodes, edges=tuple(edges), profile=profile)
