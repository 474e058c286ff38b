"""The exported file itself: validity, complete shapes, metadata, names, determinism."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import onnx
import pytest
from onnx_testlib import NEURONS, cnn, mlp, recurrent
from snncompile_onnx import build_model, export_onnx, read_metadata

from snncompile import ir

MODES = ("step", "unrolled", "loop")
HERE = Path(__file__).resolve().parent


def _steps(mode: str) -> int | None:
    return 4 if mode == "unrolled" else None


def _incomplete(graph: onnx.GraphProto) -> list[str]:
    """Names of values (subgraphs included) whose inferred shape is missing or partial."""
    bad = []
    for value in [*graph.value_info, *graph.output]:
        tensor = value.type.tensor_type
        dims = tensor.shape.dim if tensor.HasField("shape") else None
        if dims is None or not all(
            d.HasField("dim_value") or d.HasField("dim_param") for d in dims
        ):
            bad.append(value.name)
    for node in graph.node:
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                bad += _incomplete(attr.g)
    return bad


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("neuron", ["ilif", "clif", "nir_cubalif", "dalif_channel"])
def test_checker_and_strict_shape_inference(mode: str, neuron: str) -> None:
    model = build_model(cnn(NEURONS[neuron]), mode, _steps(mode)).model
    onnx.checker.check_model(model, full_check=True)
    inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    assert _incomplete(inferred.graph) == []
    assert inferred.opset_import[0].version >= 17


def test_io_shapes_per_mode() -> None:
    graph = mlp(NEURONS["softlif"])
    dims = {}
    for mode in MODES:
        model = build_model(graph, mode, _steps(mode)).model
        dims[mode] = {
            v.name: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
            for v in [*model.graph.input, *model.graph.output]
        }
    assert dims["step"]["in"] == ["batch", 12]
    assert dims["step"]["out"] == ["batch", 10]
    assert dims["step"]["state.n1.v"] == ["batch", 16]
    assert dims["step"]["state.n1.v.next"] == ["batch", 16]
    assert dims["unrolled"] == {"in": [4, "batch", 12], "out": [4, "batch", 10]}
    assert dims["loop"] == {"in": ["time", "batch", 12], "out": ["time", "batch", 10]}


def test_state_names_and_metadata() -> None:
    graph = recurrent(NEURONS["ilif"])
    exported = build_model(graph, "step")
    model = exported.model
    names = [s.name for s in exported.states]
    assert names == [
        "state.rec.output",  # the back edge rec ~> n
        "state.n.v", "state.n.inhibition", "state.n.inhibitory_memory", "state.n.x_prev",
        "state.n.s_prev",
    ]  # fmt: skip
    inputs = [v.name for v in model.graph.input]
    outputs = [v.name for v in model.graph.output]
    assert inputs == ["in", *names]
    assert outputs == ["out", *(n + ".next" for n in names)]
    meta = read_metadata({p.key: p.value for p in model.metadata_props})
    assert meta["mode"] == "step" and meta["steps"] is None
    assert meta["neuron_types"] == ["ILIF"]
    assert meta["quantize"] == "none"
    assert [row["name"] for row in meta["states"]] == names
    assert meta["states"][1] == {"name": "state.n.v", "next": "state.n.v.next", "node": "n",
                                 "var": "v", "shape": [7]}  # fmt: skip
    assert meta["source_sha256"] == hashlib.sha256(ir.dump(graph).encode()).hexdigest()
    assert json.loads(json.dumps(meta["profile"]))["dt"] == graph.profile.dt
    assert meta["version"] and meta["backend"].startswith("onnx ")


def test_metadata_lists_every_neuron_type() -> None:
    graph = mlp(NEURONS["nir_lif"])
    meta = read_metadata({p.key: p.value for p in build_model(graph, "loop").model.metadata_props})
    assert meta["neuron_types"] == ["LIF"]
    assert meta["layout"] == "[time, batch, ...]"


@pytest.mark.parametrize("mode", MODES)
def test_export_is_byte_identical(tmp_path: Path, mode: str) -> None:
    graph = cnn(NEURONS["clif"])
    first = export_onnx(graph, tmp_path / "a.onnx", mode, _steps(mode), "int8").read_bytes()
    second = export_onnx(cnn(NEURONS["clif"]), tmp_path / "b.onnx", mode, _steps(mode), "int8")
    assert first == second.read_bytes()


def test_export_is_byte_identical_across_processes(tmp_path: Path) -> None:
    """Another interpreter with another hash seed writes the same bytes."""
    path = export_onnx(recurrent(NEURONS["nir_cubalif"]), tmp_path / "here.onnx", "loop")
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from onnx_testlib import NEURONS, recurrent;"
        "from snncompile_onnx import export_onnx;"
        "export_onnx(recurrent(NEURONS['nir_cubalif']), sys.argv[2], 'loop')"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    there = tmp_path / "there.onnx"
    subprocess.run([sys.executable, "-c", script, str(HERE), str(there)], check=True, env=env)
    assert path.read_bytes() == there.read_bytes()
