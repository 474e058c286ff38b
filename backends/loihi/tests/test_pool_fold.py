"""Pooling folded into the next Dense/Conv (snncompile_loihi.pool_fold)."""

from __future__ import annotations

import nir
import numpy as np
import pytest
from snncompile_loihi.chain import extract_chain
from snncompile_loihi.kernels import correlate2d, run_float_layer
from snncompile_loihi.pool_fold import Pool, fold_into_conv, fold_into_dense

from snncompile.errors import UnsupportedNodeError
from snncompile.ir import SoftLIF, sequential
from snncompile.passes.pipeline import run_pipeline
from snncompile.reference import simulate
from snncompile.reference.conv import sum_pool2d

POOLS = [  # (average, kernel, stride, padding, input H×W)
    (True, 2, 2, 0, (8, 8)),
    (False, 3, 2, 1, (7, 9)),  # overlapping windows, padding, odd sizes
    (True, 3, 1, 1, (5, 6)),
    (False, 2, 2, 0, (7, 7)),  # a remainder row/column the pooling drops
]


def _pool(average: bool, k: int, s: int, p: int) -> Pool:
    return Pool((k, k), (s, s), (p, p), 1.0 / (k * k) if average else 1.0)


def _pooled(x: np.ndarray, pool: Pool) -> np.ndarray:
    return sum_pool2d(x, pool.kernel, pool.stride, pool.padding) * pool.scale


@pytest.mark.parametrize(("average", "k", "s", "p", "hw"), POOLS)
def test_dense_fold_equals_pool_then_dense(average, k, s, p, hw):
    rng = np.random.default_rng(0)
    pool = _pool(average, k, s, p)
    x = rng.random((5, 3, *hw))
    y = _pooled(x, pool)
    w = rng.normal(size=(4, y[0].size))
    folded = fold_into_dense(w, pool, x.shape[1:], y.shape[1:])
    assert folded.shape == (4, x[0].size)
    np.testing.assert_allclose(x.reshape(5, -1) @ folded.T, y.reshape(5, -1) @ w.T, atol=1e-12)


@pytest.mark.parametrize(("average", "k", "s", "p", "hw"), POOLS)
@pytest.mark.parametrize(("stride", "dilation", "groups"), [(1, 1, 1), (2, 1, 3), (1, 2, 1)])
def test_conv_fold_equals_pool_then_conv(average, k, s, p, hw, stride, dilation, groups):
    rng = np.random.default_rng(1)
    pool = _pool(average, k, s, p)
    x = rng.random((2, 3, *hw))
    y = _pooled(x, pool)
    w = rng.normal(size=(6, 3 // groups, 2, 2))
    geo = {"stride": [stride] * 2, "padding": [0, 0], "dilation": [dilation] * 2, "groups": groups}
    folded = fold_into_conv(w, geo, pool, x.shape[1:], y.shape[1:])
    assert not isinstance(folded, str)
    w2, geo2 = folded
    np.testing.assert_allclose(correlate2d(x, w2, geo2), correlate2d(y, w, geo), atol=1e-12)


def test_conv_padding_after_pooling():
    rng = np.random.default_rng(2)
    w = rng.normal(size=(2, 2, 3, 3))
    geo = {"stride": [1, 1], "padding": [1, 1], "dilation": [1, 1], "groups": 1}
    exact = _pool(True, 2, 2, 0)  # 8 → 4: padded pooled positions lie outside the input
    x = rng.random((1, 2, 8, 8))
    w2, geo2 = fold_into_conv(w, geo, exact, (2, 8, 8), (2, 4, 4))  # type: ignore[misc]
    np.testing.assert_allclose(
        correlate2d(x, w2, geo2), correlate2d(_pooled(x, exact), w, geo), atol=1e-12
    )
    # 9 → 4 drops row 8, which the folded conv's padding would read: refused.
    why = fold_into_conv(w, geo, exact, (2, 9, 9), (2, 4, 4))
    assert isinstance(why, str) and "padding" in why


def _pooled_net(pool: nir.NIRNode, conv_padding: int) -> tuple[object, np.ndarray]:
    rng = np.random.default_rng(3)
    w = (rng.normal(0.1, 0.5, (3, 2, 3, 3))).astype(np.float32)
    pooled = 4 + 2 * conv_padding - 2
    nodes = [
        ("input", nir.Input(input_type={"input": np.array([2, 9, 9])})),
        (
            "conv0",
            nir.Conv2d(
                (9, 9),
                rng.normal(0.2, 0.5, (2, 2, 1, 1)).astype(np.float32),
                1,
                0,
                1,
                1,
                np.zeros(2, np.float32),
            ),
        ),
        ("lif0", SoftLIF(beta=np.full((2, 9, 9), 0.5), v_threshold=np.full((2, 9, 9), 0.3))),
        ("pool", pool),
        ("conv", nir.Conv2d((4, 4), w, 1, conv_padding, 1, 1, np.zeros(3, np.float32))),
        (
            "lif",
            SoftLIF(
                beta=np.full((3, pooled, pooled), 0.5),
                v_threshold=np.full((3, pooled, pooled), 0.5),
            ),
        ),
        ("output", nir.Output(output_type={"output": np.array([3, pooled, pooled])})),
    ]
    x = (rng.random((5, 3, 2, 9, 9)) < 0.5).astype(np.float64)
    return run_pipeline(sequential(*nodes)), x


def test_chain_with_a_folded_pooling_equals_the_reference_simulator():
    pool = nir.AvgPool2d(
        kernel_size=np.array([3, 3]), stride=np.array([2, 2]), padding=np.array([0, 0])
    )
    graph, x = _pooled_net(pool, conv_padding=0)
    chain = extract_chain(graph)
    assert chain.layers[1].folded == ("pool",) and chain.layers[1].in_shape == (2, 9, 9)
    ref = simulate(graph, x, dtype=np.float64, record="spikes")
    s = x
    for layer in chain.layers:
        s = run_float_layer(layer, s)["out"]
        np.testing.assert_array_equal(s, ref[layer.neuron_node])
    assert ref["lif"].any() and not ref["lif"].all()


def test_unfoldable_pooling_names_the_node():
    pool = nir.SumPool2d(
        kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])
    )
    graph, _ = _pooled_net(pool, conv_padding=1)  # 9 → 4 drops a row the padding would read
    with pytest.raises(UnsupportedNodeError, match=r"'pool'.*cannot fold into 'conv'") as info:
        extract_chain(graph)
    assert "kernel = stride" in (info.value.hint or "")
