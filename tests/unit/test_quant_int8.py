"""Per-layer symmetric int8 weight quantisation (snncompile.quant.int8)."""

from __future__ import annotations

import nir
import numpy as np
import pytest

from snncompile import ir
from snncompile.errors import QuantizationError
from snncompile.quant.int8 import (
    INT8,
    dequantize_int8,
    int8_scale,
    int8_weights,
    quantize_int8,
    quantize_weights_int8,
)


def test_scale_uses_the_full_symmetric_range() -> None:
    w = np.array([[0.5, -2.54], [1.0, 0.0]])
    q = quantize_int8(w)
    assert q.values.dtype == np.int8
    assert q.scale == np.float32(2.54 / 127)
    assert q.values.min() == -127 and q.values.max() <= 127
    assert np.abs(q.dequantize() - w).max() <= q.scale / 2 + 1e-7


def test_zero_weight_gets_unit_scale() -> None:
    q = quantize_int8(np.zeros((3, 2)))
    assert q.scale == np.float32(1.0) and not q.values.any()


def test_dequantize_is_one_float32_multiply() -> None:
    values = np.array([-127, -3, 0, 5, 127], np.int8)
    scale = np.float32(0.0123)
    out = dequantize_int8(values, scale)
    assert out.dtype == np.float32
    assert np.array_equal(out, values.astype(np.float32) * scale)


def test_non_finite_weights_are_rejected() -> None:
    with pytest.raises(QuantizationError, match="NaN or Inf"):
        int8_scale(np.array([1.0, np.inf]))


def test_pass_replaces_synapse_weights_only() -> None:
    rng = np.random.default_rng(0)
    graph = ir.sequential(
        ("in", nir.Input(np.array([3]))),
        ("fc", nir.Affine(rng.normal(size=(4, 3)), rng.normal(size=4))),
        ("sc", nir.Scale(np.array([0.1, 0.2, 0.3, 0.4]))),
        ("lif", ir.SoftLIF(np.full(4, 0.5), np.ones(4))),
        ("out", nir.Output(np.array([4]))),
    )
    result = quantize_weights_int8(graph)
    weights = int8_weights(result)
    assert set(weights) == {"fc"} and set(result.fields) == {"fc"}
    field = result.fields["fc"]["weight"]
    assert field.precision == INT8 and field.scale == float(weights["fc"].scale)
    fc = result.graph.nodes["fc"]
    assert np.array_equal(fc.weight, weights["fc"].dequantize())
    assert np.array_equal(fc.bias, graph.nodes["fc"].bias)
    assert result.graph.nodes["sc"] is graph.nodes["sc"]
    ir.verify(result.graph)
