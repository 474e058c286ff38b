"""Network specs: validation, save/load, and in-process Lava runs against numpy.

The Lava runs cover conv (OIHW → Lava kernel flip and CHW ↔ WHC), dense after conv
(column permutation through a flattened port), the built-in LIF with a bias behind two
delays (the LIFReset alignment), graded input into a sparse connection, an identity
connection, and custom neurons gated by ``start_step``.
"""

from __future__ import annotations

import json
import os
import time
import warnings

import numpy as np
import pytest
from lava_testlib import cmdline, descendants, simulate_spec
from snncompile_lava.errors import LavaRunError
from snncompile_lava.network import run
from snncompile_lava.spec import FORMAT, load_spec, plan_network, save_spec
from snncompile_loihi import fixed_neurons as fxn

from snncompile.errors import ConfigError, InputError, QuantizationError


def _layer(name, conn, neuron, record=("spikes",)):
    return {"name": name, "connection": conn, "neuron": neuron, "record": list(record)}


def _dense_spec(w=None):
    w = np.array([[2, -4, 6], [8, 10, -12]]) if w is None else w
    return {
        "format": FORMAT,
        "version": 1,
        "input": {"shape": [3], "graded": False},
        "layers": [
            _layer("fc", {"type": "dense", "fixed_pt": {"weights": w},
                          "floating_pt": {"weights": w / 64.0}},
                   {"type": "soft_lif", "fixed_pt": {"dv": 100, "theta": 900},
                    "floating_pt": {"beta": 0.9, "theta": 1.0}}, ("spikes", "v")),
        ],
    }  # fmt: skip


# ------------------------------------------------------------------ validation


def test_plan_computes_shapes_and_depths():
    plan = plan_network(_conv_spec(), ("fixed_pt",))
    assert [lay.shape for lay in plan.layers] == [(4, 4, 4), (5,)]
    assert [lay.depth for lay in plan.layers] == [1, 2] and plan.delay == 2


@pytest.mark.parametrize(
    ("mutate", "error", "match"),
    [
        (lambda s: s["layers"][0]["neuron"].update(type="hh"), ConfigError, "neuron type"),
        (lambda s: s["layers"][0]["neuron"]["fixed_pt"].pop("theta"), ConfigError, "missing"),
        (lambda s: s["layers"][0]["neuron"]["fixed_pt"].update(dvv=1), ConfigError, "unknown"),
        (lambda s: s["layers"][0]["neuron"]["fixed_pt"].update(dv=5000), QuantizationError, "dv"),
        (lambda s: s["input"].update(shape=[4]), ConfigError, "do not take 4 inputs"),
        (lambda s: s["layers"][0]["connection"]["fixed_pt"].update(weights=np.full((2, 3), 300)),
         QuantizationError, "8-bit"),
        (lambda s: s["layers"][0]["connection"]["fixed_pt"].update(sign_mode="both"),
         ConfigError, "sign_mode"),
        (lambda s: s["layers"][0].update(record=["m"]), ConfigError, "can record"),
        (lambda s: s.update(version=2), ConfigError, "version"),
    ],
)  # fmt: skip
def test_bad_specs_are_refused_with_hints(mutate, error, match):
    spec = _dense_spec()
    mutate(spec)
    with pytest.raises(error, match=match) as info:
        plan_network(spec)
    assert info.value.hint


def test_odd_mixed_sign_weights_warn_and_negative_conv_exponent_is_refused():
    with pytest.warns(UserWarning, match="drops their LSB"):
        plan_network(_dense_spec(np.array([[3, -4, 6], [8, 10, -12]])))
    spec = _conv_spec()
    spec["layers"][0]["connection"]["fixed_pt"]["weight_exp"] = -1
    with pytest.raises(QuantizationError, match="conv weight_exp"):
        plan_network(spec, ("fixed_pt",))


def test_run_refuses_bad_inputs_before_starting_lava():
    spec = _dense_spec()
    with pytest.raises(InputError, match="expected"):
        run(spec, np.zeros((5, 4)))
    with pytest.raises(InputError, match="binary"):
        run(spec, np.full((5, 3), 2))
    with pytest.raises(ConfigError, match="tag"):
        run(spec, np.zeros((5, 3)), tag="bit_accurate")


