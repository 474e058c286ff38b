"""MaxPool2d on ONNX: the native MaxPool op, exact for any values (spikes or not)."""

from __future__ import annotations

from pathlib import Path

import nir
import numpy as np
import onnx
import pytest

import snncompile
from snncompile import ir
from snncompile.reference import simulate
from tests.conformance.zoo import maxpool_analog, maxpool_cnn


def _negative_padded() -> ir.Graph:
    """in -> max 3/2 pad 1 -> out, on values that are all negative: padding must lose."""
    return ir.sequential(
        ("in", nir.Input(np.array([2, 5, 5]))),
        ("mp", ir.MaxPool2d(np.array([3, 3]), np.array([2, 2]), np.array([1, 1]))),
        ("out", nir.Output(np.array([2, 3, 3]))),
    )


@pytest.mark.parametrize("mode", ["loop", "unrolled"])
def test_max_pool_of_any_values_equals_the_reference(mode: str, tmp_path: Path) -> None:
    graph = _negative_padded()
    x = -np.random.default_rng(0).uniform(0.5, 3.0, (4, 2, 2, 5, 5)).astype(np.float32)
    options = {"mode": mode} if mode == "loop" else {"mode": mode, "steps": 4}
    artifact = snncompile.compile(graph, target="onnx", options=options)
    path = artifact.save(tmp_path / "mp.onnx")
    ops = {node.op_type for node in onnx.load(str(path)).graph.node}
    if mode == "unrolled":
        assert "MaxPool" in ops
    got = artifact.run(x)["out"]
    want = simulate(graph, x, dtype=np.float32)["out"]
    np.testing.assert_array_equal(got, want)
    assert want.max() < 0  # a zero-padded window would have given 0


@pytest.mark.parametrize("build", [maxpool_cnn, maxpool_analog])
def test_zoo_graphs_with_max_pooling_run_exactly(build, tmp_path: Path) -> None:
    graph = build()
    x = np.random.default_rng(1).normal(0.5, 1.0, (6, 2, *graph.nodes["in"].input_type["input"]))
    x = x.astype(np.float32)
    artifact = snncompile.compile(graph, target="onnx")
    got = artifact.run(x)["out"]
    want = artifact.backend.reference_run(artifact.graph, x)["out"]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
