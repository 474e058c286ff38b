"""User errors: bad inputs, bad options, unsupported nodes, foreign files."""

from __future__ import annotations

from pathlib import Path

import nir
import numpy as np
import pytest
import snncompile_onnx.lowerings as lowerings_module
from onnx import TensorProto, helper
from onnx_testlib import NEURONS, mlp
from snncompile_onnx import OnnxBackend, build_model, export_onnx, simulate_onnx
from snncompile_onnx.lowerings import check_supported

from snncompile import ir
from snncompile.errors import ConfigError, InputError, IRValidationError, UnsupportedNodeError


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("models")
    graph = mlp(NEURONS["softlif"])
    return {
        mode: export_onnx(graph, folder / f"{mode}.onnx", mode, 4 if mode == "unrolled" else None)
        for mode in ("step", "unrolled", "loop")
    }


@pytest.mark.parametrize("mode", ["step", "unrolled", "loop"])
def test_wrong_dtype_names_expected_and_actual(models: dict, mode: str) -> None:
    with pytest.raises(InputError) as info:
        simulate_onnx(models[mode], np.zeros((4, 2, 12)))
    assert "dtype float64, expected float32" in info.value.message
    assert "12" in info.value.message and "astype(np.float32)" in str(info.value.hint)


@pytest.mark.parametrize("mode", ["step", "unrolled", "loop"])
def test_wrong_feature_shape(models: dict, mode: str) -> None:
    with pytest.raises(InputError) as info:
        simulate_onnx(models[mode], np.zeros((4, 2, 11), np.float32))
    message = info.value.message
    assert "shape [4, 2, 11]" in message and "batch, 12]" in message


def test_missing_time_axis(models: dict) -> None:
    with pytest.raises(InputError, match=r"shape \[2, 12\], expected \[T, batch, 12\]"):
        simulate_onnx(models["step"], np.zeros((2, 12), np.float32))


def test_unrolled_model_needs_its_number_of_steps(models: dict) -> None:
    with pytest.raises(InputError, match=r"shape \[5, 2, 12\], expected \[4, batch, 12\]"):
        simulate_onnx(models["unrolled"], np.zeros((5, 2, 12), np.float32))


def test_named_inputs_must_match(models: dict) -> None:
    with pytest.raises(InputError, match=r"missing \['in'\], unknown \['x'\]"):
        simulate_onnx(models["loop"], {"x": np.zeros((4, 2, 12), np.float32)})


def test_backend_simulate_checks_steps(models: dict) -> None:
    with pytest.raises(InputError, match="steps=3 but the inputs hold 4"):
        OnnxBackend().simulate(models["loop"], np.zeros((4, 2, 12), np.float32), steps=3)


def test_foreign_model_is_refused(tmp_path: Path) -> None:
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(ConfigError, match="no snncompile ONNX metadata"):
        simulate_onnx(model.SerializeToString(), np.zeros((1, 1), np.float32))


def test_unsupported_node_names_node_type_target_and_supported(monkeypatch) -> None:
    reduced = {k: v for k, v in lowerings_module.LOWERINGS.items() if k is not ir.SoftLIF}
    monkeypatch.setattr(lowerings_module, "LOWERINGS", reduced)
    with pytest.raises(UnsupportedNodeError) as info:
        build_model(mlp(NEURONS["softlif"]))
    message = info.value.message
    assert "node 'n1' of type SoftLIF" in message and "target 'onnx'" in message
    assert "supported: Affine, AvgPool2d" in message and info.value.node == "n1"


def test_check_supported_with_an_explicit_table() -> None:
    with pytest.raises(UnsupportedNodeError, match="node 'fc1' of type Affine"):
        only_output = {nir.Output: lowerings_module.LOWERINGS[nir.Output]}
        check_supported(mlp(NEURONS["softlif"]), only_output)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"mode": "scan"}, "unknown ONNX export mode 'scan'"),
        ({"mode": "unrolled"}, "needs steps >= 1"),
        ({"mode": "unrolled", "steps": 0}, "needs steps >= 1"),
        ({"mode": "loop", "steps": 4}, "only meaningful with mode='unrolled'"),
        ({"quantize": "int4"}, "unknown quantize='int4'"),
    ],
)
def test_bad_options(kwargs: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        build_model(mlp(NEURONS["softlif"]), **kwargs)


def test_state_prefixed_io_names_are_refused() -> None:
    graph = ir.sequential(
        ("state.x", nir.Input(np.array([2]))),
        ("lif", ir.SoftLIF(np.full(2, 0.5), np.ones(2))),
        ("out", nir.Output(np.array([2]))),
    )
    with pytest.raises(ConfigError, match="reserves for state tensors"):
        build_model(graph)


def test_invalid_graph_is_reported_before_lowering() -> None:
    graph = ir.sequential(
        ("in", nir.Input(np.array([3]))),
        ("lif", ir.SoftLIF(np.full(2, 0.5), np.ones(2))),
        ("out", nir.Output(np.array([2]))),
    )
    with pytest.raises(IRValidationError):
        build_model(graph)


def test_zero_time_steps(models: dict) -> None:
    with pytest.raises(InputError, match="no time steps"):
        simulate_onnx(models["step"], np.zeros((0, 2, 12), np.float32))
