"""Foreign NIR files: exact reproduction of the fixtures, dialect presets, tolerant reading."""

from __future__ import annotations

import math
import warnings

import h5py
import nir
import numpy as np
import pytest

from snncompile import ir
from snncompile.ir.discretize import input_gain, leak
from snncompile.ir.testing import assert_roundtrip
from snncompile.reference import simulate
from tests.conftest import FOREIGN

FIXTURES = {
    "snntorch_lif2_zero": ("snntorch", "1", "3"),
    "spikingjelly_lif2": ("spikingjelly", "_1", "_3"),
    "spikingjelly_lif2_nodecay": ("spikingjelly", "_1", "_3"),
    "spikingjelly_cubalif2": ("spikingjelly", "_1", "_3"),
    "spikingjelly_if2": ("spikingjelly", "_1", "_3"),
}


def _fixture(name: str) -> tuple[str, dict[str, np.ndarray]]:
    path = FOREIGN / f"{name}.nir"
    with np.load(FOREIGN / f"{name}.npz") as data:
        return str(path), dict(data)


def _read_quietly(path, dialect, **overrides) -> ir.Graph:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return ir.read_nir(path, dialect, **overrides)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_fixture_reproduced_exactly_with_its_dialect(name, dtype):
    dialect, hidden, output = FIXTURES[name]
    path, data = _fixture(name)
    graph = _read_quietly(path, dialect)
    out = simulate(graph, data["input"], dtype=dtype, record=[hidden, output])
    np.testing.assert_array_equal(out[hidden], data["hidden_spikes"])
    np.testing.assert_array_equal(out[output], data["output_spikes"])
    np.testing.assert_array_equal(out["output"], data["roundtrip_output_spikes"])
    assert 0.2 < data["hidden_spikes"].mean() < 0.9  # the comparison is not trivial
    assert_roundtrip(graph)


@pytest.mark.parametrize("compare", [">", ">="])
@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_fixture_reproduced_with_the_common_profile(name, compare):
    """README: dt 1e-4, euler, reset to v_reset in the same step, either comparison."""
    _, hidden, output = FIXTURES[name]
    path, data = _fixture(name)
    graph = _read_quietly(path, "snncompile", compare=compare)
    assert graph.profile.reset_timing == "same_step" and graph.profile.dt == 1e-4
    out = simulate(graph, data["input"], record=[hidden, output])
    np.testing.assert_array_equal(out[hidden], data["hidden_spikes"])
    np.testing.assert_array_equal(out[output], data["output_spikes"])


def test_wrong_dialect_changes_the_result():
    path, data = _fixture("spikingjelly_lif2")
    graph = _read_quietly(path, "norse")  # r = 1 fits Norse, but dt and tau_scale differ
    out = simulate(graph, data["input"], record=["_1"])
    assert not np.array_equal(out["_1"], data["hidden_spikes"])


def test_cross_dialect_files_give_equivalent_ir():
    p_torch, data_torch = _fixture("snntorch_lif2_zero")
    p_jelly, data_jelly = _fixture("spikingjelly_lif2_nodecay")
    a = _read_quietly(p_torch, "snntorch")
    b = _read_quietly(p_jelly, "spikingjelly")
    rename = {"input": "input_1", "0": "_0", "1": "_1", "2": "_2", "3": "_3", "output": "output"}
    assert {(rename[s], rename[d]) for s, d in a.edges} == set(b.edges)
    for name_a, name_b in rename.items():
        node_a, node_b = a.nodes[name_a], b.nodes[name_b]
        assert type(node_a) is type(node_b)
        if isinstance(node_a, nir.Affine):
            np.testing.assert_array_equal(node_a.weight, node_b.weight)
            np.testing.assert_array_equal(node_a.bias, node_b.bias)
        if isinstance(node_a, nir.LIF):
            pa, pb = a.node_profile(name_a), b.node_profile(name_b)
            ka, kb = leak(node_a.tau, pa, np.float64), leak(node_b.tau, pb, np.float64)
            np.testing.assert_allclose(ka.beta, kb.beta, rtol=1e-6)
            np.testing.assert_allclose(
                input_gain(ka.rate, node_a.r, pa, np.float64),
                input_gain(kb.rate, node_b.r, pb, np.float64),
                rtol=1e-6,
            )
            np.testing.assert_allclose(ka.beta, 0.9 if name_a == "1" else 0.8, rtol=1e-6)
            for field in ("v_threshold", "v_reset", "v_leak"):
                np.testing.assert_array_equal(getattr(node_a, field), getattr(node_b, field))
    sim_a = simulate(a, data_torch["input"], record=["1", "3"])
    sim_b = simulate(b, data_jelly["input"], record=["_1", "_3"])
    np.testing.assert_array_equal(sim_a["1"], sim_b["_1"])
    np.testing.assert_array_equal(sim_a["3"], sim_b["_3"])


def test_contradicting_file_warns_with_parameter_expected_actual():
    path, _ = _fixture("spikingjelly_lif2")
    with pytest.warns(ir.DialectWarning) as record:
        ir.read_nir(path, "snntorch")
    message = str(record[0].message)
    assert "snntorch dialect: node '_1' (LIF) parameter 'r' expected 10.0" in message
    assert "(tau/dt), actual 1.0" in message
    assert record[0].filename == __file__  # stacklevel points at the caller
    path, _ = _fixture("snntorch_lif2_zero")
    with pytest.warns(ir.DialectWarning) as record:
        ir.read_nir(path, "norse")
    messages = [str(w.message) for w in record]
    assert (
        len(messages) == 2
        and "norse dialect: node '1' (LIF) parameter 'r' expected 1.0" in messages[0]
    )


