"""save → load reproduces the model exactly, without its source code."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest
import torch
from torch import fx, nn

import snncompile
import snncompile.neurons as sn
from snncompile.checkpoint import FORMAT_TAG, FORMAT_VERSION, weights_sha256
from snncompile.neurons import TimeDistributed
from tests.checkpoint.models import (
    MLP,
    NEURON_NAMES,
    ConvNet,
    Picklable,
    make_neuron,
    randomise,
)


def _neuron_types(model: nn.Module) -> list[str]:
    return [type(m).__name__ for m in model.modules() if isinstance(m, sn.BaseNeuron)]


@pytest.mark.parametrize("neuron", NEURON_NAMES)
def test_mlp_roundtrip_is_exact(roundtrip, neuron):
    torch.manual_seed(0)
    model = randomise(MLP(neuron))
    x = torch.rand(6, 3, 4, 4) * 2
    original, loaded, x = roundtrip(model, x)
    assert isinstance(loaded, fx.GraphModule) and not loaded.training
    assert type(loaded).__name__ == "MLP"
    expected = original(x)
    assert torch.equal(loaded(x), expected)
    assert expected.abs().sum() > 0
    assert _neuron_types(loaded) == [neuron]


@pytest.mark.parametrize("neuron", NEURON_NAMES)
def test_conv_residual_roundtrip_is_exact(roundtrip, neuron):
    torch.manual_seed(1)
    model = randomise(ConvNet(neuron), seed=1)
    x = torch.rand(4, 2, 2, 8, 8) * 3
    original, loaded, x = roundtrip(model, x)
    assert torch.equal(loaded(x), original(x))
    other = torch.rand(4, 5, 2, 8, 8)  # a different batch size also matches
    assert torch.equal(loaded(other), original(other))
    assert _neuron_types(loaded) == [neuron] * 3
    assert loaded.state_dict().keys() == original.state_dict().keys()
    for key, value in original.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key


def test_neuron_configs_survive(roundtrip):
    model = nn.Sequential(
        nn.Linear(4, 4),
        sn.DALIF(channels=4, reset="hard", a_init=0.5),
        nn.Linear(4, 4),
        sn.LIF(tau=5.0, reset="hard", v_reset=-0.1),
        nn.Linear(4, 4),
        sn.ILIF(tau=1.1, current_inhibition=0.05, membrane_inhibition=0.5, surrogate="sigmoid"),
    )
    _, loaded, _ = roundtrip(randomise(model), torch.rand(3, 2, 4))
    got = [m.get_config() for m in loaded.modules() if isinstance(m, sn.BaseNeuron)]
    want = [m.get_config() for m in model.modules() if isinstance(m, sn.BaseNeuron)]
    assert got == want


def test_file_is_plain_data_with_header(tmp_path):
    model = randomise(MLP("LIF"))
    path = tmp_path / "m.pt"
    snncompile.save(model, path, example_input=torch.rand(5, 2, 4, 4), metadata={"acc": 0.9})
    raw = torch.load(path, weights_only=True)
    assert raw["format"] == FORMAT_TAG and raw["format_version"] == FORMAT_VERSION
    assert raw["inputs"] == [{"name": "x", "shape": [5, 2, 4, 4], "dtype": "float32"}]
    assert raw["output"] == {"shape": [2, 5], "dtype": "float32"}
    assert raw["weights_sha256"] == weights_sha256(raw["state_dict"])
    assert raw["metadata"] == {"acc": 0.9}
    assert raw["model_class"] == "MLP"
    arch = raw["architecture"]
    assert arch["modules"]["body.2"]["type"] == "LIF"
    assert arch["modules"]["body.2"]["config"]["tau"] == 3.0
    assert arch["containers"] == {"": "MLP", "body": "Sequential"}
    ops = [(n["op"], n["target"]) for n in arch["graph"]]
    assert ops[0] == ("placeholder", "x") and ops[-1] == ("output", "output")
    assert ("call_function", "torch.sum") in ops
    assert snncompile.checkpoint.load_info(path)["metadata"] == {"acc": 0.9}


class SupportedOps(nn.Module):
    """Supported functions and methods with constant arguments only."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(6, 6)
        self.sn = sn.LIF()
        self.scale = nn.Parameter(torch.tensor(1.5))
        self.register_buffer("offset", torch.full((6,), 0.25))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.fc(x) * self.scale + self.offset  # get_attr, mul, add
        s = self.sn(torch.relu(h) - 0.1)  # torch.relu, sub
        a = torch.cat([s, h], dim=-1)  # torch.cat
        b = torch.stack([s, h]).sum(0)  # torch.stack, .sum
        c = torch.add(torch.mul(b, 2.0), b)  # torch.add, torch.mul
        d = a.view(4, 3, 12).unflatten(2, (3, 4))  # .view, .unflatten
        d = torch.flatten(d, 2).reshape(4, 3, 12).flatten(2)  # torch.flatten, .reshape, .flatten
        e = torch.nn.functional.relu(c).add(c).sub(b).mul(0.5).relu()
        return torch.mean(e, dim=0) + d.mean(0).sum(-1, keepdim=True)


