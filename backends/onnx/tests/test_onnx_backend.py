"""The plug-in: entry point, capabilities, emit/simulate, coefficient parity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx_testlib import ARCHITECTURES, NEURONS, assert_spike_exact, inputs_for, reference
from snncompile_onnx import LOWERINGS, OnnxBackend, coefficients
from snncompile_onnx.lowerings import MODEL_INPUTS

from snncompile import ir
from snncompile.backend import get_backend, list_backends
from snncompile.ir.nodes import NODE_TYPES
from snncompile.reference import discretize


def test_entry_point_is_registered() -> None:
    backend = get_backend("onnx")
    assert isinstance(backend, OnnxBackend) and backend.name == "onnx"
    rows = {row.name: row for row in list_backends()}
    assert rows["onnx"].installed and rows["onnx"].source == "snncompile_onnx:OnnxBackend"


def test_every_ir_node_type_is_supported() -> None:
    """Coverage: every IR node class has a lowering or is a model input (Input)."""
    classes = {kind.cls for kind in NODE_TYPES.values()}
    assert classes == OnnxBackend.capabilities.node_types
    assert set(OnnxBackend.lowerings) == classes - MODEL_INPUTS == set(LOWERINGS)


@pytest.mark.parametrize("mode", ["step", "unrolled", "loop"])
def test_emit_then_simulate(tmp_path: Path, mode: str) -> None:
    graph = ARCHITECTURES["cnn"](NEURONS["dalif_channel"])
    inputs = inputs_for(graph, steps=5, batch=2)
    backend = OnnxBackend(mode=mode, steps=5 if mode == "unrolled" else None, threads=1)
    artifact = backend.emit(graph, tmp_path)
    assert artifact == tmp_path / "model.onnx" and artifact.exists()
    got = backend.simulate(artifact, inputs["in"], steps=5)
    assert_spike_exact(got, reference(graph, inputs), graph.outputs)


PROFILES = [
    ir.ExecutionProfile(),
    ir.ExecutionProfile(integrator="exact", tau_scale=3.0, dt=2e-4),
    ir.ExecutionProfile(input_gain="unit"),
    ir.ExecutionProfile(synapse_order="jump"),
]


@pytest.mark.parametrize("profile", PROFILES)
def test_coefficients_match_the_reference_bit_for_bit(profile: ir.ExecutionProfile) -> None:
    rng = np.random.default_rng(0)
    tau, r, v_leak = rng.uniform(1e-4, 1e-2, 20), rng.uniform(0.5, 20, 20), rng.normal(size=20)
    f32 = np.dtype(np.float32)
    ours, theirs = coefficients.leak(tau, profile), discretize.leak(tau, profile, f32)
    assert np.array_equal(ours.beta, theirs.beta) and np.array_equal(ours.rate, theirs.rate)
    pairs = [
        (coefficients.input_gain(ours.rate, r, profile),
         discretize.input_gain(theirs.rate, r, profile, f32)),
        (coefficients.integrator_gain(r, profile), discretize.integrator_gain(r, profile, f32)),
        (coefficients.synaptic_gain(ours.rate, r, profile),
         discretize.synaptic_gain(theirs.rate, r, profile, f32)),
        (coefficients.leak_bias(ours.rate, v_leak),
         (theirs.rate * np.asarray(v_leak, dtype=f32)).astype(f32)),
    ]  # fmt: skip
    for a, b in pairs:
        assert a.dtype == np.float32 and np.array_equal(a, b)
