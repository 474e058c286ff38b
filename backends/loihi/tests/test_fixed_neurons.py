"""The integer references of snncompile.quant: hand-computed steps, tables, weight rules."""

from __future__ import annotations

import numpy as np
import pytest
from snncompile_loihi import fixed_neurons as fxn
from snncompile_loihi import fixed_synapses as fxs

from snncompile.errors import QuantizationError
from tests.conftest import load_golden


def test_decay_truncates_toward_zero_and_saturation_is_symmetric():
    assert fxn.decay([5, -5, 7, -7], 2048).tolist() == [2, -2, 3, -3]
    assert fxn.decay([4096], 0).tolist() == [4096]  # dv = 0: no leak
    assert fxn.decay([4096], 4096).tolist() == [0]  # dv = 4096: β = 0
    assert fxn.sat24([2**30, -(2**30)]).tolist() == [2**23 - 1, -(2**23 - 1)]
    assert fxn.trunc_shift([-1, -4096, -4097], 12).tolist() == [0, -1, -1]


def test_sigmoid_table_range_symmetry_and_clamp():
    lut = fxn.sigmoid_lut()
    assert lut.shape == (4097,) and lut[0] == 1 and lut[-1] == 4095 and lut[2048] == 2048
    assert np.all(np.diff(lut) >= 0)
    assert np.array_equal(lut + lut[::-1], np.full(4097, 4096))  # σ(z) + σ(−z) = 1
    assert fxn.sigmoid_q12([-(10**6), -2048, 256, 2048, 10**6]).tolist() == [
        1,
        1,
        round(4096 / (1 + np.exp(-1.0))),
        4095,
        4095,
    ]


def test_sigmoid_input_scale_and_rescale_floor():
    mult, shift = fxn.sigmoid_input_scale(1 / (4096 * 2.0))
    assert (mult, shift) == (2**19, 24)
    assert fxn.rescale([8192, -1], mult, shift).tolist() == [256, -1]  # floor, not trunc
    with pytest.raises(QuantizationError, match="mult"):
        fxn.sigmoid_input_scale(1e6)


def test_soft_lif_step_by_hand():
    p = fxn.SoftLIFParams(dv=1024, theta=300, bias=[0, 10])
    state = fxn.zero_state(fxn.SoftLIFState, (2,))
    s, state = fxn.soft_lif_step([5, 1], state, p)  # X = 320, 74
    assert s.tolist() == [1, 0] and state.v.tolist() == [20, 74] and state.h.tolist() == [320, 74]
    s, state = fxn.soft_lif_step([-1, 4], state, p)  # H = 15 − 64, 55 + 266
    assert s.tolist() == [0, 1] and state.v.tolist() == [-49, 21]


def test_clif_step_by_hand():
    unit = 4096
    mult, shift = fxn.sigmoid_input_scale(1 / (unit * 2.0))
    p = fxn.CLIFFixedParams(dv=2048, theta=unit, unit=unit, h_mult=mult, h_shift=shift)
    state = fxn.zero_state(fxn.CLIFFixedState, (1,))
    s, state = fxn.clif_step([80], state, p)  # X = H = 5120 ≥ 4096
    lut = fxn.sigmoid_lut()
    assert s.tolist() == [1] and state.m.tolist() == [4096]  # m′ = 0·σ, + 1.0
    extra = (lut[2048 + 256] * unit) >> 12  # σ(m = 1.0) in state units
    assert state.v.tolist() == [5120 - 4096 - extra]
    s, state = fxn.clif_step([0], state, p)
    h = fxn.decay(5120 - 4096 - extra, 2048)[()]
    z = (h * mult) >> shift
    assert s.tolist() == [0] and state.m.tolist() == [(4096 * lut[2048 + z]) >> 12]


def test_ilif_step_by_hand():
    unit = 4096
    mult, shift = fxn.sigmoid_input_scale(1 / unit)
    p = fxn.ILIFFixedParams(dv=4096, theta=unit, unit=unit, m_mult=mult, m_shift=shift)
    state = fxn.zero_state(fxn.ILIFFixedState, (1,))
    s, state = fxn.ilif_step([100], state, p)  # X = 6400, no inhibition yet
    v_soft = 6400 - 4096
    lut = fxn.sigmoid_lut()
    sig = lut[2048 + ((v_soft * mult) >> shift)]
    assert s.tolist() == [1] and state.m.tolist() == [v_soft] and state.i.tolist() == [0]
    assert state.v.tolist() == [v_soft - ((sig * unit) >> 12)]
    s, state = fxn.ilif_step([0], state, p)  # I = trunc0(123·6400/4096) = 192
    assert state.i.tolist() == [192] and state.h.tolist() == [-192] and s.tolist() == [0]