def test_supported_functions_and_methods_roundtrip(roundtrip):
    model = randomise(SupportedOps())
    original, loaded, x = roundtrip(model, torch.rand(4, 3, 6) * 2)
    assert torch.equal(loaded(x), original(x))
    assert isinstance(loaded.scale, nn.Parameter) and "offset" in dict(loaded.named_buffers())


def test_float64_model_keeps_its_dtype(roundtrip):
    model = randomise(MLP("PLIF")).double()
    original, loaded, x = roundtrip(model, torch.rand(3, 2, 4, 4, dtype=torch.float64))
    assert loaded.state_dict()["body.1.weight"].dtype == torch.float64
    assert torch.equal(loaded(x), original(x))


def test_conv1d_bn1d_and_layer_options(roundtrip):
    model = nn.Sequential(
        TimeDistributed(nn.Conv1d(2, 4, 5, stride=2, padding="valid", dilation=2, bias=False)),
        TimeDistributed(nn.BatchNorm1d(4, eps=1e-3, momentum=None)),
        sn.PLIF(),
        TimeDistributed(nn.Conv1d(4, 4, 3, padding="same", groups=4, padding_mode="reflect")),
        nn.ReLU(),
        nn.Flatten(2),
        nn.Unflatten(2, (2, 3, 4)),
        nn.Flatten(2),
        nn.Linear(24, 2),
    )
    original, loaded, x = roundtrip(randomise(model), torch.rand(3, 2, 2, 20))
    assert torch.equal(loaded(x), original(x))
    conv = loaded.get_submodule("0.module")
    assert (conv.stride, conv.dilation, conv.padding, conv.bias) == ((2,), (2,), "valid", None)
    assert loaded.get_submodule("3.module").padding_mode == "reflect"


def test_wrappers_are_unwrapped_and_modes_restored(tmp_path):
    model = randomise(MLP("LIF")).train()
    path = tmp_path / "dp.pt"
    snncompile.save(nn.DataParallel(model), path, example_input=torch.rand(3, 2, 4, 4))
    assert model.training and all(m.training for m in model.modules())
    assert torch.load(path, weights_only=True)["model_class"] == "MLP"


def test_single_step_neurons_roundtrip(roundtrip):
    model = nn.Sequential(nn.Linear(3, 3), sn.LIF(step_mode="s"))
    original, loaded, x = roundtrip(randomise(model), torch.rand(2, 3) * 3)
    sn.reset(original)
    sn.reset(loaded)
    for _ in range(3):  # state carries over identically
        assert torch.equal(loaded(x), original(x))


def test_load_needs_no_user_code(tmp_path):
    """A fresh interpreter that never defines ConvNet rebuilds and runs it."""
    model = randomise(ConvNet("DALIF"))
    x = torch.rand(3, 2, 2, 8, 8)
    path, ref = tmp_path / "conv.pt", tmp_path / "io.pt"
    snncompile.save(model, path, example_input=x)
    torch.save({"x": x, "y": model.eval()(x)}, ref)
    code = (
        "import sys, torch, snncompile\n"
        f"m = snncompile.load({str(path)!r})\n"
        f"io = torch.load({str(ref)!r})\n"
        "assert 'tests' not in sys.modules\n"
        "assert torch.equal(m(io['x']), io['y'])\n"
        "print('ok', type(m).__name__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok ConvNet"


def test_unused_parameters_warn(tmp_path):
    class WithSpare(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.used = nn.Linear(2, 2)
            self.spare = nn.Linear(2, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.used(x)

    with pytest.warns(UserWarning, match="spare.weight"):
        snncompile.save(WithSpare(), tmp_path / "s.pt", example_input=torch.rand(1, 2))


def test_make_neuron_covers_every_type():
    for name in NEURON_NAMES:
        assert type(make_neuron(name)).__name__ == name


def test_file_mode_follows_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        snncompile.save(
            nn.Sequential(nn.Linear(2, 2)), tmp_path / "m.pt", example_input=torch.rand(1, 2)
        )
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "m.pt").stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]  # no temporary file left


def test_loaded_model_can_be_fine_tuned(roundtrip):
    _, loaded, x = roundtrip(randomise(MLP("DALIF")), torch.rand(4, 2, 4, 4) * 2)
    params = dict(loaded.named_parameters())
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in params.values())
    loaded.train()
    loaded(x).sum().backward()
    assert params["body.1.weight"].grad is not None and params["body.2.a"].grad is not None


def test_nan_outputs_do_not_fail_the_trace_check(tmp_path):
    class NanOut(Picklable):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(x) * x.sum() - self.fc(x) * x.sum()  # inf - inf = nan

    x = torch.full((1, 2), 1e38)
    snncompile.save(NanOut(2, 2), tmp_path / "n.pt", example_input=x)
    assert torch.isnan(snncompile.load(tmp_path / "n.pt")(x)).any()


def test_non_persistent_buffer_read_by_forward_is_stored(roundtrip):
    class Scaled(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("gain", torch.tensor(2.5), persistent=False)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x * self.gain

    original, loaded, x = roundtrip(Scaled(), torch.rand(2, 3))
    assert torch.equal(loaded(x), original(x))
