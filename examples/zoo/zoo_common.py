"""The zoo's data and architectures: small CIFAR-shaped versions of the papers' networks.

Data: scikit-learn's 8x8 digits (the fixed 1347/450 split of ``digits_common``), upsampled
to 16x16 by pixel repetition and given three colour channels with gains (1, 3/4, 1/2),
so every input is a multiple of 1/64 in [0, 1] (the Loihi quantiser then feeds them as
exact graded payloads). Direct encoding: the same frame at each of the ``STEPS`` steps;
the model sees ``[T, B, 3, 16, 16]``.

Architectures (all time-major, convolutions wrapped in ``TimeDistributed`` with a
BatchNorm that the pass pipeline folds into the convolution; the readout is a
neuron-free ``Linear`` whose logits are summed over time):

- ``resnet`` (Spiking ResNet): a stem, a basic block whose identity shortcut is added to
  the second convolution *before* its neuron, a strided block whose 1x1 convolution
  shortcut is added before its neuron, average pooling, readout.
- ``sew`` (SEW ResNet): a stem and two SEW blocks whose *spikes* are added to the block
  input (``ADD`` connect function), the sum feeding the next synapse.
- ``vgg``: conv-conv-maxpool-conv-maxpool on spikes (pooling after the neuron), readout.

Neurons: ``clif``, ``ilif``, ``dalif`` (DA-LIF per channel in convolutional layers).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

import snncompile.neurons as sn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # examples/: digits_common
from digits_common import load_split

STEPS = 4
SIDE = 16
CHANNEL_GAINS = (1.0, 0.75, 0.5)
NUM_CLASSES = 10
ARCHITECTURES = ("resnet", "sew", "vgg")
NEURONS = ("clif", "ilif", "dalif")
LABELS = {"resnet": "Spiking ResNet", "sew": "SEW ResNet", "vgg": "VGG (max pool)"}
NEURON_LABELS = {"clif": "CLIF", "ilif": "ILIF", "dalif": "DA-LIF"}
MODELS_DIR = Path(__file__).resolve().parent / "models"


def upsample(images: np.ndarray) -> np.ndarray:
    """Images ``[N, 8, 8]`` in [0, 1] → ``[N, 3, 16, 16]`` (2x2 pixel repetition, gains)."""
    big = images.repeat(2, axis=1).repeat(2, axis=2)
    gains = np.asarray(CHANNEL_GAINS, dtype=np.float32)[None, :, None, None]
    return (big[:, None] * gains).astype(np.float32)


def frames(images: np.ndarray, steps: int = STEPS) -> np.ndarray:
    """Direct encoding of images ``[N, 3, 16, 16]``, time-major: ``[T, N, 3, 16, 16]``."""
    return np.ascontiguousarray(np.broadcast_to(images[None], (steps, *images.shape)))


def load_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train images [N, 3, 16, 16], train labels, test images, test labels)."""
    x_tr, x_te, y_tr, y_te = load_split()
    return upsample(x_tr), y_tr, upsample(x_te), y_te


def neuron(kind: str, channels: int | None = None) -> nn.Module:
    """A neuron of type ``kind`` (module defaults; DA-LIF per channel when given)."""
    if kind == "clif":
        return sn.CLIF()
    if kind == "ilif":
        return sn.ILIF()
    if kind == "dalif":
        return sn.DALIF(channels=channels)
    raise ValueError(f"unknown neuron {kind!r}; use one of {NEURONS}")


def conv_bn(c_in: int, c_out: int, kernel: int = 3, stride: int = 1) -> sn.TimeDistributed:
    """Conv (no bias) followed by BatchNorm, applied at every step."""
    return sn.TimeDistributed(
        nn.Sequential(
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(c_out),
        )
    )