def test_loihi_lif_reproduces_lava_wrap_and_threshold():
    p = fxn.LoihiLIFParams(du=4095, dv=0, vth=1, bias_mant=3, bias_exp=2)
    state = fxn.zero_state(fxn.LoihiLIFState, (3,))
    s, state = fxn.loihi_lif_step([1, 0, 2**17 + 1], state, p)
    assert state.u.tolist() == [64, 0, 64 - 2**23]  # 2**23 + 64 wraps to −2**23 + 64
    assert state.v.tolist() == [0, 12, 64 - 2**23 + 12] and s.tolist() == [1, 0, 0]  # 76 > 64
    s, _ = fxn.loihi_lif_step([0, 0, 2**17], fxn.zero_state(fxn.LoihiLIFState, (3,)), p)
    assert _.u.tolist()[2] == 2**23  # Lava lets exactly +2**23 through


@pytest.mark.parametrize("bad", [{"dv": 5000}, {"theta": 0}, {"theta": 1.5}, {"bias": 2**24}])
def test_parameter_ranges_raise_with_hint(bad):
    args = {"dv": 100, "theta": 10} | bad
    with pytest.raises(QuantizationError) as info:
        fxn.SoftLIFParams(**args)
    assert info.value.hint


@pytest.mark.parametrize(
    ("name", "step", "params"),
    [("lif", "soft_lif", {}), ("clif", "clif", {"tau": 2.0}), ("ilif", "ilif", {"tau": 1.1})],
)
def test_fine_fixed_point_tracks_the_official_float_model(name, step, params):
    """With 2**16 state units per 1.0 the integer models follow the golden float runs."""
    g = load_golden(name)
    x = g["input_f64"].reshape(8, -1)
    unit = 2**16
    a = np.round(x * unit / 64).astype(np.int64)
    beta = 1 - 1 / params.get("tau", 2.0)
    dv = round((1 - beta) * 4096)
    if step == "soft_lif":
        p, fn, st = fxn.SoftLIFParams(dv, unit), fxn.soft_lif_step, fxn.SoftLIFState
    elif step == "clif":
        mult, shift = fxn.sigmoid_input_scale(1 / (unit * params["tau"]))
        p = fxn.CLIFFixedParams(dv, unit, unit, mult, shift)
        fn, st = fxn.clif_step, fxn.CLIFFixedState
    else:
        mult, shift = fxn.sigmoid_input_scale(1 / unit)
        p = fxn.ILIFFixedParams(dv, unit, unit, mult, shift)
        fn, st = fxn.ilif_step, fxn.ILIFFixedState
    out = fxn.run_neuron(fn, a, p, fxn.zero_state(st, (32,)))
    assert np.array_equal(out["spikes"], g["spikes_f64"].reshape(8, -1))
    np.testing.assert_allclose(out["v"] / unit, g["v_post_reset_f64"].reshape(8, -1), atol=3e-3)


def test_effective_weights_follow_lava_sign_modes():
    mixed = np.array([[-3, -2, 1, 3, 255, -256, 300]])
    assert fxs.effective_weights(mixed).tolist() == [[-4, -2, 0, 2, 254, -256, 254]]
    assert fxs.effective_weights([[0, 1, 255, 999]]).tolist() == [[0, 1, 255, 255]]
    assert fxs.effective_weights([[0, -1, -255, -999]]).tolist() == [[0, -1, -255, -255]]
    assert fxs.effective_weights([[7, 8, 15]], num_weight_bits=5).tolist() == [[0, 8, 8]]
    assert fxs.infer_sign_mode([[0, -1]]) == "inhibitory"
    assert fxs.dense_accumulate([[3, -5]], [1, 1], -1).tolist() == [-1]  # floor(−2/2)
    assert fxs.dense_accumulate([[3, 5]], [1, 1], 2).tolist() == [32]
    assert fxs.wrap24([2**23, -(2**23) - 1]).tolist() == [-(2**23), 2**23 - 1]
    with pytest.raises(QuantizationError, match="weight_exp"):
        fxs.conv_weights_for_lava(np.ones((1, 1, 1, 1)), weight_exp=-1)


_LIM = 2**23 - 1


def _sat(z: int) -> int:
    """Saturation to ±(2²³ − 1), in Python ints (an independent scalar reference)."""
    return max(-_LIM, min(_LIM, z))


def _dec(z: int, d: int) -> int:
    """trunc0(z·(4096 − d)/4096) in Python ints."""
    m = abs(z) * (4096 - d) // 4096
    return m if z >= 0 else -m


