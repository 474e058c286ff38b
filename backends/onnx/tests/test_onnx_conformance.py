"""Conformance: onnxruntime outputs equal the float32 reference simulator, spike for spike.

Matrix: every export mode × every neuron flavour × the four architectures of
``onnx_testlib`` (MLP, CNN with conv + pooling, residual sum, recurrent back edge),
batch 3, 8 steps; plus every graph of the shared graph zoo and a matrix of NIR
execution-profile variants. Each case also checks that the spike trains are not trivial.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from onnx_testlib import (
    ARCHITECTURES,
    NEURONS,
    assert_spike_exact,
    inputs_for,
    mlp,
    reference,
)
from snncompile_onnx import build_model, simulate_onnx

from snncompile import ir

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "roundtrip"))
from graph_zoo import ZOO

MODES = ("step", "unrolled", "loop")
STEPS = 8


def _run(graph: ir.Graph, mode: str, inputs: dict) -> dict[str, np.ndarray]:
    steps = next(iter(inputs.values())).shape[0]
    exported = build_model(graph, mode, steps if mode == "unrolled" else None)
    return simulate_onnx(exported.model.SerializeToString(), inputs, threads=1)


@pytest.mark.parametrize("neuron", sorted(NEURONS))
@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_every_mode_matches_the_reference(arch: str, neuron: str) -> None:
    graph = ARCHITECTURES[arch](NEURONS[neuron])
    inputs = inputs_for(graph, steps=STEPS, batch=3)
    want = reference(graph, inputs, record="spikes")
    rates = [float(v.mean()) for k, v in want.items() if k not in graph.outputs]
    assert all(0.02 < r < 0.98 for r in rates), f"degenerate activity {rates}"
    for mode in MODES:
        assert_spike_exact(_run(graph, mode, inputs), want, graph.outputs)


@pytest.mark.parametrize("name", sorted(ZOO))
def test_graph_zoo_matches_the_reference(name: str) -> None:
    graph = ZOO[name]()
    inputs = {
        k: np.random.default_rng(5).normal(0.5, 1.0, (10, 2, *shape)).astype(np.float32)
        for k, shape in ((k, graph.nodes[k].input_type["input"]) for k in graph.inputs)
    }
    want = reference(graph, inputs)
    for mode in MODES:
        got = _run(graph, mode, inputs)
        for out in graph.outputs:
            spiking = set(np.unique(want[out])) <= {0.0, 1.0, 2.0, 3.0}
            if spiking:
                assert_spike_exact(got, want, [out])
            else:  # analog outputs (LI, I): float32 rounding of matmul/conv differs
                np.testing.assert_allclose(got[out], want[out], rtol=1e-5, atol=1e-5)


PROFILE_VARIANTS = [
    {"compare": ">="},
    {"reset": "subtract"},
    {"reset": "none"},
    {"spike_mode": "multi", "max_spikes": 3, "reset": "subtract"},
    {"spike_mode": "multi", "reset": "to_value"},
    {"reset_timing": "next_step", "reset": "to_value"},
    {"reset_timing": "next_step", "reset": "subtract"},
    {"refractory": 2},
    {"refractory": 1, "reset_timing": "next_step", "reset": "subtract"},
    {"integrator": "exact", "input_gain": "unit"},
    {"tau_scale": 2.0, "synapse_order": "jump"},
    {"synapse_order": "jump_decay"},
]


@pytest.mark.parametrize("variant", PROFILE_VARIANTS, ids=lambda v: ",".join(map(str, v.items())))
def test_nir_profile_variants(variant: dict) -> None:
    profile = ir.ExecutionProfile(dt=1e-4, **variant)
    for neuron in ("nir_lif", "nir_if", "nir_cubalif", "nir_threshold"):
        graph = mlp(NEURONS[neuron]).replace(profile=profile)
        inputs = inputs_for(graph, steps=6, batch=2)
        want = reference(graph, inputs)
        for mode in ("step", "loop"):
            assert_spike_exact(_run(graph, mode, inputs), want, graph.outputs)
