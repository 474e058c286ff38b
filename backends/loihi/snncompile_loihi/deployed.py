"""The IR graph a Loihi 2 program runs, and its fixed-point activity, for counting.

Loihi has no pooling unit: :mod:`~snncompile_loihi.chain` folds a sum/average pooling
into the connection after it (:mod:`~snncompile_loihi.pool_fold`), so on chip that
connection is a Dense or a Conv2d on the **un-pooled** spikes. :func:`deployed_graph`
rewrites the program's float graph the same way, from the program's own layers (no fold
is recomputed here): each folded pooling node is removed, its successors read its input,
the connection after it gets the folded float weight and geometry, and a Flatten between
them its new input shape. Names are kept, so every layer is still named after its module.

:func:`fixed_point_activity` is the integer reference run of the program
(:func:`~snncompile_loihi.reference.simulate_fixed`), keyed by the deployed graph's node
names as :func:`snncompile.energy.from_ir.count_ops` reads them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import nir
import numpy as np

from snncompile.energy.from_ir import layer_traces
from snncompile.ir.graph import Graph
from snncompile_loihi.qgraph import LoihiProgram
from snncompile_loihi.reference import simulate_fixed

#: What :func:`fixed_point_activity` runs, as the report names it.
ENGINE = "Loihi 2 fixed point (integer reference snncompile_loihi.reference.simulate_fixed)"


def folds(program: LoihiProgram) -> dict[str, tuple[str, ...]]:
    """Connection node → the pooling nodes folded into it (only connections with folds)."""
    return {
        lay.source.synapse: tuple(lay.source.folded)
        for lay in program.layers
        if lay.source.folded and lay.source.synapse is not None
    }


def deployed_graph(program: LoihiProgram) -> Graph:
    """``program.graph`` with every pooling folded into its connection (module doc).

    Invariant: the reference simulator gives the same outputs on it as on
    ``program.graph`` up to float rounding (the folds are exact).
    """
    graph = program.graph
    folded = {lay.source.synapse: lay.source for lay in program.layers if lay.source.folded}
    if not folded:
        return graph
    nodes = dict(graph.nodes)
    edges = list(graph.edges)
    for synapse, layer in folded.items():
        node = nodes[synapse]
        if isinstance(node, nir.Conv2d):
            geo = layer.geometry
            nodes[synapse] = dataclasses.replace(
                node,
                input_shape=tuple(int(d) for d in layer.in_shape[1:]),
                weight=np.asarray(layer.weight),
                stride=tuple(int(s) for s in geo["stride"]),
                padding=tuple(int(p) for p in geo["padding"]),
                dilation=tuple(int(d) for d in geo["dilation"]),
            )
        else:
            nodes[synapse] = _with_weight(node, np.asarray(layer.weight))
        for pool in layer.folded:
            preds = [s for s, d in edges if d == pool]
            succs = [d for s, d in edges if s == pool]
            edges = [e for e in edges if pool not in e]
            edges += [(p, s) for p in preds for s in succs]
            del nodes[pool]
            # a Flatten between the pooling and the connection now flattens the
            # un-pooled shape
            for name in succs:
                if isinstance(nodes[name], nir.Flatten):
                    flat = nodes[name]
                    nodes[name] = nir.Flatten(
                        {"input": np.asarray(layer.in_shape)}, flat.start_dim, flat.end_dim
                    )
    profile = graph.profile
    for pool in (p for layer in folded.values() for p in layer.folded):
        profile = profile.without_node(pool)
    return graph.replace(nodes=nodes, edges=tuple(edges), profile=profile)


def _with_weight(node: Any, weight: np.ndarray) -> Any:
    """A dense connection with the folded weight (bias unchanged)."""
    return dataclasses.replace(node, weight=weight)


def fixed_point_activity(program: LoihiProgram, inputs: np.ndarray) -> dict[str, np.ndarray]:
    """Node-keyed traces of the integer reference run of ``program`` on time-major
    ``inputs`` (float, as the float model takes them; quantised here as on chip): every
    population's spikes and states, the quantised input under the Input node and every
    Flatten, keyed for :func:`deployed_graph`. Neuron inputs are not recorded
    (count with ``neuron_inputs=False``, as for a Lava run)."""
    x = np.asarray(inputs, dtype=np.float64)
    recorded = simulate_fixed(program, x, record="all")
    return layer_traces(deployed_graph(program), recorded, program.quantize_input(x))