class BasicBlock(nn.Module):
    """Spiking-ResNet block: ``N(bn(conv(N(bn(conv(x))))) + shortcut(x))``: the residual
    is added to the synaptic input of the second neuron (before it fires)."""

    def __init__(self, kind: str, c_in: int, c_out: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = conv_bn(c_in, c_out, stride=stride)
        self.sn1 = neuron(kind, c_out)
        self.conv2 = conv_bn(c_out, c_out)
        self.shortcut = (
            conv_bn(c_in, c_out, kernel=1, stride=stride)
            if stride != 1 or c_in != c_out
            else nn.Identity()
        )
        self.sn2 = neuron(kind, c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.sn2(self.conv2(self.sn1(self.conv1(x))) + self.shortcut(x))


class SEWBlock(nn.Module):
    """SEW block (ADD): ``N(bn(conv(N(bn(conv(x)))))) + x``: the spikes of the two
    branches are added, and the sum (integers 0..2) feeds the next synapse."""

    def __init__(self, kind: str, channels: int) -> None:
        super().__init__()
        self.conv1 = conv_bn(channels, channels)
        self.sn1 = neuron(kind, channels)
        self.conv2 = conv_bn(channels, channels)
        self.sn2 = neuron(kind, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.sn2(self.conv2(self.sn1(self.conv1(x)))) + x


class SpikingResNet(nn.Module):
    """stem(3→8) → BasicBlock(8) → BasicBlock(8→16, stride 2) → avgpool 4 → Linear(64, 10)."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.stem = conv_bn(3, 8)
        self.sn0 = neuron(kind, 8)
        self.block1 = BasicBlock(kind, 8, 8)
        self.block2 = BasicBlock(kind, 8, 16, stride=2)
        self.pool = sn.TimeDistributed(nn.AvgPool2d(4))
        self.flatten = nn.Flatten(2)
        self.fc = nn.Linear(16 * 2 * 2, NUM_CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.block2(self.block1(self.sn0(self.stem(x))))
        return self.fc(self.flatten(self.pool(x)))


class SEWResNet(nn.Module):
    """stem(3→8) → SEWBlock(8) → avgpool 2 → conv(8→16) → SEWBlock(16) → avgpool 4 → fc."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.stem = conv_bn(3, 8)
        self.sn0 = neuron(kind, 8)
        self.block1 = SEWBlock(kind, 8)
        self.pool1 = sn.TimeDistributed(nn.AvgPool2d(2))
        self.down = conv_bn(8, 16)
        self.sn1 = neuron(kind, 16)
        self.block2 = SEWBlock(kind, 16)
        self.pool2 = sn.TimeDistributed(nn.AvgPool2d(4))
        self.flatten = nn.Flatten(2)
        self.fc = nn.Linear(16 * 2 * 2, NUM_CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool1(self.block1(self.sn0(self.stem(x))))
        x = self.block2(self.sn1(self.down(x)))
        return self.fc(self.flatten(self.pool2(x)))


class VGG(nn.Module):
    """conv(3→8) → conv(8→8) → maxpool 2 → conv(8→16) → maxpool 2 → Linear(256, 10),
    every convolution followed by BatchNorm and a neuron; max pooling acts on spikes."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.conv1 = conv_bn(3, 8)
        self.sn1 = neuron(kind, 8)
        self.conv2 = conv_bn(8, 8)
        self.sn2 = neuron(kind, 8)
        self.pool1 = sn.TimeDistributed(nn.MaxPool2d(2))
        self.conv3 = conv_bn(8, 16)
        self.sn3 = neuron(kind, 16)
        self.pool2 = sn.TimeDistributed(nn.MaxPool2d(2))
        self.flatten = nn.Flatten(2)
        self.fc = nn.Linear(16 * 4 * 4, NUM_CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool1(self.sn2(self.conv2(self.sn1(self.conv1(x)))))
        x = self.pool2(self.sn3(self.conv3(x)))
        return self.fc(self.flatten(x))


BUILDERS = {"resnet": SpikingResNet, "sew": SEWResNet, "vgg": VGG}


def build(arch: str, kind: str) -> nn.Module:
    """The untrained ``arch`` network with ``kind`` neurons."""
    if arch not in BUILDERS:
        raise ValueError(f"unknown architecture {arch!r}; use one of {ARCHITECTURES}")
    return BUILDERS[arch](kind)


def checkpoint_path(arch: str, kind: str, folder: Path = MODELS_DIR) -> Path:
    """Where the zoo keeps the trained ``arch``/``kind`` checkpoint."""
    return folder / f"{arch}_{kind}.pt"


def accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    """Accuracy (%) of per-step outputs ``[T, B, 10]`` summed over time."""
    return float((np.asarray(logits).sum(axis=0).argmax(axis=1) == labels).mean() * 100.0)