def test_cuba_lif_step_by_hand_and_against_a_scalar_loop():
    """u = sat24(decay(u, du) + X), H = sat24(decay(V, dv) + u + bias_v) or V while
    refractory; by hand, then against an independent per-neuron loop in Python ints."""
    p = fxn.CubaLIFParams(du=1024, dv=2048, theta=500, bias=[0, 64], bias_v=[10, -10],
                          refractory=1)  # fmt: skip
    st = fxn.zero_state(fxn.CubaLIFState, (2,))
    s, st = fxn.cuba_lif_step([5, 1], st, p)  # u = 320, 128; H = 330, 118
    assert s.tolist() == [0, 0] and st.u.tolist() == [320, 128] and st.h.tolist() == [330, 118]
    s, st = fxn.cuba_lif_step([2, 0], st, p)  # u = 240 + 128, 96 + 64; H = 165 + 368 + 10
    assert s.tolist() == [1, 0] and st.h.tolist() == [543, 59 + 160 - 10]
    assert st.v.tolist() == [0, 209] and st.k.tolist() == [1, 0]
    s, st = fxn.cuba_lif_step([100, 0], st, p)  # neuron 0 holds V = 0 while u grows
    assert s.tolist() == [0, 0] and st.v[0] == 0 and st.u[0] == 276 + 6400 and st.k[0] == 0

    rng = np.random.default_rng(4)
    n, steps = 6, 40
    a = rng.integers(-50, 150, (steps, n))
    a[:, 0] = 2**20  # saturation
    du, dv, theta, r = 700, rng.integers(0, 4097, n), 4000, 3
    bias, bias_v = rng.integers(-100, 100, n), rng.integers(-100, 100, n)
    out = fxn.run_neuron(
        fxn.cuba_lif_step,
        a,
        fxn.CubaLIFParams(du=du, dv=dv, theta=theta, bias=bias, bias_v=bias_v, refractory=r),
        fxn.zero_state(fxn.CubaLIFState, (n,)),
    )

    for i in range(n):
        u = v = k = 0
        for t in range(steps):
            u = _sat(_dec(u, du) + _sat(int(a[t, i]) * 64 + int(bias[i])))
            h = v if k else _sat(_dec(v, int(dv[i])) + u + int(bias_v[i]))
            spike = not k and h >= theta
            v, k = (0, r) if spike else (h, max(k - 1, 0))
            assert (out["spikes"][t, i], out["u"][t, i], out["v"][t, i], out["k"][t, i]) == (
                spike, u, v, k), (t, i)  # fmt: skip
    assert out["spikes"].sum() > 10 and out["u"][:, 0].max() == _LIM


def test_cuba_lif_next_step_subtract_by_hand_and_against_a_scalar_loop():
    """next_subtract n > 0: V keeps H at a spike and the next charge subtracts n (the
    last step's spike read back as V ≥ θ); by hand, then against a loop that keeps the
    spike explicitly. A refractory period with it is refused."""
    p = fxn.CubaLIFParams(du=4096, dv=0, theta=500, next_subtract=450)
    st = fxn.zero_state(fxn.CubaLIFState, (1,))
    s, st = fxn.cuba_lif_step([10], st, p)  # H = 640 ≥ 500: a spike, V keeps 640
    assert (s[0], st.v[0]) == (1, 640)
    s, st = fxn.cuba_lif_step([0], st, p)  # H = 640 − 450 = 190
    assert (s[0], st.v[0]) == (0, 190)
    s, st = fxn.cuba_lif_step([5], st, p)  # H = 190 + 320 = 510: no subtraction pending
    assert (s[0], st.v[0]) == (1, 510)
    with pytest.raises(QuantizationError, match="refractory"):
        fxn.CubaLIFParams(du=4096, dv=0, theta=500, refractory=1, next_subtract=450)

    rng = np.random.default_rng(9)
    n, steps, theta, sub = 5, 50, 3000, 2900
    a = rng.integers(-20, 120, (steps, n))
    a[:, 0] = 2**20  # saturation
    dv, bias = rng.integers(0, 1000, n), rng.integers(-100, 100, n)
    out = fxn.run_neuron(
        fxn.cuba_lif_step,
        a,
        fxn.CubaLIFParams(du=1500, dv=dv, theta=theta, bias=bias, next_subtract=sub),
        fxn.zero_state(fxn.CubaLIFState, (n,)),
    )

    for i in range(n):
        u = v = q = 0
        for t in range(steps):
            u = _sat(_dec(u, 1500) + _sat(int(a[t, i]) * 64 + int(bias[i])))
            v = _sat(_dec(v, int(dv[i])) + u - sub * q)
            q = int(v >= theta)
            assert (out["spikes"][t, i], out["u"][t, i], out["v"][t, i]) == (q, u, v), (t, i)
    assert out["spikes"].sum() > 10 and out["v"][:, 0].max() == _LIM
    assert (out["spikes"][1:] * out["spikes"][:-1]).any()


def test_hard_lif_step_resets_to_v_reset_by_hand():
    """H = sat24(decay(V) + X + bias_v); V = v_reset where H ≥ θ; v_reset and bias_v are
    range-checked."""
    p = fxn.HardLIFParams(dv=2048, theta=500, bias=[0, 0], v_reset=[-100, 50], bias_v=[10, -10])
    st = fxn.zero_state(fxn.SoftLIFState, (2,))
    s, st = fxn.hard_lif_step([8, 2], st, p)  # H = 512 + 10, 128 − 10
    assert s.tolist() == [1, 0] and st.h.tolist() == [522, 118] and st.v.tolist() == [-100, 118]
    s, st = fxn.hard_lif_step([8, 8], st, p)  # H = −50 + 512 + 10, 59 + 512 − 10
    assert s.tolist() == [0, 1] and st.v.tolist() == [472, 50]
    with pytest.raises(QuantizationError, match="v_reset"):
        fxn.HardLIFParams(dv=0, theta=1, v_reset=2**23)
