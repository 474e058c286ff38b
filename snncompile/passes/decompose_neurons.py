"""``decompose_neurons``: every native neuron with an exact NIR form is replaced by it."""

from __future__ import annotations

from collections.abc import Collection

from snncompile.errors import ConfigError
from snncompile.ir.graph import Graph
from snncompile.ir.lowering import APPROXIMATION, NIR_FORMS, Lowering, lower_native
from snncompile.ir.nodes import kind_of, type_name
from snncompile.ir.splice import splice


def approximable_types() -> list[str]:
    """Type names whose only NIR form is an approximation (CLIF, ILIF: :data:`APPROXIMATION`)."""
    return sorted(cls.__name__ for cls, form in NIR_FORMS.items() if not form.exact)


def decompose_neurons(graph: Graph, *, approximate: Collection[str] = ()) -> Graph:
    """Rewrite SoftLIF, PLIF and DA-LIF into exact NIR primitive subgraphs (see
    :mod:`snncompile.ir.lowering`); CLIF and ILIF stay native unless their type name is in
    ``approximate`` (then they become the one approximation, a soft-reset LIF with the
    same τ and θ). Never lossy otherwise.

    Raises:
        ConfigError: ``approximate`` names a type that has no approximate form.
        UnsupportedNodeError: a DA-LIF outside its export range.
    """
    inexact = approximable_types()
    unknown = sorted(set(approximate) - set(inexact))
    if unknown:
        raise ConfigError(
            f"no approximate lowering is registered for {unknown}",
            hint=f"registered: {inexact or 'none'} ({APPROXIMATION}); leave these nodes native",
        )
    forms: dict[str, Lowering] = {}
    for name, node in graph.nodes.items():
        kind = kind_of(node)
        if kind is None or not kind.native or kind.family != "neuron":
            continue
        if type_name(node) in inexact:
            if type_name(node) in approximate:
                forms[name] = lower_native(name, node, graph.profile, allow_inexact=True)
            continue
        form = lower_native(name, node, graph.profile)
        if form is not None:
            forms[name] = form
    return splice(graph, forms) if forms else graph
