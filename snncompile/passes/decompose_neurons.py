"""``decompose_neurons``: every native neuron with an exact NIR form is replaced by it."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from types import MappingProxyType
from typing import Any

from snncompile.errors import ConfigError
from snncompile.ir.graph import Graph
from snncompile.ir.lowering import Lowering, lower_native
from snncompile.ir.nodes import kind_of, type_name
from snncompile.ir.profile import ExecutionProfile
from snncompile.ir.splice import splice
from snncompile.passes.approximate_neurons import clif_as_lif, ilif_as_lif

#: An approximate lowering: (node name, node, profile) -> primitive form (exact=False).
Approximation = Callable[[str, Any, ExecutionProfile], Lowering]

#: Opt-in approximate lowerings by node type name: CLIF and ILIF as a hard-reset LIF whose
#: v_reset comes from the calibration (:mod:`snncompile.passes.approximate_neurons`).
APPROXIMATIONS: Mapping[str, Approximation] = MappingProxyType(
    {"CLIF": clif_as_lif, "ILIF": ilif_as_lif}
)

_NO_EXACT_FORM = ("CLIF", "ILIF")


def decompose_neurons(
    graph: Graph,
    *,
    approximate: Collection[str] = (),
    approximations: Mapping[str, Approximation] = APPROXIMATIONS,
) -> Graph:
    """Rewrite SoftLIF, PLIF and DA-LIF into exact NIR primitive subgraphs (see
    :mod:`snncompile.ir.lowering`); CLIF and ILIF stay native unless their type name is in
    ``approximate`` and ``approximations`` provides a lowering for it. Never lossy
    otherwise.

    Raises:
        ConfigError: ``approximate`` names a type without a registered approximation.
        UnsupportedNodeError: a DA-LIF outside its export range.
    """
    unknown = sorted(set(approximate) - set(approximations))
    if unknown:
        raise ConfigError(
            f"no approximate lowering is registered for {unknown}",
            hint=f"registered: {sorted(approximations) or 'none'}; leave these nodes native",
        )
    forms: dict[str, Lowering] = {}
    for name, node in graph.nodes.items():
        kind = kind_of(node)
        if kind is None or not kind.native or kind.family != "neuron":
            continue
        if type_name(node) in _NO_EXACT_FORM:
            if type_name(node) in approximate:
                forms[name] = approximations[type_name(node)](name, node, graph.profile)
            continue
        form = lower_native(name, node, graph.profile)
        if form is not None:
            forms[name] = form
    return splice(graph, forms) if forms else graph
