"""Torch SNNs for the torch-vs-reference conformance tests: an MLP, a CNN with batch norm
and pooling, and a ResNet-style network, each buildable with any of the five neurons.

Topologies (``N`` is the neuron under test; ``TD`` = ``TimeDistributed``)::

    mlp:     flatten -> fc1 -> N -> drop -> fc2 -> N -> fc3 -> N -> out
    cnn:     TD(conv 3x3, bn) -> N -> TD(avg 2) -> TD(conv 3x3 groups 2, bn) -> N
             -> TD(sum pool 2) -> flatten -> fc -> TD(bn1d) -> N -> out
    resnet:  stem TD(conv, bn) -> N -> block1 -> block2 -> TD(adaptive avg) -> flatten
             -> fc -> N -> out
      block1 (identity shortcut):   N(bn(conv(N(bn(conv(x))))) + x)
      block2 (1x1 s2 shortcut, SEW): y = N(bn(conv(N(bn(conv s2(x)))))) + bn(conv1x1 s2(x));
                                     y feeds both the head and the sum node ``block2.add``

Parameters are randomised (BN statistics and affine terms, PLIF w, DA-LIF a/b) so that
every parameter matters and layers fire at moderate rates on ``example_input``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

import snncompile.neurons as sn

NEURONS = ("LIF", "PLIF", "ILIF", "CLIF", "DALIF")

#: Neuron factory: (type name, channels or None) -> module.
Factory = Callable[[str, "int | None"], nn.Module]


def neuron(kind: str, channels: int | None = None, **kwargs: object) -> nn.Module:
    """A neuron of type ``kind``; DA-LIF per channel when ``channels`` is given."""
    if kind == "DALIF":
        return sn.DALIF(channels=channels, **kwargs)
    return sn.NEURON_TYPES[kind](**kwargs)


def td(*layers: nn.Module) -> sn.TimeDistributed:
    return sn.TimeDistributed(layers[0] if len(layers) == 1 else nn.Sequential(*layers))


class MLP(nn.Module):
    def __init__(self, kind: str, **kwargs: object) -> None:
        super().__init__()
        self.flatten = nn.Flatten(2)
        self.fc1 = nn.Linear(2 * 4 * 4, 32)
        self.sn1 = neuron(kind, **kwargs)
        self.drop = nn.Dropout(0.2)
        self.fc2 = nn.Linear(32, 24, bias=False)
        self.sn2 = neuron(kind, **kwargs)
        self.fc3 = nn.Linear(24, 10)
        self.sn3 = neuron(kind, **kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.sn1(self.fc1(self.flatten(x)))
        x = self.sn2(self.fc2(self.drop(x)))
        return self.sn3(self.fc3(x))


class CNN(nn.Module):
    def __init__(self, kind: str) -> None:
        super().__init__()
        self.conv1 = td(nn.Conv2d(2, 8, 3, padding=1), nn.BatchNorm2d(8))
        self.sn1 = neuron(kind, 8)
        self.pool1 = td(nn.AvgPool2d(2))
        self.conv2 = td(nn.Conv2d(8, 12, 3, padding=1, groups=2, bias=False), nn.BatchNorm2d(12))
        self.sn2 = neuron(kind, 12)
        self.pool2 = td(nn.AvgPool2d(2, divisor_override=1))
        self.flatten = nn.Flatten(2)
        self.fc = nn.Linear(12 * 2 * 2, 10)
        self.bn = td(nn.BatchNorm1d(10))
        self.sn3 = neuron(kind)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool1(self.sn1(self.conv1(x)))
        x = self.pool2(self.sn2(self.conv2(x)))
        return self.sn3(self.bn(self.fc(self.flatten(x))))


class BasicBlock(nn.Module):
    """Identity shortcut added before the second neuron (MS-ResNet style)."""

    def __init__(self, kind: str, channels: int) -> None:
        super().__init__()
        self.conv1 = td(
            nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels)
        )
        self.sn1 = neuron(kind, channels)
        self.conv2 = td(
            nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels)
        )
        self.sn2 = neuron(kind, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.sn2(self.conv2(self.sn1(self.conv1(x))) + x)


class DownBlock(nn.Module):
    """Strided block whose output is spikes plus a 1x1 shortcut (SEW style)."""

    def __init__(self, kind: str, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv1 = td(
            nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c_out)
        )
        self.sn1 = neuron(kind, c_out)
        self.conv2 = td(nn.Conv2d(c_out, c_out, 3, padding=2, dilation=2), nn.BatchNorm2d(c_out))
        self.sn2 = neuron(kind, c_out)
        self.shortcut = td(nn.Conv2d(c_in, c_out, 1, stride=2, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.sn2(self.conv2(self.sn1(self.conv1(x)))) + self.shortcut(x)


class ResNet(nn.Module):
    def __init__(self, kind: str) -> None:
        super().__init__()
        self.stem = td(nn.Conv2d(2, 6, 3, padding=1, bias=False), nn.BatchNorm2d(6))
        self.sn0 = neuron(kind, 6)
        self.block1 = BasicBlock(kind, 6)
        self.block2 = DownBlock(kind, 6, 10)
        self.mix = td(nn.Conv2d(10, 10, 1))
        self.sn_mix = neuron(kind, 10)
        self.pool = td(nn.AdaptiveAvgPool2d(1))
        self.flatten = nn.Flatten(2)
        self.fc = nn.Linear(10, 10)
        self.head = neuron(kind)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.block1(self.sn0(self.stem(x)))
        y = self.block2(x)
        z = self.sn_mix(self.mix(y)) + y  # the sum y feeds two consumers
        return self.head(self.fc(self.flatten(self.pool(z))))


ARCHITECTURES: dict[str, Callable[[str], nn.Module]] = {"mlp": MLP, "cnn": CNN, "resnet": ResNet}


def randomise(model: nn.Module, seed: int = 0, gain: float = 1.0) -> nn.Module:
    """Deterministic random weights, BN statistics and neuron parameters; eval mode."""
    gen = torch.Generator().manual_seed(seed)

    def uniform(t: torch.Tensor, low: float, high: float) -> None:
        with torch.no_grad():
            t.copy_(torch.rand(t.shape, generator=gen, dtype=t.dtype) * (high - low) + low)

    for module in model.modules():
        if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Linear)):
            fan_in = module.weight[0].numel()
            bound = gain * 1.2 / fan_in**0.5
            uniform(module.weight, -0.6 * bound, bound)
            if module.bias is not None:
                uniform(module.bias, -0.1, 0.3)
        elif isinstance(module, nn.modules.batchnorm._BatchNorm):
            uniform(module.weight, 0.6, 1.4)
            uniform(module.bias, -0.1, 0.3)
            uniform(module.running_mean, -0.2, 0.2)
            uniform(module.running_var, 0.5, 1.5)
        elif isinstance(module, sn.PLIF):
            uniform(module.w, -1.0, 1.0)
        elif isinstance(module, sn.DALIF):
            uniform(module.a, 0.5, 1.5)
            uniform(module.b, 0.2, 1.2)
    return model.eval()


def example_input(arch: str, steps: int = 6, batch: int = 3, seed: int = 1) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    shape = (steps, batch, 2, 4, 4) if arch == "mlp" else (steps, batch, 2, 8, 8)
    return torch.rand(shape, generator=gen) * 1.5


#: Weight gain per architecture giving moderate firing rates (DA-LIF's α < 1 needs more).
GAINS = {"mlp": 0.85, "cnn": 1.1, "resnet": 0.9}


def build(arch: str, kind: str, seed: int = 0, **kwargs: object) -> nn.Module:
    """Architecture ``arch`` with neuron ``kind``, randomised, in eval mode (float32)."""
    gain = GAINS[arch] * (1.25 if kind == "DALIF" else 1.0)
    return randomise(ARCHITECTURES[arch](kind, **kwargs), seed=seed, gain=gain)
