"""Custom Processes (SoftResetLIF, CLIF, ILIF) on Lava against independent references.

Two Lava runs in total: one ``floating_pt`` run with every model in float64 and float32
on the official golden input, one ``fixed_pt`` run with every model on integer inputs
chosen to hit decays, biases, saturation and both ends of the sigmoid table.
"""

from __future__ import annotations

import numpy as np
import pytest
from lava_testlib import DirectRun, fixed_neuron, float_neuron, golden
from snncompile_loihi import fixed_neurons as fxn

pytestmark = pytest.mark.lava

FLOAT = {
    "soft_lif": ("lif", {"beta": 0.5, "theta": 1.0}),
    "clif": ("clif", {"beta": 0.5, "tau": 2.0, "theta": 1.0}),
    "ilif": ("ilif", {"beta": 1 - 1.0 / 1.1, "theta": 1.0, "c": 0.03, "k_m": 1.0}),
}
STATES = {"soft_lif": ("v",), "clif": ("v", "m"), "ilif": ("v", "i_inh", "m_inh")}
GOLDEN_KEYS = {"v": "v_post_reset", "m": "state_m", "i_inh": "state_inhibition",
               "m_inh": "state_inhibitory_memory"}  # fmt: skip


def _classes() -> dict[str, tuple[type, dict[str, type]]]:
    from snncompile_lava import procs

    return {
        "soft_lif": (procs.SoftResetLIF, procs.MODELS),
        "clif": (procs.CLIF, procs.MODELS),
        "ilif": (procs.ILIF, procs.MODELS),
    }


def test_float_models_match_golden_files_and_float32_equations():
    g = {kind: golden(name) for kind, (name, _) in FLOAT.items()}
    x64 = g["soft_lif"]["input_f64"].reshape(8, -1)  # the three files share one input
    assert all(np.array_equal(g[k]["input_f64"].reshape(8, -1), x64) for k in g)
    x32 = g["soft_lif"]["input"].reshape(8, -1).astype(np.float32)
    data = np.concatenate([x64, x32.astype(np.float64)], axis=1).T  # [64 neurons, T]
    run = DirectRun(np.ascontiguousarray(data), "floating_pt")
    for kind, (cls, models) in _classes().items():
        for dtype in ("float64", "float32"):
            params = FLOAT[kind][1] | {"float_dtype": dtype}
            proc = cls(shape=(64,), **params)
            run.add(f"{kind}-{dtype}", proc, models["floating_pt"][cls], STATES[kind])
    ilif_cls, models = _classes()["ilif"]
    k_params = FLOAT["ilif"][1] | {"c": 0.05, "k_m": 0.75}  # the non-default constants
    run.add("ilif-k", ilif_cls(shape=(64,), **k_params), models["floating_pt"][ilif_cls],
            ("v", "m_inh"))  # fmt: skip
    out = run.run()
    eq = float_neuron("ilif", x64, k_params)
    for state in ("spikes", "v", "m_inh"):
        np.testing.assert_array_equal(out[f"ilif-k/{state}"][:, :32], eq[state])
    for kind, (_, params) in FLOAT.items():
        ref = g[kind]
        # float64: the official implementation (golden file) to 1e-12, spikes identical
        got = {k: v[:, :32] for k, v in out.items() if k.startswith(f"{kind}-float64/")}
        np.testing.assert_array_equal(
            got[f"{kind}-float64/spikes"], ref["spikes_f64"].reshape(8, -1)
        )
        for state in STATES[kind]:
            np.testing.assert_allclose(
                got[f"{kind}-float64/{state}"],
                ref[GOLDEN_KEYS[state] + "_f64"].reshape(8, -1),
                atol=1e-12,
                rtol=0,
            )
        # float32: the float32 equations bit for bit, the golden float32 run to 1e-6
        eq = float_neuron(kind, x32, params | {"float_dtype": "float32"})
        got32 = {k: v[:, 32:] for k, v in out.items() if k.startswith(f"{kind}-float32/")}
        for state in ("spikes", *STATES[kind]):
            np.testing.assert_array_equal(
                got32[f"{kind}-float32/{state}"], eq[state].astype(np.float64)
            )
        np.testing.assert_allclose(
            got32[f"{kind}-float32/v"], ref["v_post_reset"].reshape(8, -1), atol=1e-6, rtol=0
        )


def _fixed_params() -> dict[str, dict[str, object]]:
    unit = 4096
    h_mult, h_shift = fxn.sigmoid_input_scale(1 / (unit * 2.0))
    m_mult, m_shift = fxn.sigmoid_input_scale(1 / unit)
    rng = np.random.default_rng(5)
    return {
        "soft_lif": {"dv": 1000, "theta": 5000, "bias": rng.integers(-300, 300, 24)},
        "clif": {"dv": 2048, "theta": unit, "unit": unit, "h_mult": h_mult, "h_shift": h_shift,
                 "bias": rng.integers(-200, 200, 24)},
        "ilif": {"dv": 3724, "theta": unit, "unit": unit, "m_mult": m_mult,
                 "m_shift": m_shift, "c12": 400, "km12": 3000, "bias": 37},
    }  # fmt: skip


