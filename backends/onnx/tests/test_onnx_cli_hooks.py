"""The functions the CLI wires: export options and ``simulate`` on .npy/.npz files."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx_testlib import NEURONS, assert_spike_exact, inputs_for, mlp, reference
from snncompile_onnx import cli_hooks, read_metadata

from snncompile.errors import InputError
from snncompile.quant.int8 import quantize_weights_int8


def test_export_then_simulate(tmp_path: Path) -> None:
    export = argparse.ArgumentParser()
    cli_hooks.add_export_options(export)
    args = export.parse_args(["--mode", "unrolled", "--steps", "5", "--quantize", "int8"])
    graph = mlp(NEURONS["ilif"])
    path = cli_hooks.export_from_args(graph, tmp_path / "m.onnx", args)
    meta = read_metadata({p.key: p.value for p in onnx.load(path).metadata_props})
    assert (meta["mode"], meta["steps"], meta["quantize"]) == ("unrolled", 5, "int8")

    x = inputs_for(graph, steps=5, batch=2)["in"]
    np.save(tmp_path / "x.npy", x)
    simulate = argparse.ArgumentParser()
    cli_hooks.add_simulate_options(simulate)
    sim_args = simulate.parse_args([str(path), str(tmp_path / "x.npy"), "--out",
                                    str(tmp_path / "y.npz")])  # fmt: skip
    lines = cli_hooks.simulate_from_args(sim_args)
    assert lines[0] == "out: [5, 2, 10] float32" and lines[-1].startswith("wrote ")
    with np.load(tmp_path / "y.npz") as saved:
        got = {"out": saved["out"]}
    want = reference(quantize_weights_int8(graph).graph, {"in": x})
    assert_spike_exact(got, want, ["out"])


def test_unreadable_inputs(tmp_path: Path) -> None:
    (tmp_path / "bad.npy").write_text("not numpy")
    with pytest.raises(InputError, match="cannot read inputs"):
        cli_hooks.load_inputs(tmp_path / "bad.npy")
