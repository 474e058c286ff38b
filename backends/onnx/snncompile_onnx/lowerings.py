"""The lowering table ``{IR node class: fn}`` and the check that a graph is covered.

A lowering is ``fn(ctx, name, node, x) -> y`` (:mod:`snncompile_onnx.context`). ``Input``
nodes have no lowering: they become model inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import nir

from snncompile.errors import UnsupportedNodeError
from snncompile.ir.graph import Graph
from snncompile.ir.native_layers import BatchNorm, MaxPool2d
from snncompile.ir.native_neurons import CLIF, DALIF, ILIF, PLIF, SoftLIF
from snncompile.ir.nodes import type_name
from snncompile_onnx import lower_layers as layers
from snncompile_onnx import lower_native as native
from snncompile_onnx import lower_nir as nir_neurons
from snncompile_onnx.context import StepContext

TARGET = "onnx"

Lowering = Callable[[StepContext, str, Any, str], str]

#: IR node class -> its lowering. A new node type adds its entry here (docs/extending.md);
#: a coverage test checks that every NODE_TYPES class has one (``Input`` excepted).
LOWERINGS: dict[type, Lowering] = {
    nir.Output: layers.lower_output,
    nir.Affine: layers.lower_affine,
    nir.Linear: layers.lower_affine,
    nir.Scale: layers.lower_scale,
    nir.Conv1d: layers.lower_conv,
    nir.Conv2d: layers.lower_conv,
    nir.SumPool2d: layers.lower_pool,
    nir.AvgPool2d: layers.lower_pool,
    MaxPool2d: layers.lower_max_pool,
    nir.Flatten: layers.lower_flatten,
    BatchNorm: layers.lower_batchnorm,
    nir.Delay: nir_neurons.lower_delay,
    nir.Threshold: nir_neurons.lower_threshold,
    nir.I: nir_neurons.lower_i,
    nir.LI: nir_neurons.lower_li,
    nir.IF: nir_neurons.lower_lif,
    nir.LIF: nir_neurons.lower_lif,
    nir.CubaLI: nir_neurons.lower_cuba,
    nir.CubaLIF: nir_neurons.lower_cuba,
    SoftLIF: native.lower_softlif,
    PLIF: native.lower_plif,
    DALIF: native.lower_dalif,
    CLIF: native.lower_clif,
    ILIF: native.lower_ilif,
}

#: Node classes without a lowering that the backend still accepts: they become model inputs.
MODEL_INPUTS: frozenset[type] = frozenset({nir.Input})


def supported_types() -> frozenset[str]:
    """The type names of every IR node type this backend accepts (at call time)."""
    return frozenset(cls.__name__ for cls in (*MODEL_INPUTS, *LOWERINGS))


#: Every IR node type this backend accepts (``Input`` becomes a model input), by name.
SUPPORTED_TYPES: frozenset[str] = supported_types()


def check_supported(graph: Graph, lowerings: Mapping[type, Lowering] | None = None) -> None:
    """Raise UnsupportedNodeError for the first node (in execution order) with no lowering.

    ``lowerings`` defaults to the module's ``LOWERINGS`` as it is at call time.
    """
    if lowerings is None:
        lowerings = LOWERINGS
    supported = sorted(cls.__name__ for cls in (*MODEL_INPUTS, *lowerings))
    for name in graph.topological_order:
        node = graph.nodes[name]
        kind = type_name(node)
        if type(node) not in MODEL_INPUTS and type(node) not in lowerings:
            raise UnsupportedNodeError(
                f"node {name!r} of type {kind} has no lowering for target {TARGET!r} "
                f"(supported: {', '.join(supported)})",
                node=name,
                hint="rewrite the node with a supported type (e.g. run the pass pipeline) or "
                "export to another target",
            )