def _fixed_inputs(steps: int = 30, n: int = 24) -> np.ndarray:
    """Moderate random inputs plus neurons driven into saturation and table clamps."""
    rng = np.random.default_rng(11)
    a = rng.integers(-40, 120, (steps, n))
    a[:, 0] = 2**20  # X saturates at +2**23 − 1 every step
    a[:, 1] = -(2**20)  # and at −(2**23 − 1)
    a[::3, 2] = 3000  # H/τ far above the table's +8
    a[:, 3] = np.where(np.arange(steps) % 2, 2**17, -(2**17))
    return a


def test_fixed_models_match_the_integer_reference_bit_for_bit():
    a = _fixed_inputs()
    params = _fixed_params()
    states = {"soft_lif": ("v",), "clif": ("v", "m"),
              "ilif": ("v", "i_inh", "m_inh", "x_prev", "s_prev")}  # fmt: skip
    run = DirectRun(np.ascontiguousarray(a.T.astype(np.int32)), "fixed_pt")
    for kind, (cls, models) in _classes().items():
        run.add(kind, cls(shape=(24,), **params[kind]), models["fixed_pt"][cls], states[kind])
    out = run.run()
    for kind in params:
        ref = fixed_neuron(kind, a, params[kind])
        for state in ("spikes", *states[kind]):
            np.testing.assert_array_equal(
                out[f"{kind}/{state}"], ref[state], err_msg=f"{kind}/{state}"
            )
    # the inputs really reached the corners the semantics define
    assert ref["x_prev"][:, 0].max() == 2**23 - 1 and ref["x_prev"][:, 1].min() == -(2**23 - 1)
    clif = fixed_neuron("clif", a, params["clif"])
    assert clif["spikes"].sum() > 10 and (clif["m"] > 4096).any()
    assert fixed_neuron("soft_lif", a, params["soft_lif"])["spikes"].mean() > 0.1


def test_process_lookup_table_matches_the_reference_table():
    from snncompile_lava.procs._arith import SIGMOID_TABLE

    np.testing.assert_array_equal(SIGMOID_TABLE, fxn.sigmoid_lut())


def _cuba_float(x: np.ndarray, p: dict[str, object]) -> dict[str, np.ndarray]:
    """The cuba_lif equations in float64, written from the module docstring, the last
    step's spikes q kept explicitly (the process reads them back from V ≥ θ)."""
    alpha, beta, theta = float(p["alpha"]), np.asarray(p["beta"]), float(p["theta"])
    b, bv, r = np.asarray(p["bias"]), np.asarray(p["bias_v"]), int(p["refractory"])
    n = float(p.get("next_subtract", 0.0))
    u, v, k, q = (np.zeros(x.shape[1]) for _ in range(4))
    out: dict[str, list[np.ndarray]] = {"spikes": [], "u": [], "v": [], "k": []}
    for t in range(x.shape[0]):
        u = alpha * u + (x[t] + b)
        h = np.where(k == 0, beta * v + bv + u - n * q, v)
        s = (h >= theta) & (k == 0)
        v, k = h if n else np.where(s, 0.0, h), np.where(s, r, np.maximum(k - 1, 0))
        q = s * 1.0
        for key, val in (("spikes", s * 1.0), ("u", u), ("v", v), ("k", k)):
            out[key].append(val)
    return {key: np.stack(val) for key, val in out.items()}