def test_snncompile_profile_in_file_contradicting_a_foreign_preset(tmp_path):
    graph = ir.sequential(
        ("in", nir.Input(np.array([2]))),
        ("s", nir.Scale(np.ones(2))),
        ("out", nir.Output(np.array([2]))),
        profile=ir.ExecutionProfile(dt=1e-3),
    )
    path = ir.write_nir(graph, tmp_path / "g.nir")
    with pytest.warns(ir.DialectWarning) as record:
        ir.read_nir(path, "spikingjelly")
    messages = sorted(str(w.message) for w in record)
    assert len(messages) == 2
    assert "field 'compare' = '>' (snncompile metadata) but the preset uses '>='" in messages[0]
    assert "field 'dt' = 0.001 (snncompile metadata) but the preset uses 0.0001" in messages[1]


def _single(node, n, *, batch_dim=False):
    shape = np.array([1, n] if batch_dim else [n])
    return nir.NIRGraph(
        {"input": nir.Input(shape), "n": node, "output": nir.Output(shape)},
        [("input", "n"), ("n", "output")],
        type_check=False,
    )


def test_norse_dialect_rescales_tau_and_keeps_batch_tolerance():
    # Norse writes dt*tau: true tau = 0.01 s at dt = 1e-3 is stored as 1e-5
    one = np.ones(3)
    lif = nir.LIF(tau=1e-5 * one, r=one, v_leak=0 * one, v_threshold=one, v_reset=0 * one)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        graph = ir.from_nir(_single(lif, 3, batch_dim=True), "norse")
    assert graph.profile.tau_scale == 1000.0
    assert tuple(graph.nodes["input"].input_type["input"]) == (3,)  # batch dim dropped
    v = simulate(graph, np.ones((2, 1, 3)), record=["n"])["n:v"][:, 0, 0]
    np.testing.assert_allclose(v, [0.1, 0.19])  # v += dt/tau * (x - v)
    assert_roundtrip(graph)


def test_sinabs_dialect_steps_exact_decay_multispike_subtract():
    one = np.ones(1)
    lif = nir.LIF(tau=10 * one, r=one, v_leak=0 * one, v_threshold=one, v_reset=0 * one)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        graph = ir.from_nir(_single(lif, 1), "sinabs")
    alpha = math.exp(-0.1)
    out = simulate(graph, np.array([2.5, 0.2]).reshape(2, 1, 1), record=["n"])
    np.testing.assert_array_equal(out["output"].ravel(), [2, 0])  # floor(2.5) spikes
    np.testing.assert_allclose(out["n:v"].ravel(), [0.5, alpha * 0.5 + 0.2])


def test_rockpool_and_lava_dl_conventions():
    one = np.ones(2)
    dt = 1e-3
    tau_s, tau_m = 2e-3, 4e-3
    rock = nir.CubaLIF(
        tau_syn=tau_s * one, tau_mem=tau_m * one, r=tau_m * math.exp(-dt / tau_m) / dt * one,
        v_leak=0 * one, v_threshold=10 * one, v_reset=0 * one, w_in=one,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        graph = ir.from_nir(_single(rock, 2), "rockpool")
    out = simulate(graph, np.array([1.0, 0.0]).reshape(2, 1, 1).repeat(2, 2), record=["n"])
    a_s, a_m = math.exp(-dt / tau_s), math.exp(-dt / tau_m)
    np.testing.assert_allclose(out["n:i"][:, 0, 0], [a_s, a_s * a_s])  # i = a_s (i + x)
    np.testing.assert_allclose(out["n:v"][:, 0, 0], [a_s, a_m * a_s + a_s * a_s])
    lava = nir.CubaLIF(
        tau_syn=tau_s * one, tau_mem=tau_m * one, r=4 * one, v_leak=one,
        v_threshold=one, v_reset=0 * one, w_in=one,
    )  # fmt: skip
    with pytest.warns(ir.DialectWarning) as record:
        ir.from_nir(_single(lava, 2), "lava-dl", dt=dt)
    messages = " ".join(str(w.message) for w in record)
    assert "parameter 'v_leak' expected 0.0 (0), actual 1.0" in messages
    with warnings.catch_warnings():  # r = tau_mem/dt holds at dt = 1e-3
        warnings.simplefilter("error")
        lava_ok = nir.CubaLIF(
            tau_syn=tau_s * one, tau_mem=tau_m * one, r=4 * one, v_leak=0 * one,
            v_threshold=one, v_reset=0 * one, w_in=one,
        )  # fmt: skip
        ir.from_nir(_single(lava_ok, 2), "lava-dl", dt=dt)


def test_scalar_parameters_are_broadcast_and_missing_v_reset_is_zero(tmp_path):
    lif = nir.LIF(
        tau=np.array([1e-3]), r=np.array([10.0]), v_leak=np.array([0.0]),
        v_threshold=np.array([1.0]), v_reset=np.array([0.0]),
    )  # fmt: skip
    fc = nir.Affine(np.full((4, 2), 0.3), np.zeros(4))
    graph = nir.NIRGraph(
        {
            "input": nir.Input(np.array([2])),
            "fc": fc,
            "lif": lif,
            "output": nir.Output(np.array([4])),
        },
        [("input", "fc"), ("fc", "lif"), ("lif", "output")],
        type_check=False,
    )
    path = tmp_path / "old.nir"
    nir.write(path, graph)
    with h5py.File(path, "r+") as f:
        del f["node/nodes/lif/v_reset"]  # a pre-1.0.7 file
    imported = _read_quietly(path, "snntorch")
    assert imported.nodes["lif"].tau.shape == (4,)
    np.testing.assert_array_equal(imported.nodes["lif"].v_reset, np.zeros(4))
    assert_roundtrip(imported)
