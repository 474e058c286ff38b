"""Helpers shared by the neuron tests: a functional step looped over time, the list of
tensors autograd saves for a backward, random inputs and the golden-file checks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

Step = Callable[[torch.Tensor, Any, Any], tuple[torch.Tensor, Any]]
Saved = list[tuple[tuple[int, ...], torch.dtype]]


def step_trace(
    step: Step,
    state: Any,
    x: torch.Tensor,
    params: Any,
    states: Sequence[str],
    spikes: str = "spikes",
) -> dict[str, torch.Tensor]:
    """``step`` over x[0..T−1] from ``state`` (autograd-aware): the spikes under the key
    ``spikes`` and each named state attribute, each stacked to [T, ...]."""
    out: dict[str, list[torch.Tensor]] = {spikes: [], **{key: [] for key in states}}
    for t in range(x.shape[0]):
        s, state = step(x[t], state, params)
        out[spikes].append(s)
        for key in states:
            out[key].append(getattr(state, key))
    return {key: torch.stack(values) for key, values in out.items()}


def saved_tensors(fn: Callable[..., torch.Tensor], *args: Any) -> tuple[torch.Tensor, Saved]:
    """Run fn and list (shape, dtype) of every tensor autograd saves for the backward."""
    saved: Saved = []

    def pack(t: torch.Tensor) -> torch.Tensor:
        saved.append((tuple(t.shape), t.dtype))
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = fn(*args)
    return out, saved


def random_input(shape: tuple[int, ...], dtype: torch.dtype, seed: int = 0) -> torch.Tensor:
    """A leaf x ~ N(0.6, 0.8²) that requires grad (about half the neurons fire)."""
    gen = torch.Generator().manual_seed(seed)
    return (torch.randn(shape, generator=gen, dtype=dtype) * 0.8 + 0.6).requires_grad_()


def golden_leaves(
    g: dict[str, np.ndarray], suffix: str, dtype: torch.dtype
) -> tuple[torch.Tensor, torch.Tensor]:
    """The golden input (a leaf that requires grad) and loss weights, in ``dtype``."""
    x = torch.tensor(g["input" + suffix], dtype=dtype, requires_grad=True)
    return x, torch.tensor(g["weights" + suffix], dtype=dtype)


def assert_golden(
    g: dict[str, np.ndarray],
    suffix: str,
    leaves: tuple[torch.Tensor, torch.Tensor],
    spikes: torch.Tensor,
    states: dict[str, torch.Tensor],
    tols: tuple[float, float],
) -> None:
    """``spikes`` equal the golden spikes, each of ``states`` (keyed by its golden name) is
    within ``tols[0]`` and the gradient of Σ spikes·w on the leaf x within rtol ``tols[1]``."""
    x, w = leaves
    state_tol, grad_rtol = tols
    assert spikes.dtype == x.dtype
    np.testing.assert_array_equal(spikes.detach().numpy(), g["spikes" + suffix])
    for name, value in states.items():
        np.testing.assert_allclose(value.numpy(), g[name + suffix], atol=state_tol, rtol=0)
    (spikes * w).sum().backward()
    assert x.grad is not None
    np.testing.assert_allclose(x.grad.numpy(), g["grad_input" + suffix], rtol=grad_rtol, atol=0)
