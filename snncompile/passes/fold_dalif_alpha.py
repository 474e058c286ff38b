"""``fold_dalif_alpha``: every DA-LIF fed only by an Affine/Linear/Conv has α = 1."""

from __future__ import annotations

from typing import Any

import nir
import numpy as np

from snncompile.ir.graph import Graph
from snncompile.ir.native_neurons import DALIF
from snncompile.ir.nodes import replace_node
from snncompile.passes._match import exclusive_producer
from snncompile.passes._scale import scale_outputs


def fold_dalif_alpha(graph: Graph) -> Graph:
    """Move each DA-LIF input decay α into its exclusive producer (W' = α·W, b' = α·b),
    leaving α = 1; α varying over a convolution's spatial axes cannot fold and stays."""
    nodes = dict(graph.nodes)
    for name, node in graph.nodes.items():
        if not isinstance(node, DALIF) or np.all(node.alpha == 1):
            continue
        producer = exclusive_producer(graph, name)
        if producer is None:
            continue
        per_channel = _per_output_channel(node.alpha, node.v_threshold.shape, nodes[producer])
        if per_channel is None:
            continue
        nodes[producer] = scale_outputs(nodes[producer], per_channel)
        nodes[name] = replace_node(node, alpha=np.ones_like(node.alpha))
    return graph.replace(nodes=nodes)


def _per_output_channel(alpha: np.ndarray, pop: tuple[int, ...], producer: Any) -> Any:
    """α as one value per output channel of ``producer``, or None when it varies within one."""
    channels = pop[0]
    if alpha.shape == (1,):
        return np.full(channels, alpha[0], dtype=alpha.dtype)
    if alpha.shape == (channels,):
        return alpha
    if isinstance(producer, (nir.Affine, nir.Linear)):
        return alpha.reshape(channels)
    flat = alpha.reshape(channels, -1)
    if np.all(flat == flat[:, :1]):
        return flat[:, 0]
    return None
