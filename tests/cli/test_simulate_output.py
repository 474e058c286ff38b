"""Output people can read (issue 16, item 5): ``simulate`` names its engine and prints the
accuracy as a percentage, ``-v`` adds per-layer spike rates, ``--limit`` runs the first
samples; a lossy conversion warns once per artefact, not on every ``run()``."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

import snncompile
import snncompile.neurons as sn
from snncompile.cli import main
from snncompile.ir import LossyConversionWarning

REPO = Path(__file__).resolve().parents[2]
DIGITS = REPO / "examples" / "data" / "digits_test.npz"
LIF = REPO / "examples" / "models" / "digits_lif.pt"


def test_simulate_prints_engine_and_accuracy_as_a_percentage(tmp_path, capsys):
    nir = tmp_path / "lif.nir"
    assert main(["-q", "export", str(LIF), "--target", "nir", "-o", str(nir)]) == 0
    args = ["simulate", str(nir), "--input", str(DIGITS), "--steps", "4", "--limit", "50"]
    assert main(args) == 0
    out = capsys.readouterr().out
    lines = dict(line.split(None, 1) for line in out.splitlines() if line.strip())
    assert lines["engine"] == "snncompile reference simulator, float32"
    assert lines["inputs"] == "[4, 50, 1, 8, 8]"
    correct = int(lines["accuracy"].split("(")[1].split()[0])
    assert lines["accuracy"] == f"{100 * correct / 50:.2f} % ({correct} of 50 samples)"
    assert "spike rates" not in out  # only with -v
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["accuracy"] == correct / 50 and data["correct"] == correct
    assert data["engine"] == lines["engine"] and "spike_rates" not in data


def test_simulate_verbose_adds_spike_rates_named_by_their_engine(tmp_path, capsys):
    onnx = tmp_path / "lif.onnx"
    assert main(["-q", "export", str(LIF), "--target", "onnx", "-o", str(onnx)]) == 0
    args = ["simulate", str(onnx), "--input", str(DIGITS), "--steps", "4", "--limit", "20"]
    assert main([*args, "-v", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["engine"] == "onnxruntime, step mode"
    # onnxruntime records no layer: the reference simulator measures, and says so
    assert data["spike_rates_engine"].startswith("snncompile reference simulator")
    graph = snncompile.open(onnx).graph
    from snncompile.datafiles import read_input_data
    from snncompile.reference import simulate

    x = read_input_data(DIGITS, per_step_shape=(1, 8, 8), steps=4).inputs[:, :20]
    spikes = simulate(graph, x, dtype=np.float32, record="spikes")["sn1"]
    assert data["spike_rates"] == {"sn1": float(np.mean(spikes != 0))}
    assert 0.0 < data["spike_rates"]["sn1"] < 1.0
    assert main([*args, "-v"]) == 0
    out = capsys.readouterr().out
    assert "spike rates (spikes per neuron and step; snncompile reference simulator" in out
    assert f"  sn1  {data['spike_rates']['sn1']:.4f}" in out


def test_a_lossy_conversion_warns_once_per_artifact():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(2), nn.Linear(6, 4), sn.CLIF(), nn.Linear(4, 2))
    example = torch.rand(3, 2, 6)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        artifact = snncompile.compile(net, "nir", example_input=example)
        first = artifact.run(example.numpy())
        second = artifact.run(example.numpy())
    lossy = [w for w in caught if issubclass(w.category, LossyConversionWarning)]
    assert len(lossy) == 1, [str(w.message) for w in lossy]
    assert "soft-reset LIF with the same tau and theta" in str(lossy[0].message)
    assert (first["output"] == second["output"]).all()
    with warnings.catch_warnings(record=True) as caught:  # another artefact warns again
        warnings.simplefilter("always")
        snncompile.compile(net, "nir", example_input=example).run(example.numpy())
    assert sum(issubclass(w.category, LossyConversionWarning) for w in caught) == 1