def test_cuba_lif_process_matches_the_integer_reference_and_float_equations():
    """cuba_lif (current bias, voltage bias, refractory counter, next-step subtraction)
    in fixed point equals ``fixed_neurons.cuba_lif_step`` bit for bit, saturation
    included, and in float64 its equations; the counter really suppresses spikes for
    ``refractory`` steps, and the next-step subtraction lets a neuron fire again at once."""
    from snncompile_lava import procs

    n, steps, cls = 24, 30, procs.CubaLIF
    rng = np.random.default_rng(21)
    a = _fixed_inputs(steps, n)
    fixed = {
        "refractory": {"du": 819, "dv": rng.integers(0, 4097, n), "theta": 6000,
                       "bias": rng.integers(-300, 300, n), "bias_v": rng.integers(-200, 200, n),
                       "refractory": 2},
        "plain": {"du": 4096, "dv": 410, "theta": 3000, "bias": 40, "bias_v": -25},
        "subtract": {"du": 2048, "dv": rng.integers(0, 800, n), "theta": 2500,
                     "bias": rng.integers(-100, 300, n), "next_subtract": 2400},
    }  # fmt: skip
    run = DirectRun(np.ascontiguousarray(a.T.astype(np.int32)), "fixed_pt")
    for name, p in fixed.items():
        run.add(name, cls(shape=(n,), **p), procs.MODELS["fixed_pt"][cls], ("u", "v", "k"))
    x = rng.normal(0.3, 0.6, (steps, n))
    floats = {"alpha": 0.8, "beta": rng.uniform(0.5, 1.0, n), "theta": 1.0,
              "bias": rng.normal(0.1, 0.1, n), "bias_v": rng.normal(0, 0.05, n),
              "refractory": 3}  # fmt: skip
    subtract = floats | {"refractory": 0, "next_subtract": 0.9}
    frun = DirectRun(np.ascontiguousarray(x.T), "floating_pt")
    frun.add("f", cls(shape=(n,), **floats), procs.MODELS["floating_pt"][cls], ("u", "v", "k"))
    frun.add("g", cls(shape=(n,), **subtract), procs.MODELS["floating_pt"][cls], ("u", "v", "k"))
    out, fout = run.run(), frun.run()
    refs = {
        name: fxn.run_neuron(
            fxn.cuba_lif_step, a, fxn.CubaLIFParams(**p), fxn.zero_state(fxn.CubaLIFState, (n,))
        )
        for name, p in fixed.items()
    }
    for name, ref in refs.items():
        for state in ("spikes", "u", "v", "k"):
            np.testing.assert_array_equal(out[f"{name}/{state}"], ref[state], err_msg=name)
    assert refs["plain"]["u"][:, 0].max() == 2**23 - 1  # the current saturated
    spikes = refs["subtract"]["spikes"]
    assert (spikes[1:] * spikes[:-1]).any()  # fires again at once: V kept H
    for name, params in (("f", floats), ("g", subtract)):
        want = _cuba_float(x, params)
        for state in ("spikes", "u", "v", "k"):
            np.testing.assert_array_equal(fout[f"{name}/{state}"], want[state], err_msg=state)
    g = fout["g/spikes"]
    assert (g[1:] * g[:-1]).any() and (fout["g/v"] > 1.0).any()  # V kept H above θ
    spikes = fout["f/spikes"]
    assert spikes.sum() > 20
    for lag in (1, 2, 3):
        assert not (spikes[lag:] * spikes[:-lag]).any()


def test_hard_lif_process_resets_to_v_reset_as_the_integer_reference():
    """hard_lif with a per-neuron reset value and the leak toward it (bias_v, after the
    charge): fixed point equals ``fixed_neurons.hard_lif_step`` bit for bit, saturation
    included; float64 equals H = (β·V + X) + b_v, V = v_r after a spike."""
    from snncompile_lava import procs

    n, steps, cls = 24, 30, procs.HardResetLIF
    rng = np.random.default_rng(8)
    a = _fixed_inputs(steps, n)
    fixed = {"dv": rng.integers(0, 4097, n), "theta": 5000,
             "bias": rng.integers(-200, 200, n), "v_reset": rng.integers(-3000, 3000, n),
             "bias_v": rng.integers(-100, 100, n)}  # fmt: skip
    run = DirectRun(np.ascontiguousarray(a.T.astype(np.int32)), "fixed_pt")
    run.add("h", cls(shape=(n,), **fixed), procs.MODELS["fixed_pt"][cls], ("v",))
    x = rng.normal(0.4, 0.6, (steps, n))
    floats = {"beta": rng.uniform(0.5, 1.0, n), "theta": 1.0, "bias": rng.normal(0, 0.1, n),
              "v_reset": rng.uniform(-0.5, 0.5, n), "bias_v": rng.normal(0, 0.05, n)}  # fmt: skip
    frun = DirectRun(np.ascontiguousarray(x.T), "floating_pt")
    frun.add("f", cls(shape=(n,), **floats), procs.MODELS["floating_pt"][cls], ("v",))
    out, fout = run.run(), frun.run()
    ref = fxn.run_neuron(
        fxn.hard_lif_step, a, fxn.HardLIFParams(**fixed), fxn.zero_state(fxn.SoftLIFState, (n,))
    )
    for state in ("spikes", "v"):
        np.testing.assert_array_equal(out[f"h/{state}"], ref[state], err_msg=state)
    fired = ref["spikes"] > 0
    assert fired.sum() > 10 and ref["h"][:, 0].max() == 2**23 - 1
    v_reset = np.broadcast_to(fixed["v_reset"], a.shape)
    np.testing.assert_array_equal(ref["v"][fired], v_reset[fired])
    v, spikes, vs = np.zeros(n), [], []
    for t in range(steps):
        h = (floats["beta"] * v + (x[t] + floats["bias"])) + floats["bias_v"]
        s = h >= floats["theta"]
        v = np.where(s, floats["v_reset"], h)
        spikes.append(s * 1.0)
        vs.append(v)
    np.testing.assert_array_equal(fout["f/spikes"], np.stack(spikes))
    np.testing.assert_array_equal(fout["f/v"], np.stack(vs))
    assert np.stack(spikes).sum() > 10
