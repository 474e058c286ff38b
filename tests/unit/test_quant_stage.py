"""The quantisation stage: one typed QuantizedGraph, checked precisions, the Backend hook."""

from __future__ import annotations

from pathlib import Path

import nir
import numpy as np
import pytest

from snncompile import ir
from snncompile.api import quantize_stage
from snncompile.backend import Backend, Capabilities
from snncompile.errors import ConfigError, QuantizationError
from snncompile.quant.int8 import INT8, SCHEME, quantize_int8_graph
from snncompile.quant.precision import FixedPoint
from snncompile.quant.stage import (
    QuantizationRequest,
    QuantizedField,
    QuantizedGraph,
    check_precisions,
    quantize,
    verify_quantized,
)


def _graph() -> ir.Graph:
    rng = np.random.default_rng(0)
    return ir.sequential(
        ("in", nir.Input(np.array([3]))),
        ("fc", nir.Affine(rng.normal(size=(4, 3)), rng.normal(size=4))),
        ("lif", ir.SoftLIF(np.full(4, 0.5), np.ones(4))),
        ("out", nir.Output(np.array([4]))),
    )


def _int8() -> QuantizedGraph:
    return quantize(_graph(), QuantizationRequest(SCHEME), quantizer=quantize_int8_graph)


def test_stage_is_pure_and_typed():
    graph = _graph()
    before = graph.nodes["fc"].weight.copy()
    first, second = _int8(), _int8()
    assert np.array_equal(graph.nodes["fc"].weight, before)
    assert np.array_equal(first.fields["fc"]["weight"].values, second.fields["fc"]["weight"].values)
    assert first.fields["fc"]["weight"].precision is INT8
    assert "| fc | weight | s8 even sat" in first.describe()


def test_out_of_range_integer_names_node_and_field():
    staged = _int8()
    bad = QuantizedField(INT8, np.array([0, 200]), 1.0)
    broken = QuantizedGraph(staged.graph, {"fc": {"weight": bad}}, staged.request)
    with pytest.raises(QuantizationError, match=r"node 'fc', field 'weight'.*\[0, 200\]") as info:
        broken.check()
    assert info.value.node == "fc"


def test_off_grid_integer_is_refused():
    even = FixedPoint(9, step=2)
    staged = _int8()
    odd = QuantizedGraph(
        staged.graph, {"fc": {"weight": QuantizedField(even, np.array([2, 3]))}}, staged.request
    )
    with pytest.raises(QuantizationError, match="step 2"):
        odd.check()


def test_quantiser_result_is_checked():
    def sloppy(graph, request, calibration):
        field = QuantizedField(INT8, np.array([-300]), 1.0)
        return QuantizedGraph(graph, {"fc": {"weight": field}}, request)

    with pytest.raises(QuantizationError, match="field 'weight'"):
        quantize(_graph(), QuantizationRequest("x"), quantizer=sloppy)
    with pytest.raises(ConfigError, match="not a QuantizedGraph"):
        quantize(_graph(), QuantizationRequest("x"), quantizer=lambda g, r, c: g)


def test_precisions_checked_against_capabilities():
    staged = _int8()
    check_precisions(staged, {"weight": INT8})
    with pytest.raises(QuantizationError, match=r"node 'fc', field 'weight'.*exceeds"):
        verify_quantized(staged, {"weight": FixedPoint(4)})


def test_fields_must_name_graph_nodes():
    staged = _int8()
    with pytest.raises(QuantizationError, match="not in the graph"):
        QuantizedGraph(staged.graph, {"nope": {}}, staged.request)


class _Float(Backend):
    name = "float-test"

    def emit(self, graph, out_dir: Path) -> Path:  # pragma: no cover - not emitted here
        raise AssertionError

    def simulate(self, artifact, inputs, steps=None):  # pragma: no cover
        raise AssertionError

    @classmethod
    def read_graph(cls, path: Path):  # pragma: no cover
        raise AssertionError


class _Int8(_Float):
    capabilities = Capabilities(precisions={"weight": INT8})

    def quantize(self, graph, calibration):
        return quantize_int8_graph(graph, QuantizationRequest(SCHEME), calibration)


class _Narrow(_Int8):
    capabilities = Capabilities(precisions={"weight": FixedPoint(4)})


def test_backend_hook_default_and_dump(tmp_path):
    graph = _graph()
    assert quantize_stage(_Float(), graph, None, tmp_path) is graph
    assert (tmp_path / "06-quantize.txt").read_text() == ir.dump(graph)
    staged = quantize_stage(_Int8(), graph, None, tmp_path)
    assert isinstance(staged, QuantizedGraph)
    text = (tmp_path / "06-quantize.txt").read_text()
    assert text.startswith(ir.dump(staged.graph)) and "| fc | weight |" in text
    assert _Int8().emit_summary(staged) == staged.describe()
    assert _Float().emit_summary(graph) is None
    with pytest.raises(QuantizationError, match="exceeds"):
        quantize_stage(_Narrow(), graph, None, None)
