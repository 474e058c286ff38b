"""Max pooling of spikes on Loihi: a relay population (Loihi has no max unit).

On binary spikes a window's maximum is "at least one spike in the window"
(:mod:`snncompile.ir.max_pool`). :func:`relay_max_pools` rewrites every ``MaxPool2d``
``P`` of a graph into node types the layer chain already lowers::

    P.window:  Conv2d, depthwise (groups = C) all-ones kH×kW kernel, P's stride and
               padding, zero bias             X[t] = Σ_window s[t]  (an integer)
    P:         SoftLIF, β = 0, θ = 0.5, hard reset to 0
               H[t] = 0·V[t−1] + X[t] = X[t];  y[t] = [X[t] >= 0.5] = max_window s[t]

The relay keeps no state (β = 0: H[t] = X[t]), so y[t] equals the reference's
max pooling at the same step t: the rewrite is exact in the reference simulator, in
Lava ``floating_pt`` (Lava's LIF with du = dv = 1) and in fixed point, where the
built-in LIF's largest decay 4095/4096 leaves v and u only a ⌊·/4096⌋ residue far
below θ (a window holding a spike gives v >= U·1 > θ·U = U/2; an empty one, at most that
residue), which :func:`snncompile_loihi.reference.simulate_fixed` models bit for bit.
The hard reset makes the relay a netx CUBA LIF as well.

The relay is one more population, so its conv adds Lava's one step of connection delay;
the runtime's per-layer delay compensation counts it like every other connection
(``snncompile_lava.network``: a population behind d delaying connections is read at
offset d), and outputs stay aligned with the reference at lag 0. The relay keeps the
pool's name, so a recorded ``P`` is the max-pooled spike train.

Zero padding of the sum equals PyTorch's −∞ padding of the maximum: every window holds
a real element (p <= k // 2, enforced by ``verify``) and spikes are >= 0.
"""

from __future__ import annotations

from typing import Any

import nir
import numpy as np

from snncompile.errors import UnsupportedNodeError
from snncompile.ir.graph import Graph
from snncompile.ir.lowering import Lowering
from snncompile.ir.max_pool import SPIKE_THRESHOLD, require_spike_input
from snncompile.ir.native_layers import MaxPool2d
from snncompile.ir.native_neurons import SoftLIF
from snncompile.ir.shape_inference import infer_graph_shapes
from snncompile.ir.shapes import expand
from snncompile.ir.splice import splice

#: Suffix of the depthwise window-sum connection: ``<pool>.window``.
WINDOW = "window"


def relay_form(node: MaxPool2d, in_shape: tuple[int, ...], out_shape: tuple[int, ...]) -> Lowering:
    """The window-sum conv (member ``window``) and the relay population (the pool's name)."""
    channels, height, width = (int(d) for d in in_shape)
    kernel = expand(node.kernel_size, 2)
    weight = np.ones((channels, 1, *kernel), dtype=np.float32)
    conv = nir.Conv2d(
        (height, width),
        weight,
        expand(node.stride, 2),
        expand(node.padding, 2),
        (1, 1),
        channels,
        np.zeros(channels, dtype=np.float32),
    )
    relay = SoftLIF(
        np.zeros(out_shape), np.full(out_shape, SPIKE_THRESHOLD), reset="hard", v_reset=None
    )
    return Lowering(
        {WINDOW: conv, "": relay},
        ((WINDOW, ""),),
        entry=WINDOW,
        exit="",
        note="depthwise all-ones conv into a memoryless relay (beta 0, theta 0.5, hard reset)",
    )


def relay_max_pools(graph: Graph, target: str = "lava") -> Graph:
    """``graph`` with every MaxPool2d rewritten as its relay (module docstring); the graph
    itself when it has none.

    Raises:
        UnsupportedNodeError: a MaxPool2d whose input is not binary spikes, naming it and
            the fix (move the pool after the neuron).
    """
    pools = [name for name, node in graph.nodes.items() if isinstance(node, MaxPool2d)]
    if not pools:
        return graph
    for name in pools:
        require_spike_input(graph, name, target)
    shapes = infer_graph_shapes(graph)
    forms: dict[str, Any] = {}
    for name in pools:
        in_shape, out_shape = shapes[name].input, shapes[name].output
        if in_shape is None or out_shape is None:  # pragma: no cover - verify() forbids it
            raise UnsupportedNodeError(
                f"target {target!r}: the input shape of MaxPool2d {name!r} is unknown",
                node=name,
                hint="connect the pool to the graph's input",
            )
        forms[name] = relay_form(graph.nodes[name], in_shape, out_shape)
    return splice(graph, forms)
