"""Per-step models (every neuron in step_mode='s', plain layers, the loop over time outside)
trace to the same IR graph as their time-major equivalents, and deploy like them."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import torch
from torch import nn

import snncompile
import snncompile.neurons as sn
from snncompile.cli import main
from snncompile.errors import CheckpointError, InputError, TraceError
from snncompile.ir.equality import graph_differences
from snncompile.neurons import TimeDistributed as TD

NEURONS = ["LIF", "PLIF", "ILIF", "CLIF", "DALIF"]
T, B = 4, 2


def _neuron(kind: str, channels: int | None = None) -> nn.Module:
    if kind == "DALIF":
        return sn.DALIF(channels=channels, a_init=1.2, b_init=0.9)
    return sn.NEURON_TYPES[kind]()


def _mlp(kind: str) -> nn.Sequential:
    return nn.Sequential(
        nn.Flatten(2), nn.Linear(16, 8), _neuron(kind), nn.Linear(8, 6), _neuron(kind)
    )


def _conv(kind: str) -> nn.Sequential:
    return nn.Sequential(
        TD(nn.Conv2d(1, 4, 3, padding=1)),
        TD(nn.BatchNorm2d(4)),
        _neuron(kind, channels=4),
        TD(nn.AvgPool2d(2)),
        nn.Flatten(2),
        nn.Linear(64, 6),
        _neuron(kind),
    )


def _randomised(model: nn.Module) -> nn.Module:
    """Random weights, BatchNorm statistics and neuron parameters, in eval mode."""
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for m in model.modules():  # neuron parameters (PLIF, DA-LIF) a little only
            scale = 0.1 if isinstance(m, sn.BaseNeuron) else 0.5
            for p in m.parameters(recurse=False):
                p.copy_(p + scale * torch.randn(p.shape, generator=gen))
        for m in model.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d)):  # drive every layer to fire
                m.bias.add_(0.6)
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(0.1 * torch.randn(m.num_features, generator=gen))
                m.running_var.copy_(0.5 + torch.rand(m.num_features, generator=gen))
    return model.eval()


def _per_step(model: nn.Sequential) -> nn.Sequential:
    """The snnTorch-style twin: layers unwrapped, Flatten from dim 1, neurons in 's' mode
    (the same parameter values)."""
    layers: list[nn.Module] = []
    for layer in model:
        if isinstance(layer, TD):
            layers.append(copy.deepcopy(layer.module))
        elif isinstance(layer, nn.Flatten):
            layers.append(nn.Flatten())
        elif isinstance(layer, sn.BaseNeuron):
            twin = copy.deepcopy(layer)
            twin.step_mode = "s"
            layers.append(twin)
        else:
            layers.append(copy.deepcopy(layer))
    return nn.Sequential(*layers).eval()


def _loop(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The user's loop over time around a per-step model, from reset state."""
    sn.reset(model)
    with torch.no_grad():
        out = torch.stack([model(x[t]) for t in range(x.shape[0])])
    sn.reset(model)
    return out


def _pair(kind: str, arch: str) -> tuple[nn.Module, nn.Module, torch.Tensor]:
    timed = _randomised(_mlp(kind) if arch == "mlp" else _conv(kind))
    shape = (T, B, 4, 4) if arch == "mlp" else (T, B, 1, 8, 8)
    x = 2 * torch.rand(shape, generator=torch.Generator().manual_seed(1))
    return timed, _per_step(timed), x


@pytest.mark.parametrize("arch", ["mlp", "conv"])
@pytest.mark.parametrize("kind", NEURONS)
def test_per_step_model_traces_to_the_time_major_graph(kind, arch):
    timed, stepped, x = _pair(kind, arch)
    with torch.no_grad():  # the twins are the same network (the premise of the test)
        expected = timed(x)
    assert 0 < expected.sum() < expected.numel()
    torch.testing.assert_close(_loop(stepped, x), expected, rtol=0, atol=0)
    graph = snncompile.trace(stepped, x[0])
    assert graph_differences(graph, snncompile.trace(timed, x)) == []
    assert stepped[2].step_mode == "s"  # the user's modules are left as they were


class SnnTorchStyle(nn.Module):
    """A per-step network written as in the snnTorch tutorials, with a skip sum."""

    def __init__(self, mode: str) -> None:
        super().__init__()
        wrap = TD if mode == "m" else (lambda m: m)
        self.conv = wrap(nn.Conv2d(1, 2, 3, padding=1))
        self.lif1 = sn.LIF(step_mode=mode)
        self.conv2 = wrap(nn.Conv2d(2, 2, 3, padding=1))
        self.lif2 = sn.CLIF(step_mode=mode)
        self.flat = nn.Flatten(2 if mode == "m" else 1)
        self.fc = nn.Linear(32, 3)
        self.lif3 = sn.ILIF(step_mode=mode)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s1 = self.lif1(self.conv(x))
        s2 = self.lif2(self.conv2(s1) + s1)
        return self.lif3(self.fc(self.flat(s2)))


def test_user_module_with_skip_sum_traces_the_same():
    timed = _randomised(SnnTorchStyle("m"))
    stepped = SnnTorchStyle("s").eval()
    stepped.load_state_dict({k.replace(".module.", "."): v for k, v in timed.state_dict().items()})
    x = 2 * torch.rand(T, B, 1, 4, 4)
    torch.testing.assert_close(_loop(stepped, x), timed(x), rtol=0, atol=0)
    assert graph_differences(snncompile.trace(stepped, x[0]), snncompile.trace(timed, x)) == []


