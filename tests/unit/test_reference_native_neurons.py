"""Native neurons: hand-computed trajectories and the official golden vectors."""

from __future__ import annotations

import math

import nir
import numpy as np
import pytest

from snncompile import ir
from snncompile.ir.testing import assert_roundtrip
from snncompile.reference import simulate
from tests.conftest import load_golden


def _sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _graph(node):
    shape = np.array(node.v_threshold.shape)
    return ir.sequential(("in", nir.Input(shape)), ("n", node), ("out", nir.Output(shape)))


def _run(node, xs, roundtrip=True):
    graph = _graph(node)
    if roundtrip:
        assert_roundtrip(graph)
    x = np.asarray(xs, dtype=np.float64).reshape(-1, 1, 1)
    out = simulate(graph, x, record=["n"])
    return {k.removeprefix("n:"): v[:, 0, 0] for k, v in out.items()}


def test_softlif_beta_half_soft_reset():
    # H: 0.6, 0.9, 1.05 (fire -> 0.05), 0.625, 2.8125 (fire -> 1.8125)
    out = _run(ir.SoftLIF(np.full(1, 0.5), np.ones(1)), [0.6, 0.6, 0.6, 0.6, 2.5])
    np.testing.assert_array_equal(out["out"], [0, 0, 1, 0, 1])
    np.testing.assert_allclose(out["v_pre"], [0.6, 0.9, 1.05, 0.625, 2.8125])
    np.testing.assert_allclose(out["v"], [0.6, 0.9, 0.05, 0.625, 1.8125])


def test_native_neurons_fire_on_equality():
    out = _run(ir.SoftLIF(np.full(1, 0.5), np.ones(1)), [1.0], roundtrip=False)
    assert out["out"][0] == 1 and out["v"][0] == 0.0


def test_softlif_hard_reset_leaks_toward_v_reset():
    node = ir.SoftLIF(np.full(1, 0.5), np.ones(1), reset="hard", v_reset=np.full(1, -0.5))
    # H = 0.5 V + 0.5*(-0.5) + X: 1.25 (fire -> -0.5), 0.0, 0.75
    out = _run(node, [1.5, 0.5, 1.0])
    np.testing.assert_allclose(out["v_pre"], [1.25, 0.0, 0.75])
    np.testing.assert_allclose(out["v"], [-0.5, 0.0, 0.75])


def test_plif_matches_softlif_with_derived_beta():
    w = np.full(1, 0.3)
    xs = [0.7, 0.4, 0.9, 0.1, 1.3]
    plif = _run(ir.PLIF(w, np.ones(1)), xs)
    lif = _run(ir.SoftLIF(1 - 1 / (1 + np.exp(-w)), np.ones(1)), xs)
    np.testing.assert_allclose(plif["v"], lif["v"], rtol=0, atol=1e-15)
    np.testing.assert_array_equal(plif["out"], lif["out"])


@pytest.mark.parametrize(("reset", "v_after"), [("soft", 0.1), ("hard", 0.0)])
def test_dalif_alpha_beta(reset, v_after):
    node = ir.DALIF(np.full(1, 2.0), np.full(1, 0.5), np.ones(1), reset=reset)
    out = _run(node, [0.3, 0.4])  # V' = 0.6, then 0.3 + 0.8 = 1.1 (fire)
    np.testing.assert_allclose(out["v_pre"], [0.6, 1.1])
    np.testing.assert_allclose(out["v"], [0.6, v_after])


def test_dalif_per_channel_broadcasts_over_channel_axis():
    node = ir.DALIF(np.array([1.0, 2.0]), np.array([0.0, 0.5]), np.full((2, 2), 10.0))
    graph = _graph(node)
    assert_roundtrip(graph)
    x = np.ones((2, 1, 2, 2))
    v = simulate(graph, x, record=["n"])["n:v"][:, 0]
    np.testing.assert_allclose(v[:, 0], [[1, 1], [1, 1]])  # alpha 1, beta 0
    np.testing.assert_allclose(v[:, 1], [[2, 2], [3, 3]])  # alpha 2, beta 0.5


