"""Hand-computed trajectories of the NIR primitives under every execution-profile knob."""

from __future__ import annotations

import math

import nir
import numpy as np
import pytest

from snncompile import ir
from snncompile.ir.testing import assert_roundtrip
from snncompile.reference import simulate


def _run(node, xs, profile=None, record=True, roundtrip=True):
    """Drive one node with a scalar input sequence (T steps, B = 1, population [1])."""
    n = int(np.prod(ir.infer_graph_shapes(_graph(node, profile)).get("n").input))
    graph = _graph(node, profile)
    if roundtrip:
        assert_roundtrip(graph)
    x = np.asarray(xs, dtype=np.float64).reshape(-1, 1, 1).repeat(n, axis=2)
    out = simulate(graph, x, record=["n"] if record else None)
    return {k.removeprefix("n:"): v[:, 0, 0] for k, v in out.items()}


def _graph(node, profile=None):
    n = ir.kind_of(node).declared_input(node)
    return ir.sequential(
        ("in", nir.Input(np.array(n))),
        ("n", node),
        ("out", nir.Output(np.array(n))),
        profile=profile or ir.ExecutionProfile(),
    )


def _lif(tau=1e-3, r=10.0, theta=1.0, v_reset=0.0, v_leak=0.0):
    one = np.ones(1)
    return nir.LIF(tau * one, r * one, v_leak * one, theta * one, v_reset * one)


def _if(r=1e4, theta=1.0, v_reset=0.0):
    return nir.IF(np.full(1, r), np.full(1, theta), np.full(1, v_reset))


def test_li_euler_exact_unit_gain_and_tau_scale():
    li = nir.LI(tau=np.full(1, 2e-4), r=np.full(1, 4.0), v_leak=np.full(1, 0.1))
    # euler: a = dt/tau = 0.5, beta = 0.5, gain a*r = 2: v = 0.5 v + 0.05 + 2 x
    np.testing.assert_allclose(_run(li, [1, 0, 0])["v"], [2.05, 1.075, 0.5875])
    unit = ir.ExecutionProfile(input_gain="unit")  # v = 0.5 v + 0.05 + x
    np.testing.assert_allclose(_run(li, [1, 0, 0], unit)["v"], [1.05, 0.575, 0.3375])
    exact = ir.ExecutionProfile(integrator="exact")
    b = math.exp(-0.5)
    v0 = (1 - b) * (0.1 + 4.0)
    v1 = b * v0 + (1 - b) * 0.1
    np.testing.assert_allclose(_run(li, [1, 0], exact)["v"], [v0, v1], rtol=1e-12)
    # tau_scale 2 doubles the true tau: a = 0.25
    scaled = ir.ExecutionProfile(tau_scale=2.0)
    np.testing.assert_allclose(_run(li, [1], scaled)["v"], [0.25 * 0.1 + 0.25 * 4.0])


def test_integrator_and_if():
    i = nir.I(r=np.full(1, 2e4))  # v += dt*r*x = 2x
    np.testing.assert_allclose(_run(i, [1, 0.5])["v"], [2.0, 3.0])
    np.testing.assert_allclose(
        _run(i, [1, 0.5], ir.ExecutionProfile(input_gain="unit"))["v"], [1, 1.5]
    )
    out = _run(_if(), [0.6, 0.6, 0.6, 0.6])
    np.testing.assert_array_equal(out["out"], [0, 1, 0, 1])


def test_lif_euler_hard_reset():
    # beta 0.9, unit gain: 0.6, 1.14 (spike -> 0), 0.6, 1.14
    out = _run(_lif(), [0.6, 0.6, 0.6, 0.6])
    np.testing.assert_array_equal(out["out"], [0, 1, 0, 1])
    np.testing.assert_allclose(out["v_pre"], [0.6, 1.14, 0.6, 1.14])
    np.testing.assert_allclose(out["v"], [0.6, 0.0, 0.6, 0.0])


@pytest.mark.parametrize(("compare", "fires"), [(">", 0), (">=", 1)])
def test_threshold_ties(compare, fires):
    profile = ir.ExecutionProfile(input_gain="unit", compare=compare)
    assert _run(_if(), [0.5, 0.5], profile)["out"][1] == fires  # H = 1.0 exactly
    thr = nir.Threshold(np.ones(1))
    assert _run(thr, [1.0], profile)["out"][0] == fires


