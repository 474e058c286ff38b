"""Degenerate shapes of the fused CPU CLIF and ILIF (one test, both models)."""

from __future__ import annotations

import pytest
import torch

from snncompile.neurons.cpu import clif_multistep, ilif_multistep
from snncompile.neurons.functional.common import SpikeConfig
from snncompile.neurons.surrogate import Rectangle, Sigmoid

#: each model with its golden configuration (the official train.py defaults)
MODELS = {
    "clif": (clif_multistep, SpikeConfig(surrogate=Rectangle(alpha=1.0))),
    "ilif": (ilif_multistep, SpikeConfig(surrogate=Sigmoid(alpha=4.0))),
}


@pytest.mark.parametrize("model", sorted(MODELS))
def test_degenerate_shapes(model):
    """No neurons, no steps, or no neuron axis at all."""
    multistep, cfg = MODELS[model]
    for shape in ((3, 0), (0, 4), (0,), (3,)):
        x = torch.full(shape, 1.2, requires_grad=True)
        s = multistep(x, 2.0, cfg)
        s.sum().backward()
        assert s.shape == x.grad.shape == x.shape
    assert multistep(torch.tensor([1.2, 0.0]), 2.0, cfg).tolist() == [1.0, 0.0]
