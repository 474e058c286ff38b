"""Lava's built-in fixed-point Dense + LIF against the numpy golden model (docs/lava.md §17-§18).

One run, three Dense → LIF branches on one spike source:

- ``mixed``: mixed-sign weights with odd values (LSB truncation), weight_exp −1 (a
  flooring shift of the sum), current and voltage decay, bias with bias_exp;
- ``excit``: excitatory weights (all 8 bits kept), weight_exp +4, strong input: u wraps
  and v saturates;
- ``inhib``: inhibitory weights with num_weight_bits 6, positive bias, negative
  bias_exp (a right shift).
"""

from __future__ import annotations

import numpy as np
import pytest
from lava_testlib import DirectRun
from snncompile_loihi import fixed_neurons as fxn
from snncompile_loihi import fixed_synapses as fxs

pytestmark = pytest.mark.lava

N_IN, N_OUT, T = 10, 6, 30


def _branches(rng: np.random.Generator) -> dict[str, dict[str, object]]:
    mixed = rng.integers(-120, 120, (N_OUT, N_IN))
    mixed[0, :3] = [-3, 1, 7]  # odd values: Lava drops the LSB (toward −inf)
    return {
        "mixed": {"w": mixed, "dense": {"weight_exp": -1},
                  "lif": {"du": 3000, "dv": 400, "vth": 40, "bias_mant": np.arange(N_OUT) * 5,
                          "bias_exp": 2}},
        "excit": {"w": rng.integers(100, 256, (N_OUT, N_IN)), "dense": {"weight_exp": 4},
                  "lif": {"du": 100, "dv": 0, "vth": 131071}},
        "inhib": {"w": -rng.integers(0, 256, (N_OUT, N_IN)),
                  "dense": {"weight_exp": 0, "num_weight_bits": 6},
                  "lif": {"du": 4095, "dv": 2000, "vth": 5, "bias_mant": 900, "bias_exp": -1}},
    }  # fmt: skip


def _golden(
    spikes: np.ndarray, w: np.ndarray, dense: dict[str, int], lif: dict[str, object]
) -> dict[str, np.ndarray]:
    """Dense (one step late) + LIF, the numpy model of docs/lava.md §17.2/§18."""
    w_eff = fxs.effective_weights(w, None, dense.get("num_weight_bits", 8))
    a = np.zeros((T, N_OUT), dtype=np.int64)
    for t in range(1, T):
        a[t] = fxs.dense_accumulate(w_eff, spikes[t - 1], dense.get("weight_exp", 0))
    params = fxn.LoihiLIFParams(**lif)  # type: ignore[arg-type]
    out = fxn.run_neuron(fxn.loihi_lif_step, a, params, fxn.zero_state(fxn.LoihiLIFState, (N_OUT,)))
    return {"spikes": out["spikes"], "u": out["u"], "v": out["v"]}


def test_builtin_lif_and_dense_are_bit_exact():
    rng = np.random.default_rng(3)
    spikes = (rng.random((T, N_IN)) < 0.4).astype(np.int32)
    branches = _branches(rng)
    run = DirectRun(np.ascontiguousarray(spikes.T), "fixed_pt")
    lav = run.lava
    for name, b in branches.items():
        dense = lav.Dense(weights=b["w"].astype(np.int32), **b["dense"])
        lif = lav.LIF(shape=(N_OUT,), **b["lif"])
        run.add(name, lif, lav.PyLifModelBitAcc, ("u", "v"), dense, lav.PyDenseModelBitAcc)
    out = run.run()
    for name, b in branches.items():
        ref = _golden(spikes, b["w"], b["dense"], b["lif"])
        for key in ("spikes", "u", "v"):
            np.testing.assert_array_equal(out[f"{name}/{key}"], ref[key], err_msg=f"{name}/{key}")
    # the run really exercised the corners
    excit = _golden(spikes, branches["excit"]["w"], branches["excit"]["dense"],
                    branches["excit"]["lif"])  # fmt: skip
    assert (np.abs(excit["v"]) == 2**23 - 1).any(), "v never saturated"
    assert (np.diff(excit["u"], axis=0) < 0).any() and excit["u"].min() < 0, "u never wrapped"
    mixed = _golden(spikes, branches["mixed"]["w"], branches["mixed"]["dense"],
                    branches["mixed"]["lif"])  # fmt: skip
    assert mixed["spikes"].sum() > 0
    assert fxs.effective_weights(branches["mixed"]["w"])[0, :3].tolist() == [-4, 0, 6]
