"""Shared pieces of the digits examples: data, encodings, model, loss, evaluation.

Data: scikit-learn's 8x8 handwritten digits (1797 images, 10 classes), split once into
1347 training and 450 test images, stratified, with a fixed seed (``SPLIT_SEED``), so
every script and every neuron model sees the same split.

Encodings (both give a tensor ``[N, T, 1, 8, 8]``; the model sees ``[T, B, 1, 8, 8]``):

- ``direct``: the normalised image (pixel / 16, in [0, 1]) repeated at every step, as the
  official CLIF/ILIF training scripts feed static images (docs/neurons.md §1).
- ``events``: each image becomes an event stream, then ``tonic.transforms.ToFrame``
  bins it into T frames. Every pixel of intensity I emits ON events as a Poisson process
  of rate ``I · events_per_step`` per time step, at random times; the events form a
  structured array with tonic's ``events_struct`` dtype (x, y, t, p), exactly what
  tonic's event-camera datasets yield. Frames are divided by ``events_per_step`` so
  their expectation equals the direct frame. A real event dataset plugs into the same
  transform, e.g.::

      sensor = tonic.datasets.NMNIST.sensor_size            # (34, 34, 2)
      to_frames = tonic.transforms.ToFrame(sensor_size=sensor, n_time_bins=T)
      train = tonic.datasets.NMNIST("data", train=True, transform=to_frames)

  with ``build_model(..., in_features=34 * 34 * 2)``.

Model (``build_model``): ``Flatten(2) → Linear(64, H) → neuron → … → Linear(H, 10)``.
The last Linear is a neuron-free readout that produces logits at every step; the loss
uses the per-step logits and accuracy the logits summed over time (docs/neurons.md §1).
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import tonic
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from tonic.io import events_struct, make_structured_array
from torch import nn
from torch.nn import functional as F

import snncompile.neurons as sn

SPLIT_SEED = 0
TEST_SIZE = 450
NUM_CLASSES = 10
SENSOR_SIZE = (8, 8, 1)  # tonic order: (width, height, polarities)
#: Command-line names of the neuron models.
NEURONS: dict[str, str] = {
    "lif": "LIF",
    "plif": "PLIF",
    "ilif": "ILIF",
    "clif": "CLIF",
    "dalif": "DALIF",
}


@dataclass
class DigitsData:
    """Encoded train/test tensors ``[N, T, 1, 8, 8]`` and int64 labels ``[N]``."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def script_exit(main: Callable[[], int]) -> int:
    """Run a script's ``main``: a user error (an existing output, a bad option, ...) is
    printed as ``error:`` and ``hint:`` lines with exit code 1, as the CLI does."""
    from snncompile.cli import report_error
    from snncompile.errors import SnnCompileError

    try:
        return main()
    except SnnCompileError as exc:
        report_error(exc)
        return 1


