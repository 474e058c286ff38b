"""Per-layer symmetric int8 weight quantisation (numpy only), for float-activation targets.

Scheme, per synapse layer (``Affine``, ``Linear``, ``Conv1d``, ``Conv2d``)::

    scale = float32(max|W| / 127)            (1.0 for an all-zero weight)
    q     = clip(rint(W / scale), −127, 127)  as int8 (round half to even)
    W_dq  = float32(q) · scale                (one float32 multiply)

The pass :func:`quantize_weights_int8` returns a
:class:`~snncompile.quant.stage.QuantizedGraph` whose graph has every such weight
replaced by ``W_dq`` (float32) and whose fields hold the integers (``weight``:
:data:`INT8`, scale = the per-layer scale). ``W_dq`` is exactly what an ONNX
``DequantizeLinear(q, scale, 0)`` computes, so simulating the returned graph with the
float32 reference gives the semantics of a QDQ model. Activations, biases, neuron
parameters and states stay floating point. :func:`int8_weights` reads the per-layer
integers and scales back from the fields (what a QDQ lowering needs).

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

from snncompile.errors import ConfigError, QuantizationError
from snncompile.ir.graph import Graph
from snncompile.ir.nodes import replace_node
from snncompile.quant.precision import FixedPoint
from snncompile.quant.stage import QuantizationRequest, QuantizedField, QuantizedGraph

#: Largest magnitude of a symmetric int8 value (−128 is never used).
INT8_MAX = 127
#: The int8 weight format: signed 8 bits, round half to even (``np.rint``), saturating.
INT8 = FixedPoint(8, signed=True, rounding="even", saturation="saturate")
#: The scheme name of :func:`quantize_int8_graph` requests.
SCHEME = "int8"
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


def quantize_weights_int8(graph: Graph) -> QuantizedGraph:
    """Give every Affine/Linear/Conv weight a per-layer symmetric int8 value (exact W_dq).

    Returns:
        The QuantizedGraph: the graph with dequantised float32 weights, and per
        quantised node the field ``weight`` (:data:`INT8`, the integers, the scale).
    """
    return quantize_int8_graph(graph, QuantizationRequest(SCHEME))


def quantize_int8_graph(
    graph: Graph, request: QuantizationRequest, calibration: np.ndarray | None = None
) -> QuantizedGraph:
    """The int8 quantiser of the stage (:func:`snncompile.quant.stage.quantize`).

    Weight-only and data-free: ``calibration`` is accepted and not needed.

    Raises:
        ConfigError: a request for another scheme.
        QuantizationError: a weight with no representable scale.
    """
    if request.scheme != SCHEME:
        raise ConfigError(
            f"the int8 quantiser got a request for scheme {request.scheme!r}",
            hint=f"request scheme {SCHEME!r}",
        )
    nodes = dict(graph.nodes)
    fields: dict[str, dict[str, QuantizedField]] = {}
    for name, node in graph.nodes.items():
        if isinstance(node, QUANTISED_TYPES):
            q = quantize_int8(node.weight)
            fields[name] = {
                "weight": QuantizedField(INT8, q.values.astype(np.int64), float(q.scale))
            }
            nodes[name] = replace_node(node, weight=q.dequantize())
    return QuantizedGraph(graph.replace(nodes=nodes), fields, request)


def int8_weights(qgraph: QuantizedGraph | None) -> Mapping[str, Int8Weight]:
    """node → :class:`Int8Weight` of every int8 ``weight`` field (empty for None)."""
    if qgraph is None:
        return MappingProxyType({})
    out = {
        name: Int8Weight(f["weight"].values.astype(np.int8), np.float32(f["weight"].scale))
        for name, f in qgraph.fields.items()
        if "weight" in f and f["weight"].precision == INT8 and f["weight"].values is not None
    }
    return MappingProxyType(out)
