"""``snncompile inspect``: summary of a checkpoint, and the --allow-pickle opt-in."""

from __future__ import annotations

import json

import torch
from torch import nn

import snncompile
import snncompile.neurons as sn
from snncompile.cli import main
from tests.checkpoint.models import Picklable


def test_inspect_text_and_json(tmp_path, capsys):
    model = nn.Sequential(sn.TimeDistributed(nn.Linear(3, 4)), sn.PLIF(), nn.Linear(4, 2))
    path = tmp_path / "m.pt"
    snncompile.save(model, path, example_input=torch.rand(5, 2, 3), metadata={"acc": 0.5})
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "snncompile.checkpoint v1" in out and ": [5, 2, 3] float32" in out
    assert "27 parameters" in out and "PLIF(" in out and "metadata    acc" in out
    assert main(["inspect", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [row["path"] for row in data["layers"]] == ["0", "1", "2"]
    assert data["output"] == {"shape": [5, 2, 2], "dtype": "float32"}


def test_inspect_refuses_pickle_then_allows_it(tmp_path, capsys):
    path = tmp_path / "pickled.pt"
    torch.save(Picklable(), path)
    assert main(["inspect", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "arbitrary code" in err
    assert "hint: " in err and "--allow-pickle" in err
    assert main(["inspect", str(path), "--allow-pickle"]) == 0
    out = capsys.readouterr().out
    assert "pickled nn.Module" in out and "Picklable, 8 parameters" in out


def test_inspect_missing_file(tmp_path, capsys):
    assert main(["inspect", str(tmp_path / "nope.pt")]) == 1
    assert "does not exist" in capsys.readouterr().err
