"""The lowering table ``{IR type name: fn}`` and the check that a graph is covered.

A lowering is ``fn(ctx, name, node, x) -> y`` (:mod:`snncompile_onnx.context`). ``Input``
nodes have no lowering: they become model inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from snncompile.errors import UnsupportedNodeError
from snncompile.ir.graph import Graph
from snncompile.ir.nodes import type_name
from snncompile_onnx import lower_layers as layers
from snncompile_onnx import lower_native as native
from snncompile_onnx import lower_nir as nir_neurons
from snncompile_onnx.context import StepContext

TARGET = "onnx"

Lowering = Callable[[StepContext, str, Any, str], str]

LOWERINGS: Mapping[str, Lowering] = MappingProxyType(
    {
        "Output": layers.lower_output,
        "Affine": layers.lower_affine,
        "Linear": layers.lower_affine,
        "Scale": layers.lower_scale,
        "Conv1d": layers.lower_conv,
        "Conv2d": layers.lower_conv,
        "SumPool2d": layers.lower_pool,
        "AvgPool2d": layers.lower_pool,
        "Flatten": layers.lower_flatten,
        "BatchNorm": layers.lower_batchnorm,
        "Delay": nir_neurons.lower_delay,
        "Threshold": nir_neurons.lower_threshold,
        "I": nir_neurons.lower_i,
        "LI": nir_neurons.lower_li,
        "IF": nir_neurons.lower_lif,
        "LIF": nir_neurons.lower_lif,
        "CubaLI": nir_neurons.lower_cuba,
        "CubaLIF": nir_neurons.lower_cuba,
        "SoftLIF": native.lower_softlif,
        "PLIF": native.lower_plif,
        "DALIF": native.lower_dalif,
        "CLIF": native.lower_clif,
        "ILIF": native.lower_ilif,
    }
)

#: Every IR node type this backend accepts (``Input`` becomes a model input).
SUPPORTED_TYPES: frozenset[str] = frozenset({"Input", *LOWERINGS})


def check_supported(graph: Graph, lowerings: Mapping[str, Lowering] | None = None) -> None:
    """Raise UnsupportedNodeError for the first node (in execution order) with no lowering.

    ``lowerings`` defaults to the module's ``LOWERINGS`` as it is at call time.
    """
    if lowerings is None:
        lowerings = LOWERINGS
    supported = sorted({"Input", *lowerings})
    for name in graph.topological_order:
        kind = type_name(graph.nodes[name])
        if kind != "Input" and kind not in lowerings:
            raise UnsupportedNodeError(
                f"node {name!r} of type {kind} has no lowering for target {TARGET!r} "
                f"(supported: {', '.join(supported)})",
                node=name,
                hint="rewrite the node with a supported type (e.g. run the pass pipeline) or "
                "export to another target",
            )