def test_clif_two_steps_by_hand():
    out = _run(ir.CLIF(np.full(1, 2.0), np.ones(1)), [1.2, 0.5])
    v0 = 1.2 - 1.0 - _sig(1.0)  # m = 0*sig(0.6) + 1 = 1
    h1 = 0.5 * v0 + 0.5
    m1 = 1.0 * _sig(h1 / 2.0)
    np.testing.assert_array_equal(out["out"], [1, 0])
    np.testing.assert_allclose(out["m"], [1.0, m1], rtol=1e-14)
    np.testing.assert_allclose(out["v"], [v0, h1], rtol=1e-14)


def test_ilif_three_steps_by_hand():
    out = _run(ir.ILIF(np.full(1, 2.0), np.ones(1)), [1.5, 1.0, 1.4])
    # t0: I = 0, H = 1.5, fire, V' = 0.5, M = 0.5
    m0 = 0.5
    v0 = 0.5 - _sig(m0)
    # t1: I = 0.03*(0 + 1.5*1) = 0.045
    i1 = 0.045
    h1 = 0.5 * v0 + 1.0 - i1
    assert h1 < 1
    # t2: I = 0.03*(0.045 + 1.0*0) = 0.00135
    i2 = 0.03 * i1
    h2 = 0.5 * h1 + 1.4 - i2
    assert h2 >= 1
    m2 = m0 + (h2 - 1.0)
    np.testing.assert_allclose(out["inhibition"], [0.0, i1, i2], rtol=1e-14)
    np.testing.assert_allclose(out["v_pre"], [1.5, h1, h2], rtol=1e-14)
    np.testing.assert_allclose(out["inhibitory_memory"], [m0, m0, m2], rtol=1e-14)
    np.testing.assert_allclose(out["v"], [v0, h1, h2 - 1.0 - _sig(m2)], rtol=1e-14)


GOLDEN = {
    "lif": (lambda d: ir.SoftLIF(np.full(16, 0.5, d), np.ones(16, d)), {}),
    "clif": (lambda d: ir.CLIF(np.full(16, 2.0, d), np.ones(16, d)), {"m": "state_m"}),
    "ilif": (
        lambda d: ir.ILIF(np.full(16, 1.1, d), np.ones(16, d)),
        {"inhibition": "state_inhibition", "inhibitory_memory": "state_inhibitory_memory"},
    ),
    # docs/neurons.md §6: DA-LIF with alpha = 1, beta = 0.5 injected is the LIF of golden_lif
    "dalif": (lambda d: ir.DALIF(np.ones(1, d), np.full(1, 0.5, d), np.ones(16, d)), {}),
    "plif": (lambda d: ir.PLIF(np.zeros(16, d), np.ones(16, d)), {}),
}


@pytest.mark.parametrize(
    ("dtype", "suffix", "atol"), [(np.float32, "", 1e-6), (np.float64, "_f64", 1e-12)]
)
@pytest.mark.parametrize("model", sorted(GOLDEN))
def test_golden_vectors(model, dtype, suffix, atol):
    data = load_golden(model if model in ("lif", "clif", "ilif") else "lif")
    make, states = GOLDEN[model]
    graph = _graph(make(dtype))
    x = data["input" + suffix]
    assert x.dtype == dtype
    out = simulate(graph, x, dtype=dtype, record="all")
    np.testing.assert_array_equal(out["out"], data["spikes" + suffix])
    expected = {"v_pre": "v_pre_fire", "v": "v_post_reset", **states}
    for state, key in expected.items():
        np.testing.assert_allclose(out[f"n:{state}"], data[key + suffix], rtol=0, atol=atol)
    assert out["out"].dtype == dtype
