"""``quantize="int8"``: QDQ weights, spike-exact against the reference on W_dq."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper
from onnx_testlib import ARCHITECTURES, NEURONS, assert_spike_exact, inputs_for, reference
from snncompile_onnx import build_model, read_metadata, simulate_onnx

from snncompile.quant.int8 import int8_weights, quantize_weights_int8

MODES = ("step", "unrolled", "loop")


@pytest.mark.parametrize("neuron", ["softlif", "dalif_channel", "clif", "ilif", "nir_lif"])
@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_qdq_model_matches_reference_on_dequantised_weights(arch: str, neuron: str) -> None:
    graph = ARCHITECTURES[arch](NEURONS[neuron])
    inputs = inputs_for(graph, steps=6, batch=3, seed=11)
    for mode in MODES:
        exported = build_model(graph, mode, 6 if mode == "unrolled" else None, "int8")
        want = reference(exported.graph, inputs)
        got = simulate_onnx(exported.model.SerializeToString(), inputs, threads=1)
        assert_spike_exact(got, want, graph.outputs)


def test_weights_are_int8_initializers_behind_dequantize_linear() -> None:
    graph = ARCHITECTURES["cnn"](NEURONS["softlif"])
    exported = build_model(graph, "loop", quantize="int8")
    model = exported.model
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    int8 = {name for name, value in inits.items() if value.dtype == np.int8 and value.ndim > 0}
    assert int8 == {"conv1.weight.int8", "conv2.weight.int8", "fc.weight.int8"}
    assert not {"conv1.weight", "conv2.weight", "fc.weight"} & set(inits)
    dq = [n for n in model.graph.node if n.op_type == "DequantizeLinear"]
    assert len(dq) == 3  # once each, outside the Scan body
    for name in int8:
        assert np.abs(inits[name]).max() == 127  # symmetric per-layer scale uses the range
    meta = read_metadata({p.key: p.value for p in model.metadata_props})
    assert meta["quantize"] == "int8"
    quantized = quantize_weights_int8(graph)
    weights = int8_weights(quantized)
    assert meta["weight_scales"] == {k: float(w.scale) for k, w in weights.items()}
    onnx.checker.check_model(model, full_check=True)


def test_onnxruntime_keeps_float_activations(tmp_path: Path) -> None:
    """onnxruntime must not turn DQ → MatMul into MatMulNBits (int8 activations)."""
    model = build_model(ARCHITECTURES["mlp"](NEURONS["softlif"]), "step", quantize="int8").model
    options = ort.SessionOptions()
    options.optimized_model_filepath = str(tmp_path / "optimized.onnx")
    options.log_severity_level = 3
    ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    ops = {node.op_type for node in onnx.load(tmp_path / "optimized.onnx").graph.node}
    assert "MatMulNBits" not in ops and "DequantizeLinear" in ops


def test_unrolled_qdq_shares_one_dequantize_per_layer() -> None:
    model = build_model(ARCHITECTURES["mlp"](NEURONS["plif"]), "unrolled", 5, "int8").model
    assert sum(n.op_type == "DequantizeLinear" for n in model.graph.node) == 2
