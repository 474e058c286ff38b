"""Max pooling of spikes: when the input of a ``MaxPool2d`` is known to be binary spikes.

On x ∈ {0, 1} a window's maximum is "at least one spike in the window", which targets
without a max unit compute as a sum and a threshold: ``SumPool2d`` then ``Threshold(0.5)``
in NIR, a depthwise all-ones convolution into a memoryless relay population on Loihi.
The sum of binary spikes is an integer, so any threshold in (0, 1] is exact; 0.5 is
chosen because it does not depend on the ``>``/``>=`` convention of the reader.

The input of node P is *binary spikes* when P has exactly one incoming edge (a summed
fan-in of spike trains can reach 2) and its source is

- a spiking node (``NodeKind.spiking``): native neurons always fire 0/1; a NIR neuron or
  ``Threshold`` only under ``spike_mode="binary"`` (its node profile), or
- a node that maps binary spikes to binary spikes (``Flatten``, ``Delay``, another
  ``MaxPool2d``) whose own input is binary spikes.

Graph inputs are not known to be spikes (their values are the user's).
"""

from __future__ import annotations

import nir

from snncompile.errors import UnsupportedNodeError
from snncompile.ir.graph import Graph
from snncompile.ir.native_layers import MaxPool2d
from snncompile.ir.nodes import kind_of, type_name

#: Node classes whose output is binary spikes whenever their input is.
SPIKE_PRESERVING: tuple[type, ...] = (nir.Flatten, nir.Delay, MaxPool2d)

#: The threshold on the window sum: y = [Σ x >= 0.5] = [Σ x >= 1] for integer sums.
SPIKE_THRESHOLD = 0.5

#: The fix named by every refusal of max pooling on non-spike values.
MOVE_HINT = (
    "move the pool after the neuron (conv -> neuron -> MaxPool2d, so that it pools "
    "spikes), or export to a target that computes the exact maximum (onnx)"
)


def _binary_output(graph: Graph, name: str, seen: frozenset[str]) -> bool:
    node = graph.nodes[name]
    kind = kind_of(node)
    if kind is not None and kind.spiking:
        return kind.native or graph.node_profile(name).spike_mode == "binary"
    if isinstance(node, SPIKE_PRESERVING) and name not in seen:
        return _binary_input(graph, name, seen | {name})
    return False


def _binary_input(graph: Graph, name: str, seen: frozenset[str]) -> bool:
    preds = graph.predecessors(name)
    return len(preds) == 1 and _binary_output(graph, preds[0], seen)


def spike_input(graph: Graph, name: str) -> bool:
    """True when the input of node ``name`` is known to be binary spikes (module docstring)."""
    return _binary_input(graph, name, frozenset({name}))


def describe_input(graph: Graph, name: str) -> str:
    """What feeds node ``name``, for messages: ``"'conv1' (Conv2d)"``, or the summed
    sources, or "nothing"."""
    preds = graph.predecessors(name)
    if not preds:
        return "nothing"
    listed = " + ".join(f"{p!r} ({type_name(graph.nodes[p])})" for p in preds)
    return listed if len(preds) == 1 else f"the sum {listed}"


def require_spike_input(graph: Graph, name: str, target: str) -> None:
    """Raise unless the input of the max pooling ``name`` is binary spikes.

    Raises:
        UnsupportedNodeError: naming the node, what feeds it, and the fix.
    """
    if spike_input(graph, name):
        return
    raise UnsupportedNodeError(
        f"target {target!r} cannot lower node {name!r} ({type_name(graph.nodes[name])}): it "
        f"max-pools values that are not binary spikes (its input is {describe_input(graph, name)}"
        "), and the target computes max pooling only on spikes, as 'at least one spike in "
        "the window'",
        node=name,
        hint=MOVE_HINT,
    )
