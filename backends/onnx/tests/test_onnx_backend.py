"""The plug-in: entry point, capabilities, emit/simulate, the shared coefficients."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx_testlib import ARCHITECTURES, NEURONS, assert_spike_exact, inputs_for, reference
from snncompile_onnx import LOWERINGS, OnnxBackend, lower_nir
from snncompile_onnx.lowerings import MODEL_INPUTS

from snncompile import ir
from snncompile.backend import get_backend, list_backends
from snncompile.ir import discretize
from snncompile.ir.nodes import NODE_TYPES


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
def test_coefficients_are_the_shared_discretisation(profile: ir.ExecutionProfile) -> None:
    # one implementation: the ONNX lowering calls the IR's discretisation, no copy of it
    shared = [name for name in discretize.__all__ if hasattr(lower_nir, name)]
    assert "leak" in shared and "delay_steps" in shared
    for name in shared:
        assert getattr(lower_nir, name) is getattr(discretize, name), name
    rng = np.random.default_rng(0)
    tau, r, v_leak = rng.uniform(1e-4, 1e-2, 20), rng.uniform(0.5, 20, 20), rng.normal(size=20)
    k = discretize.leak(tau, profile)
    ratio = profile.dt / (tau * profile.tau_scale)
    beta = 1.0 - ratio if profile.integrator == "euler" else np.exp(-ratio)
    assert k.beta.dtype == np.float32 and np.array_equal(k.beta, beta.astype(np.float32))
    bias = discretize.leak_bias(k.rate, v_leak)
    assert bias.dtype == np.float32
    assert np.array_equal(bias, (k.rate * v_leak.astype(np.float32)).astype(np.float32))
    gain = discretize.input_gain(k.rate, r, profile)
    expected = np.ones(20) if profile.input_gain == "unit" else k.rate.astype(np.float64) * r
    assert gain.dtype == np.float32 and np.array_equal(gain, expected.astype(np.float32))
