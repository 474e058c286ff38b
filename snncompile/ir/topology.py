"""Graph topologies, named: the vocabulary backends declare (``Capabilities.topologies``).

:func:`graph_topologies` classifies a graph by structure alone. It works on the graph's
*feed-forward skeleton*: the forward edges (``Graph.forward_edges``) between the nodes
that lie on a path from an Input to an Output. A recurrent loop's body (``lif -> rec``
back into ``lif``) is thus recurrence, not fan-out. In that skeleton:

- ``chain``: one Input, one Output, and every node has at most one predecessor and one
  successor (recurrence may come on top);
- ``fan_out``: a node feeds two or more distinct nodes;
- ``residual``: a neuron (or Threshold) sums two or more inputs (Spiking ResNet: the
  identity or a shortcut added to the current before the neuron);
- ``sew``: any other node sums two or more inputs, e.g. a connection fed by the spikes of
  two branches (SEW ResNet: W·(s_a + s_b));
- ``shortcut_1x1``: a convolution with a 1×1 kernel *on a branch*: some ancestor of it
  reaches some descendant of it without passing through it;
- ``pool_branch``: a pooling node (sum, average or max) on a branch, as above;
- ``maxpool_spikes`` / ``maxpool_values``: a MaxPool2d whose input is / is not known to
  be binary spikes (:func:`snncompile.ir.max_pool.spike_input`);
- ``recurrence``: a back edge (the previous step's value, ``Graph.back_edges``);
- ``multi_io``: two or more Inputs or Outputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

from snncompile.ir.graph import Graph
from snncompile.ir.max_pool import spike_input
from snncompile.ir.native_layers import MaxPool2d
from snncompile.ir.nodes import kind_of

#: Topology name -> what it means, in words (the rows of the support table, in order).
TOPOLOGIES: Mapping[str, str] = MappingProxyType(
    {
        "chain": "feed-forward chain (each layer feeds the next)",
        "fan_out": "fan-out (one layer feeds several)",
        "residual": "summed fan-in into a neuron (Spiking ResNet residual)",
        "sew": "summed fan-in into a connection (SEW ResNet spike addition)",
        "shortcut_1x1": "1x1 convolution on a shortcut branch",
        "pool_branch": "pooling on a branch",
        "maxpool_spikes": "max pooling of spikes (after the neuron)",
        "maxpool_values": "max pooling of values that are not spikes (before the neuron)",
        "recurrence": "recurrent connection (back edge, one step late)",
        "multi_io": "several inputs or outputs",
    }
)

_FAN_IN_NEURON = frozenset({"neuron", "threshold"})


def _reachable(starts: set[str], adjacency: Mapping[str, set[str]], avoid: str) -> set[str]:
    seen: set[str] = set()
    stack = [s for s in starts if s != avoid]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        stack.extend(n for n in adjacency.get(name, ()) if n != avoid and n not in seen)
    return seen


def _skeleton(graph: Graph) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Successor and predecessor sets of the feed-forward skeleton (module docstring)."""
    succ: dict[str, set[str]] = {}
    pred: dict[str, set[str]] = {}
    for src, dst in graph.forward_edges:
        if src in graph.nodes and dst in graph.nodes:
            succ.setdefault(src, set()).add(dst)
            pred.setdefault(dst, set()).add(src)
    from_inputs = _reachable(set(graph.inputs), succ, avoid="")
    to_outputs = _reachable(set(graph.outputs), pred, avoid="")
    keep = from_inputs & to_outputs
    succ = {n: {m for m in succ.get(n, ()) if m in keep} for n in keep}
    pred = {n: {m for m in pred.get(n, ()) if m in keep} for n in keep}
    return succ, pred


def _on_branch(name: str, succ: Mapping[str, set[str]], pred: Mapping[str, set[str]]) -> bool:
    """Whether an ancestor of ``name`` reaches a descendant of it around it."""
    ancestors = _reachable(pred.get(name, set()), pred, avoid=name)
    descendants = _reachable(succ.get(name, set()), succ, avoid=name)
    return bool(_reachable(ancestors, succ, avoid=name) & descendants)


def _is_1x1_conv(node: object) -> bool:
    weight = getattr(node, "weight", None)
    kind = kind_of(node)
    if weight is None or kind is None or kind.family != "synapse" or "Conv" not in kind.name:
        return False
    return bool(np.all(np.asarray(np.shape(weight)[2:]) == 1))


def graph_topologies(graph: Graph) -> frozenset[str]:
    """The :data:`TOPOLOGIES` that ``graph`` exhibits (module docstring for each rule)."""
    succ, pred = _skeleton(graph)
    found: set[str] = set()
    if graph.back_edges:
        found.add("recurrence")
    if len(graph.inputs) > 1 or len(graph.outputs) > 1:
        found.add("multi_io")
    if any(len(s) > 1 for s in succ.values()):
        found.add("fan_out")
    for name, sources in pred.items():
        if len(sources) > 1:
            kind = kind_of(graph.nodes[name])
            family = kind.family if kind is not None else ""
            found.add("residual" if family in _FAN_IN_NEURON else "sew")
    if not found - {"recurrence"}:
        found.add("chain")
    for name in succ:
        node = graph.nodes[name]
        kind = kind_of(node)
        if isinstance(node, MaxPool2d):
            found.add("maxpool_spikes" if spike_input(graph, name) else "maxpool_values")
        if kind is not None and kind.family == "pooling" and _on_branch(name, succ, pred):
            found.add("pool_branch")
        if _is_1x1_conv(node) and _on_branch(name, succ, pred):
            found.add("shortcut_1x1")
    return frozenset(found)