def test_reset_modes_same_step():
    unit = {"input_gain": "unit"}
    sub = _run(_if(), [0.7, 0.7, 0.7], ir.ExecutionProfile(reset="subtract", **unit))
    np.testing.assert_array_equal(sub["out"], [0, 1, 1])
    np.testing.assert_allclose(sub["v"], [0.7, 0.4, 0.1])
    to_value = _run(_if(v_reset=-0.5), [0.7, 0.7, 0.7], ir.ExecutionProfile(**unit))
    np.testing.assert_allclose(to_value["v"], [0.7, -0.5, 0.2])
    none = _run(_if(), [0.7, 0.7, 0.7], ir.ExecutionProfile(reset="none", **unit))
    np.testing.assert_array_equal(none["out"], [0, 1, 1])
    np.testing.assert_allclose(none["v"], [0.7, 1.4, 2.1])


def test_next_step_reset_timing_like_snntorch():
    lif = _lif(tau=2e-4, r=2.0)  # beta 0.5, gain 1
    sub_same = _run(lif, [1.2] * 3, ir.ExecutionProfile(reset="subtract"))
    np.testing.assert_allclose(sub_same["v_pre"], [1.2, 1.3, 1.35])
    # snnTorch subtract: H = beta*H_prev + x - theta*s_prev (the reset is not decayed)
    sub_next = _run(lif, [1.2] * 3, ir.ExecutionProfile(reset="subtract", reset_timing="next_step"))
    np.testing.assert_allclose(sub_next["v_pre"], [1.2, 0.8, 1.6])
    np.testing.assert_array_equal(sub_next["out"], [1, 0, 1])
    # snnTorch zero reset: v[t-1] *= (1 - s[t-1]) before the charge
    zero_next = _run(lif, [1.2, 0.3, 0.3], ir.ExecutionProfile(reset_timing="next_step"))
    np.testing.assert_allclose(zero_next["v_pre"], [1.2, 0.3, 0.45])
    np.testing.assert_allclose(zero_next["v"], [1.2, 0.3, 0.45])


def test_multi_spike_counts_and_cap():
    profile = ir.ExecutionProfile(input_gain="unit", reset="subtract", spike_mode="multi")
    out = _run(_if(), [2.5, 0.2], profile)
    np.testing.assert_array_equal(out["out"], [2, 0])
    np.testing.assert_allclose(out["v"], [0.5, 0.7])
    capped = ir.ExecutionProfile(
        input_gain="unit", reset="subtract", spike_mode="multi", max_spikes=1
    )
    out = _run(_if(), [2.5, 0.2], capped)
    np.testing.assert_array_equal(out["out"], [1, 1])
    np.testing.assert_allclose(out["v"], [1.5, 0.7])


def test_refractory_holds_and_silences():
    profile = ir.ExecutionProfile(input_gain="unit", refractory=2)
    out = _run(_if(), [1.5, 1.5, 1.5, 0.4, 0.4, 0.4, 0.4], profile)
    np.testing.assert_array_equal(out["out"], [1, 0, 0, 0, 0, 1, 0])
    np.testing.assert_allclose(out["v"], [0, 0, 0, 0.4, 0.8, 0, 0])


@pytest.mark.parametrize(
    ("order", "current", "potential"),
    [
        ("syn_first", [1.0, 0.5, 0.25], [1.0, 1.0, 0.75]),
        ("jump", [1.0, 0.5, 0.25], [2.0, 2.0, 1.5]),
        ("jump_decay", [0.5, 0.25, 0.125], [0.5, 0.5, 0.375]),
    ],
)
def test_cuba_synapse_orders(order, current, potential):
    one = np.ones(1)
    # alpha_s = beta = 0.5; nir gains a_s*w_in = 1 (jump: w_in = 2), a_m*r = 1
    kwargs = {"tau_syn": 2e-4 * one, "tau_mem": 2e-4 * one, "r": 2 * one, "v_leak": 0 * one}
    cuba = nir.CubaLIF(**kwargs, v_threshold=100 * one, v_reset=0 * one, w_in=2 * one)
    out = _run(cuba, [1, 0, 0], ir.ExecutionProfile(synapse_order=order))
    np.testing.assert_allclose(out["i"], current)
    np.testing.assert_allclose(out["v"], potential)
    li = _run(
        nir.CubaLI(**kwargs, w_in=2 * one), [1, 0, 0], ir.ExecutionProfile(synapse_order=order)
    )
    np.testing.assert_allclose(li["out"], potential)


def test_delay_per_element():
    delay = nir.Delay(np.array([0.0, 2e-4]))
    graph = _graph(delay)
    assert_roundtrip(graph)
    x = np.array([1.0, 2.0, 3.0, 4.0])[:, None, None].repeat(2, axis=2)
    y = simulate(graph, x)["out"][:, 0]
    np.testing.assert_array_equal(y[:, 0], [1, 2, 3, 4])
    np.testing.assert_array_equal(y[:, 1], [0, 0, 1, 2])
