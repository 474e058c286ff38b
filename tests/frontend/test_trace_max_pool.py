"""``nn.MaxPool2d`` and ``F.max_pool2d`` trace to the IR's MaxPool2d, and the reference
simulator equals torch exactly (float64), on spikes and on analog values."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import snncompile
import snncompile.neurons as sn
from snncompile import ir
from snncompile.errors import TraceError
from tests.conformance.harness import compare
from tests.conformance.models import randomise

TD = sn.TimeDistributed


class PoolAfterNeuron(nn.Module):
    """VGG style: conv -> LIF -> max pool (module) -> conv -> LIF -> F.max_pool2d -> fc."""

    def __init__(self, kind: str = "LIF") -> None:
        super().__init__()
        self.conv1 = TD(nn.Conv2d(2, 4, 3, padding=1))
        self.sn1 = sn.NEURON_TYPES[kind]()
        self.pool1 = TD(nn.MaxPool2d(2))
        self.conv2 = TD(nn.Conv2d(4, 4, 3, padding=1))
        self.sn2 = sn.NEURON_TYPES[kind]()
        self.pool2 = TD(FunctionalPool())
        self.fc = nn.Linear(4 * 2 * 2, 3)
        self.sn3 = sn.NEURON_TYPES[kind]()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool1(self.sn1(self.conv1(x)))
        x = self.pool2(self.sn2(self.conv2(x)))
        return self.sn3(self.fc(x.flatten(2)))


class FunctionalPool(nn.Module):
    """F.max_pool2d with stride and padding, inside TimeDistributed."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.max_pool2d(x, 3, stride=2, padding=1)


class PoolBeforeNeuron(nn.Module):
    """Max pooling of conv outputs (analog values), then the neuron."""

    def __init__(self) -> None:
        super().__init__()
        self.features = TD(nn.Sequential(nn.Conv2d(2, 4, 3), nn.MaxPool2d(2, stride=1)))
        self.sn = sn.LIF()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.sn(self.features(x))


def _example(seed: int = 1) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.rand((6, 3, 2, 8, 8), generator=gen, dtype=torch.float64) * 1.5


@pytest.mark.parametrize("kind", ["LIF", "PLIF", "CLIF", "ILIF", "DALIF"])
def test_max_pool_of_spikes_equals_torch(kind):
    model = randomise(PoolAfterNeuron(kind), gain=1.3 if kind == "DALIF" else 1.0).double()
    result = compare(model, _example())
    pools = {n: v for n, v in result.graph.nodes.items() if isinstance(v, ir.MaxPool2d)}
    assert sorted(pools) == ["pool1", "pool2.max_pool2d"]
    np.testing.assert_array_equal(pools["pool2.max_pool2d"].padding, [1, 1])
    for name, spikes in result.torch_spikes.items():
        assert 0.01 < spikes.mean() < 0.99, f"{name} fires at {spikes.mean():.3f}"
        np.testing.assert_array_equal(result.ref_spikes[name], spikes, err_msg=name)
    np.testing.assert_array_equal(result.ref_out, result.torch_out)


def test_max_pool_of_analog_values_equals_torch():
    model = randomise(PoolBeforeNeuron(), gain=1.5).double()
    result = compare(model, _example(2))
    assert any(isinstance(v, ir.MaxPool2d) for v in result.graph.nodes.values())
    assert 0.01 < result.torch_out.mean() < 0.99
    np.testing.assert_array_equal(result.ref_out, result.torch_out)


@pytest.mark.parametrize(
    ("call", "match", "hint"),
    [
        (lambda x: F.max_pool2d(x, 2, dilation=2), "dilation=2 has no IR form", "dilation=1"),
        (lambda x: F.max_pool2d(x, 2, ceil_mode=True), "ceil_mode=True", "ceil_mode=False"),
        (lambda x: F.max_pool2d(x, 3, padding=2), "exceeds half the kernel", "padding <="),
    ],
)
def test_functional_refusals_name_the_call(call, match, hint):
    class Inner(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return call(x)

    model = nn.Sequential(TD(Inner()), sn.LIF())
    with pytest.raises(TraceError, match=match) as info:
        snncompile.trace(model, torch.zeros(2, 1, 1, 6, 6))
    assert hint in info.value.hint


def test_functional_max_pool_on_the_time_major_tensor_is_refused():
    class Outer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.sn = sn.LIF()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return F.max_pool2d(self.sn(x), 2)

    with pytest.raises(TraceError, match="time-major") as info:
        snncompile.trace(Outer(), torch.zeros(2, 1, 1, 4, 4))
    assert "TimeDistributed" in info.value.hint
