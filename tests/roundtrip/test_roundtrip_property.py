"""Property tests on random small graphs: chains, branches, residual sums and back edges.

Every generated graph must verify, round-trip through NIR (memory and file, strict
``nir.read``), and keep its simulated outputs through the full pass pipeline including
the exact decomposition of native neurons.
"""

from __future__ import annotations

import warnings

import nir
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from snncompile import ir
from snncompile.ir.testing import assert_roundtrip
from snncompile.passes import NIR_PRIMITIVES_PIPELINE, run_pipeline
from snncompile.reference import simulate

NEURONS = (
    "SoftLIF", "SoftLIF-hard", "PLIF", "DALIF", "DALIF-hard", "CLIF", "ILIF",
    "LIF", "IF", "LI", "CubaLIF", "Threshold", "Delay", "none",
)  # fmt: skip
PROFILES = (
    {},
    {"compare": ">="},
    {"reset": "subtract", "integrator": "exact"},
    {"reset_timing": "next_step", "refractory": 1},
    {"spike_mode": "multi", "max_spikes": 2, "reset": "subtract", "dt": 1e-3},
)


def _neuron(kind: str, n: int, rng: np.random.Generator, dt: float):
    one = np.ones(n)
    theta = rng.uniform(0.5, 1.5, n)
    beta = rng.uniform(0.0, 0.95, n)
    if kind == "SoftLIF":
        return ir.SoftLIF(beta, theta)
    if kind == "SoftLIF-hard":
        return ir.SoftLIF(beta, theta, reset="hard", v_reset=rng.uniform(-0.2, 0.0, n))
    if kind == "PLIF":
        return ir.PLIF(rng.normal(0, 1, n), theta)
    if kind in ("DALIF", "DALIF-hard"):
        alpha = rng.uniform(0.5, 1.5, 1 if rng.random() < 0.5 else n)
        return ir.DALIF(alpha, beta, theta, reset="hard" if kind.endswith("hard") else "soft")
    if kind == "CLIF":
        return ir.CLIF(rng.uniform(1.2, 3.0, n), theta)
    if kind == "ILIF":
        return ir.ILIF(rng.uniform(1.1, 3.0, n), theta)
    tau = rng.uniform(2e-4, 2e-3, n)
    if kind == "LIF":
        return nir.LIF(tau, tau / 1e-4, 0 * one, theta, 0 * one)
    if kind == "IF":
        return nir.IF(1e4 * one, theta, 0 * one)
    if kind == "LI":
        return nir.LI(tau, tau / 1e-4, 0 * one)
    if kind == "CubaLIF":
        return nir.CubaLIF(tau / 2, tau, tau / 1e-4, 0 * one, theta, 0 * one, tau / 2e-4)
    if kind == "Threshold":
        return nir.Threshold(theta)
    return nir.Delay(rng.integers(0, 3, n) * dt)


@st.composite
def graphs(draw) -> ir.Graph:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    profile = ir.ExecutionProfile(**draw(st.sampled_from(PROFILES)))
    widths = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    n_in = draw(st.integers(1, 4))
    nodes = {"in": nir.Input(np.array([n_in]))}
    edges: list[tuple[str, str]] = []
    outs: list[tuple[str, int]] = [("in", n_in)]  # (node, width) of each block output
    for i, width in enumerate(widths):
        src, src_w = outs[-1]
        syn = draw(
            st.sampled_from(("Affine", "Linear", "Scale") if src_w == width else ("Affine",))
        )
        w = rng.normal(0.3, 0.7, (width, src_w))
        if syn == "Affine":
            nodes[f"fc{i}"] = nir.Affine(w, rng.normal(0.1, 0.1, width))
        elif syn == "Linear":
            nodes[f"fc{i}"] = nir.Linear(w)
        else:
            nodes[f"fc{i}"] = nir.Scale(rng.uniform(0.5, 1.5, width))
        edges.append((src, f"fc{i}"))
        last = f"fc{i}"
        kind = draw(st.sampled_from(NEURONS))
        if kind != "none":
            nodes[f"n{i}"] = _neuron(kind, width, rng, profile.dt)
            edges.append((last, f"n{i}"))
            last = f"n{i}"
        same = [name for name, wd in outs[1:] if wd == width and name not in (last, src)]
        if same and kind != "none" and draw(st.booleans()):  # residual sum into the neuron
            edges.append((draw(st.sampled_from(same)), last))
        outs.append((last, width))
    neurons = [k for k, (name, _) in enumerate(outs) if name.startswith("n")]
    if neurons and draw(st.booleans()):  # recurrent weights closing a cycle into a neuron
        i = draw(st.sampled_from(neurons))
        j = draw(st.integers(i, len(outs) - 1))
        (src, w_src), (dst, w_dst) = outs[j], outs[i]
        nodes["rec"] = nir.Linear(rng.normal(0, 0.3, (w_dst, w_src)))
        edges += [(src, "rec"), ("rec", dst)]
    final, width = outs[-1]
    nodes["out"] = nir.Output(np.array([width]))
    edges.append((final, "out"))
    if len(outs) > 2 and draw(st.booleans()):  # a second output branching off
        name, wd = outs[draw(st.integers(1, len(outs) - 2))]
        nodes["tap"] = nir.Output(np.array([wd]))
        edges.append((name, "tap"))
    return ir.Graph(nodes, edges, profile, {"seed": int(rng.integers(1 << 30))})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_random_graphs_verify_and_round_trip(graph):
    ir.verify(graph)
    assert_roundtrip(graph)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), st.integers(0, 1000))
def test_random_graphs_keep_behaviour_through_the_pipeline(graph, seed):
    lowered = run_pipeline(graph, NIR_PRIMITIVES_PIPELINE, verify=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ir.LossyConversionWarning)
        assert_roundtrip(lowered)
    rng = np.random.default_rng(seed)
    width = int(graph.nodes["in"].input_type["input"][0])
    x = rng.normal(0.4, 1.0, (15, 2, width))
    expected, got = simulate(graph, x), simulate(lowered, x)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-7, atol=1e-7, err_msg=key)
