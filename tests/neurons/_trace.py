"""Helpers shared by the neuron tests: a functional step looped over time, and the list of
tensors autograd saves for a backward."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

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
