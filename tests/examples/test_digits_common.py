"""Data split, encodings, loss and spike counting of the digits examples."""

from __future__ import annotations

import numpy as np
import pytest
import tonic
import torch
from digits_common import (
    build_model,
    count_spikes,
    direct_frames,
    events_to_frames,
    image_to_events,
    load_split,
    official_loss,
)
from torch import nn
from torch.nn import functional as F

import snncompile.neurons as sn


def test_split_is_fixed_and_stratified():
    x_tr, x_te, _, y_te = load_split()
    assert x_tr.shape == (1347, 8, 8) and x_te.shape == (450, 8, 8)
    assert x_tr.min() >= 0.0 and x_tr.max() <= 1.0
    assert np.array_equal(load_split()[3], y_te)
    counts = np.bincount(y_te, minlength=10)
    assert counts.min() >= 43 and counts.max() <= 46  # ~10 % of each class


def test_direct_encoding_repeats_the_frame():
    images = np.random.default_rng(0).random((3, 8, 8), dtype=np.float32)
    frames = direct_frames(images, 5)
    assert frames.shape == (3, 5, 1, 8, 8)
    for t in range(5):
        assert torch.equal(frames[:, t, 0], torch.from_numpy(images))


def test_events_are_tonic_events_and_unbiased():
    image = np.zeros((8, 8), dtype=np.float32)
    image[2, 5] = 1.0  # row 2, column 5
    image[6, 1] = 0.5
    events = image_to_events(image, 4, 3.0, np.random.default_rng(0))
    assert events.dtype == tonic.io.events_struct
    assert np.all(np.diff(events["t"]) >= 0) and events["t"].max() < 4000
    assert set(zip(events["y"].tolist(), events["x"].tolist(), strict=True)) == {(2, 5), (6, 1)}
    frames = events_to_frames(np.stack([image]), steps=4, events_per_step=400.0, seed=1)
    assert frames.shape == (1, 4, 1, 8, 8)
    torch.testing.assert_close(frames[0, :, 0].mean(0), torch.from_numpy(image), atol=0.06, rtol=0)
    assert frames[0, :, 0, 0, 0].sum() == 0


def test_official_loss_matches_the_formula():
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 4, 10, generator=gen)
    labels = torch.tensor([1, 0, 9, 3])
    ce = sum(F.cross_entropy(logits[t], labels) for t in range(3)) / 3
    mse = sum(F.mse_loss(logits[t], F.one_hot(labels, 10).float()) for t in range(3)) / 3
    torch.testing.assert_close(
        official_loss(logits, labels, mse_target="one-hot"), 0.95 * ce + 0.05 * mse
    )
    means = sum(F.mse_loss(logits[t], torch.ones(4, 10)) for t in range(3)) / 3
    # the default is the official scripts' default: MSE against the constant 1.0
    torch.testing.assert_close(official_loss(logits, labels), 0.95 * ce + 0.05 * means)


@pytest.mark.parametrize("neuron", ["lif", "plif", "ilif", "clif", "dalif"])
def test_model_shapes_and_spike_counts(neuron):
    model = build_model(neuron, hidden=(16, 8))
    names = [n for n, m in model.named_modules() if isinstance(m, sn.BaseNeuron)]
    assert names == ["sn1", "sn2"]
    x = torch.rand(4, 3, 1, 8, 8) * 4
    with count_spikes(model) as counts, torch.no_grad():
        out = model(x)
        counts.samples += 3
    assert out.shape == (4, 3, 10)
    assert counts.slots == {"sn1": 4 * 3 * 16, "sn2": 4 * 3 * 8}
    assert counts.neurons == {"sn1": 16, "sn2": 8}
    with torch.no_grad():  # outputs of flatten→fc1→sn1 and of …→fc2→sn2
        spikes = {"sn1": float(model[:3](x).sum()), "sn2": float(model[:5](x).sum())}
    assert counts.spikes["sn1"] > 0
    assert counts.spikes == pytest.approx(spikes)
    assert counts.spikes_per_sample()["sn1"] == pytest.approx(spikes["sn1"] / 3)


def test_hooks_are_removed():
    model = nn.Sequential(nn.Linear(2, 2), sn.LIF())
    with count_spikes(model):
        pass
    assert not model[1]._forward_hooks
