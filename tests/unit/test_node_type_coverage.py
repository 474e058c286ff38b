"""Coverage of every per-node-type table of the core, keyed by IR class.

Each table must name every NODE_TYPES class, either with an entry or in its explicit
refusal / exemption set; registering a new node type without its entries fails here
(docs/extending.md lists the tables)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from snncompile.energy.from_ir import LAYER_SPECS, NOT_COUNTED
from snncompile.ir.lowering import NIR_FORMS
from snncompile.ir.nodes import NODE_TYPES, register_node_type, unregister_node_type
from snncompile.reference.simulator import FED, STEPPERS


def _missing_steppers() -> set[str]:
    return {k.name for k in NODE_TYPES.values() if k.cls not in STEPPERS and k.cls not in FED}


def _missing_nir_forms() -> set[str]:
    # NIR primitives are written as they are; every native class needs a form
    return {k.name for k in NODE_TYPES.values() if k.native and k.cls not in NIR_FORMS}


def _missing_energy() -> set[str]:
    return {
        k.name for k in NODE_TYPES.values() if k.cls not in LAYER_SPECS and k.cls not in NOT_COUNTED
    }


COVERAGE: dict[str, Callable[[], set[str]]] = {
    "reference STEPPERS": _missing_steppers,
    "NIR_FORMS": _missing_nir_forms,
    "energy LAYER_SPECS": _missing_energy,
}


@pytest.mark.parametrize("table", sorted(COVERAGE))
def test_every_node_type_has_an_entry_or_an_explicit_refusal(table):
    assert COVERAGE[table]() == set(), f"{table} lacks entries (docs/extending.md)"


def test_tables_hold_only_node_types():
    classes = {k.cls for k in NODE_TYPES.values()}
    assert set(STEPPERS) | FED <= classes
    assert set(NIR_FORMS) <= {k.cls for k in NODE_TYPES.values() if k.native}
    assert set(LAYER_SPECS) | NOT_COUNTED <= classes
    assert not set(LAYER_SPECS) & NOT_COUNTED and not set(STEPPERS) & FED


@dataclass(frozen=True, eq=False)
class _Bare:
    """A node type registered without any table entry."""

    v_threshold: Any
    metadata: dict[str, Any] = field(default_factory=dict, kw_only=True)


def test_a_node_type_without_entries_is_reported_by_every_check():
    register_node_type(_Bare, "neuron", population=("v_threshold",), native=True, spiking=True)
    try:
        for table, missing in COVERAGE.items():
            assert missing() == {"_Bare"}, table
    finally:
        unregister_node_type(_Bare)
    assert "_Bare" not in NODE_TYPES


def test_registration_points_refuse_a_name_already_taken():
    from snncompile.energy.neuron_costs import (
        NEURON_COSTS,
        NeuronCost,
        OpCounts,
        canonical_model,
        register_cost,
        unregister_cost,
    )
    from snncompile.errors import ConfigError
    from snncompile.ir.native_neurons import SoftLIF

    with pytest.raises(ConfigError, match="node type SoftLIF is already registered"):
        register_node_type(SoftLIF, "neuron")
    with pytest.raises(ConfigError, match=r"\['leaky'\] already registered"):
        register_cost(dataclasses.replace(NEURON_COSTS["LIF"], model="Other"), "leaky")
    row = NeuronCost("Toy", OpCounts(1), OpCounts(), 1, 0, 0, True, "V = V + X")
    register_cost(row, "toy-neuron")
    try:
        assert canonical_model("TOY-NEURON") == "Toy" and NEURON_COSTS["Toy"] is row
    finally:
        unregister_cost("Toy")
    with pytest.raises(ConfigError, match="unknown neuron model 'toy'"):
        canonical_model("toy")