def test_save_and_load_round_trip(tmp_path):
    spec = _conv_spec()
    save_spec(spec, tmp_path)
    doc = json.loads((tmp_path / "spec.json").read_text())
    assert doc["layers"][0]["connection"]["fixed_pt"]["weights"] == {
        "$array": "layers.0.connection.fixed_pt.weights"
    }
    back = load_spec(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plan_network(back)
    for tag in ("fixed_pt", "floating_pt"):
        np.testing.assert_array_equal(
            back["layers"][0]["connection"][tag]["weights"],
            spec["layers"][0]["connection"][tag]["weights"],
        )
    assert back["layers"][0]["connection"]["stride"] == [2, 1]
    with pytest.raises(ConfigError, match="cannot read"):
        load_spec(tmp_path / "missing")


# ------------------------------------------------------------------- Lava runs


def _conv_spec():
    rng = np.random.default_rng(7)
    wc = rng.integers(-40, 60, (4, 1, 3, 3)) * 2  # groups=2: 1 input channel per group
    wd = rng.integers(-30, 50, (5, 64)) * 2
    bias_c = rng.integers(-100, 200, (4, 4, 4))
    return {
        "format": FORMAT,
        "version": 1,
        "input": {"shape": [2, 7, 6]},
        "layers": [
            _layer("conv", {"type": "conv", "stride": [2, 1], "padding": 1, "dilation": [1, 2],
                            "groups": 2,
                            "fixed_pt": {"weights": wc, "weight_exp": 1},
                            "floating_pt": {"weights": wc / 32.0}},
                   {"type": "soft_lif",
                    "fixed_pt": {"dv": 500, "theta": 3000, "bias": bias_c},
                    "floating_pt": {"beta": 0.875, "theta": 1.5, "bias": bias_c / 2048.0}},
                   ("spikes", "v")),
            _layer("fc", {"type": "dense", "fixed_pt": {"weights": wd},
                          "floating_pt": {"weights": wd / 64.0}},
                   {"type": "lif_builtin",
                    "fixed_pt": {"du": 4095, "dv": 256, "vth": 20, "bias_mant": 40,
                                 "bias_exp": 3},
                    "floating_pt": {"du": 1.0, "dv": 0.0625, "vth": 0.3, "bias_mant": 0.05}},
                   ("spikes", "v", "u")),
        ],
    }  # fmt: skip


@pytest.mark.lava
@pytest.mark.parametrize("tag", ["fixed_pt", "floating_pt"])
def test_conv_then_dense_matches_numpy(tag):
    spec = _conv_spec()
    x = (np.random.default_rng(1).random((14, 2, 7, 6)) < 0.35).astype(np.uint8)
    got = run(spec, x, tag=tag)
    ref = simulate_spec(spec, x, tag)
    assert sorted(got) == sorted(ref)
    for key in ref:
        np.testing.assert_array_equal(got[key], ref[key].astype(got[key].dtype), err_msg=key)
    assert got["conv/spikes"].shape == (14, 4, 4, 4)
    assert 0 < got["conv/spikes"].mean() < 1 and got["fc/spikes"].sum() > 0


@pytest.mark.lava
def test_graded_sparse_identity_chain_matches_the_integer_reference():
    rng = np.random.default_rng(2)
    ws = rng.integers(-50, 90, (6, 12)) * 2
    ws[rng.random(ws.shape) < 0.5] = 0  # a sparse matrix
    unit = 4096
    h_mult, h_shift = fxn.sigmoid_input_scale(1 / (unit * 2.0))
    m_mult, m_shift = fxn.sigmoid_input_scale(1 / unit)
    spec = {
        "format": FORMAT,
        "version": 1,
        "input": {"shape": [12], "graded": True},
        "layers": [
            _layer("clif", {"type": "sparse", "fixed_pt": {"weights": ws, "weight_exp": -2}},
                   {"type": "clif", "fixed_pt": {"dv": 2048, "theta": unit, "unit": unit,
                                                 "h_mult": h_mult, "h_shift": h_shift,
                                                 "bias": 150}},
                   ("spikes", "v", "m")),
            _layer("ilif", {"type": "identity"},
                   {"type": "ilif", "fixed_pt": {"dv": 3724, "theta": 100, "unit": 128,
                                                 "m_mult": m_mult * 32, "m_shift": m_shift,
                                                 "bias": 70}},
                   ("spikes", "v", "m_inh", "i_inh")),
        ],
    }  # fmt: skip
    x = rng.integers(-3, 8, (16, 12))
    got = run(spec, x, tag="fixed_pt")
    ref = simulate_spec(spec, x, "fixed_pt")
    for key in ref:
        np.testing.assert_array_equal(got[key], ref[key], err_msg=key)
    assert got["clif/spikes"].sum() > 0 and got["ilif/spikes"].sum() > 0


@pytest.mark.lava
def test_a_failing_model_raises_its_traceback_and_leaves_nothing_behind(monkeypatch):
    from snncompile_lava.procs import soft_lif

    def boom(self):
        self.a_in.recv()
        raise ValueError("boom in run_spk")

    monkeypatch.setattr(soft_lif.PySoftResetLIFModelFixed, "run_spk", boom)
    before = set(descendants(os.getpid()))
    shm_before = set(os.listdir("/dev/shm"))
    with pytest.raises(LavaRunError, match="boom in run_spk") as info:
        run(_dense_spec(), np.zeros((5, 3)), tag="fixed_pt")
    assert "--- from a Lava process ---" in str(info.value)
    deadline = time.monotonic() + 5
    while True:  # the resource tracker is this process's own, started on first use
        extra = [p for p in descendants(os.getpid())
                 if p not in before and "resource_tracker" not in cmdline(p)]  # fmt: skip
        if not extra or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not extra
    if "PYTEST_XDIST_WORKER" not in os.environ:  # /dev/shm is shared with parallel tests
        assert set(os.listdir("/dev/shm")) <= shm_before


@pytest.mark.lava
def test_in_process_timeout_stops_the_run():
    x = np.zeros((100_000, 3), dtype=np.uint8)  # ~100 s of Lava
    start = time.monotonic()
    with pytest.raises(LavaRunError, match="exceeded its 2 s timeout"):
        run(_dense_spec(), x, tag="fixed_pt", timeout=2)
    assert time.monotonic() - start < 30
