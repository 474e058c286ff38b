"""Per-layer symmetric int8 weight quantisation (numpy only), for float-activation targets.

Scheme, per synapse layer (``Affine``, ``Linear``, ``Conv1d``, ``Conv2d``)::

    scale = float32(max|W| / 127)            (1.0 for an all-zero weight)
    q     = clip(rint(W / scale), −127, 127)  as int8 (round half to even)
    W_dq  = float32(q) · scale                (one float32 multiply)

The pass :func:`quantize_weights_int8` returns the graph with every such weight
replaced by ``W_dq`` (float32), together with the integers and scales. ``W_dq`` is
exactly what an ONNX ``DequantizeLinear(q, scale, 0)`` computes, so simulating the
returned graph with the float32 reference gives the semantics of a QDQ model.
Activations, biases, neuron parameters and states stay floating point.

This is *not* the Loihi 2 fixed-point model (``fixed_synapses``): Loihi stores an 8-bit
weight mantissa with a shared per-layer exponent and integer (24-bit) states, so its
activations are quantised too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import nir
import numpy as np

from snncompile.errors import QuantizationError
from snncompile.ir.graph import Graph
from snncompile.ir.nodes import replace_node

#: Largest magnitude of a symmetric int8 value (−128 is never used).
INT8_MAX = 127
#: Node types whose ``weight`` is quantised.
QUANTISED_TYPES: tuple[type, ...] = (nir.Affine, nir.Linear, nir.Conv1d, nir.Conv2d)


@dataclass(frozen=True)
class Int8Weight:
    """The int8 weight of one layer.

    Attributes:
        values: the integers, int8, same shape as the float weight, in [−127, 127].
        scale: the per-layer float32 scale (> 0).
    """

    values: np.ndarray
    scale: np.float32

    def dequantize(self) -> np.ndarray:
        """float32(values) · scale, the weight the quantised model uses."""
        return dequantize_int8(self.values, self.scale)


@dataclass(frozen=True)
class Int8Graph:
    """Result of :func:`quantize_weights_int8`.

    Attributes:
        graph: the graph with every quantised weight replaced by its float32 dequantised
            value (same node names, edges and profile).
        weights: node name → :class:`Int8Weight`, for every quantised layer.
    """

    graph: Graph
    weights: Mapping[str, Int8Weight]


def int8_scale(weight: np.ndarray) -> np.float32:
    """The symmetric per-layer scale max|W| / 127 as float32 (1.0 if W is all zero)."""
    w = np.asarray(weight, dtype=np.float64)
    if not np.all(np.isfinite(w)):
        raise QuantizationError(
            "weight contains NaN or Inf and cannot be quantised to int8",
            hint="check the trained weights (verify() rejects non-finite parameters)",
        )
    peak = float(np.max(np.abs(w))) if w.size else 0.0
    scale = np.float32(peak / INT8_MAX) if peak > 0 else np.float32(1.0)
    if not (np.isfinite(scale) and scale > 0):  # peak so small that the scale underflows
        raise QuantizationError(
            f"weights with max |w| = {peak:g} have no representable float32 int8 scale",
            hint="such a layer carries no signal: remove it or leave the model unquantised",
        )
    return scale


def quantize_int8(weight: np.ndarray) -> Int8Weight:
    """Quantise one weight array with its own per-layer symmetric scale."""
    scale = int8_scale(weight)
    ratio = np.asarray(weight, dtype=np.float64) / np.float64(scale)
    values = np.clip(np.rint(ratio), -INT8_MAX, INT8_MAX).astype(np.int8)
    return Int8Weight(values, scale)


def dequantize_int8(values: np.ndarray, scale: np.float32) -> np.ndarray:
    """float32(values) · float32(scale), rounded once (as ``DequantizeLinear``)."""
    return np.asarray(values, dtype=np.float32) * np.float32(scale)


def quantize_weights_int8(graph: Graph) -> Int8Graph:
    """Give every Affine/Linear/Conv weight a per-layer symmetric int8 value (exact W_dq)."""
    nodes = dict(graph.nodes)
    weights: dict[str, Int8Weight] = {}
    for name, node in graph.nodes.items():
        if isinstance(node, QUANTISED_TYPES):
            q = quantize_int8(node.weight)
            weights[name] = q
            nodes[name] = replace_node(node, weight=q.dequantize())
    return Int8Graph(graph.replace(nodes=nodes), MappingProxyType(weights))
