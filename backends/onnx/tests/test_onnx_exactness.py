"""Bit-level agreement with the float32 reference, and ties at the threshold.

Elementwise float32 arithmetic (+ − × ÷, comparisons, Floor, Max) is correctly rounded
in numpy and onnxruntime alike, so a lowering that keeps the reference's operation order
and grouping reproduces every state bit for bit. What cannot be bit-exact:

- ``MatMul`` / ``Conv`` accumulate in a different order (BLAS vs MLAS), not tested here;
- the logistic function (CLIF, ILIF): numpy's float32 ``exp`` and onnxruntime's
  ``Sigmoid`` use different approximations (≤ 2 ulp apart), so CLIF/ILIF states agree
  to ~1e-6 but not bitwise.
"""

from __future__ import annotations

import nir
import numpy as np
import pytest
from onnx_testlib import NEURONS, inputs_for, reference
from snncompile_onnx import build_model, simulate_onnx

from snncompile import ir

BITWISE = ["softlif", "softlif_hard", "plif", "dalif_layer", "dalif_channel", "nir_lif",
           "nir_if", "nir_cubalif"]  # fmt: skip
SIGMOID = ["clif", "ilif", "ilif_tau2"]


def _elementwise_graph(neuron: str) -> ir.Graph:
    """in[64] -> Scale -> neuron -> out: no matmul, so the neuron input is bit-identical."""
    return ir.sequential(
        ("in", nir.Input(np.array([64]))),
        ("sc", nir.Scale(np.linspace(0.5, 2.0, 64))),
        ("n", NEURONS[neuron]((64,))),
        ("out", nir.Output(np.array([64]))),
        profile=ir.ExecutionProfile(dt=1e-4),
    )


def _states(neuron: str, steps: int = 40) -> tuple[dict, dict]:
    graph = _elementwise_graph(neuron)
    inputs = inputs_for(graph, steps=steps, batch=8)
    want = reference(graph, inputs, record=["n"])
    got = simulate_onnx(build_model(graph).model.SerializeToString(), inputs, states=True)
    pairs = {}
    for key in got:
        ref_key = f"n:{key.split('.')[-1]}"
        if key.startswith("state.n.") and ref_key in want:  # x_prev, s_prev are not recorded
            pairs[key] = (got[key], want[ref_key])
    assert pairs, "no comparable state"
    np.testing.assert_array_equal(got["out"], want["out"])
    return pairs, want


@pytest.mark.parametrize("neuron", BITWISE)
def test_states_are_bit_identical(neuron: str) -> None:
    pairs, _ = _states(neuron)
    for name, (got, want) in pairs.items():
        assert np.array_equal(got, want), f"{name}: {int(np.sum(got != want))} elements differ"


@pytest.mark.parametrize("neuron", SIGMOID)
def test_sigmoid_states_agree_to_float32_rounding(neuron: str) -> None:
    pairs, _ = _states(neuron)
    for got, want in pairs.values():
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)


def _tie_graph(compare: str) -> ir.Graph:
    """Three inputs summed into a Threshold(θ = 1): fan-in order decides the tie."""
    nodes = {
        "a": nir.Input(np.array([1])),
        "b": nir.Input(np.array([1])),
        "c": nir.Input(np.array([1])),
        "thr": nir.Threshold(np.array([1.0])),
        "out": nir.Output(np.array([1])),
    }
    edges = [("a", "thr"), ("b", "thr"), ("c", "thr"), ("thr", "out")]
    return ir.Graph(nodes, edges, ir.ExecutionProfile(compare=compare))


@pytest.mark.parametrize("mode", ["step", "unrolled", "loop"])
def test_fan_in_is_summed_in_edge_order(mode: str) -> None:
    f = np.float32
    a, b, c = f(1.0), f(2.0**-24), f(-(2.0**-24))
    assert (a + b) + c < 1.0 <= a + (b + c)  # the order matters for this triple
    column = np.array([a, f(1.0), f(0.5)], np.float32)
    inputs = {
        "a": column.reshape(3, 1, 1),
        "b": np.array([b, 0, 0.5], np.float32).reshape(3, 1, 1),
        "c": np.array([c, 0, 0], np.float32).reshape(3, 1, 1),
    }
    for compare in (">=", ">"):
        graph = _tie_graph(compare)
        want = reference(graph, inputs)["out"]
        got = simulate_onnx(
            build_model(graph, mode, 3 if mode == "unrolled" else None).model.SerializeToString(),
            inputs,
        )["out"]
        np.testing.assert_array_equal(got, want)
        # t0: left fold just below θ; t1, t2: exactly θ (fires only under >=)
        expected = [0.0, 1.0, 1.0] if compare == ">=" else [0.0, 0.0, 0.0]
        assert got[:, 0, 0].tolist() == expected


def test_native_neurons_fire_at_exactly_theta() -> None:
    """H == θ exactly fires (inclusive >=) for SoftLIF and DA-LIF (α·X == θ)."""
    cases = [
        (ir.SoftLIF(np.array([0.5]), np.array([1.0])), 1.0),
        (ir.DALIF(np.array([0.5]), np.array([0.5]), np.array([1.0])), 2.0),
    ]
    for neuron, x in cases:
        graph = ir.sequential(
            ("in", nir.Input(np.array([1]))), ("n", neuron), ("out", nir.Output(np.array([1])))
        )
        inputs = np.full((2, 1, 1), x, np.float32)
        got = simulate_onnx(build_model(graph, "loop").model.SerializeToString(), inputs)
        np.testing.assert_array_equal(got["out"], reference(graph, inputs)["out"])
        assert got["out"][0, 0, 0] == 1.0
