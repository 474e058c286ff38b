"""``snncompile check MODEL --target T``: a table (or --json), exit 0 iff deployable."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

import snncompile
import snncompile.neurons as sn
from snncompile.backend import installed_backends
from snncompile.neurons import TimeDistributed as TD

needs_lava = pytest.mark.skipif(
    "lava" not in installed_backends(), reason="the lava backend is not installed"
)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("check")
    torch.manual_seed(0)
    made = {
        "mlp": (nn.Sequential(nn.Flatten(2), nn.Linear(16, 4), sn.LIF()), (4, 2, 4, 4)),
        "step": (nn.Sequential(nn.Flatten(), nn.Linear(16, 4), sn.ILIF(step_mode="s")), (2, 16)),
        "conv1d": (nn.Sequential(TD(nn.Conv1d(1, 2, 3)), sn.LIF()), (4, 2, 1, 8)),
    }
    paths = {}
    for name, (model, shape) in made.items():
        paths[name] = str(root / f"{name}.pt")
        snncompile.save(model.eval(), paths[name], example_input=torch.rand(shape))
    return paths


def test_deployable_model_exits_zero(cli, models):
    for model in (models["mlp"], models["step"]):
        result = cli("check", model, "--target", "nir")
        assert result.code == 0, result.err
        assert "deployable to target 'nir'" in result.out and "NOT" not in result.out


@needs_lava
def test_non_deployable_model_names_the_node_and_exits_one(cli, models):
    result = cli("check", models["conv1d"], "--target", "lava")
    assert result.code == 1
    assert "NOT deployable to target 'lava'" in result.out
    lines = result.out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("node"))
    assert lines[header].split() == ["node", "type", "stage"]
    assert lines[header + 1].split() == ["0", "Conv1d", "target"]
    assert "problem: target 'lava' has no lowering for Conv1d" in result.out
    assert "fix:" in result.out
    as_json = cli("check", models["conv1d"], "--target", "lava", "--json")
    assert as_json.code == 1
    record = json.loads(as_json.out)
    assert record["deployable"] is False and record["problems"][0]["node"] == "0"


def test_mixed_step_modes_are_refused(cli, tmp_path):
    model = nn.Sequential(nn.Flatten(2), nn.Linear(16, 4), sn.LIF(), sn.PLIF(step_mode="s"))
    path = tmp_path / "mixed.pt"
    torch.save(model, path)  # snncompile.save refuses it, so pickle it whole
    result = cli("check", path, "--target", "nir", "--allow-pickle", "--input-shape", "4,2,4,4")
    assert result.code == 1
    assert "mixes neuron step modes" in result.out
    assert "'2' (LIF)" in result.out and "'3' (PLIF)" in result.out
    assert "same step_mode" in result.out


def test_unknown_target_is_an_error(cli, models):
    result = cli("check", models["mlp"], "--target", "no-such-target")
    assert result.code == 1 and "error:" in result.err
