"""The IR graph: named nodes, identity edges, an execution profile and metadata.

Semantics (docs/nir.md §2):

- Edges ``(src, dst)`` are identity wires. Several edges into one node are **summed**.
- A **back edge** closes a cycle and carries the source's output of the *previous* time
  step (zero at t = 0). Back edges are fixed canonically: a depth-first search whose roots
  are the ``Input`` nodes in name order, then every other node in name order, and which
  follows each node's out-edges in edge-list order; an edge whose destination is on the
  search stack when it is explored is a back edge (self-loops included). All other edges
  form a DAG, executed in topological order (ties broken by name).
- Shapes exclude batch and time.

A Graph is immutable: ``nodes`` is a read-only mapping, ``edges`` a tuple. Passes build
new graphs with :meth:`Graph.replace`.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

import networkx as nx
import nir

from snncompile.errors import IRValidationError
from snncompile.ir.nodes import parameter_count
from snncompile.ir.profile import ExecutionProfile

Edge = tuple[str, str]


@dataclass(frozen=True, eq=False)
class Graph:
    """An IR graph.

    Attributes:
        nodes: node name -> node (an instance of a class in ``NODE_TYPES``).
        edges: ``(src, dst)`` pairs; order matters only for the back-edge search.
        profile: the execution profile (with per-node overrides).
        metadata: free graph metadata (str keys; the ``snncompile.`` prefix is reserved).

    Use :func:`snncompile.ir.equality.graphs_equal` to compare graphs.
    """

    nodes: Mapping[str, Any]
    edges: tuple[Edge, ...] = ()
    profile: ExecutionProfile = field(default_factory=ExecutionProfile)
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "nodes", MappingProxyType(dict(self.nodes)))
        object.__setattr__(self, "edges", tuple(_as_edge(e) for e in self.edges))
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    def __repr__(self) -> str:
        """Short: the node and edge counts, inputs, outputs and parameter count (the
        nodes themselves: ``graph.nodes``, or ``snncompile.ir.text.dump``)."""
        params = sum(parameter_count(node) for node in self.nodes.values())
        return (
            f"Graph(nodes={len(self.nodes)}, edges={len(self.edges)}, "
            f"inputs={list(self.inputs)}, outputs={list(self.outputs)}, parameters={params:,})"
        )

    def replace(self, **changes: Any) -> Graph:
        """A new graph with some of ``nodes``, ``edges``, ``profile``, ``metadata`` replaced."""
        return dataclasses.replace(self, **changes)

    @property
    def inputs(self) -> tuple[str, ...]:
        """Names of the ``Input`` nodes, sorted."""
        return tuple(sorted(n for n, v in self.nodes.items() if isinstance(v, nir.Input)))

    @property
    def outputs(self) -> tuple[str, ...]:
        """Names of the ``Output`` nodes, sorted."""
        return tuple(sorted(n for n, v in self.nodes.items() if isinstance(v, nir.Output)))

    def predecessors(self, name: str) -> tuple[str, ...]:
        """Sources of the edges into ``name``, in edge-list order (with repeats)."""
        return self._in_edges.get(name, ())

    def successors(self, name: str) -> tuple[str, ...]:
        """Destinations of the edges out of ``name``, in edge-list order (with repeats)."""
        return self._out_edges.get(name, ())

    @cached_property
    def _in_edges(self) -> Mapping[str, tuple[str, ...]]:
        return _adjacency((dst, src) for src, dst in self.edges)

    @cached_property
    def _out_edges(self) -> Mapping[str, tuple[str, ...]]:
        return _adjacency(self.edges)

    def to_networkx(self) -> nx.DiGraph:
        """A networkx DiGraph: nodes in back-edge search root order, edges in list order."""
        g = nx.DiGraph()
        g.add_nodes_from(self.inputs)
        g.add_nodes_from(sorted(n for n in self.nodes if n not in set(self.inputs)))
        g.add_edges_from(e for e in self.edges if e[0] in self.nodes and e[1] in self.nodes)
        return g

    @cached_property
    def back_edges(self) -> frozenset[Edge]:
        """The edges that carry the previous step's value (see the module docstring)."""
        on_stack: set[str] = set()
        back: set[Edge] = set()
        for u, v, label in nx.dfs_labeled_edges(self.to_networkx()):
            if label == "forward":
                on_stack.add(v)
            elif label == "reverse":
                on_stack.discard(v)
            elif label == "nontree" and v in on_stack:
                back.add((u, v))
        return frozenset(back)

    @cached_property
    def forward_edges(self) -> tuple[Edge, ...]:
        """The edges that are not back edges, in list order (they form a DAG)."""
        return tuple(e for e in self.edges if e not in self.back_edges)

    @cached_property
    def topological_order(self) -> tuple[str, ...]:
        """Execution order: a topological order of the forward edges, ties by name."""
        g = nx.DiGraph()
        g.add_nodes_from(self.nodes)
        g.add_edges_from(e for e in self.forward_edges if e[0] in self.nodes and e[1] in self.nodes)
        return tuple(nx.lexicographical_topological_sort(g))

    def node_profile(self, name: str) -> ExecutionProfile:
        """The execution profile that applies to node ``name``."""
        return self.profile.for_node(name)


def _as_edge(edge: Iterable[Any]) -> Edge:
    pair = tuple(edge) if not isinstance(edge, str) else (edge,)
    if len(pair) != 2:
        raise IRValidationError(
            f"malformed edge {edge!r}: an edge is a (src, dst) pair of node names",
            hint="write edges as tuples, e.g. ('fc1', 'lif1')",
        )
    return (pair[0], pair[1])


def sequential(*named_nodes: tuple[str, Any], **kwargs: Any) -> Graph:
    """A chain graph ``n0 -> n1 -> ...`` from ``(name, node)`` pairs (test and doc helper)."""
    names = [name for name, _ in named_nodes]
    edges = list(itertools.pairwise(names))
    return Graph(dict(named_nodes), tuple(edges), **kwargs)


def _adjacency(pairs: Iterable[tuple[str, str]]) -> Mapping[str, tuple[str, ...]]:
    """{key: its values in pair order, repeats kept} of ``(key, value)`` pairs."""
    table: dict[str, list[str]] = {}
    for key, value in pairs:
        table.setdefault(key, []).append(value)
    return {k: tuple(v) for k, v in table.items()}
