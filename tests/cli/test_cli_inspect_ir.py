"""``snncompile inspect MODEL`` on .nir files and on checkpoints (with the traced IR)."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

import snncompile
import snncompile.neurons as sn
from snncompile.cli import main
from snncompile.ir import LossyConversionWarning, write_nir


def _model() -> nn.Module:
    return nn.Sequential(
        sn.TimeDistributed(nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))),
        sn.DALIF(),
        nn.Flatten(2),
        nn.Linear(2 * 2 * 2, 3),
        sn.CLIF(),
    ).eval()


def test_inspect_nir_file_text_and_json(tmp_path, capsys):
    path = tmp_path / "m.nir"
    with pytest.warns(LossyConversionWarning, match="CLIF"):  # CLIF: lossy NIR form
        write_nir(snncompile.trace(_model(), torch.zeros(2, 1, 1, 4, 4)), path)
    capsys.readouterr()
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"file: {path}") and "neurons: CLIF x1, DALIF x1" in out
    assert "native-only" in out and "exact: LI + Threshold + Scale feedback" in out
    assert main(["inspect", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["format"] == "NIR"
    rows = {row["name"]: row for row in data["ir"]["nodes"]}
    assert rows["0.0"]["type"] == "Conv2d" and rows["0.0"]["output"] == [2, 2, 2]
    assert rows["4"]["neuron"] == "CLIF" and rows["4"]["nir_lowering"] == "native-only"


def test_inspect_checkpoint_shows_the_traced_ir(tmp_path, capsys):
    path = tmp_path / "m.pt"
    snncompile.save(_model(), path, example_input=torch.rand(3, 2, 1, 4, 4))
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "snncompile.checkpoint v1" in out  # the checkpoint summary is kept
    assert "ir (traced with the stored example input shape)" in out
    assert "neurons: CLIF x1, DALIF x1" in out and "BatchNorm" in out
    assert main(["inspect", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["layers"][0]["path"] == "0"
    ir = data["ir"]
    assert ir["inputs"] == ["input"] and ir["outputs"] == ["output"]
    assert ir["neurons"] == {"CLIF": 1, "DALIF": 1}
    types = [row["type"] for row in ir["nodes"]]
    assert types == ["Input", "Conv2d", "BatchNorm", "DALIF", "Flatten", "Affine", "CLIF", "Output"]
    assert ir["parameters"] == sum(row["parameters"] for row in ir["nodes"])


def test_inspect_checkpoint_that_cannot_be_traced(tmp_path, capsys):
    path = tmp_path / "relu.pt"
    model = nn.Sequential(nn.Flatten(2), nn.ReLU(), sn.LIF())
    snncompile.save(model, path, example_input=torch.rand(2, 1, 1, 4, 4))
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "not traceable: module '1' (ReLU): ReLU is an analog activation" in out
    assert "hint: remove it" in out
    assert main(["inspect", str(path), "--json"]) == 0
    assert "analog activation" in json.loads(capsys.readouterr().out)["ir"]["error"]


def test_inspect_unreadable_nir_is_a_user_error(tmp_path, capsys):
    path = tmp_path / "bad.nir"
    path.write_text("not hdf5")
    assert main(["inspect", str(path)]) == 1
    assert capsys.readouterr().err.startswith("error: ")
