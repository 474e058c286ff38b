"""Conformance: onnxruntime outputs equal the float32 reference simulator, spike for spike.

Matrix: every export mode × every neuron flavour × the four architectures of
``onnx_testlib`` (MLP, CNN with conv + pooling, residual sum, recurrent back edge),
batch 3, 8 steps; plus a matrix of NIR execution-profile variants. Each case also checks
that the spike trains are not trivial. The graph zoo (tests/roundtrip/graph_zoo.py) runs
on every mode and on int8 in the backend conformance suite, tests/conformance/test_backends.py.
"""

from __future__ import annotations

import dataclasses

import nir
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
    {"membrane_floor": "-threshold", "reset": "subtract"},
    {"membrane_floor": "-threshold", "reset_timing": "next_step", "reset": "subtract"},
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


@pytest.mark.parametrize("neuron", ["nir_lif", "nir_cubalif", "softlif"])
def test_recurrent_bias_at_t0_matches_the_reference(neuron: str) -> None:
    """``recurrent_t0="bias"``: the recurrent layer's bias arrives at t = 0 (snnTorch)."""
    base = ARCHITECTURES["recurrent"](NEURONS[neuron])
    rec = next(s for s, d in base.back_edges)
    node = base.nodes[rec]
    bias = np.linspace(-0.4, 0.6, node.weight.shape[0]).astype(np.float32)
    graph = base.replace(
        nodes={**base.nodes, rec: nir.Affine(weight=node.weight, bias=bias)},
        profile=dataclasses.replace(base.profile, recurrent_t0="bias"),
    )
    inputs = inputs_for(graph, steps=STEPS, batch=3)
    want = reference(graph, inputs)
    zero = reference(graph.replace(profile=base.profile), inputs)
    assert any(not np.array_equal(want[k], zero[k]) for k in graph.outputs)
    for mode in MODES:
        assert_spike_exact(_run(graph, mode, inputs), want, graph.outputs)
