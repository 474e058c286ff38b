"""Export-time limits that a well-formed graph may still violate (not part of ``verify``).

DA-LIF (docs/neurons.md §6): training may reach α <= 0 (inverted input) or β outside [0, 1)
(oscillating or growing membrane), which no hardware leak or NIR neuron can represent.
Export to NIR or hardware requires **α > 0 and 0 <= β < 1**.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from snncompile.errors import UnsupportedNodeError
from snncompile.ir.graph import Graph
from snncompile.ir.native_neurons import DALIF


def check_dalif_exportable(name: str, node: DALIF) -> None:
    """Raise UnsupportedNodeError unless DA-LIF ``node`` has α > 0 and 0 <= β < 1."""
    _check_range(name, "alpha", node.alpha, node.alpha > 0, "alpha > 0")
    _check_range(name, "beta", node.beta, (node.beta >= 0) & (node.beta < 1), "0 <= beta < 1")


def check_exportable(graph: Graph) -> Graph:
    """Check every export-time limit of ``graph`` and return it unchanged.

    Raises:
        UnsupportedNodeError: naming the layer, the offending value and the allowed range.
    """
    for name, node in graph.nodes.items():
        if isinstance(node, DALIF):
            check_dalif_exportable(name, node)
    return graph


def _check_range(name: str, field: str, value: np.ndarray, ok: Any, rule: str) -> None:
    ok = np.asarray(ok)
    if np.all(ok):
        return
    index = tuple(int(i) for i in np.argwhere(~ok)[0])
    bad = float(np.asarray(value)[index])
    raise UnsupportedNodeError(
        f"DA-LIF layer {name!r}: {field} = {bad!r} at index {list(index)} (shape "
        f"{list(np.shape(value))}) is outside the exportable range {rule}",
        node=name,
        hint=f"constrain {field} during training (e.g. clamp its raw parameter) so that {rule}, "
        "or keep the layer on a target that runs DA-LIF natively",
    )