def test_mixed_step_modes_are_refused_naming_the_modules_in_each_mode():
    model = nn.Sequential(
        nn.Flatten(2), nn.Linear(16, 8), sn.LIF(), nn.Linear(8, 3), sn.PLIF(step_mode="s")
    )
    with pytest.raises(TraceError) as e:
        snncompile.trace(model, torch.zeros(T, B, 4, 4))
    assert "step_mode='m' (time-major [T, B, ...]): '2' (LIF)" in e.value.message
    assert "step_mode='s' (one step [B, ...]): '4' (PLIF)" in e.value.message
    assert "same step_mode" in e.value.hint and "TimeDistributed" in e.value.hint
    with pytest.raises(CheckpointError, match="mixes neuron step modes"):
        snncompile.save(model, "unused.pt", example_input=torch.zeros(T, B, 4, 4))


def test_example_of_the_other_layout_says_which_was_expected():
    timed, stepped, x = _pair("LIF", "mlp")
    with pytest.raises(InputError, match=r"not a time-major tensor \[T, B, \.\.\.\]"):
        snncompile.trace(timed, torch.zeros(B, 16))
    with pytest.raises(InputError, match=r"not a one-step tensor \[B, \.\.\.\]"):
        snncompile.trace(stepped, torch.zeros(B))
    with pytest.raises(TraceError) as e:  # [T, B, 4, 4] read as one step of sample [B, 4, 4]
        snncompile.trace(stepped, x)
    assert "read as one step [B, ...] with sample shape [2, 4, 4]" in e.value.hint
    assert "x[0]" in e.value.hint
    _, _, cx = _pair("LIF", "conv")
    with pytest.raises(TraceError) as e:  # [B, C, H, W] read as [T, B, H, W]
        snncompile.trace(_conv("LIF").eval(), cx[0])
    assert "read as time-major [T, B, ...] with sample shape [8, 8]" in e.value.hint


def test_time_distributed_in_a_per_step_model_is_refused():
    model = nn.Sequential(TD(nn.Conv2d(1, 2, 3)), sn.LIF(step_mode="s"))
    with pytest.raises(TraceError, match=r"'0' \(TimeDistributed\) is in a per-step model"):
        snncompile.trace(model, torch.zeros(B, 1, 8, 8))


def test_checkpoint_records_the_step_mode_and_round_trips(tmp_path):
    timed, stepped, x = _pair("DALIF", "conv")
    path = tmp_path / "step.pt"
    snncompile.save(stepped, path, example_input=x[0])
    stored = torch.load(path, weights_only=True)
    assert stored["step_mode"] == "s" and stored["inputs"][0]["shape"] == [B, 1, 8, 8]
    loaded = snncompile.load(path)
    assert {m.step_mode for m in loaded.modules() if isinstance(m, sn.BaseNeuron)} == {"s"}
    torch.testing.assert_close(_loop(loaded, x), _loop(stepped, x), rtol=0, atol=0)
    graph = snncompile.trace(loaded, x[0])
    assert graph_differences(graph, snncompile.trace(timed, x)) == []
    timed_path = tmp_path / "timed.pt"
    snncompile.save(timed, timed_path, example_input=x)
    assert torch.load(timed_path, weights_only=True)["step_mode"] == "m"


def test_a_step_mode_that_contradicts_the_neurons_is_refused(tmp_path):
    _, stepped, x = _pair("LIF", "mlp")
    path = tmp_path / "step.pt"
    snncompile.save(stepped, path, example_input=x[0])
    obj = torch.load(path, weights_only=True)
    obj["step_mode"] = "m"
    torch.save(obj, path)
    with pytest.raises(CheckpointError, match=r"step_mode 'm' does not match the stored"):
        snncompile.load(path)


def test_cli_exports_simulates_and_reports_a_per_step_checkpoint(tmp_path, capsys):
    timed, stepped, x = _pair("ILIF", "conv")
    step_ckpt, timed_ckpt = tmp_path / "step.pt", tmp_path / "timed.pt"
    snncompile.save(stepped, step_ckpt, example_input=x[0])
    snncompile.save(timed, timed_ckpt, example_input=x)
    data = tmp_path / "x.npz"
    np.savez(data, inputs=x.numpy())
    outputs = {}
    for name, ckpt in (("step", step_ckpt), ("timed", timed_ckpt)):
        artefact, out = tmp_path / f"{name}.nir", tmp_path / f"{name}-out.npz"
        assert main(["-q", "export", str(ckpt), "--target", "nir", "-o", str(artefact)]) == 0
        assert main(["-q", "simulate", str(artefact), "--input", str(data), "-o", str(out)]) == 0
        outputs[name] = dict(np.load(out))
    assert outputs["step"].keys() == outputs["timed"].keys()
    for key, value in outputs["step"].items():
        np.testing.assert_array_equal(value, outputs["timed"][key])
    (spikes,) = outputs["step"].values()
    np.testing.assert_array_equal(spikes, _loop(stepped, x).numpy())
    report = tmp_path / "report.json"
    capsys.readouterr()
    code = main(["report", str(step_ckpt), "--input", str(data), "-o", str(report), "--json"])
    assert code == 0, capsys.readouterr().err
    assert json.loads(report.read_text())
