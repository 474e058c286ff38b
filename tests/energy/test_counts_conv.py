"""Hand-computed conv counts (stride, padding, zero taps) and a brute-force property check.

Conv2d, 1 → 1 channel, kernel w = [[1, 0], [2, 3]] (tap (0, 1) is zero), stride 2,
padding 1, input 3×3 → output 2×2 ((3 + 2 − 2) // 2 + 1 = 2). Output (i, j) reads input
rows 2i−1..2i and columns 2j−1..2j; each input position is read through exactly one tap::

    input pos : (0,0) (0,1) (0,2) (1,0) (1,1) (1,2) (2,0) (2,1) (2,2)
    tap       : (1,1) (1,0) (1,1) (0,1) (0,0) (0,1) (1,1) (1,0) (1,1)
    fan-out F :   1     1     1     0     1     0     1     1     1      ΣF = 7

All-ones fan-out: 1 everywhere, so NeuroBench's Dense = 9 per step, while the papers'
k²·H_out·W_out·C_in·C_out = 4·4 = 16 also counts the 7 padded taps.

Spikes (T = 3): all ones → 7 ACs; only (1,0) and (1,2) → 0 ACs (they reach only the zero
tap); (0,0) and (2,2) → 2 ACs. Effective_ACs = 9, Dense = 27.
"""

from __future__ import annotations

import numpy as np
import pytest

from snncompile.energy import ActivityRecord, ConvSpec, PoolSpec, count_activity
from snncompile.energy.fanout import conv_fanout

W = np.array([[[[1.0, 0.0], [2.0, 3.0]]]])


def _spikes() -> np.ndarray:
    x = np.zeros((3, 1, 1, 3, 3))
    x[0] = 1
    x[1, 0, 0, 1, 0] = x[1, 0, 0, 1, 2] = 1
    x[2, 0, 0, 0, 0] = x[2, 0, 0, 2, 2] = 1
    return x


def test_fanout_map_by_hand():
    fan = conv_fanout(W, (1, 3, 3), stride=2, padding=1)
    assert fan.tolist() == [[[1, 1, 1], [0, 1, 0], [1, 1, 1]]]
    assert conv_fanout(W, (1, 3, 3), stride=2, padding=1, all_ones=True).sum() == 9


def test_conv_counts_by_hand():
    record = ActivityRecord()
    record.add("conv", ConvSpec(W, stride=2, padding=1), inputs=_spikes())
    conv = count_activity(record).layer("conv")
    assert conv.per_sample("Effective_ACs") == 9
    assert conv.per_sample("Dense") == 27
    assert conv.static["connections"] == 7
    assert conv.static["paper_flops_per_step"] == 16
    # rate × dense convention: 16 · (13 non-zero inputs / 9 inputs) ≈ 23.1, not 9
    assert conv.per_sample("RateDense_Ops") == pytest.approx(16 * 13 / 9)


def test_sum_pool_counts_each_event_once_per_window():
    # 2×2 sum pool, stride 2, on 1×4×4: every input is in exactly one window.
    x = np.zeros((1, 1, 1, 4, 4))
    x[0, 0, 0, :2, :2] = 1
    record = ActivityRecord()
    record.add("pool", PoolSpec(2), inputs=x)
    pool = count_activity(record).layer("pool")
    assert pool.per_sample("Effective_ACs") == 4
    assert pool.per_sample("WeightReads") == 0
    assert pool.per_sample("Dense") == 16


def _brute(w, x, stride, pad, dil, groups):
    """Σ of the binarised conv output, by explicit loops (NeuroBench's definition)."""
    wb, xb = (w != 0).astype(int), (x != 0).astype(int)
    c_out, c_in_g, kh, kw = w.shape
    xp = np.pad(xb, ((0, 0), pad[0], pad[1]))
    ho = (xp.shape[1] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (xp.shape[2] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    total = 0
    for co in range(c_out):
        g = co // (c_out // groups)
        for i in range(ho):
            for j in range(wo):
                patch = xp[
                    g * c_in_g : (g + 1) * c_in_g,
                    i * stride[0] : i * stride[0] + dil[0] * (kh - 1) + 1 : dil[0],
                    j * stride[1] : j * stride[1] + dil[1] * (kw - 1) + 1 : dil[1],
                ]
                total += int((patch * wb[co]).sum())
    return total


@pytest.mark.parametrize("seed", range(12))
def test_conv_fanout_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    groups = int(rng.choice([1, 2]))
    kh, kw = (int(k) for k in rng.integers(1, 4, 2))
    w = rng.normal(size=(2 * groups, 2, kh, kw)) * (rng.random((2 * groups, 2, kh, kw)) > 0.4)
    x = (rng.random((2 * groups, 7, 6)) > 0.5).astype(float)
    stride = tuple(int(s) for s in rng.integers(1, 3, 2))
    pad = [(int(a), int(b)) for a, b in rng.integers(0, 3, (2, 2))]
    dil = tuple(int(d) for d in rng.integers(1, 3, 2))
    fan = conv_fanout(w, x.shape, stride=stride, padding=pad, dilation=dil, groups=groups)
    assert int((fan * (x != 0)).sum()) == _brute(w, x, stride, pad, dil, groups)


def test_same_padding_and_conv1d():
    w = np.ones((1, 1, 3))
    # "same", stride 1, length 5: the edge inputs reach 2 outputs, the inner ones 3.
    assert conv_fanout(w, (1, 5), padding="same").tolist() == [[2, 3, 3, 3, 2]]
    assert conv_fanout(w, (1, 5), padding="valid").tolist() == [[1, 2, 3, 2, 1]]
