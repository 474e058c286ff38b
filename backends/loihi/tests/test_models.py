"""The Loihi rule tables are keyed by IR class and cover every IR node type."""

from __future__ import annotations

import nir
import numpy as np
import pytest
from snncompile_loihi.chain import FLOAT_PARAMS, extract_chain
from snncompile_loihi.models import (
    CLIF_FIXED,
    ILIF_FIXED,
    LIF_BUILTIN,
    MODELS,
    NEURON_TYPES,
    READOUT,
    REFUSED,
    SOFT_LIF,
    STRUCTURAL_TYPES,
    SYNAPSE_TYPES,
    fixed_model,
)

from snncompile.errors import UnsupportedNodeError
from snncompile.ir import CLIF, DALIF, ILIF, PLIF, SoftLIF, sequential
from snncompile.ir.nodes import node_classes

TABLES = {
    "neuron": NEURON_TYPES,
    "synapse": SYNAPSE_TYPES,
    "structural": STRUCTURAL_TYPES,
    "refused": REFUSED,
}


@pytest.mark.parametrize("cls", node_classes(), ids=lambda c: c.__name__)
def test_every_ir_node_type_has_exactly_one_rule_or_refusal(cls):
    holders = [name for name, table in TABLES.items() if cls in table]
    assert len(holders) == 1, f"{cls.__name__} is in {holders or 'no table'}"


def test_rule_tables_name_only_ir_classes():
    for table in TABLES.values():
        assert set(table) <= set(node_classes())
    assert set(FLOAT_PARAMS) == set(NEURON_TYPES)


def test_models_are_told_apart_by_identity_not_name():
    # the readout runs the soft-reset LIF's step but is a different model
    assert READOUT.step is SOFT_LIF.step and READOUT != SOFT_LIF
    assert len({m.name for m in MODELS}) == len(MODELS) == len(set(MODELS))


@pytest.mark.parametrize(
    ("node", "model"),
    [
        (SoftLIF(np.full(2, 0.5), np.ones(2)), SOFT_LIF),
        (SoftLIF(np.full(2, 0.5), np.ones(2), reset="hard"), LIF_BUILTIN),
        (PLIF(np.zeros(2), np.ones(2)), SOFT_LIF),
        (DALIF(np.ones(2), np.full(2, 0.5), np.ones(2), reset="hard"), LIF_BUILTIN),
        (CLIF(np.full(2, 2.0), np.ones(2)), CLIF_FIXED),
        (ILIF(np.full(2, 2.0), np.ones(2)), ILIF_FIXED),
    ],
)
def test_neuron_rule(node, model):
    assert fixed_model(node) is model


def test_refused_type_names_the_reason():
    w = np.ones((2, 3), np.float32)
    graph = sequential(
        ("input", nir.Input(np.array([3]))),
        ("fc", nir.Affine(weight=w, bias=np.zeros(2, np.float32))),
        ("li", nir.LI(tau=np.ones(2), r=np.ones(2), v_leak=np.zeros(2))),
        ("fc2", nir.Linear(weight=np.ones((2, 2), np.float32))),
        ("output", nir.Output(np.array([2]))),
    )  # an LI is lowered only as the Output's only input (the leaky readout)
    with pytest.raises(UnsupportedNodeError, match="no Lava lowering for this node type"):
        extract_chain(graph)
