"""PLIF step (docs/neurons.md §3): an LIF whose leak is learnt through a raw scalar w.

    1/τ = sigmoid(w),  β = 1 − sigmoid(w),  w_init = −ln(τ_init − 1)

The charge, fire and reset are exactly :func:`~snncompile.neurons.functional.lif.lif_step`.
"""

from __future__ import annotations

import math

import torch

from snncompile.neurons.functional.common import SpikeConfig
from snncompile.neurons.functional.lif import LIFParams, LIFState, lif_step


def plif_w_from_tau(tau: float) -> float:
    """Raw parameter that gives 1/τ = sigmoid(w): w = −ln(τ − 1) (τ > 1)."""
    return -math.log(tau - 1.0)


def plif_params(w: torch.Tensor, config: SpikeConfig) -> LIFParams:
    """LIF parameters of a PLIF with raw parameter ``w`` (differentiable)."""
    return LIFParams(beta=1.0 - torch.sigmoid(w), alpha=1.0, config=config)


def plif_step(
    x: torch.Tensor, state: LIFState, w: torch.Tensor, config: SpikeConfig
) -> tuple[torch.Tensor, LIFState]:
    """Advance one step; returns (spikes, new state)."""
    return lif_step(x, state, plif_params(w, config))
