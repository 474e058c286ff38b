"""Small models covering every supported layer and neuron type."""

from __future__ import annotations

import torch
from torch import nn

import snncompile.neurons as sn
from snncompile.neurons import TimeDistributed

NEURON_NAMES = sorted(sn.NEURON_TYPES)


def make_neuron(name: str) -> nn.Module:
    """A neuron with non-default settings where the model has them (config round trip)."""
    cls = sn.NEURON_TYPES[name]
    if name == "DALIF":
        return cls(a_init=0.8, b_init=1.2, surrogate="sigmoid")
    if name in ("LIF", "PLIF"):
        return cls(tau=3.0, surrogate="atan", surrogate_alpha=1.5)
    return cls(tau=2.5)


class Picklable(nn.Module):
    """x ↦ fc(x), one Linear; module-level so that a pickled instance loads by reference.

    Tests subclass it for a Linear followed by what they exercise (their own ``forward``).
    """

    def __init__(self, in_features: int = 3, out_features: int = 2) -> None:
        super().__init__()
        self.fc = nn.Linear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x)


class MLP(nn.Module):
    """flatten → Linear → neuron → Dropout → Linear, summed over time (torch.sum)."""

    def __init__(self, neuron: str) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Flatten(2), nn.Linear(16, 12), make_neuron(neuron), nn.Dropout(0.3), nn.Linear(12, 5)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sum(self.body(x), dim=0)


class Residual(nn.Module):
    """conv → BN → neuron with an identity shortcut (``+``)."""

    def __init__(self, channels: int, neuron: str) -> None:
        super().__init__()
        self.conv = TimeDistributed(
            nn.Sequential(
                nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels)
            )
        )
        self.sn = make_neuron(neuron)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.sn(self.conv(x) + x)


class ConvNet(nn.Module):
    """Conv stem, residual block, pools, nested Sequential head, flatten and mean."""

    def __init__(self, neuron: str) -> None:
        super().__init__()
        self.stem = TimeDistributed(nn.Conv2d(2, 4, 3, stride=1, padding=1))
        self.bn = TimeDistributed(nn.BatchNorm2d(4))
        self.sn0 = make_neuron(neuron)
        self.block = Residual(4, neuron)
        self.pool = TimeDistributed(nn.MaxPool2d(2))
        self.features = nn.Sequential(
            TimeDistributed(nn.Conv2d(4, 8, 3, stride=2, padding=1, groups=2, dilation=1)),
            make_neuron(neuron),
            nn.Sequential(TimeDistributed(nn.AvgPool2d(2)), nn.Identity()),
        )
        self.head = nn.Sequential(nn.Dropout(0.5), nn.Linear(8, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.sn0(self.bn(self.stem(x)))
        x = self.pool(self.block(x))
        x = self.features(x)
        x = x.flatten(2)
        return self.head(x).mean(0)


def randomise(model: nn.Module, seed: int = 0) -> nn.Module:
    """Non-trivial parameters and BN statistics, so round trips are meaningful."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            scale = 0.2 if name.endswith(("a", "b", "w")) else 1.0
            p.add_(torch.randn(p.shape, generator=gen) * scale)
        for module in model.modules():
            if isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
                module.running_mean.normal_(0.0, 0.3, generator=gen)
                module.running_var.uniform_(0.5, 2.0, generator=gen)
    return model