def load_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Images in [0, 1] shaped [N, 8, 8] and labels, for the fixed 1347/450 split."""
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)
    x_tr, x_te, y_tr, y_te = train_test_split(
        images, digits.target, test_size=TEST_SIZE, stratify=digits.target, random_state=SPLIT_SEED
    )
    return x_tr, x_te, y_tr.astype(np.int64), y_te.astype(np.int64)


def image_to_events(
    image: np.ndarray,
    steps: int,
    events_per_step: float,
    rng: np.random.Generator,
    step_us: int = 1000,
) -> np.ndarray:
    """Rate-code one image [H, W] in [0, 1] into tonic events sorted by time (µs)."""
    counts = rng.poisson(image * events_per_step * steps)
    ys, xs = np.nonzero(counts)
    reps = counts[ys, xs]
    x = np.repeat(xs, reps)
    y = np.repeat(ys, reps)
    t = rng.integers(0, steps * step_us, size=x.size)
    order = np.argsort(t, kind="stable")
    p = np.zeros(x.size, dtype=bool)  # a single (ON) polarity
    return make_structured_array(x[order], y[order], t[order], p, dtype=events_struct)


def events_to_frames(
    images: np.ndarray, steps: int, events_per_step: float, seed: int, step_us: int = 1000
) -> torch.Tensor:
    """Encode images [N, H, W] as event frames [N, T, 1, H, W] through tonic."""
    to_frames = tonic.transforms.ToFrame(
        sensor_size=SENSOR_SIZE, time_window=step_us, start_time=0, end_time=steps * step_us
    )
    rng = np.random.default_rng(seed)
    frames = np.stack(
        [to_frames(image_to_events(img, steps, events_per_step, rng, step_us)) for img in images]
    )
    # tonic frames are [T, P, H, W], indexed [t, p, y, x] with x the column
    return torch.from_numpy(frames.astype(np.float32) / events_per_step)


def direct_frames(images: np.ndarray, steps: int) -> torch.Tensor:
    """The same normalised frame at every step: [N, T, 1, H, W]."""
    x = torch.from_numpy(images)[:, None, None]
    return x.expand(-1, steps, -1, -1, -1).contiguous()


def load_data(
    encoding: str, steps: int, *, seed: int = 0, events_per_step: float = 4.0
) -> DigitsData:
    """The encoded digits split (``encoding``: ``"direct"`` or ``"events"``)."""
    x_tr, x_te, y_tr, y_te = load_split()
    if encoding == "direct":
        f_tr, f_te = direct_frames(x_tr, steps), direct_frames(x_te, steps)
    elif encoding == "events":
        f_tr = events_to_frames(x_tr, steps, events_per_step, seed)
        f_te = events_to_frames(x_te, steps, events_per_step, seed + 10_000)
    else:
        raise ValueError(f"unknown encoding {encoding!r}; use 'direct' or 'events'")
    return DigitsData(f_tr, torch.from_numpy(y_tr), f_te, torch.from_numpy(y_te))


def build_model(neuron: str, hidden: Sequence[int] = (128,), in_features: int = 64) -> nn.Module:
    """``flatten → [fc<i> → sn<i>] × len(hidden) → readout`` (neuron module defaults)."""
    cls = sn.NEURON_TYPES[NEURONS[neuron]]
    layers: dict[str, nn.Module] = {"flatten": nn.Flatten(2)}
    width = in_features
    for i, h in enumerate(hidden, start=1):
        layers[f"fc{i}"] = nn.Linear(width, h)
        layers[f"sn{i}"] = cls()
        width = h
    layers["readout"] = nn.Linear(width, NUM_CLASSES)
    return nn.Sequential(OrderedDict(layers))


def official_loss(
    logits: torch.Tensor, labels: torch.Tensor, lam: float = 0.05, mse_target: str = "means"
) -> torch.Tensor:
    """(1 − λ)·CE + λ·MSE over per-step logits ``[T, B, C]``, averaged over t and batch.

    ``mse_target="one-hot"``: MSE against the one-hot label (official ``-mse_n_reg``);
    ``"means"``: against the constant 1.0 (the official scripts' default ``loss_means``).
    """
    steps, batch, classes = logits.shape
    flat = logits.reshape(steps * batch, classes)
    target = labels.repeat(steps)
    if mse_target == "one-hot":
        mse_ref = F.one_hot(target, classes).to(flat.dtype)
    elif mse_target == "means":
        mse_ref = torch.ones_like(flat)
    else:
        raise ValueError(f"unknown mse_target {mse_target!r}")
    return (1 - lam) * F.cross_entropy(flat, target) + lam * F.mse_loss(flat, mse_ref)


@dataclass
class SpikeCounts:
    """Spikes and neuron-steps per neuron layer, accumulated over batches."""

    spikes: dict[str, float] = field(default_factory=dict)
    slots: dict[str, int] = field(default_factory=dict)
    neurons: dict[str, int] = field(default_factory=dict)
    samples: int = 0

    def rates(self) -> dict[str, float]:
        """Firing rate per layer: spikes / (neurons · T · samples)."""
        return {k: self.spikes[k] / max(self.slots[k], 1) for k in self.spikes}

    def spikes_per_sample(self) -> dict[str, float]:
        return {k: v / max(self.samples, 1) for k, v in self.spikes.items()}


@contextlib.contextmanager
def count_spikes(model: nn.Module) -> Iterator[SpikeCounts]:
    """Count the output spikes of every neuron module while the block runs."""
    counts = SpikeCounts()
    handles = []
    for name, module in model.named_modules():
        if isinstance(module, sn.BaseNeuron):

            def hook(mod: nn.Module, inputs: object, out: torch.Tensor, name: str = name) -> None:
                counts.spikes[name] = counts.spikes.get(name, 0.0) + float(out.detach().sum())
                counts.slots[name] = counts.slots.get(name, 0) + out.numel()
                counts.neurons[name] = out[0, 0].numel()

            handles.append(module.register_forward_hook(hook))
    try:
        yield counts
    finally:
        for handle in handles:
            handle.remove()


@dataclass
class EvalResult:
    """Accuracy on summed logits, loss and per-layer spike statistics."""

    accuracy: float
    loss: float
    rates: dict[str, float]
    spikes_per_sample: dict[str, float]

    @property
    def total_spikes_per_sample(self) -> float:
        return sum(self.spikes_per_sample.values())


@torch.no_grad()
def evaluate(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    batch_size: int = 256,
    mse_target: str = "means",
) -> EvalResult:
    """Evaluate ``model`` (switched to eval mode) on frames [N, T, ...] and labels [N]."""
    model.eval()
    correct, loss_sum = 0, 0.0
    with count_spikes(model) as counts:
        for start in range(0, len(x), batch_size):
            xb = x[start : start + batch_size].transpose(0, 1)
            yb = y[start : start + batch_size]
            logits = model(xb)
            loss_sum += float(official_loss(logits, yb, mse_target=mse_target)) * len(yb)
            correct += int((logits.sum(0).argmax(1) == yb).sum())
            counts.samples += len(yb)
    return EvalResult(
        correct / len(x), loss_sum / len(x), counts.rates(), counts.spikes_per_sample()
    )
