"""Stateless layers against naive loops, and the simulator's input/record/observer API."""

from __future__ import annotations

import itertools

import nir
import numpy as np
import pytest

from snncompile import ir
from snncompile.errors import ConfigError, InputError
from snncompile.ir.shapes import conv_geometry, conv_pads
from snncompile.ir.testing import assert_roundtrip
from snncompile.reference import simulate
from tests.roundtrip.graph_zoo import ZOO, random_inputs


def _naive_conv(x, w, b, stride, pads, dilation, groups):
    """Direct-loop cross-correlation, [B, C, *S] (1-D or 2-D)."""
    nd = w.ndim - 2
    x = np.pad(x, [(0, 0), (0, 0), *pads])
    c_out, c_in_g = w.shape[:2]
    kernel = w.shape[2:]
    out_size = [
        (x.shape[2 + i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(nd)
    ]
    y = np.zeros((x.shape[0], c_out, *out_size))
    for o in range(c_out):
        g = o // (c_out // groups)
        for pos in itertools.product(*[range(n) for n in out_size]):
            acc = np.full(x.shape[0], b[o])
            for c in range(c_in_g):
                for k in itertools.product(*[range(n) for n in kernel]):
                    idx = tuple(pos[i] * stride[i] + k[i] * dilation[i] for i in range(nd))
                    acc = acc + w[(o, c, *k)] * x[(slice(None), g * c_in_g + c, *idx)]
            y[(slice(None), o, *pos)] = acc
    return y


def _single(node, in_shape, out_shape):
    return ir.sequential(
        ("in", nir.Input(np.array(in_shape))), ("n", node), ("out", nir.Output(np.array(out_shape)))
    )


@pytest.mark.parametrize(
    ("stride", "padding", "dilation", "groups"),
    [(1, 0, 1, 1), (2, 1, 1, 1), (1, (2, 1), 2, 2), (1, "same", (2, 1), 1), (2, "valid", 1, 4)],
)
def test_conv2d_matches_naive_loops(stride, padding, dilation, groups):
    rng = np.random.default_rng(3)
    w = rng.normal(size=(4, 4 // groups, 3, 3))
    b = rng.normal(size=4)
    conv = nir.Conv2d(None, w, stride, padding, dilation, groups, b)
    shapes = ir.infer_graph_shapes(_single(conv, (4, 7, 6), (4,)))
    out_shape = shapes["n"].output
    graph = _single(conv, (4, 7, 6), out_shape)
    assert_roundtrip(graph)
    x = rng.normal(size=(2, 3, 4, 7, 6))
    y = simulate(graph, x)["out"]
    st, pad, dil, grp, kernel = conv_geometry(conv, 2)
    for t in range(2):
        expected = _naive_conv(x[t], w, b, st, conv_pads(pad, kernel, dil), dil, grp)
        np.testing.assert_allclose(y[t], expected, rtol=1e-12, atol=1e-12)


def test_non_square_kernel_round_trips_despite_nir_type_check_bug():
    w = np.random.default_rng(5).normal(size=(2, 1, 3, 2))
    conv = nir.Conv2d((5, 4), w, 1, 0, 1, 1, np.zeros(2))
    graph = _single(conv, (1, 5, 4), (2, 3, 3))
    with pytest.warns(ir.NirCompatibilityWarning, match="non-square kernel \\[3, 2\\]"):
        ir.to_nir(graph)
    assert_roundtrip(graph)
    x = np.random.default_rng(6).normal(size=(1, 1, 1, 5, 4))
    expected = _naive_conv(x[0], w, np.zeros(2), (1, 1), [(0, 0), (0, 0)], (1, 1), 1)
    np.testing.assert_allclose(simulate(graph, x)["out"][0], expected, atol=1e-12)


def test_conv1d_matches_naive_loops():
    rng = np.random.default_rng(4)
    w = rng.normal(size=(6, 1, 3))
    b = rng.normal(size=6)
    conv = nir.Conv1d(9, w, 2, 2, 2, 3, b)
    out_shape = ir.infer_graph_shapes(_single(conv, (3, 9), (6,)))["n"].output
    graph = _single(conv, (3, 9), out_shape)
    assert_roundtrip(graph)
    x = rng.normal(size=(1, 2, 3, 9))
    y = simulate(graph, x)["out"][0]
    np.testing.assert_allclose(y, _naive_conv(x[0], w, b, (2,), [(2, 2)], (2,), 3), atol=1e-12)


def test_pooling_flatten_affine_batchnorm():
    x = np.arange(2 * 4 * 4, dtype=np.float64).reshape(1, 1, 2, 4, 4)
    pool = nir.SumPool2d(np.array([2, 2]), np.array([2, 2]), np.array([0, 0]))
    y = simulate(_single(pool, (2, 4, 4), (2, 2, 2)), x)["out"][0, 0]
    np.testing.assert_array_equal(y[0], [[10, 18], [42, 50]])
    avg = nir.AvgPool2d(np.array([2, 2]), np.array([1, 1]), np.array([1, 1]))
    y = simulate(_single(avg, (2, 4, 4), (2, 5, 5)), x)["out"][0, 0]
    assert y[0, 0, 0] == 0 / 4 and y[0, 1, 1] == (0 + 1 + 4 + 5) / 4  # padding counted
    flat = nir.Flatten({"input": np.array([2, 4, 4])}, start_dim=1)
    y = simulate(_single(flat, (2, 4, 4), (2, 16)), x)["out"][0, 0]
    np.testing.assert_array_equal(y, x[0, 0].reshape(2, 16))
    w = np.arange(12, dtype=np.float64).reshape(2, 2, 3)  # leading dim broadcast
    aff = nir.Affine(w, np.ones((2, 2)))
    xin = np.ones((1, 1, 2, 3))
    y = simulate(_single(aff, (2, 3), (2, 2)), xin)["out"][0, 0]
    np.testing.assert_array_equal(y, w.sum(-1) + 1)
    bn = ir.BatchNorm(
        np.array([2.0, 1.0]), np.array([0.5, 0.0]), np.array([1.0, 0.0]), np.full(2, 0.75), 0.25
    )
    y = simulate(_single(bn, (2, 4, 4), (2, 4, 4)), x)["out"][0, 0]
    np.testing.assert_allclose(y[0], 2 * (x[0, 0, 0] - 1) + 0.5)
    np.testing.assert_allclose(y[1], x[0, 0, 1])


def test_input_errors_say_what_where_and_how():
    graph = ZOO["mlp_softlif"]()
    with pytest.raises(
        InputError, match=r"input 'in' has shape \[5, 6\], expected \[T, B, 6\]"
    ) as e:
        simulate(graph, np.zeros((5, 6)))
    assert "time-major" in e.value.hint
    with pytest.raises(InputError, match="contains NaN or Inf"):
        simulate(graph, np.full((2, 1, 6), np.nan))
    multi = ZOO["multi_input"]()
    with pytest.raises(InputError, match="has 2 Input nodes"):
        simulate(multi, np.zeros((2, 1, 3)))
    with pytest.raises(InputError, match="missing \\['y'\\]"):
        simulate(multi, {"x": np.zeros((2, 1, 3))})
    with pytest.raises(InputError, match="disagree on \\[T, B\\]"):
        simulate(multi, {"x": np.zeros((2, 1, 3)), "y": np.zeros((3, 1, 3))})
    with pytest.raises(ConfigError, match="dtype int32 is not supported"):
        simulate(graph, np.zeros((2, 1, 6)), dtype=np.int32)
    with pytest.raises(ConfigError, match="unknown node\\(s\\) \\['ghost'\\]"):
        simulate(graph, np.zeros((2, 1, 6)), record=["ghost"])


def test_record_and_observer_count_events():
    graph = ZOO["residual"]()
    inputs = random_inputs(graph, steps=6)
    counts: dict[str, float] = {}

    def observer(t, name, output):
        counts[name] = counts.get(name, 0.0) + float(output.sum())

    spikes = simulate(graph, inputs, record="spikes", observer=observer)
    assert set(spikes) == {"out1", "out2", "s1", "s2"}
    assert counts["s1"] == spikes["s1"].sum() and counts["s2"] == spikes["s2"].sum()
    everything = simulate(graph, inputs, record="all")
    assert {"s1:v_pre", "s1:v", "a", "in"} <= set(everything)
    np.testing.assert_array_equal(everything["out1"], spikes["out1"])
    # float32 runs keep float32 end to end
    assert simulate(graph, inputs, dtype=np.float32)["out1"].dtype == np.float32
