"""docs/extending.md, tested: a toy neuron model (non-leaky IF with an input gain) goes
through torch, IR, reference, NIR, ONNX and energy with no table edited but the ones the
document lists (the entries are added through the same registration points the real
neurons use, and removed afterwards)."""

from __future__ import annotations

import nir
import numpy as np
import pytest
import torch
from torch import nn

import snncompile
from snncompile.errors import UnsupportedNodeError
from snncompile.ir.nodes import NODE_TYPES
from snncompile.neurons import TimeDistributed
from snncompile.passes import decompose_neurons
from snncompile.reference import simulate
from tests.extending.toy_neuron import GainIF, GainIFModule, registered


def _model_and_input() -> tuple[nn.Module, np.ndarray]:
    torch.manual_seed(3)
    model = nn.Sequential(TimeDistributed(nn.Linear(12, 7)), GainIFModule(gain=1.5))
    x = (np.random.default_rng(5).random((20, 4, 12)) < 0.4).astype(np.float32)
    return model, x


def _only(outputs: dict[str, np.ndarray]) -> np.ndarray:
    (value,) = outputs.values()
    return np.asarray(value)


def test_toy_neuron_through_torch_ir_reference_nir_and_energy(tmp_path):
    model, x = _model_and_input()
    with registered():
        artifact = snncompile.compile(model, "nir", example_input=torch.from_numpy(x))
        graph = artifact.graph
        assert [type(n) for n in graph.nodes.values()].count(GainIF) == 1
        reference = _only(simulate(graph, x, dtype=np.float32))
        with torch.no_grad():
            torch_spikes = model(torch.from_numpy(x)).numpy()
        assert reference.sum() > 0 and reference.mean() < 1  # it fires, not always
        np.testing.assert_array_equal(reference, torch_spikes)
        # NIR: written as exact primitives, read back as the node, run spike for spike
        path = artifact.save(tmp_path / "toy.nir")
        written = {type(n) for n in nir.read(path).nodes.values()}
        assert {nir.I, nir.Threshold, nir.Scale} <= written and GainIF not in written
        np.testing.assert_array_equal(_only(artifact.run(x)), reference)
        decomposed = decompose_neurons(graph)
        assert GainIF not in {type(n) for n in decomposed.nodes.values()}
        np.testing.assert_array_equal(_only(simulate(decomposed, x, dtype=np.float32)), reference)
        # energy: the new cost row prices the population
        report = artifact.report(x, ["cmos45-fp32"])
        (name,) = [n for n, node in graph.nodes.items() if isinstance(node, GainIF)]
        layer = report.counts.layer(name)
        assert layer.describe["model"] == "GainIF" and layer.get("NeuronOps_add") > 0
        assert report.estimate("cmos45-fp32").per_layer_j[name] > 0
    assert "GainIF" not in NODE_TYPES  # the registration is undone


def test_toy_neuron_through_onnx():
    pytest.importorskip("snncompile_onnx", reason="the ONNX backend is not installed")
    model, x = _model_and_input()
    with registered(onnx=True):
        artifact = snncompile.compile(model, "onnx", example_input=torch.from_numpy(x))
        reference = _only(simulate(artifact.graph, x, dtype=np.float32))
        np.testing.assert_array_equal(_only(artifact.run(x)), reference)


def test_an_unregistered_stepper_is_refused_with_the_table_to_extend():
    from snncompile.reference.simulator import STEPPERS

    model, x = _model_and_input()
    with registered():
        graph = snncompile.compile(model, "nir", example_input=torch.from_numpy(x)).graph
        factory = STEPPERS.pop(GainIF)
        try:
            with pytest.raises(UnsupportedNodeError, match="STEPPERS"):
                simulate(graph, x)
        finally:
            STEPPERS[GainIF] = factory
